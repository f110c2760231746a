/* nn_internal.h — the nuclei network inside libnucseg: its weights (weights.c), the
 * layer operations (layers.c), one tile's forward pass (forward.c), the intensity
 * normalisation (normalise.c) and the tiling driver (predict.c).
 *
 * Feature maps are planar, channel by channel: a map of C channels at h x w is
 * C * h * w floats, channel c at c * h * w, rows contiguous. A convolution is then
 * one GEMM, out[cout][pixels] = W[cout][cin * k * k] x col[cin * k * k][pixels]. */
#ifndef NUCSEG_NN_INTERNAL_H
#define NUCSEG_NN_INTERNAL_H

#include <stddef.h>
#include "nucseg/nn.h"

/* The layers in the order of the weight file (train/nuclei_net.py, NucleiNet.LAYERS). */
enum {
    NN_E1A, NN_E1B, NN_E2A, NN_E2B, NN_E3A, NN_E3B, NN_E4A, NN_E4B,
    NN_P3, NN_D3, NN_P2, NN_D2, NN_P1, NN_D1, NN_HEAD, NN_LAYERS
};

typedef struct {
    int cout, cin, k;  /* k: 3 (padding 1) or 1 */
    float *weight;     /* cout x (cin * k * k), row-major: the GEMM's A */
    float *bias;       /* cout */
} nn_layer;

struct ns_nn {
    char *name;
    int widths[4];     /* c1..c4: channels at 1/2, 1/4, 1/8, 1/16 resolution */
    int classes;
    double norm_lo_pct, norm_hi_pct;
    unsigned long crc;
    nn_layer layer[NN_LAYERS];
    float *params;     /* owns every layer's weight and bias */
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
#define NN_RECEPTIVE_RADIUS 89 /* full-resolution pixels, from FoldedNet.forward's layers */
ns_status nn_predict_tiles(const ns_nn *net, const ns_image *img, int tile, int overlap, float *probs, ns_error *err);

/* Layer operations on planar maps of h x w (layers.c). */
/* Convolution (k = 3 zero-padded, or k = 1) with bias, then ReLU if apply_relu. col is
 * scratch of nn_col_floats(layer, w) floats: 3x3 convolutions run over bands of rows
 * so that it stays that small whatever h. */
void nn_conv(const nn_layer *layer, const float *in, int h, int w, int apply_relu, float *out, float *col,
             size_t col_floats);
size_t nn_col_floats(const ns_nn *net, int w);
void nn_maxpool2(const float *in, int c, int h, int w, float *out);                 /* to h/2 x w/2 */
void nn_upsample2_add(const float *in, int c, int h, int w, float *restrict inout); /* in h x w, inout 2h x 2w */
void nn_unshuffle2(const float *in, int h, int w, float *out);                      /* 1 x h x w -> 4 x h/2 x w/2 */

/* One tile's forward pass (forward.c): scratch for windows up to max_h x max_w. */
typedef struct nn_workspace nn_workspace;
ns_status nn_workspace_alloc(const ns_nn *net, int max_h, int max_w, nn_workspace **out, ns_error *err);
void nn_workspace_free(nn_workspace *ws);
/* The input window (h x w, multiples of 16) goes into nn_workspace_input; after
 * nn_forward, the logits are 4*K planes of h/2 x w/2 (class k at (2y+dy, 2x+dx) is
 * plane k*4 + dy*2 + dx), returned by nn_forward. */
float *nn_workspace_input(nn_workspace *ws);
const float *nn_forward(const ns_nn *net, nn_workspace *ws, int h, int w);

#endif
