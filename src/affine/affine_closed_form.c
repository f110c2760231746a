/* affine_closed_form.c — weighted linear least squares for the affine transform:
 * the normal equations of each output coordinate (a 3x3 system in a, b, t), built
 * on centred, unit-radius coordinates so they stay well conditioned for pixel
 * coordinates in the thousands. The reference optimum for the iterative fitters. */
#include "nucseg/affine.h"

#include <math.h>

/* Solve A x = b (3x3) by Gaussian elimination with partial pivoting; 0 when singular. */
static int solve3(double A[3][3], double b[3], double x[3])
{
    for (int col = 0; col < 3; col++) {
        int piv = col;
        for (int r = col + 1; r < 3; r++)
            if (fabs(A[r][col]) > fabs(A[piv][col])) piv = r;
        if (A[piv][col] == 0 || !isfinite(A[piv][col])) return 0;
        if (piv != col) {
            for (int k = 0; k < 3; k++) {
                double t = A[col][k]; A[col][k] = A[piv][k]; A[piv][k] = t;
            }
            double t = b[col]; b[col] = b[piv]; b[piv] = t;
        }
        for (int r = col + 1; r < 3; r++) {
            double f = A[r][col] / A[col][col];
            for (int k = col; k < 3; k++) A[r][k] -= f * A[col][k];
            b[r] -= f * b[col];
        }
    }
    for (int r = 2; r >= 0; r--) {
        double s = b[r];
        for (int k = r + 1; k < 3; k++) s -= A[r][k] * x[k];
        x[r] = s / A[r][r];
    }
    return 1;
}

ns_status ns_affine_closed_form(const double *src, const double *dst, const double *w, size_t n,
                                ns_affine *out, ns_error *err)
{
    size_t used = 0;
    double W = 0, sx = 0, sy = 0, dx = 0, dy = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (!(wi >= 0) || !isfinite(wi))
            return ns_error_set(err, NS_ERR_INVALID, "affine closed form: weight %zu is %g", i, wi);
        if (!isfinite(src[2 * i]) || !isfinite(src[2 * i + 1]) || !isfinite(dst[2 * i]) ||
            !isfinite(dst[2 * i + 1]))
            return ns_error_set(err, NS_ERR_INVALID, "affine closed form: point %zu is not finite", i);
        if (wi == 0) continue;
        used++;
        W += wi;
        sx += wi * src[2 * i]; sy += wi * src[2 * i + 1];
        dx += wi * dst[2 * i]; dy += wi * dst[2 * i + 1];
    }
    if (used < 3)
        return ns_error_set(err, NS_ERR_EMPTY,
                            "affine closed form: %zu weighted point pairs, need at least 3", used);
    sx /= W; sy /= W; dx /= W; dy /= W;

    /* Unit RMS radius for the source: the normal matrix then has entries near 1. */
    double r2 = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        double ux = src[2 * i] - sx, uy = src[2 * i + 1] - sy;
        r2 += wi * (ux * ux + uy * uy);
    }
    double rad = sqrt(r2 / W);
    if (!(rad > 0))
        return ns_error_set(err, NS_ERR_INVALID, "affine closed form: all source points coincide");
    double ir = 1.0 / rad;

    double Suu = 0, Suv = 0, Svv = 0, Su = 0, Sv = 0;
    double SuX = 0, SvX = 0, SX = 0, SuY = 0, SvY = 0, SY = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (wi == 0) continue;
        double u = (src[2 * i] - sx) * ir, v = (src[2 * i + 1] - sy) * ir;
        double X = dst[2 * i] - dx, Y = dst[2 * i + 1] - dy;
        Suu += wi * u * u; Suv += wi * u * v; Svv += wi * v * v;
        Su += wi * u; Sv += wi * v;
        SuX += wi * u * X; SvX += wi * v * X; SX += wi * X;
        SuY += wi * u * Y; SvY += wi * v * Y; SY += wi * Y;
    }
    /* Suu + Svv = W here; det/(W^2/4) is 1 for an isotropic cloud, 0 on a line. */
    double det = Suu * Svv - Suv * Suv;
    if (!(det > 1e-10 * 0.25 * W * W))
        return ns_error_set(err, NS_ERR_INVALID,
                            "affine closed form: the %zu source points are (nearly) collinear", used);

    double A[3][3] = {{Suu, Suv, Su}, {Suv, Svv, Sv}, {Su, Sv, W}};
    double A2[3][3] = {{Suu, Suv, Su}, {Suv, Svv, Sv}, {Su, Sv, W}};
    double bx[3] = {SuX, SvX, SX}, by[3] = {SuY, SvY, SY};
    double px[3], py[3];
    if (!solve3(A, bx, px) || !solve3(A2, by, py))
        return ns_error_set(err, NS_ERR_INVALID, "affine closed form: singular normal equations");

    /* Undo the normalisation: X - dx = a' (x - sx)/rad + b' (y - sy)/rad + t'. */
    ns_affine t;
    t.a = px[0] * ir; t.b = px[1] * ir;
    t.c = py[0] * ir; t.d = py[1] * ir;
    t.tx = dx + px[2] - (t.a * sx + t.b * sy);
    t.ty = dy + py[2] - (t.c * sx + t.d * sy);
    *out = t;
    return NS_OK;
}
