/* model_record.h — which pipeline made an image's outputs, as the metadata, the
 * settings record and --resume write and compare it. */
#ifndef NUCSEG_BATCH_MODEL_RECORD_H
#define NUCSEG_BATCH_MODEL_RECORD_H

#include <cjson/cJSON.h>
#include "nucseg/segment.h"

/* "model": "classical", or {"name": "nuclei", "crc32": "89abcdef"} (the weights' checksum:
 * new weights under the same name are other settings). */
void ns_segment_model_json(cJSON *parent, const ns_segment_params *p);
/* A record written before --model existed has no "model": it was the classical
 * pipeline. This adds "model": "classical" to such a record (parent an object), so that
 * it compares as what it is. */
void ns_segment_model_default(cJSON *parent);
/* 1 when parent's "model" is what ns_segment_model_json writes for p (a missing one:
 * the classical pipeline). */
int ns_segment_model_matches(const cJSON *parent, const ns_segment_params *p);

#endif
