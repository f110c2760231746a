/* worker.h — what a pool worker process runs and what it tells the parent.
 *
 * The parent sends job indices (size_t) down a pipe. For each, the worker answers
 * with fixed-size messages (smaller than PIPE_BUF, so each arrives whole even when
 * two threads write them):
 *   SAVING  the image is computed and its outputs written under temporary names;
 *           the worker is ready for the next job while a second thread syncs them;
 *   DONE    the job's final result (outputs in place, or why it failed).
 * A job that needs no saving (failed, or skipped by --resume) gets DONE only. */
#ifndef NUCSEG_BATCH_WORKER_H
#define NUCSEG_BATCH_WORKER_H

#include "nucseg/batch.h"
#include "util/idle_cores.h"

enum { NS_WORKER_DONE = 1, NS_WORKER_SAVING = 2 };

typedef struct {
    int kind; /* NS_WORKER_DONE or NS_WORKER_SAVING */
    ns_job_result result;
} ns_worker_msg;

/* The forked child's whole life: jobs from in_fd until EOF, answers on out_fd,
 * then _exit(0) once the last save is done. idle: the batch's idle cores, which
 * this worker may borrow for its last images (NULL: none). */
_Noreturn void ns_worker_main(int in_fd, int out_fd, const ns_job_list *jobs, const ns_batch_options *opt,
                              ns_idle_cores *idle);

/* Whole-buffer pipe I/O that retries on EINTR: 0 / bytes read (short at EOF). */
int ns_write_full(int fd, const void *buf, size_t n);
ssize_t ns_read_full(int fd, void *buf, size_t n);

#endif
