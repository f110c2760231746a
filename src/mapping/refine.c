/* refine.c — nucleus-level correspondences (mutual nearest neighbours within the
 * tolerance) and the least-squares refinement of the RANSAC transform on them,
 * with both optimizers of affine.h; the lower-RMSD result is kept. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mapping/mapping_internal.h"

ns_status ns_mutual_matches(const ns_affine *t, const ns_tile_points *t40, const ns_tile_points *t10,
                            const ns_point_grid *g10, double tol, ns_point_match **out, size_t *count,
                            ns_error *err)
{
    *out = NULL;
    *count = 0;
    if (t40->n == 0 || t10->n == 0) return NS_OK;
    double *mapped = malloc(2 * t40->n * sizeof *mapped);
    if (!mapped) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory for matching", t40->stem);
    for (size_t i = 0; i < t40->n; i++)
        ns_affine_apply(t, t40->xy[2 * i], t40->xy[2 * i + 1], &mapped[2 * i], &mapped[2 * i + 1]);
    ns_point_grid g40;
    ns_status st = ns_point_grid_build(&g40, mapped, t40->n, tol > 0 ? tol : 1, err);
    if (st != NS_OK) { free(mapped); return st; }
    ns_point_match *m = malloc(t40->n * sizeof *m);
    if (!m) {
        ns_point_grid_free(&g40);
        free(mapped);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory for matches", t40->stem);
    }
    size_t nm = 0;
    for (size_t i = 0; i < t40->n; i++) {
        double d2;
        long j = ns_point_grid_nearest(g10, mapped[2 * i], mapped[2 * i + 1], tol, &d2);
        if (j < 0) continue;
        long back = ns_point_grid_nearest(&g40, t10->xy[2 * j], t10->xy[2 * j + 1], tol, NULL);
        if (back != (long)i) continue;
        m[nm].label_40x = (int)i + 1;
        m[nm].label_10x = (int)j + 1;
        m[nm].x_40x = t40->xy[2 * i];
        m[nm].y_40x = t40->xy[2 * i + 1];
        m[nm].x_10x = t10->xy[2 * j];
        m[nm].y_10x = t10->xy[2 * j + 1];
        m[nm].distance = sqrt(d2);
        nm++;
    }
    ns_point_grid_free(&g40);
    free(mapped);
    if (nm == 0) { free(m); m = NULL; }
    *out = m;
    *count = nm;
    return NS_OK;
}

/* One fitting round on the current matches: both optimizers from `start`, with `loss`. */
static ns_status fit_round(const ns_point_match *m, size_t n, const ns_affine *start, ns_loss loss, double delta,
                           const char *stem, ns_map_result *r, ns_error *err)
{
    double *src = malloc(2 * n * sizeof *src), *dst = malloc(2 * n * sizeof *dst);
    if (!src || !dst) {
        free(src); free(dst);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory for refinement", stem);
    }
    for (size_t i = 0; i < n; i++) {
        src[2 * i] = m[i].x_40x; src[2 * i + 1] = m[i].y_40x;
        dst[2 * i] = m[i].x_10x; dst[2 * i + 1] = m[i].y_10x;
    }
    ns_fit_options fo;
    ns_fit_options_default(&fo);
    fo.loss = loss;
    fo.huber_delta = delta;
    ns_fit_result lb, lm;
    ns_status st = ns_affine_fit(NS_OPT_LBFGSB, src, dst, n, start, &fo, &lb, err);
    if (st == NS_OK) st = ns_affine_fit(NS_OPT_LM, src, dst, n, start, &fo, &lm, err);
    free(src);
    free(dst);
    if (st != NS_OK) {
        ns_error_prefix(err, "%s: refinement", stem);
        return st;
    }
    r->rmsd_lbfgsb = lb.rmsd;
    r->rmsd_lm = lm.rmsd;
    /* LM is the reported method unless L-BFGS-B found a clearly lower RMSD. */
    if (lb.rmsd < lm.rmsd * (1 - 1e-9)) {
        r->t = lb.t;
        r->optimizer = ns_optimizer_name(NS_OPT_LBFGSB);
    } else {
        r->t = lm.t;
        r->optimizer = ns_optimizer_name(NS_OPT_LM);
    }
    return NS_OK;
}

/* Drops the pairs whose 40X or 10X nucleus lies in its tile's border band (cut
 * nuclei: centroids biased inwards); returns how many 40X-side ones went. */
static size_t drop_border_pairs(ns_point_match *m, size_t *n, const ns_tile_points *t40, double band40,
                                const ns_tile_points *t10, double band10)
{
    size_t kept = 0, dropped40 = 0;
    for (size_t i = 0; i < *n; i++) {
        int in40 = ns_inside_tile(m[i].x_40x, m[i].y_40x, t40->width, t40->height, band40);
        int in10 = ns_inside_tile(m[i].x_10x, m[i].y_10x, t10->width, t10->height, band10);
        dropped40 += !in40;
        if (in40 && in10) m[kept++] = m[i];
    }
    *n = kept;
    return dropped40;
}

static int same_pairs(const ns_point_match *a, size_t na, const ns_point_match *b, size_t nb)
{
    if (na != nb) return 0;
    for (size_t i = 0; i < na; i++)
        if (a[i].label_40x != b[i].label_40x || a[i].label_10x != b[i].label_10x) return 0;
    return 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Distances under t; rmsd and the median of the pairs. */
static void residuals(const ns_affine *t, ns_point_match *m, size_t n, double *rmsd, double *median)
{
    double ss = 0;
    double *d = malloc((n ? n : 1) * sizeof *d);
    for (size_t i = 0; i < n; i++) {
        double X, Y;
        ns_affine_apply(t, m[i].x_40x, m[i].y_40x, &X, &Y);
        m[i].distance = hypot(X - m[i].x_10x, Y - m[i].y_10x);
        ss += m[i].distance * m[i].distance;
        if (d) d[i] = m[i].distance;
    }
    *rmsd = n ? sqrt(ss / (double)n) : NAN;
    *median = NAN;
    if (d && n) {
        qsort(d, n, sizeof *d, cmp_double);
        *median = n % 2 ? d[n / 2] : 0.5 * (d[n / 2 - 1] + d[n / 2]);
    }
    free(d);
}

/* Smallest matching radius, 10X px: residual tails of clean centroids reach about 1 px,
 * and pairs lost there would be lost to the user (matches.csv) for no gain in the fit. */
#define MIN_RADIUS 1.5

ns_status ns_map_refine(const ns_tile_points *t40, double band40, const ns_map_index *ix, const ns_affine *start,
                        const ns_map_options *o, ns_map_result *r, ns_error *err)
{
    r->t = *start;
    free(r->matches);
    r->matches = NULL;
    r->inliers = 0;
    r->rounds = 0;
    r->converged = 0;
    double tol = o->tolerance;
    ns_loss loss = o->robust ? NS_LOSS_HUBER : NS_LOSS_L2;
    double delta = o->tolerance / 3; /* centroid noise is well under a third of the tolerance */
    ns_point_match *fitted = NULL;   /* the pair set r->t is the fit of */
    size_t nfitted = 0;
    int max_rounds = o->max_rounds > 0 ? o->max_rounds : 30;
    ns_status st = NS_OK;
    for (int round = 0; round < max_rounds; round++) {
        ns_point_match *m;
        size_t nm;
        st = ns_mutual_matches(&r->t, t40, ix->tile, &ix->points, tol, &m, &nm, err);
        if (st != NS_OK) break;
        size_t cut = m ? drop_border_pairs(m, &nm, t40, band40, ix->tile, ix->border) : 0;
        if (fitted && same_pairs(m, nm, fitted, nfitted)) {
            free(m);
            /* Stable under the configured loss: finish with plain least squares, whose fit
             * is what is reported, until the set is stable under that too. */
            if (loss == NS_LOSS_L2) { r->converged = 1; break; }
            loss = NS_LOSS_L2;
            st = fit_round(fitted, nfitted, &r->t, loss, delta, t40->stem, r, err);
            if (st != NS_OK) break;
            r->rounds++;
            continue;
        }
        if (nm < 3) { free(m); break; }
        r->border_excluded = cut;
        st = fit_round(m, nm, &r->t, loss, delta, t40->stem, r, err);
        r->rounds++;
        free(fitted);
        fitted = m;
        nfitted = nm;
        if (st != NS_OK) break;
        /* The next radius follows the measured residual: 3 sigma of a 2-D normal error
         * (sigma = median distance / sqrt(2 ln 2)), never above the user's tolerance. */
        double rmsd, med;
        residuals(&r->t, fitted, nfitted, &rmsd, &med);
        tol = fmin(o->tolerance, fmax(MIN_RADIUS, 3 * med / sqrt(2 * log(2))));
        delta = fmax(tol / 3, 1e-3);
    }
    if (st != NS_OK) { free(fitted); return st; }
    if (fitted && loss != NS_LOSS_L2) {
        /* Stopped before the least-squares phase: the reported transform is still the
         * least-squares fit of the reported pairs. */
        st = fit_round(fitted, nfitted, &r->t, NS_LOSS_L2, delta, t40->stem, r, err);
        if (st != NS_OK) { free(fitted); return st; }
    }
    r->matches = fitted;
    r->inliers = nfitted;
    r->tolerance_used = tol;
    double med;
    residuals(&r->t, r->matches, r->inliers, &r->rmsd, &med);
    return NS_OK;
}
