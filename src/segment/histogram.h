/* histogram.h — the 256-bin histogram behind Otsu's threshold, filled in pieces so
 * that the blur can count each row while it is still in cache (no separate pass
 * over the smoothed image). */
#ifndef NUCSEG_SEGMENT_HISTOGRAM_H
#define NUCSEG_SEGMENT_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define NS_HIST_BINS 256

/* Four interleaved integer histograms: no dependency chain between consecutive
 * increments of the same bin. Bin of v: (int)((v - lo) * scale), clamped, with
 * scale = NS_HIST_BINS / (hi - lo). */
typedef struct {
    uint32_t count[4][NS_HIST_BINS];
    float lo, hi, scale;
} ns_hist256;

/* An empty histogram of the range [lo, hi] (hi > lo). */
void ns_hist256_init(ns_hist256 *h, float lo, float hi);
/* Count n more values. */
void ns_hist256_add(ns_hist256 *h, const float *v, size_t n);
/* Otsu's threshold of what was counted: the upper edge of the last background bin
 * (lo when nothing was counted). */
double ns_hist256_otsu(const ns_hist256 *h);

#endif
