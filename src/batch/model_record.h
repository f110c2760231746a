/* model_record.h — which pipeline made an image's outputs, as the metadata, the
 * settings record and --resume write and compare it. */
#ifndef NUCSEG_BATCH_MODEL_RECORD_H
#define NUCSEG_BATCH_MODEL_RECORD_H

#include <cjson/cJSON.h>
#include "nucseg/segment.h"

/* "model": "classical", or {"name": "nuclei", "crc32": "89abcdef"} (the weights' checksum:
 * new weights under the same name are other settings). */
void ns_segment_model_json(cJSON *parent, const ns_segment_params *p);
/* 1 when parent's "model" is what ns_segment_model_json writes for p. */
int ns_segment_model_matches(const cJSON *parent, const ns_segment_params *p);

#endif
