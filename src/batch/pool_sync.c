/* pool_sync.c — an image is reported done only once its files are on disk: results wait
 * until a sync of the output file system that began after their files were renamed has
 * ended (batch/durable.h); one sync at a time, at most every SYNC_INTERVAL_S, and one at
 * the end. A sync that fails turns its images into failures whose metadata is removed,
 * so that --resume does them again. */
#include <stdio.h>
#include <unistd.h>
#include "batch/outputs.h"
#include "batch/pool_internal.h"
#include "nucseg/fsutil.h"

/* A result from a worker: an image segmented waits for the next sync; a failure, or an
 * image skipped by --resume, has nothing to sync and is reported at once. */
void ns_pool_arrived(pool *p, const ns_job_result *r)
{
    if (r->status != NS_OK || r->skipped) {
        ns_pool_finish(p, r);
        return;
    }
    p->rep->results[r->job_index] = *r;
    p->unsynced[p->n_unsynced++] = r->job_index;
}

/* Start a sync when the last one began long enough ago, or when nothing else is left. */
void ns_pool_maybe_sync(pool *p, double now)
{
    if (p->sync_running || p->n_unsynced == 0) return;
    int last = p->exhausted && p->finished + p->n_unsynced == p->received;
    if (!last && now - p->sync_started < SYNC_INTERVAL_S) return;
    size_t *t = p->syncing;
    p->syncing = p->unsynced;
    p->n_syncing = p->n_unsynced;
    p->unsynced = t;
    p->n_unsynced = 0;
    p->sync_running = 1;
    p->sync_started = now;
    ns_durable_request(p->sync);
}

/* The sync in flight ended (st, err): its images are done, or, when their files may not
 * be on disk, failed; their metadata goes, so that --resume does them again. */
static void sync_ended(pool *p, size_t *idx, size_t n, ns_status st, const ns_error *err)
{
    for (size_t i = 0; i < n; i++) {
        ns_job_result r = p->rep->results[idx[i]];
        if (st != NS_OK) {
            ns_output_paths_t paths;
            ns_error e;
            if (ns_output_paths(&p->jobs->items[idx[i]], p->opt->out_dir, &paths, &e) == NS_OK)
                (void)unlink(paths.file[NS_OUT_META]);
            r.status = st;
            r.nuclei = 0;
            size_t n = (size_t)snprintf(r.message, sizeof r.message, "%s: outputs not saved: ",
                                        p->jobs->items[idx[i]].path);
            if (n < sizeof r.message) snprintf(r.message + n, sizeof r.message - n, "%.*s",
                                               (int)(sizeof r.message - n - 1), err->message);
        }
        ns_pool_finish(p, &r);
    }
}

/* Everything finished is on disk and reported: wait for the sync in flight, then sync
 * what came after it. */
void ns_pool_sync_all(pool *p)
{
    ns_error err;
    ns_error_clear(&err);
    if (p->sync_running) {
        ns_status st = ns_durable_finished(p->sync, &err);
        sync_ended(p, p->syncing, p->n_syncing, st, &err);
        p->n_syncing = 0;
        p->sync_running = 0;
    }
    if (p->n_unsynced) {
        ns_status st = ns_sync_filesystem(p->opt->out_dir, &err);
        sync_ended(p, p->unsynced, p->n_unsynced, st, &err);
        p->n_unsynced = 0;
    }
}

/* The sync in flight has ended: its images are reported. */
void ns_pool_sync_done(pool *p)
{
    ns_error serr;
    ns_error_clear(&serr);
    ns_status sst = ns_durable_finished(p->sync, &serr);
    sync_ended(p, p->syncing, p->n_syncing, sst, &serr);
    p->n_syncing = 0;
    p->sync_running = 0;
}
