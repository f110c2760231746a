/* forward.c — one window through the network (train/nuclei_net.py, FoldedNet.forward)
 * with oneDNN, on the calling thread alone.
 *
 * Every map is channels-last (nhwc), the layout of oneDNN's fastest convolutions for
 * these channel counts (brgconv; given a blocked input of 12 channels, it falls back
 * to a reference implementation 100x slower), so nothing is reordered between layers;
 * the weights are reordered once, into the layout each convolution chooses. Measured
 * 2.1-2.3x faster than im2col + OpenBLAS SGEMM on the same layers
 * (docs/learned-nuclei.md).
 *
 * Two parts are nucseg's own loops, where oneDNN's AVX2 kernels (CPUs without AVX-512
 * have no brgconv) were measured slow for so few channels: the 2x2 max pooling, and
 * the full-resolution tail (the shuffle of the head, the 3x3 convolution of its 5
 * channels to 8, ReLU, the 1x1 to the classes and their softmax), fused so that no
 * full-resolution map but the probabilities is written out, and only for the core.
 *
 * A workspace is built for one window shape: each step's primitive, then the buffers.
 * Maps share buffers as the layers allow: two scratch slots (a, b) carry each layer's
 * input and output in turn; e1..e3 are kept for the decoder, whose upsampled
 * projections are added into them in place (a resampling with a sum post-op). */
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "nn/softmax8.h"
#include "nn/vec8.h"

enum { SLOT_INPUT, SLOT_A, SLOT_B, SLOT_E1, SLOT_E2, SLOT_E3, SLOT_COUNT };
#define NN_MAX_STEPS 32
#define NN_MAX_MEMS 96

typedef struct {
    dnnl_primitive_t prim;             /* NULL: a max pooling, nucseg's loop (pool_*) */
    int nargs;
    dnnl_exec_arg_t args[5];
    int pool_src, pool_dst, pool_c, pool_h, pool_w; /* slots, and the source's shape */
} nn_step;

struct nn_workspace {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    nn_step steps[NN_MAX_STEPS];
    int n_steps;                       /* up to the head; then the full-resolution tail (C) */
    dnnl_memory_t mems[NN_MAX_MEMS];  /* every memory object, destroyed with the workspace */
    int mem_slot[NN_MAX_MEMS];        /* its slot, or -1 when it has its own storage */
    int n_mems;
    void *slot[SLOT_COUNT];
    size_t slot_bytes[SLOT_COUNT];
    float *input;                      /* h x w, planar: filled by the caller */
    float *head;                       /* the head's output, h/2 x w/2 x 4*R */
    float *full;                       /* the shuffled head and the input: R + 1 planes (tail_stride) */
    int h, w;
};

typedef struct {
    dnnl_memory_desc_t md;
    dnnl_memory_t mem;
} nn_tensor;

/* oneDNN's one thread: its OpenMP runtime otherwise runs a team as large as the machine
 * in every worker. The setting is the calling thread's (an OpenMP ICV), set before
 * primitives are created (they are tuned for it) and before they run. */
static void one_thread(void) { omp_set_num_threads(1); }

static ns_status dnnl_failed(const ns_nn *net, const char *what, dnnl_status_t s, ns_error *err)
{
    return ns_error_set(err, s == dnnl_out_of_memory ? NS_ERR_NOMEM : NS_ERR_INTERNAL, "%s: oneDNN %s failed (status %d)",
                        net->name, what, (int)s);
}

#define TRY(call, what) do { dnnl_status_t s_ = (call); if (s_ != dnnl_success) return dnnl_failed(net, what, s_, err); } while (0)

/* A memory object of md, in slot (storage assigned once every step is known), or with
 * its own storage (slot -1: allocated by oneDNN), or at handle (slot -2: not owned). */
static ns_status new_memory(const ns_nn *net, nn_workspace *ws, const dnnl_memory_desc_t *md, int slot, void *handle,
                            dnnl_memory_t *out, ns_error *err)
{
    if (ws->n_mems == NN_MAX_MEMS) return ns_error_set(err, NS_ERR_INTERNAL, "%s: too many oneDNN memories", net->name);
    void *h = slot == -1 ? DNNL_MEMORY_ALLOCATE : slot == -2 ? handle : DNNL_MEMORY_NONE;
    TRY(dnnl_memory_create(out, md, ws->engine, h), "memory creation");
    ws->mems[ws->n_mems] = *out;
    ws->mem_slot[ws->n_mems++] = slot;
    if (slot >= 0) {
        size_t bytes = dnnl_memory_desc_get_size(md);
        if (bytes > ws->slot_bytes[slot]) ws->slot_bytes[slot] = bytes;
    }
    return NS_OK;
}

/* pd's primitive; pd is destroyed here, whatever the outcome. */
static ns_status make_primitive(const ns_nn *net, dnnl_primitive_desc_t pd, const char *what, dnnl_primitive_t *prim,
                                ns_error *err)
{
    *prim = NULL;
    dnnl_status_t s = dnnl_primitive_create(prim, pd);
    dnnl_primitive_desc_destroy(pd);
    return s == dnnl_success ? NS_OK : dnnl_failed(net, what, s, err);
}

/* *out: the next free step, zeroed; an error when all NN_MAX_STEPS are taken. */
static ns_status append_step(const ns_nn *net, nn_workspace *ws, nn_step **out, ns_error *err)
{
    if (ws->n_steps == NN_MAX_STEPS) return ns_error_set(err, NS_ERR_INTERNAL, "%s: too many oneDNN steps", net->name);
    *out = &ws->steps[ws->n_steps++];
    memset(*out, 0, sizeof **out);
    return NS_OK;
}

/* Append a step running pd's primitive with args; pd is destroyed here. */
static ns_status add_step(const ns_nn *net, nn_workspace *ws, dnnl_primitive_desc_t pd, int nargs,
                          const dnnl_exec_arg_t *args, ns_error *err)
{
    dnnl_primitive_t prim;
    ns_status st = make_primitive(net, pd, "primitive creation", &prim, err);
    if (st != NS_OK) return st;
    nn_step *step = NULL;
    if ((st = append_step(net, ws, &step, err)) != NS_OK) {
        dnnl_primitive_destroy(prim);
        return st;
    }
    step->prim = prim;
    step->nargs = nargs;
    memcpy(step->args, args, (size_t)nargs * sizeof *args);
    return NS_OK;
}

/* Run pd's primitive once now (a weight reorder); pd is destroyed here. */
static ns_status run_once(const ns_nn *net, nn_workspace *ws, dnnl_primitive_desc_t pd, int nargs,
                          const dnnl_exec_arg_t *args, ns_error *err)
{
    dnnl_primitive_t prim;
    ns_status st = make_primitive(net, pd, "weight reorder", &prim, err);
    if (st != NS_OK) return st;
    dnnl_status_t s = dnnl_primitive_execute(prim, ws->stream, nargs, args);
    if (s == dnnl_success) s = dnnl_stream_wait(ws->stream);
    dnnl_primitive_destroy(prim);
    return s == dnnl_success ? NS_OK : dnnl_failed(net, "weight reorder", s, err);
}

/* A convolution of layer l on src (h x w) into slot dst_slot, with ReLU or not. */
static ns_status add_conv(const ns_nn *net, nn_workspace *ws, int l, const nn_tensor *src, int h, int w, int relu,
                          int dst_slot, nn_tensor *dst, ns_error *err)
{
    const nn_layer *L = &net->layer[l];
    const int k = L->k, pad = k / 2;
    dnnl_dims_t wdims = {L->cout, L->cin, k, k}, bdims = {L->cout}, ddims = {1, L->cout, h, w};
    dnnl_dims_t strides = {1, 1}, padding = {pad, pad};
    dnnl_memory_desc_t w_any, w_user, b_md, d_md;
    TRY(dnnl_memory_desc_init_by_tag(&w_any, 4, wdims, dnnl_f32, dnnl_format_tag_any), "weights descriptor");
    TRY(dnnl_memory_desc_init_by_tag(&w_user, 4, wdims, dnnl_f32, dnnl_oihw), "weights descriptor");
    TRY(dnnl_memory_desc_init_by_tag(&b_md, 1, bdims, dnnl_f32, dnnl_x), "bias descriptor");
    TRY(dnnl_memory_desc_init_by_tag(&d_md, 4, ddims, dnnl_f32, dnnl_nhwc), "output descriptor");
    dnnl_convolution_desc_t cd;
    TRY(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &src->md, &w_any, &b_md,
                                           &d_md, strides, padding, padding),
        "convolution descriptor");
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    TRY(dnnl_primitive_attr_create(&attr), "attribute creation");
    dnnl_status_t s = dnnl_success;
    if (relu) {
        s = dnnl_post_ops_create(&ops);
        if (s == dnnl_success) s = dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
        if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(attr, ops);
    }
    dnnl_primitive_desc_t pd = NULL;
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &cd, attr, ws->engine, NULL);
    if (ops) dnnl_post_ops_destroy(ops);
    dnnl_primitive_attr_destroy(attr);
    if (s != dnnl_success) return dnnl_failed(net, "convolution", s, err);
    dst->md = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    const dnnl_memory_desc_t w_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_memory_t w_mem = NULL, w_src = NULL, b_mem = NULL;
    ns_status st = new_memory(net, ws, &dst->md, dst_slot, NULL, &dst->mem, err);
    if (st == NS_OK) st = new_memory(net, ws, &w_md, -1, NULL, &w_mem, err);
    if (st == NS_OK) st = new_memory(net, ws, &w_user, -2, (void *)L->weight, &w_src, err);
    if (st == NS_OK) st = new_memory(net, ws, &b_md, -2, (void *)L->bias, &b_mem, err);
    if (st != NS_OK) {
        dnnl_primitive_desc_destroy(pd);
        return st;
    }
    /* The weights into the layout the convolution chose, once per workspace. */
    dnnl_primitive_desc_t rpd = NULL;
    s = dnnl_reorder_primitive_desc_create(&rpd, &w_user, ws->engine, &w_md, ws->engine, NULL);
    if (s != dnnl_success) {
        dnnl_primitive_desc_destroy(pd);
        return dnnl_failed(net, "weight reorder", s, err);
    }
    const dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, w_src}, {DNNL_ARG_TO, w_mem}};
    st = run_once(net, ws, rpd, 2, rargs, err);
    if (st != NS_OK) {
        dnnl_primitive_desc_destroy(pd);
        return st;
    }
    const dnnl_exec_arg_t args[4] = {
        {DNNL_ARG_SRC, src->mem}, {DNNL_ARG_WEIGHTS, w_mem}, {DNNL_ARG_BIAS, b_mem}, {DNNL_ARG_DST, dst->mem}};
    return add_step(net, ws, pd, 4, args, err);
}

/* 2x2 max pooling, stride 2, of src (h x w x c, in slot src_slot) into slot dst_slot:
 * nucseg's loop (run_pool), a memory object for the layers that read it. */
static ns_status add_pool(const ns_nn *net, nn_workspace *ws, int src_slot, int c, int h, int w, int dst_slot,
                          nn_tensor *dst, ns_error *err)
{
    dnnl_dims_t ddims = {1, c, h / 2, w / 2};
    TRY(dnnl_memory_desc_init_by_tag(&dst->md, 4, ddims, dnnl_f32, dnnl_nhwc), "pooling descriptor");
    ns_status st = new_memory(net, ws, &dst->md, dst_slot, NULL, &dst->mem, err);
    if (st != NS_OK) return st;
    nn_step *step = NULL;
    if ((st = append_step(net, ws, &step, err)) != NS_OK) return st;
    step->pool_src = src_slot;
    step->pool_dst = dst_slot;
    step->pool_c = c;
    step->pool_h = h;
    step->pool_w = w;
    return NS_OK;
}

static void run_pool(const nn_step *step, void *const *slot)
{
    const int c = step->pool_c, w = step->pool_w, h2 = step->pool_h / 2, w2 = step->pool_w / 2;
    const float *src = slot[step->pool_src];
    float *restrict dst = slot[step->pool_dst];
    for (int y = 0; y < h2; y++) {
        const float *r0 = src + (size_t)(2 * y) * w * c, *r1 = r0 + (size_t)w * c;
        float *restrict d = dst + (size_t)y * w2 * c;
        for (int x = 0; x < w2; x++) {
            const float *a = r0 + (size_t)(2 * x) * c, *b = r1 + (size_t)(2 * x) * c;
            for (int k = 0; k < c; k++) {
                const float m0 = a[k] > a[c + k] ? a[k] : a[c + k];
                const float m1 = b[k] > b[c + k] ? b[k] : b[c + k];
                d[(size_t)x * c + k] = m0 > m1 ? m0 : m1;
            }
        }
    }
}

/* skip += nearest_upsample_2x(src): a resampling whose sum post-op adds into skip. */
static ns_status add_upsample_add(const ns_nn *net, nn_workspace *ws, const nn_tensor *src, const nn_tensor *skip,
                                  ns_error *err)
{
    const float factors[2] = {2.0f, 2.0f};
    dnnl_resampling_desc_t rdesc;
    TRY(dnnl_resampling_forward_desc_init(&rdesc, dnnl_forward_inference, dnnl_resampling_nearest, factors, &src->md,
                                          &skip->md),
        "resampling descriptor");
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    TRY(dnnl_primitive_attr_create(&attr), "attribute creation");
    dnnl_status_t s = dnnl_post_ops_create(&ops);
    if (s == dnnl_success) s = dnnl_post_ops_append_sum(ops, 1.0f);
    if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(attr, ops);
    dnnl_primitive_desc_t pd = NULL;
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &rdesc, attr, ws->engine, NULL);
    if (ops) dnnl_post_ops_destroy(ops);
    dnnl_primitive_attr_destroy(attr);
    if (s != dnnl_success) return dnnl_failed(net, "resampling", s, err);
    const dnnl_exec_arg_t args[2] = {{DNNL_ARG_SRC, src->mem}, {DNNL_ARG_DST, skip->mem}};
    return add_step(net, ws, pd, 2, args, err);
}

/* Space to depth, channels last: 1 x h x w -> h/2 x w/2 x 4, channel dy*2 + dx =
 * x[2y + dy][2x + dx]. */
static void unshuffle2(const float *in, int h, int w, float *out)
{
    const int h2 = h / 2, w2 = w / 2;
    for (int y = 0; y < h2; y++) {
        const float *s0 = in + (size_t)(2 * y) * w, *s1 = s0 + w;
        float *restrict d = out + (size_t)y * w2 * 4;
        for (int x = 0; x < w2; x++) {
            d[4 * x] = s0[2 * x];
            d[4 * x + 1] = s0[2 * x + 1];
            d[4 * x + 2] = s1[2 * x];
            d[4 * x + 3] = s1[2 * x + 1];
        }
    }
}

/* The full-resolution tail works on 8 neighbouring pixels at once (a v8), with the
 * input planar, so that one load gives a channel at 8 pixels and no horizontal sums are
 * needed. (16 pixels per broadcast weight, half the hidden channels at a time, measured
 * slower on AVX2.) */
enum { TAIL_C = NN_REFINE_CHANNELS + 1, TAIL_H = NN_REFINE_HIDDEN };

/* The tail's planes: TAIL_C of them, each (h + 2) x tail_stride(w), the pixels at (1, 1)
 * onward inside a border of zeros (the convolution's padding), and the row padded to
 * whole vectors. */
static size_t tail_stride(int w) { return (size_t)(w + 2 + 7) / 8 * 8 + 8; }

/* Depth to space of the head (h/2 x w/2 x 4R, channel r*4 + dy*2 + dx) with the input
 * appended, as torch.cat([pixel_shuffle(head), x]): R + 1 planes (tail_stride), rows
 * [y0, y1) only (those the core's 3x3 convolution reads). */
static void shuffle2_with_input(const float *head, const float *in, int h, int w, int y0, int y1, float *planes)
{
    enum { R = NN_REFINE_CHANNELS };
    const int w2 = w / 2;
    const size_t stride = tail_stride(w), plane = (size_t)(h + 2) * stride;
    for (int y = y0; y < y1; y++) {
        const int dy = y & 1;
        const float *hrow = head + (size_t)(y / 2) * w2 * 4 * R;
        const size_t o = (size_t)(y + 1) * stride + 1;
        for (int r = 0; r < R; r++) {
            float *restrict d = planes + r * plane + o;
            for (int x = 0; x < w; x++) d[x] = hrow[(size_t)(x / 2) * 4 * R + 4 * r + dy * 2 + (x & 1)];
        }
        memcpy(planes + R * plane + o, in + (size_t)y * w, (size_t)w * sizeof *in);
    }
}

/* The full-resolution tail: relu(conv3x3(planes) + b1), the 1x1 to the K classes and
 * their softmax, for the core's pixels only, into its output planes: nothing of the
 * window's overlap is computed here, and the class scores never leave the registers.
 * 8 pixels at a time; a row's last group reads columns past the core (the window's,
 * or the zero border and padding) and stores only its own pixels. */
static void run_tail(const ns_nn *net, const float *planes, int h, int w, const nn_core *core)
{
    const nn_layer *r1 = &net->layer[NN_R1], *out = &net->layer[NN_OUT];
    const int K = net->classes;
    const size_t stride = tail_stride(w), plane = (size_t)(h + 2) * stride;
    for (int y = core->r0; y < core->r1; y++) {
        float *dst = core->out + (size_t)(y - core->r0) * core->stride;
        for (int x = core->c0; x < core->c1; x += 8) {
            v8 acc[TAIL_H];
            for (int o = 0; o < TAIL_H; o++) acc[o] = (v8){0} + r1->bias[o];
            for (int c = 0; c < TAIL_C; c++)
                for (int ky = 0; ky < 3; ky++) {
                    const float *row = planes + c * plane + (size_t)(y + ky) * stride + x;
                    for (int kx = 0; kx < 3; kx++) {
                        const v8 v = load8(row + kx);
                        const float *wt = r1->weight + (size_t)c * 9 + ky * 3 + kx; /* [o][c][ky][kx] */
                        for (int o = 0; o < TAIL_H; o++) acc[o] += wt[(size_t)o * TAIL_C * 9] * v;
                    }
                }
            for (int o = 0; o < TAIL_H; o++) acc[o] = (v8)((vi8)acc[o] & (acc[o] > (v8){0})); /* ReLU */
            v8 score[NN_MAX_CLASSES];
            for (int k = 0; k < K; k++) {
                score[k] = (v8){0} + out->bias[k];
                for (int o = 0; o < TAIL_H; o++) score[k] += out->weight[k * TAIL_H + o] * acc[o];
            }
            softmax8(score, K);
            const int n = core->c1 - x < 8 ? core->c1 - x : 8;
            float *px = dst + (x - core->c0);
            for (int k = 0; k < K; k++) {
                if (n == 8) store8(px + (size_t)k * core->plane, score[k]);
                else memcpy(px + (size_t)k * core->plane, &score[k], (size_t)n * sizeof(float));
            }
        }
    }
}

static ns_status build(const ns_nn *net, nn_workspace *ws, int h, int w, ns_error *err)
{
    const int c1 = net->widths[0], c2 = net->widths[1], c3 = net->widths[2];
    const int h1 = h / 2, w1 = w / 2, h2 = h / 4, w2 = w / 4, h3 = h / 8, w3 = w / 8, h4 = h / 16, w4 = w / 16;
    TRY(dnnl_engine_create(&ws->engine, dnnl_cpu, 0), "engine creation");
    TRY(dnnl_stream_create(&ws->stream, ws->engine, dnnl_stream_default_flags), "stream creation");
    nn_tensor u, t, e1, e2, e3, x, p;
    dnnl_dims_t udims = {1, 4, h1, w1};
    TRY(dnnl_memory_desc_init_by_tag(&u.md, 4, udims, dnnl_f32, dnnl_nhwc), "input descriptor");
    ns_status st = new_memory(net, ws, &u.md, SLOT_INPUT, NULL, &u.mem, err);
    /* Encoder. */
    if (st == NS_OK) st = add_conv(net, ws, NN_E1A, &u, h1, w1, 1, SLOT_B, &t, err);
    if (st == NS_OK) st = add_conv(net, ws, NN_E1B, &t, h1, w1, 1, SLOT_E1, &e1, err);
    if (st == NS_OK) st = add_pool(net, ws, SLOT_E1, c1, h1, w1, SLOT_A, &x, err);
    if (st == NS_OK) st = add_conv(net, ws, NN_E2A, &x, h2, w2, 1, SLOT_B, &t, err);
    if (st == NS_OK) st = add_conv(net, ws, NN_E2B, &t, h2, w2, 1, SLOT_E2, &e2, err);
    if (st == NS_OK) st = add_pool(net, ws, SLOT_E2, c2, h2, w2, SLOT_A, &x, err);
    if (st == NS_OK) st = add_conv(net, ws, NN_E3A, &x, h3, w3, 1, SLOT_B, &t, err);
    if (st == NS_OK) st = add_conv(net, ws, NN_E3B, &t, h3, w3, 1, SLOT_E3, &e3, err);
    if (st == NS_OK) st = add_pool(net, ws, SLOT_E3, c3, h3, w3, SLOT_A, &x, err);
    if (st == NS_OK) st = add_conv(net, ws, NN_E4A, &x, h4, w4, 1, SLOT_B, &t, err);
    if (st == NS_OK) st = add_conv(net, ws, NN_E4B, &t, h4, w4, 1, SLOT_A, &x, err);
    /* Decoder: d = relu(conv3x3(up(proj(x)) + e)), level by level. */
    if (st == NS_OK) st = add_conv(net, ws, NN_P3, &x, h4, w4, 0, SLOT_B, &p, err);
    if (st == NS_OK) st = add_upsample_add(net, ws, &p, &e3, err);
    if (st == NS_OK) st = add_conv(net, ws, NN_D3, &e3, h3, w3, 1, SLOT_A, &x, err);
    if (st == NS_OK) st = add_conv(net, ws, NN_P2, &x, h3, w3, 0, SLOT_B, &p, err);
    if (st == NS_OK) st = add_upsample_add(net, ws, &p, &e2, err);
    if (st == NS_OK) st = add_conv(net, ws, NN_D2, &e2, h2, w2, 1, SLOT_A, &x, err);
    if (st == NS_OK) st = add_conv(net, ws, NN_P1, &x, h2, w2, 0, SLOT_B, &p, err);
    if (st == NS_OK) st = add_upsample_add(net, ws, &p, &e1, err);
    if (st == NS_OK) st = add_conv(net, ws, NN_D1, &e1, h1, w1, 1, SLOT_A, &x, err);
    if (st == NS_OK) st = add_conv(net, ws, NN_HEAD, &x, h1, w1, 0, SLOT_B, &p, err);
    /* The full-resolution tail is run_tail's, on buffers of its own. */
    if (st != NS_OK) return st;
    /* Storage: each slot as large as the largest map it carries. */
    for (int s = 0; s < SLOT_COUNT; s++) {
        ws->slot[s] = aligned_alloc(64, (ws->slot_bytes[s] + 63) / 64 * 64);
        if (!ws->slot[s]) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory for a %d x %d tile", net->name, w, h);
    }
    for (int m = 0; m < ws->n_mems; m++)
        if (ws->mem_slot[m] >= 0) TRY(dnnl_memory_set_data_handle(ws->mems[m], ws->slot[ws->mem_slot[m]]), "memory");
    ws->head = ws->slot[SLOT_B];
    ws->full = calloc((size_t)TAIL_C * (h + 2) * tail_stride(w), sizeof *ws->full); /* the border stays zero */
    if (!ws->full)
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory for a %d x %d tile", net->name, w, h);
    return NS_OK;
}

ns_status nn_workspace_alloc(const ns_nn *net, int h, int w, nn_workspace **out, ns_error *err)
{
    *out = NULL;
    one_thread();
    nn_workspace *ws = calloc(1, sizeof *ws);
    if (!ws) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", net->name);
    ws->h = h;
    ws->w = w;
    ws->input = malloc((size_t)h * w * sizeof *ws->input);
    ns_status st = ws->input ? build(net, ws, h, w, err) : ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", net->name);
    if (st != NS_OK) {
        nn_workspace_free(ws);
        return st;
    }
    *out = ws;
    return NS_OK;
}

void nn_workspace_free(nn_workspace *ws)
{
    if (!ws) return;
    for (int i = 0; i < ws->n_steps; i++)
        if (ws->steps[i].prim) dnnl_primitive_destroy(ws->steps[i].prim);
    for (int i = 0; i < ws->n_mems; i++) dnnl_memory_destroy(ws->mems[i]);
    if (ws->stream) dnnl_stream_destroy(ws->stream);
    if (ws->engine) dnnl_engine_destroy(ws->engine);
    for (int s = 0; s < SLOT_COUNT; s++) free(ws->slot[s]);
    free(ws->full);
    free(ws->input);
    free(ws);
}

float *nn_workspace_input(nn_workspace *ws) { return ws->input; }

ns_status nn_forward(const ns_nn *net, nn_workspace *ws, const nn_core *core, ns_error *err)
{
    one_thread();
    unshuffle2(ws->input, ws->h, ws->w, ws->slot[SLOT_INPUT]);
    for (int i = 0; i < ws->n_steps; i++) {
        const nn_step *step = &ws->steps[i];
        if (step->prim) {
            TRY(dnnl_primitive_execute(step->prim, ws->stream, step->nargs, step->args), "execution");
        } else {
            TRY(dnnl_stream_wait(ws->stream), "execution");
            run_pool(step, ws->slot);
        }
    }
    TRY(dnnl_stream_wait(ws->stream), "execution");
    /* The core's rows and one more each side, for the 3x3 (the planes' zero border past the window's). */
    const int y0 = core->r0 > 0 ? core->r0 - 1 : 0, y1 = core->r1 < ws->h ? core->r1 + 1 : ws->h;
    shuffle2_with_input(ws->head, ws->input, ws->h, ws->w, y0, y1, ws->full);
    run_tail(net, ws->full, ws->h, ws->w, core);
    return NS_OK;
}
