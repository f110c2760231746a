/* scaling_run.c — the measuring half of `nucseg bench`: inputs (a data folder, or
 * synthetic fields written once), a sequential in-process baseline and the worker pool at
 * several worker counts, each repeated, then the size sweep; ns_scaling_derive does the
 * arithmetic. Every timed run writes into OUT/scratch/, which is emptied between runs so
 * no run pays for (or profits from) another's files. */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "nucseg/batch.h"
#include "nucseg/fsutil.h"
#include "nucseg/image.h"
#include "nucseg/scaling.h"
#include "nucseg/segment.h"
#include "nucseg/synth.h"
#include "util/clock.h"

#define MAX_COUNTS 64

static double self_cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return NAN;
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
           1e-6 * (double)ru.ru_stime.tv_usec;
}

/* CPU seconds the whole machine spent busy since boot (all CPUs summed), from /proc/stat;
 * NAN when unreadable. Idle, iowait and steal are not busy: they are time nobody here ran. */
static double system_busy_cpu_s(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return NAN;
    unsigned long long user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle, &iowait, &irq, &softirq);
    fclose(f);
    long hz = sysconf(_SC_CLK_TCK);
    if (n < 7 || hz <= 0) return NAN;
    return (double)(user + nice + sys + irq + softirq) / (double)hz;
}

/* Reset this process's peak RSS to its current RSS (Linux >= 4.0), so the sequential loop's
 * peak is not the one left by generating the inputs. Best effort: without it the peak
 * simply includes everything before. */
static void reset_peak_rss(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return;
    fputs("5", f);
    fclose(f);
}

/* Peak RSS of this process in MB: VmHWM (which reset_peak_rss resets), else ru_maxrss. */
static double peak_rss_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[256];
        double kb = -1;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "VmHWM: %lf kB", &kb) == 1) break;
        fclose(f);
        if (kb >= 0) return kb / 1024.0;
    }
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0 : NAN;
}

/* ---- OUT/scratch ---- */

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* rm -rf path; a missing path is fine. */
static ns_status remove_tree(const char *path, ns_error *err)
{
    if (access(path, F_OK) != 0 && errno == ENOENT) return NS_OK;
    /* depth-first so directories are empty when removed; never follow links out of the tree */
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return ns_error_set(err, NS_ERR_IO, "%s: cannot remove: %s", path, strerror(errno));
    return NS_OK;
}

/* ---- one configuration, accumulated over its repeats ---- */

typedef struct {
    ns_sweep sweep;
    int sequential;
    int ranks; /* 0: one process; >= 1: over that many MPI ranks (the sequential loop: 1) */
    int workers;
    int width, height;
    const ns_job_list *jobs;
    double megapixels;
    int repeats_done;
    double *wall_s, *cpu_s, *background_cpus; /* owned until handed to the result row */
    double *image_ms;                         /* owned; every image of every repeat */
    size_t n_ms;
    double peak_rss_mb;
    size_t nuclei, failed;
    char first_failure[NS_ERROR_MAX];               /* why the first failed image failed */
} config;

static void config_free(config *c)
{
    free(c->wall_s);
    free(c->cpu_s);
    free(c->background_cpus);
    free(c->image_ms);
    memset(c, 0, sizeof *c);
}

static ns_status config_init(config *c, ns_sweep sweep, int sequential, int ranks, int workers, int width,
                             int height, const ns_job_list *jobs, double megapixels, int repeats, ns_error *err)
{
    memset(c, 0, sizeof *c);
    c->sweep = sweep;
    c->sequential = sequential;
    c->ranks = ranks;
    c->workers = workers;
    c->width = width;
    c->height = height;
    c->jobs = jobs;
    c->megapixels = megapixels;
    c->wall_s = calloc((size_t)repeats, sizeof *c->wall_s);
    c->cpu_s = calloc((size_t)repeats, sizeof *c->cpu_s);
    c->background_cpus = calloc((size_t)repeats, sizeof *c->background_cpus);
    c->image_ms = calloc((size_t)repeats * (jobs->count ? jobs->count : 1), sizeof *c->image_ms);
    if (!c->wall_s || !c->cpu_s || !c->background_cpus || !c->image_ms) {
        config_free(c);
        return ns_error_set(err, NS_ERR_NOMEM, "benchmark configuration: out of memory");
    }
    return NS_OK;
}

/* Hand the accumulated arrays to a result row. */
static ns_status config_to_row(config *c, ns_scaling_result *r, ns_error *err)
{
    ns_scaling_row row = {0};
    row.sweep = c->sweep;
    row.sequential = c->sequential;
    row.ranks = c->ranks;
    row.workers = c->workers;
    row.width = c->width;
    row.height = c->height;
    row.images = c->jobs->count;
    row.megapixels = c->megapixels;
    row.repeats = c->repeats_done;
    row.wall_s = c->wall_s;
    row.cpu_s = c->cpu_s;
    row.background_cpus = c->background_cpus;
    row.peak_rss_mb = c->peak_rss_mb;
    row.image_ms_median = ns_median(c->image_ms, c->n_ms);
    row.nuclei = c->nuclei;
    row.failed = c->failed;
    ns_status st = ns_scaling_add_row(r, &row, err);
    if (st) return st;
    c->wall_s = c->cpu_s = c->background_cpus = NULL; /* the row owns them now */
    return NS_OK;
}

/* ---- timed runs ---- */

typedef struct {
    const char *scratch;
    ns_batch_options batch;
    const ns_scaling_ranks *ranks; /* under MPI: every pool run goes over ranks */
    int progress;
    int run_index, run_total;
    int repeats;
} runner;

static void record_background(config *c, int rep, double busy0, double busy1, double ours_cpu_s, double wall)
{
    double bg = (busy1 - busy0 - ours_cpu_s) / wall;
    c->background_cpus[rep] = isfinite(bg) ? (bg > 0 ? bg : 0) : NAN;
}

/* The baseline: ns_process_image over every job in this process, no pool, no fork. */
static ns_status run_sequential(runner *rn, config *c, int rep, ns_error *err)
{
    ns_batch_options opt = rn->batch;
    opt.workers = 1;
    reset_peak_rss();
    double busy0 = system_busy_cpu_s(), cpu0 = self_cpu_s(), t0 = ns_clock_s();
    size_t nuclei = 0;
    for (size_t i = 0; i < c->jobs->count; i++) {
        ns_job_result res;
        memset(&res, 0, sizeof res);
        res.job_index = i;
        ns_error e;
        ns_status st = ns_process_image(&c->jobs->items[i], &opt, &res, &e);
        if (st != NS_OK || res.status != NS_OK) {
            if (!c->failed) snprintf(c->first_failure, sizeof c->first_failure, "%s", st ? e.message : res.message);
            c->failed++;
            continue;
        }
        nuclei += res.nuclei;
        c->image_ms[c->n_ms++] = res.ms;
    }
    double wall = ns_clock_s() - t0, cpu = self_cpu_s() - cpu0, busy1 = system_busy_cpu_s();
    c->wall_s[rep] = wall;
    c->cpu_s[rep] = cpu;
    record_background(c, rep, busy0, busy1, cpu, wall);
    c->nuclei = nuclei;
    double rss = peak_rss_mb();
    if (rss > c->peak_rss_mb) c->peak_rss_mb = rss;
    (void)err;
    return NS_OK;
}

static ns_status run_pool(runner *rn, config *c, int rep, ns_error *err)
{
    ns_batch_options opt = rn->batch;
    opt.workers = c->workers;
    ns_batch_report rep_out;
    memset(&rep_out, 0, sizeof rep_out);
    double busy0 = system_busy_cpu_s(), cpu0 = self_cpu_s(), t0 = ns_clock_s();
    ns_status st = rn->ranks && c->ranks >= 1
                       ? rn->ranks->run(rn->ranks->ctx, c->jobs, &opt, c->ranks, c->workers, &rep_out, err)
                       : ns_batch_run(c->jobs, &opt, &rep_out, err);
    double wall = ns_clock_s() - t0, parent_cpu = self_cpu_s() - cpu0, busy1 = system_busy_cpu_s();
    if (st) {
        ns_batch_report_free(&rep_out);
        if (c->ranks >= 1) ns_error_prefix(err, "benchmark over %d ranks with %d workers each", c->ranks, c->workers);
        else ns_error_prefix(err, "benchmark pool with %d workers", c->workers);
        return st;
    }
    double workers_cpu = rep_out.cpu_user_s + rep_out.cpu_sys_s;
    c->wall_s[rep] = wall;
    c->cpu_s[rep] = workers_cpu;
    record_background(c, rep, busy0, busy1, workers_cpu + parent_cpu, wall);
    c->nuclei = rep_out.total_nuclei;
    c->failed += rep_out.failed;
    if (rep_out.peak_rss_kb / 1024.0 > c->peak_rss_mb) c->peak_rss_mb = rep_out.peak_rss_kb / 1024.0;
    for (size_t i = 0; i < rep_out.total && rep_out.results; i++) {
        const ns_job_result *jr = &rep_out.results[i];
        if (jr->status == NS_OK && !jr->skipped) c->image_ms[c->n_ms++] = jr->ms;
        else if (jr->status != NS_OK && !c->first_failure[0])
            snprintf(c->first_failure, sizeof c->first_failure, "%s", jr->message);
    }
    ns_batch_report_free(&rep_out);
    return NS_OK;
}

static void describe(const config *c, char *buf, size_t n)
{
    char size[48];
    if (c->width > 0) snprintf(size, sizeof size, "%dx%d", c->width, c->height);
    else snprintf(size, sizeof size, "mixed sizes");
    if (c->sequential) snprintf(buf, n, "sequential %s %zu images", size, c->jobs->count);
    else if (c->ranks >= 1)
        snprintf(buf, n, "%d rank%s x %d worker%s %s %zu images", c->ranks, c->ranks == 1 ? "" : "s", c->workers,
                 c->workers == 1 ? "" : "s", size, c->jobs->count);
    else snprintf(buf, n, "pool %d worker%s %s %zu images", c->workers, c->workers == 1 ? "" : "s", size,
                  c->jobs->count);
}

/* One timed run of one configuration, in a freshly emptied scratch folder. */
static ns_status run_once(runner *rn, config *c, int rep, ns_error *err)
{
    ns_status st = remove_tree(rn->scratch, err);
    if (!st) st = ns_mkdirs(rn->scratch, err);
    if (st) return st;
    st = c->sequential ? run_sequential(rn, c, rep, err) : run_pool(rn, c, rep, err);
    if (st) return st;
    c->repeats_done = rep + 1;
    rn->run_index++;
    if (rn->progress) {
        char what[160];
        describe(c, what, sizeof what);
        double w = c->wall_s[rep];
        printf("[%d/%d] %s: %.2f s (%.3g img/s) repeat %d/%d", rn->run_index, rn->run_total, what, w,
               (double)c->jobs->count / w, rep + 1, rn->repeats);
        if (c->failed) printf("; %zu failed so far (first: %s)", c->failed, c->first_failure);
        putchar('\n');
        fflush(stdout);
    }
    return remove_tree(rn->scratch, err);
}

/* Every configuration `repeats` times; repeat r walks the list forwards when r is even and
 * backwards when odd, so slow drift (thermal, other tenants) does not favour one count. */
static ns_status run_configs(runner *rn, config *cs, size_t n, ns_error *err)
{
    for (int rep = 0; rep < rn->repeats; rep++) {
        for (size_t k = 0; k < n; k++) {
            size_t i = rep % 2 == 0 ? k : n - 1 - k;
            ns_status st = run_once(rn, &cs[i], rep, err);
            if (st) return st;
        }
    }
    return NS_OK;
}

/* ---- inputs ---- */

/* `count` synthetic fields of w x h into OUT/inputs/<w>x<h>/, each with its own seed. */
static ns_status synth_inputs(const ns_scaling_options *o, const char *inputs_dir, int w, int h, int count,
                              ns_job_list *jobs, ns_error *err)
{
    char sub[64];
    snprintf(sub, sizeof sub, "%dx%d", w, h);
    char *dir = ns_path_join(inputs_dir, sub);
    if (!dir) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", inputs_dir);
    ns_status st = ns_mkdirs(dir, err);
    for (int i = 0; i < count && !st; i++) {
        ns_synth_field_options so;
        ns_synth_field_options_default(&so);
        so.width = w;
        so.height = h;
        so.diameter = o->diameter;
        if (o->density > 0) so.density = o->density;
        /* distinct per size and per field, reproducible from the one --seed */
        so.seed = o->seed * 1000003u + (uint64_t)w * 7919u + (uint64_t)h * 104729u + (uint64_t)i;
        ns_image img = {0};
        size_t nuclei = 0;
        st = ns_synth_field(&so, &img, NULL, &nuclei, err);
        if (st) break;
        char name[64];
        snprintf(name, sizeof name, "field_%03d.tif", i);
        char *path = ns_path_join(dir, name);
        if (!path) st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", dir);
        if (!st) st = ns_tiff_write(path, &img, 0, err);
        if (!st) st = ns_jobs_add(jobs, path, NS_MAG_UNKNOWN, err);
        free(path);
        ns_image_free(&img);
    }
    free(dir);
    return st;
}

/* Common size of the discovered images, or 0 x 0 when they differ; summed megapixels. */
static ns_status probe_sizes(const ns_job_list *jobs, int *w, int *h, double *megapixels, ns_error *err)
{
    *w = *h = 0;
    *megapixels = 0;
    for (size_t i = 0; i < jobs->count; i++) {
        ns_image_info info;
        ns_status st = ns_image_probe(jobs->items[i].path, &info, err);
        if (st) return st;
        *megapixels += (double)info.width * info.height / 1e6;
        if (i == 0) {
            *w = info.width;
            *h = info.height;
        } else if (*w != info.width || *h != info.height) {
            *w = *h = -1;
        }
    }
    if (*w < 0) *w = *h = 0;
    return NS_OK;
}

static ns_status check_options(const ns_scaling_options *o, ns_error *err)
{
    if (!o->out_dir || !*o->out_dir) return ns_error_set(err, NS_ERR_INVALID, "benchmark: no output folder");
    if (o->repeats < 1) return ns_error_set(err, NS_ERR_INVALID, "benchmark: repeats must be >= 1 (got %d)", o->repeats);
    if (o->max_workers < 0)
        return ns_error_set(err, NS_ERR_INVALID, "benchmark: max workers must be >= 0 (got %d)", o->max_workers);
    if (!(o->tolerance >= 0 && o->tolerance < 1))
        return ns_error_set(err, NS_ERR_INVALID, "benchmark: tolerance must be in [0, 1) (got %g)", o->tolerance);
    if (!(o->diameter > 0)) return ns_error_set(err, NS_ERR_INVALID, "benchmark: diameter must be > 0 (got %g)", o->diameter);
    if (o->nsizes > NS_SCALING_MAX_SIZES)
        return ns_error_set(err, NS_ERR_INVALID, "benchmark: at most %d image sizes", NS_SCALING_MAX_SIZES);
    if (o->data_dir) return NS_OK;
    if (o->images < 1) return ns_error_set(err, NS_ERR_INVALID, "benchmark: images must be >= 1 (got %d)", o->images);
    if (o->width < 1 || o->height < 1)
        return ns_error_set(err, NS_ERR_INVALID, "benchmark: image size must be positive (got %dx%d)", o->width, o->height);
    if (!(o->density > 0 && o->density < 1))
        return ns_error_set(err, NS_ERR_INVALID, "benchmark: density must be in (0, 1) (got %g)", o->density);
    for (size_t i = 0; i < o->nsizes; i++)
        if (o->sizes[i] < 1) return ns_error_set(err, NS_ERR_INVALID, "benchmark: image size %d is not positive", o->sizes[i]);
    return NS_OK;
}

/* ---- the whole benchmark ---- */

typedef struct {
    ns_job_list main_jobs;
    ns_job_list size_jobs[NS_SCALING_MAX_SIZES];
    double size_mp[NS_SCALING_MAX_SIZES];
    int size_done[NS_SCALING_MAX_SIZES]; /* 1: measured in the size sweep */
    config *cfg; /* owned: the worker sweep (per rank count under MPI), then the size sweep */
    size_t ncfg;
    char *scratch, *inputs;
} run_state;

static void state_free(run_state *s)
{
    ns_jobs_free(&s->main_jobs);
    for (size_t i = 0; i < NS_SCALING_MAX_SIZES; i++) ns_jobs_free(&s->size_jobs[i]);
    for (size_t i = 0; i < s->ncfg; i++) config_free(&s->cfg[i]);
    free(s->cfg);
    free(s->scratch);
    free(s->inputs);
}

/* The inputs, made or found before any timing: DATA_DIR's images, or synthetic fields
 * (and those of the size sweep); their size (0 x 0 when mixed) and megapixels, and
 * the sentence that describes them in the report. */
static ns_status prepare_inputs(const ns_scaling_options *o, ns_scaling_result *r, run_state *s, int *w, int *h,
                                double *mp, ns_error *err)
{
    ns_status st = NS_OK;
    size_t nsizes = 0;
    if (o->data_dir) {
        st = ns_jobs_discover(o->data_dir, &s->main_jobs, err);
        if (!st && s->main_jobs.count == 0)
            st = ns_error_set(err, NS_ERR_EMPTY, "%s: no TIFF or PNG images found", o->data_dir);
        if (!st) st = probe_sizes(&s->main_jobs, w, h, mp, err);
        if (!st) st = ns_mkdirs(o->out_dir, err); /* once there is something to measure */
        if (st) return st;
        size_t n10 = 0, n40 = 0;
        for (size_t i = 0; i < s->main_jobs.count; i++) {
            n10 += s->main_jobs.items[i].mag == NS_MAG_10X;
            n40 += s->main_jobs.items[i].mag == NS_MAG_40X;
        }
        char size[48];
        if (*w > 0) snprintf(size, sizeof size, "%dx%d", *w, *h);
        else snprintf(size, sizeof size, "mixed-size");
        snprintf(r->input_desc, sizeof r->input_desc,
                 "%zu %s images from %s (%zu 10X, %zu 40X, %zu other; %.1f megapixels in all).",
                 s->main_jobs.count, size, o->data_dir, n10, n40, s->main_jobs.count - n10 - n40, *mp);
        if (o->nsizes && o->progress)
            printf("size sweep skipped: it needs synthetic inputs (no DATA_DIR)\n");
    } else {
        st = ns_mkdirs(o->out_dir, err);
        if (st) return st;
        double g0 = ns_clock_s();
        *w = o->width;
        *h = o->height;
        *mp = (double)*w * *h * o->images / 1e6;
        st = synth_inputs(o, s->inputs, *w, *h, o->images, &s->main_jobs, err);
        for (size_t i = 0; i < o->nsizes && !st; i++) {
            int sz = o->sizes[i];
            int dup = sz == *w && sz == *h; /* the worker sweep already measures this size */
            for (size_t j = 0; j < i; j++) dup |= o->sizes[j] == sz;
            if (dup) continue;
            st = synth_inputs(o, s->inputs, sz, sz, o->images, &s->size_jobs[i], err);
            s->size_mp[i] = (double)sz * sz * o->images / 1e6;
            s->size_done[i] = 1;
            nsizes++;
        }
        r->env.generation_s = ns_clock_s() - g0;
        if (st) return st;
        snprintf(r->input_desc, sizeof r->input_desc,
                 "%d synthetic %dx%d 16-bit fields (nuclear diameter %g px, %.0f%% of the area covered, "
                 "seed %llu) written to %s before timing (%.1f s, not timed)%s.",
                 o->images, *w, *h, o->diameter, 100.0 * o->density, (unsigned long long)o->seed, s->inputs,
                 r->env.generation_s, nsizes ? ", plus the same number per size of the size sweep" : "");
    }
    return NS_OK;
}

static ns_status measure(const ns_scaling_options *o, ns_scaling_result *r, run_state *s, ns_error *err)
{
    double t_start = ns_clock_s();
    ns_scaling_env_capture(&r->env);
    ns_scaling_single_thread_env(&r->env); /* before any worker exists: they inherit it */
    int usable = ns_usable_cpus();
    r->env.usable_cpus = usable;

    s->scratch = ns_path_join(o->out_dir, "scratch");
    s->inputs = ns_path_join(o->out_dir, "inputs");
    if (!s->scratch || !s->inputs) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", o->out_dir);
    ns_status st = NS_OK;

    runner rn;
    memset(&rn, 0, sizeof rn);
    rn.scratch = s->scratch;
    rn.progress = o->progress;
    rn.repeats = o->repeats;
    ns_scaling_batch_options(o, s->scratch, &rn.batch);
    rn.ranks = o->ranks && o->ranks->size > 1 ? o->ranks : NULL;
    r->mpi_ranks = rn.ranks ? rn.ranks->size : 0;

    /* inputs (generation is not part of any timing) */
    int w = 0, h = 0;
    double mp = 0;
    if ((st = prepare_inputs(o, r, s, &w, &h, &mp, err)) != NS_OK) return st;
    r->main_width = w;
    r->main_height = h;

    /* worker sweep: the sequential loop, then the pool at each count */
    int counts[MAX_COUNTS];
    int maxw = o->max_workers > 0 ? o->max_workers : (o->oversubscribe ? 2 * usable : usable);
    size_t nc = ns_scaling_worker_counts(usable, maxw, s->main_jobs.count, counts, MAX_COUNTS);
    /* Under MPI each worker count runs over 1, 2, ..., R ranks; counts that would leave
     * ranks x workers above the number of images measure nothing new. */
    int nranks = rn.ranks ? rn.ranks->size : 0;
    int seq_ranks = rn.ranks ? 1 : 0;
    s->cfg = calloc((nranks > 0 ? (size_t)nranks : 1) * MAX_COUNTS + 1 + 3 * NS_SCALING_MAX_SIZES, sizeof *s->cfg);
    if (!s->cfg) return ns_error_set(err, NS_ERR_NOMEM, "benchmark: out of memory");
    size_t first_main = s->ncfg;
    st = config_init(&s->cfg[s->ncfg++], NS_SWEEP_WORKERS, 1, seq_ranks, 1, w, h, &s->main_jobs, mp, o->repeats, err);
    for (int rk = nranks ? 1 : 0; rk <= nranks && !st; rk++)
        for (size_t i = 0; i < nc && !st; i++) {
            if (rk > 1 && (size_t)rk * (size_t)counts[i] > s->main_jobs.count) continue;
            st = config_init(&s->cfg[s->ncfg++], NS_SWEEP_WORKERS, 0, rk, counts[i], w, h, &s->main_jobs, mp,
                             o->repeats, err);
        }
    size_t n_main = s->ncfg - first_main;

    /* size sweep: sequential, 1 worker and all usable CPUs per size */
    size_t size_first[NS_SCALING_MAX_SIZES], size_n[NS_SCALING_MAX_SIZES];
    for (size_t i = 0; i < o->nsizes && !st; i++) {
        size_first[i] = s->ncfg;
        size_n[i] = 0;
        if (!s->size_done[i]) continue;
        int sz = o->sizes[i];
        const ns_job_list *jl = &s->size_jobs[i];
        int pool_counts[2] = {1, usable};
        /* under MPI on one rank: the size effect is a property of the image, not of the ranks */
        st = config_init(&s->cfg[s->ncfg++], NS_SWEEP_SIZE, 1, seq_ranks, 1, sz, sz, jl, s->size_mp[i], o->repeats,
                         err);
        for (int k = 0; k < 2 && !st; k++) {
            int n = pool_counts[k];
            if ((k == 1 && n == 1) || (size_t)n > jl->count) continue;
            st = config_init(&s->cfg[s->ncfg++], NS_SWEEP_SIZE, 0, seq_ranks, n, sz, sz, jl, s->size_mp[i],
                             o->repeats, err);
        }
        size_n[i] = s->ncfg - size_first[i];
    }
    if (st) return st;
    rn.run_total = (int)s->ncfg * o->repeats;

    st = run_configs(&rn, &s->cfg[first_main], n_main, err);
    for (size_t i = 0; i < o->nsizes && !st; i++)
        if (size_n[i]) st = run_configs(&rn, &s->cfg[size_first[i]], size_n[i], err);
    if (st) return st;

    for (size_t i = 0; i < s->ncfg; i++) {
        st = config_to_row(&s->cfg[i], r, err);
        if (st) return st;
    }
    ns_scaling_env_finish(&r->env);
    r->env.total_s = ns_clock_s() - t_start;
    return ns_scaling_derive(r, o->tolerance, err);
}

ns_status ns_scaling_run(const ns_scaling_options *o, ns_scaling_result *r, ns_error *err)
{
    memset(r, 0, sizeof *r);
    ns_status st = check_options(o, err);
    if (st) return st;
    run_state *s = calloc(1, sizeof *s);
    if (!s) return ns_error_set(err, NS_ERR_NOMEM, "benchmark: out of memory");
    st = measure(o, r, s, err);
    if (st) {
        /* leave no half-measured result behind; scratch files of a failed run go too */
        ns_error ignored;
        if (s->scratch) remove_tree(s->scratch, &ignored);
        ns_scaling_result_free(r);
    }
    state_free(s);
    free(s);
    return st;
}
