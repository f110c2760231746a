/* summary.h — internal: OUT/segmentation_summary.json. */
#ifndef NUCSEG_BATCH_SUMMARY_H
#define NUCSEG_BATCH_SUMMARY_H
#include <cjson/cJSON.h>
#include "nucseg/batch.h"
/* The summary of a batch as JSON (NULL when out of memory); the caller owns it and may
 * add to it (the distributed layer adds a per-node section) before writing it with
 * ns_write_summary_file: OUT/segmentation_summary[.<run_tag>].json, atomically. */
cJSON *ns_batch_summary_json(const ns_job_list *jobs, const ns_batch_options *opt, const ns_batch_report *rep);
ns_status ns_write_summary_file(const char *out_dir, const char *run_tag, cJSON *root, ns_error *err);
ns_status ns_write_batch_summary(const ns_job_list *jobs, const ns_batch_options *opt,
                                 const ns_batch_report *rep, ns_error *err);
#endif
