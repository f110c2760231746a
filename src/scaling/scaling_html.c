/* scaling_html.c — report.html for the scaling benchmark: the recommendation, every plot,
 * the tables and the environment, with relative links to the files next to it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scaling/scaling_internal.h"
#include "nucseg/fsutil.h"
#include "nucseg/report.h"

static const char *fmt(char *buf, size_t n, const char *f, double v)
{
    if (!isfinite(v)) snprintf(buf, n, "–");
    else snprintf(buf, n, f, v);
    return buf;
}

static void rows_table(FILE *o, const ns_scaling_result *r, ns_sweep sweep)
{
    static const char *const h[] = {"mode", "workers", "image size", "images", "wall s (median)",
                                    "wall s (min–max)", "images/s", "speedup vs sequential",
                                    "speedup vs 1 worker", "efficiency", "CPU utilisation",
                                    "Karp–Flatt", "peak RSS / worker (MB)", "ms / image", "other load (CPUs)",
                                    "failed"};
    size_t nh = sizeof h / sizeof h[0];
    /* Under MPI a "ranks" column first (and workers are per rank); one process's table as ever. */
    int mpi = r->mpi_ranks > 0;
    const char *hm[17] = {"ranks", "mode", "workers / rank"};
    for (size_t k = 2; k < nh; k++) hm[k + 1] = h[k];
    ns_html_table_begin(o, mpi ? hm : h, mpi ? nh + 1 : nh);
    for (size_t i = 0; i < r->count; i++) {
        const ns_scaling_row *x = &r->rows[i];
        if (x->sweep != sweep) continue;
        char c[17][64];
        snprintf(c[0], 64, "%s", ns_scaling_mode_name(x));
        snprintf(c[1], 64, "%d", x->workers);
        if (x->width > 0) snprintf(c[2], 64, "%d×%d", x->width, x->height);
        else snprintf(c[2], 64, "mixed");
        snprintf(c[3], 64, "%zu", x->images);
        fmt(c[4], 64, "%.3f", x->wall.median);
        snprintf(c[5], 64, "%.3f–%.3f", x->wall.min, x->wall.max);
        fmt(c[6], 64, "%.3g", x->ips_median);
        fmt(c[7], 64, "%.2f", x->speedup_seq);
        fmt(c[8], 64, "%.2f", x->speedup_1);
        fmt(c[9], 64, "%.2f", x->efficiency);
        fmt(c[10], 64, "%.2f", x->cpu_utilisation);
        fmt(c[11], 64, "%.3f", x->karp_flatt);
        fmt(c[12], 64, "%.0f", x->peak_rss_mb);
        fmt(c[13], 64, "%.1f", x->image_ms_median);
        fmt(c[14], 64, "%.2f", x->background_cpus_median);
        snprintf(c[15], 64, "%zu", x->failed);
        snprintf(c[16], 64, "%d", x->ranks);
        const char *cells[17];
        for (int k = 0; k < 16; k++) cells[k + mpi] = c[k];
        if (mpi) cells[0] = c[16];
        ns_html_table_row(o, cells, mpi ? nh + 1 : nh);
    }
    ns_html_table_end(o);
}

static void size_table(FILE *o, const ns_scaling_result *r)
{
    ns_size_point pts[NS_SCALING_MAX_SIZES + 1];
    size_t np = ns_scaling_size_points(r, pts, NS_SCALING_MAX_SIZES + 1);
    if (!np) return;
    char head[64];
    snprintf(head, sizeof head, "pool wall s (%d workers)", r->best_workers);
    const char *h[] = {"image size", "megapixels", "sequential wall s", head, "speedup",
                       "sequential ms / image"};
    ns_html_table_begin(o, h, 6);
    for (size_t i = 0; i < np; i++) {
        char c[6][64];
        snprintf(c[0], 64, "%d×%d", pts[i].width, pts[i].height);
        snprintf(c[1], 64, "%.2f", pts[i].megapixels_per_image);
        fmt(c[2], 64, "%.3f", pts[i].seq ? pts[i].seq->wall.median : NAN);
        fmt(c[3], 64, "%.3f", pts[i].pool ? pts[i].pool->wall.median : NAN);
        fmt(c[4], 64, "%.2f", pts[i].seq && pts[i].pool ? pts[i].seq->wall.median / pts[i].pool->wall.median : NAN);
        fmt(c[5], 64, "%.1f", pts[i].seq ? pts[i].seq->image_ms_median : NAN);
        const char *cells[6] = {c[0], c[1], c[2], c[3], c[4], c[5]};
        ns_html_table_row(o, cells, 6);
    }
    ns_html_table_end(o);
}

static void env_table(FILE *o, const ns_scaling_result *r)
{
    const ns_scaling_env *e = &r->env;
    char v[12][600];
    snprintf(v[0], sizeof v[0], "%d", e->cpus_online);
    snprintf(v[1], sizeof v[0], "%d (affinity mask and cgroup CPU quota)", e->usable_cpus);
    snprintf(v[2], sizeof v[0], "%s", e->machine);
    snprintf(v[3], sizeof v[0], "%s", e->hostname);
    snprintf(v[4], sizeof v[0], "%s", e->cpu_model);
    fmt(v[5], sizeof v[0], "%.1f GB", e->mem_total_gb);
    snprintf(v[6], sizeof v[0], "%.2f %.2f %.2f → %.2f %.2f %.2f", e->load_start[0], e->load_start[1],
             e->load_start[2], e->load_end[0], e->load_end[1], e->load_end[2]);
    snprintf(v[7], sizeof v[0], "%s", e->started_at);
    fmt(v[8], sizeof v[0], "%.1f s (not part of any timing)", e->generation_s);
    fmt(v[9], sizeof v[0], "%.1f s", e->total_s);
    snprintf(v[10], sizeof v[0], "%s", e->threads_env_user[0] ? e->threads_env_user : "none set");
    snprintf(v[11], sizeof v[0], "nucseg %s", NUCSEG_VERSION);
    const char *names[12] = {"CPUs online", "usable CPUs", "machine", "host", "CPU", "memory",
                             "load average (1, 5, 15 min) before → after", "started (UTC)",
                             "input generation", "benchmark total", "thread variables as given by the user",
                             "version"};
    const char *h[] = {"", ""};
    ns_html_table_begin(o, h, 2);
    for (int i = 0; i < 12; i++) {
        const char *cells[2] = {names[i], v[i]};
        ns_html_table_row(o, cells, 2);
    }
    ns_html_table_end(o);
}

/* A figure only for plots that exist, so every src/href on the page resolves. */
static void figure(FILE *o, const char *dir, const char *name, const char *caption)
{
    char png[256], svg[256];
    snprintf(png, sizeof png, "%s.png", name);
    snprintf(svg, sizeof svg, "%s.svg", name);
    char *pp = ns_path_join(dir, png), *ps = ns_path_join(dir, svg);
    int has_png = pp && ns_file_exists(pp), has_svg = ps && ns_file_exists(ps);
    if (has_png || has_svg) ns_html_figure(o, has_png ? png : NULL, has_svg ? svg : NULL, caption);
    free(pp);
    free(ps);
}

static void file_link(FILE *o, const char *dir, const char *name, const char *what)
{
    char *p = ns_path_join(dir, name);
    if (p && ns_file_exists(p)) {
        fputs("<li>", o);
        ns_html_link(o, name, name);
        fputs(" — ", o);
        ns_html_escape(o, what);
        fputs("</li>\n", o);
    }
    free(p);
}

ns_status ns_scaling_write_html(const char *path, const ns_scaling_options *op,
                                const ns_scaling_result *r, ns_error *err)
{
    (void)op;
    char *dir = strdup(path);
    if (!dir) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else strcpy(dir, ".");

    ns_atomic_file f;
    ns_status st = ns_atomic_open(&f, path, err);
    if (st) {
        free(dir);
        return st;
    }
    FILE *o = f.fp;
    ns_html_begin(o, "nucseg segmentation scaling benchmark");
    ns_html_paragraph(o, r->input_desc);

    ns_html_heading(o, 2, "Recommendation");
    char *text = ns_scaling_recommendation_text(r);
    if (r->rec_ok) {
        char line[256];
        snprintf(line, sizeof line, "Use %d worker%s (%s): nucseg segment DATA_DIR -o OUT -j %d",
                 r->rec.recommended, r->rec.recommended == 1 ? "" : "s",
                 ns_rec_relation_name(r->rec.relation), r->rec.recommended);
        fputs("<p><strong>", o);
        ns_html_escape(o, line);
        fputs("</strong></p>\n", o);
    }
    if (text) ns_html_pre(o, text);
    free(text);

    ns_html_heading(o, 2, "Plots");
    ns_html_paragraph(o, "Click a plot for its SVG version. Error bars span the fastest and slowest repeat.");
    figure(o, dir, "speedup_vs_workers",
           "Speedup t(sequential)/t(n) against worker processes, with t(1 worker)/t(n), the ideal "
           "linear speedup and the Amdahl fit.");
    figure(o, dir, "wall_time_vs_workers", "Wall time of the whole batch; dashed: the sequential loop.");
    figure(o, dir, "throughput_vs_workers", "Images per second; dashed: sequential and n × sequential.");
    figure(o, dir, "efficiency_vs_workers",
           "Parallel efficiency (speedup / n) and CPU utilisation of the workers ((user+sys) / (wall × n)).");
    figure(o, dir, "size_effect", "Speedup of the best worker count over the sequential loop, by image size.");
    if (r->mpi_ranks > 0) {
        figure(o, dir, "throughput_vs_ranks", "Images per second against MPI ranks, per worker count per rank.");
        figure(o, dir, "efficiency_vs_ranks",
               "Efficiency against MPI ranks: t(1 rank × 1 worker) / t(ranks × workers) / (ranks × workers).");
    }

    ns_html_heading(o, 2, "Worker sweep");
    ns_html_paragraph(o,
        "Each configuration segments the same images and writes every output as a real run does "
        "(labels, nuclei table, centroids, metadata, summary) into a scratch folder that is deleted "
        "between runs. The sequential loop calls ns_process_image in one process with no pool; the "
        "pool rows run ns_batch_run with n worker processes. Speedup vs sequential = t(sequential) / "
        "t(n), both medians over the repeats; speedup vs 1 worker = t(1) / t(n). Other load: CPUs "
        "kept busy by other processes on the machine during the run (from /proc/stat), which is "
        "what makes a shared machine's timings noisy.");
    rows_table(o, r, NS_SWEEP_WORKERS);
    if (r->amdahl_ok) {
        char line[256];
        snprintf(line, sizeof line,
                 "Amdahl fit over 2..%d workers: serial fraction %.3f, so at most %.3g× with unlimited CPUs "
                 "(rmse %.3f).", r->env.usable_cpus, r->amdahl.serial_fraction, r->amdahl.max_speedup,
                 r->amdahl.rmse);
        ns_html_paragraph(o, line);
    }

    int any_size = 0;
    for (size_t i = 0; i < r->count; i++) any_size |= r->rows[i].sweep == NS_SWEEP_SIZE;
    if (any_size) {
        ns_html_heading(o, 2, "Image size sweep");
        size_table(o, r);
        rows_table(o, r, NS_SWEEP_SIZE);
    }

    ns_html_heading(o, 2, "Environment");
    env_table(o, r);
    ns_html_paragraph(o, NS_SCALING_THREADS_NOTE);

    ns_html_heading(o, 2, "Files");
    fputs("<ul>\n", o);
    file_link(o, dir, "segmentation_benchmark.csv", "one row per configuration, aggregated over repeats");
    file_link(o, dir, "segmentation_benchmark_summary.json", "everything, including each repeat's time");
    file_link(o, dir, "recommendation.txt", "the recommendation in plain text");
    fputs("</ul>\n", o);
    ns_html_end(o);
    free(dir);
    return ns_atomic_close(&f, err);
}

ns_status ns_scaling_write_all(const char *out_dir, const ns_scaling_options *o,
                               const ns_scaling_result *r, ns_error *err)
{
    static const char *const names[] = {"segmentation_benchmark.csv", "segmentation_benchmark_summary.json",
                                        "recommendation.txt", "report.html"};
    char *p[4];
    for (int i = 0; i < 4; i++) p[i] = ns_path_join(out_dir, names[i]);
    ns_status st = NS_OK;
    if (!p[0] || !p[1] || !p[2] || !p[3]) st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", out_dir);
    if (!st) st = ns_mkdirs(out_dir, err);
    if (!st) st = ns_scaling_write_csv(p[0], r, err);
    if (!st) st = ns_scaling_write_json(p[1], o, r, err);
    if (!st) st = ns_scaling_write_recommendation(p[2], r, err);
    if (!st) st = ns_scaling_write_plots(out_dir, r, err);
    /* the page last: it only links files that exist */
    if (!st) st = ns_scaling_write_html(p[3], o, r, err);
    for (int i = 0; i < 4; i++) free(p[i]);
    return st;
}
