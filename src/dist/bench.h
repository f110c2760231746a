/* bench.h — `nucseg bench` under mpirun: the scaling benchmark over ranks. Rank 0 runs the
 * benchmark (src/scaling/) and, for each timed run over ranks, tells every rank how many
 * ranks take part and how many workers each runs; those ranks run the batch exactly as
 * `mpirun nucseg segment` does (ns_dist_run over a communicator of the first r ranks,
 * through the dispatcher), the others wait without spinning a core. */
#ifndef NUCSEG_DIST_BENCH_H
#define NUCSEG_DIST_BENCH_H

#include "dist/dist.h"

/* Every rank, before the benchmark: let this rank's workers use every CPU the launcher gave
 * the job's ranks on this node. mpirun binds each of 2 ranks to one core by default, which
 * would pin a rank's whole pool to that core and make the benchmark measure the binding;
 * like `nucseg segment`, the benchmark counts a node's CPUs once and shares them itself.
 * Collective over all ranks. */
void ns_dist_bench_share_node(ns_dist *d);

/* Rank 0: one timed batch over the first `ranks` ranks with `workers` pool workers each
 * (the run hook of ns_scaling_ranks; ctx is the ns_dist). rep: the whole batch's report. */
ns_status ns_dist_bench_run(void *ctx, const ns_job_list *jobs, const ns_batch_options *opt, int ranks, int workers,
                            ns_batch_report *rep, ns_error *err);
/* Every rank but 0: take part in rank 0's runs, with these batch options (the same as
 * rank 0's: ns_scaling_batch_options), until rank 0 stops; returns rank 0's exit status. */
int ns_dist_bench_follow(ns_dist *d, const ns_batch_options *opt);
/* Rank 0, once, whatever happened: the others return `code`. */
void ns_dist_bench_stop(ns_dist *d, int code);

#endif
