/* mapping_internal.h — pieces shared by the mapping sources: a uniform-grid point
 * hash, triangle descriptors and the per-10X-tile search index. */
#ifndef NUCSEG_MAPPING_INTERNAL_H
#define NUCSEG_MAPPING_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "nucseg/rng.h"
#include "nucseg/mapping.h"

/* Uniform grid over a point set's bounding box: O(1) "is there a point near (x, y)". */
typedef struct {
    const double *xy;  /* borrowed */
    size_t n;
    double x0, y0, cell;
    int nx, ny;
    int *start;        /* owned; nx*ny + 1 offsets into idx */
    int *idx;          /* owned; point indices bucketed by cell */
} ns_point_grid;

ns_status ns_point_grid_build(ns_point_grid *g, const double *xy, size_t n, double cell, ns_error *err);
void ns_point_grid_free(ns_point_grid *g);
/* Index of the point nearest (x, y) within radius r, or -1; *d2 gets its squared distance. */
long ns_point_grid_nearest(const ns_point_grid *g, double x, double y, double r, double *d2);

/* A triangle described up to scale and rotation: side lengths sorted s0 <= s1 <= s2,
 * descriptor (s0/s2, s1/s2); v[k] is the vertex opposite side k, so two matched
 * triangles give the vertex correspondences v[0]↔v[0], v[1]↔v[1], v[2]↔v[2]. */
typedef struct {
    float r0, r1;      /* s0/s2, s1/s2 */
    float longest;     /* s2, px */
    int v[3];
} ns_tri_desc;

/* Descriptors of a triangulation's well-shaped triangles (slivers are dropped:
 * their vertex order and affine are unstable). *out is malloc'd. */
ns_status ns_tri_descriptors(const double *xy, const ns_triangulation *tri, ns_tri_desc **out,
                             size_t *count, ns_error *err);

/* Grid over descriptor space [0,1]^2 for k-nearest lookups within a radius. */
typedef struct {
    const ns_tri_desc *d; /* borrowed */
    size_t n;
    double cell;
    int side;
    int *start, *idx;     /* owned */
} ns_desc_grid;

ns_status ns_desc_grid_build(ns_desc_grid *g, const ns_tri_desc *d, size_t n, double radius, ns_error *err);
void ns_desc_grid_free(ns_desc_grid *g);
/* Up to k nearest descriptors to q within the grid radius, nearest first; returns the count. */
int ns_desc_grid_knn(const ns_desc_grid *g, const ns_tri_desc *q, int k, int *out_idx, float *out_dist);

struct ns_map_index {
    const ns_tile_points *tile; /* borrowed */
    ns_point_grid points;       /* cell = tolerance */
    ns_tri_desc *desc;          /* owned */
    size_t ndesc;
    ns_desc_grid dgrid;
    int usable;                 /* >= 3 non-collinear points: has triangles */
    double border;              /* depth of the band of nuclei cut by the tile border, px */
};

/* Depth of the band along a tile's border where nuclei are cut by it (their centroids
 * biased inwards): 0.6 of the segmentation's diameter, or of half the median
 * nearest-neighbour distance when the metadata does not give the diameter. */
double ns_border_band(const ns_tile_points *t);
/* 1 when (x, y) lies at least `band` px inside a w x h tile. */
static inline int ns_inside_tile(double x, double y, double w, double h, double band)
{
    return x >= band && y >= band && x <= w - 1 - band && y <= h - 1 - band;
}

/* 10X nuclei per 40X nucleus expected over the same area under T, capped at 1: the
 * fraction of a 40X tile's nuclei that can have a 10X partner (< 1 when the 40X tile
 * has spurious points). */
double ns_density_ratio(const ns_affine *t, const ns_tile_points *t40, const ns_tile_points *t10);

/* Affine mapping three source points exactly onto three destination points;
 * 0 when the source triangle is degenerate. */
int ns_affine_from_3(const double s[6], const double d[6], ns_affine *t);

/* RANSAC over triangle pairs of one 40X tile against one 10X index. */
typedef struct {
    ns_affine t;
    double score;     /* fraction of 40X points within tolerance */
    long hypotheses;  /* scored (passed the scale gate) */
} ns_ransac_result;

/* Fewest nuclei an overlap is scored against: below, a few chance hits would score high. */
#define MIN_EXPECTED 8

/* Both singular values of T's linear part within [lo, hi], no reflection. */
int ns_affine_scale_ok(const ns_affine *t, double lo, double hi);

/* LO-RANSAC: refit a hypothesis by least squares on the 40X nuclei it lands within
 * tolerance (twice) and keep it when the overlap score rises; returns the score.
 * src, dst: room for 2 * t40->n doubles each. */
double ns_ransac_local_optimise(ns_affine *t, double score, const ns_tile_points *t40, const ns_map_index *ix,
                                const ns_map_options *o, double *src, double *dst);

/* The fallback hypothesis search for what triangle descriptors miss (a 40X tile much
 * sparser than the 10X one, so its Delaunay triangles are no 10X triangles; jitter
 * that scrambles small triangles' shapes): wide 40X triangles (p, q, r); every 10X pair
 * (a, b) at a distance the scale range allows proposes the similarity p->a, q->b,
 * kept when r lands on a 10X nucleus; scored like RANSAC, with LO. Seeded. */
ns_status ns_pair_search_tile(const ns_tile_points *t40, const ns_map_index *ix, const ns_map_options *o,
                              ns_ransac_result *out, ns_error *err);

ns_status ns_ransac_tile(const ns_tile_points *t40, const ns_tri_desc *d40, size_t nd40,
                         const ns_map_index *ix, const ns_map_options *o, ns_ransac_result *out,
                         ns_error *err);

/* Fraction of the n points that T maps within tolerance of a grid point. */
double ns_map_score(const ns_affine *t, const double *xy, size_t n, const ns_point_grid *g, double tol);

/* Hits of T(xy) within tol of a 10X nucleus over the nuclei expected there: those of
 * xy landing inside the 10X tile times `ratio` (ns_density_ratio), at least `floor`;
 * capped at 1. A field partly outside the tile is not penalised for the part outside. */
double ns_overlap_score(const ns_affine *t, const double *xy, size_t n, const ns_map_index *ix, double tol,
                        double ratio, double floor, size_t *hits);

/* Mutual nearest neighbours between T(40X points) and the 10X points within tol.
 * *out is malloc'd (may be NULL when count is 0). */
ns_status ns_mutual_matches(const ns_affine *t, const ns_tile_points *t40, const ns_tile_points *t10,
                            const ns_point_grid *g10, double tol, ns_point_match **out, size_t *count,
                            ns_error *err);

/* Refine T to convergence: re-match (mutual nearest neighbours, nuclei in either
 * tile's border band left out) and refit until the pair set stops changing, the
 * matching radius following the measured residual (3 sigma, at most o->tolerance);
 * rounds use o's loss, then plain least squares until the set is stable again. The
 * result's t is the least-squares fit of exactly r->matches. Fills t, rmsd, inliers,
 * matches, rmsd_lbfgsb, rmsd_lm, optimizer, rounds, converged, tolerance_used,
 * border_excluded. band40: the 40X tile's border band (ns_border_band). */
ns_status ns_map_refine(const ns_tile_points *t40, double band40, const ns_map_index *ix, const ns_affine *start,
                        const ns_map_options *o, ns_map_result *r, ns_error *err);

/* Verification of a refined placement: score, expected, share, chance_z, corner_se,
 * then status ok or uncertain with the reason. Does not depend on o->tolerance beyond
 * the radius the refinement used, so no option can turn a chance alignment into ok. */
void ns_map_verify(const ns_tile_points *t40, double band40, const ns_map_index *ix, const ns_map_options *o,
                   ns_map_result *r);

/* Deterministic sampling orders (rng.h). */
static inline uint64_t ns_map_rng_next(uint64_t *s)
{
    return ns_splitmix64(s);
}

#endif
