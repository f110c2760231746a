/* settings_lock.h — one OUT, one set of settings. Internal to the batch module. */
#ifndef NUCSEG_BATCH_SETTINGS_LOCK_H
#define NUCSEG_BATCH_SETTINGS_LOCK_H
#include "nucseg/batch.h"

/* Claim out_dir for opt's settings: the first run into a folder records them in
 * OUT/segmentation_settings.json (created whole, or not at all, even when runs race);
 * a later run with the same settings joins in (shards, MPI ranks, a second run, a
 * --resume), one with other settings is refused with a message naming the first
 * setting that differs, before it writes anything. Never a mixed set of outputs. */
ns_status ns_claim_out_dir(const ns_batch_options *opt, ns_error *err);
#endif
