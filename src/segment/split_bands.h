/* split_bands.h — seeds, watershed and merging, a band of rows at a time. */
#ifndef NUCSEG_SEGMENT_SPLIT_BANDS_H
#define NUCSEG_SEGMENT_SPLIT_BANDS_H

#include <stddef.h>
#include <stdint.h>
#include "nucseg/error.h"
#include "nucseg/segment.h"
#include "segment/component_runs.h"
#include "util/idle_cores.h"

/* The labelled foreground to split, and how. */
typedef struct {
    int w, h;
    const ns_component_runs *comp; /* the foreground's components */
    const float *landscape;   /* the watershed's landscape over the image, or NULL: then each band
                                 makes its own, the EDT weighted by sqrtf(weight * scale) */
    const uint16_t *weight;   /* 16-bit (gaussian.h) */
    float scale;
    double min_distance;      /* ns_find_seeds */
    double h_abs, h_rel, min_area, max_area; /* ns_merge_regions */
    ns_idle_cores *idle;      /* cores lent for bands (util/idle_cores.h), or NULL */
} ns_split_input;

/* Whether a w x h grid is worth splitting in bands (see split_bands.c); smaller grids
 * fit the cache whole. */
int ns_split_use_bands(int w, int h);

/* The split of a whole image, its labels still packed run by run (the label image
 * is written by ns_split_bands_paint: its memory can be the weight's, done with by then). */
typedef struct {
    const ns_component_runs *comp; /* the runs the labels follow (the caller's, kept alive) */
    int w, h;
    uint32_t *packed;   /* the foreground's labels, run after run, numbered within their band (0: dropped) */
    size_t *run_start;  /* per run of comp: where its labels start in packed */
    uint32_t *base;     /* per component: the labels its band's come after */
    size_t count;       /* labels */
} ns_split_bands;

/* ns_find_seeds, ns_watershed_markers_in_mask and ns_merge_regions over the whole
 * image, run on a few components at a time, in a crop of the rows they span: every
 * array the three touch at random then fits the cache. Bands are independent: they
 * run on idle cores too when there are any (util/par_for.h), with the same result. */
ns_status ns_split_in_bands(const ns_split_input *in, ns_split_bands *out, ns_error *err);
/* The same with bands of components whose first rows span rows_per_band rows (the
 * tests use small bands to make many of them). */
ns_status ns_split_in_bands_of(const ns_split_input *in, size_t rows_per_band, ns_split_bands *out, ns_error *err);
/* The label image those three give over the whole image (1..count, raster order of
 * first pixel) into labels (w*h pixels of type NS_PIXEL_U32, or NS_PIXEL_U16 when
 * count <= 65535: half the memory to write and read back; written in full). With
 * nuclei non-NULL, also ns_measure_nuclei(labels, measure) into *nuclei (the caller
 * frees it), measured while the labels are written instead of read back. */
ns_status ns_split_bands_paint(const ns_split_bands *s, void *labels, ns_pixel_type type, const ns_image *measure,
                               ns_nucleus **nuclei, ns_error *err);
void ns_split_bands_free(ns_split_bands *s);

#endif
