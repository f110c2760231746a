/* bench.c — see bench.h. */
#include "dist/bench.h"

#include <sched.h>
#include <string.h>
#include "dist/dispatch.h"
#include "dist/dist_internal.h"
#include "util/exit_codes.h"

/* Rank 0's word to every rank: {ranks taking part, workers each}, or {0, exit status}. A
 * gentle broadcast: the ranks left out of a run wait here while it runs, and a blocking
 * one would spin a core the run needs. */
static void bcast_command(ns_dist *d, int cmd[2])
{
    MPI_Request req;
    MPI_Ibcast(cmd, 2, MPI_INT, 0, d->comm, &req);
    ns_mpi_wait_gently(&req, MPI_STATUS_IGNORE);
}

void ns_dist_bench_share_node(ns_dist *d)
{
    MPI_Comm node;
    MPI_Comm_split_type(d->comm, MPI_COMM_TYPE_SHARED, d->rank, MPI_INFO_NULL, &node);
    cpu_set_t mine, all;
    CPU_ZERO(&mine);
    CPU_ZERO(&all);
    if (sched_getaffinity(0, sizeof mine, &mine) != 0) CPU_ZERO(&mine); /* the others' CPUs then */
    MPI_Allreduce(&mine, &all, (int)sizeof mine, MPI_BYTE, MPI_BOR, node);
    MPI_Comm_free(&node);
    /* best effort: if refused, this rank's workers share its own CPUs, as before */
    if (CPU_COUNT(&all) > CPU_COUNT(&mine)) (void)sched_setaffinity(0, sizeof all, &all);
}

/* Every rank: the first `ranks` ranks run the batch as `mpirun -n ranks nucseg segment
 * -j workers` would; the split is collective, so the others take part in it and leave. */
static int run_round(ns_dist *d, int ranks, int workers, ns_job_list *jobs, ns_batch_options *opt,
                     ns_batch_report *rep)
{
    MPI_Comm sub;
    MPI_Comm_split(d->comm, d->rank < ranks ? 0 : MPI_UNDEFINED, d->rank, &sub);
    if (sub == MPI_COMM_NULL) return NS_EXIT_OK;
    ns_dist part = {.comm = sub, .quiet = 1};
    MPI_Comm_rank(sub, &part.rank);
    MPI_Comm_size(sub, &part.size);
    opt->workers = workers;
    int code = ns_dist_run(&part, jobs, opt, 1, rep);
    MPI_Comm_free(&sub);
    return code;
}

ns_status ns_dist_bench_run(void *ctx, const ns_job_list *jobs, const ns_batch_options *opt, int ranks, int workers,
                            ns_batch_report *rep, ns_error *err)
{
    ns_dist *d = ctx;
    memset(rep, 0, sizeof *rep);
    if (ranks < 1 || ranks > d->size || workers < 1)
        return ns_error_set(err, NS_ERR_INVALID, "benchmark: %d ranks x %d workers with %d ranks running", ranks,
                            workers, d->size);
    int cmd[2] = {ranks, workers};
    bcast_command(d, cmd);
    ns_batch_options local = *opt;
    /* rank 0's list is only read (ns_dist_run adds to the others' lists) */
    int code = run_round(d, ranks, workers, (ns_job_list *)jobs, &local, rep);
    if (code != NS_EXIT_OK && code != NS_EXIT_SOME_FAILED) {
        ns_batch_report_free(rep);
        return ns_error_set(err, NS_ERR_INTERNAL, "the run over %d ranks failed (exit status %d; see above)", ranks,
                            code);
    }
    return NS_OK;
}

int ns_dist_bench_follow(ns_dist *d, const ns_batch_options *opt)
{
    for (;;) {
        int cmd[2] = {0, 0};
        bcast_command(d, cmd);
        if (cmd[0] == 0) return cmd[1];
        ns_job_list jobs;
        memset(&jobs, 0, sizeof jobs);
        ns_batch_options local = *opt;
        run_round(d, cmd[0], cmd[1], &jobs, &local, NULL);
        ns_jobs_free(&jobs);
    }
}

void ns_dist_bench_stop(ns_dist *d, int code)
{
    int cmd[2] = {0, code};
    bcast_command(d, cmd);
}
