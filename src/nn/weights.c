/* weights.c — the weight file (train/nuclei_net.py, export_bytes): parsed, checked and
 * copied into an ns_nn.
 *
 * Layout, little-endian: "NUCSEGNN", u32 version, u32 widths[4], u32 classes,
 * f32 normalisation percentiles (lo, hi), u32 layer count, then per layer u32 out, in,
 * k, f32 weights [out][in][ky][kx], f32 biases [out]; last the CRC-32 of all before it.
 * The checks run from the cheapest and most telling to the last: magic, version,
 * header values, the size the header's shapes imply (truncated), the checksum, and
 * each layer's shape against the architecture. */
#include <libdeflate.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn_internal.h"
#include "nucseg/fsutil.h"

#define NN_MAGIC "NUCSEGNN"
#define NN_VERSION 2u
#define NN_HEADER_BYTES 44u
#define NN_MAX_WIDTH 1024u

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float get_f32(const unsigned char *p)
{
    uint32_t u = get_u32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* The architecture's shape of each layer (NucleiNet.__init__). */
static void expected_shapes(const uint32_t c[4], uint32_t classes, uint32_t shape[NN_LAYERS][3])
{
    const uint32_t s[NN_LAYERS][3] = {
        {c[0], 4, 3},    {c[0], c[0], 3}, {c[1], c[0], 3}, {c[1], c[1], 3},
        {c[2], c[1], 3}, {c[2], c[2], 3}, {c[3], c[2], 3}, {c[3], c[3], 3},
        {c[2], c[3], 1}, {c[2], c[2], 3}, {c[1], c[2], 1}, {c[1], c[1], 3},
        {c[0], c[1], 1}, {c[0], c[0], 3}, {4 * NN_REFINE_CHANNELS, c[0], 1},
        {NN_REFINE_HIDDEN, NN_REFINE_CHANNELS + 1, 3}, {classes, NN_REFINE_HIDDEN, 1},
    };
    memcpy(shape, s, sizeof s);
}

/* A percentile stored as float32: the decimal the training script wrote (99.8, not
 * 99.80000305), since its normalisation uses the decimal; 7 digits is float32's. */
static double stored_percentile(float f)
{
    char text[32];
    snprintf(text, sizeof text, "%.7g", (double)f);
    return strtod(text, NULL);
}

ns_status ns_nn_load_memory(const void *data, size_t size, const char *name, ns_nn **out, ns_error *err)
{
    const unsigned char *b = data;
    *out = NULL;
    if (memcmp(b, NN_MAGIC, size < 8 ? size : 8) != 0)
        return ns_error_set(err, NS_ERR_FORMAT, "%s: not a nucseg network file (bad magic)", name);
    if (size < NN_HEADER_BYTES + 4)
        return ns_error_set(err, NS_ERR_FORMAT, "%s: truncated network file (%zu bytes, a header alone is %u)",
                            name, size, NN_HEADER_BYTES + 4);
    uint32_t version = get_u32(b + 8);
    if (version != NN_VERSION)
        return ns_error_set(err, NS_ERR_UNSUPPORTED, "%s: network file format version %u, this nucseg reads %u",
                            name, version, NN_VERSION);
    uint32_t widths[4], classes = get_u32(b + 28), n_layers = get_u32(b + 40);
    for (int i = 0; i < 4; i++) {
        widths[i] = get_u32(b + 12 + 4 * i);
        if (widths[i] == 0 || widths[i] > NN_MAX_WIDTH)
            return ns_error_set(err, NS_ERR_FORMAT, "%s: corrupt network file (level %d width %u)", name, i + 1, widths[i]);
    }
    if (classes < 2 || classes > NN_MAX_CLASSES)
        return ns_error_set(err, NS_ERR_FORMAT, "%s: corrupt network file (%u classes)", name, classes);
    if (n_layers != NN_LAYERS)
        return ns_error_set(err, NS_ERR_FORMAT, "%s: corrupt network file (%u layers, the network has %d)", name,
                            n_layers, NN_LAYERS);
    uint32_t shape[NN_LAYERS][3];
    expected_shapes(widths, classes, shape);
    size_t n_params = 0, expected = NN_HEADER_BYTES + 4;
    for (int l = 0; l < NN_LAYERS; l++) {
        size_t n = (size_t)shape[l][0] * shape[l][1] * shape[l][2] * shape[l][2] + shape[l][0];
        n_params += n;
        expected += 12 + 4 * n;
    }
    if (size < expected)
        return ns_error_set(err, NS_ERR_FORMAT, "%s: truncated network file (%zu bytes, its header's layers need %zu)",
                            name, size, expected);
    if (size > expected)
        return ns_error_set(err, NS_ERR_FORMAT,
                            "%s: corrupt network file (%zu bytes, its header's layers need %zu: trailing data)", name,
                            size, expected);
    unsigned long crc = (unsigned long)libdeflate_crc32(0, b, size - 4);
    if (crc != get_u32(b + size - 4))
        return ns_error_set(err, NS_ERR_FORMAT, "%s: corrupt network file (checksum mismatch: CRC-32 %08lx, stored %08x)",
                            name, crc, get_u32(b + size - 4));
    float lo = get_f32(b + 32), hi = get_f32(b + 36);
    if (!(lo >= 0.0f && lo < hi && hi <= 100.0f))
        return ns_error_set(err, NS_ERR_FORMAT, "%s: corrupt network file (normalisation percentiles %g, %g)", name,
                            (double)lo, (double)hi);

    ns_nn *net = calloc(1, sizeof *net);
    if (!net) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", name);
    net->name = strdup(name);
    net->params = malloc(n_params * sizeof *net->params);
    if (!net->name || !net->params || nn_cache_new(&net->cache) != NS_OK) {
        ns_nn_free(net);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", name);
    }
    for (int i = 0; i < 4; i++) net->widths[i] = (int)widths[i];
    net->classes = (int)classes;
    net->norm_lo_pct = stored_percentile(lo);
    net->norm_hi_pct = stored_percentile(hi);
    net->crc = crc;
    size_t pos = NN_HEADER_BYTES;
    float *p = net->params;
    for (int l = 0; l < NN_LAYERS; l++) {
        uint32_t cout = get_u32(b + pos), cin = get_u32(b + pos + 4), k = get_u32(b + pos + 8);
        if (cout != shape[l][0] || cin != shape[l][1] || k != shape[l][2]) {
            ns_nn_free(net);
            return ns_error_set(err, NS_ERR_FORMAT,
                                "%s: corrupt network file (layer %d is %u x %u x %ux%u, the network needs %u x %u x %ux%u)",
                                name, l + 1, cout, cin, k, k, shape[l][0], shape[l][1], shape[l][2], shape[l][2]);
        }
        pos += 12;
        nn_layer *layer = &net->layer[l];
        layer->cout = (int)cout;
        layer->cin = (int)cin;
        layer->k = (int)k;
        size_t nw = (size_t)cout * cin * k * k;
        layer->weight = p;
        layer->bias = p + nw;
        for (size_t i = 0; i < nw + cout; i++, pos += 4) {
            p[i] = get_f32(b + pos);
            if (!isfinite(p[i])) {
                ns_nn_free(net);
                return ns_error_set(err, NS_ERR_FORMAT, "%s: corrupt network file (layer %d: a weight is not finite)",
                                    name, l + 1);
            }
        }
        p += nw + cout;
    }
    *out = net;
    return NS_OK;
}

ns_status ns_nn_load_file(const char *path, ns_nn **out, ns_error *err)
{
    *out = NULL;
    ns_status st = ns_require_regular_file(path, err);
    if (st != NS_OK) return st;
    char *bytes = NULL;
    size_t len = 0;
    st = ns_read_text_file(path, &bytes, &len, err);
    if (st != NS_OK) return st;
    st = ns_nn_load_memory(bytes, len, path, out, err);
    free(bytes);
    return st;
}

void ns_nn_free(ns_nn *net)
{
    if (!net) return;
    nn_cache_free(net->cache);
    free(net->params);
    free(net->name);
    free(net);
}

const char *ns_nn_name(const ns_nn *net) { return net->name; }
int ns_nn_classes(const ns_nn *net) { return net->classes; }
unsigned long ns_nn_checksum(const ns_nn *net) { return net->crc; }
