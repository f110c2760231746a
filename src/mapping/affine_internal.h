/* affine_internal.h — what the affine fitters share: a normalising frame that
 * centres both point sets and scales them to unit RMS radius, so the six
 * parameters have comparable magnitudes (a well-conditioned problem whatever
 * the pixel units), and the robust loss. Private to src/mapping/affine*.c, fit_*.c. */
#ifndef NUCSEG_AFFINE_INTERNAL_H
#define NUCSEG_AFFINE_INTERNAL_H

#include <stddef.h>
#include "nucseg/affine.h"

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

/* Method entry points, called by ns_affine_fit with validated arguments and n >= 3. */
ns_status ns_fit_lbfgsb(const double *src, const double *dst, size_t n, const ns_affine *init,
                        const ns_fit_options *opt, ns_fit_result *out, ns_error *err);
ns_status ns_fit_lm(const double *src, const double *dst, size_t n, const ns_affine *init,
                    const ns_fit_options *opt, ns_fit_result *out, ns_error *err);

#endif
