/* affine.c — 2-D affine transform algebra: identity, apply, compose, invert,
 * similarity, RMSD, corner error; fit option defaults and method names. */
#include "nucseg/affine.h"

#include <math.h>

#include "affine/affine_internal.h"

void ns_affine_identity(ns_affine *t)
{
    *t = (ns_affine){.a = 1, .b = 0, .tx = 0, .c = 0, .d = 1, .ty = 0};
}

void ns_affine_apply(const ns_affine *t, double x, double y, double *X, double *Y)
{
    *X = t->a * x + t->b * y + t->tx;
    *Y = t->c * x + t->d * y + t->ty;
}

void ns_affine_compose(const ns_affine *f, const ns_affine *g, ns_affine *out)
{
    /* Through a temporary: out may alias f or g. */
    ns_affine r;
    r.a = f->a * g->a + f->b * g->c;
    r.b = f->a * g->b + f->b * g->d;
    r.tx = f->a * g->tx + f->b * g->ty + f->tx;
    r.c = f->c * g->a + f->d * g->c;
    r.d = f->c * g->b + f->d * g->d;
    r.ty = f->c * g->tx + f->d * g->ty + f->ty;
    *out = r;
}

ns_status ns_affine_invert(const ns_affine *t, ns_affine *out, ns_error *err)
{
    double det = t->a * t->d - t->b * t->c;
    /* Relative test: a transform with tiny but non-degenerate scale is still invertible. */
    double mag = fabs(t->a * t->d) + fabs(t->b * t->c);
    if (!isfinite(det) || det == 0 || fabs(det) <= 1e-14 * mag)
        return ns_error_set(err, NS_ERR_INVALID, "affine inverse: singular linear part (det %g)", det);
    ns_affine r;
    r.a = t->d / det;
    r.b = -t->b / det;
    r.c = -t->c / det;
    r.d = t->a / det;
    r.tx = -(r.a * t->tx + r.b * t->ty);
    r.ty = -(r.c * t->tx + r.d * t->ty);
    *out = r;
    return NS_OK;
}

void ns_affine_similarity(double s, double theta, double tx, double ty, ns_affine *out)
{
    double co = cos(theta), si = sin(theta);
    *out = (ns_affine){.a = s * co, .b = -s * si, .tx = tx, .c = s * si, .d = s * co, .ty = ty};
}

/* Why vectors: every ns_affine_fit ends with this pass, which as a single scalar sum
 * is latency-bound. One point per SSE2 register, e = x (a, c) + y (b, d) + (tx, ty) - (X, Y),
 * and two sums (even / odd points) that do not wait for each other. */
double ns_affine_rmsd(const ns_affine *t, const double *src, const double *dst, size_t n)
{
    if (n == 0) return NAN;
    const ns_v2d ac = {t->a, t->c}, bd = {t->b, t->d}, tt = {t->tx, t->ty};
    ns_v2d s[2] = {{0, 0}, {0, 0}};
    size_t i = 0;
    for (; i + 2 <= n; i += 2)
        for (int k = 0; k < 2; k++) {
            ns_v2d p = ns_v2d_load(src + 2 * (i + k));
            ns_v2d e = (ac * p[0] + bd * p[1] + tt) - ns_v2d_load(dst + 2 * (i + k));
            s[k] += e * e;
        }
    if (i < n) {
        ns_v2d p = ns_v2d_load(src + 2 * i);
        ns_v2d e = (ac * p[0] + bd * p[1] + tt) - ns_v2d_load(dst + 2 * i);
        s[0] += e * e;
    }
    ns_v2d sum = s[0] + s[1];
    return sqrt((sum[0] + sum[1]) / (double)n);
}

double ns_affine_box_error(const ns_affine *f, const ns_affine *g, double x0, double y0, double w, double h)
{
    const double corners[4][2] = {{x0, y0}, {x0 + w, y0}, {x0, y0 + h}, {x0 + w, y0 + h}};
    double worst = 0;
    for (int k = 0; k < 4; k++) {
        double x1, y1, x2, y2;
        ns_affine_apply(f, corners[k][0], corners[k][1], &x1, &y1);
        ns_affine_apply(g, corners[k][0], corners[k][1], &x2, &y2);
        double e = hypot(x1 - x2, y1 - y2);
        if (!(e <= worst)) worst = e; /* NAN propagates */
    }
    return worst;
}

double ns_affine_corner_error(const ns_affine *f, const ns_affine *g, double w, double h)
{
    return ns_affine_box_error(f, g, 0.0, 0.0, w, h);
}

void ns_fit_options_default(ns_fit_options *o)
{
    *o = (ns_fit_options){.max_iter = 100, .tol = 1e-12, .scale_min = 0, .scale_max = 0,
                          .shear_max = 0, .loss = NS_LOSS_L2, .huber_delta = 2.0};
}

const char *ns_optimizer_name(ns_optimizer m)
{
    switch (m) {
    case NS_OPT_LBFGSB: return "L-BFGS-B";
    case NS_OPT_LM: return "Levenberg-Marquardt";
    }
    return "unknown";
}
