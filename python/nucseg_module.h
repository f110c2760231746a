/* nucseg_module.h — what the Python module's files share: the NumPy C API table,
 * the ns_status → exception mapping, array ↔ ns_image glue, and each function's
 * entry point and docstring. The module is one more caller of libnucseg, like the
 * CLI: every computation is the library's; these files only convert arguments. */
#ifndef NUCSEG_PYTHON_MODULE_H
#define NUCSEG_PYTHON_MODULE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#define PY_ARRAY_UNIQUE_SYMBOL nucseg_ARRAY_API
#ifndef NUCSEG_MODULE_MAIN
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>
#include "nucseg/error.h"
#include "nucseg/image.h"

/* Raise the exception that fits st (OSError for files, ValueError for bad input,
 * MemoryError) with the library's message; returns NULL. */
PyObject *nspy_raise(ns_status st, const ns_error *err);
/* The model a `model=` argument names (a built-in name or a weight file), loaded once
 * per process and kept; NULL with an exception set when it cannot be loaded. */
struct ns_nn;
const struct ns_nn *nspy_model(PyObject *spec);

/* One 2-D plane of `obj` (uint8/uint16/uint32/float32; 2-D, or 3-D with the channels
 * along channel_axis) as an ns_image. The pixels are the array's own when its rows
 * are contiguous and aligned (no copy), else a C-contiguous copy's. *keep owns them:
 * Py_DECREF it when done. -1 with TypeError/ValueError set on bad input.
 * channel_axis NSPY_2D_ONLY: only a 2-D array will do. */
#define NSPY_2D_ONLY (-1000)
int nspy_plane(PyObject *obj, const char *what, int channel, int channel_axis, ns_image *img,
               PyArrayObject **keep);

/* A label image (unsigned, or signed with no negative value, at most 2^32 - 1) as an
 * ns_image of U8/U16/U32 pixels; as nspy_plane. */
int nspy_labels(PyObject *obj, ns_image *img, PyArrayObject **keep);

/* A 2-D array that takes over img's pixels (freed with the array); img->data is
 * NULL afterwards. NULL with an exception set on failure (the pixels are freed). */
PyObject *nspy_adopt_image(ns_image *img);

/* A float64 (n, 2) array of points (x, y) from any array-like; as nspy_plane. */
int nspy_points(PyObject *obj, const char *what, const double **xy, size_t *n, PyArrayObject **keep);

/* A new 1-D float64 / int64 array of n values (uninitialised), NULL on failure. */
PyObject *nspy_column_f64(size_t n, double **data);
PyObject *nspy_column_i64(size_t n, int64_t **data);

PyObject *nspy_segment(PyObject *self, PyObject *args, PyObject *kw);
PyObject *nspy_regionprops(PyObject *self, PyObject *args, PyObject *kw);
PyObject *nspy_read_image(PyObject *self, PyObject *args, PyObject *kw);
PyObject *nspy_map_tiles(PyObject *self, PyObject *args, PyObject *kw);
PyObject *nspy_match(PyObject *self, PyObject *args, PyObject *kw);
PyObject *nspy_fit_affine(PyObject *self, PyObject *args, PyObject *kw);

extern const char nspy_segment_doc[], nspy_regionprops_doc[], nspy_read_image_doc[],
    nspy_map_tiles_doc[], nspy_match_doc[], nspy_fit_affine_doc[];

#endif
