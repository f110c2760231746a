/* idle_cores.h — cores a batch's workers lend each other at the end of a batch.
 *
 * Once the queue is empty, a worker with nothing left to compute leaves its core idle
 * while the others finish their last images: up to one image's time on each core, a
 * few percent of a short batch. The batch's parent counts those cores in a page it
 * shares with its workers; a worker still computing may claim one for a helper thread
 * (ns_par_for, given the counter by its caller) and gives it back when the work that needed it is done. A claim never
 * takes a core the batch was not given: with one worker there is never one to claim. */
#ifndef NUCSEG_UTIL_IDLE_CORES_H
#define NUCSEG_UTIL_IDLE_CORES_H

#include <stdatomic.h>

typedef struct ns_idle_cores {
    atomic_int free; /* idle cores not claimed (may dip below 0 while a claim is returned) */
} ns_idle_cores;

/* A counter at 0 in memory shared with the processes forked afterwards, or NULL
 * (no shared memory: then nobody lends, which is only slower). */
ns_idle_cores *ns_idle_cores_create(void);
void ns_idle_cores_destroy(ns_idle_cores *c);
/* The parent: delta more (or fewer) idle cores. */
void ns_idle_cores_add(ns_idle_cores *c, int delta);

/* 1 when an idle core of c was claimed; 0 when none is free (or c is NULL: nothing lent). */
int ns_idle_core_claim(ns_idle_cores *c);
/* Give back to c a core ns_idle_core_claim(c) returned 1 for. */
void ns_idle_core_release(ns_idle_cores *c);

#endif
