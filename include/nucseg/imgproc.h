/* imgproc.h — the image algorithms under ns_segment, exposed so that tests can
 * check each against a slow reference and benchmarks can time each alone.
 *
 * All work on single-plane float or label buffers of w*h pixels, row-major.
 * None allocates more than O(w*h) scratch; none keeps state between calls. */
#ifndef NUCSEG_IMGPROC_H
#define NUCSEG_IMGPROC_H

#include <stddef.h>
#include <stdint.h>
#include "nucseg/error.h"
#include "nucseg/image.h"

/* Robust rescale of any plane to float: (v - p_lo) / (p_hi - p_lo), clipped to [0, 1],
 * with p_lo / p_hi the given percentiles (e.g. 0.5 and 99.9). out: w*h floats. */
ns_status ns_normalize(const ns_image *img, double pct_lo, double pct_hi, float *out, ns_error *err);

/* The same rescaling in two steps, for callers that want rows rather than a whole
 * float copy of the image: the percentiles once, then any row on demand (the values
 * are exactly those ns_normalize writes). */
typedef struct {
    float lo, scale; /* out = clip((v - lo) * scale, 0, 1) */
    /* The same in double, for float images: their range may lie anywhere float
     * reaches (1e-40 or 1e38), where 1 / (hi - lo) or v - lo leave float's range. */
    double lo_d, scale_d;
} ns_norm_map;
ns_status ns_normalize_map(const ns_image *img, double pct_lo, double pct_hi, ns_norm_map *map, ns_error *err);
/* Row y of img, rescaled, into out (img->width floats). */
void ns_normalize_row(const ns_image *img, const ns_norm_map *map, int y, float *out);

/* Separable Gaussian blur, σ in px, mirrored borders. in and out may not alias. */
ns_status ns_gaussian_blur(const float *in, float *out, int w, int h, double sigma, ns_error *err);

/* Otsu's threshold over a 256-bin histogram of values in [lo, hi]. Returns the
 * threshold in the input's units (between two bin centres). */
double ns_otsu_threshold(const float *v, size_t n, float lo, float hi);

/* mask[i] = v[i] > local mean over a (2r+1)^2 box * scale, and > floor. */
ns_status ns_local_threshold(const float *v, int w, int h, int r, double scale, double floor,
                             uint8_t *mask, ns_error *err);

/* Fill holes: background pixels (0) not 4-connected to the image border become
 * foreground (1); foreground is any nonzero value and is left as it is. */
ns_status ns_fill_holes(uint8_t *mask, int w, int h, ns_error *err);

/* Connected components of mask != 0 (8-connectivity), labels 1..N in raster order of
 * first pixel. Returns N in *count. labels: w*h. */
ns_status ns_label_components(const uint8_t *mask, int w, int h, uint32_t *labels, size_t *count,
                              ns_error *err);

/* Exact Euclidean distance from every foreground pixel (mask != 0) to the nearest
 * background pixel; background = 0. Outside the image counts as foreground (as SciPy's
 * distance_transform_edt). dist: w*h floats. */
ns_status ns_distance_transform(const uint8_t *mask, int w, int h, float *dist, ns_error *err);

/* Seeds: local maxima of `height` inside `components` (3x3, plateaus allowed), kept in
 * descending height unless an accepted seed of the same component lies within
 * min_distance. Every component gets at least one seed. markers: w*h, 0 or 1..N. */
ns_status ns_find_seeds(const float *height, const uint32_t *components, int w, int h,
                        double min_distance, uint32_t *markers, size_t *count, ns_error *err);

/* Seeded watershed: flood `height` from the markers in descending order of height
 * (i.e. the watershed of -height), restricted to mask != 0, 4-connected, one
 * connected component (labels 1..ncomponents in `components`) at a time. labels:
 * w*h output, may be the markers buffer itself (in place). Mask pixels not
 * reachable from a marker stay 0. */
ns_status ns_watershed(const float *height, const uint8_t *mask, const uint32_t *components,
                       size_t ncomponents, const uint32_t *markers, int w, int h, uint32_t *labels,
                       ns_error *err);

/* Merge adjacent watershed regions whose separating saddle is shallow: regions A, B
 * with peaks pA, pB (max of height over each) and saddle s (max over their shared
 * boundary of the lower height of the two sides) merge when
 *     min(pA, pB) - s < max(h_abs, h_rel * min(pA, pB)),
 * processed from the highest saddle down (the dynamics of each maximum). Then regions
 * smaller than min_area merge into the neighbour with the highest saddle, or are
 * removed when they have none; regions above max_area (> 0) are removed.
 * Relabels 1..N (raster order of first pixel) and returns N in *count. */
ns_status ns_merge_regions(uint32_t *labels, const float *height, int w, int h, size_t nlabels,
                           double h_abs, double h_rel, double min_area, double max_area,
                           size_t *count, ns_error *err);

#endif
