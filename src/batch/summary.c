/* summary.c — the batch's record: counts by magnification, successes, every
 * failure with its reason, workers, wall time and throughput. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "batch/summary.h"
#include "nucseg/fsutil.h"
#include "util/text_safe.h"

ns_status ns_write_batch_summary(const ns_job_list *jobs, const ns_batch_options *opt,
                                 const ns_batch_report *rep, ns_error *err)
{
    char *path = ns_path_join(opt->out_dir, "segmentation_summary.json");
    cJSON *root = cJSON_CreateObject();
    if (!path || !root) {
        free(path); cJSON_Delete(root);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory writing the summary", opt->out_dir);
    }
    char stamp[32];
    time_t t = time(NULL);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    cJSON_AddStringToObject(root, "finished_at", stamp);
    cJSON_AddStringToObject(root, "nucseg_version", NUCSEG_VERSION);
    ns_json_add_text(root, "output_dir", opt->out_dir);
    cJSON *im = cJSON_AddObjectToObject(root, "images");
    cJSON_AddNumberToObject(im, "total", (double)rep->total);
    cJSON_AddNumberToObject(im, "10X", (double)rep->n_10x);
    cJSON_AddNumberToObject(im, "40X", (double)rep->n_40x);
    cJSON_AddNumberToObject(im, "unknown", (double)rep->n_unknown);
    /* Stopped by SIGINT / SIGTERM: what is counted below was done; the rest was not. */
    cJSON_AddBoolToObject(root, "interrupted", rep->interrupted);
    cJSON_AddNumberToObject(root, "not_processed", (double)rep->not_processed);
    cJSON_AddNumberToObject(root, "succeeded", (double)rep->ok);
    cJSON_AddNumberToObject(root, "skipped_complete", (double)rep->skipped);
    cJSON_AddNumberToObject(root, "failed", (double)rep->failed);
    cJSON_AddNumberToObject(root, "nuclei_total", (double)rep->total_nuclei);
    size_t nuc10 = 0, nuc40 = 0;
    for (size_t i = 0; i < jobs->count; i++) {
        if (jobs->items[i].mag == NS_MAG_10X) nuc10 += rep->results[i].nuclei;
        if (jobs->items[i].mag == NS_MAG_40X) nuc40 += rep->results[i].nuclei;
    }
    cJSON_AddNumberToObject(root, "nuclei_10X", (double)nuc10);
    cJSON_AddNumberToObject(root, "nuclei_40X", (double)nuc40);
    cJSON_AddNumberToObject(root, "workers", rep->workers);
    cJSON_AddNumberToObject(root, "usable_cpus", ns_usable_cpus());
    cJSON_AddNumberToObject(root, "wall_s", rep->wall_s);
    cJSON_AddNumberToObject(root, "images_per_s", rep->images_per_s);
    cJSON_AddNumberToObject(root, "worker_cpu_user_s", rep->cpu_user_s);
    cJSON_AddNumberToObject(root, "worker_cpu_sys_s", rep->cpu_sys_s);
    cJSON_AddNumberToObject(root, "peak_worker_rss_mb", (double)rep->peak_rss_kb / 1024.0);
    cJSON_AddNumberToObject(root, "timeout_s", opt->timeout_s);
    cJSON *fails = cJSON_AddArrayToObject(root, "failures");
    for (size_t i = 0; i < jobs->count; i++) {
        const ns_job_result *r = &rep->results[i];
        if (r->status == NS_OK) continue;
        cJSON *f = cJSON_CreateObject();
        ns_json_add_text(f, "file", jobs->items[i].path);
        cJSON_AddStringToObject(f, "magnification", ns_magnification_name(jobs->items[i].mag));
        cJSON_AddStringToObject(f, "status", ns_status_name(r->status));
        ns_json_add_text(f, "reason", r->message);
        cJSON_AddItemToArray(fails, f);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    ns_status st = text ? ns_write_file_atomic(path, text, strlen(text), err)
                        : ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
    free(text);
    free(path);
    return st;
}
