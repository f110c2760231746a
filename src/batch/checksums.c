/* checksums.c — see checksums.h. CRC-32 (libdeflate's, several GB/s) of files that are
 * mostly still in the page cache: tens of microseconds an image. */
#include "batch/checksums.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nucseg/fsutil.h"

static const struct {
    const char *key;
    int file; /* NS_OUT_*, or -1 for the input */
} ITEMS[] = {{"input", -1}, {"labels", NS_OUT_LABELS}, {"nuclei_csv", NS_OUT_CSV}, {"centroids_npy", NS_OUT_NPY}};
enum { NITEMS = sizeof ITEMS / sizeof ITEMS[0] };

static void format_crc(char out[9], unsigned long crc)
{
    snprintf(out, 9, "%08lx", crc & 0xffffffffUL);
}

ns_status ns_checksums_record(cJSON *meta, const ns_job *job, const ns_output_paths_t *p, ns_error *err)
{
    cJSON *all = cJSON_AddObjectToObject(meta, "checksums");
    if (!all) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", job->path);
    for (int i = 0; i < NITEMS; i++) {
        const char *path = ITEMS[i].file < 0 ? job->path : p->file[ITEMS[i].file];
        char tmp[4200];
        /* Written but not yet renamed (a worker's deferred commit): the temporary file. */
        if (ITEMS[i].file >= 0 && ns_tmp_path(path, tmp, sizeof tmp, NULL) == NS_OK && access(tmp, F_OK) == 0)
            path = tmp;
        unsigned long long size;
        unsigned long crc;
        ns_status st = ns_file_checksum(path, &size, &crc, err);
        if (st != NS_OK) return st;
        char hex[9];
        format_crc(hex, crc);
        cJSON *o = cJSON_AddObjectToObject(all, ITEMS[i].key);
        if (!o || !cJSON_AddNumberToObject(o, "bytes", (double)size) || !cJSON_AddStringToObject(o, "crc32", hex))
            return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", job->path);
    }
    return NS_OK;
}

int ns_checksums_match(const cJSON *meta, const ns_job *job, const ns_output_paths_t *p)
{
    const cJSON *all = cJSON_GetObjectItemCaseSensitive(meta, "checksums");
    for (int i = 0; i < NITEMS; i++) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(all, ITEMS[i].key);
        const cJSON *bytes = cJSON_GetObjectItemCaseSensitive(o, "bytes");
        const cJSON *crc = cJSON_GetObjectItemCaseSensitive(o, "crc32");
        if (!cJSON_IsNumber(bytes) || !cJSON_IsString(crc)) return 0;
        const char *path = ITEMS[i].file < 0 ? job->path : p->file[ITEMS[i].file];
        unsigned long long size;
        unsigned long c;
        if (ns_file_checksum(path, &size, &c, NULL) != NS_OK || (double)size != bytes->valuedouble) return 0;
        char hex[9];
        format_crc(hex, c);
        if (strcmp(hex, crc->valuestring) != 0) return 0;
    }
    return 1;
}
