/* nn_test_util.h — shared by the test_nn_* tests: a model path, images and the
 * reference probabilities that train/reference.py writes. */
#ifndef NUCSEG_NN_TEST_UTIL_H
#define NUCSEG_NN_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nucseg/fsutil.h"
#include "nucseg/image.h"
#include "nucseg/nn.h"

/* models/nuclei.nsnn of the source tree (tests/data is beside models/). */
static inline char *nn_test_model_path(void)
{
    char *data = ns_path_join(test_data_dir(), "../../models/nuclei.nsnn");
    return data;
}

static inline int nn_test_read_image(const char *rel, ns_image *img)
{
    char *path = ns_path_join(test_data_dir(), rel);
    ns_error err;
    ns_status st = ns_image_read(path, 0, 0, img, &err);
    if (st != NS_OK) fprintf(stderr, "%s\n", err.message);
    free(path);
    return st == NS_OK;
}

/* "NSPROBS1", u32 classes, height, width, float32 [class][y][x]; NULL on error. */
static inline float *nn_test_read_probs(const char *rel, int *classes, int *height, int *width)
{
    char *path = ns_path_join(test_data_dir(), rel), *bytes = NULL;
    size_t len = 0;
    ns_error err;
    float *probs = NULL;
    if (ns_read_text_file(path, &bytes, &len, &err) == NS_OK && len >= 20 && memcmp(bytes, "NSPROBS1", 8) == 0) {
        uint32_t hdr[3];
        memcpy(hdr, bytes + 8, sizeof hdr);
        size_t n = (size_t)hdr[0] * hdr[1] * hdr[2];
        if (len == 20 + 4 * n && (probs = malloc(4 * n))) {
            memcpy(probs, bytes + 20, 4 * n);
            *classes = (int)hdr[0];
            *height = (int)hdr[1];
            *width = (int)hdr[2];
        }
    }
    if (!probs) fprintf(stderr, "%s: cannot read reference probabilities\n", path);
    free(bytes);
    free(path);
    return probs;
}

#endif
