/* durable.c — the parent's sync process (durable.h). A process, not a thread: the parent
 * forks workers all along, and a fork while another thread of the parent holds a lock
 * (the allocator's, a sanitizer's) leaves that lock held for ever in the child. Forked
 * first, while the parent has one thread, it is the only fork that is not a worker's.
 * Requests and answers go through two pipes, so the parent waits for an answer in the
 * same poll() as for its workers. */
#include "batch/durable.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "batch/worker.h"
#include "nucseg/fsutil.h"

struct ns_durable {
    char *dir;
    int request; /* parent -> syncer: one byte per sync wanted; EOF: stop */
    int answer;  /* syncer -> parent: one ns_error per sync done */
    pid_t pid;
};

_Noreturn static void syncer_main(const char *dir, int request, int answer)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the parent */
    /* Ctrl-C reaches the whole process group, SIGTERM may too: the parent decides. */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    char c;
    while (ns_read_full(request, &c, 1) == 1) {
        ns_error err;
        ns_error_clear(&err);
        (void)ns_sync_filesystem(dir, &err);
        if (ns_write_full(answer, &err, sizeof err) != 0) break;
    }
    _exit(0);
}

ns_durable *ns_durable_start(const char *dir, ns_error *err)
{
    ns_durable *d = calloc(1, sizeof *d);
    if (!d || !(d->dir = strdup(dir))) {
        free(d);
        ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", dir);
        return NULL;
    }
    int req[2] = {-1, -1}, ans[2] = {-1, -1};
    /* Close-on-exec only: the workers forked later inherit the parent's ends, which they
     * never use; the syncer sees EOF once the parent and every worker are gone. */
    if (pipe2(req, O_CLOEXEC) != 0 || pipe2(ans, O_CLOEXEC) != 0 || (d->pid = fork()) < 0) {
        int e = errno;
        for (int i = 0; i < 2; i++) {
            if (req[i] >= 0) close(req[i]);
            if (ans[i] >= 0) close(ans[i]);
        }
        ns_error_set(err, NS_ERR_INTERNAL, "%s: cannot start the process that syncs outputs: %s", dir, strerror(e));
        free(d->dir);
        free(d);
        return NULL;
    }
    if (d->pid == 0) {
        close(req[1]);
        close(ans[0]);
        syncer_main(dir, req[0], ans[1]);
    }
    close(req[0]);
    close(ans[1]);
    d->request = req[1];
    d->answer = ans[0];
    return d;
}

int ns_durable_fd(const ns_durable *d)
{
    return d->answer;
}

int ns_durable_pipe(const ns_durable *d, int which)
{
    return which ? d->answer : d->request;
}

void ns_durable_request(ns_durable *d)
{
    char c = 1;
    (void)ns_write_full(d->request, &c, 1);
}

ns_status ns_durable_finished(ns_durable *d, ns_error *err)
{
    ns_error got;
    if (ns_read_full(d->answer, &got, sizeof got) != (ssize_t)sizeof got)
        return ns_error_set(err, NS_ERR_INTERNAL, "%s: the process that syncs outputs stopped", d->dir);
    if (got.code != NS_OK) *err = got;
    return got.code;
}

void ns_durable_stop(ns_durable *d)
{
    if (!d) return;
    close(d->request);
    close(d->answer);
    /* EOF ends it; a worker still holding the pipe (none: they are reaped first) would
     * delay that, so it is not waited for beyond a kill. */
    kill(d->pid, SIGKILL);
    while (waitpid(d->pid, NULL, 0) < 0 && errno == EINTR) {}
    free(d->dir);
    free(d);
}
