/* verify.c — whether a refined placement can be trusted. Each test is about the
 * placement itself, not about the options that produced it, so no --tolerance or
 * --min-score can turn a chance alignment into "ok":
 *   - enough pairs (MIN_PAIRS) for an affine with residuals to judge it by;
 *   - matches over the nuclei expected in the overlap (score) at least MIN_SHARE;
 *   - far more pairs than chance gives at the final radius: a wrong transform still
 *     lands nuclei near 10X nuclei with probability p = 1 - exp(-density * pi * r^2);
 *   - the fit pins down the corners: standard error of the worst corner small against
 *     the 2 px a placement may be off. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mapping/mapping_internal.h"

#define MIN_PAIRS 8
#define MIN_SHARE 0.2
#define MIN_CHANCE_Z 8.0
#define MAX_CHANCE_P 0.5   /* beyond: the radius is so wide that a hit means nothing */
#define MAX_CORNER_SE 0.33 /* 10X px: three standard errors stay within 1 px */
#define SHARE_GRID 16      /* samples per side of the 40X frame for the overlap share */

const char *ns_map_status_name(ns_map_status s)
{
    switch (s) {
    case NS_MAP_OK: return "ok";
    case NS_MAP_UNCERTAIN: return "uncertain";
    default: return "unmapped";
    }
}

/* Standard error of the fitted position of the worst 40X corner, 10X px: the residual
 * variance per axis times c^T (W^T W)^-1 c for corner c = (x, y, 1), both axes. */
static double corner_standard_error(const ns_point_match *m, size_t n, const ns_tile_points *t40)
{
    if (n < 4) return INFINITY;
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) { mx += m[i].x_40x; my += m[i].y_40x; }
    mx /= (double)n;
    my /= (double)n;
    double sxx = 0, sxy = 0, syy = 0, ss = 0;
    for (size_t i = 0; i < n; i++) {
        double u = m[i].x_40x - mx, v = m[i].y_40x - my;
        sxx += u * u; sxy += u * v; syy += v * v;
        ss += m[i].distance * m[i].distance;
    }
    double det = sxx * syy - sxy * sxy;
    if (!(det > 0)) return INFINITY;
    double var_axis = ss / (2.0 * (double)(n - 3)); /* 3 parameters per axis */
    double cx[4] = {0, t40->width - 1, 0, t40->width - 1}, cy[4] = {0, 0, t40->height - 1, t40->height - 1};
    double worst = 0;
    for (int k = 0; k < 4; k++) {
        double u = cx[k] - mx, v = cy[k] - my;
        /* centred design: leverage = 1/n + [u v] S^-1 [u v]^T */
        double lev = 1.0 / (double)n + (syy * u * u - 2 * sxy * u * v + sxx * v * v) / det;
        worst = fmax(worst, sqrt(2 * var_axis * lev));
    }
    return worst;
}

/* Fraction of the 40X frame that T puts inside the 10X tile. */
static double overlap_share(const ns_affine *t, const ns_tile_points *t40, const ns_tile_points *t10)
{
    int inside = 0;
    for (int j = 0; j < SHARE_GRID; j++)
        for (int i = 0; i < SHARE_GRID; i++) {
            double X, Y;
            ns_affine_apply(t, (i + 0.5) * t40->width / SHARE_GRID, (j + 0.5) * t40->height / SHARE_GRID, &X, &Y);
            inside += ns_inside_tile(X, Y, t10->width, t10->height, 0);
        }
    return inside / (double)(SHARE_GRID * SHARE_GRID);
}

void ns_map_verify(const ns_tile_points *t40, double band40, const ns_map_index *ix, const ns_map_options *o,
                   ns_map_result *r)
{
    const ns_tile_points *t10 = ix->tile;
    double ratio = ns_density_ratio(&r->t, t40, t10);
    size_t inside = 0;
    for (size_t i = 0; i < t40->n; i++) {
        double x = t40->xy[2 * i], y = t40->xy[2 * i + 1], X, Y;
        if (!ns_inside_tile(x, y, t40->width, t40->height, band40)) continue;
        ns_affine_apply(&r->t, x, y, &X, &Y);
        inside += ns_inside_tile(X, Y, t10->width, t10->height, ix->border);
    }
    r->expected = fmax((double)inside * ratio, MIN_PAIRS);
    r->score = fmin(1, (double)r->inliers / r->expected);
    r->share = overlap_share(&r->t, t40, t10);
    double a10 = (double)t10->width * t10->height;
    double density = a10 > 0 ? (double)t10->n / a10 : 0;
    double radius = r->tolerance_used > 0 ? r->tolerance_used : o->tolerance;
    double p = 1 - exp(-density * M_PI * radius * radius);
    double chance = (double)inside * p;
    r->chance_z = ((double)r->inliers - chance) / sqrt(chance * (1 - p) + 1);
    r->corner_se = corner_standard_error(r->matches, r->inliers, t40);

    r->reason[0] = 0;
    if (r->inliers < MIN_PAIRS)
        snprintf(r->reason, sizeof r->reason, "%zu pairs, fewer than %d", r->inliers, MIN_PAIRS);
    else if (p > MAX_CHANCE_P)
        snprintf(r->reason, sizeof r->reason, "radius %.2f px: a chance hit is %.0f %% likely", radius, 100 * p);
    else if (r->score < fmax(MIN_SHARE, o->min_score))
        snprintf(r->reason, sizeof r->reason, "inliers %.0f %% of the %.0f nuclei expected in the overlap",
                 100 * r->score, r->expected);
    else if (r->chance_z < MIN_CHANCE_Z)
        snprintf(r->reason, sizeof r->reason, "%zu pairs against %.1f by chance (%.1f SD)", r->inliers, chance,
                 r->chance_z);
    else if (!(r->corner_se <= MAX_CORNER_SE))
        snprintf(r->reason, sizeof r->reason, "corner standard error %.2f px (residual rmsd %.2f px)", r->corner_se,
                 r->rmsd);
    r->status = r->reason[0] ? NS_MAP_UNCERTAIN : NS_MAP_OK;
    r->mapped = r->status == NS_MAP_OK;
}
