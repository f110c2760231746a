/* gaussian.c — separable Gaussian blur.
 *
 * Both passes loop over taps outside and pixels inside, over contiguous rows,
 * so the compiler vectorises the inner loop; the horizontal pass works on a
 * row copied into a mirror-padded buffer so no pixel needs a bounds check. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nucseg/imgproc.h"
#include "segment/gaussian.h"

static int mirror(int i, int n)
{
    if (n == 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
    return i;
}

/* dst[x] += k[0] src[0][x], then += k[1] src[1][x], ... for nt (1-3) taps, in that
 * order (the sums round exactly as one tap at a time would), with one load and
 * store of dst per group of taps instead of per tap. */
static void add_taps(float *restrict dst, const float *const *src, const float *k, int nt, int w)
{
    const float *restrict s0 = src[0];
    const float k0 = k[0];
    if (nt == 1) {
        for (int x = 0; x < w; x++) dst[x] += k0 * s0[x];
        return;
    }
    const float *restrict s1 = src[1];
    const float k1 = k[1];
    if (nt == 2) {
        for (int x = 0; x < w; x++) {
            float d = dst[x] + k0 * s0[x];
            dst[x] = d + k1 * s1[x];
        }
        return;
    }
    const float *restrict s2 = src[2];
    const float k2 = k[2];
    for (int x = 0; x < w; x++) {
        float d = dst[x] + k0 * s0[x];
        d = d + k1 * s1[x];
        dst[x] = d + k2 * s2[x];
    }
}

ns_status ns_gaussian_blur(const float *in, float *out, int w, int h, double sigma, ns_error *err)
{
    return ns_gaussian_blur_counted(in, out, w, h, sigma, NULL, err);
}

/* Input rows for the vertical pass: an image in memory, or a maker's rows kept in a
 * ring of 2r + 1 slots (row m in slot m mod (2r + 1)). Output row y needs rows
 * mirror(y - r .. y + r), all within [y - r, y + r]; rows are made up to y + r, which
 * evicts only rows below y - r, so every row of this output row stays in place. */
typedef struct {
    const float *image;      /* whole input, or NULL */
    const ns_row_maker *maker;
    float *ring;
    int slots, made, w;
} row_source;

static inline __attribute__((always_inline)) const float *source_row(row_source *s, int m)
{
    if (s->image) return s->image + (size_t)m * s->w;
    while (s->made <= m) {
        s->maker->make(s->maker->ctx, s->made, s->ring + (size_t)(s->made % s->slots) * s->w);
        s->made++;
    }
    return s->ring + (size_t)(m % s->slots) * s->w;
}

/* A finished row of floats in [0, 1] (up to rounding) as 16-bit fixed point. */
static void quantise_row(const float *restrict v, uint16_t *restrict q, int w)
{
    /* Through int32, clamped there: a float clamp first would stop the vectoriser. */
    for (int x = 0; x < w; x++) {
        int32_t t = (int32_t)(v[x] * NS_Q16_ONE + 0.5f);
        q[x] = (uint16_t)(t < (int32_t)NS_Q16_ONE ? t : (int32_t)NS_Q16_ONE);
    }
}

/* Into floats (out) or, with q16 non-NULL, 16-bit fixed point (each row made in a
 * scratch row of floats, counted, then quantised). */
static ns_status blur(row_source *src, float *out, uint16_t *q16, int w, int h, double sigma, ns_hist256 *hist,
                      ns_error *err)
{
    float *scratch = q16 ? malloc((size_t)w * sizeof *scratch) : NULL;
    if (q16 && !scratch) return ns_error_set(err, NS_ERR_NOMEM, "gaussian blur: out of memory (%dx%d)", w, h);
    if (sigma <= 0.0) {
        for (int y = 0; y < h; y++) {
            float *row = q16 ? scratch : out + (size_t)y * w;
            if (src->image) memcpy(row, src->image + (size_t)y * w, (size_t)w * sizeof *row);
            else src->maker->make(src->maker->ctx, y, row);
            if (hist) ns_hist256_add(hist, row, (size_t)w);
            if (q16) quantise_row(row, q16 + (size_t)y * w, w);
        }
        free(scratch);
        return NS_OK;
    }
    int r = (int)ceil(3.0 * sigma);
    float *k = malloc((size_t)(2 * r + 1) * sizeof *k);
    float *pad = malloc((size_t)(w + 2 * r) * sizeof *pad);
    float *ring = src->image ? NULL : malloc((size_t)(2 * r + 1) * (size_t)w * sizeof *ring);
    if (!k || !pad || (!src->image && !ring)) {
        free(k); free(pad); free(ring); free(scratch);
        return ns_error_set(err, NS_ERR_NOMEM, "gaussian blur: out of memory (%dx%d)", w, h);
    }
    src->ring = ring;
    src->slots = 2 * r + 1;
    double sum = 0.0;
    for (int i = -r; i <= r; i++) sum += exp(-0.5 * i * i / (sigma * sigma));
    for (int i = -r; i <= r; i++) k[i + r] = (float)(exp(-0.5 * i * i / (sigma * sigma)) / sum);

    /* Row by row, both passes: the vertical one into out row y (sum_j k[j] * in row
     * mirror(y + j - r)), then the horizontal one over that row in place while it is
     * still in cache (the row is copied into a mirror-padded buffer first, so no
     * image-sized temporary is needed), then the row's histogram counts. */
    for (int y = 0; y < h; y++) {
        float *restrict dst = q16 ? scratch : out + (size_t)y * w;
        if (!src->image) source_row(src, y + r < h ? y + r : h - 1); /* the window's rows made first */
        const float *restrict src0 = source_row(src, mirror(y - r, h));
        for (int x = 0; x < w; x++) dst[x] = k[0] * src0[x];
        for (int j = 1; j <= 2 * r; j += 3) {
            int nt = 2 * r - j + 1 < 3 ? 2 * r - j + 1 : 3;
            const float *taps[3] = {source_row(src, mirror(y + j - r, h)), NULL, NULL};
            for (int t = 1; t < nt; t++) taps[t] = source_row(src, mirror(y + j + t - r, h));
            add_taps(dst, taps, k + j, nt, w);
        }
        for (int i = 0; i < r; i++) pad[i] = dst[mirror(i - r, w)];
        memcpy(pad + r, dst, (size_t)w * sizeof *pad);
        for (int i = w + r; i < w + 2 * r; i++) pad[i] = pad[r + mirror(i - r, w)];
        for (int x = 0; x < w; x++) dst[x] = k[0] * pad[x];
        for (int j = 1; j <= 2 * r; j += 3) {
            const float *taps[3] = {pad + j, pad + j + 1, pad + j + 2};
            add_taps(dst, taps, k + j, 2 * r - j + 1 < 3 ? 2 * r - j + 1 : 3, w);
        }
        if (hist) ns_hist256_add(hist, dst, (size_t)w);
        if (q16) quantise_row(dst, q16 + (size_t)y * w, w);
    }
    free(k); free(pad); free(ring); free(scratch);
    src->ring = NULL;
    return NS_OK;
}

ns_status ns_gaussian_blur_counted(const float *in, float *out, int w, int h, double sigma, ns_hist256 *hist,
                                   ns_error *err)
{
    row_source src = {.image = in, .w = w};
    return blur(&src, out, NULL, w, h, sigma, hist, err);
}

ns_status ns_gaussian_blur_q16(const float *in, uint16_t *out, int w, int h, double sigma, ns_hist256 *hist,
                               ns_error *err)
{
    row_source src = {.image = in, .w = w};
    return blur(&src, NULL, out, w, h, sigma, hist, err);
}

ns_status ns_gaussian_blur_rows_q16(const ns_row_maker *maker, uint16_t *out, int w, int h, double sigma,
                                    ns_hist256 *hist, ns_error *err)
{
    row_source src = {.maker = maker, .w = w};
    return blur(&src, NULL, out, w, h, sigma, hist, err);
}
