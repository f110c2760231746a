/* bench_pool.c — does the worker pool scale? The same batch through ns_batch_run with 1
 * worker and with 2 workers, alternating, repeated; median wall time of each.
 *
 *   bench_pool OUT_DIR [--images 16] [--size 1024] [--repeats 3]
 *   bench_pool OUT_DIR --plate [--repeats 3]
 *
 * Inputs: N synthetic size^2 fields (ns_synth_field, seeds 1..N) written once as TIFF to
 * OUT_DIR/pool_inputs, or with --plate the default synthetic plate of `make run` (2 wells:
 * 8 10X fields of 1024^2 and 8 40X fields of 2048^2, Deflate TIFFs, found the way
 * `nucseg segment` finds a lab's layout, 10X and 40X presets); generation is not timed. Each timed run writes its outputs to a
 * fresh OUT_DIR/pool_scratch, removed afterwards, so no run finds another's files.
 * Writes OUT_DIR/pool_speedup.csv (workers,wall_s,speedup; row 2 also the number of
 * pairs, those reaching the target, the smallest and largest pair speedup) and each repeat's pair of
 * wall times to OUT_DIR/pool_pairs.csv (repeat,wall_1_s,wall_2_s,speedup); acceptance:
 * 2 workers at least 1.8x faster than 1 on at least 16 images, as the ratio of the
 * medians. The pairs show the spread: a burst of the host's other load can slow one
 * batch of 0.2 s by 40 %.
 * Exit: 0 measured (acceptance met or not), 2 usage, 3 could not run. */
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "nucseg/batch.h"
#include "nucseg/fsutil.h"
#include "nucseg/image.h"
#include "nucseg/stats.h"
#include "nucseg/synth.h"

#define TARGET_SPEEDUP_2 1.8
#define TARGET_MIN_IMAGES 16

typedef struct {
    const char *out_dir;
    int images, size, repeats;
    int plate; /* inputs: the default synthetic plate instead of N fields */
} options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bench_pool OUT_DIR [--images N] [--size PX] [--repeats R]\n"
            "       bench_pool OUT_DIR --plate [--repeats R]\n"
            "Writes N synthetic PXxPX fields (default 16 of 1024) to OUT_DIR/pool_inputs, or with\n"
            "--plate the default synthetic plate (8 10X 1024^2 + 8 40X 2048^2 fields) to\n"
            "OUT_DIR/pool_plate, segments them with ns_batch_run at 1 and 2 workers, R times each\n"
            "(default 3), alternating, and writes the median wall times and the speedup to\n"
            "OUT_DIR/pool_speedup.csv, and each repeat's pair of wall times to OUT_DIR/pool_pairs.csv.\n");
}

/* The inputs, and the diameter they were generated with (segmentation uses it too, so
 * the work per image does not depend on the automatic diameter estimate). */
static ns_status make_inputs(const options *o, const char *dir, ns_job_list *jobs, double *diameter,
                             ns_error *err)
{
    ns_status st = ns_mkdirs(dir, err);
    size_t total = 0;
    for (int i = 0; st == NS_OK && i < o->images; i++) {
        ns_synth_field_options so;
        ns_synth_field_options_default(&so);
        so.width = so.height = o->size;
        so.seed = (uint64_t)i + 1;
        *diameter = so.diameter;
        ns_image img = {0};
        size_t count = 0;
        char name[64];
        snprintf(name, sizeof name, "field_%03d.tif", i);
        char *path = ns_path_join(dir, name);
        if (!path) return ns_error_set(err, NS_ERR_NOMEM, "%s: input path", dir);
        st = ns_synth_field(&so, &img, NULL, &count, err);
        if (st == NS_OK) st = ns_tiff_write(path, &img, 0, err);
        if (st == NS_OK) st = ns_jobs_add(jobs, path, NS_MAG_UNKNOWN, err);
        total += count;
        ns_image_free(&img);
        free(path);
    }
    if (st == NS_OK)
        printf("inputs: %d synthetic %dx%d fields, %zu nuclei, diameter %.1f px, in %s\n", o->images, o->size,
               o->size, total, *diameter, dir);
    return st;
}

/* The default synthetic plate of `make run`, and its images as a lab's layout. */
static ns_status make_plate(const char *dir, ns_job_list *jobs, ns_error *err)
{
    ns_synth_plate_options po;
    ns_synth_plate_options_default(&po);
    ns_status st = ns_synth_plate(dir, &po, err);
    if (st == NS_OK) st = ns_jobs_discover(dir, jobs, err);
    if (st == NS_OK) {
        size_t n10 = 0, n40 = 0;
        for (size_t i = 0; i < jobs->count; i++) {
            n10 += jobs->items[i].mag == NS_MAG_10X;
            n40 += jobs->items[i].mag == NS_MAG_40X;
        }
        printf("inputs: the default synthetic plate, %zu 10X fields of %dx%d and %zu 40X fields of %dx%d, in %s\n",
               n10, po.width_10x, po.height_10x, n40, po.width_40x, po.height_40x, dir);
    }
    return st;
}

/* CPU time of this process (the pool's parent), user + system, in seconds. */
static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec * 1e-6;
}

/* One timed batch; the wall time is measured here around ns_batch_run. */
static ns_status run_batch(const ns_job_list *jobs, const char *scratch, int workers, double diameter,
                           double *wall_s, ns_error *err)
{
    ns_status st = bench_remove_tree(scratch, err);
    if (st) return st;
    ns_batch_options bo;
    ns_batch_options_default(&bo);
    bo.out_dir = scratch;
    bo.workers = workers;
    bo.resume = 0;
    bo.progress = NS_PROGRESS_QUIET;
    /* Fields: the diameter they were made with. Plate: the 10X and 40X presets. */
    ns_segment_params_default(&bo.params_unknown);
    bo.params_unknown.diameter = diameter;
    ns_batch_report rep;
    memset(&rep, 0, sizeof rep);
    double t0 = ns_clock_ms(), self0 = self_cpu_s();
    st = ns_batch_run(jobs, &bo, &rep, err);
    *wall_s = (ns_clock_ms() - t0) / 1000.0;
    double parent_s = self_cpu_s() - self0;
    if (st == NS_OK && rep.failed > 0) {
        /* A batch that failed images did less work: its time means nothing. */
        const char *why = "";
        for (size_t i = 0; i < jobs->count; i++) {
            if (rep.results[i].status != NS_OK) { why = rep.results[i].message; break; }
        }
        st = ns_error_set(err, NS_ERR_INTERNAL, "%zu of %zu images failed with %d worker(s), e.g. %s", rep.failed,
                          rep.total, workers, why);
    }
    if (st == NS_OK) {
        /* Idle core time: workers x wall - the workers' CPU time, what their cores did
         * not compute (waiting on the parent, for the last image of another worker).
         * Slightly negative with one worker: its saver thread ran on the other core. */
        double cpu = rep.cpu_user_s + rep.cpu_sys_s;
        printf("  %d worker%s: %.3f s (%zu images, %zu nuclei; workers' CPU %.3f s user + %.3f s system, "
               "idle core time %.0f ms; parent's CPU %.1f ms)\n",
               workers, workers == 1 ? " " : "s", *wall_s, rep.ok, rep.total_nuclei, rep.cpu_user_s,
               rep.cpu_sys_s, (workers * *wall_s - cpu) * 1e3, parent_s * 1e3);
        fflush(stdout);
    }
    ns_batch_report_free(&rep);
    if (st == NS_OK) st = bench_remove_tree(scratch, err);
    return st;
}

/* The spread of the single pairs: how many reach the target, the smallest and largest
 * pair speedup. Computed here once, for the console and for pool_speedup.csv (which
 * the bench summary reads), so that both say the same. */
typedef struct {
    int reached, pairs;
    double lo, hi;
} pair_stats;

static pair_stats pairs_of(double *const wall[2], int repeats)
{
    pair_stats ps = {.pairs = repeats, .lo = INFINITY, .hi = 0};
    for (int r = 0; r < repeats; r++) {
        double s = wall[0][r] / wall[1][r];
        ps.reached += s >= TARGET_SPEEDUP_2;
        ps.lo = fmin(ps.lo, s);
        ps.hi = fmax(ps.hi, s);
    }
    return ps;
}

/* Rows 1 and 2; row 2 also carries the spread of the pairs. */
static ns_status write_csv(const char *path, const double median[2], const pair_stats *ps, ns_error *err)
{
    ns_atomic_file f;
    ns_status st = ns_atomic_open(&f, path, err);
    if (st) return st;
    fprintf(f.fp, "workers,wall_s,speedup,pairs,pairs_at_target,pair_speedup_min,pair_speedup_max\n");
    fprintf(f.fp, "1,%.6f,%.4f,,,,\n", median[0], 1.0);
    fprintf(f.fp, "2,%.6f,%.4f,%d,%d,%.4f,%.4f\n", median[1], median[0] / median[1], ps->pairs, ps->reached, ps->lo,
            ps->hi);
    return ns_atomic_close(&f, err);
}

/* Each repeat's 1-worker and 2-worker batches ran back to back: their ratio is that
 * pair's speedup. */
static ns_status write_pairs(const char *path, double *const wall[2], int repeats, ns_error *err)
{
    ns_atomic_file f;
    ns_status st = ns_atomic_open(&f, path, err);
    if (st) return st;
    fprintf(f.fp, "repeat,wall_1_s,wall_2_s,speedup\n");
    for (int r = 0; r < repeats; r++)
        fprintf(f.fp, "%d,%.6f,%.6f,%.4f\n", r + 1, wall[0][r], wall[1][r], wall[0][r] / wall[1][r]);
    return ns_atomic_close(&f, err);
}

static int parse_options(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {{"images", required_argument, 0, 'n'},
                                             {"size", required_argument, 0, 's'},
                                             {"repeats", required_argument, 0, 'r'},
                                             {"plate", no_argument, 0, 'p'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    optind = 0;
    int c;
    long v;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (!(v = bench_parse_positive(optarg)) || v > 100000) { fprintf(stderr, "bench_pool: --images: want 1..100000\n"); return 2; }
            o->images = (int)v;
            break;
        case 's':
            if (!(v = bench_parse_positive(optarg)) || v < 32 || v > 16384) { fprintf(stderr, "bench_pool: --size: want 32..16384\n"); return 2; }
            o->size = (int)v;
            break;
        case 'r':
            if (!(v = bench_parse_positive(optarg)) || v > 100) { fprintf(stderr, "bench_pool: --repeats: want 1..100\n"); return 2; }
            o->repeats = (int)v;
            break;
        case 'p': o->plate = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "bench_pool: expected one OUT_DIR\n");
        usage(stderr);
        return 2;
    }
    o->out_dir = argv[optind];
    return -1;
}

int main(int argc, char **argv)
{
    ns_tune_allocator(); /* as the nucseg CLI does: its workers inherit this setup */
    options o = {.images = 16, .size = 1024, .repeats = 3};
    int rc = parse_options(argc, argv, &o);
    if (rc >= 0) return rc;

    ns_error err;
    ns_job_list jobs = {0};
    double diameter = 0;
    double *wall[2] = {calloc((size_t)o.repeats, sizeof(double)), calloc((size_t)o.repeats, sizeof(double))};
    char *inputs = ns_path_join(o.out_dir, o.plate ? "pool_plate" : "pool_inputs");
    char *scratch = ns_path_join(o.out_dir, "pool_scratch");
    char *csv = ns_path_join(o.out_dir, "pool_speedup.csv");
    char *pairs_csv = ns_path_join(o.out_dir, "pool_pairs.csv");
    ns_status st = NS_OK;
    if (!wall[0] || !wall[1] || !inputs || !scratch || !csv || !pairs_csv) st = ns_error_set(&err, NS_ERR_NOMEM, "bench_pool: setup");
    if (st == NS_OK) st = ns_mkdirs(o.out_dir, &err);
    if (st == NS_OK) st = o.plate ? make_plate(inputs, &jobs, &err) : make_inputs(&o, inputs, &jobs, &diameter, &err);
    /* The inputs' buffers stay in this heap (ns_tune_allocator keeps freed memory):
     * give them back, so the workers fork from a parent as small as the nucseg CLI's
     * (a fork copies the parent's page tables: 1.0 instead of 0.4 ms of the parent's
     * CPU per batch, and the workers inherit that heap). */
    malloc_trim(0);
    int cpus = ns_usable_cpus();
    if (st == NS_OK) bench_print_load("before the timed runs");
    if (st == NS_OK) printf("usable CPUs: %d; %d repeats, 1 and 2 workers alternating\n", cpus, o.repeats);
    for (int r = 0; st == NS_OK && r < o.repeats; r++) {
        for (int w = 0; st == NS_OK && w < 2; w++) st = run_batch(&jobs, scratch, w + 1, diameter, &wall[w][r], &err);
    }
    double median[2] = {NAN, NAN};
    pair_stats ps = {0};
    if (st == NS_OK) {
        ps = pairs_of(wall, o.repeats);
        for (int w = 0; w < 2; w++) median[w] = ns_median(wall[w], (size_t)o.repeats);
        st = write_csv(csv, median, &ps, &err);
        if (st == NS_OK) st = write_pairs(pairs_csv, wall, o.repeats, &err);
    }
    if (st == NS_OK) {
        double speedup = median[0] / median[1];
        printf("\nworkers  wall_s (median of %d)  speedup\n", o.repeats);
        for (int w = 0; w < 2; w++) printf("%7d  %21.3f  %6.2fx\n", w + 1, median[w], median[0] / median[w]);
        const char *verdict = speedup >= TARGET_SPEEDUP_2 ? "PASS" : "MISS";
        printf("target: 2 workers >= %.1fx faster than 1 on >= %d images: %.2fx on %d images: %s%s\n",
               TARGET_SPEEDUP_2, TARGET_MIN_IMAGES, speedup, (int)jobs.count,
               jobs.count >= TARGET_MIN_IMAGES ? verdict : "MISS (too few images to judge)",
               cpus < 2 ? " (only 1 usable CPU: 2 workers cannot run in parallel here)" : "");
        printf("pairs: %d of %d at >= %.1fx; single pairs %.2fx to %.2fx\n", ps.reached, ps.pairs, TARGET_SPEEDUP_2,
               ps.lo, ps.hi);
        bench_print_load("after");
        printf("wrote %s and %s\n", csv, pairs_csv);
    } else {
        fprintf(stderr, "bench_pool: %s\n", err.message);
    }
    ns_jobs_free(&jobs);
    free(wall[0]);
    free(wall[1]);
    free(inputs);
    free(scratch);
    free(csv);
    free(pairs_csv);
    return st ? 3 : 0;
}
