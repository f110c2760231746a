/* resume.h — whether --resume may skip an image: what an earlier run left must be a
 * complete, intact set of outputs made with the same settings. Internal to the batch
 * module. */
#ifndef NUCSEG_BATCH_RESUME_H
#define NUCSEG_BATCH_RESUME_H

#include <stddef.h>
#include "batch/outputs.h"

/* 1 when the outputs at p can stand for job segmented with channel and prm: the
 * metadata (written last) parses and records these settings, the input and the three
 * data files have the sizes and checksums it records (checksums.h), the centroids hold
 * the number of nuclei it records, the table has a row for each, and the label image
 * opens with the recorded size. *nuclei is then that number. 0 otherwise (missing, cut short,
 * corrupt, or made with other settings): the image is segmented again. */
int ns_outputs_reusable(const ns_job *job, const ns_output_paths_t *p, int channel, const ns_segment_params *prm,
                        size_t *nuclei);

#endif
