/* normalize.c — percentile rescaling to [0, 1], so every later threshold and
 * parameter means the same thing for 8-bit, 16-bit and float images. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nucseg/imgproc.h"

/* Percentile from an integer histogram of n samples. */
static double hist_percentile(const uint32_t *hist, size_t bins, size_t n, double pct)
{
    size_t target = (size_t)(pct / 100.0 * (double)(n - 1));
    size_t acc = 0;
    for (size_t b = 0; b < bins; b++) {
        acc += hist[b];
        if (acc > target) return (double)b;
    }
    return (double)(bins - 1);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

ns_status ns_normalize_map(const ns_image *img, double pct_lo, double pct_hi, ns_norm_map *map, ns_error *err)
{
    size_t n = (size_t)img->width * (size_t)img->height;
    if (n == 0) return ns_error_set(err, NS_ERR_EMPTY, "normalize: empty image");
    double lo, hi;
    if (img->type == NS_PIXEL_U8 || img->type == NS_PIXEL_U16) {
        /* Exact percentiles from a full histogram: one pass, no sort. */
        size_t bins = img->type == NS_PIXEL_U8 ? 256 : 65536;
        uint32_t *hist = calloc(bins, sizeof *hist);
        if (!hist) return ns_error_set(err, NS_ERR_NOMEM, "normalize: out of memory");
        if (img->type == NS_PIXEL_U8) {
            /* Four interleaved histograms: flat background repeats one value, and a
             * single histogram would chain every increment on the one before. */
            uint32_t h4[4][256] = {{0}};
            const uint8_t *p = img->data;
            size_t i = 0;
            for (; i + 4 <= n; i += 4) {
                h4[0][p[i]]++; h4[1][p[i + 1]]++; h4[2][p[i + 2]]++; h4[3][p[i + 3]]++;
            }
            for (; i < n; i++) h4[0][p[i]]++;
            for (int b = 0; b < 256; b++) hist[b] = h4[0][b] + h4[1][b] + h4[2][b] + h4[3][b];
        } else {
            const uint16_t *p = img->data;
            for (size_t i = 0; i < n; i++) hist[p[i]]++;
        }
        lo = hist_percentile(hist, bins, n, pct_lo);
        hi = hist_percentile(hist, bins, n, pct_hi);
        free(hist);
    } else {
        /* Float / 32-bit: percentiles of a regular subsample (at most 64 Ki values). */
        size_t step = n > 65536 ? n / 65536 : 1;
        size_t m = (n + step - 1) / step, k = 0;
        float *s = malloc(m * sizeof *s);
        if (!s) return ns_error_set(err, NS_ERR_NOMEM, "normalize: out of memory");
        for (size_t i = 0; i < n && k < m; i += step) {
            float v = img->type == NS_PIXEL_F32 ? ((const float *)img->data)[i]
                                                : (float)((const uint32_t *)img->data)[i];
            s[k++] = isfinite(v) ? v : 0.0f;
        }
        qsort(s, k, sizeof *s, cmp_float);
        lo = s[(size_t)(pct_lo / 100.0 * (double)(k - 1))];
        hi = s[(size_t)(pct_hi / 100.0 * (double)(k - 1))];
        free(s);
    }
    if (!(hi > lo)) hi = lo + 1.0; /* flat image: everything maps to 0 */
    /* Above 2^53, lo + 1 == lo: a flat image that bright maps to 0 as well. */
    double scale = hi > lo ? 1.0 / (hi - lo) : 0.0;
    map->lo = (float)lo;
    map->scale = (float)scale;
    map->lo_d = lo;
    map->scale_d = scale;
    return NS_OK;
}

void ns_normalize_row(const ns_image *img, const ns_norm_map *map, int y, float *restrict out)
{
    const float flo = map->lo, scale = map->scale;
    size_t n = (size_t)img->width, base = (size_t)y * n;
    switch (img->type) {
    case NS_PIXEL_U8: {
        /* Arithmetic, not a lookup table: it vectorises, and a table lookup per
         * pixel does not. */
        const uint8_t *p = (const uint8_t *)img->data + base;
        for (size_t i = 0; i < n; i++) {
            float v = ((float)p[i] - flo) * scale;
            v = v > 0.0f ? v : 0.0f;
            out[i] = v < 1.0f ? v : 1.0f;
        }
        break;
    }
    case NS_PIXEL_U16: {
        const uint16_t *p = (const uint16_t *)img->data + base;
        for (size_t i = 0; i < n; i++) {
            float v = ((float)p[i] - flo) * scale;
            v = v > 0.0f ? v : 0.0f;
            out[i] = v < 1.0f ? v : 1.0f; /* ternaries vectorise; fminf is a libm call */
        }
        break;
    }
    case NS_PIXEL_U32: {
        const uint32_t *p = (const uint32_t *)img->data + base;
        for (size_t i = 0; i < n; i++) out[i] = fminf(1.0f, fmaxf(0.0f, ((float)p[i] - flo) * scale));
        break;
    }
    case NS_PIXEL_F32: {
        /* In double: a float image's values can be denormal (1/(hi - lo) overflows
         * float) or near FLT_MAX (v - lo overflows); double holds both exactly enough. */
        const float *p = (const float *)img->data + base;
        const double dlo = map->lo_d, dscale = map->scale_d;
        for (size_t i = 0; i < n; i++) {
            double v = isfinite(p[i]) ? ((double)p[i] - dlo) * dscale : 0.0;
            out[i] = (float)(v < 0.0 ? 0.0 : v < 1.0 ? v : 1.0);
        }
        break;
    }
    }
}

ns_status ns_normalize(const ns_image *img, double pct_lo, double pct_hi, float *out, ns_error *err)
{
    ns_norm_map map;
    ns_status st = ns_normalize_map(img, pct_lo, pct_hi, &map, err);
    if (st != NS_OK) return st;
    for (int y = 0; y < img->height; y++) ns_normalize_row(img, &map, y, out + (size_t)y * img->width);
    return NS_OK;
}
