/* gaussian.h — the blur of the pipeline, which also counts the histogram that
 * Otsu's threshold needs, row by row while each row is in cache. */
#ifndef NUCSEG_SEGMENT_GAUSSIAN_H
#define NUCSEG_SEGMENT_GAUSSIAN_H

#include "nucseg/error.h"
#include "segment/histogram.h"

/* ns_gaussian_blur, and every output pixel counted into hist (when not NULL). */
ns_status ns_gaussian_blur_counted(const float *in, float *out, int w, int h, double sigma, ns_hist256 *hist,
                                   ns_error *err);

#endif
