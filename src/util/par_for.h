/* par_for.h — a loop of independent tasks that borrows idle cores when there are any.
 *
 * The tasks run on the calling thread in index order. Before each task it takes, the
 * caller tries to claim an idle core from the counter it was given (idle_cores.h) and, when it gets one, starts a
 * helper thread there that takes tasks too. With no idle core (always so outside a
 * batch's last images, and with one worker) it is a plain loop. Tasks must write only
 * what is theirs: results must not depend on which thread ran what. A task that writes
 * files for the caller's deferred commits is given the list (nucseg/fsutil.h) in ctx. */
#ifndef NUCSEG_UTIL_PAR_FOR_H
#define NUCSEG_UTIL_PAR_FOR_H

#include <stddef.h>
#include "nucseg/error.h"
#include "util/idle_cores.h"

/* Threads at most: the caller (slot 0) and up to NS_PAR_SLOTS - 1 helpers. A task's
 * slot says whose scratch memory it may use; slots are used in order. */
#define NS_PAR_SLOTS 4

typedef ns_status (*ns_par_task)(void *ctx, size_t task, int slot, ns_error *err);

/* Run task(ctx, i, slot, err) for i = 0..n-1, borrowing cores from idle (NULL: none,
 * a plain loop on the caller). After a failure no further task starts; the error
 * returned is that of the lowest-numbered task that failed. *slots_used, when not NULL,
 * says how many threads took part (1: the caller alone). */
ns_status ns_par_for(size_t n, ns_par_task task, void *ctx, ns_idle_cores *idle, int *slots_used, ns_error *err);

#endif
