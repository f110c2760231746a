/* threshold.c — global (Otsu) and local (box mean) foreground thresholds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nucseg/imgproc.h"
#include "segment/gaussian.h"
#include "segment/histogram.h"
#include "segment/threshold.h"

void ns_hist256_init(ns_hist256 *h, float lo, float hi)
{
    memset(h->count, 0, sizeof h->count);
    h->lo = lo;
    h->hi = hi;
    h->scale = (float)NS_HIST_BINS / (hi - lo);
}

void ns_hist256_add(ns_hist256 *h, const float *v, size_t n)
{
    const float lo = h->lo, scale = h->scale;
    /* Bins are computed a block at a time (a loop that vectorises), then counted. */
    enum { BLOCK = 512 };
    uint8_t bin[BLOCK];
    for (size_t i0 = 0; i0 < n; i0 += BLOCK) {
        size_t m = n - i0 < BLOCK ? n - i0 : BLOCK;
        const float *vb = v + i0;
        for (size_t k = 0; k < m; k++) {
            int b = (int)((vb[k] - lo) * scale);
            bin[k] = (uint8_t)(b < 0 ? 0 : b >= NS_HIST_BINS ? NS_HIST_BINS - 1 : b);
        }
        size_t k = 0;
        for (; k + 4 <= m; k += 4) {
            h->count[0][bin[k]]++; h->count[1][bin[k + 1]]++;
            h->count[2][bin[k + 2]]++; h->count[3][bin[k + 3]]++;
        }
        for (; k < m; k++) h->count[0][bin[k]]++;
    }
}

double ns_hist256_otsu(const ns_hist256 *h)
{
    enum { BINS = NS_HIST_BINS };
    double hist[BINS];
    for (int b = 0; b < BINS; b++)
        hist[b] = (double)h->count[0][b] + h->count[1][b] + h->count[2][b] + h->count[3][b];
    /* Maximise the between-class variance w0 w1 (m0 - m1)^2. */
    double total = 0.0, sum_all = 0.0;
    for (int b = 0; b < BINS; b++) { total += hist[b]; sum_all += b * hist[b]; }
    if (total == 0.0) return h->lo;
    double w0 = 0.0, sum0 = 0.0, best = -1.0;
    int best_b = 0;
    for (int b = 0; b < BINS - 1; b++) {
        w0 += hist[b];
        sum0 += b * hist[b];
        double w1 = total - w0;
        if (w0 <= 0.0 || w1 <= 0.0) continue;
        double m0 = sum0 / w0, m1 = (sum_all - sum0) / w1;
        double between = w0 * w1 * (m0 - m1) * (m0 - m1);
        if (between > best) { best = between; best_b = b; }
    }
    /* Pixels in bins <= best_b are background: the threshold is that bin's upper edge. */
    return h->lo + (double)(best_b + 1) / h->scale;
}

double ns_otsu_threshold(const float *v, size_t n, float lo, float hi)
{
    if (!(hi > lo) || n == 0) return lo;
    ns_hist256 h;
    ns_hist256_init(&h, lo, hi);
    ns_hist256_add(&h, v, n);
    return ns_hist256_otsu(&h);
}

/* Value i of either representation (the branch is the same every time: predicted). */
static inline double value_at(const float *vf, const uint16_t *vq, size_t i)
{
    return vf ? (double)vf[i] : (double)vq[i] * (1.0 / NS_Q16_ONE);
}

static ns_status local_threshold(const float *vf, const uint16_t *vq, int w, int h, int r, double scale,
                                 double floor, uint8_t *mask, ns_error *err)
{
    /* Summed-area table: every box mean in O(1). */
    size_t W = (size_t)w + 1;
    double *sat = calloc(W * (size_t)(h + 1), sizeof *sat);
    if (!sat) return ns_error_set(err, NS_ERR_NOMEM, "local threshold: out of memory (%dx%d)", w, h);
    for (int y = 0; y < h; y++) {
        double rowsum = 0.0;
        for (int x = 0; x < w; x++) {
            rowsum += value_at(vf, vq, (size_t)y * w + x);
            sat[(size_t)(y + 1) * W + x + 1] = sat[(size_t)y * W + x + 1] + rowsum;
        }
    }
    for (int y = 0; y < h; y++) {
        int y0 = y - r < 0 ? 0 : y - r, y1 = y + r + 1 > h ? h : y + r + 1;
        for (int x = 0; x < w; x++) {
            int x0 = x - r < 0 ? 0 : x - r, x1 = x + r + 1 > w ? w : x + r + 1;
            double s = sat[(size_t)y1 * W + x1] - sat[(size_t)y0 * W + x1]
                     - sat[(size_t)y1 * W + x0] + sat[(size_t)y0 * W + x0];
            double mean = s / ((double)(y1 - y0) * (double)(x1 - x0));
            double p = value_at(vf, vq, (size_t)y * w + x);
            /* Compared as floats, as the float image always was. */
            mask[(size_t)y * w + x] = (float)p > mean * scale && (float)p > floor;
        }
    }
    free(sat);
    return NS_OK;
}

ns_status ns_local_threshold(const float *v, int w, int h, int r, double scale, double floor,
                             uint8_t *mask, ns_error *err)
{
    return local_threshold(v, NULL, w, h, r, scale, floor, mask, err);
}

ns_status ns_local_threshold_q16(const uint16_t *v, int w, int h, int r, double scale, double floor,
                                 uint8_t *mask, ns_error *err)
{
    return local_threshold(NULL, v, w, h, r, scale, floor, mask, err);
}
