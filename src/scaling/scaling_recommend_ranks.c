/* scaling_recommend_ranks.c — how many MPI ranks and workers per rank, from the
 * throughputs `nucseg bench` measured under mpirun, and why.
 *
 * The rule, as for worker counts: the fewest workers in all (ranks x workers per rank)
 * within a tolerance of the best throughput; between equal totals, fewer ranks (fewer
 * nodes to ask the cluster for, less dispatch). */
#include "nucseg/scaling.h"

#include <math.h>
#include <stdio.h>

static int measured(const ns_rank_throughput *t)
{
    return isfinite(t->images_per_s) && t->images_per_s > 0;
}

/* a before b: fewer workers in all, then fewer ranks */
static int smaller(const ns_rank_throughput *a, const ns_rank_throughput *b)
{
    long ta = (long)a->ranks * a->workers, tb = (long)b->ranks * b->workers;
    return ta != tb ? ta < tb : a->ranks < b->ranks;
}

ns_status ns_recommend_ranks(const ns_rank_throughput *m, size_t n, double tolerance, ns_rank_recommendation *out,
                             ns_error *err)
{
    *out = (ns_rank_recommendation){0};
    if (!(tolerance >= 0 && tolerance < 1))
        return ns_error_set(err, NS_ERR_INVALID, "recommendation: tolerance %g outside [0, 1)", tolerance);
    const ns_rank_throughput *best = NULL;
    for (size_t i = 0; i < n; i++) {
        if (m[i].ranks < 1 || m[i].workers < 1)
            return ns_error_set(err, NS_ERR_INVALID, "recommendation: %d ranks x %d workers: counts must be >= 1",
                                m[i].ranks, m[i].workers);
        for (size_t j = 0; j < i; j++)
            if (m[j].ranks == m[i].ranks && m[j].workers == m[i].workers)
                return ns_error_set(err, NS_ERR_INVALID, "recommendation: %d ranks x %d workers measured twice",
                                    m[i].ranks, m[i].workers);
        if (!measured(&m[i])) continue;
        if (!best || m[i].images_per_s > best->images_per_s ||
            (m[i].images_per_s == best->images_per_s && smaller(&m[i], best)))
            best = &m[i];
    }
    if (!best) return ns_error_set(err, NS_ERR_EMPTY, "recommendation: no ranks x workers was measured");
    const ns_rank_throughput *rec = best;
    double floor_ips = best->images_per_s * (1.0 - tolerance);
    for (size_t i = 0; i < n; i++)
        if (measured(&m[i]) && m[i].images_per_s >= floor_ips && smaller(&m[i], rec)) rec = &m[i];

    out->ranks = rec->ranks;
    out->workers = rec->workers;
    out->images_per_s = rec->images_per_s;
    out->best_ranks = best->ranks;
    out->best_workers = best->workers;
    out->best_images_per_s = best->images_per_s;
    out->tolerance = tolerance;
    snprintf(out->text, sizeof out->text,
             "Across ranks, the best throughput was %.3g images/s with %d rank%s x %d worker%s. Recommended: "
             "%d rank%s x %d worker%s per rank (%d in all), the fewest workers within %.0f%% of the best "
             "(%.3g images/s, %.1f%% of the best).",
             best->images_per_s, best->ranks, best->ranks == 1 ? "" : "s", best->workers,
             best->workers == 1 ? "" : "s", rec->ranks, rec->ranks == 1 ? "" : "s", rec->workers,
             rec->workers == 1 ? "" : "s", rec->ranks * rec->workers, 100.0 * tolerance, rec->images_per_s,
             100.0 * rec->images_per_s / best->images_per_s);
    return NS_OK;
}
