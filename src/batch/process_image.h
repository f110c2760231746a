/* process_image.h — the pool worker's variant of ns_process_image. */
#ifndef NUCSEG_BATCH_PROCESS_IMAGE_H
#define NUCSEG_BATCH_PROCESS_IMAGE_H

#include "nucseg/batch.h"
#include "nucseg/fsutil.h"

/* ns_process_image, except that with pending non-NULL the outputs stay under their
 * temporary names, recorded in pending in the order written (metadata last);
 * ns_commit_list_rename() then gives them their final names. On failure
 * pending is empty and no temporary file is left. folders_made: the output folder exists
 * already (ns_outputs_prepare), else it is made here. */
ns_status ns_process_image_pending(const ns_job *job, const ns_batch_options *opt, ns_job_result *res,
                                   ns_commit_list *pending, int folders_made, ns_error *err);

/* Whether the test hook NUCSEG_FAULT_INJECT asks for fault KIND on job's image. */
int ns_fault_injected(const char *kind, const ns_job *job);

#endif
