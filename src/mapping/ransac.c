/* ransac.c — hypothesis search: every candidate triangle pair (40X triangle, 10X
 * triangle with a near descriptor) proposes the affine that maps one onto the
 * other; hypotheses with an implausible scale are dropped, the rest are scored by
 * how many of the 40X nuclei expected in the overlap land on a 10X nucleus. Sampling order is a seeded shuffle. */
#include <math.h>
#include <stdlib.h>

#include "mapping/mapping_internal.h"

/* Points scored before a full score is worth it (cheap rejection of wrong pairs). */
#define PRESCORE_POINTS 48
/* Fewest nuclei an overlap is scored against: below, a few chance hits would score high. */

int ns_affine_from_3(const double s[6], const double d[6], ns_affine *t)
{
    double x0 = s[0], y0 = s[1], x1 = s[2], y1 = s[3], x2 = s[4], y2 = s[5];
    double det = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
    double span = fabs(x1 - x0) + fabs(y1 - y0) + fabs(x2 - x0) + fabs(y2 - y0);
    if (!(fabs(det) > 1e-9 * span * span)) return 0;
    /* Solve in coordinates relative to point 0: [dx1 dy1; dx2 dy2] (a, b) = (dX1, dX2). */
    double ex1 = x1 - x0, ey1 = y1 - y0, ex2 = x2 - x0, ey2 = y2 - y0;
    double X1 = d[2] - d[0], X2 = d[4] - d[0], Y1 = d[3] - d[1], Y2 = d[5] - d[1];
    t->a = (X1 * ey2 - X2 * ey1) / det;
    t->b = (ex1 * X2 - ex2 * X1) / det;
    t->c = (Y1 * ey2 - Y2 * ey1) / det;
    t->d = (ex1 * Y2 - ex2 * Y1) / det;
    t->tx = d[0] - t->a * x0 - t->b * y0;
    t->ty = d[1] - t->c * x0 - t->d * y0;
    return 1;
}

double ns_map_score(const ns_affine *t, const double *xy, size_t n, const ns_point_grid *g, double tol)
{
    if (n == 0) return 0;
    size_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        double X, Y;
        ns_affine_apply(t, xy[2 * i], xy[2 * i + 1], &X, &Y);
        if (ns_point_grid_nearest(g, X, Y, tol, NULL) >= 0) hits++;
    }
    return (double)hits / (double)n;
}

/* Both singular values of the linear part within [lo, hi], no reflection. */
int ns_affine_scale_ok(const ns_affine *t, double lo, double hi)
{
    double det = t->a * t->d - t->b * t->c;
    if (!(det > 0)) return 0;
    double e = t->a * t->a + t->b * t->b + t->c * t->c + t->d * t->d;
    double disc = e * e - 4 * det * det;
    double root = disc > 0 ? sqrt(disc) : 0;
    double smax = sqrt(0.5 * (e + root)), smin = sqrt(fmax(0.5 * (e - root), 0));
    return smin >= lo && smax <= hi;
}

typedef struct { int i40, i10; } tri_pair;

/* Local optimisation (LO-RANSAC): a hypothesis from three noisy centroids is off by
 * their noise times the lever arm to the far side of the field, so under jitter few
 * nuclei land within tolerance although the alignment is right. Refit it by least
 * squares on the nuclei it does land, twice, and keep the better score. */
#define LO_ROUNDS 2

double ns_ransac_local_optimise(ns_affine *t, double score, const ns_tile_points *t40, const ns_map_index *ix,
                                const ns_map_options *o, double *src, double *dst)
{
    const double *p10 = ix->tile->xy;
    for (int round = 0; round < LO_ROUNDS; round++) {
        size_t n = 0;
        for (size_t i = 0; i < t40->n; i++) {
            double X, Y;
            ns_affine_apply(t, t40->xy[2 * i], t40->xy[2 * i + 1], &X, &Y);
            long j = ns_point_grid_nearest(&ix->points, X, Y, o->tolerance, NULL);
            if (j < 0) continue;
            src[2 * n] = t40->xy[2 * i]; src[2 * n + 1] = t40->xy[2 * i + 1];
            dst[2 * n] = p10[2 * j];     dst[2 * n + 1] = p10[2 * j + 1];
            n++;
        }
        ns_affine fit;
        ns_error err;
        if (n < 6 || ns_affine_closed_form(src, dst, NULL, n, &fit, &err) != NS_OK) break;
        if (!ns_affine_scale_ok(&fit, o->scale_min, o->scale_max)) break;
        double ratio = ns_density_ratio(&fit, t40, ix->tile);
        double s = ns_overlap_score(&fit, t40->xy, t40->n, ix, o->tolerance, ratio,
                                    fmax(MIN_EXPECTED, 0.1 * (double)t40->n * ratio), NULL);
        if (!(s > score)) break;
        score = s;
        *t = fit;
    }
    return score;
}

ns_status ns_ransac_tile(const ns_tile_points *t40, const ns_tri_desc *d40, size_t nd40,
                         const ns_map_index *ix, const ns_map_options *o, ns_ransac_result *out,
                         ns_error *err)
{
    ns_affine_identity(&out->t);
    out->score = 0;
    out->hypotheses = 0;
    if (!ix->usable || nd40 == 0 || t40->n < 3) return NS_OK;

    int k = o->neighbours > 0 ? o->neighbours : 1;
    tri_pair *pairs = malloc((nd40 * (size_t)k + 1) * sizeof *pairs);
    int *nn = malloc((size_t)k * sizeof *nn);
    float *nd = malloc((size_t)k * sizeof *nd);
    int *sample = malloc(PRESCORE_POINTS * sizeof *sample);
    double *lo = malloc(4 * t40->n * sizeof *lo); /* LO-RANSAC pairs: src then dst */
    if (!pairs || !nn || !nd || !sample || !lo) {
        free(pairs); free(nn); free(nd); free(sample); free(lo);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory for RANSAC pairs", t40->stem);
    }
    /* Candidate pairs, pre-gated on the ratio of longest sides (the scale). */
    size_t np = 0;
    for (size_t i = 0; i < nd40; i++) {
        int m = ns_desc_grid_knn(&ix->dgrid, &d40[i], k, nn, nd);
        for (int j = 0; j < m; j++) {
            double s = ix->desc[nn[j]].longest / d40[i].longest;
            if (s < o->scale_min * 0.9 || s > o->scale_max * 1.1) continue;
            pairs[np].i40 = (int)i;
            pairs[np].i10 = nn[j];
            np++;
        }
    }
    uint64_t rng = o->seed ^ 0x6d61707069ull; /* the same seed gives the same order for every tile */
    for (size_t i = np; i > 1; i--) {
        size_t j = (size_t)(ns_map_rng_next(&rng) % i);
        tri_pair tmp = pairs[i - 1]; pairs[i - 1] = pairs[j]; pairs[j] = tmp;
    }
    /* A fixed random subset of 40X points for the pre-score. */
    int ns = t40->n < PRESCORE_POINTS ? (int)t40->n : PRESCORE_POINTS;
    for (int i = 0; i < ns; i++) sample[i] = (int)(ns_map_rng_next(&rng) % t40->n);
    double *sxy = malloc(2 * (size_t)ns * sizeof *sxy);
    if (!sxy) {
        free(pairs); free(nn); free(nd); free(sample); free(lo);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory for RANSAC sample", t40->stem);
    }
    for (int i = 0; i < ns; i++) {
        sxy[2 * i] = t40->xy[2 * sample[i]];
        sxy[2 * i + 1] = t40->xy[2 * sample[i] + 1];
    }

    const double *p10 = ix->tile->xy;
    long limit = o->max_hypotheses > 0 ? o->max_hypotheses : 50000;
    for (size_t h = 0; h < np && out->hypotheses < limit; h++) {
        const ns_tri_desc *a = &d40[pairs[h].i40], *b = &ix->desc[pairs[h].i10];
        double s[6], d[6];
        for (int v = 0; v < 3; v++) {
            s[2 * v] = t40->xy[2 * a->v[v]];
            s[2 * v + 1] = t40->xy[2 * a->v[v] + 1];
            d[2 * v] = p10[2 * b->v[v]];
            d[2 * v + 1] = p10[2 * b->v[v] + 1];
        }
        ns_affine t;
        if (!ns_affine_from_3(s, d, &t) || !ns_affine_scale_ok(&t, o->scale_min, o->scale_max)) continue;
        out->hypotheses++;
        /* Scores count the nuclei expected in the overlap (ns_overlap_score); the floor,
         * a tenth of the field, keeps a sliver of overlap with a few chance hits low. */
        double ratio = ns_density_ratio(&t, t40, ix->tile);
        size_t pre_hits;
        double pre = ns_overlap_score(&t, sxy, (size_t)ns, ix, o->tolerance, ratio, fmax(3, 0.1 * ns * ratio),
                                      &pre_hits);
        /* Worth a full score only if it could be a real alignment and could beat the best. */
        if (pre < 0.5 * o->min_score || pre < 0.6 * out->score || pre_hits < 3) continue;
        double full = ns_overlap_score(&t, t40->xy, t40->n, ix, o->tolerance, ratio,
                                       fmax(MIN_EXPECTED, 0.1 * (double)t40->n * ratio), NULL);
        if (full >= 0.5 * o->min_score && full > 0.7 * out->score)
            full = ns_ransac_local_optimise(&t, full, t40, ix, o, lo, lo + 2 * t40->n);
        if (full > out->score) {
            out->score = full;
            out->t = t;
            if (full >= o->early_stop_score) break;
        }
    }
    free(pairs); free(nn); free(nd); free(sample); free(sxy); free(lo);
    return NS_OK;
}
