/* scaling_plots.c — the scaling benchmark's charts (PNG + SVG): speedup with the ideal
 * linear reference and the Amdahl fit, wall time, throughput, efficiency and CPU
 * utilisation against worker count, and the speedup by image size. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "scaling/scaling_internal.h"
#include "nucseg/fsutil.h"
#include "nucseg/plot.h"

const char *const ns_scaling_plot_names[] = {
    "speedup_vs_workers", "wall_time_vs_workers", "throughput_vs_workers", "efficiency_vs_workers",
    "size_effect", NULL};

const char *const ns_scaling_rank_plot_names[] = {"throughput_vs_ranks", "efficiency_vs_ranks", NULL};

enum { MAXPTS = 256 };

/* The worker sweep's pool rows, in worker order (rows are stored in measuring order). */
typedef struct {
    double n[MAXPTS];
    double wall[MAXPTS], wall_lo[MAXPTS], wall_hi[MAXPTS];
    double ips[MAXPTS], ips_lo[MAXPTS], ips_hi[MAXPTS];
    double s_seq[MAXPTS], s_lo[MAXPTS], s_hi[MAXPTS], s_one[MAXPTS];
    double eff[MAXPTS], eff_one[MAXPTS], util[MAXPTS];
    double ideal_speedup[MAXPTS], ideal_ips[MAXPTS], amdahl[MAXPTS], seq_wall[MAXPTS], seq_ips[MAXPTS],
        one[MAXPTS];
    size_t count;
} sweep_points;

static void collect(const ns_scaling_result *r, sweep_points *p)
{
    p->count = 0;
    const ns_scaling_row *seq = ns_scaling_sequential_row(r);
    for (int w = 1; w <= 4096 && p->count < MAXPTS; w++) {
        const ns_scaling_row *x = ns_scaling_pool_row(r, w);
        if (!x) continue;
        size_t i = p->count++;
        p->n[i] = w;
        p->wall[i] = x->wall.median;
        p->wall_lo[i] = x->wall.min;
        p->wall_hi[i] = x->wall.max;
        p->ips[i] = x->ips_median;
        p->ips_lo[i] = x->ips_min;
        p->ips_hi[i] = x->ips_max;
        p->s_seq[i] = x->speedup_seq;
        p->s_lo[i] = x->speedup_seq_lo;
        p->s_hi[i] = x->speedup_seq_hi;
        p->s_one[i] = x->speedup_1;
        p->eff[i] = x->efficiency;
        p->eff_one[i] = x->efficiency_1;
        p->util[i] = x->cpu_utilisation;
        p->ideal_speedup[i] = w;
        p->amdahl[i] = r->amdahl_ok ? ns_amdahl_speedup(r->amdahl.serial_fraction, w) : NAN;
        p->seq_wall[i] = seq ? seq->wall.median : NAN;
        p->seq_ips[i] = seq ? seq->ips_median : NAN;
        p->ideal_ips[i] = seq ? seq->ips_median * w : NAN;
        p->one[i] = 1.0;
    }
}

static ns_status plot(const char *out_dir, const char *name, const ns_plot_spec *spec,
                      const ns_series *s, size_t n, ns_error *err)
{
    char *base = ns_path_join(out_dir, name);
    if (!base) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", out_dir);
    ns_status st = ns_plot_lines(base, spec, s, n, err);
    free(base);
    return st;
}

/* Under MPI: throughput and efficiency (against 1 rank x 1 worker) against the rank count,
 * one line per worker count per rank. */
enum { MAX_RANK_SERIES = 16 };
typedef struct {
    double x[MAX_RANK_SERIES][MAXPTS], ips[MAX_RANK_SERIES][MAXPTS], eff[MAX_RANK_SERIES][MAXPTS];
    double lo[MAX_RANK_SERIES][MAXPTS], hi[MAX_RANK_SERIES][MAXPTS];
    char label[MAX_RANK_SERIES][64];
    ns_series s_ips[MAX_RANK_SERIES], s_eff[MAX_RANK_SERIES + 1];
    double ideal_x[MAXPTS], ideal_y[MAXPTS];
} rank_points;

static ns_status write_rank_plots(const char *out_dir, const ns_scaling_result *r, ns_error *err)
{
    rank_points *p = calloc(1, sizeof *p);
    if (!p) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", out_dir);
    size_t ns = 0;
    for (int w = 1; w <= 4096 && ns < MAX_RANK_SERIES; w++) {
        size_t n = 0;
        for (int k = 1; k <= r->mpi_ranks && n < MAXPTS; k++) {
            const ns_scaling_row *x = ns_scaling_rank_row(r, k, w);
            if (!x) continue;
            p->x[ns][n] = k;
            p->ips[ns][n] = x->ips_median;
            p->lo[ns][n] = x->ips_min;
            p->hi[ns][n] = x->ips_max;
            p->eff[ns][n] = x->efficiency_1;
            n++;
        }
        if (!n) continue;
        snprintf(p->label[ns], sizeof p->label[ns], "%d worker%s per rank", w, w == 1 ? "" : "s");
        p->s_ips[ns] = (ns_series){.label = p->label[ns], .x = p->x[ns], .y = p->ips[ns], .n = n,
                                   .y_lo = p->lo[ns], .y_hi = p->hi[ns]};
        p->s_eff[ns] = (ns_series){.label = p->label[ns], .x = p->x[ns], .y = p->eff[ns], .n = n};
        ns++;
    }
    ns_status st = NS_OK;
    if (ns == 0) {
        st = ns_error_set(err, NS_ERR_EMPTY, "%s: no measurements over ranks to plot", out_dir);
        goto done;
    }
    size_t ni = 0;
    for (int k = 1; k <= r->mpi_ranks && ni < MAXPTS; k++, ni++) {
        p->ideal_x[ni] = k;
        p->ideal_y[ni] = 1.0;
    }
    p->s_eff[ns] = (ns_series){.label = "ideal", .x = p->ideal_x, .y = p->ideal_y, .n = ni, .style = NS_STYLE_DASHED};
    ns_plot_spec tp = {.title = "Throughput vs MPI ranks", .xlabel = "MPI ranks", .ylabel = "images / s",
                       .y_from_zero = 1, .x_tick = 1};
    st = plot(out_dir, "throughput_vs_ranks", &tp, p->s_ips, ns, err);
    ns_plot_spec ep = {.title = "Efficiency vs MPI ranks (against 1 rank x 1 worker)", .xlabel = "MPI ranks",
                       .ylabel = "speedup / (ranks x workers)", .y_from_zero = 1, .x_tick = 1};
    if (!st) st = plot(out_dir, "efficiency_vs_ranks", &ep, p->s_eff, ns + 1, err);
done:
    free(p);
    return st;
}

ns_status ns_scaling_write_plots(const char *out_dir, const ns_scaling_result *r, ns_error *err)
{
    sweep_points *p = calloc(1, sizeof *p);
    if (!p) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", out_dir);
    collect(r, p);
    ns_status st = NS_OK;
    if (p->count == 0) {
        st = ns_error_set(err, NS_ERR_EMPTY, "%s: no pool measurements to plot", out_dir);
        goto done;
    }
    size_t n = p->count;
    double xt = p->n[n - 1] <= 16 ? 1 : 0;
    char amdahl_label[96];
    snprintf(amdahl_label, sizeof amdahl_label, "Amdahl fit (serial fraction %.3f)",
             r->amdahl_ok ? r->amdahl.serial_fraction : NAN);

    ns_series speed[] = {
        {.label = "t(sequential) / t(n), min-max", .x = p->n, .y = p->s_seq, .n = n, .y_lo = p->s_lo, .y_hi = p->s_hi},
        {.label = "t(1 worker) / t(n)", .x = p->n, .y = p->s_one, .n = n, .style = NS_STYLE_POINTS},
        {.label = "ideal (linear)", .x = p->n, .y = p->ideal_speedup, .n = n, .style = NS_STYLE_DASHED},
        {.label = amdahl_label, .x = p->n, .y = p->amdahl, .n = r->amdahl_ok ? n : 0, .style = NS_STYLE_DASHED},
    };
    ns_plot_spec sp = {.title = "Speedup vs worker processes", .xlabel = "worker processes",
                       .ylabel = "speedup", .y_from_zero = 1, .x_tick = xt};
    st = plot(out_dir, "speedup_vs_workers", &sp, speed, 4, err);
    if (st) goto done;

    ns_series wall[] = {
        {.label = "pool, median (min-max)", .x = p->n, .y = p->wall, .n = n, .y_lo = p->wall_lo, .y_hi = p->wall_hi},
        {.label = "sequential loop", .x = p->n, .y = p->seq_wall, .n = n, .style = NS_STYLE_DASHED},
    };
    ns_plot_spec wp = {.title = "Wall time of the batch vs worker processes", .xlabel = "worker processes",
                       .ylabel = "wall time (s)", .y_from_zero = 1, .x_tick = xt};
    st = plot(out_dir, "wall_time_vs_workers", &wp, wall, 2, err);
    if (st) goto done;

    ns_series thr[] = {
        {.label = "pool, median (min-max)", .x = p->n, .y = p->ips, .n = n, .y_lo = p->ips_lo, .y_hi = p->ips_hi},
        {.label = "sequential loop", .x = p->n, .y = p->seq_ips, .n = n, .style = NS_STYLE_DASHED},
        {.label = "ideal (n x sequential)", .x = p->n, .y = p->ideal_ips, .n = n, .style = NS_STYLE_DASHED},
    };
    ns_plot_spec tp = {.title = "Throughput vs worker processes", .xlabel = "worker processes",
                       .ylabel = "images / s", .y_from_zero = 1, .x_tick = xt};
    st = plot(out_dir, "throughput_vs_workers", &tp, thr, 3, err);
    if (st) goto done;

    ns_series eff[] = {
        {.label = "efficiency, speedup vs sequential / n", .x = p->n, .y = p->eff, .n = n},
        {.label = "efficiency, speedup vs 1 worker / n", .x = p->n, .y = p->eff_one, .n = n, .style = NS_STYLE_POINTS},
        {.label = "CPU utilisation of the workers", .x = p->n, .y = p->util, .n = n},
        {.label = "ideal", .x = p->n, .y = p->one, .n = n, .style = NS_STYLE_DASHED},
    };
    ns_plot_spec ep = {.title = "Parallel efficiency vs worker processes", .xlabel = "worker processes",
                       .ylabel = "efficiency, utilisation", .y_from_zero = 1, .x_tick = xt};
    st = plot(out_dir, "efficiency_vs_workers", &ep, eff, 4, err);
    if (st) goto done;

    /* Size effect: only when an image-size sweep ran. */
    ns_size_point pts[NS_SCALING_MAX_SIZES + 1];
    size_t np = ns_scaling_size_points(r, pts, NS_SCALING_MAX_SIZES + 1);
    double mp[NS_SCALING_MAX_SIZES + 1], sp_size[NS_SCALING_MAX_SIZES + 1], ideal[NS_SCALING_MAX_SIZES + 1];
    size_t k = 0;
    for (size_t i = 0; i < np; i++) {
        if (!pts[i].seq || !pts[i].pool) continue;
        mp[k] = pts[i].megapixels_per_image;
        sp_size[k] = pts[i].seq->wall.median / pts[i].pool->wall.median;
        ideal[k] = r->best_workers;
        k++;
    }
    char sl[96], il[96];
    snprintf(sl, sizeof sl, "t(sequential) / t(%d workers)", r->best_workers);
    snprintf(il, sizeof il, "ideal (%d)", r->best_workers);
    ns_series sz[] = {
        {.label = sl, .x = mp, .y = sp_size, .n = k},
        {.label = il, .x = mp, .y = ideal, .n = k, .style = NS_STYLE_DASHED},
    };
    ns_plot_spec zp = {.title = "Speedup by image size", .xlabel = "megapixels per image",
                       .ylabel = "speedup", .y_from_zero = 1};
    if (k > 0) st = plot(out_dir, "size_effect", &zp, sz, 2, err);
    if (!st && r->mpi_ranks > 0) st = write_rank_plots(out_dir, r, err);
done:
    free(p);
    return st;
}
