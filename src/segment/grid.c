/* grid.c — the working grid's buffers and its foreground (see grid.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "segment/distance.h"
#include "segment/gaussian.h"
#include "segment/grid.h"
#include "segment/split_bands.h"
#include "segment/threshold.h"

#define OTSU_FACTOR 0.85

static void normalised_row(const void *ctx, int y, float *row)
{
    const grid_input *in = ctx;
    ns_normalize_row(in->img, in->map, y, row);
}

/* Row y of in (w wide): in place, or made into scratch. */
const float *ns_grid_input_row(const grid_input *in, int w, int y, float *scratch)
{
    if (in->floats) return in->floats + (size_t)y * w;
    ns_normalize_row(in->img, in->map, y, scratch);
    return scratch;
}

/* Smooth, threshold, fill holes, label, distance transform, into the grid's buffers.
 * With the diameter known (the grid that will be split, not a glance to estimate it)
 * and objects to split, the distance transform weights each row as it finishes it,
 * leaving the watershed's landscape in edt without another pass over the image. */
ns_status ns_grid_foreground(const grid_input *in, double sigma, const ns_segment_params *p, double diameter,
                             grid *g, ns_error *err)
{
    int w = g->w, h = g->h;
    size_t n = (size_t)w * (size_t)h;
    uint16_t *smooth = g->smooth;
    uint8_t *mask = g->mask;
    ns_hist256 hist;
    ns_hist256_init(&hist, 0.0f, 1.0f);
    ns_row_maker maker = {normalised_row, in};
    ns_status st = in->floats ? ns_gaussian_blur_q16(in->floats, smooth, w, h, sigma, &hist, err)
                              : ns_gaussian_blur_rows_q16(&maker, smooth, w, h, sigma, &hist, err);
    if (st != NS_OK) return st;
    double t = ns_hist256_otsu(&hist) * OTSU_FACTOR * p->threshold_scale;
    g->thr = t;
    uint16_t top = 0; /* the brightest smoothed foreground pixel */
    if (p->threshold == NS_THRESHOLD_LOCAL) {
        /* Local mean over ~2 diameters; Otsu's half as a floor keeps flat background out. */
        int r = (int)ceil(diameter > 0 ? diameter : NS_DEFAULT_DIAMETER);
        st = ns_local_threshold_q16(smooth, w, h, r, p->threshold_scale, 0.5 * t, mask, err);
        if (st != NS_OK) return st;
        for (size_t i = 0; i < n; i++)
            if (mask[i] && smooth[i] > top) top = smooth[i];
    } else {
        /* smooth / NS_Q16_ONE > t, for whole numbers smooth: smooth > floor(t * NS_Q16_ONE). */
        double tq = floor(t * NS_Q16_ONE);
        const int32_t tqi = tq < -1.0 ? -1 : tq > NS_Q16_ONE ? (int32_t)NS_Q16_ONE : (int32_t)tq;
        /* With the mask, in the same pass: the brightest foreground pixel, which is the
         * brightest pixel when there is any foreground (everything else is below the
         * threshold); without foreground it is never used. */
        for (size_t i = 0; i < n; i++) {
            mask[i] = (int32_t)smooth[i] > tqi;
            top = smooth[i] > top ? smooth[i] : top;
        }
    }
    g->bmax = top > 0 ? (float)top : 1e-6f * NS_Q16_ONE;
    if ((st = ns_fill_holes(mask, w, h, err)) != NS_OK) return st;
    ns_component_runs_free(&g->runs); /* from an earlier foreground of this grid, if any */
    if ((st = ns_component_runs_find(mask, w, h, &g->runs, err)) != NS_OK) return st;
    g->ncomp = g->runs.count;
    g->landscape = diameter > 0 && p->split_touching;
    /* A grid split in bands paints its components and makes its landscape band by band
     * (split_bands.c): no image-sized component or distance image at all. The diameter
     * estimate and the whole-image split need both. */
    if (g->landscape && ns_split_use_bands(w, h)) {
        free(g->edt);
        free(g->comp);
        g->edt = NULL;
        g->comp = NULL;
        return NS_OK;
    }
    if (!g->comp && !(g->comp = malloc(n * sizeof *g->comp)))
        return ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for a %dx%d image", w, h);
    ns_component_runs_paint(&g->runs, w, h, g->comp);
    if (!g->edt && !(g->edt = malloc(n * sizeof *g->edt)))
        return ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for a %dx%d image", w, h);
    return ns_distance_transform_weighted(mask, w, h, g->landscape ? smooth : NULL, ns_grid_landscape_scale(g), g->edt,
                                          err);
}

ns_status ns_grid_alloc(grid *g, int w, int h, ns_error *err)
{
    size_t n = (size_t)w * (size_t)h;
    memset(g, 0, sizeof *g);
    g->w = w;
    g->h = h;
    g->smooth = malloc(n * sizeof *g->smooth);
    g->mask = malloc(n);
    /* labels comes later (split_objects), into memory freed by then: a smaller
     * working set per image keeps two workers from evicting each other's cache. */
    /* comp and edt come with the foreground, when they are needed (ns_grid_foreground()). */
    if (!g->smooth || !g->mask)
        return ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for a %dx%d image", w, h);
    return NS_OK;
}

void ns_grid_free(grid *g)
{
    free(g->smooth); free(g->edt); free(g->mask); free(g->comp); free(g->labels); free(g->labels16);
    free(g->nuclei);
    ns_component_runs_free(&g->runs);
    memset(g, 0, sizeof *g);
}
