/* launch.c — see dist.h: knowing an MPI launch, and starting and ending MPI. */
#include <mpi.h>
#include <stdlib.h>
#include "dist/dist_internal.h"
#include "util/exit_codes.h"

int ns_dist_launched(void)
{
    /* OpenMPI's mpirun, PMIx launchers (srun --mpi=pmix, prterun), PMI-1/2 (MPICH, srun). */
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

ns_status ns_dist_init(ns_dist **out, ns_error *err)
{
    *out = NULL;
    /* Ranks fork their pool's workers; those never call MPI. OpenMPI warns about fork()
     * only for the InfiniBand verbs transport (registered memory), and only in use: the
     * dispatch is a few small messages a second, for which shared memory and TCP are as
     * good, so unless the user chose transports these are the ones. */
    setenv("OMPI_MCA_btl", "self,vader,tcp", 0);
    int provided = 0;
    /* Rank 0 serves requests from a thread while its pool runs; it alone calls MPI then. */
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
        return ns_error_set(err, NS_ERR_INTERNAL, "MPI_Init_thread failed");
    ns_dist *d = calloc(1, sizeof *d);
    if (!d) {
        MPI_Abort(MPI_COMM_WORLD, NS_EXIT_FATAL);
        return ns_error_set(err, NS_ERR_NOMEM, "out of memory");
    }
    if (provided < MPI_THREAD_SERIALIZED) {
        free(d);
        MPI_Finalize();
        return ns_error_set(err, NS_ERR_UNSUPPORTED, "this MPI library has no thread support (MPI_THREAD_SERIALIZED)");
    }
    d->comm = MPI_COMM_WORLD;
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    *out = d;
    return NS_OK;
}

int ns_dist_rank(const ns_dist *d)
{
    return d->rank;
}

int ns_dist_size(const ns_dist *d)
{
    return d->size;
}

void ns_dist_cancel(ns_dist *d, int rc)
{
    /* The others wait in the first broadcast of ns_dist_segment: -1 means "exit 0". */
    int code = rc == 0 ? -1 : rc;
    MPI_Bcast(&code, 1, MPI_INT, 0, d->comm);
}

void ns_dist_finish(ns_dist *d)
{
    if (!d) return;
    MPI_Finalize();
    free(d);
}
