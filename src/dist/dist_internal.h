/* dist_internal.h — internal to the distributed layer. */
#ifndef NUCSEG_DIST_INTERNAL_H
#define NUCSEG_DIST_INTERNAL_H
#include <mpi.h>
#include "dist/dist.h"

struct ns_dist {
    int rank, size;
    MPI_Comm comm; /* MPI_COMM_WORLD, or the ranks taking part in one benchmark run */
    int quiet;     /* 1: rank 0 prints nothing of its own (the benchmark reports instead) */
};

/* ns_dist_segment's body. rep (rank 0, may be NULL): the whole batch's report, for the
 * benchmark (the caller frees it); the others ignore it. */
int ns_dist_run(ns_dist *d, ns_job_list *jobs, ns_batch_options *opt, int workers_given, ns_batch_report *rep);

#endif
