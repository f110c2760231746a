/* affine_moments.c — the plain least-squares (NS_LOSS_L2) affine objective from
 * sufficient statistics.
 *
 * Why: with w_i = (u_i, v_i, 1) the normalised source point and theta = (a, b, tx)
 * one row of the transform, sum_i (theta . w_i - U_i)^2 = theta^T M theta - 2 theta^T v + c
 * with M = sum w w^T, v = sum w U, c = sum U^2 (likewise for the Y row (c, d, ty)).
 * One O(n) pass gathers M, v, c; after that every objective and gradient evaluation is
 * O(1) instead of O(n), and the minimiser is the same.
 *
 * Precision: the sums are taken about the centroids (a first pass finds them, and
 * doubles as the finiteness check), in the unit-RMS frame of affine_internal.h, so
 * coordinates of 50 000 px cost nothing; and the objective is evaluated in the
 * QR-reduced form ||R theta - z||^2 + rho^2 (M = R^T R), whose variable part is small
 * near the optimum, rather than as theta^T M theta - 2 theta^T v + c, a difference of
 * terms ~10^6 times larger than the residuals it measures. */
#include "affine/affine_internal.h"

#include <math.h>
#include <string.h>

/* Four independent running sums per point set: a single one is a chain of dependent
 * additions (latency-bound); independent chains let the additions overlap. */
int ns_affine_centroids(const double *src, const double *dst, size_t n, double c[4])
{
    ns_v2d s[4] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}}, d[4] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}};
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int k = 0; k < 4; k++) {
            s[k] += ns_v2d_load(src + 2 * (i + k));
            d[k] += ns_v2d_load(dst + 2 * (i + k));
        }
    for (; i < n; i++) {
        s[0] += ns_v2d_load(src + 2 * i);
        d[0] += ns_v2d_load(dst + 2 * i);
    }
    ns_v2d st = (s[0] + s[1]) + (s[2] + s[3]), dt = (d[0] + d[1]) + (d[2] + d[3]);
    double nn = (double)n;
    c[0] = st[0] / nn; c[1] = st[1] / nn;
    c[2] = dt[0] / nn; c[3] = dt[1] / nn;
    /* A NaN or infinite coordinate makes its sum NaN or infinite; a finite sum
     * therefore proves every coordinate finite (overflow can only add false alarms). */
    return isfinite(c[0]) && isfinite(c[1]) && isfinite(c[2]) && isfinite(c[3]);
}

static int reduce(ns_affine_moments *m);

/* The sums about the centroids, in pixel units. */
enum { XX, YY, XY, UU, VV, XU, YU, XV, YV, NACC };

int ns_affine_moments_init(ns_affine_moments *m, const double *src, const double *dst, size_t n,
                           const double c[4])
{
    const double cx = c[0], cy = c[1], dcx = c[2], dcy = c[3];
    /* One point per register, p = (x, y) and q = (X, Y) about the centroids: five vector
     * sums give the nine second moments (xy twice), with two shuffles per pair. One chain
     * per sum: five keep the adders busy (the loop is bound by its 7 additions per pair).
     * The first moments sum(x - cx) etc. are not summed: about the centroid they are 0,
     * in floating point rounding noise of order n eps |c| that would move the fit by
     * ~eps |c| px; the per-pair path's own normalised points carry the same noise. */
    const ns_v2d cs = {cx, cy}, cd = {dcx, dcy};
    ns_v2d tpp = {0, 0}, tpxy = {0, 0}, tqq = {0, 0}, tpq = {0, 0}, tpqs = {0, 0};
    for (size_t i = 0; i < n; i++) {
        ns_v2d p = ns_v2d_load(src + 2 * i) - cs, q = ns_v2d_load(dst + 2 * i) - cd;
        ns_v2d pswap = {p[1], p[0]}, qswap = {q[1], q[0]};
        tpp += p * p;       /* (xx, yy) */
        tpxy += p * pswap;  /* (xy, yx) */
        tqq += q * q;       /* (XX, YY) */
        tpq += p * q;       /* (xX, yY) */
        tpqs += p * qswap;  /* (xY, yX) */
    }
    const double S[NACC] = {[XX] = tpp[0], [YY] = tpp[1], [XY] = tpxy[0], [UU] = tqq[0],
                            [VV] = tqq[1], [XU] = tpq[0], [YU] = tpqs[1], [XV] = tpqs[0],
                            [YV] = tpq[1]};
    for (int j = 0; j < NACC; j++)
        if (!isfinite(S[j])) return 0;

    /* The frame of ns_affine_frame_init: centroids, RMS radii (1 for a single point). */
    ns_affine_frame *fr = &m->fr;
    fr->scx = cx; fr->scy = cy;
    fr->dcx = dcx; fr->dcy = dcy;
    double nn = (double)n;
    double rs = sqrt((S[XX] + S[YY]) / nn), rd = sqrt((S[UU] + S[VV]) / nn);
    fr->ss = rs > 0 && isfinite(rs) ? rs : 1.0;
    fr->sd = rd > 0 && isfinite(rd) ? rd : 1.0;

    /* Rescale the pixel-unit sums into the frame: u = x / ss, U = X / sd. */
    double is = 1.0 / fr->ss, id = 1.0 / fr->sd, isd = is * id;
    m->n = n;
    m->M[0][0] = S[XX] * is * is;
    m->M[0][1] = m->M[1][0] = S[XY] * is * is;
    m->M[1][1] = S[YY] * is * is;
    m->M[0][2] = m->M[2][0] = 0; /* sum u */
    m->M[1][2] = m->M[2][1] = 0; /* sum v */
    m->M[2][2] = nn;
    m->v[0][0] = S[XU] * isd; m->v[0][1] = S[YU] * isd; m->v[0][2] = 0; /* sum U_x */
    m->v[1][0] = S[XV] * isd; m->v[1][1] = S[YV] * isd; m->v[1][2] = 0; /* sum U_y */
    m->c[0] = S[UU] * id * id;
    m->c[1] = S[VV] * id * id;
    return reduce(m);
}

/* Cholesky M = R^T R (R upper triangular) and R^T z = v, so that for every theta
 * theta^T M theta - 2 theta^T v + c = ||R theta - z||^2 + rho^2, rho^2 = c - ||z||^2.
 * 0 when a pivot falls below 1e-13 n (M's diagonal is O(n) in the frame): (nearly)
 * collinear source points, left to the per-pair path. */
static int reduce(ns_affine_moments *m)
{
    double (*R)[3] = m->R;
    memset(m->R, 0, sizeof m->R);
    double floor = 1e-13 * (double)m->n;
    for (int j = 0; j < 3; j++) {
        double d = m->M[j][j];
        for (int k = 0; k < j; k++) d -= R[k][j] * R[k][j];
        if (!(d > floor)) return 0;
        R[j][j] = sqrt(d);
        for (int i = j + 1; i < 3; i++) {
            double s = m->M[j][i];
            for (int k = 0; k < j; k++) s -= R[k][j] * R[k][i];
            R[j][i] = s / R[j][j];
        }
    }
    for (int r = 0; r < 2; r++) {
        double zz = 0;
        for (int i = 0; i < 3; i++) { /* forward substitution with R^T */
            double s = m->v[r][i];
            for (int k = 0; k < i; k++) s -= R[k][i] * m->z[r][k];
            m->z[r][i] = s / R[i][i];
            zz += m->z[r][i] * m->z[r][i];
        }
        double res = m->c[r] - zz; /* the least residual sum of squares, >= 0 up to rounding */
        m->rho[r] = res > 0 ? sqrt(res) : 0;
    }
    return 1;
}

/* Same value and gradient as ns_affine_objective(..., NS_LOSS_L2, ...), (1/n) sum r^2 / 2,
 * in the reduced form: e = R theta - z is small near the optimum, so f keeps its precision
 * there (theta^T M theta - 2 theta^T v + c would carry rounding noise of order eps c, far
 * above the differences the line search compares). rho^2 is the same constant at every
 * theta: its rounding shifts f, not its differences or its gradient. */
double ns_affine_moments_objective(const ns_affine_moments *m, const double p[6], double g[6])
{
    const double (*R)[3] = (const double (*)[3])m->R;
    double f = 0, in = 1.0 / (double)m->n;
    for (int r = 0; r < 2; r++) {
        const double *th = p + 3 * r, *z = m->z[r];
        double e[3];
        for (int i = 0; i < 3; i++)
            e[i] = R[i][0] * th[0] + R[i][1] * th[1] + R[i][2] * th[2] - z[i];
        f += e[0] * e[0] + e[1] * e[1] + e[2] * e[2] + m->rho[r] * m->rho[r];
        if (g) /* R^T e = M theta - v */
            for (int j = 0; j < 3; j++)
                g[3 * r + j] = (R[0][j] * e[0] + R[1][j] * e[1] + R[2][j] * e[2]) * in;
    }
    return 0.5 * f * in;
}
