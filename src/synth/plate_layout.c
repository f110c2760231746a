/* plate_layout.c — where each 10X tile and 40X site of a well sits.
 *
 * 10X tiles: identity rotation, a square grid whose neighbours abut or overlap
 * by a few percent, plus a sub-pixel stage jitter. 40X sites: 4x the scale,
 * rotated by theta in +-3 degrees, at a random position fully inside one 10X tile
 * with a margin of at least 32 10X px:  p40 = 4 R(theta) (well - origin). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "synth/synth_internal.h"

/* Half extents, in well units, of a w x h 40X site rotated by up to the maximum angle. */
static void site_half_extent(int w40, int h40, double theta, double *ex, double *ey)
{
    double hw = 0.5 * w40 / SYNTH_SCALE_40X_PER_10X, hh = 0.5 * h40 / SYNTH_SCALE_40X_PER_10X;
    double c = fabs(cos(theta)), s = fabs(sin(theta));
    *ex = hw * c + hh * s;
    *ey = hw * s + hh * c;
}

ns_status synth_plate_layout_make(const ns_synth_plate_options *o, synth_rng *rng,
                                  synth_plate_layout *l, ns_error *err)
{
    memset(l, 0, sizeof *l);
    double max_theta = SYNTH_MAX_ROTATION_DEG * M_PI / 180.0, ex, ey;
    site_half_extent(o->width_40x, o->height_40x, max_theta, &ex, &ey);
    if (o->sites_per_tile > 0 &&
        (2.0 * (ex + SYNTH_SITE_MARGIN_10X) > o->width_10x || 2.0 * (ey + SYNTH_SITE_MARGIN_10X) > o->height_10x))
        return ns_error_set(err, NS_ERR_INVALID,
                            "synthetic plate: a %dx%d 40X site (%.0fx%.0f 10X px) does not fit in a %dx%d 10X tile "
                            "with a %.0f px margin", o->width_40x, o->height_40x, 2.0 * ex, 2.0 * ey,
                            o->width_10x, o->height_10x, SYNTH_SITE_MARGIN_10X);
    l->tiles = o->tiles_10x;
    l->sites = o->tiles_10x * o->sites_per_tile;
    l->tile_to_well = calloc((size_t)l->tiles, sizeof *l->tile_to_well);
    l->site_to_well = calloc((size_t)(l->sites ? l->sites : 1), sizeof *l->site_to_well);
    l->site_tile = calloc((size_t)(l->sites ? l->sites : 1), sizeof *l->site_tile);
    if (!l->tile_to_well || !l->site_to_well || !l->site_tile) {
        synth_plate_layout_free(l);
        return ns_error_set(err, NS_ERR_NOMEM, "synthetic plate: out of memory (layout)");
    }

    int cols = (int)ceil(sqrt((double)o->tiles_10x));
    /* Abutting to ~3% overlap; at least 3 px so the jitter never opens a gap. */
    double step_x = o->width_10x - synth_rng_range(rng, 3.0, 3.0 + 0.03 * o->width_10x);
    double step_y = o->height_10x - synth_rng_range(rng, 3.0, 3.0 + 0.03 * o->height_10x);
    l->x0 = l->y0 = INFINITY;
    l->x1 = l->y1 = -INFINITY;
    for (int t = 0; t < l->tiles; t++) {
        double ox = (t % cols) * step_x + synth_rng_range(rng, -1.0, 1.0);
        double oy = (t / cols) * step_y + synth_rng_range(rng, -1.0, 1.0);
        synth_affine a = {{1.0, 0.0, ox, 0.0, 1.0, oy}};
        l->tile_to_well[t] = a;
        if (ox < l->x0) l->x0 = ox;
        if (oy < l->y0) l->y0 = oy;
        if (ox + o->width_10x > l->x1) l->x1 = ox + o->width_10x;
        if (oy + o->height_10x > l->y1) l->y1 = oy + o->height_10x;
    }
    /* Nuclei just outside the tiles still reach in with their edges. */
    double pad = 2.0 * o->diameter_10x;
    l->x0 -= pad;
    l->y0 -= pad;
    l->x1 += pad;
    l->y1 += pad;

    double s40 = 1.0 / SYNTH_SCALE_40X_PER_10X;
    for (int s = 0; s < l->sites; s++) {
        int t = s / o->sites_per_tile;
        double theta = synth_rng_range(rng, -max_theta, max_theta);
        site_half_extent(o->width_40x, o->height_40x, theta, &ex, &ey);
        /* Site centre in the tile's pixel frame, margin kept on every side. */
        double cx = synth_rng_range(rng, SYNTH_SITE_MARGIN_10X + ex, o->width_10x - SYNTH_SITE_MARGIN_10X - ex);
        double cy = synth_rng_range(rng, SYNTH_SITE_MARGIN_10X + ey, o->height_10x - SYNTH_SITE_MARGIN_10X - ey);
        const double *tm = l->tile_to_well[t].m;
        double wx = tm[2] + cx, wy = tm[5] + cy; /* 10X tiles are unrotated */
        double c = cos(theta), sn = sin(theta);
        /* well = R^T p / 4 + origin, with the 40X image centre landing on (wx, wy). */
        double pcx = 0.5 * (o->width_40x - 1), pcy = 0.5 * (o->height_40x - 1);
        double a = c * s40, b = sn * s40, cc = -sn * s40, d = c * s40;
        synth_affine m = {{a, b, wx - (a * pcx + b * pcy), cc, d, wy - (cc * pcx + d * pcy)}};
        l->site_to_well[s] = m;
        l->site_tile[s] = t;
    }
    return NS_OK;
}

void synth_plate_layout_free(synth_plate_layout *l)
{
    free(l->tile_to_well);
    free(l->site_to_well);
    free(l->site_tile);
    memset(l, 0, sizeof *l);
}
