/* summary.h — internal: OUT/segmentation_summary.json. */
#ifndef NUCSEG_BATCH_SUMMARY_H
#define NUCSEG_BATCH_SUMMARY_H
#include "nucseg/batch.h"
ns_status ns_write_batch_summary(const ns_job_list *jobs, const ns_batch_options *opt,
                                 const ns_batch_report *rep, ns_error *err);
#endif
