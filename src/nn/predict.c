/* predict.c — class probabilities of a whole image, tile by tile.
 *
 * The image is normalised as a whole, zero-padded (bottom, right) to multiples of 16
 * as the training script does, and cut into tiles: a core of about `tile` pixels, and
 * a window reaching NN_OVERLAP pixels further on each side (inside the padded image,
 * so that at its edges a tile sees exactly what the whole image would). Only core
 * pixels are written out. An image no larger than one window runs in one piece.
 * Memory: one window's workspace (about 77 bytes per pixel of it) and the outputs. */
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"

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
    for (int ty = 0; ty < ay.count && st == NS_OK; ty++) {
        int cy0, cy1, y0, y1;
        axis_window(&ay, ty, &cy0, &cy1, &y0, &y1);
        for (int tx = 0; tx < ax.count && st == NS_OK; tx++) {
            int cx0, cx1, x0, x1;
            axis_window(&ax, tx, &cx0, &cx1, &x0, &x1);
            fill_window(img, &norm, x0, y0, x1 - x0, y1 - y0, nn_workspace_input(ws));
            /* The core, clipped to the image (the padding has no output), in window coordinates. */
            const nn_core core = {.r0 = cy0 - y0, .r1 = (cy1 < img->height ? cy1 : img->height) - y0,
                                  .c0 = cx0 - x0, .c1 = (cx1 < img->width ? cx1 : img->width) - x0,
                                  .out = probs + (size_t)cy0 * img->width + cx0,
                                  .stride = (size_t)img->width, .plane = (size_t)img->width * img->height};
            st = nn_forward(net, ws, &core, err);
        }
    }
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
