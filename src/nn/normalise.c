/* normalise.c — the network's intensity normalisation (train/nuclei_net.py, normalise):
 * lo and hi are the pixels at ranks floor(pct / 100 * (n - 1)) of the whole image's
 * sorted values, and x = ((float)v - (float)lo) * (float)(1 / (hi - lo)) in float32,
 * 1 for a flat image. Exact, as the training script computes it: a histogram for
 * 8- and 16-bit images, a selection over a copy for 32-bit and float ones.
 * Non-finite float pixels count as 0 (nothing to learn from them). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "nn/nn_internal.h"

static size_t rank_of(double pct, size_t n)
{
    return (size_t)floor(pct / 100.0 * (double)(n - 1));
}

static double hist_rank(const uint32_t *hist, size_t bins, size_t rank)
{
    size_t acc = 0;
    for (size_t v = 0; v < bins; v++) {
        acc += hist[v];
        if (acc > rank) return (double)v;
    }
    return (double)(bins - 1);
}

static float pixel_f32(const ns_image *img, size_t i)
{
    float v;
    switch (img->type) {
    case NS_PIXEL_U8: return (float)((const uint8_t *)img->data)[i];
    case NS_PIXEL_U16: return (float)((const uint16_t *)img->data)[i];
    case NS_PIXEL_U32: return (float)((const uint32_t *)img->data)[i];
    default: v = ((const float *)img->data)[i]; return isfinite(v) ? v : 0.0f;
    }
}

/* The value of rank k of v[0..n) (Hoare's selection; v is reordered). */
static double select_rank(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return v[k];
    }
    return v[k];
}

ns_status nn_normalise_map(const ns_nn *net, const ns_image *img, nn_norm *out, ns_error *err)
{
    const size_t n = (size_t)img->width * (size_t)img->height;
    if (n == 0) return ns_error_set(err, NS_ERR_EMPTY, "%s: empty image", net->name);
    const size_t rank_lo = rank_of(net->norm_lo_pct, n), rank_hi = rank_of(net->norm_hi_pct, n);
    double lo, hi;
    if (img->type == NS_PIXEL_U8 || img->type == NS_PIXEL_U16) {
        const size_t bins = img->type == NS_PIXEL_U8 ? 256 : 65536;
        uint32_t *hist = calloc(bins, sizeof *hist);
        if (!hist) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", net->name);
        if (img->type == NS_PIXEL_U8) {
            const uint8_t *p = img->data;
            for (size_t i = 0; i < n; i++) hist[p[i]]++;
        } else {
            const uint16_t *p = img->data;
            for (size_t i = 0; i < n; i++) hist[p[i]]++;
        }
        lo = hist_rank(hist, bins, rank_lo);
        hi = hist_rank(hist, bins, rank_hi);
        free(hist);
    } else {
        /* float32 values (what numpy sorts for F32; U32 as the doubles they are). */
        double *v = malloc(n * sizeof *v);
        if (!v) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", net->name);
        for (size_t i = 0; i < n; i++)
            v[i] = img->type == NS_PIXEL_U32 ? (double)((const uint32_t *)img->data)[i] : (double)pixel_f32(img, i);
        lo = select_rank(v, n, rank_lo);
        hi = select_rank(v, n, rank_hi);
        free(v);
    }
    out->lo = (float)lo;
    out->scale = hi > lo ? (float)(1.0 / (hi - lo)) : 1.0f;
    return NS_OK;
}

void nn_normalise_row(const ns_image *img, const nn_norm *norm, int y, int x0, int n, float *restrict out)
{
    const size_t base = (size_t)y * (size_t)img->width + (size_t)x0;
    const float lo = norm->lo, scale = norm->scale;
    switch (img->type) {
    case NS_PIXEL_U8: {
        const uint8_t *p = (const uint8_t *)img->data + base;
        for (int i = 0; i < n; i++) out[i] = ((float)p[i] - lo) * scale;
        break;
    }
    case NS_PIXEL_U16: {
        const uint16_t *p = (const uint16_t *)img->data + base;
        for (int i = 0; i < n; i++) out[i] = ((float)p[i] - lo) * scale;
        break;
    }
    default:
        for (int i = 0; i < n; i++) out[i] = (pixel_f32(img, base + (size_t)i) - lo) * scale;
        break;
    }
}
