/* fit_lbfgsb.c — affine fit with L-BFGS-B 3.0 (Nocedal & Morales' Fortran code,
 * liblbfgsb), driven by its reverse-communication interface: setulb asks for f and
 * the gradient ("FG") or reports a new iterate ("NEW_X") until it converges.
 * The problem is solved in the normalising frame (affine_internal.h); bounds on
 * the pixel-space parameters a, d (scale) and b, c (shear) are mapped into it.
 * Plain least squares is evaluated from its moments (affine_moments.c, O(1) per
 * evaluation, no scratch points); Huber residual by residual. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "affine/affine_internal.h"

/* Fortran 77 entry point; gfortran passes CHARACTER lengths as trailing size_t
 * arguments and LOGICAL as a 4-byte integer. */
extern void setulb_(int *n, int *m, double *x, double *l, double *u, int *nbd, double *f,
                    double *g, double *factr, double *pgtol, double *wa, int *iwa, char *task,
                    int *iprint, char *csave, int *lsave, int *isave, double *dsave,
                    size_t task_len, size_t csave_len);

/* liblbfgsb 3.0 times its own phases with timer(), i.e. gfortran's CPU_TIME: one
 * getrusage system call each, 14 in a 3-iteration fit, about 9 of the 21 µs such a
 * fit of 500 pairs took on this project's VM. Those times are only printed (iprint >= 0),
 * never used to decide anything, and we pass iprint = -1. The library calls timer
 * through its PLT, so this definition takes the place of its own (and of timer.o
 * when linking liblbfgsb.a statically); nm -D on a program shows it exported. */
void timer_(double *ttime);
void timer_(double *ttime)
{
    *ttime = 0;
}

enum { NPAR = 6, MEM = 6, TASK_LEN = 60 };
/* wa(2mn + 5n + 11mm + 8m), iwa(3n) as declared in setulb. */
enum { WA_LEN = 2 * MEM * NPAR + 5 * NPAR + 11 * MEM * MEM + 8 * MEM, IWA_LEN = 3 * NPAR };

static void set_task(char task[TASK_LEN], const char *s)
{
    size_t len = strlen(s);
    memset(task, ' ', TASK_LEN);
    memcpy(task, s, len < TASK_LEN ? len : TASK_LEN);
}

static int task_is(const char task[TASK_LEN], const char *prefix)
{
    return strncmp(task, prefix, strlen(prefix)) == 0;
}

/* Bound on one parameter: nbd 0 none, 1 lower, 2 both, 3 upper (setulb's code). */
static void set_bound(int i, double lo, double hi, double *l, double *u, int *nbd)
{
    int has_lo = lo > -INFINITY, has_hi = hi < INFINITY;
    l[i] = has_lo ? lo : 0;
    u[i] = has_hi ? hi : 0;
    nbd[i] = has_lo && has_hi ? 2 : has_lo ? 1 : has_hi ? 3 : 0;
}

ns_status ns_fit_lbfgsb(const double *src, const double *dst, size_t n, const ns_affine *init,
                        const ns_fit_options *opt, const ns_affine_moments *mom,
                        ns_fit_result *out, ns_error *err)
{
    if (n > (size_t)1 << 40)
        return ns_error_set(err, NS_ERR_TOO_LARGE, "affine fit (L-BFGS-B): %zu point pairs", n);
    double *pts = NULL, *uu = NULL, *UU = NULL; /* per-pair path only: normalised u then U */
    size_t heap = 0;
    ns_affine_frame fr;
    if (mom) {
        fr = mom->fr;
    } else {
        heap = 4 * n * sizeof *pts;
        pts = malloc(heap);
        if (!pts) return ns_error_set(err, NS_ERR_NOMEM, "affine fit (L-BFGS-B): %zu point pairs", n);
        uu = pts;
        UU = pts + 2 * n;
        ns_affine_frame_init(&fr, src, dst, n);
        ns_affine_frame_points(&fr, src, dst, n, uu, UU);
    }
    double k = ns_affine_frame_linear_factor(&fr);

    double x[NPAR], l[NPAR], u[NPAR], g[NPAR];
    int nbd[NPAR];
    ns_affine_frame_to_params(&fr, init, x);
    for (int i = 0; i < NPAR; i++) set_bound(i, -INFINITY, INFINITY, l, u, nbd);
    double smin = opt->scale_min > 0 ? k * opt->scale_min : -INFINITY;
    double smax = opt->scale_max > 0 ? k * opt->scale_max : INFINITY;
    set_bound(0, smin, smax, l, u, nbd);
    set_bound(4, smin, smax, l, u, nbd);
    if (opt->shear_max > 0) {
        set_bound(1, -k * opt->shear_max, k * opt->shear_max, l, u, nbd);
        set_bound(3, -k * opt->shear_max, k * opt->shear_max, l, u, nbd);
    }

    int npar = NPAR, mem = MEM, iprint = -1;
    double wa[WA_LEN], dsave[29];
    int iwa[IWA_LEN], isave[44], lsave[4];
    char task[TASK_LEN], csave[TASK_LEN];
    /* factr * machine epsilon is setulb's relative tolerance on f. */
    double factr = opt->tol / DBL_EPSILON, pgtol = 100 * opt->tol;
    double delta = opt->huber_delta / fr.sd;
    double f = 0;
    int nfev = 0, iters = 0, converged = 0;
    set_task(task, "START");
    memset(csave, ' ', sizeof csave);
    for (;;) {
        setulb_(&npar, &mem, x, l, u, nbd, &f, g, &factr, &pgtol, wa, iwa, task, &iprint, csave,
                lsave, isave, dsave, TASK_LEN, TASK_LEN);
        if (task_is(task, "FG")) {
            f = mom ? ns_affine_moments_objective(mom, x, g)
                    : ns_affine_objective(x, uu, UU, n, opt->loss, delta, g);
            nfev++;
        } else if (task_is(task, "NEW_X")) {
            /* x is the accepted iterate: stopping here keeps it. */
            if (++iters >= opt->max_iter) break;
        } else {
            converged = task_is(task, "CONV");
            if (task_is(task, "ERROR")) {
                free(pts);
                int len = TASK_LEN;
                while (len > 0 && task[len - 1] == ' ') len--;
                return ns_error_set(err, NS_ERR_INVALID, "affine fit (L-BFGS-B): %.*s", len, task);
            }
            break; /* converged, or an abnormal line search: x is the last good point */
        }
    }
    free(pts);
    ns_affine_frame_from_params(&fr, x, &out->t);
    out->iterations = iters;
    out->nfev = nfev;
    out->njev = nfev; /* f and gradient are evaluated together */
    out->converged = converged;
    out->scratch_bytes = heap + (mom ? sizeof *mom : 0) + sizeof wa + sizeof dsave + sizeof iwa +
                         sizeof isave + sizeof lsave;
    return NS_OK;
}
