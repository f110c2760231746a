/* well_tables_merged.c — the well tables of a plate segmented in shards: each shard has
 * only part of a well, so `nucseg summary` writes them from the merged per-image list
 * (file, magnification, plate, well, tile, status) once every image is done. */
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "batch/summary.h"
#include "nucseg/batch.h"

static const char *string_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Replace *field with a copy of value; 0 out of memory. */
static int set_field(char **field, const char *value)
{
    char *c = strdup(value);
    if (!c) return 0;
    free(*field);
    *field = c;
    return 1;
}

ns_status ns_write_well_tables_of_summary(const cJSON *per_image, const char *out_dir, ns_error *err)
{
    ns_job_list jobs = {0};
    ns_batch_report rep;
    memset(&rep, 0, sizeof rep);
    int n = cJSON_GetArraySize(per_image);
    rep.results = calloc(n > 0 ? (size_t)n : 1, sizeof *rep.results);
    ns_status st = rep.results ? NS_OK : ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", out_dir);
    const cJSON *e;
    cJSON_ArrayForEach(e, per_image) {
        if (st != NS_OK) break;
        const char *file = string_of(e, "file"), *mag = string_of(e, "magnification"), *status = string_of(e, "status");
        const char *plate = string_of(e, "plate"), *well = string_of(e, "well"), *tile = string_of(e, "tile");
        if (!file || !mag || !status || !plate || !well || !tile) {
            st = ns_error_set(err, NS_ERR_FORMAT, "%s: a shard summary's per_image entry lacks file, magnification, "
                              "plate, well, tile or status (written by an older nucseg?)", out_dir);
            break;
        }
        ns_magnification m = !strcmp(mag, "10X") ? NS_MAG_10X : !strcmp(mag, "40X") ? NS_MAG_40X : NS_MAG_UNKNOWN;
        if ((st = ns_jobs_add_sized(&jobs, file, m, 0, err)) != NS_OK) break;
        ns_job *j = &jobs.items[jobs.count - 1];
        if (!set_field(&j->plate, plate) || !set_field(&j->well, well) || !set_field(&j->tile, tile)) {
            st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", out_dir);
            break;
        }
        int done = !strcmp(status, "ok") || !strcmp(status, "skipped_complete");
        rep.results[jobs.count - 1].job_index = jobs.count - 1;
        rep.results[jobs.count - 1].status = done ? NS_OK : NS_ERR_INVALID;
    }
    if (st == NS_OK) st = ns_write_well_tables(&jobs, &rep, out_dir, err);
    free(rep.results);
    ns_jobs_free(&jobs);
    return st;
}
