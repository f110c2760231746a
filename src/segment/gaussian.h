/* gaussian.h — the blur of the pipeline, which also counts the histogram that
 * Otsu's threshold needs, row by row while each row is in cache. */
#ifndef NUCSEG_SEGMENT_GAUSSIAN_H
#define NUCSEG_SEGMENT_GAUSSIAN_H

#include <stdint.h>
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

/* The smoothed image as the pipeline keeps it: values in [0, 1] as 16-bit fixed point,
 * v * NS_Q16_ONE rounded. Half the memory of floats, and finer (1.5e-5) than the
 * steps of any input the pipeline sees (a 16-bit camera's range spread over [0, 1]
 * after the percentile rescaling, or 8-bit data's 256 levels). */
#define NS_Q16_ONE 65535.0f

/* ns_gaussian_blur_counted into 16-bit fixed point (hist counts the floats before
 * rounding). */
ns_status ns_gaussian_blur_q16(const float *in, uint16_t *out, int w, int h, double sigma, ns_hist256 *hist,
                               ns_error *err);
/* ns_gaussian_blur_q16 of the image whose rows src makes. Only the 2r + 1 rows under
 * the kernel are held (a few tens of KiB), not a whole input image. */
ns_status ns_gaussian_blur_rows_q16(const ns_row_maker *src, uint16_t *out, int w, int h, double sigma,
                                    ns_hist256 *hist, ns_error *err);

#endif
