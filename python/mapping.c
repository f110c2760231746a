/* mapping.c — nucseg.map_tiles, nucseg.match and nucseg.fit_affine on centroid
 * arrays: the library's mapping of one 40X tile, its final-match step and its affine
 * fits, with the GIL released while they run. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nucseg/affine.h"
#include "nucseg/mapping.h"
#include "nucseg_module.h"

/* [[a, b, tx], [c, d, ty]] */
static PyObject *affine_array(const ns_affine *t)
{
    npy_intp dims[2] = {2, 3};
    PyObject *a = PyArray_SimpleNew(2, dims, NPY_FLOAT64);
    if (!a) return NULL;
    double *v = PyArray_DATA((PyArrayObject *)a);
    const double m[6] = {t->a, t->b, t->tx, t->c, t->d, t->ty};
    memcpy(v, m, sizeof m);
    return a;
}

static int parse_affine(PyObject *o, const char *what, ns_affine *t)
{
    PyArrayObject *a = (PyArrayObject *)PyArray_FROM_OTF(o, NPY_FLOAT64, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED);
    if (!a) return -1;
    if (PyArray_NDIM(a) != 2 || PyArray_DIM(a, 0) != 2 || PyArray_DIM(a, 1) != 3) {
        PyErr_Format(PyExc_ValueError, "%s: expected a (2, 3) array [[a, b, tx], [c, d, ty]]", what);
        Py_DECREF(a);
        return -1;
    }
    const double *v = PyArray_DATA(a);
    *t = (ns_affine){.a = v[0], .b = v[1], .tx = v[2], .c = v[3], .d = v[4], .ty = v[5]};
    Py_DECREF(a);
    return 0;
}

/* The matches as the columns of matches.csv. */
static PyObject *match_columns(const ns_point_match *m, size_t n)
{
    static const char *names[] = {"label_40x", "label_10x", "x_40x", "y_40x", "x_10x", "y_10x", "distance"};
    int64_t *l40, *l10;
    double *f[5];
    PyObject *cols[7] = {nspy_column_i64(n, &l40), nspy_column_i64(n, &l10), NULL};
    for (int k = 0; k < 5; k++) cols[2 + k] = nspy_column_f64(n, &f[k]);
    PyObject *d = PyDict_New();
    int ok = d != NULL;
    for (int k = 0; k < 7; k++) ok = ok && cols[k];
    for (size_t i = 0; ok && i < n; i++) {
        l40[i] = m[i].label_40x;
        l10[i] = m[i].label_10x;
        f[0][i] = m[i].x_40x;
        f[1][i] = m[i].y_40x;
        f[2][i] = m[i].x_10x;
        f[3][i] = m[i].y_10x;
        f[4][i] = m[i].distance;
    }
    for (int k = 0; k < 7; k++) {
        if (ok && PyDict_SetItemString(d, names[k], cols[k]) != 0) ok = 0;
        Py_XDECREF(cols[k]);
    }
    if (!ok) { Py_XDECREF(d); return NULL; }
    return d;
}

/* A tile of points borrowed from an array (nothing here is freed with the tile). */
static ns_tile_points tile_of(const char *name, int magnification, const double *xy, size_t n)
{
    ns_tile_points t;
    memset(&t, 0, sizeof t);
    t.stem = (char *)name;
    t.well = (char *)"";
    t.magnification = magnification;
    t.xy = (double *)xy;
    t.n = n;
    /* The mapping needs the field's size (the overlap it expects nuclei in, the borders
     * that cut nuclei): arrays carry none, so the extent of the points stands for it. */
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) {
        if (xy[2 * i] > mx) mx = xy[2 * i];
        if (xy[2 * i + 1] > my) my = xy[2 * i + 1];
    }
    t.width = (int)ceil(fmin(mx, 1e9)) + 1; /* fmin: no int overflow from a far point */
    t.height = (int)ceil(fmin(my, 1e9)) + 1;
    return t;
}

/* Options: the library's defaults, with those given replacing them. */
static int map_options(PyObject *kw_opts[], ns_map_options *o)
{
    ns_map_options_default(o);
    double *dv[] = {&o->tolerance, &o->scale_min, &o->scale_max, &o->min_score, &o->early_stop_score,
                    &o->descriptor_radius};
    for (int k = 0; k < 6; k++) {
        if (kw_opts[k] == Py_None) continue;
        *dv[k] = PyFloat_AsDouble(kw_opts[k]);
        if (*dv[k] == -1.0 && PyErr_Occurred()) return -1;
    }
    if (kw_opts[6] != Py_None) {
        int r = PyObject_IsTrue(kw_opts[6]);
        if (r < 0) return -1;
        o->robust = r;
    }
    if (kw_opts[7] != Py_None) {
        unsigned long long s = PyLong_AsUnsignedLongLong(kw_opts[7]);
        if (s == (unsigned long long)-1 && PyErr_Occurred()) return -1;
        o->seed = s;
    }
    int *iv[] = {&o->max_hypotheses, &o->neighbours};
    for (int k = 0; k < 2; k++) {
        if (kw_opts[8 + k] == Py_None) continue;
        long v = PyLong_AsLong(kw_opts[8 + k]);
        if (v == -1 && PyErr_Occurred()) return -1;
        if (v < 0 || v > INT_MAX) { PyErr_SetString(PyExc_ValueError, "map_tiles: counts must be >= 0"); return -1; }
        *iv[k] = (int)v;
    }
    return 0;
}

const char nspy_map_tiles_doc[] =
    "map_tiles(xy_40x, tiles_10x, *, tolerance=None, scale_min=None, scale_max=None,\n"
    "          min_score=None, early_stop_score=None, descriptor_radius=None, robust=None,\n"
    "          seed=None, max_hypotheses=None, neighbours=None)\n"
    "--\n\n"
    "Find which 10X tile a 40X tile lies in, and the affine transform 40X px -> 10X px,\n"
    "from nuclear centroids alone, as `nucseg map` does for each 40X tile.\n\n"
    "xy_40x: (n, 2) centroids (x, y) of the 40X tile in px; row i is nucleus label i+1.\n"
    "tiles_10x: the candidate 10X tiles: one (m, 2) array, or a sequence of them.\n"
    "Options left at None take the library's defaults (tolerance 3 px in 10X px,\n"
    "scale 0.2-0.3 10X px per 40X px, min_score 0.3, robust (Huber) refinement, seed 1).\n\n"
    "Returns a dict: mapped (bool), tile (index into tiles_10x, -1 when none scored),\n"
    "affine ((2, 3) array [[a, b, tx], [c, d, ty]]: X = a x + b y + tx, Y = c x + d y + ty),\n"
    "rmsd (10X px), score, ransac_score, inliers, hypotheses, optimizer, seconds, and\n"
    "matches: a dict of columns as matches.csv (label_40x, label_10x, x_40x, y_40x,\n"
    "x_10x, y_10x, distance). Raises ValueError for degenerate points (fewer than 3,\n"
    "collinear, NaN) or bad options.";

PyObject *nspy_map_tiles(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"xy_40x", "tiles_10x", "tolerance", "scale_min", "scale_max", "min_score",
                             "early_stop_score", "descriptor_radius", "robust", "seed", "max_hypotheses",
                             "neighbours", NULL};
    PyObject *xy40_obj, *tiles_obj, *opt[10];
    for (int k = 0; k < 10; k++) opt[k] = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|$OOOOOOOOOO:map_tiles", kwlist, &xy40_obj, &tiles_obj, &opt[0],
                                     &opt[1], &opt[2], &opt[3], &opt[4], &opt[5], &opt[6], &opt[7], &opt[8],
                                     &opt[9]))
        return NULL;
    ns_map_options o;
    if (map_options(opt, &o) != 0) return NULL;
    const double *xy40;
    size_t n40;
    PyArrayObject *keep40;
    if (nspy_points(xy40_obj, "xy_40x", &xy40, &n40, &keep40) != 0) return NULL;

    /* One array, or a sequence of arrays. */
    PyObject *seq = NULL;
    if (PyArray_Check(tiles_obj) && PyArray_NDIM((PyArrayObject *)tiles_obj) == 2) {
        seq = PyTuple_Pack(1, tiles_obj);
    } else {
        seq = PySequence_Fast(tiles_obj, "tiles_10x: expected an (m, 2) array or a sequence of them");
    }
    if (!seq) { Py_DECREF(keep40); return NULL; }
    Py_ssize_t ncand = PySequence_Fast_GET_SIZE(seq);
    PyArrayObject **keep = calloc((size_t)ncand + 1, sizeof *keep);
    ns_tile_points *cand = calloc((size_t)ncand + 1, sizeof *cand);
    ns_map_index **ix = calloc((size_t)ncand + 1, sizeof *ix);
    char (*names)[32] = calloc((size_t)ncand + 1, sizeof *names);
    PyObject *out = NULL;
    if (!keep || !cand || !ix || !names) { PyErr_NoMemory(); goto done; }
    for (Py_ssize_t i = 0; i < ncand; i++) {
        const double *xy;
        size_t n;
        snprintf(names[i], sizeof names[i], "tiles_10x[%zd]", i);
        if (nspy_points(PySequence_Fast_GET_ITEM(seq, i), names[i], &xy, &n, &keep[i]) != 0) goto done;
        cand[i] = tile_of(names[i], 10, xy, n);
    }
    ns_tile_points t40 = tile_of("xy_40x", 40, xy40, n40);
    ns_map_result r;
    memset(&r, 0, sizeof r);
    ns_error err;
    ns_error_clear(&err);
    ns_status st = NS_OK;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; st == NS_OK && i < ncand; i++) st = ns_map_index_build(&cand[i], &o, &ix[i], &err);
    if (st == NS_OK) st = ns_map_tile(&t40, cand, (ns_map_index *const *)ix, (size_t)ncand, &o, &r, &err);
    Py_END_ALLOW_THREADS
    if (st != NS_OK) {
        ns_map_result_free(&r);
        nspy_raise(st, &err);
        goto done;
    }
    PyObject *matches = match_columns(r.matches, r.inliers);
    PyObject *affine = matches ? affine_array(&r.t) : NULL;
    if (affine)
        out = Py_BuildValue("{s:O,s:l,s:N,s:d,s:d,s:d,s:n,s:l,s:s,s:d,s:N}", "mapped", r.mapped ? Py_True : Py_False,
                            "tile", r.tile_10x, "affine", affine, "rmsd", r.rmsd, "score", r.score, "ransac_score",
                            r.ransac_score, "inliers", (Py_ssize_t)r.inliers, "hypotheses", r.hypotheses,
                            "optimizer", r.optimizer ? r.optimizer : "", "seconds", r.seconds, "matches", matches);
    else
        Py_XDECREF(matches);
    ns_map_result_free(&r);
done:
    for (Py_ssize_t i = 0; ix && i < ncand; i++) ns_map_index_free(ix[i]);
    for (Py_ssize_t i = 0; keep && i < ncand; i++) Py_XDECREF(keep[i]);
    free(ix);
    free(cand);
    free(keep);
    free(names);
    Py_DECREF(seq);
    Py_DECREF(keep40);
    return out;
}

const char nspy_match_doc[] =
    "match(xy_40x, xy_10x, affine, tolerance=None)\n"
    "--\n\n"
    "Pair nuclei of a 40X and a 10X tile under a known transform: mutual nearest\n"
    "neighbours between affine(xy_40x) and xy_10x within tolerance (10X px; None: the\n"
    "mapping's default, 3), the final-match step of map_tiles.\n\n"
    "xy_40x, xy_10x: (n, 2) and (m, 2) centroids (x, y); row i is label i+1.\n"
    "affine: (2, 3) array [[a, b, tx], [c, d, ty]] taking 40X px to 10X px.\n\n"
    "Returns a dict of columns as matches.csv: label_40x, label_10x, x_40x, y_40x,\n"
    "x_10x, y_10x, distance. Raises ValueError for NaN points or tolerance <= 0.";

PyObject *nspy_match(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"xy_40x", "xy_10x", "affine", "tolerance", NULL};
    PyObject *a40, *a10, *aff, *tol_obj = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO|O:match", kwlist, &a40, &a10, &aff, &tol_obj)) return NULL;
    ns_map_options o;
    ns_map_options_default(&o);
    if (tol_obj != Py_None) {
        o.tolerance = PyFloat_AsDouble(tol_obj);
        if (o.tolerance == -1.0 && PyErr_Occurred()) return NULL;
    }
    ns_affine t;
    if (parse_affine(aff, "affine", &t) != 0) return NULL;
    const double *xy40, *xy10;
    size_t n40, n10;
    PyArrayObject *k40, *k10;
    if (nspy_points(a40, "xy_40x", &xy40, &n40, &k40) != 0) return NULL;
    if (nspy_points(a10, "xy_10x", &xy10, &n10, &k10) != 0) { Py_DECREF(k40); return NULL; }
    ns_tile_points t40 = tile_of("xy_40x", 40, xy40, n40), t10 = tile_of("xy_10x", 10, xy10, n10);
    ns_point_match *m = NULL;
    size_t nm = 0;
    ns_error err;
    ns_error_clear(&err);
    ns_status st;
    Py_BEGIN_ALLOW_THREADS
    st = ns_match_points(&t, &t40, &t10, o.tolerance, &m, &nm, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(k40);
    Py_DECREF(k10);
    if (st != NS_OK) return nspy_raise(st, &err);
    PyObject *d = match_columns(m, nm);
    free(m);
    return d;
}

const char nspy_fit_affine_doc[] =
    "fit_affine(src, dst, method='lm', *, init=None, weights=None, loss='l2',\n"
    "           huber_delta=None, max_iter=None, tol=None)\n"
    "--\n\n"
    "Fit the affine transform T with dst ~ T(src) to point pairs.\n\n"
    "src, dst: (n, 2) arrays of points (x, y), n >= 3 and not collinear.\n"
    "method: 'lm' (Levenberg-Marquardt, cminpack), 'lbfgsb' (L-BFGS-B) or 'closed'\n"
    "    (the closed-form least-squares optimum; weights only apply to it).\n"
    "init: (2, 3) start for the iterative methods (None: identity).\n"
    "loss: 'l2' or 'huber' (iterative methods; huber_delta in px, default 2).\n"
    "max_iter, tol: the iterative methods' limits (None: library defaults 100, 1e-12).\n\n"
    "Returns a dict: affine ((2, 3) array [[a, b, tx], [c, d, ty]]), rmsd, iterations,\n"
    "nfev, njev, converged. Raises ValueError for too few or degenerate points.";

PyObject *nspy_fit_affine(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"src", "dst", "method", "init", "weights", "loss", "huber_delta", "max_iter", "tol",
                             NULL};
    PyObject *src_obj, *dst_obj, *init_obj = Py_None, *w_obj = Py_None, *delta_obj = Py_None;
    PyObject *iter_obj = Py_None, *tol_obj = Py_None;
    const char *method = "lm", *loss = "l2";
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|s$OOsOOO:fit_affine", kwlist, &src_obj, &dst_obj, &method,
                                     &init_obj, &w_obj, &loss, &delta_obj, &iter_obj, &tol_obj))
        return NULL;
    int closed = !strcmp(method, "closed");
    ns_optimizer opt = NS_OPT_LM;
    if (!strcmp(method, "lbfgsb")) opt = NS_OPT_LBFGSB;
    else if (strcmp(method, "lm") && !closed)
        return PyErr_Format(PyExc_ValueError, "method: expected 'lm', 'lbfgsb' or 'closed', not '%s'", method);
    ns_fit_options fo;
    ns_fit_options_default(&fo);
    if (!strcmp(loss, "huber")) fo.loss = NS_LOSS_HUBER;
    else if (strcmp(loss, "l2"))
        return PyErr_Format(PyExc_ValueError, "loss: expected 'l2' or 'huber', not '%s'", loss);
    if (delta_obj != Py_None && (fo.huber_delta = PyFloat_AsDouble(delta_obj)) == -1.0 && PyErr_Occurred())
        return NULL;
    if (tol_obj != Py_None && (fo.tol = PyFloat_AsDouble(tol_obj)) == -1.0 && PyErr_Occurred()) return NULL;
    if (iter_obj != Py_None) {
        long v = PyLong_AsLong(iter_obj);
        if (v == -1 && PyErr_Occurred()) return NULL;
        if (v < 1 || v > INT_MAX) return PyErr_Format(PyExc_ValueError, "max_iter: expected a count >= 1");
        fo.max_iter = (int)v;
    }
    ns_affine init;
    ns_affine_identity(&init);
    if (init_obj != Py_None && parse_affine(init_obj, "init", &init) != 0) return NULL;

    const double *src, *dst, *w = NULL;
    size_t n, ndst;
    PyArrayObject *ks = NULL, *kd = NULL, *kw_arr = NULL;
    PyObject *out = NULL;
    if (nspy_points(src_obj, "src", &src, &n, &ks) != 0 || nspy_points(dst_obj, "dst", &dst, &ndst, &kd) != 0)
        goto done;
    if (ndst != n) {
        PyErr_Format(PyExc_ValueError, "fit_affine: src has %zu points but dst %zu", n, ndst);
        goto done;
    }
    if (w_obj != Py_None) {
        kw_arr = (PyArrayObject *)PyArray_FROM_OTF(w_obj, NPY_FLOAT64, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED);
        if (!kw_arr) goto done;
        if (!closed || PyArray_NDIM(kw_arr) != 1 || (size_t)PyArray_DIM(kw_arr, 0) != n) {
            PyErr_Format(PyExc_ValueError, "weights: expected %zu values, and method 'closed'", n);
            goto done;
        }
        w = PyArray_DATA(kw_arr);
    }
    ns_fit_result r;
    memset(&r, 0, sizeof r);
    ns_error err;
    ns_error_clear(&err);
    ns_status st;
    Py_BEGIN_ALLOW_THREADS
    if (closed) {
        st = ns_affine_closed_form(src, dst, w, n, &r.t, &err);
        if (st == NS_OK) {
            r.rmsd = ns_affine_rmsd(&r.t, src, dst, n);
            r.converged = 1;
        }
    } else {
        st = ns_affine_fit(opt, src, dst, n, &init, &fo, &r, &err);
    }
    Py_END_ALLOW_THREADS
    if (st != NS_OK) {
        nspy_raise(st, &err);
        goto done;
    }
    PyObject *affine = affine_array(&r.t);
    if (affine)
        out = Py_BuildValue("{s:N,s:d,s:i,s:i,s:i,s:O}", "affine", affine, "rmsd", r.rmsd, "iterations",
                            r.iterations, "nfev", r.nfev, "njev", r.njev, "converged",
                            r.converged ? Py_True : Py_False);
done:
    Py_XDECREF(ks);
    Py_XDECREF(kd);
    Py_XDECREF(kw_arr);
    return out;
}
