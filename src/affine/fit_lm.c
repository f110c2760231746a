/* fit_lm.c — affine fit with Levenberg–Marquardt (MINPACK lmder via cminpack) and
 * an analytic Jacobian: 2n residuals (x and y of each pair) by 6 parameters, in
 * the normalising frame (affine_internal.h). Huber runs as a least-squares problem
 * on rescaled residuals r_i * sqrt(2 rho(e_i)) / e_i, whose squares sum to the
 * Huber objective exactly; its Jacobian includes the derivative of that scale.
 * Plain least squares runs on the QR-reduced problem built from the moments
 * (affine_moments.c): 4 residuals per row instead of n. */
#include <cminpack.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "affine/affine_internal.h"

enum { NPAR = 6 };

typedef struct {
    const double *u, *U;
    size_t n;
    int huber;
    double delta;
    int max_jac, jac_calls; /* lmder evaluates one Jacobian per iteration */
} lm_problem;

static int lm_residuals(void *p, int m, int npar, const double *x, double *fvec, double *fjac,
                        int ldfjac, int iflag)
{
    (void)m; (void)npar;
    lm_problem *pr = p;
    if (iflag == 2 && ++pr->jac_calls > pr->max_jac) return -1; /* iteration limit */
    for (size_t i = 0; i < pr->n; i++) {
        double u = pr->u[2 * i], v = pr->u[2 * i + 1];
        double rx = x[0] * u + x[1] * v + x[2] - pr->U[2 * i];
        double ry = x[3] * u + x[4] * v + x[5] - pr->U[2 * i + 1];
        double g = 1, h = 0; /* scale g(e) and g'(e)/e */
        if (pr->huber) {
            double e = sqrt(rx * rx + ry * ry), d = pr->delta;
            if (e > d) {
                double s = sqrt(2 * d * e - d * d);
                g = s / e;
                h = -d * (e - d) / (e * e * e * s);
            }
        }
        if (iflag == 1) {
            fvec[2 * i] = g * rx;
            fvec[2 * i + 1] = g * ry;
            continue;
        }
        /* Column-major: fjac[j * ldfjac + row]. d(g r)/dp = g J + h r (r^T J). */
        double rj[NPAR] = {rx * u, rx * v, rx, ry * u, ry * v, ry};
        size_t row = 2 * i;
        const double jx[NPAR] = {u, v, 1, 0, 0, 0}, jy[NPAR] = {0, 0, 0, u, v, 1};
        for (int j = 0; j < NPAR; j++) {
            fjac[(size_t)j * ldfjac + row] = g * jx[j] + h * rx * rj[j];
            fjac[(size_t)j * ldfjac + row + 1] = g * jy[j] + h * ry * rj[j];
        }
    }
    return 0;
}

/* Solving one row, (a, b, tx) or (c, d, ty), with lmder, and the totals over rows
 * (both plain least-squares paths below fit the two rows separately). */
typedef struct { int nfev, njev, iters, converged; } lm_rows;

/* lmder on a 3-parameter problem of m residuals from x (fvec, wa4: m; fjac: m x 3).
 * *jac_calls is the problem's Jacobian counter, capped at max_jac (the iteration
 * limit). Returns lmder's info; 0 is improper input. */
static int lm_solve_row(cminpack_funcder_mn fcn, void *pr, const int *jac_calls, int max_jac, int m,
                        double *x, double *fvec, double *fjac, double *wa4, const ns_fit_options *opt,
                        lm_rows *t)
{
    double diag[3], qtf[3], wa1[3], wa2[3], wa3[3];
    int ipvt[3], fe = 0, je = 0;
    int info = lmder(fcn, pr, m, 3, x, fvec, fjac, m, opt->tol, opt->tol, 0.0, 100 * (opt->max_iter + 1), diag,
                     1, 100.0, 0, &fe, &je, ipvt, qtf, wa1, wa2, wa3, wa4);
    if (info == 0) return 0;
    t->nfev += fe;
    t->njev += je;
    int it = *jac_calls < max_jac ? *jac_calls : max_jac;
    if (it > t->iters) t->iters = it;
    t->converged = t->converged && info >= 1 && info <= 4;
    return info;
}

static void lm_rows_result(const lm_rows *t, ns_fit_result *out)
{
    out->iterations = t->iters;
    out->nfev = t->nfev;
    out->njev = t->njev;
    out->converged = t->converged;
}

/* Plain least squares separates: X depends on (a, b, tx) only and Y on (c, d, ty),
 * so the 2n x 6 Jacobian is block diagonal. lmder does not know that and would
 * factor the whole matrix; two n x 3 problems reach the same optimum with a
 * quarter of the QR work. */
typedef struct {
    const double *u, *U;
    size_t n;
    int coord; /* 0: X row (a, b, tx); 1: Y row (c, d, ty) */
    int max_jac, jac_calls;
} lm_row_problem;

static int lm_row_residuals(void *p, int m, int npar, const double *x, double *fvec, double *fjac,
                            int ldfjac, int iflag)
{
    (void)m; (void)npar;
    lm_row_problem *pr = p;
    if (iflag == 2 && ++pr->jac_calls > pr->max_jac) return -1; /* iteration limit */
    const double *u = pr->u, *U = pr->U;
    const int c = pr->coord;
    if (iflag == 1) {
        for (size_t i = 0; i < pr->n; i++)
            fvec[i] = x[0] * u[2 * i] + x[1] * u[2 * i + 1] + x[2] - U[2 * i + c];
    } else {
        for (size_t i = 0; i < pr->n; i++) {
            fjac[i] = u[2 * i];
            fjac[(size_t)ldfjac + i] = u[2 * i + 1];
            fjac[2 * (size_t)ldfjac + i] = 1.0;
        }
    }
    return 0;
}

static ns_status fit_lm_separable(const double *src, const double *dst, size_t n, const ns_affine *init,
                                  const ns_fit_options *opt, ns_fit_result *out, ns_error *err)
{
    int m = (int)n;
    size_t heap = (4 * n + 2 * n + 3 * n) * sizeof(double); /* u, U, fvec, wa4, fjac */
    double *blk = malloc(heap);
    if (!blk)
        return ns_error_set(err, NS_ERR_NOMEM, "affine fit (Levenberg-Marquardt): %zu point pairs", n);
    double *uu = blk, *UU = uu + 2 * n, *fvec = UU + 2 * n, *wa4 = fvec + n, *fjac = wa4 + n;
    ns_affine_frame fr;
    ns_affine_frame_init(&fr, src, dst, n);
    ns_affine_frame_points(&fr, src, dst, n, uu, UU);
    double x6[NPAR];
    ns_affine_frame_to_params(&fr, init, x6);
    lm_rows t = {.converged = 1};
    for (int c = 0; c < 2; c++) {
        lm_row_problem pr = {.u = uu, .U = UU, .n = n, .coord = c, .max_jac = opt->max_iter};
        if (!lm_solve_row(lm_row_residuals, &pr, &pr.jac_calls, pr.max_jac, m, x6 + 3 * c, fvec, fjac, wa4, opt,
                          &t)) {
            free(blk);
            return ns_error_set(err, NS_ERR_INVALID, "affine fit (Levenberg-Marquardt): improper input");
        }
    }
    free(blk);
    ns_affine_frame_from_params(&fr, x6, &out->t);
    lm_rows_result(&t, out);
    out->scratch_bytes = heap + 5 * 3 * sizeof(double) + 3 * sizeof(int);
    return NS_OK;
}

/* The classic QR pre-reduction of linear least squares: with M = R^T R and R^T z = v,
 * each row's n squared residuals sum to ||R theta - z||^2 + rho^2 for every theta
 * (affine_moments.c). So lmder minimises 4 residuals per row, R theta - z (Jacobian R)
 * and the constant rho: the same objective, hence the same minimiser, as the n-row
 * problem. rho carries no gradient; it makes the 4 squares sum to the n-row objective
 * itself, so lmder's relative tests (ftol: the relative reduction of the sum of
 * squares) compare the same quantities as on the n rows. */
typedef struct {
    const double (*R)[3];
    const double *z;
    double rho;
    int max_jac, jac_calls;
} lm_qr_problem;

static int lm_qr_residuals(void *p, int m, int npar, const double *x, double *fvec, double *fjac,
                           int ldfjac, int iflag)
{
    (void)m; (void)npar;
    lm_qr_problem *pr = p;
    if (iflag == 2 && ++pr->jac_calls > pr->max_jac) return -1; /* iteration limit */
    if (iflag == 1) {
        for (int i = 0; i < 3; i++)
            fvec[i] = pr->R[i][0] * x[0] + pr->R[i][1] * x[1] + pr->R[i][2] * x[2] - pr->z[i];
        fvec[3] = pr->rho;
    } else {
        for (int j = 0; j < 3; j++) {
            for (int i = 0; i < 3; i++) fjac[j * ldfjac + i] = pr->R[i][j];
            fjac[j * ldfjac + 3] = 0;
        }
    }
    return 0;
}

static ns_status fit_lm_reduced(const ns_affine_moments *mom, const ns_affine *init,
                                const ns_fit_options *opt, ns_fit_result *out, ns_error *err)
{
    double x6[NPAR];
    ns_affine_frame_to_params(&mom->fr, init, x6);
    lm_rows t = {.converged = 1};
    for (int c = 0; c < 2; c++) {
        double fvec[4], fjac[4 * 3], wa4[4];
        lm_qr_problem pr = {.R = (const double (*)[3])mom->R, .z = mom->z[c], .rho = mom->rho[c],
                            .max_jac = opt->max_iter};
        if (!lm_solve_row(lm_qr_residuals, &pr, &pr.jac_calls, pr.max_jac, 4, x6 + 3 * c, fvec, fjac, wa4, opt, &t))
            return ns_error_set(err, NS_ERR_INVALID, "affine fit (Levenberg-Marquardt): improper input");
    }
    ns_affine_frame_from_params(&mom->fr, x6, &out->t);
    lm_rows_result(&t, out);
    /* No heap: the moments and lmder's arrays for one 4 x 3 row problem. */
    out->scratch_bytes = sizeof *mom + (4 + 12 + 5 * 3 + 4) * sizeof(double) + 3 * sizeof(int);
    return NS_OK;
}

ns_status ns_fit_lm(const double *src, const double *dst, size_t n, const ns_affine *init,
                    const ns_fit_options *opt, const ns_affine_moments *mom,
                    ns_fit_result *out, ns_error *err)
{
    if (n > 100000000)
        return ns_error_set(err, NS_ERR_TOO_LARGE,
                            "affine fit (Levenberg-Marquardt): %zu point pairs, too many for lmder", n);
    if (mom) return fit_lm_reduced(mom, init, opt, out, err);
    if (opt->loss == NS_LOSS_L2) return fit_lm_separable(src, dst, n, init, opt, out, err);
    int m = (int)(2 * n);
    /* One block, owned here: u (2n), U (2n), fvec (m), wa4 (m), fjac (m x 6). */
    size_t heap = (4 * n + 2 * (size_t)m + (size_t)m * NPAR) * sizeof(double);
    double *blk = malloc(heap);
    if (!blk)
        return ns_error_set(err, NS_ERR_NOMEM, "affine fit (Levenberg-Marquardt): %zu point pairs", n);
    double *uu = blk, *UU = uu + 2 * n, *fvec = UU + 2 * n, *wa4 = fvec + m, *fjac = wa4 + m;

    ns_affine_frame fr;
    ns_affine_frame_init(&fr, src, dst, n);
    ns_affine_frame_points(&fr, src, dst, n, uu, UU);
    double x[NPAR], diag[NPAR], qtf[NPAR], wa1[NPAR], wa2[NPAR], wa3[NPAR];
    int ipvt[NPAR];
    ns_affine_frame_to_params(&fr, init, x);

    lm_problem pr = {.u = uu, .U = UU, .n = n, .huber = opt->loss == NS_LOSS_HUBER,
                     .delta = opt->huber_delta / fr.sd, .max_jac = opt->max_iter};
    int nfev = 0, njev = 0;
    /* maxfev only guards against a runaway; max_iter is enforced in the callback. */
    int maxfev = 100 * (opt->max_iter + 1);
    int info = lmder(lm_residuals, &pr, m, NPAR, x, fvec, fjac, m, opt->tol, opt->tol, 0.0,
                     maxfev, diag, 1, 100.0, 0, &nfev, &njev, ipvt, qtf, wa1, wa2, wa3, wa4);
    free(blk);
    if (info == 0)
        return ns_error_set(err, NS_ERR_INVALID, "affine fit (Levenberg-Marquardt): improper input");
    ns_affine_frame_from_params(&fr, x, &out->t);
    out->iterations = pr.jac_calls < pr.max_jac ? pr.jac_calls : pr.max_jac;
    out->nfev = nfev;
    out->njev = njev;
    out->converged = info >= 1 && info <= 4;
    out->scratch_bytes = heap + sizeof diag + sizeof qtf + sizeof wa1 + sizeof wa2 + sizeof wa3 +
                         sizeof ipvt;
    return NS_OK;
}
