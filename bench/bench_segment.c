/* bench_segment.c — segmentation speed of nucseg against the scikit-image peer, on the
 * same files in the same run.
 *
 *   bench_segment OUT_DIR [--data tests/data/dsb2018-dev] [--repeats 5] [--src DIR]
 *
 * (a) dsb2018-dev: every <id>.png (not *_labels.png), default parameters (automatic
 *     diameter, as for an unknown magnification); (b) one synthetic 2048x2048 16-bit
 *     field with ~2000 nuclei of ~30 px, segmented with the 40X preset at the diameter it
 *     was generated with. Only ns_segment is timed (CLOCK_MONOTONIC; files are read
 *     first), round after round over the set (at least --repeats rounds, and enough to
 *     fill 2 s), median over rounds per image. Then bench/peer_skimage_segment.py runs on the
 *     same files (its own timing excludes reading too) and the two are compared against
 *     the targets: <= 1.5 ms per 256x256, <= 60 ms per 2048^2, >= 20x scikit-image.
 *
 * Writes OUT_DIR/segment_speed.csv, per-image times of both implementations, the
 * accuracy of both on dsb2018-dev (F1 at IoU 0.5, DSB2018 score) and synth_2048.tif.
 * Exit: 0 measured (targets met or not), 1 the peer failed (nucseg rows only), 2 usage,
 * 3 nucseg itself could not be measured. */
#include <dirent.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bench_common.h"
#include "nucseg/eval.h"
#include "nucseg/fsutil.h"
#include "nucseg/image.h"
#include "nucseg/report.h"
#include "nucseg/segment.h"
#include "nucseg/stats.h"
#include "nucseg/synth.h"

#define TARGET_MS_PER_256SQ 1.5
#define TARGET_MS_PER_2048SQ 60.0
#define TARGET_SPEEDUP 20.0

typedef struct {
    const char *out_dir;
    const char *data_dir;
    const char *src_dir;     /* where peer_skimage_segment.py lives */
    const char *python;
    int repeats;
    int synth_size;
    double synth_diameter;
    int synth_nuclei;        /* wanted count; the density is tuned to reach it */
    int run_peer;
} options;

/* One image of a dataset, as measured by one implementation. */
typedef struct {
    char *path;              /* owned */
    int width, height;
    double ms;               /* median over repeats (nucseg: over rounds) */
    size_t nuclei;
} timing;

typedef struct {
    const char *name;        /* "dsb2018-dev", "synth_2048" */
    char **paths;            /* owned, sorted */
    size_t count;
    ns_segment_params params;
    timing *nucseg;          /* owned; count */
    timing *peer;            /* owned; count, or NULL when the peer failed */
    double f1_nucseg, dsb_nucseg, f1_peer, dsb_peer; /* NAN: not scored */
    size_t scored_nucseg, scored_peer;
    int rounds;              /* rounds nucseg was timed over (time_nucseg) */
} dataset;

typedef struct {
    size_t images;
    double ms_median, ms_mean, ms_per_256sq; /* ms_per_256sq: total ms / total px * 65536 */
    size_t nuclei;
} totals;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bench_segment OUT_DIR [--data DIR] [--repeats N] [--src DIR] [--python PATH]\n"
            "                     [--synth-size PX] [--synth-diameter PX] [--synth-nuclei N] [--no-peer]\n"
            "Times ns_segment (median of N runs per image, reading excluded) on DIR/*.png (not\n"
            "*_labels.png; default tests/data/dsb2018-dev) and on a synthetic PXxPX 16-bit field\n"
            "(default 2048, ~2000 nuclei of 30 px), runs the scikit-image peer\n"
            "(SRC/peer_skimage_segment.py with PATH, default /usr/bin/python3) on the same files,\n"
            "and writes OUT_DIR/segment_speed.csv.\n");
}

static void free_timings(timing *t, size_t n)
{
    if (!t) return;
    for (size_t i = 0; i < n; i++) free(t[i].path);
    free(t);
}

static void dataset_free(dataset *d)
{
    bench_free_paths(d->paths, d->count);
    free_timings(d->nucseg, d->count);
    free_timings(d->peer, d->count);
}

/* Score labels against the ground truth next to the image; returns 0 when there is none. */
static int score_against_truth(const char *image_path, const ns_segmentation *seg, ns_eval_result *res)
{
    char *gt_path = bench_truth_path(image_path);
    if (!gt_path || !ns_file_exists(gt_path)) { free(gt_path); return 0; }
    ns_image gt = {0};
    ns_error err;
    int ok = 0;
    if (ns_image_read(gt_path, 0, 0, &gt, &err) != NS_OK) {
        fprintf(stderr, "bench_segment: %s (not scored)\n", err.message);
    } else if (gt.width != seg->width || gt.height != seg->height) {
        fprintf(stderr, "bench_segment: %s: size differs from the image (not scored)\n", gt_path);
    } else {
        ns_image truth = {0}, pred = {0};
        if (ns_image_to_u32(&gt, &truth, &err) == NS_OK && ns_image_to_u32(&seg->labels, &pred, &err) == NS_OK &&
            ns_eval_labels(truth.data, pred.data, gt.width, gt.height, res, &err) == NS_OK)
            ok = 1;
        else
            fprintf(stderr, "bench_segment: %s: %s (not scored)\n", gt_path, err.message);
        ns_image_free(&truth);
        ns_image_free(&pred);
    }
    ns_image_free(&gt);
    free(gt_path);
    return ok;
}

/* Rounds over the whole set: at least `repeats`, and as many more as fill
 * MIN_TIMED_MS (up to MAX_ROUNDS). A round over dsb2018-dev takes ~25 ms, so five
 * back-to-back rounds last a tenth of a second and one burst of the host's other load
 * can slow all of them; the peer's five rounds span seconds. Spreading our rounds over
 * a comparable stretch of time gives both the same exposure to that noise. */
#define MIN_TIMED_MS 2000.0
#define MAX_ROUNDS 400

/* Read every image first, then time ns_segment alone, round after round over the set:
 * median over rounds per image. Scores one more (untimed) run against ground truth
 * where there is one. */
static ns_status time_nucseg(dataset *d, int repeats, ns_error *err)
{
    d->nucseg = calloc(d->count, sizeof *d->nucseg);
    ns_image *images = calloc(d->count, sizeof *images);
    double *ms = calloc(d->count * (size_t)MAX_ROUNDS, sizeof *ms); /* ms[i * MAX_ROUNDS + round] */
    ns_status st = NS_OK;
    if (!d->nucseg || !images || !ms) st = ns_error_set(err, NS_ERR_NOMEM, "%s: timing buffers", d->name);
    for (size_t i = 0; st == NS_OK && i < d->count; i++) {
        st = ns_image_read(d->paths[i], 0, 0, &images[i], err);
    }
    int rounds = 0;
    double start = ns_clock_ms();
    while (st == NS_OK && rounds < MAX_ROUNDS && (rounds < repeats || ns_clock_ms() - start < MIN_TIMED_MS)) {
        for (size_t i = 0; st == NS_OK && i < d->count; i++) {
            ns_segmentation seg = {0};
            double t0 = ns_clock_ms();
            st = ns_segment(&images[i], &d->params, &seg, err);
            ms[i * MAX_ROUNDS + (size_t)rounds] = ns_clock_ms() - t0;
            if (st) ns_error_prefix(err, "%s", d->paths[i]);
            ns_segmentation_free(&seg);
        }
        rounds++;
    }
    d->rounds = rounds;
    double f1_sum = 0, dsb_sum = 0;
    size_t scored = 0;
    for (size_t i = 0; st == NS_OK && i < d->count; i++) {
        ns_segmentation seg = {0};
        st = ns_segment(&images[i], &d->params, &seg, err);
        if (st) ns_error_prefix(err, "%s", d->paths[i]);
        if (st == NS_OK) {
            timing *t = &d->nucseg[i];
            t->path = strdup(d->paths[i]);
            t->width = images[i].width;
            t->height = images[i].height;
            t->ms = ns_median(ms + i * MAX_ROUNDS, (size_t)rounds);
            t->nuclei = seg.count;
            if (!t->path) st = ns_error_set(err, NS_ERR_NOMEM, "%s: timing", d->paths[i]);
            ns_eval_result res;
            if (st == NS_OK && score_against_truth(d->paths[i], &seg, &res)) {
                f1_sum += res.f1_50;
                dsb_sum += res.dsb_score;
                scored++;
            }
        }
        ns_segmentation_free(&seg);
    }
    d->scored_nucseg = scored;
    d->f1_nucseg = scored ? f1_sum / (double)scored : NAN;
    d->dsb_nucseg = scored ? dsb_sum / (double)scored : NAN;
    if (images)
        for (size_t i = 0; i < d->count; i++) ns_image_free(&images[i]);
    free(images);
    free(ms);
    return st;
}

static ns_status compute_totals(const timing *t, size_t n, totals *out, ns_error *err)
{
    if (n == 0) return ns_error_set(err, NS_ERR_EMPTY, "timing summary: no images");
    double *ms = calloc(n, sizeof *ms);
    if (!ms) return ns_error_set(err, NS_ERR_NOMEM, "timing summary");
    double sum = 0, pixels = 0;
    size_t nuclei = 0;
    for (size_t i = 0; i < n; i++) {
        ms[i] = t[i].ms;
        sum += t[i].ms;
        pixels += (double)t[i].width * t[i].height;
        nuclei += t[i].nuclei;
    }
    out->images = n;
    out->ms_median = ns_median(ms, n);
    out->ms_mean = n ? sum / (double)n : NAN;
    /* Pixel-weighted: total time over total area, so large images count by their size. */
    out->ms_per_256sq = pixels > 0 ? sum / pixels * 65536.0 : NAN;
    out->nuclei = nuclei;
    free(ms);
    return NS_OK;
}

/* Per-image CSV in the peer's format: file,width,height,ms,nuclei. */
static ns_status write_timings(const char *path, const timing *t, size_t n, ns_error *err)
{
    ns_atomic_file f;
    ns_status st = ns_atomic_open(&f, path, err);
    if (st) return st;
    fprintf(f.fp, "file,width,height,ms,nuclei\n");
    for (size_t i = 0; i < n; i++) {
        ns_csv_field(f.fp, t[i].path);
        fprintf(f.fp, ",%d,%d,%.4f,%zu\n", t[i].width, t[i].height, t[i].ms, t[i].nuclei);
    }
    return ns_atomic_close(&f, err);
}

static ns_status write_list(const char *path, char **paths, size_t n, ns_error *err)
{
    ns_atomic_file f;
    ns_status st = ns_atomic_open(&f, path, err);
    if (st) return st;
    for (size_t i = 0; i < n; i++) fprintf(f.fp, "%s\n", paths[i]);
    return ns_atomic_close(&f, err);
}

/* Parse the peer's CSV, one row per input image in input order (checked by path). */
static ns_status read_peer_csv(const char *path, dataset *d, ns_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return ns_error_set(err, NS_ERR_IO, "%s: %s", path, strerror(errno));
    timing *t = calloc(d->count, sizeof *t);
    char *line = NULL;
    size_t cap = 0, row = 0;
    ns_status st = t ? NS_OK : ns_error_set(err, NS_ERR_NOMEM, "%s: reading", path);
    ssize_t len;
    int header = 1;
    while (st == NS_OK && (len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (header) { header = 0; continue; }
        if (len == 0) continue;
        /* Paths come from our own list and hold no commas (checked when it was written),
         * so the last four fields are found from the right. */
        char *c[4];
        char *end = line + len;
        int k = 4;
        while (k > 0 && end > line) {
            char *comma = memrchr(line, ',', (size_t)(end - line));
            if (!comma) break;
            c[--k] = comma + 1;
            *comma = '\0';
            end = comma;
        }
        if (k != 0) { st = ns_error_set(err, NS_ERR_FORMAT, "%s: row %zu: expected 5 fields", path, row + 2); break; }
        if (row >= d->count) { st = ns_error_set(err, NS_ERR_FORMAT, "%s: more rows than images", path); break; }
        if (strcmp(line, d->paths[row]) != 0) {
            st = ns_error_set(err, NS_ERR_FORMAT, "%s: row %zu is %s, expected %s", path, row + 2, line,
                              d->paths[row]);
            break;
        }
        t[row].path = strdup(line);
        t[row].width = atoi(c[0]);
        t[row].height = atoi(c[1]);
        t[row].ms = strtod(c[2], NULL);
        t[row].nuclei = (size_t)strtoull(c[3], NULL, 10);
        if (!t[row].path) st = ns_error_set(err, NS_ERR_NOMEM, "%s: reading", path);
        else if (!(t[row].ms > 0) || !isfinite(t[row].ms))
            st = ns_error_set(err, NS_ERR_FORMAT, "%s: row %zu: bad time %s", path, row + 2, c[2]);
        row++;
    }
    free(line);
    fclose(f);
    if (st == NS_OK && row != d->count)
        st = ns_error_set(err, NS_ERR_FORMAT, "%s: %zu rows for %zu images", path, row, d->count);
    if (st) { free_timings(t, d->count); return st; }
    d->peer = t;
    return NS_OK;
}

/* Mean F1 / DSB over the rows of the peer's score CSV (file,f1_iou50,dsb_score). */
static void read_peer_scores(const char *path, dataset *d)
{
    FILE *f = fopen(path, "r");
    if (!f) return;
    char *line = NULL;
    size_t cap = 0, n = 0;
    double f1 = 0, dsb = 0;
    int header = 1;
    while (getline(&line, &cap, f) >= 0) {
        if (header) { header = 0; continue; }
        char *b = strrchr(line, ',');
        if (!b) continue;
        *b = '\0';
        char *a = strrchr(line, ',');
        if (!a) continue;
        f1 += strtod(a + 1, NULL);
        dsb += strtod(b + 1, NULL);
        n++;
    }
    free(line);
    fclose(f);
    d->scored_peer = n;
    d->f1_peer = n ? f1 / (double)n : NAN;
    d->dsb_peer = n ? dsb / (double)n : NAN;
}

/* Run the peer on d's files (one process, its own timing); fills d->peer or says why not. */
static int run_peer(const options *o, dataset *d)
{
    ns_error err;
    char name[256];
    int ok = 0;
    snprintf(name, sizeof name, "peer_inputs_%s.txt", d->name);
    char *list = ns_path_join(o->out_dir, name);
    snprintf(name, sizeof name, "segment_times_skimage_%s.csv", d->name);
    char *csv = ns_path_join(o->out_dir, name);
    snprintf(name, sizeof name, "skimage_scores_%s.csv", d->name);
    char *scores = ns_path_join(o->out_dir, name);
    char *script = ns_path_join(o->src_dir, "peer_skimage_segment.py");
    char *q_py = bench_shell_quote(o->python), *q_script = script ? bench_shell_quote(script) : NULL;
    char *q_list = list ? bench_shell_quote(list) : NULL, *q_csv = csv ? bench_shell_quote(csv) : NULL;
    char *q_scores = scores ? bench_shell_quote(scores) : NULL;
    char *cmd = NULL;
    if (!q_py || !q_script || !q_list || !q_csv || !q_scores) {
        fprintf(stderr, "bench_segment: peer: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < d->count; i++) {
        if (strchr(d->paths[i], ',') || strchr(d->paths[i], '\n')) {
            fprintf(stderr, "bench_segment: peer: %s: path holds a comma or newline\n", d->paths[i]);
            goto done;
        }
    }
    if (write_list(list, d->paths, d->count, &err) != NS_OK) {
        fprintf(stderr, "bench_segment: peer: %s\n", err.message);
        goto done;
    }
    remove(csv); /* never read a CSV left over from an earlier run */
    /* One core for the peer too: nucseg is single-threaded, and so is the comparison. */
    if (asprintf(&cmd,
                 "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 %s %s --list %s "
                 "--repeats %d --out %s --score %s",
                 q_py, q_script, q_list, o->repeats, q_csv, q_scores) < 0) {
        cmd = NULL;
        fprintf(stderr, "bench_segment: peer: out of memory\n");
        goto done;
    }
    printf("running the peer on %s: %s\n", d->name, cmd);
    fflush(stdout);
    int rc = system(cmd);
    if (rc != 0) {
        fprintf(stderr, "bench_segment: peer failed on %s (%s exit status %d); nucseg rows only\n",
                d->name, script, rc == -1 ? -1 : WEXITSTATUS(rc));
        goto done;
    }
    if (read_peer_csv(csv, d, &err) != NS_OK) {
        fprintf(stderr, "bench_segment: peer output unusable: %s; nucseg rows only\n", err.message);
        goto done;
    }
    read_peer_scores(scores, d);
    ok = 1;
done:
    free(cmd);
    free(q_py); free(q_script); free(q_list); free(q_csv); free(q_scores);
    free(list); free(csv); free(scores); free(script);
    return ok;
}

/* The synthetic ground truth as "<stem>_labels.png" (16-bit) next to the image, where both
 * implementations' scoring looks for it. Skipped (not an error) beyond 65535 nuclei. */
static ns_status write_truth_png(const char *image_path, const ns_image *truth, ns_error *err)
{
    char *path = bench_truth_path(image_path); /* ".tif" and ".png" have the same length */
    if (!path) return ns_error_set(err, NS_ERR_NOMEM, "%s: truth path", image_path);
    ns_status st = NS_OK;
    if (truth->type == NS_PIXEL_U16) {
        st = ns_png_write(path, truth, err);
    } else if (truth->type == NS_PIXEL_U32) {
        ns_image t16 = {0};
        size_t n = (size_t)truth->width * truth->height;
        const uint32_t *src = truth->data;
        int fits = 1;
        for (size_t i = 0; i < n && fits; i++) fits = src[i] <= UINT16_MAX;
        if (fits && (st = ns_image_alloc(&t16, truth->width, truth->height, NS_PIXEL_U16, err)) == NS_OK) {
            uint16_t *dst = t16.data;
            for (size_t i = 0; i < n; i++) dst[i] = (uint16_t)src[i];
            st = ns_png_write(path, &t16, err);
        }
        ns_image_free(&t16);
    }
    free(path);
    return st;
}

/* ~count nuclei of `diameter` px on a size^2 field: the density is set from the wanted
 * count and corrected from the count actually placed (placement can fall short). */
static ns_status make_synth(const options *o, const char *path, size_t *count, ns_error *err)
{
    ns_synth_field_options so;
    ns_synth_field_options_default(&so);
    so.width = so.height = o->synth_size;
    so.diameter = o->synth_diameter;
    so.seed = 2048;
    double area = (double)o->synth_size * o->synth_size;
    double nucleus = M_PI * o->synth_diameter * o->synth_diameter / 4.0;
    so.density = fmin(0.6, o->synth_nuclei * nucleus / area);
    ns_image img = {0}, truth = {0};
    ns_status st = NS_OK;
    for (int attempt = 0; attempt < 4; attempt++) {
        ns_image_free(&img);
        ns_image_free(&truth);
        memset(&img, 0, sizeof img);
        memset(&truth, 0, sizeof truth);
        st = ns_synth_field(&so, &img, &truth, count, err);
        if (st) return st;
        printf("synthetic %dx%d field: density %.3f, diameter %.0f px -> %zu nuclei\n", so.width, so.height,
               so.density, so.diameter, *count);
        double ratio = (double)o->synth_nuclei / (double)(*count ? *count : 1);
        if (fabs(ratio - 1.0) <= 0.1 || so.density >= 0.6) break;
        so.density = fmin(0.6, so.density * ratio);
    }
    st = ns_tiff_write(path, &img, 0, err);
    if (st == NS_OK) st = write_truth_png(path, &truth, err);
    ns_image_free(&img);
    ns_image_free(&truth);
    return st;
}

static void print_target(const char *what, double value, const char *unit, int le, double target)
{
    if (!isfinite(value)) {
        printf("  %-44s %10s   target %s %g%s   n/a (not measured)\n", what, "-", le ? "<=" : ">=", target, unit);
        return;
    }
    int pass = le ? value <= target : value >= target;
    printf("  %-44s %10.3f%s target %s %g%s   %s\n", what, value, unit, le ? "<=" : ">=", target, unit,
           pass ? "PASS" : "MISS");
}

static void write_row(FILE *f, const char *dataset_name, const char *impl, const totals *t, double speedup)
{
    fprintf(f, "%s,%s,%zu,", dataset_name, impl, t->images);
    ns_csv_number(f, t->ms_median, 6);
    fputc(',', f);
    ns_csv_number(f, t->ms_per_256sq, 6);
    fprintf(f, ",%zu,", t->nuclei);
    ns_csv_number(f, speedup, 4);
    fputc('\n', f);
}

/* segment_speed.csv + segment_accuracy.csv + the table on stdout. */
static ns_status report(const options *o, const dataset *sets, size_t nsets, ns_error *err)
{
    totals tot_n[2], tot_p[2];
    if (nsets > 2) return ns_error_set(err, NS_ERR_INTERNAL, "report: %zu datasets", nsets);
    for (size_t s = 0; s < nsets; s++) {
        ns_status st = compute_totals(sets[s].nucseg, sets[s].count, &tot_n[s], err);
        if (st == NS_OK && sets[s].peer) st = compute_totals(sets[s].peer, sets[s].count, &tot_p[s], err);
        if (st) return st;
    }
    char *speed_path = ns_path_join(o->out_dir, "segment_speed.csv");
    char *acc_path = ns_path_join(o->out_dir, "segment_accuracy.csv");
    if (!speed_path || !acc_path) {
        free(speed_path); free(acc_path);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: report paths", o->out_dir);
    }
    ns_atomic_file f, a;
    ns_status st = ns_atomic_open(&f, speed_path, err);
    if (st == NS_OK && (st = ns_atomic_open(&a, acc_path, err)) != NS_OK) ns_atomic_abort(&f);
    if (st) { free(speed_path); free(acc_path); return st; }
    fprintf(f.fp, "dataset,impl,images,ms_per_image_median,ms_per_256sq,nuclei_total,speedup_vs_skimage\n");
    fprintf(a.fp, "dataset,impl,images_scored,f1_iou50_mean,dsb_score_mean\n");

    printf("\n%-12s %-9s %6s %12s %12s %12s %10s %9s\n", "dataset", "impl", "images", "ms/img med",
           "ms/img mean", "ms/256^2", "nuclei", "speedup");
    for (size_t s = 0; s < nsets; s++) {
        const dataset *d = &sets[s];
        const totals tn = tot_n[s], tp = tot_p[s];
        double speedup = d->peer ? tp.ms_per_256sq / tn.ms_per_256sq : NAN;
        write_row(f.fp, d->name, "nucseg", &tn, speedup);
        char sp[32];
        if (isfinite(speedup)) snprintf(sp, sizeof sp, "%.1fx", speedup);
        else snprintf(sp, sizeof sp, "-");
        printf("%-12s %-9s %6zu %12.3f %12.3f %12.3f %10zu %9s\n", d->name, "nucseg", tn.images, tn.ms_median,
               tn.ms_mean, tn.ms_per_256sq, tn.nuclei, sp);
        if (d->peer) {
            write_row(f.fp, d->name, "skimage", &tp, 1.0);
            printf("%-12s %-9s %6zu %12.3f %12.3f %12.3f %10zu %9s\n", d->name, "skimage", tp.images,
                   tp.ms_median, tp.ms_mean, tp.ms_per_256sq, tp.nuclei, "1.0x");
        } else {
            printf("%-12s %-9s   %s\n", d->name, "skimage", o->run_peer ? "peer FAILED: no figures" : "peer not run");
        }
        if (d->scored_nucseg) {
            fprintf(a.fp, "%s,nucseg,%zu,%.6f,%.6f\n", d->name, d->scored_nucseg, d->f1_nucseg, d->dsb_nucseg);
        }
        if (d->peer && d->scored_peer) {
            fprintf(a.fp, "%s,skimage,%zu,%.6f,%.6f\n", d->name, d->scored_peer, d->f1_peer, d->dsb_peer);
        }
    }
    st = ns_atomic_close(&f, err);
    if (st) ns_atomic_abort(&a);
    else st = ns_atomic_close(&a, err);

    /* Accuracy, so that speed is never read without what it bought. */
    for (size_t s = 0; s < nsets; s++) {
        const dataset *d = &sets[s];
        if (d->scored_nucseg)
            printf("accuracy %-12s nucseg : F1@0.5 %.3f, DSB2018 %.3f over %zu images\n", d->name, d->f1_nucseg,
                   d->dsb_nucseg, d->scored_nucseg);
        if (d->peer && d->scored_peer)
            printf("accuracy %-12s skimage: F1@0.5 %.3f, DSB2018 %.3f over %zu images\n", d->name, d->f1_peer,
                   d->dsb_peer, d->scored_peer);
    }

    printf("\ntargets:\n");
    for (size_t s = 0; s < nsets; s++) {
        const dataset *d = &sets[s];
        const totals tn = tot_n[s], tp = tot_p[s];
        double speedup = d->peer ? tp.ms_per_256sq / tn.ms_per_256sq : NAN;
        char what[128];
        if (s == 0) {
            snprintf(what, sizeof what, "%s nucseg ms per 256x256", d->name);
            print_target(what, tn.ms_per_256sq, " ms", 1, TARGET_MS_PER_256SQ);
        } else {
            /* Scaled to 2048^2 so the target holds when --synth-size differs. */
            snprintf(what, sizeof what, "%s nucseg ms per 2048x2048", d->name);
            print_target(what, tn.ms_per_256sq * 64.0, " ms", 1, TARGET_MS_PER_2048SQ);
        }
        snprintf(what, sizeof what, "%s speedup vs scikit-image", d->name);
        print_target(what, speedup, "x", 0, TARGET_SPEEDUP);
    }
    bench_print_load("at end");
    printf("\nwrote %s and %s\n", speed_path, acc_path);
    free(speed_path);
    free(acc_path);
    return st;
}

static int parse_options(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"data", required_argument, 0, 'd'},   {"repeats", required_argument, 0, 'r'},
        {"src", required_argument, 0, 's'},    {"python", required_argument, 0, 'p'},
        {"synth-size", required_argument, 0, 'z'}, {"synth-diameter", required_argument, 0, 'D'},
        {"synth-nuclei", required_argument, 0, 'n'}, {"no-peer", no_argument, 0, 'P'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    optind = 0;
    int c;
    long v;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o->data_dir = optarg; break;
        case 's': o->src_dir = optarg; break;
        case 'p': o->python = optarg; break;
        case 'P': o->run_peer = 0; break;
        case 'r':
            if (!(v = bench_parse_positive(optarg)) || v > 1000) { fprintf(stderr, "bench_segment: --repeats: want 1..1000\n"); return 2; }
            o->repeats = (int)v;
            break;
        case 'z':
            if (!(v = bench_parse_positive(optarg)) || v < 64 || v > 16384) { fprintf(stderr, "bench_segment: --synth-size: want 64..16384\n"); return 2; }
            o->synth_size = (int)v;
            break;
        case 'D':
            if (!(v = bench_parse_positive(optarg)) || v > 500) { fprintf(stderr, "bench_segment: --synth-diameter: want 1..500\n"); return 2; }
            o->synth_diameter = (double)v;
            break;
        case 'n':
            if (!(v = bench_parse_positive(optarg)) || v > 10000000) { fprintf(stderr, "bench_segment: --synth-nuclei: want a positive count\n"); return 2; }
            o->synth_nuclei = (int)v;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "bench_segment: expected one OUT_DIR\n");
        usage(stderr);
        return 2;
    }
    o->out_dir = argv[optind];
    return -1;
}

int main(int argc, char **argv)
{
    ns_tune_allocator(); /* as the nucseg CLI does: measure the same process setup */
    char *default_src = bench_dirname_of(__FILE__);
    options o = {.data_dir = "tests/data/dsb2018-dev", .src_dir = default_src, .python = "/usr/bin/python3",
                 .repeats = 5, .synth_size = 2048, .synth_diameter = 30, .synth_nuclei = 2000, .run_peer = 1};
    int rc = parse_options(argc, argv, &o);
    if (rc >= 0) { free(default_src); return rc; }

    ns_error err;
    ns_status st = ns_mkdirs(o.out_dir, &err);
    char synth_set_name[32];
    snprintf(synth_set_name, sizeof synth_set_name, "synth_%d", o.synth_size);
    dataset sets[2] = {{.name = "dsb2018-dev"}, {.name = synth_set_name}};
    for (size_t s = 0; s < 2; s++) {
        sets[s].f1_nucseg = sets[s].dsb_nucseg = sets[s].f1_peer = sets[s].dsb_peer = NAN;
    }
    bench_print_load("at start");
    /* (a) real images at unknown magnification: automatic diameter. */
    ns_segment_params_default(&sets[0].params);
    if (st == NS_OK) st = bench_list_images(o.data_dir, &sets[0].paths, &sets[0].count, &err);
    if (st == NS_OK) {
        printf("timing nucseg on %zu images of %s (rounds over the set: at least %d, and enough to fill %.0f s)\n",
               sets[0].count, o.data_dir, o.repeats, MIN_TIMED_MS / 1000.0);
        fflush(stdout);
        st = time_nucseg(&sets[0], o.repeats, &err);
        if (st == NS_OK) printf("  median of %d rounds per image\n", sets[0].rounds);
    }
    /* (b) one large synthetic field, written to disk so the peer reads the same bytes. */
    char synth_name[64];
    snprintf(synth_name, sizeof synth_name, "%s.tif", synth_set_name);
    char *synth_path = ns_path_join(o.out_dir, synth_name);
    size_t synth_count = 0;
    if (st == NS_OK && !synth_path) st = ns_error_set(&err, NS_ERR_NOMEM, "%s: path", o.out_dir);
    if (st == NS_OK) st = make_synth(&o, synth_path, &synth_count, &err);
    if (st == NS_OK) {
        sets[1].paths = malloc(sizeof *sets[1].paths);
        if (!sets[1].paths) st = ns_error_set(&err, NS_ERR_NOMEM, "%s: path", synth_path);
        else { sets[1].paths[0] = synth_path; synth_path = NULL; sets[1].count = 1; }
        ns_segment_params_preset(&sets[1].params, NS_MAG_40X);
        sets[1].params.diameter = o.synth_diameter; /* the diameter it was generated with */
    }
    if (st == NS_OK) {
        printf("timing nucseg on %s (%zu true nuclei, diameter %.0f px, at least %d rounds, enough to fill %.0f s)\n",
               sets[1].paths[0], synth_count, o.synth_diameter, o.repeats, MIN_TIMED_MS / 1000.0);
        fflush(stdout);
        st = time_nucseg(&sets[1], o.repeats, &err);
        if (st == NS_OK) printf("  median of %d rounds\n", sets[1].rounds);
    }
    free(synth_path);
    if (st) {
        fprintf(stderr, "bench_segment: %s\n", err.message);
        for (size_t s = 0; s < 2; s++) dataset_free(&sets[s]);
        free(default_src);
        return 3;
    }

    int peer_ok = 1;
    for (size_t s = 0; s < 2; s++) {
        char name[256];
        snprintf(name, sizeof name, "segment_times_nucseg_%s.csv", sets[s].name);
        char *path = ns_path_join(o.out_dir, name);
        if (!path || write_timings(path, sets[s].nucseg, sets[s].count, &err) != NS_OK) {
            fprintf(stderr, "bench_segment: %s\n", path ? err.message : "out of memory");
            st = NS_ERR_IO;
        }
        free(path);
        if (o.run_peer) peer_ok &= run_peer(&o, &sets[s]);
    }
    if (!o.run_peer) printf("peer not run (--no-peer)\n");
    if (st == NS_OK && report(&o, sets, 2, &err) != NS_OK) {
        fprintf(stderr, "bench_segment: %s\n", err.message);
        st = NS_ERR_IO;
    }
    for (size_t s = 0; s < 2; s++) dataset_free(&sets[s]);
    free(default_src);
    if (st) return 3;
    return peer_ok ? 0 : 1;
}
