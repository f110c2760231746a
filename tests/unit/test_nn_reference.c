/* test_nn_reference.c — the C inference equals PyTorch's (train/reference.py, in
 * double precision) to 1e-4 on the reference images, with the built-in model and with
 * the weight file it was built from; and an image's pixel type does not change it. */
#include <math.h>

#include "nn_test_util.h"

#define TOLERANCE 1e-4

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m)) m = d; /* NaN counts as the largest difference */
    }
    return m;
}

static void check_reference(const ns_nn *net, const char *name)
{
    char png[64], ref[64];
    snprintf(png, sizeof png, "nn/%s.png", name);
    snprintf(ref, sizeof ref, "nn/%s.probs", name);
    ns_image img = {0};
    int k = 0, h = 0, w = 0;
    float *expected = nn_test_read_probs(ref, &k, &h, &w);
    CHECK(nn_test_read_image(png, &img) && expected);
    if (!img.data || !expected) goto done;
    CHECK(k == ns_nn_classes(net) && h == img.height && w == img.width);
    if (k != ns_nn_classes(net) || h != img.height || w != img.width) goto done;
    size_t n = (size_t)k * h * w;
    float *probs = malloc(n * sizeof *probs);
    ns_error err;
    CHECK_OK(ns_nn_predict(net, &img, probs, &err), err);
    double diff = max_abs_diff(probs, expected, n);
    fprintf(stderr, "%s (%s, %d x %d): max |C - PyTorch| = %.3g\n", name, ns_nn_name(net), w, h, diff);
    CHECK_MSG(diff <= TOLERANCE, "%s: max abs diff %.3g > %.1g", name, diff, TOLERANCE);

    /* The same pixels as float32 take the selection path of the normalisation (not
     * the histogram's); the numbers must be the same to the bit. */
    ns_image f32 = {0};
    CHECK_OK(ns_image_to_f32(&img, &f32, &err), err);
    float *probs_f32 = malloc(n * sizeof *probs_f32);
    CHECK_OK(ns_nn_predict(net, &f32, probs_f32, &err), err);
    CHECK_MSG(max_abs_diff(probs, probs_f32, n) == 0.0, "%s: float32 input differs by %.3g", name,
              max_abs_diff(probs, probs_f32, n));
    /* 16- and 32-bit pixels (the 16-bit histogram, the 32-bit selection): v * 2^8 and
     * v * 2^16 normalise to the very same floats, so the same bits again. */
    for (int bits = 16; bits <= 32; bits += 16) {
        ns_image wide = {0};
        CHECK_OK(ns_image_alloc(&wide, img.width, img.height, bits == 16 ? NS_PIXEL_U16 : NS_PIXEL_U32, &err), err);
        if (!wide.data) break;
        for (size_t i = 0; i < (size_t)img.width * img.height; i++) {
            unsigned v = ((const unsigned char *)img.data)[i];
            if (bits == 16) ((uint16_t *)wide.data)[i] = (uint16_t)(v << 8);
            else ((uint32_t *)wide.data)[i] = v << 16;
        }
        CHECK_OK(ns_nn_predict(net, &wide, probs_f32, &err), err);
        CHECK_MSG(max_abs_diff(probs, probs_f32, n) == 0.0, "%s: %d-bit input differs by %.3g", name, bits,
                  max_abs_diff(probs, probs_f32, n));
        ns_image_free(&wide);
    }
    free(probs_f32);
    ns_image_free(&f32);
    free(probs);
done:
    free(expected);
    ns_image_free(&img);
}

static void test_builtin_equals_pytorch(void)
{
    ns_nn *net = NULL;
    ns_error err;
    CHECK_OK(ns_nn_load_builtin("nuclei", &net, &err), err);
    if (!net) return;
    CHECK(ns_nn_classes(net) == 3);
    CHECK(strcmp(ns_nn_name(net), "nuclei") == 0);
    check_reference(net, "ref_small");
    check_reference(net, "ref_odd");
    ns_nn_free(net);
}

static void test_file_equals_pytorch(void)
{
    char *path = nn_test_model_path();
    ns_nn *net = NULL, *builtin = NULL;
    ns_error err;
    CHECK_OK(ns_nn_load_file(path, &net, &err), err);
    CHECK_OK(ns_nn_load("nuclei", &builtin, &err), err);
    if (net && builtin) {
        /* The built-in model is this very file (a rebuild picks up new weights). */
        CHECK(ns_nn_checksum(net) == ns_nn_checksum(builtin));
        check_reference(net, "ref_small");
        check_reference(net, "ref_odd");
    }
    ns_nn_free(builtin);
    ns_nn_free(net);
    free(path);
}

int main(void)
{
    RUN(test_builtin_equals_pytorch);
    RUN(test_file_equals_pytorch);
    return check_report();
}
