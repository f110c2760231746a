/* dist.h — one plate over many ranks (mpirun, srun): the distributed layer, one more
 * caller of the batch layer. Rank 0 lists the inputs once and deals them out as ranks
 * ask (dispatch.h); every rank runs the ordinary worker pool, fed from that dispatcher
 * (ns_job_source), sized to its share of its node's CPUs; rank 0 shows progress and
 * writes one summary with a section per node. The pool, the outputs and --resume do not
 * know about MPI. */
#ifndef NUCSEG_DIST_DIST_H
#define NUCSEG_DIST_DIST_H

#include "nucseg/batch.h"

/* Whether this process was started by an MPI launcher (mpirun, srun --mpi=pmix): it then
 * calls MPI_Init; otherwise MPI is never touched and nucseg runs as on one machine. */
int ns_dist_launched(void);

typedef struct ns_dist ns_dist;
ns_status ns_dist_init(ns_dist **d, ns_error *err);
int ns_dist_rank(const ns_dist *d);
int ns_dist_size(const ns_dist *d);
/* Rank 0 only, instead of ns_dist_segment when listing the inputs ended the run (usage
 * error, no inputs, nothing in this shard): the other ranks return exit status rc. */
void ns_dist_cancel(ns_dist *d, int rc);
/* The whole distributed batch; every rank calls it, rank 0 with the listed jobs (the
 * others with an empty list: they receive rank 0's). workers_given: -j N was given (then
 * N workers per rank; otherwise each rank's share of its node's CPUs). Returns the exit
 * status for every rank (as `nucseg segment`'s); rank 0 prints what it prints. */
int ns_dist_segment(ns_dist *d, ns_job_list *jobs, ns_batch_options *opt, int workers_given);
void ns_dist_finish(ns_dist *d);

#endif
