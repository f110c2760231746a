/* affine_fit.c — ns_affine_fit: argument checks, the clock, the sufficient statistics
 * of a plain least-squares problem (affine_moments.c), and dispatch to the L-BFGS-B or
 * Levenberg–Marquardt fitter. */
#include "nucseg/affine.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "affine/affine_internal.h"
#include "util/clock.h"

static int affine_finite(const ns_affine *t)
{
    return isfinite(t->a) && isfinite(t->b) && isfinite(t->tx) && isfinite(t->c) &&
           isfinite(t->d) && isfinite(t->ty);
}

ns_status ns_affine_fit(ns_optimizer method, const double *src, const double *dst, size_t n,
                        const ns_affine *init, const ns_fit_options *opt,
                        ns_fit_result *out, ns_error *err)
{
    return ns_affine_fit_eval(method, NS_EVAL_MOMENTS, src, dst, n, init, opt, out, err);
}

ns_status ns_affine_fit_eval(ns_optimizer method, ns_affine_eval eval, const double *src,
                             const double *dst, size_t n, const ns_affine *init,
                             const ns_fit_options *opt, ns_fit_result *out, ns_error *err)
{
    double t0 = (ns_clock_s() * 1e6);
    memset(out, 0, sizeof *out);
    const char *name = ns_optimizer_name(method);
    if (n < 3)
        return ns_error_set(err, NS_ERR_EMPTY, "affine fit (%s): %zu point pairs, need at least 3",
                            name, n);
    if (!src || !dst || !init)
        return ns_error_set(err, NS_ERR_INVALID, "affine fit (%s): missing points or start", name);
    if (!affine_finite(init))
        return ns_error_set(err, NS_ERR_INVALID, "affine fit (%s): start transform is not finite", name);
    /* The centroid pass doubles as the finiteness check; only when a sum is not finite
     * are the points searched one by one (for the message, or to find an overflow). */
    double cen[4];
    int sums_finite = ns_affine_centroids(src, dst, n, cen);
    if (!sums_finite)
        for (size_t i = 0; i < 2 * n; i++)
            if (!isfinite(src[i]) || !isfinite(dst[i]))
                return ns_error_set(err, NS_ERR_INVALID, "affine fit (%s): point %zu is not finite",
                                    name, i / 2);
    ns_fit_options o;
    if (opt) o = *opt;
    else ns_fit_options_default(&o);
    if (o.max_iter < 1) o.max_iter = 1;
    if (!(o.tol > 0)) o.tol = 1e-12;
    if (o.loss == NS_LOSS_HUBER && !(o.huber_delta > 0))
        return ns_error_set(err, NS_ERR_INVALID, "affine fit (%s): Huber delta %g must be > 0",
                            name, o.huber_delta);
    if (o.scale_min > 0 && o.scale_max > 0 && o.scale_min > o.scale_max)
        return ns_error_set(err, NS_ERR_INVALID, "affine fit (%s): scale_min %g > scale_max %g",
                            name, o.scale_min, o.scale_max);

    /* Plain least squares: the moments (second pass) replace the points inside the
     * optimizer. Sums that overflow (coordinates near DBL_MAX) keep the per-pair path. */
    ns_affine_moments mom;
    const ns_affine_moments *mp = NULL;
    if (o.loss == NS_LOSS_L2 && eval == NS_EVAL_MOMENTS && sums_finite &&
        ns_affine_moments_init(&mom, src, dst, n, cen))
        mp = &mom;

    ns_status st;
    switch (method) {
    case NS_OPT_LBFGSB: st = ns_fit_lbfgsb(src, dst, n, init, &o, mp, out, err); break;
    case NS_OPT_LM: st = ns_fit_lm(src, dst, n, init, &o, mp, out, err); break;
    default: return ns_error_set(err, NS_ERR_INVALID, "affine fit: unknown method %d", (int)method);
    }
    if (st != NS_OK) return st;
    out->rmsd = ns_affine_rmsd(&out->t, src, dst, n);
    out->us = (ns_clock_s() * 1e6) - t0;
    return NS_OK;
}
