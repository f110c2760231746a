#!/usr/bin/env python3
"""peer_scipy_affine.py OUT_DIR [--number N] — the SciPy peer of bench_affine_fit.

Reads the point sets OUT_DIR/points_<k>.csv (x_src,y_src,x_dst,y_dst) and the starts and
closed-form RMSDs in OUT_DIR/affine_fit_sets.csv written by bench_affine_fit, fits the same
affine transform from the same start with the same recipe as nucseg (centred, unit-RMS
coordinates; 0.5*mean squared residual; analytic gradient / Jacobian; tolerances 1e-12) using
scipy.optimize.minimize(method='L-BFGS-B') and scipy.optimize.least_squares(method='lm'),
times each with timeit (median per fit) and writes OUT_DIR/affine_fit_peer.csv with the
columns method,impl,pairs,sets,us_per_fit,rmsd,rel_to_closed_form,iterations."""
import csv
import os
import statistics
import sys
import timeit

import numpy as np
import scipy
from scipy.optimize import least_squares, minimize


def frame(p):
    c = p.mean(axis=0)
    r = np.sqrt(((p - c) ** 2).sum(axis=1).mean())
    return c, (r if r > 0 else 1.0)


def to_params(t, sc, ss, dc, sd):
    a, b, tx, c, d, ty = t
    k = ss / sd
    return np.array([k * a, k * b, (a * sc[0] + b * sc[1] + tx - dc[0]) / sd,
                     k * c, k * d, (c * sc[0] + d * sc[1] + ty - dc[1]) / sd])


def from_params(p, sc, ss, dc, sd):
    k = sd / ss
    a, b, c, d = k * p[0], k * p[1], k * p[3], k * p[4]
    tx = dc[0] + sd * p[2] - (a * sc[0] + b * sc[1])
    ty = dc[1] + sd * p[5] - (c * sc[0] + d * sc[1])
    return np.array([a, b, tx, c, d, ty])


def rmsd(t, src, dst):
    X = t[0] * src[:, 0] + t[1] * src[:, 1] + t[2]
    Y = t[3] * src[:, 0] + t[4] * src[:, 1] + t[5]
    return float(np.sqrt(((X - dst[:, 0]) ** 2 + (Y - dst[:, 1]) ** 2).mean()))


def problem(src, dst):
    sc, ss = frame(src)
    dc, sd = frame(dst)
    u = (src - sc) / ss
    U = (dst - dc) / sd
    n = len(u)
    ones = np.ones(n)
    # Constant Jacobian of the 2n residuals (x residuals, then y residuals).
    J = np.block([[u[:, :1], u[:, 1:], ones[:, None], np.zeros((n, 3))],
                  [np.zeros((n, 3)), u[:, :1], u[:, 1:], ones[:, None]]])

    def resid(p):
        rx = p[0] * u[:, 0] + p[1] * u[:, 1] + p[2] - U[:, 0]
        ry = p[3] * u[:, 0] + p[4] * u[:, 1] + p[5] - U[:, 1]
        return np.concatenate([rx, ry])

    def jac(p):
        return J

    def fg(p):
        r = resid(p)
        return 0.5 * r.dot(r) / n, J.T.dot(r) / n

    return (sc, ss, dc, sd), resid, jac, fg


def fit_lbfgsb(x0, fg):
    res = minimize(fg, x0, jac=True, method='L-BFGS-B',
                   options={'maxiter': 100, 'maxcor': 6, 'ftol': 1e-12, 'gtol': 1e-10})
    return res.x, res.nit


def fit_lm(x0, resid, jac):
    res = least_squares(resid, x0, jac=jac, method='lm', ftol=1e-12, xtol=1e-12, gtol=1e-15,
                        max_nfev=10000)
    return res.x, res.njev if res.njev is not None else res.nfev


def main():
    args = sys.argv[1:]
    if not args or args[0] in ('-h', '--help'):
        print(__doc__)
        return 0 if args else 2
    out = args[0]
    number = 200
    if '--number' in args:
        number = int(args[args.index('--number') + 1])
    sets = []
    with open(os.path.join(out, 'affine_fit_sets.csv')) as f:
        for row in csv.DictReader(f):
            sets.append(row)
    rows = []
    for method in ('L-BFGS-B', 'Levenberg-Marquardt'):
        per_set_us, rms, rels, iters = [], [], [], []
        pairs = 0
        for s in sets:
            pts = np.loadtxt(os.path.join(out, 'points_%s.csv' % s['set']), delimiter=',', skiprows=1)
            src, dst = np.ascontiguousarray(pts[:, 0:2]), np.ascontiguousarray(pts[:, 2:4])
            pairs = len(src)
            start = np.array([float(s[k]) for k in ('a', 'b', 'tx', 'c', 'd', 'ty')])
            cf = float(s['closed_form_rmsd'])
            fr, resid, jac, fg = problem(src, dst)
            # The frame is part of every fit (nucseg computes it inside each call too).
            def one():
                frm, rs, jc, f = problem(src, dst)
                x0 = to_params(start, *frm)
                if method == 'L-BFGS-B':
                    return fit_lbfgsb(x0, f)
                return fit_lm(x0, rs, jc)
            p, it = one()
            t = from_params(p, *fr)
            r = rmsd(t, src, dst)
            rms.append(r)
            rels.append((r - cf) / cf)
            iters.append(it)
            for _ in range(5):
                one()  # warm-up
            times = timeit.repeat(one, number=1, repeat=number)
            per_set_us.append(statistics.median(times) * 1e6)
        rows.append({'method': method, 'impl': 'scipy', 'pairs': pairs, 'sets': len(sets),
                     'us_per_fit': '%.6g' % statistics.median(per_set_us),
                     'rmsd': '%.12g' % statistics.mean(rms),
                     'rel_to_closed_form': '%.6g' % max(rels),
                     'iterations': '%g' % statistics.median(iters)})
        print('scipy %-20s %9.1f us/fit  rmsd %.6f  rel %.2e  iterations %g' %
              (method, float(rows[-1]['us_per_fit']), statistics.mean(rms), max(rels),
               statistics.median(iters)), flush=True)
    path = os.path.join(out, 'affine_fit_peer.csv')
    tmp = path + '.tmp.%d' % os.getpid()
    with open(tmp, 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=['method', 'impl', 'pairs', 'sets', 'us_per_fit', 'rmsd',
                                          'rel_to_closed_form', 'iterations'])
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)
    print('scipy %s, numpy %s: wrote %s' % (scipy.__version__, np.__version__, path))
    return 0


if __name__ == '__main__':
    sys.exit(main())
