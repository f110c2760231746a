/* bench_nn.c — speed of the learned network's inference (ns_nn_predict: normalisation,
 * network, softmax) on one thread, at 256x256 and at 2048x2048.
 *
 *   bench_nn OUT_DIR [--data tests/data/dsb2018-dev] [--model nuclei] [--repeats 7]
 *
 * (a) every 256x256 image of --data (8-bit DSB2018 crops), each timed --repeats times
 *     round after round, median per image, then the median over images; (b) one
 *     2048x2048 image made of 8 x 8 mirrored copies of the first of them (the network's
 *     cost does not depend on the content), timed once per round, median. Both in ms
 *     and in ns per pixel, and their ratio: the targets are <= 10 ms per 256^2
 *     and the same cost per pixel (+-10 %) at 2048^2. The ratio is taken round by round
 *     (the 2048^2 image against the median 256^2 image of the same round, a second
 *     apart) and its median reported, so that load on a shared host, which comes and
 *     goes over minutes, weighs on both sides alike. Only ns_nn_predict is timed
 *     (CLOCK_MONOTONIC; the model is loaded and the images read first).
 *
 * Writes OUT_DIR/nn_speed.csv (case,width,height,images,repeats,ms_median,ns_per_pixel,
 * ratio_to_256). Exit: 0 measured (targets met or not), 2 usage, 3 could not measure. */
#include <dirent.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "nucseg/fsutil.h"
#include "nucseg/image.h"
#include "nucseg/nn.h"
#include "nucseg/stats.h"

#define TARGET_MS_PER_256SQ 10.0
#define TARGET_RATIO_TOLERANCE 0.10
#define BIG 2048

/* The 256x256 images of dir (not *_labels.png), sorted by name; *count of them. */
static ns_status read_small_images(const char *dir, ns_image **out, size_t *count, ns_error *err)
{
    *out = NULL;
    *count = 0;
    char **names = NULL;
    size_t n = 0;
    ns_status st = bench_list_images(dir, &names, &n, err);
    if (st != NS_OK) return st;
    ns_image *imgs = calloc(n, sizeof *imgs);
    if (!imgs) st = ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n && st == NS_OK; i++) {
        ns_image img;
        st = ns_image_read(names[i], 0, 0, &img, err);
        if (st != NS_OK) break;
        if (img.width == 256 && img.height == 256) imgs[(*count)++] = img;
        else ns_image_free(&img);
    }
    bench_free_paths(names, n);
    if (st == NS_OK && *count == 0) st = ns_error_set(err, NS_ERR_EMPTY, "%s: no 256x256 images", dir);
    if (st != NS_OK) {
        for (size_t i = 0; imgs && i < *count; i++) ns_image_free(&imgs[i]);
        free(imgs);
        *count = 0;
        return st;
    }
    *out = imgs;
    return NS_OK;
}

static double time_predict(const ns_nn *net, const ns_image *img, float *probs, ns_error *err, ns_status *st)
{
    double t0 = ns_clock_ms();
    *st = ns_nn_predict(net, img, probs, err);
    return ns_clock_ms() - t0;
}

int main(int argc, char **argv)
{
    const char *data = "tests/data/dsb2018-dev", *model = "nuclei";
    int repeats = 7;
    static const struct option longopts[] = {
        {"data", required_argument, 0, 'd'}, {"model", required_argument, 0, 'm'},
        {"repeats", required_argument, 0, 'r'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1;) {
        if (c == 'd') data = optarg;
        else if (c == 'm') model = optarg;
        else if (c == 'r' && (repeats = (int)bench_parse_positive(optarg)) > 0) continue;
        else {
            fprintf(c == 'h' ? stdout : stderr,
                    "usage: bench_nn OUT_DIR [--data DIR] [--model NAME|FILE] [--repeats N]\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "usage: bench_nn OUT_DIR [--data DIR] [--model NAME|FILE] [--repeats N]\n");
        return 2;
    }
    const char *out_dir = argv[optind];
    ns_error err;
    ns_nn *net = NULL;
    ns_image *small = NULL, big = {0};
    size_t count = 0;
    float *probs = NULL;
    double *per_image = NULL, *times = NULL, *big_times = NULL, *ratios = NULL;
    int rc = 3;
    ns_status st = ns_mkdirs(out_dir, &err);
    if (st == NS_OK) st = ns_nn_load(model, &net, &err);
    if (st == NS_OK) st = read_small_images(data, &small, &count, &err);
    if (st == NS_OK) st = bench_tile_mirrored(&small[0], BIG, &big, &err);
    if (st != NS_OK) {
        fprintf(stderr, "bench_nn: %s\n", err.message);
        goto done;
    }
    const int classes = ns_nn_classes(net);
    probs = malloc((size_t)classes * BIG * BIG * sizeof *probs);
    per_image = malloc(count * sizeof *per_image);
    times = malloc((size_t)repeats * (count > 1 ? count : 1) * sizeof *times);
    big_times = malloc((size_t)repeats * sizeof *big_times);
    ratios = malloc((size_t)repeats * sizeof *ratios);
    if (!probs || !per_image || !times || !big_times || !ratios) {
        fprintf(stderr, "bench_nn: out of memory\n");
        goto done;
    }
    ns_tune_allocator(); /* as nucseg's workers do: buffers reused, not page-faulted anew */
    bench_print_load("before");
    printf("model %s (CRC-32 %08lx), one thread\n", ns_nn_name(net), ns_nn_checksum(net));
    /* Warm-up: page in the weights and the workspaces' first allocations. */
    time_predict(net, &small[0], probs, &err, &st);
    if (st == NS_OK) time_predict(net, &big, probs, &err, &st);
    /* Rounds over the set and the big image, so that a burst of load hits every image
     * alike; the per-pixel ratio of each round from its own two halves. */
    for (int r = 0; r < repeats && st == NS_OK; r++) {
        for (size_t i = 0; i < count && st == NS_OK; i++) {
            times[i * repeats + r] = time_predict(net, &small[i], probs, &err, &st);
            per_image[i] = times[i * repeats + r];
        }
        if (st == NS_OK) big_times[r] = time_predict(net, &big, probs, &err, &st);
        ratios[r] = big_times[r] / ((double)BIG * BIG) / (ns_median(per_image, count) / (256.0 * 256.0));
    }
    if (st != NS_OK) {
        fprintf(stderr, "bench_nn: %s\n", err.message);
        goto done;
    }
    for (size_t i = 0; i < count; i++) per_image[i] = ns_median(times + i * repeats, (size_t)repeats);
    const double ms_small = ns_median(per_image, count);
    const double ms_big = ns_median(big_times, (size_t)repeats);
    const double ns_small = ms_small * 1e6 / (256.0 * 256.0), ns_big = ms_big * 1e6 / ((double)BIG * BIG);
    ns_summary rs;
    if ((st = ns_summarize(ratios, (size_t)repeats, &rs, &err)) != NS_OK) {
        fprintf(stderr, "bench_nn: per-pixel ratios: %s\n", err.message);
        goto done;
    }
    const double ratio = rs.median, ratio_lo = rs.min, ratio_hi = rs.max;
    bench_print_load("after");
    printf("256x256 (%zu images, median of %d each): %.2f ms per image, %.1f ns per pixel (target <= %.0f ms: %s)\n",
           count, repeats, ms_small, ns_small, TARGET_MS_PER_256SQ, ms_small <= TARGET_MS_PER_256SQ ? "met" : "MISSED");
    printf("%dx%d (median of %d): %.1f ms per image, %.1f ns per pixel; per-pixel cost %.3f x 256^2's "
           "(median of %d rounds, %.3f-%.3f; target 1 +- %.2f: %s)\n",
           BIG, BIG, repeats, ms_big, ns_big, ratio, repeats, ratio_lo, ratio_hi, TARGET_RATIO_TOLERANCE,
           ratio <= 1 + TARGET_RATIO_TOLERANCE && ratio >= 1 - TARGET_RATIO_TOLERANCE ? "met" : "MISSED");
    char *csv = ns_path_join(out_dir, "nn_speed.csv");
    char text[1024];
    snprintf(text, sizeof text,
             "case,width,height,images,repeats,ms_median,ns_per_pixel,ratio_to_256\n"
             "256,256,256,%zu,%d,%.4f,%.3f,1\n"
             "%d,%d,%d,1,%d,%.4f,%.3f,%.4f\n",
             count, repeats, ms_small, ns_small, BIG, BIG, BIG, repeats, ms_big, ns_big, ratio);
    st = csv ? ns_write_file_atomic(csv, text, strlen(text), &err) : ns_error_set(&err, NS_ERR_NOMEM, "out of memory");
    if (st != NS_OK) fprintf(stderr, "bench_nn: %s\n", err.message);
    else rc = 0;
    free(csv);
done:
    free(ratios);
    free(big_times);
    free(times);
    free(per_image);
    free(probs);
    ns_image_free(&big);
    for (size_t i = 0; i < count; i++) ns_image_free(&small[i]);
    free(small);
    ns_nn_free(net);
    return rc;
}
