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

/* One least-squares round on the current matches: both optimizers from `start`. */
static ns_status fit_round(const ns_point_match *m, size_t n, const ns_affine *start, const ns_map_options *o,
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
    fo.loss = o->robust ? NS_LOSS_HUBER : NS_LOSS_L2;
    fo.huber_delta = o->tolerance / 3; /* centroid noise is well under a third of the tolerance */
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

ns_status ns_map_refine(const ns_tile_points *t40, const ns_map_index *ix, const ns_affine *start,
                        const ns_map_options *o, ns_map_result *r, ns_error *err)
{
    r->t = *start;
    /* Round 1 on matches under the RANSAC transform; round 2 after re-matching. */
    for (int round = 0; round < 2; round++) {
        ns_point_match *m;
        size_t nm;
        ns_status st = ns_mutual_matches(&r->t, t40, ix->tile, &ix->points, o->tolerance, &m, &nm, err);
        if (st != NS_OK) return st;
        if (nm < 3) { free(m); break; }
        ns_affine before = r->t;
        st = fit_round(m, nm, &before, o, t40->stem, r, err);
        free(m);
        if (st != NS_OK) return st;
    }
    free(r->matches);
    r->matches = NULL;
    ns_status st = ns_mutual_matches(&r->t, t40, ix->tile, &ix->points, o->tolerance, &r->matches,
                                     &r->inliers, err);
    if (st != NS_OK) return st;
    double ss = 0;
    for (size_t i = 0; i < r->inliers; i++) ss += r->matches[i].distance * r->matches[i].distance;
    r->rmsd = r->inliers ? sqrt(ss / (double)r->inliers) : NAN;
    r->score = ns_map_score(&r->t, t40->xy, t40->n, &ix->points, o->tolerance);
    return NS_OK;
}
