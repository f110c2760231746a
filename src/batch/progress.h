/* progress.h — internal: what a user sees while a batch runs. */
#ifndef NUCSEG_BATCH_PROGRESS_H
#define NUCSEG_BATCH_PROGRESS_H
#include <stdio.h>
#include "nucseg/batch.h"

typedef struct {
    ns_progress_mode mode;  /* resolved: BAR, LINES or QUIET */
    size_t total, done, failed;
    double t0;
    double file_written;      /* when the progress file was last written */
    char progress_file[4096]; /* OUT/segmentation_progress.txt, or "" */
} ns_progress;

/* run_tag: NULL, or the batch's (OUT/segmentation_progress.<tag>.txt). */
void ns_progress_start(ns_progress *p, ns_progress_mode mode, size_t total, const char *out_dir, int write_file,
                       const char *run_tag);
/* One image finished (or failed / skipped). */
void ns_progress_step(ns_progress *p, const ns_job *job, const ns_job_result *r);
void ns_progress_finish(ns_progress *p);
#endif
