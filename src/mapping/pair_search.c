/* pair_search.c — the fallback hypothesis search (see ns_pair_search_tile): wide
 * 40X triangles, and for each, every 10X point pair whose distance the scale range
 * allows. A wide triangle keeps its shape under centroid jitter and exists whatever
 * nuclei were dropped, which the Delaunay triangles of the descriptor search do not. */
#include <math.h>
#include <stdlib.h>

#include "mapping/mapping_internal.h"

#define TRIPLES 64          /* 40X triangles tried per 10X tile */
#define TRIPLE_TRIES 4000   /* random draws to find them */
#define PRESCORE_POINTS 48
#define SPAN_FRACTION 0.12  /* triangle sides: 1-2 x this fraction of the 40X tile's size */
#define PAIR_SEARCH_MAX_CHANCE 0.25 /* see below */
/* Each triangle proposes a few thousand hypotheses (every 10X pair whose third vertex
 * lands); with a third of the 40X points spurious most triangles are not real, so the
 * budget must cover a few dozen triangles. */
#define PAIR_SEARCH_MAX_HYPOTHESES 80000

/* Picks a random 40X triangle with sides in [lo, 2 lo] and a reasonable shape. */
static int pick_triple(const ns_tile_points *t, double lo, uint64_t *rng, int v[3])
{
    for (int tries = 0; tries < TRIPLE_TRIES; tries++) {
        for (int k = 0; k < 3; k++) v[k] = (int)(ns_map_rng_next(rng) % t->n);
        const double *p = &t->xy[2 * v[0]], *q = &t->xy[2 * v[1]], *r = &t->xy[2 * v[2]];
        double a = hypot(q[0] - p[0], q[1] - p[1]), b = hypot(r[0] - p[0], r[1] - p[1]),
               c = hypot(r[0] - q[0], r[1] - q[1]);
        if (a < lo || a > 2 * lo || b < lo || b > 2 * lo || c < lo || c > 2 * lo) continue;
        double area = 0.5 * fabs((q[0] - p[0]) * (r[1] - p[1]) - (r[0] - p[0]) * (q[1] - p[1]));
        if (area > 0.25 * lo * lo) return 1;
    }
    return 0;
}

ns_status ns_pair_search_tile(const ns_tile_points *t40, const ns_map_index *ix, const ns_map_options *o,
                              ns_ransac_result *out, ns_error *err)
{
    ns_affine_identity(&out->t);
    out->score = 0;
    out->hypotheses = 0;
    const ns_tile_points *t10 = ix->tile;
    if (t40->n < 3 || t10->n < 3) return NS_OK;
    /* At a radius where a random point lands on some 10X nucleus more often than not,
     * the third vertex proves nothing and no placement could be verified: not worth it. */
    double density = (double)t10->n / ((double)t10->width * t10->height);
    if (1 - exp(-density * M_PI * o->tolerance * o->tolerance) > PAIR_SEARCH_MAX_CHANCE) return NS_OK;
    double lo = SPAN_FRACTION * fmin(t40->width, t40->height);
    double reach = o->scale_max * 2 * lo; /* longest 10X distance a side can have */
    ns_point_grid coarse;
    ns_status st = ns_point_grid_build(&coarse, t10->xy, t10->n, fmax(reach / 4, o->tolerance), err);
    if (st != NS_OK) return st;
    int ns = t40->n < PRESCORE_POINTS ? (int)t40->n : PRESCORE_POINTS;
    double *sxy = malloc(2 * (size_t)ns * sizeof *sxy);
    double *lo_buf = malloc(4 * t40->n * sizeof *lo_buf);
    if (!sxy || !lo_buf) {
        free(sxy); free(lo_buf);
        ns_point_grid_free(&coarse);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory for the pair search", t40->stem);
    }
    uint64_t rng = o->seed ^ 0x7061697273ull;
    for (int i = 0; i < ns; i++) {
        size_t k = (size_t)(ns_map_rng_next(&rng) % t40->n);
        sxy[2 * i] = t40->xy[2 * k];
        sxy[2 * i + 1] = t40->xy[2 * k + 1];
    }
    long limit = o->max_hypotheses > 0 && o->max_hypotheses < PAIR_SEARCH_MAX_HYPOTHESES ? o->max_hypotheses
                                                                                       : PAIR_SEARCH_MAX_HYPOTHESES;
    for (int tri = 0; tri < TRIPLES && out->score < o->early_stop_score && out->hypotheses < limit; tri++) {
        int v[3];
        if (!pick_triple(t40, lo, &rng, v)) break;
        const double *p = &t40->xy[2 * v[0]], *q = &t40->xy[2 * v[1]], *r = &t40->xy[2 * v[2]];
        double dpq = hypot(q[0] - p[0], q[1] - p[1]);
        double rmin = o->scale_min * dpq, rmax = o->scale_max * dpq;
        /* r in the frame of (p, q): r = p + u (q - p) + w perp(q - p) */
        double ex = (q[0] - p[0]) / dpq, ey = (q[1] - p[1]) / dpq;
        double u = ((r[0] - p[0]) * ex + (r[1] - p[1]) * ey) / dpq, w = (-(r[0] - p[0]) * ey + (r[1] - p[1]) * ex) / dpq;
        for (size_t a = 0; a < t10->n && out->hypotheses < limit; a++) {
            double ax = t10->xy[2 * a], ay = t10->xy[2 * a + 1];
            int cx0 = (int)floor((ax - rmax - coarse.x0) / coarse.cell), cx1 = (int)floor((ax + rmax - coarse.x0) / coarse.cell);
            int cy0 = (int)floor((ay - rmax - coarse.y0) / coarse.cell), cy1 = (int)floor((ay + rmax - coarse.y0) / coarse.cell);
            if (cx0 < 0) cx0 = 0;
            if (cy0 < 0) cy0 = 0;
            if (cx1 >= coarse.nx) cx1 = coarse.nx - 1;
            if (cy1 >= coarse.ny) cy1 = coarse.ny - 1;
            for (int cy = cy0; cy <= cy1; cy++)
                for (int cx = cx0; cx <= cx1; cx++) {
                    size_t cell = (size_t)cy * coarse.nx + cx;
                    for (int k = coarse.start[cell]; k < coarse.start[cell + 1]; k++) {
                        int b = coarse.idx[k];
                        double bx = t10->xy[2 * b] - ax, by = t10->xy[2 * b + 1] - ay;
                        double d = hypot(bx, by);
                        if (d < rmin || d > rmax) continue;
                        /* predicted third vertex; a 10X nucleus must be there */
                        double fx = bx / d, fy = by / d;
                        double X = ax + u * bx - w * d * fy, Y = ay + u * by + w * d * fx;
                        long c = ns_point_grid_nearest(&ix->points, X, Y, o->tolerance, NULL);
                        if (c < 0) continue;
                        double s6[6] = {p[0], p[1], q[0], q[1], r[0], r[1]};
                        double d6[6] = {ax, ay, t10->xy[2 * b], t10->xy[2 * b + 1], t10->xy[2 * c], t10->xy[2 * c + 1]};
                        ns_affine t;
                        if (!ns_affine_from_3(s6, d6, &t) || !ns_affine_scale_ok(&t, o->scale_min, o->scale_max)) continue;
                        out->hypotheses++;
                        double ratio = ns_density_ratio(&t, t40, t10);
                        size_t hits;
                        double pre = ns_overlap_score(&t, sxy, (size_t)ns, ix, o->tolerance, ratio,
                                                      fmax(3, 0.1 * ns * ratio), &hits);
                        if (pre < 0.5 * o->min_score || pre < 0.6 * out->score || hits < 3) continue;
                        double full = ns_overlap_score(&t, t40->xy, t40->n, ix, o->tolerance, ratio,
                                                       fmax(MIN_EXPECTED, 0.1 * (double)t40->n * ratio), NULL);
                        if (full >= 0.5 * o->min_score && full > 0.7 * out->score)
                            full = ns_ransac_local_optimise(&t, full, t40, ix, o, lo_buf, lo_buf + 2 * t40->n);
                        if (full > out->score) {
                            out->score = full;
                            out->t = t;
                        }
                    }
                }
        }
    }
    free(sxy);
    free(lo_buf);
    ns_point_grid_free(&coarse);
    return NS_OK;
}
