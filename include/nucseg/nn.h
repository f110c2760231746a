/* nn.h — the learned nuclei network: weights, and per-pixel class probabilities.
 *
 * The network (train/nuclei_net.py is its definition, docs/learned-nuclei.md its
 * design) maps one image plane to K class probabilities per pixel: for the built-in
 * "nuclei" model K = 3, background / interior / boundary. The instance step that
 * turns them into labels is ns_segment's (params.model), not this module's.
 *
 * A model is loaded once (per worker) and is read-only afterwards: one ns_nn may
 * serve any number of ns_nn_predict calls, each on its calling thread alone.
 * Memory stays bounded on large images: ns_nn_predict runs the network tile by tile
 * (with an overlap, so seams do not show) and keeps only the output planes whole. */
#ifndef NUCSEG_NN_H
#define NUCSEG_NN_H

#include <stddef.h>
#include "nucseg/error.h"
#include "nucseg/image.h"

typedef struct ns_nn ns_nn;

enum { NS_NN_BACKGROUND = 0, NS_NN_INTERIOR = 1, NS_NN_BOUNDARY = 2 };

/* A weight file's bytes (format in train/nuclei_net.py, export_bytes): magic, version,
 * layer shapes and the CRC-32 are checked; the numbers are copied. `name` is what
 * error messages and ns_nn_name call it (a path, or "nuclei"). */
ns_status ns_nn_load_memory(const void *data, size_t size, const char *name, ns_nn **out, ns_error *err);
/* A weight file on disk; errors name the path and the reason (missing, truncated,
 * not a nucseg network, version, checksum). */
ns_status ns_nn_load_file(const char *path, ns_nn **out, ns_error *err);
/* A model built into libnucseg ("nuclei": models/nuclei.nsnn of the source tree). */
ns_status ns_nn_load_builtin(const char *model_name, ns_nn **out, ns_error *err);
/* `spec` is a built-in model's name or else a weight file's path. */
ns_status ns_nn_load(const char *spec, ns_nn **out, ns_error *err);
void ns_nn_free(ns_nn *net);

const char *ns_nn_name(const ns_nn *net);
int ns_nn_classes(const ns_nn *net);
unsigned long ns_nn_checksum(const ns_nn *net); /* the file's CRC-32: which weights were used */

/* Class probabilities of img (U8/U16/U32/F32, any size): probs holds classes()
 * planes of width*height floats, plane k at probs + k*width*height, raster order.
 * The intensity normalisation (percentiles of the whole image) is the network's own.
 * Threads may share net; it keeps its last window's workspace (up to ~92 MB) for the
 * next call until ns_nn_free. */
ns_status ns_nn_predict(const ns_nn *net, const ns_image *img, float *probs, ns_error *err);
/* As ns_nn_predict with a given tile size (the core, without its overlap; a multiple
 * of 16, >= 64): for tests and benchmarks; ns_nn_predict picks its own. */
ns_status ns_nn_predict_tiled(const ns_nn *net, const ns_image *img, int tile, float *probs, ns_error *err);

#endif
