/* nn_internal.h — the nuclei network inside libnucseg: its weights (weights.c), the
 * forward pass over one window (forward.c, oneDNN), the intensity
 * normalisation (normalise.c) and the tiling driver (predict.c).
 *
 * Weights are kept as the file has them, [out][in][ky][kx]; oneDNN reorders them
 * into the layout its convolutions choose when a workspace is built. */
#ifndef NUCSEG_NN_INTERNAL_H
#define NUCSEG_NN_INTERNAL_H

#include <stddef.h>
#include "nucseg/nn.h"

/* The layers in the order of the weight file (train/nuclei_net.py, NucleiNet.LAYERS). */
enum {
    NN_E1A, NN_E1B, NN_E2A, NN_E2B, NN_E3A, NN_E3B, NN_E4A, NN_E4B,
    NN_P3, NN_D3, NN_P2, NN_D2, NN_P1, NN_D1, NN_HEAD, NN_R1, NN_OUT, NN_LAYERS
};
/* The full-resolution refinement (nuclei_net.py, REFINE_*): the head's 4 * NN_REFINE_CHANNELS
 * channels at half resolution, shuffled to NN_REFINE_CHANNELS at full resolution, with
 * the input as one more; a 3x3 convolution to NN_REFINE_HIDDEN, a 1x1 to the classes. */
#define NN_REFINE_CHANNELS 4
#define NN_REFINE_HIDDEN 8
/* The most classes a weight file may have (weights.c checks it). */
#define NN_MAX_CLASSES 64u

typedef struct {
    int cout, cin, k;  /* k: 3 (padding 1) or 1 */
    float *weight;     /* cout x cin x k x k */
    float *bias;       /* cout */
} nn_layer;

typedef struct nn_cache nn_cache;

struct ns_nn {
    char *name;
    int widths[4];     /* c1..c4: channels at 1/2, 1/4, 1/8, 1/16 resolution */
    int classes;
    double norm_lo_pct, norm_hi_pct;
    unsigned long crc;
    nn_layer layer[NN_LAYERS];
    float *params;     /* owns every layer's weight and bias */
    nn_cache *cache;   /* the last window workspace, for the next prediction (workspace_cache.c) */
};

/* The whole image's intensity map: x = ((float)v - lo) * scale, in float32. */
typedef struct {
    float lo, scale;
} nn_norm;

ns_status nn_normalise_map(const ns_nn *net, const ns_image *img, nn_norm *out, ns_error *err);
/* Pixels [x0, x0 + n) of row y, normalised, into out. */
void nn_normalise_row(const ns_image *img, const nn_norm *norm, int y, int x0, int n, float *restrict out);

/* ns_nn_predict_tiled with a given overlap (a multiple of 16), for tests: with an
 * overlap beyond the receptive field (NN_RECEPTIVE_RADIUS) tiles equal the whole. */
#define NN_RECEPTIVE_RADIUS 90 /* full-resolution pixels, from FoldedNet.forward's layers */
ns_status nn_predict_tiles(const ns_nn *net, const ns_image *img, int tile, int overlap, float *probs, ns_error *err);

/* What of a window goes out: its rows [r0, r1) and columns [c0, c1) (the tile's core,
 * clipped to the image), whose class probabilities nn_forward writes to K planes, the
 * window's pixel (r, c) of class k at out[k * plane + (r - r0) * stride + (c - c0)]. */
typedef struct {
    int r0, r1, c0, c1;
    float *out;
    size_t stride, plane;
} nn_core;

/* One window's forward pass (forward.c, oneDNN on the calling thread alone): a
 * workspace is built for one window shape, h x w (multiples of 16), and runs any
 * number of windows of that shape. The caller fills nn_workspace_input (h x w, the
 * normalised image); nn_forward writes the softmax of the core's pixels. */
typedef struct nn_workspace nn_workspace;
ns_status nn_workspace_alloc(const ns_nn *net, int h, int w, nn_workspace **out, ns_error *err);
void nn_workspace_free(nn_workspace *ws);
float *nn_workspace_input(nn_workspace *ws);
ns_status nn_forward(const ns_nn *net, nn_workspace *ws, const nn_core *core, ns_error *err);

/* A workspace for h x w windows, for one prediction (workspace_cache.c): the network's
 * kept one when no other thread holds it (rebuilt if its shape differs; *kept = 1),
 * else a new one (*kept = 0); nn_workspace_release hands it back or frees it. */
ns_status nn_cache_new(nn_cache **out);
void nn_cache_free(nn_cache *c);
ns_status nn_workspace_acquire(const ns_nn *net, int h, int w, nn_workspace **ws, int *kept, ns_error *err);
void nn_workspace_release(const ns_nn *net, nn_workspace *ws, int kept);

#endif
