/* bench_learned.c — the classical and the learned pipeline side by side: accuracy on
 * dsb2018-dev and milliseconds per image, one thread, in the same run.
 *
 *   bench_learned OUT_DIR [--data tests/data/dsb2018-dev] [--model nuclei] [--repeats 3]
 *
 * Every <id>.png of the data folder (never used in training) is read first; then each
 * pipeline segments the set round after round (at least --repeats rounds), median over
 * rounds per image, and one more run is scored against <id>_labels.png (F1 at IoU 0.5,
 * DSB2018 score, averaged over images as `nucseg eval` does). Also the learned
 * pipeline's cost per pixel on a 2048x2048 image (the first image, mirrored copies),
 * against its cost per pixel on the 256x256 images: the "same cost per pixel".
 * The 2048x2048 image is segmented once per round, after the set, and the ratio taken
 * round by round against the median 256x256 image of the same round (a second apart),
 * its median reported: load on a shared host comes and goes over minutes, and so
 * weighs on both sides of each round's ratio alike.
 *
 * Writes OUT_DIR/learned_vs_classical.csv (per image) and prints the table. Exit: 0
 * measured (targets met or not), 2 usage, 3 could not measure. */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "nucseg/eval.h"
#include "nucseg/fsutil.h"
#include "nucseg/image.h"
#include "nucseg/nn.h"
#include "nucseg/segment.h"
#include "nucseg/stats.h"

#define TARGET_MS_PER_256SQ 10.0
#define TARGET_F1 0.92
#define TARGET_DSB 0.65
#define TILED_SIZE 2048

typedef struct {
    char *path;
    ns_image img, truth; /* truth: U32 labels */
} sample;

typedef struct {
    const char *name;
    ns_segment_params params;
    double *ms;            /* per image: median over rounds */
    double *f1, *dsb;      /* per image */
    size_t *nuclei;
    double tiled_ms;       /* the 2048x2048 image: median over rounds (NaN: not timed) */
    double ratio, ratio_lo, ratio_hi; /* its ns per pixel over the 256x256 images': median, range over rounds */
} pipeline;

/* Every image of dir with its ground truth, sorted by name. */
static ns_status load_set(const char *dir, sample **out, size_t *count, ns_error *err)
{
    char **paths = NULL;
    size_t n = 0;
    *out = NULL;
    *count = 0;
    ns_status st = bench_list_images(dir, &paths, &n, err);
    if (st != NS_OK) return st;
    sample *s = calloc(n, sizeof *s);
    if (!s) st = ns_error_set(err, NS_ERR_NOMEM, "%s: %zu images", dir, n);
    for (size_t i = 0; st == NS_OK && i < n; i++) {
        char *truth = bench_truth_path(paths[i]);
        ns_image gt = {0};
        s[i].path = paths[i];
        paths[i] = NULL; /* handed to the sample */
        if (!truth) st = ns_error_set(err, NS_ERR_NOMEM, "%s: paths", dir);
        if (st == NS_OK) st = ns_image_read(s[i].path, 0, 0, &s[i].img, err);
        if (st == NS_OK) st = ns_image_read(truth, 0, 0, &gt, err);
        if (st == NS_OK) st = ns_image_to_u32(&gt, &s[i].truth, err);
        ns_image_free(&gt);
        free(truth);
    }
    bench_free_paths(paths, n);
    *out = s;
    *count = s ? n : 0;
    return st;
}

static void free_set(sample *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++) {
        free(s[i].path);
        ns_image_free(&s[i].img);
        ns_image_free(&s[i].truth);
    }
    free(s);
}

/* ms of one segmentation of img with p (the result discarded). */
static double time_segment(const pipeline *p, const ns_image *img, ns_status *st, ns_error *err)
{
    ns_segmentation seg = {0};
    double t0 = ns_clock_ms();
    *st = ns_segment(img, &p->params, &seg, err);
    double ms = ns_clock_ms() - t0;
    ns_segmentation_free(&seg);
    return ms;
}

/* Median ms over the 256x256 images of one round (ms[i * repeats + r]); NaN when none. */
static double round_median_256(const sample *s, size_t n, const double *ms, int repeats, int r, double *scratch)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i].img.width == 256 && s[i].img.height == 256) scratch[k++] = ms[i * (size_t)repeats + (size_t)r];
    return k ? ns_median(scratch, k) : NAN;
}

/* Time rounds over the set (and, when big is given, big once per round after it), then
 * score one more run of each image. */
static ns_status measure(pipeline *p, const sample *s, size_t n, int repeats, const ns_image *big, ns_error *err)
{
    double *ms = calloc(n * (size_t)repeats, sizeof *ms);
    double *big_ms = calloc((size_t)repeats, sizeof *big_ms), *ratios = calloc((size_t)repeats, sizeof *ratios);
    double *scratch = calloc(n ? n : 1, sizeof *scratch);
    p->ms = calloc(n, sizeof *p->ms);
    p->f1 = calloc(n, sizeof *p->f1);
    p->dsb = calloc(n, sizeof *p->dsb);
    p->nuclei = calloc(n, sizeof *p->nuclei);
    p->tiled_ms = p->ratio = p->ratio_lo = p->ratio_hi = NAN;
    ns_status st = NS_OK;
    if (!ms || !big_ms || !ratios || !scratch || !p->ms || !p->f1 || !p->dsb || !p->nuclei)
        st = ns_error_set(err, NS_ERR_NOMEM, "timing buffers");
    if (st == NS_OK && big) time_segment(p, big, &st, err); /* warm-up: its workspace's first allocation */
    for (int r = 0; st == NS_OK && r < repeats; r++) {
        for (size_t i = 0; st == NS_OK && i < n; i++) {
            ms[i * (size_t)repeats + (size_t)r] = time_segment(p, &s[i].img, &st, err);
            if (st) ns_error_prefix(err, "%s", s[i].path);
        }
        if (st == NS_OK && big) {
            big_ms[r] = time_segment(p, big, &st, err);
            ratios[r] = big_ms[r] / ((double)TILED_SIZE * TILED_SIZE) /
                        (round_median_256(s, n, ms, repeats, r, scratch) / (256.0 * 256.0));
        }
    }
    ns_summary rs;
    if (st == NS_OK && big) {
        p->tiled_ms = ns_median(big_ms, (size_t)repeats);
        /* No 256x256 image in the set: the ratios are NaN, and stay unreported. */
        if (ns_summarize(ratios, (size_t)repeats, &rs, NULL) == NS_OK) {
            p->ratio = rs.median;
            p->ratio_lo = rs.min;
            p->ratio_hi = rs.max;
        }
    }
    for (size_t i = 0; st == NS_OK && i < n; i++) {
        ns_segmentation seg = {0};
        ns_image pred = {0};
        ns_eval_result res;
        st = ns_segment(&s[i].img, &p->params, &seg, err);
        if (st == NS_OK) st = ns_image_to_u32(&seg.labels, &pred, err);
        if (st == NS_OK) st = ns_eval_labels(s[i].truth.data, pred.data, seg.width, seg.height, &res, err);
        if (st) ns_error_prefix(err, "%s", s[i].path);
        if (st == NS_OK) {
            p->ms[i] = ns_median(ms + i * (size_t)repeats, (size_t)repeats);
            p->f1[i] = res.f1_50;
            p->dsb[i] = res.dsb_score;
            p->nuclei[i] = seg.count;
        }
        ns_image_free(&pred);
        ns_segmentation_free(&seg);
    }
    free(scratch);
    free(ratios);
    free(big_ms);
    free(ms);
    return st;
}

static void pipeline_free(pipeline *p)
{
    free(p->ms); free(p->f1); free(p->dsb); free(p->nuclei);
}

static double mean(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += v[i];
    return n ? s / (double)n : NAN;
}

/* Median ms over the 256x256 images (the unit), NaN when there are none. */
static double median_256(const pipeline *p, const sample *s, size_t n)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; v && i < n; i++)
        if (s[i].img.width == 256 && s[i].img.height == 256) v[k++] = p->ms[i];
    double m = v && k ? ns_median(v, k) : NAN;
    free(v);
    return m;
}

static ns_status write_csv(const char *out_dir, const sample *s, size_t n, const pipeline *p, int np,
                           ns_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/learned_vs_classical.csv", out_dir);
    FILE *f = fopen(path, "w");
    if (!f) return ns_error_set(err, NS_ERR_IO, "%s: cannot write", path);
    fprintf(f, "image,width,height,pipeline,ms,nuclei,f1_50,dsb_score\n");
    for (int k = 0; k < np; k++)
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%s,%d,%d,%s,%.4f,%zu,%.4f,%.4f\n", s[i].path, s[i].img.width, s[i].img.height, p[k].name,
                    p[k].ms[i], p[k].nuclei[i], p[k].f1[i], p[k].dsb[i]);
    if (fclose(f) != 0) return ns_error_set(err, NS_ERR_IO, "%s: write failed", path);
    return NS_OK;
}

/* One row per pipeline for run_all.sh's summary table. */
static ns_status write_summary(const char *out_dir, const sample *s, size_t n, const pipeline *p, int np,
                               ns_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/learned_summary.csv", out_dir);
    FILE *f = fopen(path, "w");
    if (!f) return ns_error_set(err, NS_ERR_IO, "%s: cannot write", path);
    fprintf(f, "pipeline,images,f1_50,dsb_score,ms_mean,ms_256,ns_per_px_256,ns_per_px_2048,ratio_2048_to_256\n");
    for (int k = 0; k < np; k++) {
        double m256 = median_256(&p[k], s, n);
        double big = p[k].tiled_ms / ((double)TILED_SIZE * TILED_SIZE) * 1e6;
        fprintf(f, "%s,%zu,%.4f,%.4f,%.3f,%.3f,%.2f,%.2f,%.4f\n", p[k].name, n, mean(p[k].f1, n), mean(p[k].dsb, n),
                mean(p[k].ms, n), m256, m256 / (256.0 * 256.0) * 1e6, big, p[k].ratio);
    }
    if (fclose(f) != 0) return ns_error_set(err, NS_ERR_IO, "%s: write failed", path);
    return NS_OK;
}

static void report(const sample *s, size_t n, const pipeline *p, int np, int repeats)
{
    printf("\n%-10s %8s %8s %14s %16s\n", "pipeline", "F1@0.5", "DSB", "ms/image mean", "ms per 256x256");
    for (int k = 0; k < np; k++)
        printf("%-10s %8.3f %8.3f %14.2f %16.2f\n", p[k].name, mean(p[k].f1, n), mean(p[k].dsb, n),
               mean(p[k].ms, n), median_256(&p[k], s, n));
    const pipeline *l = &p[np - 1];
    const double px256_ms = median_256(l, s, n);
    double per_px_256 = px256_ms / (256.0 * 256.0) * 1e6, per_px_big = l->tiled_ms / ((double)TILED_SIZE * TILED_SIZE) * 1e6;
    printf("\nlearned on %dx%d: %.1f ms = %.1f ns/px; on 256x256: %.1f ns/px; ratio, round by round: median %.3f "
           "of %d, %.3f-%.3f (target 0.90-1.10)\n",
           TILED_SIZE, TILED_SIZE, l->tiled_ms, per_px_big, per_px_256, l->ratio, repeats, l->ratio_lo, l->ratio_hi);
    printf("targets: F1 >= %.2f: %s; DSB >= %.2f: %s; <= %.0f ms per 256x256: %s\n", TARGET_F1,
           mean(l->f1, n) >= TARGET_F1 ? "met" : "NOT met", TARGET_DSB, mean(l->dsb, n) >= TARGET_DSB ? "met" : "NOT met",
           TARGET_MS_PER_256SQ, px256_ms <= TARGET_MS_PER_256SQ ? "met" : "NOT met");
    size_t wins = 0, losses = 0;
    for (size_t i = 0; i < n; i++) {
        wins += l->f1[i] > p[0].f1[i] + 1e-9;
        losses += l->f1[i] < p[0].f1[i] - 1e-9;
    }
    printf("learned vs classical, F1 per image: better on %zu, worse on %zu of %zu\n", wins, losses, n);
}

int main(int argc, char **argv)
{
    const char *data = "tests/data/dsb2018-dev", *model_spec = "nuclei";
    int repeats = 3;
    static const struct option longopts[] = {{"data", required_argument, NULL, 'd'},
                                             {"model", required_argument, NULL, 'm'},
                                             {"repeats", required_argument, NULL, 'r'},
                                             {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'd') data = optarg;
        else if (c == 'm') model_spec = optarg;
        else if (c == 'r' && (repeats = (int)bench_parse_positive(optarg)) > 0) continue;
        else {
            fprintf(c == 'h' ? stdout : stderr,
                    "usage: bench_learned OUT_DIR [--data DIR] [--model nuclei|FILE] [--repeats N]\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: bench_learned OUT_DIR [--data DIR] [--model nuclei|FILE] [--repeats N]\n");
        return 2;
    }
    const char *out_dir = argv[optind];
    ns_tune_allocator(); /* as the nucseg CLI does: buffers reused from image to image */
    ns_error err;
    ns_nn *model = NULL;
    sample *set = NULL;
    size_t n = 0;
    pipeline p[2] = {{.name = "classical"}, {.name = "learned"}};
    ns_segment_params_default(&p[0].params);
    ns_segment_params_default(&p[1].params);
    ns_image big = {0};
    ns_status st = ns_mkdirs(out_dir, &err);
    if (st == NS_OK) st = ns_nn_load(model_spec, &model, &err);
    p[1].params.model = model;
    if (st == NS_OK) st = load_set(data, &set, &n, &err);
    bench_print_load("before");
    if (st == NS_OK) st = bench_tile_mirrored(&set[0].img, TILED_SIZE, &big, &err);
    for (int k = 0; st == NS_OK && k < 2; k++) st = measure(&p[k], set, n, repeats, k == 1 ? &big : NULL, &err);
    bench_print_load("after");
    if (st == NS_OK) st = write_csv(out_dir, set, n, p, 2, &err);
    if (st == NS_OK) st = write_summary(out_dir, set, n, p, 2, &err);
    if (st == NS_OK) {
        printf("%zu images of %s, model %s, one thread, median of %d rounds per image\n", n, data,
               ns_nn_name(model), repeats);
        report(set, n, p, 2, repeats);
    } else {
        fprintf(stderr, "bench_learned: %s\n", err.message);
    }
    pipeline_free(&p[0]);
    pipeline_free(&p[1]);
    ns_image_free(&big);
    free_set(set, n);
    ns_nn_free(model);
    return st == NS_OK ? 0 : 3;
}
