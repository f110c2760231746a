/* predict.c — class probabilities of a whole image, tile by tile.
 *
 * The image is normalised as a whole, zero-padded (bottom, right) to multiples of 16
 * as the training script does, and cut into tiles: a core of about `tile` pixels, and
 * a window reaching NN_OVERLAP pixels further on each side (inside the padded image,
 * so that at its edges a tile sees exactly what the whole image would). Only core
 * pixels are written out. An image no larger than one window runs in one piece.
 * Memory: one window's workspace (about 89 bytes per pixel of it) and the outputs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "nn/vec8.h"

#define NN_DEFAULT_TILE 1024
/* Context beyond the core: a multiple of 16 (the network's coarsest stride). */
#define NN_OVERLAP 32

/* Cores along one axis of padded extent `extent` (a multiple of 16). */
typedef struct {
    int count, size;  /* cores [i * size, min(extent, (i + 1) * size)) */
    int extent, margin;
} nn_axis;

static nn_axis plan_axis(int extent, int tile, int overlap)
{
    nn_axis a = {1, extent, extent, overlap};
    if (extent <= tile + 2 * overlap) return a;
    a.count = (extent + tile - 1) / tile;
    a.size = ((extent + a.count - 1) / a.count + 15) / 16 * 16;
    a.count = (extent + a.size - 1) / a.size;
    return a;
}

/* Every window of an axis has the same size (so that one oneDNN workspace serves
 * them all): the core and NN_OVERLAP pixels each side (one side, when there are two
 * cores), shifted inwards at the ends of the padded image (where it then sees more
 * context, never less). */
static int axis_window_size(const nn_axis *a)
{
    if (a->count == 1) return a->extent;
    /* Two cores: each has a neighbour on one side only. */
    int size = a->size + (a->count == 2 ? 1 : 2) * a->margin;
    return size < a->extent ? size : a->extent;
}

static void axis_window(const nn_axis *a, int i, int *core0, int *core1, int *win0, int *win1)
{
    const int size = axis_window_size(a);
    *core0 = i * a->size;
    *core1 = *core0 + a->size < a->extent ? *core0 + a->size : a->extent;
    *win0 = *core0 - a->margin;
    if (*win0 > a->extent - size) *win0 = a->extent - size;
    if (*win0 < 0) *win0 = 0;
    *win1 = *win0 + size;
}

/* The window [x0, x0 + w) x [y0, y0 + h) of the normalised, zero-padded image. */
static void fill_window(const ns_image *img, const nn_norm *norm, int x0, int y0, int w, int h, float *input)
{
    for (int r = 0; r < h; r++) {
        float *row = input + (size_t)r * w;
        int y = y0 + r, inside = x0 < img->width ? (x0 + w < img->width ? w : img->width - x0) : 0;
        if (y >= img->height) inside = 0;
        if (inside > 0) nn_normalise_row(img, norm, y, x0, inside, row);
        memset(row + inside, 0, (size_t)(w - inside) * sizeof *row);
    }
}

/* exp(x) for the softmax, x <= 0: Cody-Waite reduction to r in [-ln2/2, ln2/2], Cephes's
 * degree-7 polynomial (within 2 ulp of expf), 2^n through the exponent bits. Written on
 * vectors of 8 (vec8.h) so that the row loop vectorises, which libm's expf does not (it was a
 * tenth of the learned pipeline's time); the scalar version is the same arithmetic, for
 * a row's last pixels. Below -87.3, where expf reaches the smallest normal float, the
 * result stays at exp(-87.3) ~ 1e-38: nothing for a probability. */
#define EXP_LO -87.3f
#define EXP_LOG2E 1.44269504088896341f
#define EXP_C1 0.693359375f
#define EXP_C2 -2.12194440e-4f
#define EXP_POLY(r, z) \
    (((((((1.9875691500e-4f * (r) + 1.3981999507e-3f) * (r) + 8.3334519073e-3f) * (r) + 4.1665795894e-2f) * (r) + \
        1.6666665459e-1f) * (r) + 5.0000001201e-1f) * (z)) + (r) + 1.0f)

static v8 exp8(v8 x)
{
    const vi8 low = x < EXP_LO;
    x = (v8)(((vi8)x & ~low) | ((vi8)((v8){0} + EXP_LO) & low));
    const v8 t = x * EXP_LOG2E + 0.5f;
    vi8 n = __builtin_convertvector(t, vi8);      /* truncation; floor below: */
    n += __builtin_convertvector(n, v8) > t;        /* -1 where it rounded up */
    const v8 nf = __builtin_convertvector(n, v8);
    const v8 r = x - nf * EXP_C1 - nf * EXP_C2;
    const v8 y = EXP_POLY(r, r * r);
    return y * (v8)((n + 127) << 23);
}

static float exp1(float x)
{
    if (x < EXP_LO) x = EXP_LO;
    const float t = x * EXP_LOG2E + 0.5f;
    int n = (int)t;
    n -= (float)n > t;
    const float nf = (float)n, r = x - nf * EXP_C1 - nf * EXP_C2;
    const float y = EXP_POLY(r, r * r);
    const int bits = (n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return y * scale;
}

/* o[i] = exp(o[i] - m[i]); sum[i] += o[i], for i < n. */
static void exp_shifted_row(float *restrict o, const float *restrict m, float *restrict sum, int n)
{
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const v8 e = exp8(load8(o + i) - load8(m + i));
        store8(o + i, e);
        store8(sum + i, load8(sum + i) + e);
    }
    for (; i < n; i++) {
        o[i] = exp1(o[i] - m[i]);
        sum[i] += o[i];
    }
}

/* Softmax of the logits (h x w x K, channels last: nn_forward) over the core
 * [cx0, cx1) x [cy0, cy1) (image coordinates, clipped to the image) of a window at
 * (x0, y0), into probs. Row by row through contiguous buffers, so that the loops over
 * pixels vectorise. */
static void write_core(const ns_image *img, int classes, const float *logits, int x0, int y0, int w, int cx0,
                       int cx1, int cy0, int cy1, float *probs, float *row_buf)
{
    const size_t plane = (size_t)img->width * img->height, channels = (size_t)classes;
    if (cx1 > img->width) cx1 = img->width;
    if (cy1 > img->height) cy1 = img->height;
    const int n = cx1 - cx0;
    float *restrict m = row_buf, *restrict sum = row_buf + n;
    for (int y = cy0; y < cy1; y++) {
        const float *row = logits + ((size_t)(y - y0) * w + (size_t)(cx0 - x0)) * channels;
        float *out = probs + (size_t)y * img->width + cx0;
        for (int k = 0; k < classes; k++) {
            const float *l = row + k;
            float *restrict o = out + (size_t)k * plane;
            for (int i = 0; i < n; i++) o[i] = l[(size_t)i * channels];
            if (k == 0) memcpy(m, o, (size_t)n * sizeof *m);
            else
                for (int i = 0; i < n; i++) m[i] = o[i] > m[i] ? o[i] : m[i];
        }
        memset(sum, 0, (size_t)n * sizeof *sum);
        for (int k = 0; k < classes; k++) {
            exp_shifted_row(out + (size_t)k * plane, m, sum, n);
        }
        for (int i = 0; i < n; i++) sum[i] = 1.0f / sum[i];
        for (int k = 0; k < classes; k++) {
            float *restrict o = out + (size_t)k * plane;
            for (int i = 0; i < n; i++) o[i] *= sum[i];
        }
    }
}

ns_status nn_predict_tiles(const ns_nn *net, const ns_image *img, int tile, int overlap, float *probs, ns_error *err)
{
    if (tile < 64 || tile % 16)
        return ns_error_set(err, NS_ERR_INVALID, "%s: tile %d is not a multiple of 16 >= 64", net->name, tile);
    if (overlap < 0 || overlap % 16)
        return ns_error_set(err, NS_ERR_INVALID, "%s: overlap %d is not a multiple of 16", net->name, overlap);
    if (img->width <= 0 || img->height <= 0)
        return ns_error_set(err, NS_ERR_EMPTY, "%s: empty image (%d x %d)", net->name, img->width, img->height);
    nn_norm norm;
    ns_status st = nn_normalise_map(net, img, &norm, err);
    if (st != NS_OK) return st;
    const nn_axis ax = plan_axis((img->width + 15) / 16 * 16, tile, overlap),
                  ay = plan_axis((img->height + 15) / 16 * 16, tile, overlap);
    nn_workspace *ws = NULL;
    int kept = 0;
    st = nn_workspace_acquire(net, axis_window_size(&ay), axis_window_size(&ax), &ws, &kept, err);
    if (st != NS_OK) return st;
    float *row_buf = malloc(2 * (size_t)axis_window_size(&ax) * sizeof *row_buf);
    if (!row_buf) {
        nn_workspace_release(net, ws, kept);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", net->name);
    }
    for (int ty = 0; ty < ay.count && st == NS_OK; ty++) {
        int cy0, cy1, y0, y1;
        axis_window(&ay, ty, &cy0, &cy1, &y0, &y1);
        for (int tx = 0; tx < ax.count && st == NS_OK; tx++) {
            int cx0, cx1, x0, x1;
            axis_window(&ax, tx, &cx0, &cx1, &x0, &x1);
            fill_window(img, &norm, x0, y0, x1 - x0, y1 - y0, nn_workspace_input(ws));
            const float *logits = NULL;
            st = nn_forward(net, ws, &logits, err);
            if (st != NS_OK) break;
            write_core(img, net->classes, logits, x0, y0, x1 - x0, cx0, cx1, cy0, cy1, probs, row_buf);
        }
    }
    free(row_buf);
    nn_workspace_release(net, ws, kept);
    return st;
}

ns_status ns_nn_predict_tiled(const ns_nn *net, const ns_image *img, int tile, float *probs, ns_error *err)
{
    return nn_predict_tiles(net, img, tile, NN_OVERLAP, probs, err);
}

ns_status ns_nn_predict(const ns_nn *net, const ns_image *img, float *probs, ns_error *err)
{
    return ns_nn_predict_tiled(net, img, NN_DEFAULT_TILE, probs, err);
}
