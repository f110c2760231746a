/* affine_frame.c — the normalising frame shared by the iterative fitters and the
 * objective (L2 or Huber) with its analytic gradient. */
#include "affine/affine_internal.h"

#include <math.h>

/* Centroid and RMS distance to it; radius 1 for a degenerate (single-point) set so
 * that nothing divides by zero (the fit then reports what the data allow). */
static void centre_and_radius(const double *p, size_t n, double *cx, double *cy, double *r)
{
    double sx = 0, sy = 0;
    for (size_t i = 0; i < n; i++) {
        sx += p[2 * i];
        sy += p[2 * i + 1];
    }
    *cx = sx / (double)n;
    *cy = sy / (double)n;
    double s2 = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = p[2 * i] - *cx, dy = p[2 * i + 1] - *cy;
        s2 += dx * dx + dy * dy;
    }
    double rad = sqrt(s2 / (double)n);
    *r = rad > 0 && isfinite(rad) ? rad : 1.0;
}

void ns_affine_frame_init(ns_affine_frame *fr, const double *src, const double *dst, size_t n)
{
    centre_and_radius(src, n, &fr->scx, &fr->scy, &fr->ss);
    centre_and_radius(dst, n, &fr->dcx, &fr->dcy, &fr->sd);
}

void ns_affine_frame_points(const ns_affine_frame *fr, const double *src, const double *dst,
                            size_t n, double *u, double *U)
{
    double is = 1.0 / fr->ss, id = 1.0 / fr->sd;
    for (size_t i = 0; i < n; i++) {
        u[2 * i] = (src[2 * i] - fr->scx) * is;
        u[2 * i + 1] = (src[2 * i + 1] - fr->scy) * is;
        U[2 * i] = (dst[2 * i] - fr->dcx) * id;
        U[2 * i + 1] = (dst[2 * i + 1] - fr->dcy) * id;
    }
}

double ns_affine_frame_linear_factor(const ns_affine_frame *fr)
{
    return fr->ss / fr->sd;
}

/* X = M x + t  with x = sc + ss u, X = dc + sd U  gives  U = (ss/sd) M u + (M sc + t - dc)/sd. */
void ns_affine_frame_to_params(const ns_affine_frame *fr, const ns_affine *t, double p[6])
{
    double k = fr->ss / fr->sd;
    p[0] = k * t->a;
    p[1] = k * t->b;
    p[2] = (t->a * fr->scx + t->b * fr->scy + t->tx - fr->dcx) / fr->sd;
    p[3] = k * t->c;
    p[4] = k * t->d;
    p[5] = (t->c * fr->scx + t->d * fr->scy + t->ty - fr->dcy) / fr->sd;
}

void ns_affine_frame_from_params(const ns_affine_frame *fr, const double p[6], ns_affine *t)
{
    double k = fr->sd / fr->ss;
    t->a = k * p[0];
    t->b = k * p[1];
    t->c = k * p[3];
    t->d = k * p[4];
    t->tx = fr->dcx + fr->sd * p[2] - (t->a * fr->scx + t->b * fr->scy);
    t->ty = fr->dcy + fr->sd * p[5] - (t->c * fr->scx + t->d * fr->scy);
}

double ns_affine_objective(const double p[6], const double *u, const double *U, size_t n,
                           ns_loss loss, double delta, double g[6])
{
    double f = 0, g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0;
    for (size_t i = 0; i < n; i++) {
        double x = u[2 * i], y = u[2 * i + 1];
        double rx = p[0] * x + p[1] * y + p[2] - U[2 * i];
        double ry = p[3] * x + p[4] * y + p[5] - U[2 * i + 1];
        double w = 1.0; /* d rho / d e divided by e: 1 inside the Huber core */
        if (loss == NS_LOSS_HUBER) {
            double e = sqrt(rx * rx + ry * ry);
            f += ns_huber_rho(e, delta);
            if (e > delta) w = delta / e;
        } else {
            f += 0.5 * (rx * rx + ry * ry);
        }
        rx *= w;
        ry *= w;
        g0 += rx * x;
        g1 += rx * y;
        g2 += rx;
        g3 += ry * x;
        g4 += ry * y;
        g5 += ry;
    }
    double in = 1.0 / (double)n;
    if (g) {
        g[0] = g0 * in; g[1] = g1 * in; g[2] = g2 * in;
        g[3] = g3 * in; g[4] = g4 * in; g[5] = g5 * in;
    }
    return f * in;
}
