/* gaussian.h — the blur of the pipeline, which also counts the histogram that
 * Otsu's threshold needs, row by row while each row is in cache. */
#ifndef NUCSEG_SEGMENT_GAUSSIAN_H
#define NUCSEG_SEGMENT_GAUSSIAN_H

#include "nucseg/error.h"
#include "segment/histogram.h"

/* ns_gaussian_blur, and every output pixel counted into hist (when not NULL). */
ns_status ns_gaussian_blur_counted(const float *in, float *out, int w, int h, double sigma, ns_hist256 *hist,
                                   ns_error *err);

/* Where the blur's input rows come from when there is no input image: make(ctx, y,
 * row) writes row y (w floats). Rows are asked for in increasing order, each once. */
typedef struct {
    void (*make)(const void *ctx, int y, float *row);
    const void *ctx;
} ns_row_maker;

/* ns_gaussian_blur_counted of the image whose rows src makes. Only the 2r + 1 rows
 * under the kernel are held (a few tens of KiB), not a whole input image. */
ns_status ns_gaussian_blur_rows(const ns_row_maker *src, float *out, int w, int h, double sigma,
                                ns_hist256 *hist, ns_error *err);

#endif
