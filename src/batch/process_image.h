/* process_image.h — the pool worker's variant of ns_process_image. */
#ifndef NUCSEG_BATCH_PROCESS_IMAGE_H
#define NUCSEG_BATCH_PROCESS_IMAGE_H

#include "nucseg/batch.h"
#include "nucseg/fsutil.h"
#include "util/idle_cores.h"

/* How a pool worker runs an image; ns_process_image is all zero. */
typedef struct {
    /* Non-NULL: the outputs stay under their temporary names, recorded here in the order
     * written (metadata last); ns_commit_list_rename() then gives them their final names.
     * On failure it is empty and no temporary file is left. */
    ns_commit_list *pending;
    int folders_made;    /* the output folder exists already (ns_outputs_prepare) */
    ns_idle_cores *idle; /* cores lent by the batch for helper threads, or NULL */
} ns_image_run;

ns_status ns_process_image_as(const ns_job *job, const ns_batch_options *opt, const ns_image_run *how,
                              ns_job_result *res, ns_error *err);

/* Whether the test hook NUCSEG_FAULT_INJECT asks for fault KIND on job's image. */
int ns_fault_injected(const char *kind, const ns_job *job);

#endif
