/* durable.h — internal to the batch module: when an image's outputs may be reported done.
 *
 * Workers give outputs their final names without an fsync each (about 1-3 ms of waiting
 * per image, and a journal commit per file). The parent reports an image done only after
 * one syncfs() of the output file system that began after the image's files were renamed:
 * one sync covers every image finished since the last, and runs in a small process of its
 * own (forked before the workers) so the parent keeps handing out work meanwhile. A power cut before that sync may lose the
 * image's files, but then it was never reported done, and --resume finds the files
 * missing or unlike the sizes and checksums the metadata recorded, and redoes it. */
#ifndef NUCSEG_BATCH_DURABLE_H
#define NUCSEG_BATCH_DURABLE_H

#include "nucseg/error.h"

typedef struct ns_durable ns_durable;

/* A sync process for the file system holding dir; NULL with err set when it cannot
 * start. Call before forking workers. */
ns_durable *ns_durable_start(const char *dir, ns_error *err);
/* Readable (poll) when a sync has finished: then call ns_durable_finished. */
int ns_durable_fd(const ns_durable *d);
/* Start a sync now (the caller starts one only when none is running). */
void ns_durable_request(ns_durable *d);
/* The sync that finished: NS_OK, or why it failed (err names the folder). */
ns_status ns_durable_finished(ns_durable *d, ns_error *err);
/* Its two pipe ends in this process (0: requests, 1: answers), for a forked worker to close. */
int ns_durable_pipe(const ns_durable *d, int which);
/* Stop the process (after the last sync finished) and free d. NULL is fine. */
void ns_durable_stop(ns_durable *d);

#endif
