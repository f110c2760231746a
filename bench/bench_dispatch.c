/* bench_dispatch.c — can rank 0 keep a thousand nodes fed? Under mpirun, rank 0 hands out
 * empty jobs through the same dispatcher `nucseg segment` uses (src/dist/dispatch.c) and
 * the other ranks ask for them as fast as they can, each job coming back as a result
 * with the next request, as in a real run. Measures jobs handed out per second by rank 0
 * for several batch sizes (jobs a rank asks for at once; a real rank asks for about twice
 * its workers). Target: >= 50,000 jobs/s (1,000 nodes x 64 cores at ~20 ms an image need
 * ~3,000/s).
 *
 *   mpirun -n 4 bench_dispatch [--jobs N] [--batches 1,8,64] [--out DIR]
 * writes DIR/dispatch.csv: ranks,batch,jobs,seconds,jobs_per_s,requests. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench_common.h"
#include "dist/dispatch.h"
#include "nucseg/fsutil.h"

typedef struct {
    size_t results, finals;
} counter;

static void count_result(void *ctx, int rank, const ns_job_result *r)
{
    (void)rank; (void)r;
    ((counter *)ctx)->results++;
}

static void count_final(void *ctx, int rank, const void *stats, size_t len)
{
    (void)rank; (void)stats; (void)len;
    ((counter *)ctx)->finals++;
}

int main(int argc, char **argv)
{
    long jobs = 1000000;
    int batches[16] = {1, 8, 64}, nb = 3;
    const char *out = "results/bench/dispatch";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--jobs") && i + 1 < argc) {
            if (!(jobs = bench_parse_positive(argv[++i]))) { fprintf(stderr, "bench_dispatch: bad --jobs\n"); return 2; }
        } else if (!strcmp(argv[i], "--batches") && i + 1 < argc) {
            nb = 0;
            for (char *p = strtok(argv[++i], ","); p && nb < 16; p = strtok(NULL, ",")) {
                if (!(batches[nb++] = (int)bench_parse_positive(p))) { fprintf(stderr, "bench_dispatch: bad --batches\n"); return 2; }
            }
        } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            out = argv[++i];
        } else {
            fprintf(stderr, "usage: mpirun -n RANKS bench_dispatch [--jobs N] [--batches 1,8,64] [--out DIR]\n");
            return 2;
        }
    }
    int provided, rank, size;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size < 2) {
        if (rank == 0) fprintf(stderr, "bench_dispatch: run it under mpirun with 2 or more ranks\n");
        MPI_Finalize();
        return 2;
    }
    FILE *csv = NULL;
    if (rank == 0) {
        ns_error err;
        if (ns_mkdirs(out, &err) != NS_OK) { fprintf(stderr, "bench_dispatch: %s\n", err.message); MPI_Abort(MPI_COMM_WORLD, 3); }
        char path[4096];
        snprintf(path, sizeof path, "%s/dispatch.csv", out);
        if (!(csv = fopen(path, "w"))) { fprintf(stderr, "bench_dispatch: %s: cannot write\n", path); MPI_Abort(MPI_COMM_WORLD, 3); }
        fprintf(csv, "ranks,batch,jobs,seconds,jobs_per_s,requests\n");
        bench_print_load("at start");
        printf("%d ranks: rank 0 deals, %d ask; %ld empty jobs per run\n", size, size - 1, jobs);
        printf("%8s %10s %10s %14s %10s\n", "batch", "jobs", "seconds", "jobs/s", "requests");
    }
    int rc = 0;
    for (int b = 0; b < nb; b++) {
        int batch = batches[b];
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = ns_clock_ms();
        if (rank == 0) {
            size_t *order = malloc((size_t)jobs * sizeof *order);
            if (!order) MPI_Abort(MPI_COMM_WORLD, 3);
            for (long i = 0; i < jobs; i++) order[i] = (size_t)i;
            counter c = {0, 0};
            ns_dispatch_sink sink = {count_result, count_final, &c};
            /* One "worker" per asking rank: batches shrink only at the very end. */
            ns_dispatcher *d = ns_dispatcher_create(MPI_COMM_WORLD, order, (size_t)jobs, size - 1, sink);
            free(order);
            ns_error err;
            if (!d || ns_dispatcher_serve(d, &err) != NS_OK) MPI_Abort(MPI_COMM_WORLD, 3);
            double s = (ns_clock_ms() - t0) * 1e-3;
            size_t requests = ns_dispatcher_requests(d);
            if (c.results != (size_t)jobs || ns_dispatcher_handed_out(d) != (size_t)jobs) {
                fprintf(stderr, "bench_dispatch: %zu results for %ld jobs\n", c.results, jobs);
                rc = 1;
            }
            printf("%8d %10ld %10.3f %14.0f %10zu\n", batch, jobs, s, (double)jobs / s, requests);
            fprintf(csv, "%d,%d,%ld,%.6f,%.1f,%zu\n", size, batch, jobs, s, (double)jobs / s, requests);
            ns_dispatcher_free(d);
        } else {
            ns_dispatch_client *c = ns_dispatch_client_create(MPI_COMM_WORLD);
            size_t *got = malloc((size_t)batch * sizeof *got);
            if (!c || !got) MPI_Abort(MPI_COMM_WORLD, 3);
            size_t k;
            while ((k = ns_dispatch_client_take(c, got, (size_t)batch)) > 0) {
                for (size_t i = 0; i < k; i++) {
                    ns_job_result r;
                    memset(&r, 0, sizeof r);
                    r.job_index = got[i];
                    ns_dispatch_client_done(c, &r);
                }
            }
            ns_dispatch_client_final(c, NULL, 0);
            ns_dispatch_client_free(c);
            free(got);
        }
    }
    if (rank == 0) {
        bench_print_load("at end");
        fclose(csv);
        printf("wrote %s/dispatch.csv\n", out);
    }
    MPI_Finalize();
    return rc;
}
