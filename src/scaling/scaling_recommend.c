/* scaling_recommend.c — which worker count to use, from measured throughputs, and why.
 *
 * The rule: the smallest worker count whose throughput is within a tolerance (3%) of
 * the best. Fewer workers for the same throughput leaves cores and memory for
 * everything else on the machine, and differences of a few percent are within the
 * noise of a shared machine. */
#include "nucseg/scaling.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *ns_rec_relation_name(ns_rec_relation r)
{
    switch (r) {
    case NS_REC_ALL_CPUS: return "all CPUs";
    case NS_REC_CPUS_MINUS_ONE: return "CPUs-1";
    case NS_REC_FEWER: return "fewer than CPUs-1";
    case NS_REC_OVERSUBSCRIBED: return "more than CPUs";
    }
    return "unknown";
}

static int measured(const ns_worker_throughput *t)
{
    return isfinite(t->images_per_s) && t->images_per_s > 0;
}

/* Append printf-style text to a fixed buffer, cutting at its end. */
static void append(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strnlen(buf, size);
    if (len + 1 >= size) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

static const ns_worker_throughput *find(const ns_worker_throughput *m, size_t n, int workers)
{
    for (size_t i = 0; i < n; i++)
        if (m[i].workers == workers && measured(&m[i])) return &m[i];
    return NULL;
}

static void explain(const ns_worker_throughput *m, size_t n, ns_recommendation *r)
{
    char *t = r->text;
    size_t sz = sizeof r->text;
    t[0] = '\0';
    int rec = r->recommended, cpus = r->usable_cpus;
    double pct = 100.0 * r->tolerance;
    if (isfinite(r->sequential_images_per_s) && r->sequential_images_per_s > 0)
        append(t, sz, "The sequential loop (one process, no pool) processed %.3g images/s. ",
               r->sequential_images_per_s);
    append(t, sz, "The best throughput was %.3g images/s with %d worker%s", r->best_images_per_s,
           r->best, r->best == 1 ? "" : "s");
    if (isfinite(r->sequential_images_per_s) && r->sequential_images_per_s > 0)
        append(t, sz, ", %.2fx the sequential loop", r->best_images_per_s / r->sequential_images_per_s);
    append(t, sz, ". ");
    append(t, sz, "Recommended: %d worker%s, the smallest count within %.0f%% of the best throughput "
           "(%.3g images/s, %.1f%% of the best). ", rec, rec == 1 ? "" : "s", pct,
           r->recommended_images_per_s, 100.0 * r->recommended_images_per_s / r->best_images_per_s);

    const ns_worker_throughput *less = find(m, n, cpus - 1);
    switch (r->relation) {
    case NS_REC_ALL_CPUS:
        if (cpus == 1) {
            append(t, sz, "That is the only usable CPU: the pool cannot run images in parallel here. ");
            break;
        }
        append(t, sz, "That is all %d usable CPUs: each worker is single-threaded and the images are "
               "independent, so every core does useful work", cpus);
        if (less)
            append(t, sz, "; holding one core back (%d worker%s: %.3g images/s) would cost %.0f%% of the "
                   "throughput", cpus - 1, cpus - 1 == 1 ? "" : "s", less->images_per_s,
                   100.0 * (1.0 - less->images_per_s / r->recommended_images_per_s));
        append(t, sz, ". On a machine that must stay responsive for other work, use %d instead. ", cpus - 1);
        break;
    case NS_REC_CPUS_MINUS_ONE:
        append(t, sz, "That is CPUs-1 (%d usable CPUs): the last core adds less than %.0f%%, so it is "
               "better left to the system, the parent process and file I/O. ", cpus, pct);
        break;
    case NS_REC_FEWER:
        append(t, sz, "That is fewer than CPUs-1 (%d usable CPUs): more workers bring less than %.0f%%, so "
               "something other than CPU limits the batch (memory bandwidth, disk I/O, other load on "
               "the machine, or too few images to keep more workers busy). ", cpus, pct);
        break;
    case NS_REC_OVERSUBSCRIBED:
        append(t, sz, "That is more workers than the %d usable CPUs. Oversubscription only helps when "
               "workers wait on I/O; with single-threaded, CPU-bound workers this is more likely noise "
               "or other load on the machine, so check that it is reproducible before relying on it. ",
               cpus);
        break;
    }
    if (r->best > cpus && r->relation != NS_REC_OVERSUBSCRIBED)
        append(t, sz, "More workers than CPUs (up to %d) did not pay: they only share the same cores. ",
               r->best);
    if (isfinite(r->sequential_images_per_s) &&
        r->sequential_images_per_s > r->best_images_per_s * (1.0 + r->tolerance))
        append(t, sz, "Note: the sequential loop was faster than any pool (%.3g vs %.3g images/s); for "
               "this batch the pool's start-up and result passing outweigh its benefit. ",
               r->sequential_images_per_s, r->best_images_per_s);
    /* drop the trailing space */
    size_t len = strlen(t);
    if (len && t[len - 1] == ' ') t[len - 1] = '\0';
}

ns_status ns_recommend_workers(const ns_worker_throughput *m, size_t n, double sequential_images_per_s,
                               int usable_cpus, double tolerance, ns_recommendation *out, ns_error *err)
{
    memset(out, 0, sizeof *out);
    if (usable_cpus < 1)
        return ns_error_set(err, NS_ERR_INVALID, "recommendation: usable CPUs %d < 1", usable_cpus);
    if (!(tolerance >= 0 && tolerance < 1))
        return ns_error_set(err, NS_ERR_INVALID, "recommendation: tolerance %g outside [0, 1)", tolerance);
    const ns_worker_throughput *best = NULL;
    for (size_t i = 0; i < n; i++) {
        if (m[i].workers < 1)
            return ns_error_set(err, NS_ERR_INVALID, "recommendation: worker count %d < 1", m[i].workers);
        for (size_t j = 0; j < i; j++)
            if (m[j].workers == m[i].workers)
                return ns_error_set(err, NS_ERR_INVALID, "recommendation: worker count %d measured twice",
                                    m[i].workers);
        if (!measured(&m[i])) continue;
        /* ties go to fewer workers */
        if (!best || m[i].images_per_s > best->images_per_s ||
            (m[i].images_per_s == best->images_per_s && m[i].workers < best->workers))
            best = &m[i];
    }
    if (!best) return ns_error_set(err, NS_ERR_EMPTY, "recommendation: no worker count was measured");

    const ns_worker_throughput *rec = best;
    double floor_ips = best->images_per_s * (1.0 - tolerance);
    for (size_t i = 0; i < n; i++)
        if (measured(&m[i]) && m[i].images_per_s >= floor_ips && m[i].workers < rec->workers) rec = &m[i];

    out->recommended = rec->workers;
    out->recommended_images_per_s = rec->images_per_s;
    out->best = best->workers;
    out->best_images_per_s = best->images_per_s;
    out->sequential_images_per_s = sequential_images_per_s > 0 ? sequential_images_per_s : NAN;
    out->tolerance = tolerance;
    out->usable_cpus = usable_cpus;
    out->relation = rec->workers > usable_cpus        ? NS_REC_OVERSUBSCRIBED
                  : rec->workers == usable_cpus       ? NS_REC_ALL_CPUS
                  : rec->workers == usable_cpus - 1   ? NS_REC_CPUS_MINUS_ONE
                                                      : NS_REC_FEWER;
    explain(m, n, out);
    return NS_OK;
}
