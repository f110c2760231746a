/* stats.c — the benchmark's figures over a subset of its fits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nucseg/optbench.h"
#include "nucseg/stats.h"

static double quantile(double *v, size_t n, double q)
{
    if (n == 0) return NAN;
    /* Sorted copy by insertion is fine for benchmark sizes; ns_median for the median. */
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) { v[j] = v[j - 1]; j--; }
        v[j] = x;
    }
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)pos;
    double fr = pos - (double)lo;
    return lo + 1 < n ? v[lo] * (1 - fr) + v[lo + 1] * fr : v[lo];
}

ns_status ns_optbench_subset_stats(const ns_optbench_result *res, const ns_optbench_pairs *pl, int method,
                                   const char *well, int trial, ns_optbench_stats *s, ns_error *err)
{
    const ns_optbench_record *r = res->records;
    size_t n = res->count;
    memset(s, 0, sizeof *s);
    double *rm = malloc((n + 1) * sizeof *rm), *tm = malloc((n + 1) * sizeof *tm);
    double *it = malloc((n + 1) * sizeof *it), *rd = malloc((n + 1) * sizeof *rd);
    if (!rm || !tm || !it || !rd) {
        free(rm); free(tm); free(it); free(rd);
        return ns_error_set(err, NS_ERR_NOMEM, "summary of %zu fits", n);
    }
    size_t k = 0;
    double corner_sum = 0;
    for (size_t i = 0; i < n; i++) {
        const ns_optbench_record *x = &r[i];
        if (x->method != method || !x->ok) continue;
        if (well && strcmp(pl->items[x->pair].well, well)) continue;
        if (trial >= 0 && x->trial != trial) continue;
        rm[k] = x->rmsd; tm[k] = x->time_us; it[k] = x->iterations; rd[k] = x->rel_diff;
        k++;
        s->successes += (size_t)x->success;
        if (isfinite(x->true_corner_err)) { corner_sum += x->true_corner_err; s->with_truth++; }
    }
    s->fits = k;
    s->success_rate = k ? (double)s->successes / (double)k : NAN;
    s->median_rmsd = ns_median(rm, k);
    s->median_time_us = ns_median(tm, k);
    s->p90_time_us = quantile(tm, k, 0.9);
    s->median_iterations = ns_median(it, k);
    s->median_rel_diff = ns_median(rd, k);
    s->mean_true_corner_err = s->with_truth ? corner_sum / (double)s->with_truth : NAN;
    free(rm); free(tm); free(it); free(rd);
    return NS_OK;
}
