/* affine.h — 2-D affine transforms fitted to point pairs: the closed-form
 * least-squares solution (the reference optimum) and two iterative optimizers,
 * L-BFGS-B (liblbfgsb, Nocedal's reference code) and Levenberg–Marquardt
 * (cminpack lmder), each with an analytic gradient / Jacobian.
 *
 * Convention: dst ≈ T(src) with X = a x + b y + tx, Y = c x + d y + ty.
 * Point arrays are n pairs (x, y) interleaved: p[2i], p[2i+1]. */
#ifndef NUCSEG_AFFINE_H
#define NUCSEG_AFFINE_H

#include <stddef.h>
#include "nucseg/error.h"

typedef struct { double a, b, tx, c, d, ty; } ns_affine;

void ns_affine_identity(ns_affine *t);
void ns_affine_apply(const ns_affine *t, double x, double y, double *X, double *Y);
/* Compose: out = f ∘ g (apply g first). */
void ns_affine_compose(const ns_affine *f, const ns_affine *g, ns_affine *out);
/* Inverse; NS_ERR_INVALID when singular. */
ns_status ns_affine_invert(const ns_affine *t, ns_affine *out, ns_error *err);
/* Similarity with uniform scale s, rotation theta (rad), translation (tx, ty). */
void ns_affine_similarity(double s, double theta, double tx, double ty, ns_affine *out);
/* Root mean square distance between T(src) and dst. */
double ns_affine_rmsd(const ns_affine *t, const double *src, const double *dst, size_t n);

/* Weighted closed-form least squares (w may be NULL = all 1). Needs n >= 3
 * non-collinear points: NS_ERR_EMPTY / NS_ERR_INVALID otherwise. */
ns_status ns_affine_closed_form(const double *src, const double *dst, const double *w, size_t n,
                                ns_affine *out, ns_error *err);

typedef enum { NS_OPT_LBFGSB = 0, NS_OPT_LM = 1 } ns_optimizer;
typedef enum { NS_LOSS_L2 = 0, NS_LOSS_HUBER = 1 } ns_loss;

const char *ns_optimizer_name(ns_optimizer m); /* "L-BFGS-B", "Levenberg-Marquardt" */

typedef struct {
    int max_iter;          /* default 100 */
    double tol;            /* relative tolerance on the objective / step, default 1e-12 */
    double scale_min, scale_max; /* bounds on a and d (L-BFGS-B only); <= 0: unbounded */
    double shear_max;      /* bound |b|, |c| (L-BFGS-B only); <= 0: unbounded */
    ns_loss loss;
    double huber_delta;    /* px, for NS_LOSS_HUBER (default 2) */
} ns_fit_options;

void ns_fit_options_default(ns_fit_options *o);

typedef struct {
    ns_affine t;
    double rmsd;           /* plain RMSD of the result over all pairs */
    int iterations;
    int nfev, njev;        /* objective / gradient (Jacobian) evaluations */
    int converged;         /* the method reported convergence (not max_iter / failure) */
    double us;             /* wall time of the fit, microseconds */
    size_t scratch_bytes;  /* workspace the method used (heap + fixed stack arrays) */
} ns_fit_result;

/* Fit T minimising sum of loss(|T(src_i) - dst_i|) from the start `init`.
 * Allocates only O(n) scratch (or none); thread-safe. */
ns_status ns_affine_fit(ns_optimizer method, const double *src, const double *dst, size_t n,
                        const ns_affine *init, const ns_fit_options *opt,
                        ns_fit_result *out, ns_error *err);

/* Distance between two transforms: the largest |f(p) - g(p)| over the four corners
 * (0,0), (w,0), (0,h), (w,h) of a w x h source rectangle (in destination units). */
double ns_affine_corner_error(const ns_affine *f, const ns_affine *g, double w, double h);
/* The same over the box with corners (x0,y0) and (x0+w,y0+h). */
double ns_affine_box_error(const ns_affine *f, const ns_affine *g, double x0, double y0, double w, double h);

#endif
