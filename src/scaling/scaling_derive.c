/* scaling_derive.c — from per-repeat wall and CPU times to every derived figure of the
 * scaling benchmark: medians, throughputs, speedups (against the sequential loop and
 * against one pool worker), efficiencies, CPU utilisation, Karp–Flatt, the Amdahl fit,
 * the best worker count and the recommendation. No clock and no files here. */
#include "nucseg/scaling.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

ns_status ns_scaling_add_row(ns_scaling_result *r, const ns_scaling_row *row, ns_error *err)
{
    if (r->count == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        ns_scaling_row *rows = realloc(r->rows, cap * sizeof *rows);
        if (!rows) return ns_error_set(err, NS_ERR_NOMEM, "benchmark results: out of memory");
        r->rows = rows;
        r->cap = cap;
    }
    r->rows[r->count++] = *row;
    return NS_OK;
}

void ns_scaling_result_free(ns_scaling_result *r)
{
    for (size_t i = 0; i < r->count; i++) {
        free(r->rows[i].wall_s);
        free(r->rows[i].cpu_s);
        free(r->rows[i].background_cpus);
    }
    free(r->rows);
    memset(r, 0, sizeof *r);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

size_t ns_scaling_worker_counts(int usable_cpus, int max_workers, size_t images, int *out, size_t cap)
{
    if (usable_cpus < 1) usable_cpus = 1;
    if (max_workers < 1) max_workers = usable_cpus;
    /* the pool never runs more workers than images: such a count would measure nothing new */
    int limit = max_workers;
    if (images > 0 && (size_t)limit > images) limit = (int)images;
    int cand[80];
    size_t nc = 0;
    for (int p = 1; p <= limit && nc < 64; p *= 2) cand[nc++] = p;
    cand[nc++] = usable_cpus - 1;
    cand[nc++] = usable_cpus;
    cand[nc++] = limit;
    qsort(cand, nc, sizeof *cand, cmp_int);
    size_t n = 0;
    for (size_t i = 0; i < nc; i++) {
        if (cand[i] < 1 || cand[i] > limit) continue;
        if (n && out[n - 1] == cand[i]) continue;
        if (n == cap) break;
        out[n++] = cand[i];
    }
    return n;
}

int ns_scaling_total_workers(const ns_scaling_row *row)
{
    int w = row->workers > 0 ? row->workers : 1;
    return row->ranks > 1 ? row->ranks * w : w;
}

/* The sequential row, or the pool row with `workers` on one rank (or one process). */
static const ns_scaling_row *find_row(const ns_scaling_result *r, ns_sweep sweep, int sequential,
                                      int workers, int width, int height)
{
    for (size_t i = 0; i < r->count; i++) {
        const ns_scaling_row *x = &r->rows[i];
        if (x->sweep == sweep && x->sequential == sequential && (sequential || x->workers == workers) &&
            x->ranks <= 1 && x->width == width && x->height == height && x->wall.n > 0)
            return x;
    }
    return NULL;
}

static ns_status summarize_row(ns_scaling_row *row, ns_error *err)
{
    if (row->repeats < 1 || !row->wall_s)
        return ns_error_set(err, NS_ERR_EMPTY, "benchmark row (%s, %d workers): no repeats",
                            row->sequential ? "sequential" : "pool", row->workers);
    ns_status st = ns_summarize(row->wall_s, (size_t)row->repeats, &row->wall, err);
    if (st) return st;
    if (row->wall.min <= 0)
        return ns_error_set(err, NS_ERR_INVALID, "benchmark row (%s, %d workers): wall time <= 0",
                            row->sequential ? "sequential" : "pool", row->workers);
    double n = (double)row->images;
    row->ips_median = n / row->wall.median;
    row->ips_min = n / row->wall.max;
    row->ips_max = n / row->wall.min;
    double util[256], bg[256];
    int k = row->repeats < 256 ? row->repeats : 256;
    int w = ns_scaling_total_workers(row);
    for (int i = 0; i < k; i++) {
        util[i] = row->cpu_s ? row->cpu_s[i] / (row->wall_s[i] * w) : NAN;
        bg[i] = row->background_cpus ? row->background_cpus[i] : NAN;
    }
    row->cpu_utilisation = row->cpu_s ? ns_median(util, (size_t)k) : NAN;
    row->background_cpus_median = row->background_cpus ? ns_median(bg, (size_t)k) : NAN;
    return NS_OK;
}

ns_status ns_scaling_derive(ns_scaling_result *r, double tolerance, ns_error *err)
{
    for (size_t i = 0; i < r->count; i++) {
        ns_status st = summarize_row(&r->rows[i], err);
        if (st) return st;
    }
    for (size_t i = 0; i < r->count; i++) {
        ns_scaling_row *row = &r->rows[i];
        const ns_scaling_row *seq = find_row(r, row->sweep, 1, 1, row->width, row->height);
        const ns_scaling_row *one = find_row(r, row->sweep, 0, 1, row->width, row->height);
        int w = ns_scaling_total_workers(row);
        row->speedup_seq = seq ? seq->wall.median / row->wall.median : NAN;
        row->speedup_seq_lo = seq ? seq->wall.median / row->wall.max : NAN;
        row->speedup_seq_hi = seq ? seq->wall.median / row->wall.min : NAN;
        row->speedup_1 = one ? one->wall.median / row->wall.median : NAN;
        row->efficiency = row->speedup_seq / w;
        row->efficiency_1 = row->speedup_1 / w;
        row->karp_flatt = row->sequential ? NAN : ns_karp_flatt(row->speedup_seq, w);
    }

    /* Amdahl fit, best count and recommendation: worker sweep only, on one rank (one
     * process). Oversubscribed points are left out of the fit: beyond the CPU count there
     * is no more hardware to use, so their flattening says nothing about the serial
     * fraction. Over ranks, ns_recommend_ranks below. */
    double nx[256], sy[256];
    size_t np = 0;
    ns_worker_throughput tp[256];
    size_t nt = 0;
    const ns_scaling_row *seq = NULL;
    int cpus = r->env.usable_cpus > 0 ? r->env.usable_cpus : 1;
    for (size_t i = 0; i < r->count; i++) {
        const ns_scaling_row *row = &r->rows[i];
        if (row->sweep != NS_SWEEP_WORKERS) continue;
        if (row->sequential) {
            seq = row;
            continue;
        }
        if (row->ranks > 1) continue;
        if (nt < 256) tp[nt++] = (ns_worker_throughput){row->workers, row->ips_median};
        if (np < 256 && row->workers <= cpus && isfinite(row->speedup_seq)) {
            nx[np] = row->workers;
            sy[np++] = row->speedup_seq;
        }
    }
    ns_error fit_err;
    r->amdahl_ok = np > 0 && ns_amdahl_fit(nx, sy, np, &r->amdahl, &fit_err) == NS_OK;
    r->rec_ok = 0;
    r->best_workers = 0;
    r->rank_rec_ok = 0;
    if (nt == 0) return NS_OK; /* only a sequential baseline so far */
    ns_status st = ns_recommend_workers(tp, nt, seq ? seq->ips_median : NAN, cpus, tolerance, &r->rec, err);
    if (st) return st;
    r->rec_ok = 1;
    r->best_workers = r->rec.best;
    if (!r->mpi_ranks) return NS_OK;
    ns_rank_throughput *rt = calloc(r->count, sizeof *rt);
    if (!rt) return ns_error_set(err, NS_ERR_NOMEM, "benchmark results: out of memory");
    size_t nr = 0;
    for (size_t i = 0; i < r->count; i++) {
        const ns_scaling_row *row = &r->rows[i];
        if (row->sweep == NS_SWEEP_WORKERS && !row->sequential && row->ranks >= 1)
            rt[nr++] = (ns_rank_throughput){row->ranks, row->workers, row->ips_median};
    }
    st = ns_recommend_ranks(rt, nr, tolerance, &r->rank_rec, err);
    free(rt);
    if (st) return st;
    r->rank_rec_ok = 1;
    return NS_OK;
}
