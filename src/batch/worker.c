/* worker.c — a pool worker process: compute image after image, and let a second
 * thread give each image's outputs their final names while the next one is computed.
 *
 * The worker asks for its next job as soon as an image's files are written under
 * temporary names; the saver thread renames them (the metadata last) and answers DONE.
 * No fsync here: the parent syncs the output file system once for many images before it
 * reports them done (durable.h). At most one save is in hand; the next image waits for
 * it before handing over its own, so a slow disk slows the batch down instead of piling
 * up work. */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include "batch/process_image.h"
#include "batch/worker.h"
#include "nucseg/fsutil.h"
#include "util/clock.h"

_Static_assert(sizeof(ns_worker_msg) <= PIPE_BUF, "a worker message must fit one atomic pipe write");

int ns_write_full(int fd, const void *buf, size_t n)
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

ssize_t ns_read_full(int fd, void *buf, size_t n)
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

static void set_message(ns_job_result *r, const char *msg)
{
    size_t len = strnlen(msg, sizeof r->message - 1);
    memcpy(r->message, msg, len);
    r->message[len] = 0;
}

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int busy;             /* a save is in hand (queued or running) */
    int quit;             /* no more saves will come */
    ns_commit_list *list; /* the files of the save in hand */
    const ns_job *job;    /* whose they are */
    ns_worker_msg done;   /* its DONE answer, sent once the files are final */
    int out_fd;
} saver;

static void *saver_main(void *arg)
{
    saver *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->busy && !s->quit) pthread_cond_wait(&s->cv, &s->mu);
        if (!s->busy) break;
        pthread_mutex_unlock(&s->mu);
        double t0 = ns_clock_ms();
        ns_error err;
        ns_error_clear(&err);
        ns_job_result *r = &s->done.result;
        if (ns_fault_injected("hang-save", s->job))
            for (;;) pause();
        if (ns_commit_list_rename(s->list, &err) != NS_OK) {
            r->status = err.code != NS_OK ? err.code : NS_ERR_IO;
            r->nuclei = 0;
            set_message(r, err.message);
        }
        r->ms += ns_clock_ms() - t0;
        /* A parent that is gone shows as EOF on the job pipe; nothing to do here. */
        (void)ns_write_full(s->out_fd, &s->done, sizeof s->done);
        pthread_mutex_lock(&s->mu);
        s->busy = 0;
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static void saver_wait_idle(saver *s)
{
    pthread_mutex_lock(&s->mu);
    while (s->busy) pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

_Noreturn void ns_worker_main(int in_fd, int out_fd, const ns_job_list *jobs, const ns_batch_options *opt,
                              ns_idle_cores *idle)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the parent */
    signal(SIGPIPE, SIG_DFL);
    /* Ctrl-C reaches the whole process group: the parent decides what stops, and kills us. */
    signal(SIGINT, SIG_IGN);
    /* Two lists: one being saved, one being filled by the next image. Static: 64 KiB
     * each, too much for a stack, and a worker is one per process. */
    static ns_commit_list lists[2];
    static saver sv = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    sv.out_fd = out_fd;
    pthread_t tid;
    /* Without the thread (cannot start one), every image is saved before its answer. */
    int threaded = pthread_create(&tid, NULL, saver_main, &sv) == 0;
    int cur = 0;
    size_t idx;
    while (ns_read_full(in_fd, &idx, sizeof idx) == (ssize_t)sizeof idx) {
        ns_worker_msg m;
        memset(&m, 0, sizeof m);
        m.kind = NS_WORKER_DONE;
        m.result.job_index = idx;
        ns_error err;
        ns_error_clear(&err);
        ns_commit_list *pending = threaded ? &lists[cur] : NULL;
        /* idle: the other workers' cores, once they have nothing left. */
        ns_image_run how = {.pending = pending, .folders_made = 1, .idle = idle};
        ns_process_image_as(&jobs->items[idx], opt, &how, &m.result, &err);
        if (!pending || pending->count == 0) {
            if (ns_write_full(out_fd, &m, sizeof m) != 0) break;
            continue;
        }
        saver_wait_idle(&sv); /* the previous image's files are final */
        /* SAVING goes out before the saver can answer DONE for this job. */
        m.kind = NS_WORKER_SAVING;
        if (ns_write_full(out_fd, &m, sizeof m) != 0) {
            ns_commit_list_abort(pending);
            break;
        }
        pthread_mutex_lock(&sv.mu);
        sv.done = m;
        sv.done.kind = NS_WORKER_DONE;
        sv.list = pending;
        sv.job = &jobs->items[idx];
        sv.busy = 1;
        pthread_cond_broadcast(&sv.cv);
        pthread_mutex_unlock(&sv.mu);
        cur ^= 1;
    }
    /* Nothing more to compute. The heap keeps freed image buffers (alloc_tune.c): give
     * them back now, while the saver may still be syncing the last image's files, not
     * in _exit after it, which the parent waits for. */
    malloc_trim(0);
    if (threaded) {
        pthread_mutex_lock(&sv.mu);
        sv.quit = 1;
        pthread_cond_broadcast(&sv.cv);
        pthread_mutex_unlock(&sv.mu);
        pthread_join(tid, NULL);
    }
    _exit(0);
}
