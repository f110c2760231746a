/* dispatch.h — rank 0 hands out job indices as the ranks ask for them, over MPI
 * point-to-point messages: a request carries how many jobs a rank wants and the results
 * of the jobs it finished since its last request; the reply carries the next indices,
 * none when every job is out. A rank's last message (final) carries its remaining
 * results and its own statistics. Rank 0's own pool takes its jobs in-process.
 *
 * A dynamic deal, not a static split: a rank that is faster, or got smaller images, simply
 * asks more often. Batches shrink as the queue empties (a share of what is left per
 * worker), so the last images spread over every rank instead of queueing on one. */
#ifndef NUCSEG_DIST_DISPATCH_H
#define NUCSEG_DIST_DISPATCH_H

#include <mpi.h>
#include <stddef.h>
#include "nucseg/batch.h"

typedef struct ns_dispatcher ns_dispatcher;

/* Rank 0's callbacks, called with the dispatcher's lock held (from the serving thread or
 * from ns_dispatcher_record): one job's result from rank `rank`, and a rank's final
 * statistics (len bytes, as the rank sent them). */
typedef struct {
    void (*result)(void *ctx, int rank, const ns_job_result *r);
    void (*final)(void *ctx, int rank, const void *stats, size_t len);
    void *ctx;
} ns_dispatch_sink;

/* order: the job indices in hand-out order (copied); total_workers over all ranks sizes
 * the batches. NULL when out of memory. */
ns_dispatcher *ns_dispatcher_create(MPI_Comm comm, const size_t *order, size_t n, int total_workers,
                                    ns_dispatch_sink sink);
/* Answer the other ranks until each has sent its final message. For a thread of its own;
 * the only MPI calls of rank 0 while it runs. NS_OK, or an MPI error. */
ns_status ns_dispatcher_serve(ns_dispatcher *d, ns_error *err);
/* Rank 0's own share: like a request, in-process. */
size_t ns_dispatcher_take(ns_dispatcher *d, size_t *out, size_t max);
/* Rank 0's own results and statistics, through the same sink. */
void ns_dispatcher_record(ns_dispatcher *d, const ns_job_result *r);
void ns_dispatcher_final(ns_dispatcher *d, const void *stats, size_t len);
/* Jobs handed out, and requests answered, so far. */
size_t ns_dispatcher_handed_out(const ns_dispatcher *d);
size_t ns_dispatcher_requests(const ns_dispatcher *d);
void ns_dispatcher_free(ns_dispatcher *d);

/* A rank other than 0. */
typedef struct ns_dispatch_client ns_dispatch_client;
ns_dispatch_client *ns_dispatch_client_create(MPI_Comm comm);
/* Ask rank 0 for up to max jobs, sending the results kept so far: how many came (0: no
 * more). An MPI failure aborts the job (the ranks cannot go on without rank 0). */
size_t ns_dispatch_client_take(ns_dispatch_client *c, size_t *out, size_t max);
/* Keep a finished job's result for the next message. */
void ns_dispatch_client_done(ns_dispatch_client *c, const ns_job_result *r);
/* The last message: the results kept and this rank's statistics. */
void ns_dispatch_client_final(ns_dispatch_client *c, const void *stats, size_t len);
void ns_dispatch_client_free(ns_dispatch_client *c);

/* Wait for a non-blocking MPI request without spinning a core: test, then sleep a little
 * longer each time (up to 1 ms). MPI's blocking calls busy-poll, which would take a core
 * from the workers for as long as a rank waits. */
int ns_mpi_wait_gently(MPI_Request *req, MPI_Status *status);

#endif
