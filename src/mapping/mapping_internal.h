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
};

/* Affine mapping three source points exactly onto three destination points;
 * 0 when the source triangle is degenerate. */
int ns_affine_from_3(const double s[6], const double d[6], ns_affine *t);

/* RANSAC over triangle pairs of one 40X tile against one 10X index. */
typedef struct {
    ns_affine t;
    double score;     /* fraction of 40X points within tolerance */
    long hypotheses;  /* scored (passed the scale gate) */
} ns_ransac_result;

ns_status ns_ransac_tile(const ns_tile_points *t40, const ns_tri_desc *d40, size_t nd40,
                         const ns_map_index *ix, const ns_map_options *o, ns_ransac_result *out,
                         ns_error *err);

/* Fraction of the n points that T maps within tolerance of a grid point. */
double ns_map_score(const ns_affine *t, const double *xy, size_t n, const ns_point_grid *g, double tol);

/* Mutual nearest neighbours between T(40X points) and the 10X points within tol.
 * *out is malloc'd (may be NULL when count is 0). */
ns_status ns_mutual_matches(const ns_affine *t, const ns_tile_points *t40, const ns_tile_points *t10,
                            const ns_point_grid *g10, double tol, ns_point_match **out, size_t *count,
                            ns_error *err);

/* Refine T on mutual matches (both optimizers), re-match once; fills result fields
 * t, rmsd, inliers, score, matches, rmsd_lbfgsb, rmsd_lm, optimizer. */
ns_status ns_map_refine(const ns_tile_points *t40, const ns_map_index *ix, const ns_affine *start,
                        const ns_map_options *o, ns_map_result *r, ns_error *err);

/* Deterministic sampling orders (rng.h). */
static inline uint64_t ns_map_rng_next(uint64_t *s)
{
    return ns_splitmix64(s);
}

#endif
