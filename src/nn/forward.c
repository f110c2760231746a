/* forward.c — one tile through the network (train/nuclei_net.py, FoldedNet.forward).
 *
 * Two scratch maps (a, b) carry each layer's input and output in turn; the encoder's
 * outputs e1..e3 are kept for the decoder, which adds the upsampled projection into
 * them in place (they are not needed afterwards). */
#include <stdlib.h>

#include "nn/nn_internal.h"

struct nn_workspace {
    float *input;           /* max_h x max_w */
    float *a, *b;           /* scratch maps, scratch_floats each */
    float *e1, *e2, *e3;    /* c1 at 1/2, c2 at 1/4, c3 at 1/8 */
    float *col;
    size_t col_floats;
};

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

ns_status nn_workspace_alloc(const ns_nn *net, int max_h, int max_w, nn_workspace **out, ns_error *err)
{
    *out = NULL;
    const size_t c1 = (size_t)net->widths[0], c2 = (size_t)net->widths[1], c3 = (size_t)net->widths[2],
                 c4 = (size_t)net->widths[3], heads = 4 * (size_t)net->classes;
    const size_t n1 = (size_t)(max_h / 2) * (max_w / 2), n2 = n1 / 4, n3 = n2 / 4, n4 = n3 / 4;
    size_t scratch = max_size(max_size(4, c1), heads) * n1;
    scratch = max_size(scratch, max_size(c1, c2) * n2);
    scratch = max_size(scratch, max_size(c2, c3) * n3);
    scratch = max_size(scratch, max_size(c3, c4) * n4);
    nn_workspace *ws = calloc(1, sizeof *ws);
    if (!ws) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", net->name);
    ws->col_floats = nn_col_floats(net, max_w);
    ws->input = malloc((size_t)max_h * max_w * sizeof(float));
    ws->a = malloc(scratch * sizeof(float));
    ws->b = malloc(scratch * sizeof(float));
    ws->e1 = malloc(c1 * n1 * sizeof(float));
    ws->e2 = malloc(c2 * n2 * sizeof(float));
    ws->e3 = malloc(c3 * n3 * sizeof(float));
    ws->col = malloc(ws->col_floats * sizeof(float));
    if (!ws->input || !ws->a || !ws->b || !ws->e1 || !ws->e2 || !ws->e3 || !ws->col) {
        nn_workspace_free(ws);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory for a %d x %d tile", net->name, max_w, max_h);
    }
    *out = ws;
    return NS_OK;
}

void nn_workspace_free(nn_workspace *ws)
{
    if (!ws) return;
    free(ws->input);
    free(ws->a);
    free(ws->b);
    free(ws->e1);
    free(ws->e2);
    free(ws->e3);
    free(ws->col);
    free(ws);
}

float *nn_workspace_input(nn_workspace *ws) { return ws->input; }

const float *nn_forward(const ns_nn *net, nn_workspace *ws, int h, int w)
{
    const nn_layer *L = net->layer;
    const int c1 = net->widths[0], c2 = net->widths[1], c3 = net->widths[2];
    const int h1 = h / 2, w1 = w / 2, h2 = h / 4, w2 = w / 4, h3 = h / 8, w3 = w / 8, h4 = h / 16, w4 = w / 16;
    float *a = ws->a, *b = ws->b, *col = ws->col;
    const size_t cf = ws->col_floats;

    nn_unshuffle2(ws->input, h, w, a);
    nn_conv(&L[NN_E1A], a, h1, w1, 1, b, col, cf);
    nn_conv(&L[NN_E1B], b, h1, w1, 1, ws->e1, col, cf);
    nn_maxpool2(ws->e1, c1, h1, w1, a);
    nn_conv(&L[NN_E2A], a, h2, w2, 1, b, col, cf);
    nn_conv(&L[NN_E2B], b, h2, w2, 1, ws->e2, col, cf);
    nn_maxpool2(ws->e2, c2, h2, w2, a);
    nn_conv(&L[NN_E3A], a, h3, w3, 1, b, col, cf);
    nn_conv(&L[NN_E3B], b, h3, w3, 1, ws->e3, col, cf);
    nn_maxpool2(ws->e3, c3, h3, w3, a);
    nn_conv(&L[NN_E4A], a, h4, w4, 1, b, col, cf);
    nn_conv(&L[NN_E4B], b, h4, w4, 1, a, col, cf);

    nn_conv(&L[NN_P3], a, h4, w4, 0, b, col, cf);
    nn_upsample2_add(b, c3, h4, w4, ws->e3);
    nn_conv(&L[NN_D3], ws->e3, h3, w3, 1, a, col, cf);
    nn_conv(&L[NN_P2], a, h3, w3, 0, b, col, cf);
    nn_upsample2_add(b, c2, h3, w3, ws->e2);
    nn_conv(&L[NN_D2], ws->e2, h2, w2, 1, a, col, cf);
    nn_conv(&L[NN_P1], a, h2, w2, 0, b, col, cf);
    nn_upsample2_add(b, c1, h2, w2, ws->e1);
    nn_conv(&L[NN_D1], ws->e1, h1, w1, 1, a, col, cf);
    nn_conv(&L[NN_HEAD], a, h1, w1, 0, b, col, cf);
    return b;
}
