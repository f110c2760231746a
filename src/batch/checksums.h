/* checksums.h — internal to the batch module: what an image's input and outputs were
 * (size in bytes and CRC-32), recorded in its metadata when they are written and checked
 * by --resume, so that a label image damaged in place (same size, bytes changed) or an
 * input replaced by another image is not taken for finished work. */
#ifndef NUCSEG_BATCH_CHECKSUMS_H
#define NUCSEG_BATCH_CHECKSUMS_H

#include <cjson/cJSON.h>
#include "batch/outputs.h"

/* Add "checksums": {"input": {"bytes", "crc32"}, "labels": ..., "nuclei_csv": ...,
 * "centroids_npy": ...} to meta, from job's input and the three data files just written
 * (under their temporary names while they have them). */
ns_status ns_checksums_record(cJSON *meta, const ns_job *job, const ns_output_paths_t *p, ns_error *err);
/* 1 when the input and the three data files are what meta records. */
int ns_checksums_match(const cJSON *meta, const ns_job *job, const ns_output_paths_t *p);

#endif
