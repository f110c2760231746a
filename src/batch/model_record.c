/* model_record.c — see model_record.h. */
#include "batch/model_record.h"

#include <stdio.h>
#include <string.h>
#include "nucseg/nn.h"

static cJSON *model_json(const ns_segment_params *p)
{
    if (!p->model) return cJSON_CreateString("classical");
    cJSON *m = cJSON_CreateObject();
    char crc[16];
    snprintf(crc, sizeof crc, "%08lx", ns_nn_checksum(p->model) & 0xffffffffUL);
    /* A weight file by its file name: shards may reach it by different paths. */
    const char *name = ns_nn_name(p->model), *slash = strrchr(name, '/');
    cJSON_AddStringToObject(m, "name", slash ? slash + 1 : name);
    cJSON_AddStringToObject(m, "crc32", crc);
    return m;
}

void ns_segment_model_json(cJSON *parent, const ns_segment_params *p)
{
    cJSON_AddItemToObject(parent, "model", model_json(p));
}

void ns_segment_model_default(cJSON *parent)
{
    if (cJSON_IsObject(parent) && !cJSON_GetObjectItemCaseSensitive(parent, "model"))
        cJSON_AddStringToObject(parent, "model", "classical");
}

int ns_segment_model_matches(const cJSON *parent, const ns_segment_params *p)
{
    const cJSON *have = cJSON_GetObjectItemCaseSensitive(parent, "model");
    if (!have) return !p->model; /* written before --model existed: classical */
    cJSON *want = model_json(p);
    int same = cJSON_Compare(want, have, 1);
    cJSON_Delete(want);
    return same;
}
