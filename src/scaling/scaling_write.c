/* scaling_write.c — the scaling benchmark's tables: segmentation_benchmark.csv (one row
 * per configuration, aggregated over repeats), segmentation_benchmark_summary.json
 * (everything, including per-repeat times and the environment) and recommendation.txt. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scaling/scaling_internal.h"
#include "nucseg/fsutil.h"
#include "nucseg/report.h"
#include "util/json_number.h"

static const char *const csv_columns[] = {
    "sweep", "mode", "workers", "width", "height", "images", "megapixels", "repeats",
    "wall_s_median", "wall_s_min", "wall_s_max", "images_per_s_median", "images_per_s_min",
    "images_per_s_max", "speedup_vs_sequential", "speedup_vs_1_worker", "efficiency",
    "efficiency_vs_1_worker", "cpu_utilisation", "karp_flatt", "peak_rss_mb", "image_ms_median",
    "background_cpus", "nuclei", "failed"};

ns_status ns_scaling_write_csv(const char *path, const ns_scaling_result *r, ns_error *err)
{
    ns_atomic_file f;
    ns_status st = ns_atomic_open(&f, path, err);
    if (st) return st;
    FILE *o = f.fp;
    size_t nc = sizeof csv_columns / sizeof csv_columns[0];
    /* Under MPI two more columns around "workers" (then per rank); one process's CSV keeps
     * its columns as they always were. */
    int mpi = r->mpi_ranks > 0;
    for (size_t i = 0; i < nc; i++) {
        int at_workers = !strcmp(csv_columns[i], "workers");
        fprintf(o, "%s%s%s%s", mpi && at_workers ? "ranks," : "", csv_columns[i],
                mpi && at_workers ? ",total_workers" : "", i + 1 < nc ? "," : "\n");
    }
    for (size_t i = 0; i < r->count; i++) {
        const ns_scaling_row *x = &r->rows[i];
        if (mpi)
            fprintf(o, "%s,%s,%d,%d,%d,%d,%d,%zu,", ns_scaling_sweep_name(x->sweep), ns_scaling_mode_name(x),
                    x->ranks, x->workers, ns_scaling_total_workers(x), x->width, x->height, x->images);
        else
            fprintf(o, "%s,%s,%d,%d,%d,%zu,", ns_scaling_sweep_name(x->sweep), ns_scaling_mode_name(x),
                    x->workers, x->width, x->height, x->images);
        const double v[] = {x->megapixels, NAN, x->wall.median, x->wall.min, x->wall.max, x->ips_median,
                            x->ips_min, x->ips_max, x->speedup_seq, x->speedup_1, x->efficiency,
                            x->efficiency_1, x->cpu_utilisation, x->karp_flatt, x->peak_rss_mb,
                            x->image_ms_median, x->background_cpus_median};
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
            if (k == 1) fprintf(o, "%d", x->repeats); /* an integer column between the doubles */
            else ns_csv_number(o, v[k], 6);
            fputc(',', o);
        }
        fprintf(o, "%zu,%zu\n", x->nuclei, x->failed);
    }
    return ns_atomic_close(&f, err);
}

/* A number, or null when it was not measured (cJSON would print NAN as null anyway;
 * being explicit keeps it independent of the cJSON version). */
static cJSON *row_json(const ns_scaling_row *x, int mpi)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "sweep", ns_scaling_sweep_name(x->sweep));
    cJSON_AddStringToObject(o, "mode", ns_scaling_mode_name(x));
    if (mpi) cJSON_AddNumberToObject(o, "ranks", x->ranks);
    cJSON_AddNumberToObject(o, "workers", x->workers);
    if (mpi) cJSON_AddNumberToObject(o, "total_workers", ns_scaling_total_workers(x));
    cJSON_AddNumberToObject(o, "width", x->width);
    cJSON_AddNumberToObject(o, "height", x->height);
    cJSON_AddNumberToObject(o, "images", (double)x->images);
    ns_json_add_number(o, "megapixels", x->megapixels);
    cJSON_AddNumberToObject(o, "repeats", x->repeats);
    cJSON *w = cJSON_AddObjectToObject(o, "wall_s");
    ns_json_add_number(w, "median", x->wall.median);
    ns_json_add_number(w, "min", x->wall.min);
    ns_json_add_number(w, "max", x->wall.max);
    ns_json_add_number(w, "mean", x->wall.mean);
    ns_json_add_number(w, "sd", x->wall.sd);
    cJSON *vals = cJSON_AddArrayToObject(w, "repeats");
    for (int i = 0; i < x->repeats; i++) cJSON_AddItemToArray(vals, cJSON_CreateNumber(x->wall_s[i]));
    cJSON *t = cJSON_AddObjectToObject(o, "images_per_s");
    ns_json_add_number(t, "median", x->ips_median);
    ns_json_add_number(t, "min", x->ips_min);
    ns_json_add_number(t, "max", x->ips_max);
    ns_json_add_number(o, "speedup_vs_sequential", x->speedup_seq);
    ns_json_add_number(o, "speedup_vs_sequential_min", x->speedup_seq_lo);
    ns_json_add_number(o, "speedup_vs_sequential_max", x->speedup_seq_hi);
    ns_json_add_number(o, "speedup_vs_1_worker", x->speedup_1);
    ns_json_add_number(o, "efficiency", x->efficiency);
    ns_json_add_number(o, "efficiency_vs_1_worker", x->efficiency_1);
    ns_json_add_number(o, "cpu_utilisation", x->cpu_utilisation);
    ns_json_add_number(o, "karp_flatt", x->karp_flatt);
    ns_json_add_number(o, "peak_rss_mb", x->peak_rss_mb);
    ns_json_add_number(o, "image_ms_median", x->image_ms_median);
    ns_json_add_number(o, "background_cpus", x->background_cpus_median);
    cJSON_AddNumberToObject(o, "nuclei", (double)x->nuclei);
    cJSON_AddNumberToObject(o, "failed", (double)x->failed);
    return o;
}

static cJSON *env_json(const ns_scaling_env *e)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "cpus_online", e->cpus_online);
    cJSON_AddNumberToObject(o, "usable_cpus", e->usable_cpus);
    cJSON_AddStringToObject(o, "machine", e->machine);
    cJSON_AddStringToObject(o, "hostname", e->hostname);
    cJSON_AddStringToObject(o, "cpu_model", e->cpu_model);
    ns_json_add_number(o, "memory_gb", e->mem_total_gb);
    cJSON *ls = cJSON_AddArrayToObject(o, "load_average_start");
    cJSON *le = cJSON_AddArrayToObject(o, "load_average_end");
    for (int i = 0; i < 3; i++) {
        cJSON_AddItemToArray(ls, cJSON_CreateNumber(e->load_start[i]));
        cJSON_AddItemToArray(le, cJSON_CreateNumber(e->load_end[i]));
    }
    cJSON_AddStringToObject(o, "worker_threads", NS_SCALING_THREADS_NOTE);
    cJSON_AddStringToObject(o, "thread_variables_before", e->threads_env_user);
    cJSON_AddStringToObject(o, "started_at", e->started_at);
    ns_json_add_number(o, "input_generation_s", e->generation_s);
    ns_json_add_number(o, "total_s", e->total_s);
    return o;
}

static cJSON *options_json(const ns_scaling_options *op)
{
    cJSON *o = cJSON_CreateObject();
    if (op->data_dir) cJSON_AddStringToObject(o, "data_dir", op->data_dir);
    else cJSON_AddNullToObject(o, "data_dir");
    cJSON_AddNumberToObject(o, "images", op->images);
    cJSON_AddNumberToObject(o, "width", op->width);
    cJSON_AddNumberToObject(o, "height", op->height);
    ns_json_add_number(o, "density", op->density);
    ns_json_add_number(o, "diameter", op->diameter);
    cJSON_AddNumberToObject(o, "repeats", op->repeats);
    cJSON_AddNumberToObject(o, "max_workers", op->max_workers);
    cJSON *s = cJSON_AddArrayToObject(o, "sizes");
    for (size_t i = 0; i < op->nsizes; i++) cJSON_AddItemToArray(s, cJSON_CreateNumber(op->sizes[i]));
    cJSON_AddNumberToObject(o, "seed", (double)op->seed);
    ns_json_add_number(o, "tolerance", op->tolerance);
    return o;
}

ns_status ns_scaling_write_json(const char *path, const ns_scaling_options *op,
                                const ns_scaling_result *r, ns_error *err)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
    cJSON_AddStringToObject(root, "nucseg_version", NUCSEG_VERSION);
    cJSON_AddStringToObject(root, "input", r->input_desc);
    cJSON_AddStringToObject(root, "baseline",
        "speedup_vs_sequential = median wall time of the sequential in-process loop (ns_process_image, "
        "no pool) / median wall time of the configuration, same images; speedup_vs_1_worker = "
        "t(pool, 1 worker) / t(pool, n workers); efficiency = speedup / workers; cpu_utilisation = "
        "(user + sys CPU time of the workers) / (wall time x workers); karp_flatt = "
        "(1/S - 1/n) / (1 - 1/n) with S = speedup_vs_sequential");
    if (op) cJSON_AddItemToObject(root, "options", options_json(op));
    cJSON_AddItemToObject(root, "environment", env_json(&r->env));
    cJSON *rows = cJSON_AddArrayToObject(root, "configurations");
    for (size_t i = 0; i < r->count; i++) cJSON_AddItemToArray(rows, row_json(&r->rows[i], r->mpi_ranks > 0));

    cJSON *kf = cJSON_AddArrayToObject(root, "karp_flatt");
    for (size_t i = 0; i < r->count; i++) {
        const ns_scaling_row *x = &r->rows[i];
        if (x->sweep != NS_SWEEP_WORKERS || x->sequential || x->ranks > 1 || !isfinite(x->karp_flatt)) continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "workers", x->workers);
        cJSON_AddNumberToObject(e, "serial_fraction", x->karp_flatt);
        cJSON_AddItemToArray(kf, e);
    }
    cJSON *am = cJSON_AddObjectToObject(root, "amdahl");
    if (r->amdahl_ok) {
        ns_json_add_number(am, "serial_fraction", r->amdahl.serial_fraction);
        ns_json_add_number(am, "max_speedup", r->amdahl.max_speedup);
        ns_json_add_number(am, "rmse", r->amdahl.rmse);
        cJSON_AddNumberToObject(am, "points", (double)r->amdahl.points);
        cJSON_AddStringToObject(am, "fitted_on", "speedup_vs_sequential of the worker sweep, 2..usable CPUs");
    }
    cJSON *rec = cJSON_AddObjectToObject(root, "recommendation");
    if (r->rec_ok) {
        cJSON_AddNumberToObject(rec, "workers", r->rec.recommended);
        cJSON_AddStringToObject(rec, "relation", ns_rec_relation_name(r->rec.relation));
        ns_json_add_number(rec, "images_per_s", r->rec.recommended_images_per_s);
        cJSON_AddNumberToObject(rec, "best_workers", r->rec.best);
        ns_json_add_number(rec, "best_images_per_s", r->rec.best_images_per_s);
        ns_json_add_number(rec, "sequential_images_per_s", r->rec.sequential_images_per_s);
        ns_json_add_number(rec, "tolerance", r->rec.tolerance);
        cJSON_AddNumberToObject(rec, "usable_cpus", r->rec.usable_cpus);
        cJSON_AddStringToObject(rec, "text", r->rec.text);
    }
    if (r->mpi_ranks > 0) {
        cJSON *rr = cJSON_AddObjectToObject(root, "ranks");
        cJSON_AddNumberToObject(rr, "size", r->mpi_ranks);
        cJSON_AddStringToObject(rr, "how",
            "under mpirun: rank 0 made the inputs once; for each rank count 1..size and each worker count "
            "per rank, the ranks taking part ran the batch through the MPI dispatcher (as mpirun nucseg "
            "segment), the others idle; wall time measured by rank 0; speedup_vs_1_worker = t(1 rank x 1 "
            "worker) / t(this), efficiency_vs_1_worker = that / total_workers");
        if (r->rank_rec_ok) {
            cJSON *rec2 = cJSON_AddObjectToObject(rr, "recommendation");
            cJSON_AddNumberToObject(rec2, "ranks", r->rank_rec.ranks);
            cJSON_AddNumberToObject(rec2, "workers_per_rank", r->rank_rec.workers);
            ns_json_add_number(rec2, "images_per_s", r->rank_rec.images_per_s);
            cJSON_AddNumberToObject(rec2, "best_ranks", r->rank_rec.best_ranks);
            cJSON_AddNumberToObject(rec2, "best_workers_per_rank", r->rank_rec.best_workers);
            ns_json_add_number(rec2, "best_images_per_s", r->rank_rec.best_images_per_s);
            cJSON_AddStringToObject(rec2, "text", r->rank_rec.text);
        }
    }
    cJSON *sizes = cJSON_AddArrayToObject(root, "size_effect");
    ns_size_point pts[NS_SCALING_MAX_SIZES + 1];
    size_t np = ns_scaling_size_points(r, pts, NS_SCALING_MAX_SIZES + 1);
    for (size_t i = 0; i < np; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "width", pts[i].width);
        cJSON_AddNumberToObject(e, "height", pts[i].height);
        ns_json_add_number(e, "sequential_wall_s", pts[i].seq ? pts[i].seq->wall.median : NAN);
        cJSON_AddNumberToObject(e, "pool_workers", r->best_workers);
        ns_json_add_number(e, "pool_wall_s", pts[i].pool ? pts[i].pool->wall.median : NAN);
        ns_json_add_number(e, "speedup_vs_sequential",
                pts[i].seq && pts[i].pool ? pts[i].seq->wall.median / pts[i].pool->wall.median : NAN);
        cJSON_AddItemToArray(sizes, e);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
    size_t len = strlen(text);
    text[len] = '\n'; /* replace the terminator: the file ends with a newline */
    ns_status st = ns_write_file_atomic(path, text, len + 1, err);
    cJSON_free(text);
    return st;
}

/* ---- recommendation.txt ---- */

typedef struct {
    char *buf;
    size_t len, cap;
    int failed;
} strbuf;

static void sb_printf(strbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(strbuf *s, const char *fmt, ...)
{
    if (s->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(s->buf ? s->buf + s->len : NULL, s->buf ? s->cap - s->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) { s->failed = 1; return; }
        if (s->buf && s->len + (size_t)n < s->cap) { s->len += (size_t)n; return; }
        size_t cap = (s->cap + (size_t)n + 1) * 2;
        char *b = realloc(s->buf, cap);
        if (!b) { s->failed = 1; return; }
        s->buf = b;
        s->cap = cap;
    }
}

/* Wrap a long paragraph at ~88 columns for the text file. */
static void sb_wrapped(strbuf *s, const char *text)
{
    const char *p = text;
    while (*p) {
        size_t len = strlen(p);
        if (len <= 88) {
            sb_printf(s, "%s\n", p);
            return;
        }
        size_t cut = 88;
        while (cut > 0 && p[cut] != ' ') cut--;
        if (cut == 0) cut = 88;
        sb_printf(s, "%.*s\n", (int)cut, p);
        p += cut;
        while (*p == ' ') p++;
    }
}

/* Under MPI: per rank count, the best worker count's throughput and efficiency, then the
 * ranks x workers to use. */
static void rank_lines(strbuf *s, const ns_scaling_result *r)
{
    sb_printf(s, "Over MPI ranks (1..%d; speedup and efficiency against 1 rank x 1 worker):\n", r->mpi_ranks);
    for (int k = 1; k <= r->mpi_ranks; k++) {
        const ns_scaling_row *b = NULL;
        for (size_t i = 0; i < r->count; i++) {
            const ns_scaling_row *x = &r->rows[i];
            if (x->sweep == NS_SWEEP_WORKERS && !x->sequential && x->ranks == k &&
                (!b || x->ips_median > b->ips_median))
                b = x;
        }
        if (b)
            sb_printf(s, "  %d rank%s: best %d worker%s per rank (%d in all), %.3g images/s, speedup %.2fx, "
                      "efficiency %.2f\n", k, k == 1 ? "" : "s", b->workers, b->workers == 1 ? "" : "s",
                      ns_scaling_total_workers(b), b->ips_median, b->speedup_1, b->efficiency_1);
    }
    if (r->rank_rec_ok) {
        sb_printf(s, "Recommendation over ranks: %d rank%s x %d worker%s.\n", r->rank_rec.ranks,
                  r->rank_rec.ranks == 1 ? "" : "s", r->rank_rec.workers, r->rank_rec.workers == 1 ? "" : "s");
        sb_wrapped(s, r->rank_rec.text);
        sb_printf(s, "Use it with: mpirun -n %d nucseg segment DATA_DIR -o OUT -j %d\n", r->rank_rec.ranks,
                  r->rank_rec.workers);
    }
    sb_printf(s, "\n");
}

char *ns_scaling_recommendation_text(const ns_scaling_result *r)
{
    strbuf s = {0};
    const ns_scaling_env *e = &r->env;
    sb_printf(&s, "nucseg segmentation scaling benchmark\n\n");
    sb_wrapped(&s, r->input_desc);
    sb_printf(&s, "Machine: %s, %d usable CPU%s (%d online), %s\n", e->machine, e->usable_cpus,
              e->usable_cpus == 1 ? "" : "s", e->cpus_online, e->cpu_model);
    sb_printf(&s, "Load average before / after: %.2f / %.2f\n\n", e->load_start[0], e->load_end[0]);

    const ns_scaling_row *seq = ns_scaling_sequential_row(r);
    const ns_scaling_row *best = r->best_workers ? ns_scaling_pool_row(r, r->best_workers) : NULL;
    if (seq)
        sb_printf(&s, "Sequential loop (one process, no pool): median %.3f s (min %.3f, max %.3f) = %.3g images/s\n",
                  seq->wall.median, seq->wall.min, seq->wall.max, seq->ips_median);
    if (best) {
        sb_printf(&s, "Best pool: %d worker%s, median %.3f s (min %.3f, max %.3f) = %.3g images/s\n",
                  best->workers, best->workers == 1 ? "" : "s", best->wall.median, best->wall.min,
                  best->wall.max, best->ips_median);
        sb_printf(&s, "Maximum speedup: %.2fx over the sequential loop, t(sequential)/t(%d); "
                  "%.2fx over one pool worker, t(1)/t(%d)\n",
                  best->speedup_seq, best->workers, best->speedup_1, best->workers);
        sb_printf(&s, "Parallel efficiency at %d worker%s: %.2f (vs sequential), %.2f (vs 1 worker)\n",
                  best->workers, best->workers == 1 ? "" : "s", best->efficiency, best->efficiency_1);
    }
    for (size_t i = 0; i < r->count; i++) {
        const ns_scaling_row *x = &r->rows[i];
        if (x->sweep == NS_SWEEP_WORKERS && !x->sequential && x->ranks <= 1 && isfinite(x->karp_flatt))
            sb_printf(&s, "Karp-Flatt serial fraction at %d workers: %.3f\n", x->workers, x->karp_flatt);
    }
    if (r->amdahl_ok)
        sb_printf(&s, "Amdahl fit: serial fraction %.3f (at most %.3gx with unlimited CPUs), rmse %.3f\n",
                  r->amdahl.serial_fraction, r->amdahl.max_speedup, r->amdahl.rmse);
    sb_printf(&s, "\n");
    if (r->mpi_ranks > 0) rank_lines(&s, r);
    if (r->rec_ok) {
        sb_printf(&s, "Recommendation: %d worker%s (%s of %d).\n", r->rec.recommended,
                  r->rec.recommended == 1 ? "" : "s", ns_rec_relation_name(r->rec.relation), e->usable_cpus);
        sb_wrapped(&s, r->rec.text);
        sb_printf(&s, "Use it with: nucseg segment DATA_DIR -o OUT -j %d\n\n", r->rec.recommended);
    }
    ns_size_point pts[NS_SCALING_MAX_SIZES + 1];
    size_t np = ns_scaling_size_points(r, pts, NS_SCALING_MAX_SIZES + 1);
    if (np) {
        sb_printf(&s, "Image size effect (sequential vs %d worker%s):\n", r->best_workers,
                  r->best_workers == 1 ? "" : "s");
        for (size_t i = 0; i < np; i++) {
            if (!pts[i].seq || !pts[i].pool) continue;
            sb_printf(&s, "  %dx%d: sequential %.3f s, pool %.3f s, speedup %.2fx\n", pts[i].width,
                      pts[i].height, pts[i].seq->wall.median, pts[i].pool->wall.median,
                      pts[i].seq->wall.median / pts[i].pool->wall.median);
        }
        sb_printf(&s, "\n");
    }
    sb_wrapped(&s, NS_SCALING_THREADS_NOTE);
    if (s.failed) {
        free(s.buf);
        return NULL;
    }
    return s.buf;
}

ns_status ns_scaling_write_recommendation(const char *path, const ns_scaling_result *r, ns_error *err)
{
    char *text = ns_scaling_recommendation_text(r);
    if (!text) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
    ns_status st = ns_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return st;
}
