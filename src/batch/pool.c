/* pool.c — worker processes fed from one queue, largest image first.
 *
 * Processes rather than threads: a crash, a hang or a leak in one image cannot
 * touch the others or the parent. Each worker reads job indices from a pipe and
 * answers with a fixed-size ns_job_result (smaller than PIPE_BUF, so each answer
 * arrives whole). A worker that dies (EOF on its pipe) or passes --timeout is
 * reaped, its image recorded as failed with the reason, and a fresh worker takes
 * its place. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "batch/progress.h"
#include "batch/summary.h"
#include "nucseg/batch.h"
#include "nucseg/fsutil.h"

typedef struct {
    pid_t pid;
    int to_fd, from_fd;
    long job;          /* job index in flight, -1 when idle */
    double started;
} worker;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int write_full(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static ssize_t read_full(int fd, void *buf, size_t n)
{
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, p + got, n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

static void worker_main(int in_fd, int out_fd, const ns_job_list *jobs, const ns_batch_options *opt)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the parent */
    signal(SIGPIPE, SIG_DFL);
    size_t idx;
    while (read_full(in_fd, &idx, sizeof idx) == (ssize_t)sizeof idx) {
        ns_job_result res;
        memset(&res, 0, sizeof res);
        res.job_index = idx;
        ns_error err;
        ns_error_clear(&err);
        ns_process_image(&jobs->items[idx], opt, &res, &err);
        if (write_full(out_fd, &res, sizeof res) != 0) break;
    }
    _exit(0);
}

static int spawn(worker *w, worker *all, int nworkers, const ns_job_list *jobs, const ns_batch_options *opt)
{
    int to[2], from[2];
    if (pipe(to) != 0) return -1;
    if (pipe(from) != 0) { close(to[0]); close(to[1]); return -1; }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(to[0]); close(to[1]); close(from[0]); close(from[1]);
        return -1;
    }
    if (pid == 0) {
        /* Keep only this worker's ends: others' pipes must see EOF when the parent closes them. */
        for (int i = 0; i < nworkers; i++) {
            if (all[i].pid > 0) { close(all[i].to_fd); close(all[i].from_fd); }
        }
        close(to[1]);
        close(from[0]);
        worker_main(to[0], from[1], jobs, opt);
    }
    close(to[0]);
    close(from[1]);
    w->pid = pid;
    w->to_fd = to[1];
    w->from_fd = from[0];
    w->job = -1;
    return 0;
}

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
    close(w->to_fd);
    close(w->from_fd);
    w->pid = 0;
    return status;
}

static size_t *order_by_cost(const ns_job_list *jobs)
{
    size_t *ord = malloc((jobs->count ? jobs->count : 1) * sizeof *ord);
    if (!ord) return NULL;
    for (size_t i = 0; i < jobs->count; i++) ord[i] = i;
    /* Insertion-free: a stable sort by descending cost keeps path order on ties. */
    for (size_t i = 1; i < jobs->count; i++) {
        size_t v = ord[i], j = i;
        while (j > 0 && jobs->items[ord[j - 1]].cost < jobs->items[v].cost) { ord[j] = ord[j - 1]; j--; }
        ord[j] = v;
    }
    return ord;
}

static void record(ns_batch_report *rep, ns_progress *pr, const ns_job_list *jobs, const ns_job_result *r)
{
    rep->results[r->job_index] = *r;
    if (r->status == NS_OK) {
        if (r->skipped) rep->skipped++;
        else rep->ok++;
        rep->total_nuclei += r->nuclei;
    } else {
        rep->failed++;
    }
    if (r->maxrss_kb > rep->peak_rss_kb) rep->peak_rss_kb = r->maxrss_kb;
    ns_progress_step(pr, &jobs->items[r->job_index], r);
}

ns_status ns_batch_run(const ns_job_list *jobs, const ns_batch_options *opt, ns_batch_report *rep,
                       ns_error *err)
{
    memset(rep, 0, sizeof *rep);
    if (jobs->count == 0) return ns_error_set(err, NS_ERR_EMPTY, "no images to segment");
    if (opt->workers < 1) return ns_error_set(err, NS_ERR_INVALID, "workers must be >= 1 (got %d)", opt->workers);
    ns_status st = ns_mkdirs(opt->out_dir, err);
    if (st != NS_OK) return st;
    rep->results = calloc(jobs->count, sizeof *rep->results);
    size_t *ord = order_by_cost(jobs);
    int nw = opt->workers < (int)jobs->count ? opt->workers : (int)jobs->count;
    worker *ws = calloc((size_t)nw, sizeof *ws);
    struct pollfd *pfd = calloc((size_t)nw, sizeof *pfd);
    if (!rep->results || !ord || !ws || !pfd) {
        free(ord); free(ws); free(pfd); free(rep->results); rep->results = NULL;
        return ns_error_set(err, NS_ERR_NOMEM, "batch: out of memory for %zu jobs", jobs->count);
    }
    rep->total = jobs->count;
    rep->workers = nw;
    for (size_t i = 0; i < jobs->count; i++) {
        ns_magnification m = jobs->items[i].mag;
        if (m == NS_MAG_10X) rep->n_10x++;
        else if (m == NS_MAG_40X) rep->n_40x++;
        else rep->n_unknown++;
    }
    /* A worker that dies must not kill the parent with SIGPIPE on its next write. */
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
    ns_progress pr;
    ns_progress_start(&pr, opt->progress, jobs->count, opt->out_dir, opt->write_summary);
    double t0 = now_s();
    size_t next = 0, finished = 0;

    for (int i = 0; i < nw; i++) {
        if (spawn(&ws[i], ws, nw, jobs, opt) != 0) {
            st = ns_error_set(err, NS_ERR_INTERNAL, "cannot start worker process: %s", strerror(errno));
            goto shutdown;
        }
    }
    while (finished < jobs->count) {
        /* Hand out work to idle workers. */
        for (int i = 0; i < nw && next < jobs->count; i++) {
            if (ws[i].pid <= 0 || ws[i].job >= 0) continue;
            size_t idx = ord[next++];
            ws[i].job = (long)idx;
            ws[i].started = now_s();
            if (write_full(ws[i].to_fd, &idx, sizeof idx) != 0) {
                /* Dead before it got the job: handled as a crash below via EOF. */
            }
        }
        int timeout_ms = -1;
        double now = now_s();
        int busy = 0;
        for (int i = 0; i < nw; i++) {
            pfd[i].fd = ws[i].job >= 0 ? ws[i].from_fd : -1;
            pfd[i].events = POLLIN;
            pfd[i].revents = 0;
            if (ws[i].job < 0) continue;
            busy++;
            if (opt->timeout_s > 0) {
                double left = ws[i].started + opt->timeout_s - now;
                int ms = left <= 0 ? 0 : (int)(left * 1000.0) + 1;
                if (timeout_ms < 0 || ms < timeout_ms) timeout_ms = ms;
            }
        }
        if (busy == 0) break; /* nothing in flight and nothing to hand out */
        int k = poll(pfd, (nfds_t)nw, timeout_ms);
        if (k < 0 && errno != EINTR) {
            st = ns_error_set(err, NS_ERR_INTERNAL, "poll: %s", strerror(errno));
            goto shutdown;
        }
        now = now_s();
        for (int i = 0; i < nw; i++) {
            if (ws[i].job < 0) continue;
            size_t idx = (size_t)ws[i].job;
            ns_job_result r;
            memset(&r, 0, sizeof r);
            r.job_index = idx;
            int died = 0;
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                if (read_full(ws[i].from_fd, &r, sizeof r) == (ssize_t)sizeof r && r.job_index == idx) {
                    ws[i].job = -1;
                    /* Next image first, bookkeeping after: the worker must not wait on
                     * the parent's progress output. */
                    if (next < jobs->count) {
                        size_t nidx = ord[next++];
                        ws[i].job = (long)nidx;
                        ws[i].started = now_s();
                        (void)write_full(ws[i].to_fd, &nidx, sizeof nidx); /* failure shows as EOF */
                    }
                    record(rep, &pr, jobs, &r);
                    finished++;
                    continue;
                }
                died = 1;
            } else if (opt->timeout_s > 0 && now - ws[i].started >= opt->timeout_s) {
                kill(ws[i].pid, SIGKILL);
                r.status = NS_ERR_TIMEOUT;
                snprintf(r.message, sizeof r.message, "%s: timed out after %g s (worker killed)",
                         jobs->items[idx].path, opt->timeout_s);
                reap(&ws[i], rep);
            } else {
                continue;
            }
            if (died) {
                int status = reap(&ws[i], rep);
                r.status = NS_ERR_CRASH;
                if (WIFSIGNALED(status))
                    snprintf(r.message, sizeof r.message, "%s: worker crashed (signal %d, %s)",
                             jobs->items[idx].path, WTERMSIG(status), strsignal(WTERMSIG(status)));
                else
                    snprintf(r.message, sizeof r.message, "%s: worker exited unexpectedly (status %d)",
                             jobs->items[idx].path, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
            }
            r.ms = (now - ws[i].started) * 1e3;
            ws[i].job = -1;
            record(rep, &pr, jobs, &r);
            finished++;
            /* Replace the lost worker while work remains. */
            if (next < jobs->count && spawn(&ws[i], ws, nw, jobs, opt) != 0) {
                st = ns_error_set(err, NS_ERR_INTERNAL, "cannot restart worker process: %s", strerror(errno));
                goto shutdown;
            }
        }
    }
shutdown:
    for (int i = 0; i < nw; i++) {
        if (ws[i].pid <= 0) continue;
        if (st != NS_OK) kill(ws[i].pid, SIGKILL);
        close(ws[i].to_fd); /* EOF: the worker exits */
        ws[i].to_fd = -1;
    }
    for (int i = 0; i < nw; i++) {
        if (ws[i].pid <= 0) continue;
        int status = 0;
        struct rusage ru;
        memset(&ru, 0, sizeof ru);
        while (wait4(ws[i].pid, &status, 0, &ru) < 0 && errno == EINTR) {}
        rep->cpu_user_s += (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec;
        rep->cpu_sys_s += (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
        if (ru.ru_maxrss > rep->peak_rss_kb) rep->peak_rss_kb = ru.ru_maxrss;
        close(ws[i].from_fd);
    }
    signal(SIGPIPE, old_pipe);
    rep->wall_s = now_s() - t0;
    rep->images_per_s = rep->wall_s > 0 ? (double)(rep->ok + rep->failed) / rep->wall_s : 0;
    ns_progress_finish(&pr);
    free(ord); free(ws); free(pfd);
    if (st == NS_OK && opt->write_summary) st = ns_write_batch_summary(jobs, opt, rep, err);
    return st;
}

void ns_batch_report_free(ns_batch_report *r)
{
    if (!r) return;
    free(r->results);
    r->results = NULL;
}
