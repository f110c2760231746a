/* stats.c — summaries of repeated timings and parallel-scaling models (Karp–Flatt, Amdahl). */
#include "nucseg/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of an array that may be reordered. */
static double median_inplace(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double ns_median(const double *v, size_t n)
{
    if (n == 0) return NAN;
    double small[64];
    double *tmp = n <= 64 ? small : malloc(n * sizeof *tmp);
    if (!tmp) return NAN;
    memcpy(tmp, v, n * sizeof *tmp);
    double m = median_inplace(tmp, n);
    if (tmp != small) free(tmp);
    return m;
}

ns_status ns_summarize(const double *v, size_t n, ns_summary *out, ns_error *err)
{
    memset(out, 0, sizeof *out);
    if (n == 0) return ns_error_set(err, NS_ERR_EMPTY, "summary: no values");
    double sum = 0, lo = v[0], hi = v[0];
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            return ns_error_set(err, NS_ERR_INVALID, "summary: value %zu is not finite", i);
        sum += v[i];
        if (v[i] < lo) lo = v[i];
        if (v[i] > hi) hi = v[i];
    }
    double mean = sum / (double)n, ss = 0;
    for (size_t i = 0; i < n; i++) ss += (v[i] - mean) * (v[i] - mean);
    out->n = n;
    out->median = ns_median(v, n);
    if (isnan(out->median)) return ns_error_set(err, NS_ERR_NOMEM, "summary: out of memory");
    out->min = lo;
    out->max = hi;
    out->mean = mean;
    out->sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
    return NS_OK;
}

double ns_karp_flatt(double speedup, double n)
{
    if (!(n > 1) || !(speedup > 0) || !isfinite(speedup)) return NAN;
    return (1.0 / speedup - 1.0 / n) / (1.0 - 1.0 / n);
}

double ns_amdahl_speedup(double f, double n)
{
    return 1.0 / (f + (1.0 - f) / n);
}

ns_status ns_amdahl_fit(const double *n, const double *speedup, size_t count,
                        ns_amdahl_fit_result *out, ns_error *err)
{
    memset(out, 0, sizeof *out);
    /* 1/S - 1/n = f * (1 - 1/n): a line through the origin in (1 - 1/n, 1/S - 1/n),
     * so the least-squares f has a closed form; no iterative optimiser is needed. */
    double sxy = 0, sxx = 0;
    size_t used = 0;
    for (size_t i = 0; i < count; i++) {
        if (!(n[i] > 1) || !(speedup[i] > 0) || !isfinite(speedup[i]) || !isfinite(n[i])) continue;
        double x = 1.0 - 1.0 / n[i];
        double y = 1.0 / speedup[i] - 1.0 / n[i];
        sxy += x * y;
        sxx += x * x;
        used++;
    }
    if (used == 0)
        return ns_error_set(err, NS_ERR_EMPTY, "Amdahl fit: no measurement with more than one worker");
    double f = sxy / sxx;
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    double se = 0;
    for (size_t i = 0; i < count; i++) {
        if (!(n[i] > 1) || !(speedup[i] > 0) || !isfinite(speedup[i]) || !isfinite(n[i])) continue;
        double d = ns_amdahl_speedup(f, n[i]) - speedup[i];
        se += d * d;
    }
    out->serial_fraction = f;
    out->max_speedup = f > 0 ? 1.0 / f : INFINITY;
    out->rmse = sqrt(se / (double)used);
    out->points = used;
    return NS_OK;
}
