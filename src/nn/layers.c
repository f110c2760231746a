/* layers.c — the network's operations on planar feature maps (nn_internal.h).
 *
 * A convolution is im2col + one SGEMM (OpenBLAS): out[cout][pixels] =
 * W[cout][cin*k*k] x col[cin*k*k][pixels]. The 3x3 ones run over bands of rows, so
 * that col (9 * cin rows of a band's pixels) stays within NN_COL_BUDGET whatever the
 * tile's size, and so that the bias + ReLU pass reads the band while it is still in
 * cache; 1x1 convolutions need no col and run over bands of pixels for the same reason. */
#include <cblas.h>
#include <string.h>

#include "nn/nn_internal.h"

/* 64 Ki floats (256 KiB): stays in L2 between im2col and the GEMM, and still gives GEMMs
 * of >= 256 pixels; measured faster than 32 Ki or 128 Ki..512 Ki, at 256^2 and at 1056^2. */
#define NN_COL_BUDGET ((size_t)1 << 16)
#define NN_PIXEL_BAND 8192

size_t nn_col_floats(const ns_nn *net, int w)
{
    /* At least one row of the widest 3x3 layer at each level. */
    size_t need = NN_COL_BUDGET;
    for (int l = 0; l < NN_LAYERS; l++) {
        const nn_layer *layer = &net->layer[l];
        if (layer->k != 3) continue;
        int level = l <= NN_E1B || l == NN_D1 ? 1 : l <= NN_E2B || l == NN_D2 ? 2 : l <= NN_E3B || l == NN_D3 ? 3 : 4;
        size_t row = (size_t)layer->cin * 9 * (size_t)(w >> level);
        if (row > need) need = row;
    }
    return need;
}

/* Each output row starts as its bias, and the GEMM adds to it (beta 1): OpenBLAS then
 * skips its own pass zeroing C, and a linear layer needs no pass after the GEMM. */
static void fill_bias(float *out, size_t stride, const float *bias, int cout, size_t n)
{
    for (int o = 0; o < cout; o++) {
        float *restrict p = out + (size_t)o * stride;
        const float b = bias[o];
        for (size_t i = 0; i < n; i++) p[i] = b;
    }
}

static void relu(float *out, size_t stride, int cout, size_t n)
{
    for (int o = 0; o < cout; o++) {
        float *restrict p = out + (size_t)o * stride;
        for (size_t i = 0; i < n; i++) p[i] = p[i] > 0.0f ? p[i] : 0.0f;
    }
}

/* col rows (ci, ky, kx) for output rows [y0, y0 + rows): the input shifted by
 * (ky - 1, kx - 1), zero outside the map. */
static void im2col3_band(const float *in, int cin, int h, int w, int y0, int rows, float *col)
{
    const size_t hw = (size_t)h * w, n = (size_t)rows * w;
    for (int ci = 0; ci < cin; ci++) {
        for (int ky = 0; ky < 3; ky++) {
            for (int kx = 0; kx < 3; kx++) {
                float *dst = col + ((size_t)ci * 9 + (size_t)ky * 3 + (size_t)kx) * n;
                for (int r = 0; r < rows; r++) {
                    float *d = dst + (size_t)r * w;
                    int yy = y0 + r + ky - 1;
                    if (yy < 0 || yy >= h) {
                        memset(d, 0, (size_t)w * sizeof *d);
                        continue;
                    }
                    const float *s = in + ci * hw + (size_t)yy * w;
                    if (kx == 0) {
                        d[0] = 0.0f;
                        memcpy(d + 1, s, (size_t)(w - 1) * sizeof *d);
                    } else if (kx == 1) {
                        memcpy(d, s, (size_t)w * sizeof *d);
                    } else {
                        memcpy(d, s + 1, (size_t)(w - 1) * sizeof *d);
                        d[w - 1] = 0.0f;
                    }
                }
            }
        }
    }
}

void nn_conv(const nn_layer *layer, const float *in, int h, int w, int apply_relu, float *out, float *col,
             size_t col_floats)
{
    const size_t hw = (size_t)h * w;
    const int cout = layer->cout, cin = layer->cin;
    if (layer->k == 1) {
        for (size_t p0 = 0; p0 < hw; p0 += NN_PIXEL_BAND) {
            size_t n = hw - p0 < NN_PIXEL_BAND ? hw - p0 : NN_PIXEL_BAND;
            fill_bias(out + p0, hw, layer->bias, cout, n);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, cout, (int)n, cin, 1.0f, layer->weight, cin,
                        in + p0, (int)hw, 1.0f, out + p0, (int)hw);
            if (apply_relu) relu(out + p0, hw, cout, n);
        }
        return;
    }
    const int kdim = cin * 9;
    int band = (int)(col_floats / ((size_t)kdim * w));
    if (band < 1) band = 1;
    if (band > h) band = h;
    for (int y0 = 0; y0 < h; y0 += band) {
        int rows = h - y0 < band ? h - y0 : band;
        size_t n = (size_t)rows * w;
        im2col3_band(in, cin, h, w, y0, rows, col);
        fill_bias(out + (size_t)y0 * w, hw, layer->bias, cout, n);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, cout, (int)n, kdim, 1.0f, layer->weight, kdim, col,
                    (int)n, 1.0f, out + (size_t)y0 * w, (int)hw);
        if (apply_relu) relu(out + (size_t)y0 * w, hw, cout, n);
    }
}

void nn_maxpool2(const float *in, int c, int h, int w, float *out)
{
    const int h2 = h / 2, w2 = w / 2;
    for (int ch = 0; ch < c; ch++) {
        const float *src = in + (size_t)ch * h * w;
        float *dst = out + (size_t)ch * h2 * w2;
        for (int y = 0; y < h2; y++) {
            const float *a = src + (size_t)(2 * y) * w, *b = a + w;
            float *restrict d = dst + (size_t)y * w2;
            for (int x = 0; x < w2; x++) {
                float m0 = a[2 * x] > a[2 * x + 1] ? a[2 * x] : a[2 * x + 1];
                float m1 = b[2 * x] > b[2 * x + 1] ? b[2 * x] : b[2 * x + 1];
                d[x] = m0 > m1 ? m0 : m1;
            }
        }
    }
}

void nn_upsample2_add(const float *in, int c, int h, int w, float *restrict inout)
{
    const int w2 = 2 * w;
    for (int ch = 0; ch < c; ch++) {
        const float *src = in + (size_t)ch * h * w;
        float *dst = inout + (size_t)ch * 4 * h * w;
        for (int y = 0; y < 2 * h; y++) {
            const float *s = src + (size_t)(y / 2) * w;
            float *restrict d = dst + (size_t)y * w2;
            for (int x = 0; x < w2; x++) d[x] += s[x / 2];
        }
    }
}

void nn_unshuffle2(const float *in, int h, int w, float *out)
{
    const int h2 = h / 2, w2 = w / 2;
    const size_t n = (size_t)h2 * w2;
    for (int y = 0; y < h2; y++) {
        for (int dy = 0; dy < 2; dy++) {
            const float *s = in + (size_t)(2 * y + dy) * w;
            float *restrict d0 = out + (size_t)(dy * 2) * n + (size_t)y * w2;
            float *restrict d1 = d0 + n;
            for (int x = 0; x < w2; x++) {
                d0[x] = s[2 * x];
                d1[x] = s[2 * x + 1];
            }
        }
    }
}
