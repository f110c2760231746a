/* summary_merge.c — `nucseg summary OUT`: one summary from the shards' summaries
 * (OUT/segmentation_summary.shard-K-of-N.json), saying which shards have not written
 * theirs yet and how many images no shard has done. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "batch/summary.h"
#include "nucseg/batch.h"
#include "nucseg/fsutil.h"

static double number_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* Shard k's summary, parsed (NULL when absent); a file that does not parse is an error. */
static ns_status read_shard(const char *out_dir, int k, int n, cJSON **root, ns_error *err)
{
    char name[128];
    snprintf(name, sizeof name, "segmentation_summary.shard-%d-of-%d.json", k, n);
    char *path = ns_path_join(out_dir, name);
    if (!path) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", out_dir);
    *root = NULL;
    ns_status st = NS_OK;
    if (ns_file_exists(path)) {
        char *text = NULL;
        size_t len = 0;
        st = ns_read_text_file(path, &text, &len, err);
        if (st == NS_OK && !(*root = cJSON_ParseWithLength(text, len)))
            st = ns_error_set(err, NS_ERR_FORMAT, "%s: not a JSON summary", path);
        free(text);
    }
    free(path);
    return st;
}

/* N of the shard summaries in out_dir (0: none); two different N is an error. */
static ns_status shard_count(const char *out_dir, int *n, ns_error *err)
{
    DIR *d = opendir(out_dir);
    if (!d) return ns_error_set(err, NS_ERR_IO, "%s: cannot open the folder", out_dir);
    *n = 0;
    ns_status st = NS_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        int k, m, used = 0;
        if (sscanf(e->d_name, "segmentation_summary.shard-%d-of-%d.json%n", &k, &m, &used) != 2 ||
            e->d_name[used] != '\0' || m < 1)
            continue;
        if (*n && *n != m) {
            st = ns_error_set(err, NS_ERR_INVALID, "%s: summaries of two splits (shards of %d and of %d): "
                              "remove the older split's segmentation_summary.shard-*.json", out_dir, *n, m);
            break;
        }
        *n = m;
    }
    closedir(d);
    return st;
}

ns_status ns_merge_shard_summaries(const char *out_dir, ns_merged_summary *m, ns_error *err)
{
    memset(m, 0, sizeof *m);
    int n = 0;
    ns_status st = shard_count(out_dir, &n, err);
    if (st != NS_OK) return st;
    if (n == 0)
        return ns_error_set(err, NS_ERR_EMPTY, "%s: no shard summaries (segmentation_summary.shard-K-of-N.json)",
                            out_dir);
    m->shards = n;
    cJSON *out = cJSON_CreateObject();
    cJSON *shards = cJSON_AddObjectToObject(out, "shards");
    cJSON *found = cJSON_AddArrayToObject(shards, "found");
    cJSON *missing = cJSON_AddArrayToObject(shards, "missing");
    cJSON *fails = cJSON_CreateArray(), *per = cJSON_CreateArray();
    double wall = 0, n10 = 0, n40 = 0;
    for (int k = 1; k <= n && st == NS_OK; k++) {
        cJSON *s = NULL;
        st = read_shard(out_dir, k, n, &s, err);
        if (st != NS_OK) break;
        if (!s) {
            cJSON_AddItemToArray(missing, cJSON_CreateNumber(k));
            m->shards_missing++;
            continue;
        }
        cJSON_AddItemToArray(found, cJSON_CreateNumber(k));
        m->inputs_total = (size_t)number_of(s, "inputs_total");
        m->ok += (size_t)number_of(s, "succeeded");
        m->skipped += (size_t)number_of(s, "skipped_complete");
        m->failed += (size_t)number_of(s, "failed");
        m->nuclei += (size_t)number_of(s, "nuclei_total");
        n10 += number_of(s, "nuclei_10X");
        n40 += number_of(s, "nuclei_40X");
        m->workers += (int)number_of(s, "workers");
        if (number_of(s, "wall_s") > wall) wall = number_of(s, "wall_s");
        cJSON *f, *item;
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(s, "failures"))
            if ((item = cJSON_Duplicate(f, 1))) cJSON_AddItemToArray(fails, item);
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(s, "per_image")) {
            if ((item = cJSON_Duplicate(f, 1))) cJSON_AddItemToArray(per, item);
            m->images_listed++;
        }
        cJSON_Delete(s);
    }
    if (st == NS_OK) {
        m->not_done = m->inputs_total > m->images_listed ? m->inputs_total - m->images_listed : 0;
        cJSON_AddNumberToObject(shards, "of", n);
        cJSON_AddStringToObject(out, "nucseg_version", NUCSEG_VERSION);
        cJSON_AddStringToObject(out, "output_dir", out_dir);
        cJSON_AddNumberToObject(out, "inputs_total", (double)m->inputs_total);
        cJSON_AddNumberToObject(out, "not_done", (double)m->not_done);
        cJSON_AddNumberToObject(out, "succeeded", (double)m->ok);
        cJSON_AddNumberToObject(out, "skipped_complete", (double)m->skipped);
        cJSON_AddNumberToObject(out, "failed", (double)m->failed);
        cJSON_AddNumberToObject(out, "nuclei_total", (double)m->nuclei);
        cJSON_AddNumberToObject(out, "nuclei_10X", n10);
        cJSON_AddNumberToObject(out, "nuclei_40X", n40);
        cJSON_AddNumberToObject(out, "workers", m->workers);
        cJSON_AddNumberToObject(out, "longest_shard_wall_s", wall);
        cJSON_AddItemToObject(out, "failures", fails);
        cJSON_AddItemToObject(out, "per_image", per);
        fails = per = NULL;
        st = ns_write_summary_file(out_dir, NULL, out, err);
    }
    cJSON_Delete(fails);
    cJSON_Delete(per);
    cJSON_Delete(out);
    return st;
}
