/* pool.c — worker processes fed from one queue, largest image first.
 *
 * Processes rather than threads: a crash, a hang or a leak in one image cannot
 * touch the others or the parent. Each worker reads job indices from a pipe and
 * answers as worker.h describes: a worker may hold two jobs, one it computes and
 * one whose outputs it is saving. A worker that dies (EOF on its pipe) or passes
 * --timeout is reaped; the job that was running is recorded as failed with the
 * reason, the other one it held goes back to the queue (it did nothing wrong),
 * and a fresh worker takes its place.
 *
 * The end of a batch: once the queue is empty, a worker with nothing left is told to
 * exit, and its core is counted as idle in a page shared with the workers
 * (util/idle_cores.h); the workers still on their last images borrow those cores for
 * helper threads (util/par_for.h) instead of leaving them idle until the last one ends.
 *
 * An image is reported done only once its files are on disk (pool_sync.c). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "batch/collisions.h"
#include "batch/durable.h"
#include "batch/outputs.h"
#include "batch/pool_internal.h"
#include "batch/progress.h"
#include "batch/settings_lock.h"
#include "batch/summary.h"
#include "batch/worker.h"
#include "nucseg/batch.h"
#include "nucseg/fsutil.h"
#include "util/idle_cores.h"
#include "util/clock.h"

/* Reap a worker, adding its resource use to the report. */
static int reap(worker *w, ns_batch_report *rep)
{
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(w->pid, &status, 0, &ru) < 0 && errno == EINTR) {}
    rep->cpu_user_s += (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec;
    rep->cpu_sys_s += (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
    if (ru.ru_maxrss > rep->peak_rss_kb) rep->peak_rss_kb = ru.ru_maxrss;
    if (w->to_fd >= 0) close(w->to_fd); /* already closed at shutdown */
    close(w->from_fd);
    w->pid = 0;
    return status;
}

/* The jobs to run (same_as[i] < 0: not writing over another's outputs), largest first;
 * *n says how many. */
static size_t *order_by_cost(const ns_job_list *jobs, const long *same_as, size_t *n)
{
    size_t *ord = malloc((jobs->count ? jobs->count : 1) * sizeof *ord);
    if (!ord) return NULL;
    *n = 0;
    for (size_t i = 0; i < jobs->count; i++)
        if (same_as[i] < 0) ord[(*n)++] = i;
    /* Insertion-free: a stable sort by descending cost keeps path order on ties. */
    for (size_t i = 1; i < *n; i++) {
        size_t v = ord[i], j = i;
        while (j > 0 && jobs->items[ord[j - 1]].cost < jobs->items[v].cost) { ord[j] = ord[j - 1]; j--; }
        ord[j] = v;
    }
    return ord;
}

static void record(ns_batch_report *rep, ns_progress *pr, const ns_job_list *jobs, const ns_job_result *res)
{
    ns_job_result r = *res; /* res may be the slot it is copied to */
    rep->results[r.job_index] = r;
    if (r.status == NS_OK) {
        if (r.skipped) rep->skipped++;
        else rep->ok++;
        rep->total_nuclei += r.nuclei;
    } else {
        rep->failed++;
    }
    if (r.maxrss_kb > rep->peak_rss_kb) rep->peak_rss_kb = r.maxrss_kb;
    ns_progress_step(pr, &jobs->items[r.job_index], &r);
}

static void hand_out(pool *p, worker *w)
{
    if (w->pid <= 0 || w->to_fd < 0 || w->job >= 0 || p->next >= p->queued) return;
    size_t idx = p->ord[p->next++];
    w->job = (long)idx;
    w->started = ns_clock_s();
    (void)ns_write_full(w->to_fd, &idx, sizeof idx); /* a dead worker shows as EOF */
}

/* Start a worker in w, its first job (when any is left) already waiting in its job
 * pipe. Handed out after all the forks, each first job woke a worker, which the
 * scheduler could put on the parent's core, leaving the parent queued behind it
 * before it handed out the next (2.4 ms once in 6 batches of 16 fields). 0, or -1
 * with errno. */
static int spawn(pool *p, worker *w, worker *all, int nworkers)
{
    int to[2], from[2];
    if (pipe(to) != 0) return -1;
    if (pipe(from) != 0) { close(to[0]); close(to[1]); return -1; }
    long first = -1;
    if (p->next < p->queued) {
        size_t idx = p->ord[p->next];
        if (ns_write_full(to[1], &idx, sizeof idx) == 0) { /* a new pipe has room for it */
            first = (long)idx;
            p->next++;
        }
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        if (first >= 0) p->next--; /* back to the queue, where it was */
        close(to[0]); close(to[1]); close(from[0]); close(from[1]);
        errno = e;
        return -1;
    }
    if (pid == 0) {
        /* Keep only this worker's ends: others' pipes must see EOF when the parent closes them. */
        for (int i = 0; i < nworkers; i++) {
            if (all[i].pid > 0) { close(all[i].to_fd); close(all[i].from_fd); }
        }
        close(to[1]);
        close(from[0]);
        /* Nor the parent's ends of the sync process's pipes (durable.c). */
        if (p->sync) {
            close(ns_durable_pipe(p->sync, 0));
            close(ns_durable_pipe(p->sync, 1));
        }
        ns_worker_main(to[0], from[1], p->jobs, p->opt, p->idle);
    }
    close(to[0]);
    close(from[1]);
    w->pid = pid;
    w->to_fd = to[1];
    w->from_fd = from[0];
    w->job = first;
    w->started = ns_clock_s();
    w->saving = -1;
    return 0;
}

void ns_pool_finish(pool *p, const ns_job_result *r)
{
    record(p->rep, p->pr, p->jobs, r);
    p->finished++;
    if (p->src) p->src->done(p->src->ctx, r);
}

/* A job a lost worker held through no fault of its own goes out again, first. Every
 * job held was handed out, so ord has a used slot before next for it. */
static void requeue(pool *p, long job)
{
    if (job >= 0) p->ord[--p->next] = (size_t)job;
}

static void fail(pool *p, long job, double since, ns_status status, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void fail(pool *p, long job, double since, ns_status status, const char *fmt, ...)
{
    ns_job_result r;
    memset(&r, 0, sizeof r);
    r.job_index = (size_t)job;
    r.status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r.message, sizeof r.message, fmt, ap);
    va_end(ap);
    r.ms = (ns_clock_s() - since) * 1e3;
    ns_pool_finish(p, &r);
}

static void count_magnification(ns_batch_report *rep, ns_magnification m)
{
    if (m == NS_MAG_10X) rep->n_10x++;
    else if (m == NS_MAG_40X) rep->n_40x++;
    else rep->n_unknown++;
}

static void fail_collision(pool *p, size_t i, long kept, double since)
{
    fail(p, (long)i, since, NS_ERR_INVALID,
         "%s: its outputs would overwrite those of %s (same magnification, well and file name); "
         "rename one, or segment them in separate runs", p->jobs->items[i].path, p->jobs->items[kept].path);
}

/* A pool fed by a source asks for more before its workers run dry: when fewer jobs wait
 * here than it has workers, enough for each to hold one and have the next ready. A job
 * that would overwrite another's outputs fails as it arrives, as it would have at the
 * start of a batch that had every job. */
static void refill(pool *p, int nw)
{
    size_t waiting = p->queued - p->next;
    if (!p->src || p->exhausted || waiting >= (size_t)nw) return;
    size_t want = 2 * (size_t)nw - waiting, room = p->jobs->count - p->queued;
    size_t got = p->src->take(p->src->ctx, p->ord + p->queued, want < room ? want : room);
    if (got == 0) p->exhausted = 1;
    for (size_t k = 0; k < got; k++) {
        size_t i = p->ord[p->queued];
        p->received++;
        count_magnification(p->rep, p->jobs->items[i].mag);
        if (p->same_as[i] >= 0) {
            fail_collision(p, i, p->same_as[i], ns_clock_s());
            memmove(p->ord + p->queued, p->ord + p->queued + 1, (got - k - 1) * sizeof *p->ord);
        } else {
            p->queued++;
        }
    }
}

/* One answer from w; 0 when it makes no sense for what w holds (treated as lost). */
static int take_message(pool *p, worker *w, const ns_worker_msg *m)
{
    long idx = (long)m->result.job_index;
    if (m->kind == NS_WORKER_SAVING && idx == w->job && w->saving < 0) {
        w->saving = idx;
        w->save_started = ns_clock_s();
        w->job = -1;
        hand_out(p, w); /* the next image first: the worker must not wait on bookkeeping */
        return 1;
    }
    if (m->kind != NS_WORKER_DONE) return 0;
    if (idx >= 0 && idx == w->job) {
        w->job = -1;
        hand_out(p, w);
    } else if (idx >= 0 && idx == w->saving) {
        w->saving = -1;
    } else {
        return 0;
    }
    ns_pool_arrived(p, &m->result);
    return 1;
}

/* Once the queue is empty, a worker with nothing left to compute is told to exit (EOF
 * on its job pipe), even while its last image is still being saved: it gives back its
 * memory while those files sync and while the others finish, not after them (the
 * parent's wait for the last worker's exit went from 1.2-1.4 to 0.2-0.5 ms). Its
 * answer for that image still comes; it is reaped at shutdown. A job that comes back
 * to the queue after (its worker lost) goes to the lost worker's replacement. */
static void release_idle_workers(pool *p, worker *ws, int nw)
{
    if (p->next < p->queued || !p->exhausted) return;
    for (int i = 0; i < nw; i++) {
        worker *w = &ws[i];
        if (w->pid > 0 && w->to_fd >= 0 && w->job < 0) {
            close(w->to_fd);
            w->to_fd = -1;
        }
    }
}

/* Cores with nothing to compute once the queue is empty are idle: the workers still
 * computing may borrow them (util/idle_cores.h). */
static void publish_idle_cores(pool *p, const worker *ws, int nw)
{
    int idle = 0;
    if (p->next >= p->queued && p->exhausted) {
        idle = nw;
        for (int i = 0; i < nw; i++) idle -= ws[i].pid > 0 && ws[i].job >= 0;
    }
    ns_idle_cores_add(p->idle, idle - p->idle_published);
    p->idle_published = idle;
}

/* Why a worker is lost. */
typedef enum { LOST_DIED, LOST_TIMEOUT, LOST_TIMEOUT_SAVING } lost_reason;

/* w died or passed --timeout: the job at fault fails with why, the other one held
 * is handed out again, and w is reaped (killed first when it timed out). */
static void lose_worker(pool *p, worker *w, lost_reason why)
{
    int timed_out = why != LOST_DIED;
    if (timed_out) kill(w->pid, SIGKILL);
    long pid = (long)w->pid;
    int status = reap(w, p->rep);
    int blame_saving = why == LOST_TIMEOUT_SAVING || w->job < 0;
    long blamed = blame_saving ? w->saving : w->job;
    long spared = blame_saving ? w->job : w->saving;
    double since = blame_saving ? w->save_started : w->started;
    const char *path = p->jobs->items[blamed].path;
    const char *during = blame_saving ? " while saving its outputs" : "";
    if (timed_out)
        fail(p, blamed, since, NS_ERR_TIMEOUT, "%s: timed out after %g s%s (worker killed)", path,
             p->opt->timeout_s, during);
    else if (WIFSIGNALED(status))
        fail(p, blamed, since, NS_ERR_CRASH, "%s: worker crashed%s (signal %d, %s)", path, during,
             WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        fail(p, blamed, since, NS_ERR_CRASH, "%s: worker exited unexpectedly%s (status %d)", path, during,
             WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    /* Killed while writing, it may have left temporary files, named after it. */
    ns_output_remove_temporaries(&p->jobs->items[blamed], p->opt->out_dir, pid);
    if (spared >= 0) ns_output_remove_temporaries(&p->jobs->items[spared], p->opt->out_dir, pid);
    requeue(p, spared);
    w->job = w->saving = -1;
}

static int sooner_ms(int timeout_ms, double left_s)
{
    int ms = left_s <= 0 ? 0 : (int)(left_s * 1000.0) + 1;
    return timeout_ms < 0 || ms < timeout_ms ? ms : timeout_ms;
}

/* Interrupted (opt->stop set by a signal handler): the workers are stopped, and what they
 * were doing is left undone (temporary files removed), not failed. */
static void stop_workers(pool *p, worker *ws, int nw)
{
    for (int i = 0; i < nw; i++) {
        worker *w = &ws[i];
        if (w->pid <= 0) continue;
        kill(w->pid, SIGKILL);
        long pid = (long)w->pid;
        reap(w, p->rep);
        if (w->job >= 0) ns_output_remove_temporaries(&p->jobs->items[w->job], p->opt->out_dir, pid);
        if (w->saving >= 0) ns_output_remove_temporaries(&p->jobs->items[w->saving], p->opt->out_dir, pid);
        w->job = w->saving = -1;
    }
}

static int stop_requested(const ns_batch_options *opt)
{
    return opt->stop && *opt->stop;
}

/* The descriptors to wait on: each busy worker's, and the sync's when one runs; the
 * timeout that the nearest deadline (a --timeout, the next sync) allows, -1 for none. */
static int watch(pool *p, worker *ws, int nw, struct pollfd *pfd, double now, int *busy)
{
    const ns_batch_options *opt = p->opt;
    int timeout_ms = -1;
    for (int i = 0; i < nw; i++) {
        worker *w = &ws[i];
        int held = w->pid > 0 && (w->job >= 0 || w->saving >= 0);
        pfd[i].fd = held ? w->from_fd : -1;
        pfd[i].events = POLLIN;
        pfd[i].revents = 0;
        if (!held) continue;
        (*busy)++;
        if (opt->timeout_s > 0 && w->job >= 0) timeout_ms = sooner_ms(timeout_ms, w->started + opt->timeout_s - now);
        if (opt->timeout_s > 0 && w->saving >= 0)
            timeout_ms = sooner_ms(timeout_ms, w->save_started + opt->timeout_s - now);
    }
    pfd[nw].fd = p->sync_running ? ns_durable_fd(p->sync) : -1;
    pfd[nw].events = POLLIN;
    pfd[nw].revents = 0;
    if (p->n_unsynced && !p->sync_running)
        timeout_ms = sooner_ms(timeout_ms, p->sync_started + SYNC_INTERVAL_S - now);
    return timeout_ms;
}

/* What poll saw of each worker: a message, its end, or a --timeout passed; a lost worker
 * is replaced while work remains. An error only when no new worker can start. */
static ns_status serve_workers(pool *p, worker *ws, int nw, const struct pollfd *pfd, ns_error *err)
{
    const ns_batch_options *opt = p->opt;
    double now = ns_clock_s();
    for (int i = 0; i < nw; i++) {
        worker *w = &ws[i];
        if (pfd[i].fd < 0) continue;
        if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
            ns_worker_msg m;
            if (ns_read_full(w->from_fd, &m, sizeof m) == (ssize_t)sizeof m && take_message(p, w, &m)) continue;
            lose_worker(p, w, LOST_DIED); /* EOF or nonsense */
        } else if (opt->timeout_s > 0 && w->saving >= 0 && now - w->save_started >= opt->timeout_s) {
            /* Checked first: a save that hangs also stalls the image computed after
             * it (the worker waits for the save before handing over the next), and
             * that image was handed out after the save began. */
            lose_worker(p, w, LOST_TIMEOUT_SAVING);
        } else if (opt->timeout_s > 0 && w->job >= 0 && now - w->started >= opt->timeout_s) {
            lose_worker(p, w, LOST_TIMEOUT);
        } else {
            continue;
        }
        if ((p->next < p->queued || !p->exhausted) && spawn(p, w, ws, nw) != 0)
            return ns_error_set(err, NS_ERR_INTERNAL, "cannot restart worker process: %s", strerror(errno));
    }
    return NS_OK;
}

/* The folders made up front for images that failed hold nothing of theirs: those left
 * empty go (one with other images' outputs stays: rmdir fails). Not when other runs
 * (ranks, shards) write into OUT too: one may be about to write into such a folder. */
static void remove_empty_folders(const ns_job_list *jobs, const ns_batch_options *opt, const ns_batch_report *rep)
{
    if (opt->source || opt->run_tag) return;
    for (size_t i = 0; i < jobs->count; i++) {
        ns_output_paths_t paths;
        ns_error e;
        if (rep->results[i].status != NS_OK && ns_output_paths(&jobs->items[i], opt->out_dir, &paths, &e) == NS_OK)
            (void)rmdir(paths.dir);
    }
}

ns_status ns_batch_run(const ns_job_list *jobs, const ns_batch_options *opt, ns_batch_report *rep,
                       ns_error *err)
{
    memset(rep, 0, sizeof *rep);
    if (jobs->count == 0) return ns_error_set(err, NS_ERR_EMPTY, "no images to segment");
    if (opt->workers < 1) return ns_error_set(err, NS_ERR_INVALID, "workers must be >= 1 (got %d)", opt->workers);
    /* Every output folder made, and OUT known writable, before any image is read; the
     * temporary files of processes that are gone removed. Then OUT's settings: a run with
     * others refuses before it writes a file. A pool fed by a source has both done by
     * the source's owner, once, before any job is handed out (dist/: rank 0), rather than
     * by every rank over the whole plate's folders. */
    ns_status st = NS_OK;
    if (!opt->source) st = ns_outputs_prepare(jobs, opt->out_dir, err);
    if (st == NS_OK && !opt->source) st = ns_claim_out_dir(opt, err);
    if (st != NS_OK) return st;
    rep->results = calloc(jobs->count, sizeof *rep->results);
    long *same_as = malloc(jobs->count * sizeof *same_as);
    long ncollide = same_as ? ns_jobs_output_collisions(jobs, same_as) : -1;
    size_t queued = 0;
    size_t *ord = ncollide < 0 ? NULL
                  : opt->source ? malloc(jobs->count * sizeof *ord) /* filled as jobs come */
                  : order_by_cost(jobs, same_as, &queued);
    /* Every group of colliding jobs keeps one, so at least one job runs. */
    size_t most = opt->source ? jobs->count : queued;
    int nw = (size_t)opt->workers < most ? opt->workers : (int)most;
    worker *ws = calloc((size_t)(nw > 0 ? nw : 1), sizeof *ws);
    struct pollfd *pfd = calloc((size_t)nw + 1, sizeof *pfd);
    size_t *unsynced = malloc(jobs->count * sizeof *unsynced);
    size_t *syncing = malloc(jobs->count * sizeof *syncing);
    if (!rep->results || !ord || !ws || !pfd || !unsynced || !syncing) {
        free(same_as); free(ord); free(ws); free(pfd); free(unsynced); free(syncing);
        free(rep->results); rep->results = NULL;
        return ns_error_set(err, NS_ERR_NOMEM, "batch: out of memory for %zu jobs", jobs->count);
    }
    ns_durable *sync = ns_durable_start(opt->out_dir, err);
    if (!sync) {
        free(same_as); free(ord); free(ws); free(pfd); free(unsynced); free(syncing);
        free(rep->results); rep->results = NULL;
        return err ? err->code : NS_ERR_INTERNAL;
    }
    rep->workers = nw;
    if (!opt->source)
        for (size_t i = 0; i < jobs->count; i++) count_magnification(rep, jobs->items[i].mag);
    /* A worker that dies must not kill the parent with SIGPIPE on its next write. */
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
    ns_progress pr;
    ns_progress_start(&pr, opt->progress, jobs->count, opt->out_dir, opt->write_summary, opt->run_tag);
    double t0 = ns_clock_s();
    pool pl = {.jobs = jobs, .opt = opt, .rep = rep, .pr = &pr, .ord = ord, .queued = queued,
               .src = opt->source, .exhausted = !opt->source, .received = opt->source ? 0 : jobs->count,
               .same_as = same_as, .sync = sync, .unsynced = unsynced, .syncing = syncing, .sync_started = t0};
    if (!opt->source)
        for (size_t i = 0; i < jobs->count; i++)
            if (same_as[i] >= 0) fail_collision(&pl, i, same_as[i], t0);
    refill(&pl, nw);
    /* One worker never has another's core to borrow. */
    pl.idle = nw > 1 ? ns_idle_cores_create() : NULL;

    for (int i = 0; i < nw && !stop_requested(opt); i++) {
        if (spawn(&pl, &ws[i], ws, nw) != 0) {
            st = ns_error_set(err, NS_ERR_INTERNAL, "cannot start worker process: %s", strerror(errno));
            goto shutdown;
        }
    }
    while ((!pl.exhausted || pl.finished < pl.received) && !stop_requested(opt)) {
        refill(&pl, nw);
        for (int i = 0; i < nw; i++) hand_out(&pl, &ws[i]);
        release_idle_workers(&pl, ws, nw);
        publish_idle_cores(&pl, ws, nw);
        double now = ns_clock_s();
        ns_pool_maybe_sync(&pl, now);
        int busy = 0, timeout_ms = watch(&pl, ws, nw, pfd, now, &busy);
        if (busy == 0 && !pl.sync_running && !pl.n_unsynced) {
            if (pl.exhausted) break; /* nothing in flight, nothing to hand out */
            continue;                /* all it got failed at once: ask for more */
        }
        int k = poll(pfd, (nfds_t)nw + 1, timeout_ms);
        if (k < 0 && errno != EINTR) {
            st = ns_error_set(err, NS_ERR_INTERNAL, "poll: %s", strerror(errno));
            goto shutdown;
        }
        if (k < 0) continue; /* a signal: the loop's test says whether to stop */
        if (pfd[nw].revents & (POLLIN | POLLHUP | POLLERR)) ns_pool_sync_done(&pl);
        if ((st = serve_workers(&pl, ws, nw, pfd, err)) != NS_OK) goto shutdown;
    }
shutdown:
    if (stop_requested(opt)) {
        rep->interrupted = 1;
        stop_workers(&pl, ws, nw);
    }
    for (int i = 0; i < nw; i++) {
        if (ws[i].pid <= 0) continue;
        if (st != NS_OK) kill(ws[i].pid, SIGKILL);
        if (ws[i].to_fd >= 0) close(ws[i].to_fd); /* EOF: the worker exits */
        ws[i].to_fd = -1;
    }
    for (int i = 0; i < nw; i++)
        if (ws[i].pid > 0) reap(&ws[i], rep);
    /* What finished is on disk before it is reported, whatever ended the batch. */
    ns_pool_sync_all(&pl);
    ns_durable_stop(sync);
    signal(SIGPIPE, old_pipe);
    ns_idle_cores_destroy(pl.idle);
    rep->total = pl.received;
    free(same_as);
    rep->wall_s = ns_clock_s() - t0;
    /* Throughput is images segmented: a failure that came quickly, or an image skipped by
     * --resume, is not work done. */
    rep->images_per_s = rep->wall_s > 0 ? (double)rep->ok / rep->wall_s : 0;
    rep->not_processed = rep->total - rep->ok - rep->skipped - rep->failed;
    ns_progress_finish(&pr);
    remove_empty_folders(jobs, opt, rep);
    free(ord); free(ws); free(pfd); free(pl.unsynced); free(pl.syncing);
    if (st == NS_OK && opt->write_summary) st = ns_write_batch_summary(jobs, opt, rep, err);
    return st;
}

void ns_batch_report_free(ns_batch_report *r)
{
    if (!r) return;
    free(r->results);
    r->results = NULL;
}
