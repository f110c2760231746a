/* scaling_internal.h — pieces shared by the scaling benchmark's writers (not public API). */
#ifndef NUCSEG_SCALING_INTERNAL_H
#define NUCSEG_SCALING_INTERNAL_H

#include "nucseg/scaling.h"

/* One image size: the sequential loop against the pool at the best worker count. */
typedef struct {
    int width, height;
    double megapixels_per_image;
    const ns_scaling_row *seq;  /* may be NULL */
    const ns_scaling_row *pool; /* may be NULL */
} ns_size_point;

/* Image sizes measured (the size sweep, plus the worker sweep's size), ascending by
 * pixels; for each, the sequential row and the pool row at the best worker count
 * (size-sweep rows first, the worker sweep's rows otherwise). */
size_t ns_scaling_size_points(const ns_scaling_result *r, ns_size_point *out, size_t cap);

/* "sequential" or "pool"; "workers" or "size". */
const char *ns_scaling_mode_name(const ns_scaling_row *row);
const char *ns_scaling_sweep_name(ns_sweep s);

/* The worker-sweep sequential row, or NULL. */
const ns_scaling_row *ns_scaling_sequential_row(const ns_scaling_result *r);
/* The worker-sweep pool row with n workers on one rank (or one process), or NULL. */
const ns_scaling_row *ns_scaling_pool_row(const ns_scaling_result *r, int workers);
/* Under MPI: the worker-sweep row over `ranks` ranks with `workers` each, or NULL. */
const ns_scaling_row *ns_scaling_rank_row(const ns_scaling_result *r, int ranks, int workers);

#define NS_SCALING_THREADS_NOTE \
    "Each worker is a single-threaded process: nucseg's segmentation uses no threads, and the " \
    "benchmark sets OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS, VECLIB_MAXIMUM_THREADS " \
    "and NUMEXPR_NUM_THREADS to 1 for itself and its workers, so n workers use n cores and never " \
    "oversubscribe them (the old Python script set these to the CPU count, which made every " \
    "worker of a process pool start one thread per CPU)."

#endif
