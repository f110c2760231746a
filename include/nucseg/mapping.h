/* mapping.h — find, for every 40X tile, the 10X tile it lies in and the affine
 * transform 40X px → 10X px, from nuclear centroids alone.
 *
 * Pipeline per 40X tile: Delaunay triangles of both point sets (qhull) → triangle
 * descriptors invariant to scale and rotation → nearest-descriptor candidate pairs
 * → RANSAC over candidate pairs (each gives an affine from 3 correspondences;
 * scale gate; score = fraction of 40X nuclei landing within tolerance of a 10X
 * nucleus) → best 10X tile → refinement on mutual-nearest-neighbour nucleus pairs
 * with ns_affine_fit (L-BFGS-B and Levenberg–Marquardt) → final matches.
 *
 * Point arrays are n pairs (x, y) interleaved in tile pixels; point i is nucleus
 * label i + 1 (the row order of *_nuclei_centroids_local.npy). */
#ifndef NUCSEG_MAPPING_H
#define NUCSEG_MAPPING_H

#include <stddef.h>
#include <stdint.h>
#include "nucseg/affine.h"
#include "nucseg/error.h"

/* ---- Delaunay triangulation ------------------------------------------------ */

typedef struct {
    int *v;        /* owned; 3 point indices per triangle */
    size_t count;  /* triangles */
} ns_triangulation;

/* Delaunay triangles of n points (qhull "d Qt Qbb Qc Qz"). Fewer than 3 points →
 * NS_ERR_EMPTY; a NaN/Inf coordinate, or all points collinear / coincident →
 * NS_ERR_INVALID. */
ns_status ns_delaunay(const double *xy, size_t n, ns_triangulation *out, ns_error *err);
void ns_triangulation_free(ns_triangulation *t);

/* ---- Tiles ----------------------------------------------------------------- */

typedef struct {
    char *stem;        /* owned; e.g. "Well1_Tile-2" */
    char *well;        /* owned */
    int magnification; /* 10 or 40 */
    int width, height; /* tile size in px */
    double *xy;        /* owned; n centroids (x, y) */
    size_t n;
    double diameter;   /* nuclear diameter the segmentation used, px (metadata "parameters"
                          "diameter_used"); 0 when unknown: then estimated from the points */
    int has_stage;     /* metadata gave "stage_x"/"stage_y" (µm or any common unit) */
    double stage_x, stage_y;
    ns_status status;  /* NS_OK, or why ns_tile_set_load could not read this tile (then n == 0) */
    char *error;       /* owned; that reason, naming the file; NULL when status is NS_OK */
} ns_tile_points;

typedef struct {
    ns_tile_points *tiles; /* owned */
    size_t count;
} ns_tile_set;

void ns_tile_points_free(ns_tile_points *t);
void ns_tile_set_free(ns_tile_set *s);

/* Load SEG_DIR/<mag>X/<well>/<stem>_nuclei_centroids_local.npy with the sibling
 * <stem>_metadata.json ("width", "height", "well"; optional "stage_x", "stage_y";
 * "nuclei", when present, must equal the .npy's row count). Either file must be a
 * regular file (a FIFO or a device fails its tile, without blocking).
 * Tiles are sorted by (well, stem). A missing <mag>X folder gives an empty set.
 * A tile whose files cannot be read (missing or invalid metadata, unreadable .npy,
 * a NaN/Inf coordinate: the tile is rejected, as dropping points would renumber labels)
 * stays in the set with status/error set and no points, so one bad tile does not
 * stop the others; only out of memory or an unlistable folder fail the load. */
ns_status ns_tile_set_load(const char *seg_dir, int magnification, ns_tile_set *out, ns_error *err);

/* ---- Mapping one 40X tile ---------------------------------------------------- */

typedef struct {
    double tolerance;         /* 10X px: a mapped 40X nucleus "lands" on a 10X one within this (3) */
    double scale_min, scale_max; /* accepted 10X px per 40X px (0.2, 0.3) */
    double min_score;         /* below: unmapped (0.3); the score counts the nuclei expected in the
                                 overlap (see ns_map_result.score), so a field half outside a tile
                                 can still reach it */
    int robust;               /* 1: Huber loss in the refinement (default), 0: plain L2 */
    uint64_t seed;            /* RANSAC sampling order (1) */
    int max_hypotheses;       /* per candidate 10X tile (50000) */
    double early_stop_score;  /* stop sampling a tile once a hypothesis scores this (0.8) */
    int neighbours;           /* 10X descriptors tried per 40X triangle (8) */
    double descriptor_radius; /* max descriptor distance of a candidate pair (0.03) */
    int max_rounds;           /* refinement rounds (re-match + refit) before giving up on
                                 convergence of the pair set (30) */
} ns_map_options;

void ns_map_options_default(ns_map_options *o);

typedef struct {
    int label_40x, label_10x;  /* 1-based */
    double x_40x, y_40x, x_10x, y_10x;
    double distance;           /* |T(p40) - p10| in 10X px */
} ns_point_match;

/* How far a placement of a 40X field in a 10X tile can be trusted. */
typedef enum {
    NS_MAP_UNMAPPED = 0,      /* no candidate reached min_score */
    NS_MAP_UNCERTAIN,         /* a transform, but the verification did not confirm it (see reason) */
    NS_MAP_OK                 /* verified: enough pairs, far above chance, corners well determined */
} ns_map_status;

const char *ns_map_status_name(ns_map_status s);

typedef struct {
    int mapped;               /* status == NS_MAP_OK */
    ns_map_status status;
    char reason[160];         /* why not ok ("" when ok) */
    long tile_10x;            /* index into the candidate array; -1 when no candidate scored */
    ns_affine t;              /* 40X px → 10X px: the plain least-squares fit of exactly `matches` */
    double rmsd;              /* over the final matches, 10X px */
    size_t inliers;           /* final matches (mutual nearest neighbours within tolerance) */
    double score;             /* final matches / nuclei expected in the overlap (the 40X nuclei
                                 away from the borders that land inside the 10X tile, times the
                                 10X/40X density ratio when the 40X tile has more), capped at 1 */
    double expected;          /* that denominator */
    double share;             /* fraction of the 40X field's area inside this 10X tile */
    int primary;              /* 1: the placement with the largest share of its 40X field */
    double tolerance_used;    /* final matching radius, 10X px (follows the measured residual,
                                 never above options.tolerance) */
    double chance_z;          /* matches above what chance gives at that radius, in SDs */
    double corner_se;         /* standard error of the worst corner under the fit, 10X px */
    int rounds;               /* refinement rounds run */
    int converged;            /* the pair set stopped changing */
    size_t border_excluded;   /* 40X nuclei left out of the fit as cut by the image border */
    double ransac_score;      /* best hypothesis score before refinement */
    long hypotheses;          /* affine hypotheses scored, over all candidates */
    double rmsd_lbfgsb, rmsd_lm; /* refinement RMSD of each optimizer (last round) */
    const char *optimizer;    /* which one was kept */
    ns_point_match *matches;  /* owned; inliers entries */
    double seconds;           /* wall time for this tile */
} ns_map_result;

void ns_map_result_free(ns_map_result *r);

/* Per-10X-tile search structures (triangles, descriptors, point grid): built once,
 * reused for every 40X tile. */
typedef struct ns_map_index ns_map_index;

ns_status ns_map_index_build(const ns_tile_points *tile_10x, const ns_map_options *o,
                             ns_map_index **out, ns_error *err);
void ns_map_index_free(ns_map_index *ix);

/* Map one 40X tile against candidate 10X tiles (indices built by ns_map_index_build
 * from candidates[i]). An unmapped tile is not an error: result->mapped == 0.
 * Errors: degenerate 40X input (< 3 points, collinear), invalid options, no memory.
 * result is the primary placement (largest share); see ns_map_tile_all for all. */
ns_status ns_map_tile(const ns_tile_points *tile_40x, const ns_tile_points *candidates,
                      ns_map_index *const *indices, size_t ncand, const ns_map_options *o,
                      ns_map_result *result, ns_error *err);

/* Mutual nearest neighbours between t(tile_40x points) and tile_10x points within
 * tolerance (10X px): the final matches ns_map_tile reports, for any transform.
 * *out is malloc'd (NULL when *count is 0). A NaN/Inf point or tolerance <= 0 →
 * NS_ERR_INVALID. */
ns_status ns_match_points(const ns_affine *t, const ns_tile_points *tile_40x, const ns_tile_points *tile_10x,
                          double tolerance, ns_point_match **out, size_t *count, ns_error *err);

/* Every placement of the 40X tile: one per candidate 10X tile it is verified to
 * overlap (status ok), primary (largest share) first; when none is ok, the single
 * best attempt (uncertain or unmapped). *out is malloc'd, *count >= 1; free each
 * with ns_map_result_free, then the array. */
ns_status ns_map_tile_all(const ns_tile_points *tile_40x, const ns_tile_points *candidates,
                          ns_map_index *const *indices, size_t ncand, const ns_map_options *o,
                          ns_map_result **out, size_t *count, ns_error *err);

/* ---- Ground truth (truth.json from `nucseg synth`) ----------------------------- */

typedef struct {
    int nucleus_id;
    double x, y, area;
} ns_truth_nucleus;

typedef struct {
    char *stem, *well;         /* owned */
    int magnification, width, height;
    int has_to_well;
    ns_affine to_well;         /* tile px → well coordinates (10X px units) */
    char *nuclei_csv;          /* owned; absolute or relative to the truth.json folder */
    ns_truth_nucleus *nuclei;  /* owned; loaded lazily by ns_truth_tile_nuclei */
    size_t n_nuclei;
    int loaded;
} ns_truth_tile;

typedef struct {
    char *stem_40x, *stem_10x, *well; /* owned */
    ns_affine t;               /* 40X px → 10X px */
} ns_truth_pair;

typedef struct {
    char *dir;                 /* owned; folder of truth.json */
    ns_truth_tile *tiles; size_t n_tiles;
    ns_truth_pair *pairs; size_t n_pairs;
} ns_truth;

ns_status ns_truth_load(const char *path, ns_truth *out, ns_error *err);
void ns_truth_free(ns_truth *t);
const ns_truth_tile *ns_truth_find_tile(const ns_truth *t, const char *stem);
const ns_truth_pair *ns_truth_find_pair(const ns_truth *t, const char *stem_40x);
/* Read the tile's nuclei_csv (label,nucleus_id,centroid_x,centroid_y,area) once. */
ns_status ns_truth_tile_nuclei(ns_truth *t, ns_truth_tile *tile, ns_error *err);

/* Per-40X-tile evaluation against the truth. */
typedef struct {
    int has_truth;             /* the tile is in truth.json "pairs" */
    char true_tile_10x[256];   /* stem of the true 10X tile */
    int tile_correct;          /* mapped to the true 10X tile */
    double corner_error_px;    /* max over the 4 corner pixels, 10X px (well coordinates when the
                                  predicted tile differs); NAN when unmapped */
    size_t matches, correct_matches; /* precision = correct_matches / matches; matches counts
                                        the final matches only when truth lists the nuclei of
                                        both tiles (otherwise none can be judged) */
    size_t truth_pairs, recovered_pairs; /* recall = recovered_pairs / truth_pairs (<= 1) */
} ns_map_eval;

/* corner error + match precision/recall. A predicted match (i, j) is correct when the
 * truth nucleus nearest to i (within 0.5 diameter, in the 40X tile) and the one nearest
 * to j (in the 10X tile) share nucleus_id. truth_pairs counts nucleus_ids that a
 * detected centroid hits (same rule) in both the 40X tile and its true 10X tile;
 * recovered_pairs counts those of them that some correct match has. */
ns_status ns_map_evaluate(ns_truth *truth, const ns_tile_points *tile_40x, const ns_tile_points *tile_10x_pred,
                          const ns_tile_points *tile_10x_true, const ns_map_result *r,
                          ns_map_eval *out, ns_error *err);

/* ---- Whole data set + writers -------------------------------------------------- */

/* A further 10X tile that a 40X field straddles into (beyond the row's primary one). */
typedef struct {
    const ns_tile_points *tile_10x;  /* borrowed */
    ns_map_result result;            /* owned */
    ns_map_eval eval;                /* when truth was given */
} ns_map_placement;

typedef struct {
    const ns_tile_points *tile_40x;  /* borrowed from the report's tile set */
    const ns_tile_points *tile_10x;  /* best candidate (borrowed); NULL when none scored */
    ns_map_result result;            /* owned */
    ns_status status;                /* NS_OK, or why this tile could not be mapped at all */
    char error[NS_ERROR_MAX];
    ns_map_eval eval;                /* when truth was given */
    ns_map_placement *extra;         /* owned; further verified tiles of a straddling field */
    size_t n_extra;
} ns_map_row;

typedef struct {
    ns_tile_set tiles_10x, tiles_40x; /* owned; unreadable tiles keep status/error (see ns_tile_set_load) */
    size_t unreadable_10x, unreadable_40x; /* tiles whose files could not be read */
    ns_map_row *rows; size_t count;   /* one per 40X tile, sorted by (well, stem) */
    size_t mapped;
    double median_rmsd;               /* over mapped tiles; NAN when none */
    int with_truth;
    size_t tiles_with_truth, tiles_correct;
    double max_corner_error_px;       /* over tiles with truth; INFINITY if one is unmapped */
    size_t matches, correct_matches, truth_pairs, recovered_pairs;
    double seconds;
} ns_map_report;

/* Load SEG_DIR, map every 40X tile against the 10X tiles of its well, and evaluate
 * against truth_path when it is not NULL. A tile that cannot be mapped is a row
 * with mapped == 0 (and status/error when its input was unusable, its files
 * unreadable included), not a failure; an unreadable 10X tile is no candidate.
 * Fails when there is no 40X or no 10X tile at all (NS_ERR_EMPTY), when no 40X
 * or no 10X tile is readable, on an unreadable truth file, and on out of memory. */
ns_status ns_map_dataset(const char *seg_dir, const char *truth_path, const ns_map_options *o,
                         ns_map_report *rep, ns_error *err);
void ns_map_report_free(ns_map_report *r);

/* Writes MAP_DIR/mapping.csv (one row per 40X field x 10X tile it maps to, with the
 * overlap share and primary = 1 on the largest), matches.csv and mapping_summary.json
 * (atomically). */
ns_status ns_map_write(const char *map_dir, const ns_map_report *rep, const ns_map_options *o,
                       ns_error *err);

#endif
