/* durable.c — the parent's sync thread (durable.h). Requests and answers go through two
 * pipes, so the parent waits for an answer in the same poll() as for its workers. */
#include "batch/durable.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "batch/worker.h"
#include "nucseg/fsutil.h"

struct ns_durable {
    char *dir;
    int request[2]; /* parent -> thread: one byte per sync wanted; EOF: stop */
    int answer[2];  /* thread -> parent: one ns_error per sync done */
    pthread_t tid;
};

static void *sync_main(void *arg)
{
    ns_durable *d = arg;
    char c;
    while (ns_read_full(d->request[0], &c, 1) == 1) {
        ns_error err;
        ns_error_clear(&err);
        (void)ns_sync_filesystem(d->dir, &err);
        if (ns_write_full(d->answer[1], &err, sizeof err) != 0) break;
    }
    return NULL;
}

ns_durable *ns_durable_start(const char *dir, ns_error *err)
{
    ns_durable *d = calloc(1, sizeof *d);
    if (!d || !(d->dir = strdup(dir))) {
        free(d);
        ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", dir);
        return NULL;
    }
    d->request[0] = d->request[1] = d->answer[0] = d->answer[1] = -1;
    /* SIGINT / SIGTERM go to the parent's main thread, whose poll() they must interrupt. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int ok = pipe2(d->request, O_CLOEXEC) == 0 && pipe2(d->answer, O_CLOEXEC) == 0 &&
             pthread_create(&d->tid, NULL, sync_main, d) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!ok) {
        ns_error_set(err, NS_ERR_INTERNAL, "%s: cannot start the thread that syncs outputs", dir);
        for (int i = 0; i < 2; i++) {
            if (d->request[i] >= 0) close(d->request[i]);
            if (d->answer[i] >= 0) close(d->answer[i]);
        }
        free(d->dir);
        free(d);
        return NULL;
    }
    return d;
}

int ns_durable_fd(const ns_durable *d)
{
    return d->answer[0];
}

void ns_durable_request(ns_durable *d)
{
    char c = 1;
    (void)ns_write_full(d->request[1], &c, 1);
}

ns_status ns_durable_finished(ns_durable *d, ns_error *err)
{
    ns_error got;
    if (ns_read_full(d->answer[0], &got, sizeof got) != (ssize_t)sizeof got)
        return ns_error_set(err, NS_ERR_INTERNAL, "%s: the thread that syncs outputs stopped", d->dir);
    if (got.code != NS_OK) *err = got;
    return got.code;
}

void ns_durable_stop(ns_durable *d)
{
    if (!d) return;
    close(d->request[1]);
    pthread_join(d->tid, NULL);
    close(d->request[0]);
    close(d->answer[0]);
    close(d->answer[1]);
    free(d->dir);
    free(d);
}
