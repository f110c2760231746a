/* reduced_grid.h — internal: large nuclei are segmented on a grid reduced by an
 * integer factor f (block means), and their labels drawn back at full resolution. */
#ifndef NUCSEG_SEGMENT_REDUCED_GRID_H
#define NUCSEG_SEGMENT_REDUCED_GRID_H

#include "segment/grid.h"

/* The image reduced by f (block means) into a new *reduced (the caller owns it, also
 * on failure), and its foreground into the new grid g. The one way every reduced grid
 * is made: the diameter glances and the working grid of large nuclei. */
ns_status ns_reduced_foreground(const grid_input *full_in, int f, double sigma, const ns_segment_params *p,
                                double diameter, grid *g, float **reduced, ns_error *err);

/* Labels of a reduced grid back at full resolution. Boundaries come from the
 * reduced image (block means: already smooth) interpolated bilinearly and
 * thresholded at full resolution, so outlines are smooth; which nucleus a pixel
 * belongs to comes from its cell (or the nearest labelled neighbour cell on a
 * boundary). Returns labels compacted to 1..count (a tiny object can vanish at
 * full resolution), `bytes` bytes each (2 when the reduced grid's nlab fit 16 bits),
 * and the nuclei measured on img as each row is made: a 40X image's labels are
 * written once and never read back. */
ns_status ns_upsample_labels(const grid *g, const float *intensity, int f, int w, int h, void *labels,
                             int bytes, size_t nlab, const ns_image *img, size_t *count, ns_nucleus **nuclei,
                             ns_error *err);

#endif
