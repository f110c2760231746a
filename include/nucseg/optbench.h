/* optbench.h — the optimizer benchmark behind `nucseg bench-opt`: L-BFGS-B against
 * Levenberg–Marquardt on the nucleus pairs of mapped 40X/10X tiles.
 *
 * For each mapped pair the closed-form least-squares fit is the reference optimum;
 * each method then starts from the mapping's transform perturbed by a growing amount
 * (trial k) and is scored on whether it reaches that optimum (RMSD within
 * NS_OPTBENCH_SUCCESS_REL relative), how fast, in how many iterations, and, with the
 * truth, how far its transform lies from the true one at the tile corners.
 * Inputs: mapping.csv and matches.csv as `nucseg map` writes them. */
#ifndef NUCSEG_OPTBENCH_H
#define NUCSEG_OPTBENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "nucseg/affine.h"
#include "nucseg/error.h"

#define NS_OPTBENCH_SUCCESS_REL 1e-6
#define NS_OPTBENCH_METHODS 2 /* ns_optimizer 0 .. 1 */

/* One mapped tile pair and its matched nuclei. */
typedef struct {
    char *tile_40x, *tile_10x, *well; /* owned */
    ns_affine mapped;                 /* transform from mapping.csv */
    double *src, *dst;                /* owned: 40X xy, 10X xy */
    size_t n, cap;
    int has_truth;
    ns_affine truth;
    double width, height;             /* 40X tile size (from truth.json), 0 when unknown */
} ns_optbench_pair;

typedef struct {
    ns_optbench_pair *items;
    size_t count, cap;
} ns_optbench_pairs;

/* The pairs with status "ok" in mapping_csv and their matches from matches_csv, and
 * with truth_json (may be NULL) the true transform of each rightly mapped pair.
 * On failure *out holds what was read (free it either way). */
ns_status ns_optbench_load(const char *mapping_csv, const char *matches_csv, const char *truth_json,
                           ns_optbench_pairs *out, ns_error *err);
void ns_optbench_pairs_free(ns_optbench_pairs *l);

/* One fit: a method from one start (trial) on one pair. */
typedef struct {
    int method, trial, pair;
    double scale_pct, rot_deg, trans_px;
    double rmsd, cf_rmsd, rel_diff, time_us;
    size_t scratch_bytes;
    long maxrss_kb;
    int iterations, nfev, njev, converged, success, ok;
    double param_dist, true_corner_err, cf_true_corner_err;
} ns_optbench_record;

typedef struct {
    int trials, iterations; /* starts per pair; iteration limit per fit */
    uint64_t seed;
    FILE *log;              /* a line per failed fit, each starting with log_prefix (NULL: none) */
    const char *log_prefix;
} ns_optbench_options;

typedef struct {
    ns_optbench_record *records; /* owned */
    size_t count;
    size_t failed, benchmarked;  /* pairs with a failed fit; pairs with every fit done */
} ns_optbench_result;

/* Every fit of every pair. A pair whose fit fails is counted in failed (and logged);
 * the others go on. Fails only when out of memory. */
ns_status ns_optbench_run(const ns_optbench_pairs *pairs, const ns_optbench_options *opt,
                          ns_optbench_result *out, ns_error *err);
void ns_optbench_result_free(ns_optbench_result *r);

/* Figures over a subset of records (one method, optionally one well or one trial). */
typedef struct {
    size_t fits, successes, with_truth;
    double success_rate, median_rmsd, median_time_us, p90_time_us, median_iterations;
    double mean_true_corner_err, median_rel_diff;
} ns_optbench_stats;

/* well NULL: every well; trial < 0: every trial. */
ns_status ns_optbench_subset_stats(const ns_optbench_result *r, const ns_optbench_pairs *pl, int method,
                                   const char *well, int trial, ns_optbench_stats *s, ns_error *err);

/* OUT/optimizer_benchmark.csv, _summary.csv (by well and method), _overall.csv,
 * optimizer_benchmark.json and {rmsd,time,success}_vs_perturbation.{png,svg}; the
 * figures of each method over everything into overall. map_dir and truth_json are
 * recorded in the JSON as given (truth_json may be NULL). */
ns_status ns_optbench_write(const char *out, const ns_optbench_pairs *pl, const ns_optbench_result *r,
                            const ns_optbench_options *opt, const char *map_dir, const char *truth_json,
                            ns_optbench_stats overall[NS_OPTBENCH_METHODS], ns_error *err);

#endif
