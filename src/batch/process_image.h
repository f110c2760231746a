/* process_image.h — the pool worker's variant of ns_process_image. */
#ifndef NUCSEG_BATCH_PROCESS_IMAGE_H
#define NUCSEG_BATCH_PROCESS_IMAGE_H

#include "nucseg/batch.h"
#include "batch/outputs.h"
#include "nucseg/fsutil.h"


/* ns_process_image, run as how says (outputs.h). */
ns_status ns_process_image_as(const ns_job *job, const ns_batch_options *opt, const ns_image_run *how,
                              ns_job_result *res, ns_error *err);

/* Whether the test hook NUCSEG_FAULT_INJECT asks for fault KIND on job's image. */
int ns_fault_injected(const char *kind, const ns_job *job);

#endif
