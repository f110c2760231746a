/* stats.h — small descriptive statistics and parallel-scaling models for benchmarks.
 *
 * Summaries of repeated timings (median, min, max, mean, sd), the Karp–Flatt
 * experimentally determined serial fraction, and a least-squares Amdahl fit. */
#ifndef NUCSEG_STATS_H
#define NUCSEG_STATS_H

#include <stddef.h>
#include "nucseg/error.h"

typedef struct {
    size_t n;
    double median, min, max, mean, sd; /* sd: sample standard deviation (n-1); 0 when n < 2 */
} ns_summary;

/* Summary of v[0..n-1] (v is not modified). NS_ERR_EMPTY when n == 0, NS_ERR_INVALID on NaN/inf. */
ns_status ns_summarize(const double *v, size_t n, ns_summary *out, ns_error *err);

/* Median of v[0..n-1] (v not modified); NAN when n == 0. */
double ns_median(const double *v, size_t n);

/* Karp–Flatt serial fraction e = (1/S - 1/n) / (1 - 1/n) for speedup S on n > 1
 * processors; NAN when n <= 1 or S <= 0. */
double ns_karp_flatt(double speedup, double n);

/* Amdahl's law: speedup on n processors with serial fraction f. */
double ns_amdahl_speedup(double f, double n);

typedef struct {
    double serial_fraction;  /* f in [0, 1] */
    double max_speedup;      /* 1/f (INFINITY when f == 0) */
    double rmse;             /* of the fitted speedups against the measured ones */
    size_t points;           /* points that carried weight (n > 1) */
} ns_amdahl_fit_result;

/* Least-squares fit of f in 1/S = 1/n + f (1 - 1/n) (Amdahl, linear in 1/S) over the
 * points (n[i], speedup[i]); points with n <= 1 carry no information and are ignored.
 * f is clamped to [0, 1]. NS_ERR_EMPTY when no point has n > 1. */
ns_status ns_amdahl_fit(const double *n, const double *speedup, size_t count,
                        ns_amdahl_fit_result *out, ns_error *err);

#endif
