/* grid.h — internal: the working grid of one ns_segment call (full resolution, or
 * reduced for large nuclei) and its foreground: smooth, threshold, fill holes,
 * components, distance transform. Shared by the pipeline (segment.c), the diameter
 * estimate (diameter.c) and the reduced grid (reduced_grid.c). */
#ifndef NUCSEG_SEGMENT_GRID_H
#define NUCSEG_SEGMENT_GRID_H

#include <stddef.h>
#include <stdint.h>
#include "nucseg/imgproc.h"
#include "nucseg/segment.h"
#include "segment/component_runs.h"

/* The diameter (px) assumed when none is given and none can be measured. */
#define NS_DEFAULT_DIAMETER 10.0

/* Buffers of one working grid (full resolution, or reduced for large nuclei). */
typedef struct {
    int w, h;
    uint16_t *smooth; /* 16-bit fixed point (gaussian.h): half the memory of floats */
    float *edt;
    uint8_t *mask;
    uint32_t *comp, *labels; /* comp: painted from runs when a step needs the image of them */
    uint16_t *labels16;      /* instead of labels: the result's labels, painted 16-bit when they fit */
    int compact_labels;      /* this grid's labels are the result's: 16-bit ones welcome */
    ns_component_runs runs;
    const ns_image *measure; /* the full-resolution grid: its image, measured while the bands paint */
    ns_nucleus *nuclei;      /* ... into this, when they did */
    size_t ncomp;
    double thr;
    float bmax;     /* brightest smoothed foreground pixel, in 16-bit steps (at least 1e-6 of full scale) */
    int landscape;  /* edt already holds the watershed's landscape (see split_objects) */
} grid;

/* The landscape's brightness weight is sqrtf(smooth * ns_grid_landscape_scale(g)): the
 * square root of the brightness relative to the brightest object pixel. */
static inline float ns_grid_landscape_scale(const grid *g)
{
    return 1.0f / g->bmax;
}

/* The image foreground() and the block means work on: floats in memory (a reduced
 * grid, or a small image normalised once), or else the full-resolution image
 * normalised row by row as each pass asks, with no float copy of it made. */
typedef struct {
    const float *floats;
    const ns_image *img;
    const ns_norm_map *map;
} grid_input;

/* Row y of in (w wide): in place, or made into scratch. */
const float *ns_grid_input_row(const grid_input *in, int w, int y, float *scratch);

/* A grid of w x h with its smoothed image and mask allocated (the rest comes later);
 * ns_grid_free frees whatever it holds, also after a failed ns_grid_alloc. */
ns_status ns_grid_alloc(grid *g, int w, int h, ns_error *err);
void ns_grid_free(grid *g);

/* Smooth, threshold, fill holes, label, distance transform, into the grid's buffers.
 * With the diameter known (the grid that will be split, not a glance to estimate it)
 * and objects to split, the distance transform weights each row as it finishes it,
 * leaving the watershed's landscape in edt without another pass over the image. */
ns_status ns_grid_foreground(const grid_input *in, double sigma, const ns_segment_params *p, double diameter,
                             grid *g, ns_error *err);

#endif
