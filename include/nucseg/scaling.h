/* scaling.h — the scaling benchmark behind `nucseg bench`: real segmentation of a batch
 * through a sequential in-process loop and through the worker pool at several worker
 * counts, repeated; derived speedups, efficiencies, serial-fraction estimates
 * (Karp–Flatt, Amdahl) and a worker-count recommendation; CSV, JSON, text, plots and
 * an HTML page.
 *
 * Split so the arithmetic can be tested without timing anything: ns_scaling_run
 * measures, ns_scaling_derive turns wall times into every derived figure, and
 * ns_recommend_workers is a pure function of throughputs. */
#ifndef NUCSEG_SCALING_H
#define NUCSEG_SCALING_H

#include <stddef.h>
#include <stdint.h>
#include "nucseg/batch.h"
#include "nucseg/error.h"
#include "nucseg/stats.h"

/* Throughput within this fraction of the best counts as "as good" (3%). */
#define NS_SCALING_DEFAULT_TOLERANCE 0.03
#define NS_SCALING_MAX_SIZES 16

/* ---- recommendation (pure) ---- */

typedef enum {
    NS_REC_ALL_CPUS = 0,       /* recommended == usable CPUs */
    NS_REC_CPUS_MINUS_ONE,     /* usable CPUs - 1 */
    NS_REC_FEWER,              /* fewer than usable CPUs - 1 */
    NS_REC_OVERSUBSCRIBED      /* more workers than usable CPUs */
} ns_rec_relation;

const char *ns_rec_relation_name(ns_rec_relation r); /* "all CPUs", "CPUs-1", ... */

typedef struct {
    int workers;
    double images_per_s; /* median throughput; <= 0 or NAN: not measured (ignored) */
} ns_worker_throughput;

typedef struct {
    int recommended;                 /* worker count to use */
    double recommended_images_per_s;
    int best;                        /* worker count with the highest throughput */
    double best_images_per_s;
    double sequential_images_per_s;  /* as given (NAN if not measured) */
    double tolerance;
    int usable_cpus;
    ns_rec_relation relation;
    char text[2048];                 /* the reasoning, in plain sentences */
} ns_recommendation;

/* The recommended worker count is the smallest measured count whose throughput is
 * within `tolerance` (e.g. 0.03) of the best one. `sequential_images_per_s` (NAN when
 * not measured) and `usable_cpus` only shape the explanation. Errors: NS_ERR_EMPTY when
 * nothing was measured, NS_ERR_INVALID for worker counts < 1, duplicates, usable_cpus < 1
 * or a tolerance outside [0, 1). */
ns_status ns_recommend_workers(const ns_worker_throughput *m, size_t n, double sequential_images_per_s,
                               int usable_cpus, double tolerance, ns_recommendation *out, ns_error *err);

/* Across MPI ranks (`nucseg bench` under mpirun): the fewest workers in all (ranks x
 * workers per rank) whose throughput is within `tolerance` of the best; ties go to fewer
 * ranks (fewer nodes to ask for). Pure, like ns_recommend_workers. */
typedef struct {
    int ranks, workers;  /* workers per rank */
    double images_per_s; /* median; <= 0 or NAN: not measured (ignored) */
} ns_rank_throughput;

typedef struct {
    int ranks, workers;              /* recommended: ranks x workers per rank */
    double images_per_s;
    int best_ranks, best_workers;    /* highest throughput */
    double best_images_per_s;
    double tolerance;
    char text[1024];
} ns_rank_recommendation;

/* Errors: NS_ERR_EMPTY when nothing was measured, NS_ERR_INVALID for counts < 1,
 * a (ranks, workers) pair given twice or a tolerance outside [0, 1). */
ns_status ns_recommend_ranks(const ns_rank_throughput *m, size_t n, double tolerance, ns_rank_recommendation *out,
                             ns_error *err);

/* ---- measurements and derived figures ---- */

typedef enum { NS_SWEEP_WORKERS = 0, NS_SWEEP_SIZE = 1 } ns_sweep;

/* One configuration (a mode at one worker count and image size), aggregated over repeats. */
typedef struct {
    ns_sweep sweep;
    int sequential;          /* 1: in-process loop over ns_process_image, no pool */
    int ranks;               /* MPI ranks that ran it (0: one process, no MPI) */
    int workers;             /* pool workers, per rank under MPI (1 for the sequential loop) */
    int width, height;       /* image size; 0 x 0 when the inputs differ in size */
    size_t images;
    double megapixels;       /* summed over the batch */
    int repeats;
    double *wall_s;          /* owned; one per repeat */
    double *cpu_s;           /* owned; user+sys of the processes doing the work, per repeat */
    double *background_cpus; /* owned; CPUs kept busy by other processes during each repeat */
    double peak_rss_mb;      /* largest peak RSS of one worker (or of the sequential process) */
    double image_ms_median;  /* per-image time inside the worker, median over images and repeats */
    size_t nuclei;           /* found in the last repeat */
    size_t failed;           /* failed images, summed over repeats */

    /* derived by ns_scaling_derive: */
    ns_summary wall;               /* over repeats */
    double ips_median, ips_min, ips_max;
    double speedup_seq;            /* t(sequential) / t(this), medians */
    double speedup_seq_lo, speedup_seq_hi; /* t(seq median) / t(max), / t(min) */
    double speedup_1;              /* t(1 worker) / t(this), medians; same size (1 rank x 1 worker) */
    double efficiency;             /* speedup_seq / workers in all (ranks x workers) */
    double efficiency_1;           /* speedup_1 / workers in all */
    double cpu_utilisation;        /* median over repeats of cpu_s / (wall_s * workers in all) */
    double background_cpus_median;
    double karp_flatt;             /* from speedup_seq; NAN for 1 worker */
} ns_scaling_row;

typedef struct {
    int cpus_online;          /* sysconf(_SC_NPROCESSORS_ONLN) */
    int usable_cpus;          /* ns_usable_cpus(): affinity and cgroup quota */
    char machine[256];        /* uname: sysname release machine */
    char hostname[128];
    char cpu_model[256];      /* /proc/cpuinfo "model name" */
    double mem_total_gb;
    double load_start[3], load_end[3]; /* /proc/loadavg before and after */
    char threads_env_user[512]; /* the user's OMP/OPENBLAS/MKL settings before nucseg reset them */
    char started_at[32];      /* ISO 8601 UTC */
    double generation_s;      /* synthetic inputs (excluded from every timing) */
    double total_s;
} ns_scaling_env;

typedef struct {
    ns_scaling_row *rows;     /* owned */
    size_t count, cap;
    int main_width, main_height; /* image size of the worker sweep (0 when mixed) */
    int best_workers;         /* after derive: worker count with the best median throughput */
    int amdahl_ok;
    ns_amdahl_fit_result amdahl; /* fitted on the worker sweep, n <= usable CPUs */
    ns_recommendation rec;   /* worker count, from the rows of one rank (or one process) */
    int rec_ok;
    int mpi_ranks;            /* 0: one process; R: measured under mpirun over 1..R ranks */
    ns_rank_recommendation rank_rec; /* under MPI: ranks x workers */
    int rank_rec_ok;
    ns_scaling_env env;
    char input_desc[1024];    /* what was segmented, in words */
} ns_scaling_result;

/* Append a row (copies the scalar fields; takes ownership of the three arrays). */
ns_status ns_scaling_add_row(ns_scaling_result *r, const ns_scaling_row *row, ns_error *err);
void ns_scaling_result_free(ns_scaling_result *r);

/* Fill every derived field of every row, the Amdahl fit, best_workers and the
 * recommendation, from the per-repeat wall and CPU times. Speedups compare rows of
 * the same sweep and image size. Pure: no clock, no files. */
ns_status ns_scaling_derive(ns_scaling_result *r, double tolerance, ns_error *err);

/* Worker counts to measure: 1, 2, 4, … (powers of two), usable_cpus − 1, usable_cpus
 * and max_workers, each <= max_workers and <= images, ascending, without duplicates.
 * Returns how many were written to out (at most cap). */
size_t ns_scaling_worker_counts(int usable_cpus, int max_workers, size_t images, int *out, size_t cap);

/* Workers in all of a row: ranks x workers per rank (workers alone without MPI). */
int ns_scaling_total_workers(const ns_scaling_row *row);

/* ---- running it ---- */

/* Runs one timed batch over several MPI ranks, for `nucseg bench` under mpirun. The
 * distributed layer provides it (src/dist/bench.c), so this library knows nothing of MPI. */
typedef struct {
    int size; /* ranks available: the sweep measures 1..size ranks */
    /* The batch over the first `ranks` ranks with `workers` pool workers each, through the
     * MPI dispatcher; rep: the whole batch's report (per-job results, ok, failed, nuclei,
     * the workers' CPU time, peak RSS), as ns_batch_run's. */
    ns_status (*run)(void *ctx, const ns_job_list *jobs, const ns_batch_options *opt, int ranks, int workers,
                     ns_batch_report *rep, ns_error *err);
    void *ctx;
} ns_scaling_ranks;

typedef struct {
    const char *data_dir;     /* NULL: synthetic fields into OUT/inputs/ */
    const char *out_dir;
    int images;               /* synthetic: fields per size (default 24) */
    int width, height;        /* synthetic: worker-sweep image size (1024 x 1024) */
    double density;           /* synthetic: fraction of the area covered by nuclei */
    double diameter;          /* nuclear diameter in px, for synthesis and segmentation */
    int repeats;              /* per configuration (default 3) */
    int max_workers;          /* 0: usable CPUs, or 2x when oversubscribe */
    int oversubscribe;
    int sizes[NS_SCALING_MAX_SIZES]; /* image-size sweep (square widths); nsizes == 0: none */
    size_t nsizes;
    uint64_t seed;
    double tolerance;         /* for the recommendation (0.03) */
    int progress;             /* print one line per configuration to stdout */
    const ns_scaling_ranks *ranks; /* NULL: one process; else every pool run goes over ranks */
} ns_scaling_options;

void ns_scaling_options_default(ns_scaling_options *o);

/* The batch options of every timed run (outputs into `scratch`, OUT/scratch), so that the
 * other MPI ranks segment exactly as rank 0 asks. */
void ns_scaling_batch_options(const ns_scaling_options *o, const char *scratch, ns_batch_options *out);

/* Measure everything (inputs, worker sweep, size sweep), then derive. Outputs of each
 * timed run go to OUT/scratch/ and are deleted between runs. */
ns_status ns_scaling_run(const ns_scaling_options *o, ns_scaling_result *r, ns_error *err);

/* Environment: CPU count online, machine, CPU model, memory, load average, start time
 * (usable_cpus is left to the caller: it comes from the batch layer). */
void ns_scaling_env_capture(ns_scaling_env *env);
/* Load average at the end. */
void ns_scaling_env_finish(ns_scaling_env *env);
/* Set OMP/OPENBLAS/MKL/… thread counts to 1 for this process and its workers,
 * remembering the user's values in env->threads_env_user. */
void ns_scaling_single_thread_env(ns_scaling_env *env);

/* ---- writing it ---- */

/* OUT/segmentation_benchmark.csv, OUT/segmentation_benchmark_summary.json,
 * OUT/recommendation.txt, plots OUT/<name>.png/.svg and OUT/report.html. */
ns_status ns_scaling_write_csv(const char *path, const ns_scaling_result *r, ns_error *err);
ns_status ns_scaling_write_json(const char *path, const ns_scaling_options *o,
                                const ns_scaling_result *r, ns_error *err);
/* The recommendation and the headline figures as plain sentences (malloc'd). */
char *ns_scaling_recommendation_text(const ns_scaling_result *r);
ns_status ns_scaling_write_recommendation(const char *path, const ns_scaling_result *r, ns_error *err);
ns_status ns_scaling_write_plots(const char *out_dir, const ns_scaling_result *r, ns_error *err);
ns_status ns_scaling_write_html(const char *path, const ns_scaling_options *o,
                                const ns_scaling_result *r, ns_error *err);
/* All of the above into out_dir. */
ns_status ns_scaling_write_all(const char *out_dir, const ns_scaling_options *o,
                               const ns_scaling_result *r, ns_error *err);

/* Names of the plot files written by ns_scaling_write_plots (without extension), NULL-terminated. */
extern const char *const ns_scaling_plot_names[];
/* And those written only under MPI (scaling over ranks). */
extern const char *const ns_scaling_rank_plot_names[];

#endif
