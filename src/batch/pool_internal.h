/* pool_internal.h — internal to the worker pool (pool.c): the parent's view of a
 * running batch, shared with pool_sync.c, which reports images done only once a sync
 * of the output file system that began after their files were renamed has ended. */
#ifndef NUCSEG_BATCH_POOL_INTERNAL_H
#define NUCSEG_BATCH_POOL_INTERNAL_H

#include <sys/types.h>
#include "batch/durable.h"
#include "batch/progress.h"
#include "nucseg/batch.h"
#include "util/idle_cores.h"

typedef struct {
    pid_t pid;
    int to_fd, from_fd;
    long job;          /* job being computed, -1 when ready for one */
    long saving;       /* job whose outputs are being saved, -1 when none */
    double started;    /* when job was handed out */
    double save_started;
} worker;

/* The parent's view of a running batch. */
typedef struct {
    const ns_job_list *jobs;
    const ns_batch_options *opt;
    ns_batch_report *rep;
    ns_progress *pr;
    size_t *ord;     /* jobs in hand-out order; ord[next] goes out next */
    size_t queued;   /* jobs in ord: all but those that would overwrite another's outputs */
    size_t next;
    size_t finished; /* jobs with a final result */
    ns_idle_cores *idle; /* shared with the workers, or NULL */
    int idle_published;  /* idle cores counted into it so far */
    const ns_job_source *src; /* NULL: ord holds every job from the start */
    int exhausted;       /* no more jobs will come into ord */
    size_t received;     /* jobs that came into this pool (all of the list without src) */
    const long *same_as; /* with src: which jobs would overwrite another's outputs */
    /* Images segmented whose files are in place but not yet known to be on disk: they are
     * reported done only after a sync that began after their files were renamed
     * (durable.h). Their results wait in rep->results meanwhile. */
    ns_durable *sync;
    size_t *unsynced, n_unsynced; /* finished since the last sync began */
    size_t *syncing, n_syncing;   /* covered by the sync in flight */
    int sync_running;
    double sync_started;          /* when the last sync began (or the batch) */
} pool;

/* At most this often a sync of the output file system (and the end of the batch): what
 * reports of images done wait for, at most, beyond the sync itself. */
#define SYNC_INTERVAL_S 0.5

/* A final result: recorded in the report and the progress, and told to the job source. */
void ns_pool_finish(pool *p, const ns_job_result *r);

/* A result from a worker: an image segmented waits for the next sync; a failure, or an
 * image skipped by --resume, has nothing to sync and is reported at once. */
void ns_pool_arrived(pool *p, const ns_job_result *r);
/* Start a sync when the last one began SYNC_INTERVAL_S ago, or when nothing else is left. */
void ns_pool_maybe_sync(pool *p, double now);
/* The sync in flight has ended (its descriptor is readable): its images are reported. */
void ns_pool_sync_done(pool *p);
/* Everything finished is on disk and reported: waits for the sync in flight, then syncs
 * what came after it. */
void ns_pool_sync_all(pool *p);

#endif
