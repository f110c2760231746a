/* batch.h — which images to segment, a pool of worker processes, and outputs.
 *
 * Knows nothing of how a nucleus is found (that is segment.h): it discovers
 * inputs, schedules them largest-first over worker processes from one shared
 * queue holding 10X and 40X images together, isolates crashes and timeouts,
 * writes every output atomically and keeps progress and a summary current. */
#ifndef NUCSEG_BATCH_H
#define NUCSEG_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include "nucseg/error.h"
#include "nucseg/segment.h"

/* Exit statuses of `nucseg segment` (and other batch commands). */
enum {
    NS_EXIT_OK = 0,          /* every image processed */
    NS_EXIT_SOME_FAILED = 1, /* the batch ran; at least one image failed (see summary) */
    NS_EXIT_USAGE = 2,       /* bad command line */
    NS_EXIT_FATAL = 3        /* nothing could run: no inputs, output dir unwritable, ... */
};

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
/* ns_jobs_add with the cost already known (a copy of a listed job): no stat(). */
ns_status ns_jobs_add_sized(ns_job_list *jobs, const char *path, ns_magnification mag, uint64_t cost,
                            ns_error *err);
void ns_jobs_free(ns_job_list *jobs);

/* Where a pool gets its jobs when not from its whole list, largest first (e.g. the
 * distributed dispatcher, dist/). The pool asks for more as its workers run low, and
 * tells the source each job's final result. */
struct ns_job_result;
typedef struct ns_job_source {
    /* Up to max job indices (into the batch's list) into out, each handed out once over
     * the whole run; how many: 0 when no more will come. May block. */
    size_t (*take)(void *ctx, size_t *out, size_t max);
    /* A job taken from this source has its final result. */
    void (*done)(void *ctx, const struct ns_job_result *r);
    void *ctx;
} ns_job_source;

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
    const char *run_tag;          /* NULL, or e.g. "shard-3-of-16": the summary and progress
                                   * files are then segmentation_summary.<tag>.json and
                                   * segmentation_progress.<tag>.txt, so that runs sharing OUT
                                   * do not overwrite each other's */
    size_t inputs_total;          /* 0, or how many inputs the whole plate has (a shard's summary
                                   * records it for `nucseg summary`) */
    const ns_job_source *source;  /* NULL: every job of the list. Otherwise the jobs this source
                                   * hands out; its owner, which knows who else writes into OUT,
                                   * removes stale temporaries for --resume */
} ns_batch_options;

void ns_batch_options_default(ns_batch_options *o);

typedef struct ns_job_result {
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

/* Shard k of n (1 <= k <= n) of all: a deterministic, size-balanced share. Inputs whose
 * outputs would collide stay in one shard (where the batch refuses all but the first).
 * mine receives copies, in path order. */
ns_status ns_jobs_shard(const ns_job_list *all, int k, int n, ns_job_list *mine, ns_error *err);

typedef struct {
    int shards, shards_missing;    /* N, and how many have written no summary yet */
    size_t inputs_total;           /* inputs of the whole plate */
    size_t images_listed;          /* images in the shards' summaries */
    size_t not_done;               /* inputs_total - images_listed */
    size_t ok, skipped, failed, nuclei;
    int workers;                   /* summed over the shards */
} ns_merged_summary;

/* Merge OUT/segmentation_summary.shard-K-of-N.json into OUT/segmentation_summary.json. */
ns_status ns_merge_shard_summaries(const char *out_dir, ns_merged_summary *m, ns_error *err);

/* CPUs this process may use: the affinity mask, capped by the cgroup CPU quota. */
int ns_usable_cpus(void);
/* max(1, usable CPUs - 1): leave one core for the system. */
int ns_default_workers(void);

#endif
