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

/* What became of each image, one entry each: what `nucseg summary` merges across shards
 * and what shows that a distributed run did every image exactly once. */
static void add_per_image(cJSON *root, const ns_job_list *jobs, const ns_batch_report *rep)
{
    cJSON *all = cJSON_AddArrayToObject(root, "per_image");
    for (size_t i = 0; i < jobs->count; i++) {
        const ns_job_result *r = &rep->results[i];
        cJSON *e = cJSON_CreateObject();
        ns_json_add_text(e, "file", jobs->items[i].path);
        cJSON_AddStringToObject(e, "magnification", ns_magnification_name(jobs->items[i].mag));
        ns_json_add_text(e, "plate", jobs->items[i].plate);
        ns_json_add_text(e, "well", jobs->items[i].well);
        ns_json_add_text(e, "tile", jobs->items[i].tile);
        cJSON_AddStringToObject(e, "status", r->status != NS_OK ? ns_status_name(r->status)
                                             : r->skipped ? "skipped_complete" : "ok");
        cJSON_AddNumberToObject(e, "nuclei", (double)r->nuclei);
        cJSON_AddItemToArray(all, e);
    }
}

cJSON *ns_batch_summary_json(const ns_job_list *jobs, const ns_batch_options *opt, const ns_batch_report *rep)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
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
    if (opt->run_tag) cJSON_AddStringToObject(root, "run", opt->run_tag);
    if (opt->inputs_total) cJSON_AddNumberToObject(root, "inputs_total", (double)opt->inputs_total);
    add_per_image(root, jobs, rep);
    return root;
}

ns_status ns_write_summary_file(const char *out_dir, const char *run_tag, cJSON *root, ns_error *err)
{
    char name[256];
    snprintf(name, sizeof name, run_tag ? "segmentation_summary.%s.json" : "segmentation_summary.json", run_tag);
    char *path = ns_path_join(out_dir, name);
    char *text = root ? cJSON_Print(root) : NULL;
    if (!path || !text) {
        free(path); free(text);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory writing the summary", out_dir);
    }
    ns_status st = text ? ns_write_file_atomic(path, text, strlen(text), err)
                        : ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
    free(text);
    free(path);
    return st;
}

ns_status ns_write_batch_summary(const ns_job_list *jobs, const ns_batch_options *opt,
                                 const ns_batch_report *rep, ns_error *err)
{
    cJSON *root = ns_batch_summary_json(jobs, opt, rep);
    ns_status st = ns_write_summary_file(opt->out_dir, opt->run_tag, root, err);
    cJSON_Delete(root);
    return st;
}
