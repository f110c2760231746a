/* batch.h — which images to segment, a pool of worker processes, and outputs.
 *
 * Knows nothing of how a nucleus is found (that is segment.h): it discovers
 * inputs, schedules them largest-first over worker processes from one shared
 * queue holding 10X and 40X images together, isolates crashes and timeouts,
 * writes every output atomically and keeps progress and a summary current. */
#ifndef NUCSEG_BATCH_H
#define NUCSEG_BATCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "nucseg/error.h"
#include "nucseg/segment.h"

typedef struct {
    char *path;            /* owned */
    char *well;            /* owned; file name part before the first '_' */
    char *stem;            /* owned; file name without extension */
    ns_magnification mag;
    uint64_t cost;         /* pixels if known, else file size: larger runs first */
} ns_job;

typedef struct {
    ns_job *items;
    size_t count, cap;
} ns_job_list;

/* Lab layout: DATA/genotyping/cycle_1/ *.tif → 10X, DATA/phenotyping/ *.tif → 40X;
 * otherwise any folder whose name contains 10X/10x or 40X/40x (recursively);
 * TIFF and PNG files only. Sorted by path for reproducibility. */
ns_status ns_jobs_discover(const char *data_dir, ns_job_list *jobs, ns_error *err);
ns_status ns_jobs_add(ns_job_list *jobs, const char *path, ns_magnification mag, ns_error *err);
void ns_jobs_free(ns_job_list *jobs);

typedef enum { NS_PROGRESS_AUTO = 0, NS_PROGRESS_BAR, NS_PROGRESS_LINES, NS_PROGRESS_QUIET } ns_progress_mode;

typedef struct {
    const char *out_dir;          /* OUT: results go to OUT/10X/<well>/, OUT/40X/<well>/ */
    int workers;                  /* >= 1 */
    double timeout_s;             /* per image; <= 0: none */
    int resume;                   /* skip images whose outputs are complete, intact and made with these settings */
    int channel;                  /* nuclear channel (page / sample), default 0 */
    size_t max_pixels;            /* 0: NS_DEFAULT_MAX_PIXELS */
    ns_segment_params params_10x; /* used for NS_MAG_10X jobs */
    ns_segment_params params_40x; /* used for NS_MAG_40X jobs */
    ns_segment_params params_unknown;
    ns_progress_mode progress;
    int write_summary;            /* write OUT/segmentation_summary.json + progress file */
    /* Set (by the caller's signal handler) to stop: no more images are started, the ones
     * running are abandoned, and what was done is synced and reported. NULL: never. */
    const volatile sig_atomic_t *stop;
} ns_batch_options;

void ns_batch_options_default(ns_batch_options *o);

typedef struct {
    size_t job_index;
    ns_status status;
    char message[512];    /* failure reason, one line, names the file */
    double ms;            /* wall time for this image inside the worker */
    size_t nuclei;
    long maxrss_kb;       /* peak RSS of the worker process that ran it */
    int skipped;          /* resumed: outputs already complete */
} ns_job_result;

typedef struct {
    size_t total, ok, failed, skipped;
    size_t n_10x, n_40x, n_unknown;
    size_t total_nuclei;
    int workers;
    double wall_s;
    double images_per_s;          /* images segmented (ok) per second of wall time */
    double cpu_user_s, cpu_sys_s; /* summed over worker processes */
    long peak_rss_kb;             /* largest worker peak RSS */
    int interrupted;              /* stopped by opt->stop before the end */
    size_t not_processed;         /* images neither done nor failed (interrupted) */
    ns_job_result *results;       /* owned; one per job, in job order */
} ns_batch_report;

/* Run the whole batch. Returns NS_OK when the batch ran (even if images failed:
 * see report->failed); an error only when it could not run at all. */
ns_status ns_batch_run(const ns_job_list *jobs, const ns_batch_options *opt,
                       ns_batch_report *report, ns_error *err);
void ns_batch_report_free(ns_batch_report *r);

/* One image, in this process: read, segment, write all outputs atomically. */
ns_status ns_process_image(const ns_job *job, const ns_batch_options *opt,
                           ns_job_result *res, ns_error *err);

/* CPUs this process may use: the affinity mask, capped by the cgroup CPU quota. */
int ns_usable_cpus(void);
/* max(1, usable CPUs - 1): leave one core for the system. */
int ns_default_workers(void);

#endif
