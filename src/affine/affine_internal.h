/* affine_internal.h — what the affine fitters share: a normalising frame that
 * centres both point sets and scales them to unit RMS radius, so the six
 * parameters have comparable magnitudes (a well-conditioned problem whatever
 * the pixel units), and the robust loss. Private to src/affine/. */
#ifndef NUCSEG_AFFINE_INTERNAL_H
#define NUCSEG_AFFINE_INTERNAL_H

#include <stddef.h>
#include <string.h>
#include "nucseg/affine.h"

/* Two doubles in one SSE2 register (GCC / Clang vector extension): one (x, y) point.
 * The O(n) passes over interleaved points work on whole points this way; plain C
 * reductions would stay scalar, since -O3 without -ffast-math may not reorder sums. */
typedef double ns_v2d __attribute__((vector_size(16)));
static inline ns_v2d ns_v2d_load(const double *p)
{
    ns_v2d v;
    memcpy(&v, p, sizeof v); /* an unaligned load */
    return v;
}

/* u = (src - sc) / ss, U = (dst - dc) / sd. */
typedef struct {
    double scx, scy, ss;
    double dcx, dcy, sd;
} ns_affine_frame;

/* Centroids and RMS radii (1 when a set is a single point repeated). */
void ns_affine_frame_init(ns_affine_frame *fr, const double *src, const double *dst, size_t n);
/* Normalised copies: u and U each hold 2n doubles. */
void ns_affine_frame_points(const ns_affine_frame *fr, const double *src, const double *dst,
                            size_t n, double *u, double *U);
/* Parameters p = (a, b, tx, c, d, ty) of the normalised problem <-> the pixel transform. */
void ns_affine_frame_to_params(const ns_affine_frame *fr, const ns_affine *t, double p[6]);
void ns_affine_frame_from_params(const ns_affine_frame *fr, const double p[6], ns_affine *t);
/* Factor k with p_linear = k * t_linear (bounds on a, b, c, d map through it). */
double ns_affine_frame_linear_factor(const ns_affine_frame *fr);

/* Huber: rho(e) = e^2/2 for e <= delta, delta (e - delta/2) beyond. */
static inline double ns_huber_rho(double e, double delta)
{
    return e <= delta ? 0.5 * e * e : delta * (e - 0.5 * delta);
}

/* Objective (1/n) sum rho(|r_i|) over normalised points, and its gradient g (may be NULL).
 * L2: rho = e^2/2. delta is in normalised units. */
double ns_affine_objective(const double p[6], const double *u, const double *U, size_t n,
                           ns_loss loss, double delta, double g[6]);

/* Sufficient statistics of the plain least-squares problem in the frame (affine_moments.c):
 * with w = (u, v, 1), M = sum w w^T, v[r] = sum w U_r, c[r] = sum U_r^2 (r = 0: x, 1: y);
 * and their QR reduction M = R^T R (R upper triangular), R^T z[r] = v[r], rho[r]^2 =
 * c[r] - ||z[r]||^2, so that row r's sum of squared residuals over the n pairs is
 * ||R theta - z[r]||^2 + rho[r]^2 for every theta = (a, b, tx) or (c, d, ty). */
typedef struct {
    ns_affine_frame fr;
    size_t n;
    double M[3][3], v[2][3], c[2];
    double R[3][3], z[2][3], rho[2];
} ns_affine_moments;

/* Pass 1: centroids c = (src x, src y, dst x, dst y). 0 when a coordinate is NaN or
 * infinite (or the sums overflow): the caller then looks for the culprit. */
int ns_affine_centroids(const double *src, const double *dst, size_t n, double c[4]);
/* Pass 2: the frame, the moments about the centroids c, and their reduction. 0 when a
 * sum overflows or the source points are (nearly) collinear: use the per-pair path. */
int ns_affine_moments_init(ns_affine_moments *m, const double *src, const double *dst, size_t n,
                           const double c[4]);
/* ns_affine_objective for NS_LOSS_L2 (value and gradient g, may be NULL), in O(1). */
double ns_affine_moments_objective(const ns_affine_moments *m, const double p[6], double g[6]);

/* How the plain least-squares objective is evaluated. Huber is always per pair. */
typedef enum {
    NS_EVAL_MOMENTS = 0,  /* from ns_affine_moments: O(n) once, O(1) per evaluation (default) */
    NS_EVAL_PER_PAIR = 1  /* residual by residual, O(n) per evaluation (the reference path) */
} ns_affine_eval;

/* ns_affine_fit with the evaluation chosen (tests and bench compare the two paths). */
ns_status ns_affine_fit_eval(ns_optimizer method, ns_affine_eval eval, const double *src,
                             const double *dst, size_t n, const ns_affine *init,
                             const ns_fit_options *opt, ns_fit_result *out, ns_error *err);

/* Method entry points, called by ns_affine_fit with validated arguments and n >= 3.
 * mom: the moments of an NS_LOSS_L2 problem (evaluate from them), or NULL (per pair). */
ns_status ns_fit_lbfgsb(const double *src, const double *dst, size_t n, const ns_affine *init,
                        const ns_fit_options *opt, const ns_affine_moments *mom,
                        ns_fit_result *out, ns_error *err);
ns_status ns_fit_lm(const double *src, const double *dst, size_t n, const ns_affine *init,
                    const ns_fit_options *opt, const ns_affine_moments *mom,
                    ns_fit_result *out, ns_error *err);

#endif
