/* test_nn_tiled.c — tiles do not show. With an overlap beyond the network's receptive
 * field, small tiles (64 px cores: ~100 seams) give the whole image's numbers to float
 * rounding: any indexing or seam error (a shifted core, a swapped sub-pixel, a window
 * edge padded wrongly) breaks that. With the default overlap a core pixel sees less
 * context than in the whole image, so numbers near seams differ a little: bounded
 * here for 64 px tiles and for the default tiles. */
#include <math.h>

#include "nn/nn_internal.h"
#include "nn_test_util.h"

#define DEV_IMAGE "dsb2018-dev/f29fd9c52e04403c.png" /* 1272 x 603: the largest dev image */
#define DEV_IMAGE_MID "dsb2018-dev/e23e11414ee645b5.png" /* 696 x 520 */
/* Default overlap, bounds with a margin over what the committed model gives
 * (64 px tiles: 0.009 and 0.984; default tiles, two across: 0.0004 and 0.9988). */
#define SMALL_MEAN_DIFF_MAX 0.02
#define SMALL_ARGMAX_AGREE_MIN 0.97
#define DEFAULT_MEAN_DIFF_MAX 2e-3
#define DEFAULT_ARGMAX_AGREE_MIN 0.995

static int argmax(const float *p, size_t plane, size_t i, int classes)
{
    int best = 0;
    for (int k = 1; k < classes; k++)
        if (p[k * plane + i] > p[best * plane + i]) best = k;
    return best;
}

static void compare(const char *what, const float *a, const float *b, size_t plane, int classes, double mean_max,
                    double agree_min)
{
    double sum = 0.0;
    size_t agree = 0;
    for (size_t i = 0; i < plane; i++) {
        for (int k = 0; k < classes; k++) sum += fabs((double)a[k * plane + i] - (double)b[k * plane + i]);
        agree += argmax(a, plane, i, classes) == argmax(b, plane, i, classes);
    }
    double mean = sum / (double)(plane * classes), share = (double)agree / (double)plane;
    fprintf(stderr, "%s: mean |diff| %.3g, argmax agreement %.5f\n", what, mean, share);
    CHECK_MSG(mean <= mean_max, "%s: mean abs diff %.3g > %.3g", what, mean, mean_max);
    CHECK_MSG(share >= agree_min, "%s: argmax agreement %.5f < %.4f", what, share, agree_min);
}

/* The whole image in one piece: a tile as large as the padded image. */
static ns_status predict_whole(const ns_nn *net, const ns_image *img, float *probs, ns_error *err)
{
    int one = (img->width > img->height ? img->width : img->height) + 15;
    return ns_nn_predict_tiled(net, img, one - one % 16, probs, err);
}

static void test_tiles_equal_whole_beyond_receptive_field(void)
{
    ns_image img = {0};
    ns_nn *net = NULL;
    ns_error err;
    CHECK(nn_test_read_image(DEV_IMAGE_MID, &img));
    CHECK_OK(ns_nn_load_builtin("nuclei", &net, &err), err);
    if (!img.data || !net) goto done;
    const int classes = ns_nn_classes(net);
    const size_t n = (size_t)img.width * img.height * classes;
    float *whole = malloc(n * sizeof *whole), *tiled = malloc(n * sizeof *tiled);
    CHECK_OK(predict_whole(net, &img, whole, &err), err);
    int overlap = (NN_RECEPTIVE_RADIUS + 15) / 16 * 16;
    CHECK_OK(nn_predict_tiles(net, &img, 64, overlap, tiled, &err), err);
    double worst = 0.0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)whole[i] - (double)tiled[i]);
        if (!(d <= worst)) worst = d, at = i;
    }
    fprintf(stderr, "64 px tiles, overlap %d: max |diff| %.3g\n", overlap, worst);
    CHECK_MSG(worst <= 1e-5, "max diff %.3g at class %zu, pixel (%zu, %zu)", worst, at / ((size_t)img.width * img.height),
              at % img.width, at / img.width % img.height);
    free(whole);
    free(tiled);
done:
    ns_nn_free(net);
    ns_image_free(&img);
}

static void test_tiles_agree_with_whole(void)
{
    ns_image img = {0};
    ns_nn *net = NULL;
    ns_error err;
    CHECK(nn_test_read_image(DEV_IMAGE, &img));
    CHECK_OK(ns_nn_load_builtin("nuclei", &net, &err), err);
    if (!img.data || !net) goto done;
    const int classes = ns_nn_classes(net);
    const size_t plane = (size_t)img.width * img.height;
    float *whole = malloc(plane * classes * sizeof *whole), *tiled = malloc(plane * classes * sizeof *tiled);
    CHECK_OK(predict_whole(net, &img, whole, &err), err);
    for (size_t i = 0; i < plane; i++) {
        double s = 0.0;
        for (int k = 0; k < classes; k++) s += whole[k * plane + i];
        if (fabs(s - 1.0) > 1e-5) { CHECK_MSG(0, "pixel %zu: probabilities sum to %g", i, s); break; }
    }
    CHECK_OK(ns_nn_predict_tiled(net, &img, 64, tiled, &err), err);
    compare("64 px tiles", tiled, whole, plane, classes, SMALL_MEAN_DIFF_MAX, SMALL_ARGMAX_AGREE_MIN);
    CHECK_OK(ns_nn_predict(net, &img, tiled, &err), err);
    compare("default tiles", tiled, whole, plane, classes, DEFAULT_MEAN_DIFF_MAX, DEFAULT_ARGMAX_AGREE_MIN);
    free(whole);
    free(tiled);
done:
    ns_nn_free(net);
    ns_image_free(&img);
}

static void test_bad_tile_refused(void)
{
    ns_image img = {0};
    ns_nn *net = NULL;
    ns_error err;
    CHECK_OK(ns_image_alloc(&img, 40, 30, NS_PIXEL_U8, &err), err);
    CHECK_OK(ns_nn_load_builtin("nuclei", &net, &err), err);
    float probs[3 * 40 * 30];
    CHECK(ns_nn_predict_tiled(net, &img, 72, probs, &err) == NS_ERR_INVALID);
    CHECK(ns_nn_predict_tiled(net, &img, 48, probs, &err) == NS_ERR_INVALID);
    /* A flat image (hi == lo) is predicted, not refused. */
    CHECK_OK(ns_nn_predict(net, &img, probs, &err), err);
    /* Images smaller than the network's coarsest grid (padded up to 16) and thin ones. */
    const int sizes[][2] = {{1, 1}, {3, 100}, {100, 3}, {17, 33}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        ns_image small = {0};
        CHECK_OK(ns_image_alloc(&small, sizes[s][0], sizes[s][1], NS_PIXEL_U8, &err), err);
        for (int i = 0; i < small.width * small.height; i++) ((unsigned char *)small.data)[i] = (unsigned char)(i * 37);
        CHECK_OK(ns_nn_predict(net, &small, probs, &err), err);
        double sum = 0.0;
        for (int k = 0; k < 3; k++) sum += probs[k * small.width * small.height];
        CHECK_NEAR(sum, 1.0, 1e-5);
        ns_image_free(&small);
    }
    ns_nn_free(net);
    ns_image_free(&img);
}

int main(void)
{
    RUN(test_tiles_equal_whole_beyond_receptive_field);
    RUN(test_tiles_agree_with_whole);
    RUN(test_bad_tile_refused);
    return check_report();
}
