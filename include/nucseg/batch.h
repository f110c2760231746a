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
    char *well;            /* owned; from the file name (nucseg/names.h) */
    char *stem;            /* owned; file name without extension (and without ".ome") */
    char *plate;           /* owned; from the file name, "" when it has none */
    char *tile;            /* owned; from the file name, "" when it has none */
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
/* Read plate, well, tile (and an unknown magnification) of every job from its file
 * name with pattern (nucseg/names.h) instead of the built-in layouts. A name the
 * pattern does not match is an error naming the file. */
ns_status ns_jobs_apply_name_pattern(ns_job_list *jobs, const char *pattern, ns_error *err);

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
                                   * has prepared OUT (folders, stale temporaries, the settings
                                   * record) before the first job comes */
    double pixel_size_um;         /* > 0: every image's pixel size (--pixel-size), over the file's */
    double diameter_um;           /* > 0: nuclear diameter in micrometres, for every image; its
                                     pixel size turns it into px (ns_diameter_px_of_um) */
    const char *name_pattern;     /* NULL, or the --name-pattern the jobs' wells and tiles were
                                   * read with (recorded with the settings of OUT) */
    /* Set (by the caller's signal handler) to stop: no more images are started, the ones
     * running are abandoned, and what was done is synced and reported. NULL: never. */
    const volatile sig_atomic_t *stop;
} ns_batch_options;

/* The diameter in px of d_um micrometres at um_per_px, rounded to 0.1 px so that a
 * pixel size written with more or fewer digits (0.325, 0.32499998) segments alike:
 * 7 um at 0.325 um/px -> 21.5 px (docs/units.md). */
double ns_diameter_px_of_um(double d_um, double um_per_px);

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
    int interrupted;              /* stopped by opt->stop before the end */
    size_t not_processed;         /* images neither done nor failed (interrupted) */
    ns_job_result *results;       /* owned; one per job, in job order */
} ns_batch_report;

/* Run the whole batch. Returns NS_OK when the batch ran (even if images failed:
 * see report->failed); an error only when it could not run at all. */
ns_status ns_batch_run(const ns_job_list *jobs, const ns_batch_options *opt,
                       ns_batch_report *report, ns_error *err);
void ns_batch_report_free(ns_batch_report *r);

/* Merged nucleus tables, one per well: OUT/<mag>/<well>/<well>_nuclei.csv, the rows of
 * the well's tiles that report says succeeded, in tile order, written atomically. A
 * well whose only tile is named like the well already has its table. */
ns_status ns_write_well_tables(const ns_job_list *jobs, const ns_batch_report *report,
                               const char *out_dir, ns_error *err);

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
