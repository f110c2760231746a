/* arrays.c — NumPy arrays ↔ ns_image planes and point arrays, copying only when the
 * layout needs it. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include "nucseg_module.h"

static int pixel_type_of(int typenum, ns_pixel_type *t)
{
    switch (typenum) {
    case NPY_UINT8: *t = NS_PIXEL_U8; return 0;
    case NPY_UINT16: *t = NS_PIXEL_U16; return 0;
    case NPY_UINT32: *t = NS_PIXEL_U32; return 0;
    case NPY_FLOAT32: *t = NS_PIXEL_F32; return 0;
    default: return -1;
    }
}

static int typenum_of(ns_pixel_type t)
{
    switch (t) {
    case NS_PIXEL_U8: return NPY_UINT8;
    case NS_PIXEL_U16: return NPY_UINT16;
    case NS_PIXEL_U32: return NPY_UINT32;
    default: return NPY_FLOAT32;
    }
}

static PyObject *dtype_name(PyArrayObject *a)
{
    return PyObject_Str((PyObject *)PyArray_DESCR(a));
}

/* The 2-D plane `channel` of a 3-D array along `axis` (a view), or a new reference
 * to the 2-D array itself. */
static PyObject *plane_view(PyArrayObject *a, const char *what, int channel, int axis)
{
    int nd = PyArray_NDIM(a);
    if (nd == 2) {
        if (channel != 0) {
            PyErr_Format(PyExc_ValueError, "%s: channel %d of a 2-D image (it has one channel)", what, channel);
            return NULL;
        }
        Py_INCREF(a);
        return (PyObject *)a;
    }
    if (nd != 3 || axis == NSPY_2D_ONLY) {
        if (axis == NSPY_2D_ONLY) {
            PyErr_Format(PyExc_ValueError, "%s: expected a 2-D image (rows, columns), not a %d-D array", what, nd);
            return NULL;
        }
        PyErr_Format(PyExc_ValueError, "%s: expected a 2-D image (rows, columns) or a 3-D stack of channels, "
                     "not a %d-D array", what, nd);
        return NULL;
    }
    int ax = axis < 0 ? axis + 3 : axis;
    if (ax < 0 || ax > 2) {
        PyErr_Format(PyExc_ValueError, "%s: channel_axis %d is not an axis of a 3-D array", what, axis);
        return NULL;
    }
    npy_intp nch = PyArray_DIM(a, ax);
    if (channel < 0 || channel >= nch) {
        PyErr_Format(PyExc_ValueError, "%s: channel %d out of range (the image has %zd along axis %d)", what,
                     channel, (Py_ssize_t)nch, ax);
        return NULL;
    }
    PyObject *index = PyTuple_New(3);
    if (!index) return NULL;
    for (int k = 0; k < 3; k++) {
        PyObject *item = k == ax ? PyLong_FromLong(channel) : PySlice_New(NULL, NULL, NULL);
        if (!item) { Py_DECREF(index); return NULL; }
        PyTuple_SET_ITEM(index, k, item);
    }
    PyObject *view = PyObject_GetItem((PyObject *)a, index);
    Py_DECREF(index);
    return view;
}

/* Rows x columns of a 2-D array as ns_image sizes. */
static int plane_size(PyArrayObject *a, const char *what, ns_image *img)
{
    npy_intp h = PyArray_DIM(a, 0), w = PyArray_DIM(a, 1);
    if (h > INT_MAX || w > INT_MAX) {
        PyErr_Format(PyExc_ValueError, "%s: %zd x %zd pixels is too large", what, (Py_ssize_t)h, (Py_ssize_t)w);
        return -1;
    }
    img->width = (int)w;
    img->height = (int)h;
    return 0;
}

int nspy_plane(PyObject *obj, const char *what, int channel, int channel_axis, ns_image *img,
               PyArrayObject **keep)
{
    *keep = NULL;
    PyArrayObject *a = (PyArrayObject *)PyArray_FROM_O(obj);
    if (!a) return -1;
    ns_pixel_type type;
    if (pixel_type_of(PyArray_TYPE(a), &type) != 0) {
        PyObject *name = dtype_name(a);
        PyErr_Format(PyExc_TypeError, "%s: dtype %S is not supported (uint8, uint16, uint32 or float32; "
                     "convert with .astype(numpy.float32))", what, name ? name : Py_None);
        Py_XDECREF(name);
        Py_DECREF(a);
        return -1;
    }
    PyObject *view = plane_view(a, what, channel, channel_axis);
    Py_DECREF(a);
    if (!view) return -1;
    /* The same array when its rows are contiguous, aligned and in native byte order. */
    PyArrayObject *c = (PyArrayObject *)PyArray_FROM_OTF(view, typenum_of(type),
                                                         NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED);
    Py_DECREF(view);
    if (!c) return -1;
    if (plane_size(c, what, img) != 0) { Py_DECREF(c); return -1; }
    img->type = type;
    img->data = PyArray_DATA(c);
    *keep = c;
    return 0;
}

/* Whether every value of the integer array a lies in 0..2^32 - 1 (1), or not (0);
 * -1 on error. */
static int labels_in_range(PyArrayObject *a)
{
    if (PyArray_SIZE(a) == 0) return 1;
    PyObject *lo = PyArray_Min(a, NPY_MAXDIMS, NULL), *hi = lo ? PyArray_Max(a, NPY_MAXDIMS, NULL) : NULL;
    int ok = -1;
    if (lo && hi) {
        PyObject *zero = PyLong_FromLong(0), *top = PyLong_FromUnsignedLong(UINT32_MAX);
        if (zero && top) {
            int a_ok = PyObject_RichCompareBool(lo, zero, Py_GE), b_ok = PyObject_RichCompareBool(hi, top, Py_LE);
            ok = a_ok < 0 || b_ok < 0 ? -1 : a_ok && b_ok;
        }
        Py_XDECREF(zero);
        Py_XDECREF(top);
    }
    Py_XDECREF(lo);
    Py_XDECREF(hi);
    return ok;
}

int nspy_labels(PyObject *obj, ns_image *img, PyArrayObject **keep)
{
    *keep = NULL;
    PyArrayObject *a = (PyArrayObject *)PyArray_FROM_O(obj);
    if (!a) return -1;
    if (PyArray_NDIM(a) != 2) {
        PyErr_Format(PyExc_ValueError, "labels: expected a 2-D label image, not a %d-D array", PyArray_NDIM(a));
        Py_DECREF(a);
        return -1;
    }
    int typenum = PyArray_TYPE(a);
    ns_pixel_type type = NS_PIXEL_U32;
    if (typenum == NPY_UINT8) type = NS_PIXEL_U8;
    else if (typenum == NPY_UINT16) type = NS_PIXEL_U16;
    else if (!PyTypeNum_ISINTEGER(typenum) || PyTypeNum_ISBOOL(typenum)) {
        PyObject *name = dtype_name(a);
        PyErr_Format(PyExc_TypeError, "labels: dtype %S is no label type (an integer array: uint8, uint16, "
                     "uint32, or signed with labels >= 0)", name ? name : Py_None);
        Py_XDECREF(name);
        Py_DECREF(a);
        return -1;
    } else if (typenum != NPY_UINT32) {
        /* Other integers (skimage's int64 labels): uint32 when the values fit. */
        int ok = labels_in_range(a);
        if (ok <= 0) {
            if (ok == 0)
                PyErr_SetString(PyExc_ValueError, "labels: values must lie in 0..4294967295 (0 = background)");
            Py_DECREF(a);
            return -1;
        }
    }
    PyArrayObject *c = (PyArrayObject *)PyArray_FROM_OTF((PyObject *)a, typenum_of(type),
                                                         NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED |
                                                         NPY_ARRAY_FORCECAST);
    Py_DECREF(a);
    if (!c) return -1;
    if (plane_size(c, "labels", img) != 0) { Py_DECREF(c); return -1; }
    img->type = type;
    img->data = PyArray_DATA(c);
    *keep = c;
    return 0;
}

static void free_pixels(PyObject *capsule)
{
    free(PyCapsule_GetPointer(capsule, "nucseg.pixels"));
}

PyObject *nspy_adopt_image(ns_image *img)
{
    npy_intp dims[2] = {img->height, img->width};
    int typenum = typenum_of(img->type);
    if (!img->data) return PyArray_ZEROS(2, dims, typenum, 0);
    PyObject *arr = PyArray_SimpleNewFromData(2, dims, typenum, img->data);
    if (!arr) { ns_image_free(img); return NULL; }
    PyObject *owner = PyCapsule_New(img->data, "nucseg.pixels", free_pixels);
    if (!owner) { Py_DECREF(arr); ns_image_free(img); return NULL; }
    img->data = NULL; /* the capsule frees it now, whatever happens next */
    if (PyArray_SetBaseObject((PyArrayObject *)arr, owner) < 0) { Py_DECREF(arr); return NULL; }
    return arr;
}

int nspy_points(PyObject *obj, const char *what, const double **xy, size_t *n, PyArrayObject **keep)
{
    *keep = NULL;
    PyArrayObject *a = (PyArrayObject *)PyArray_FROM_OTF(obj, NPY_FLOAT64, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED);
    if (!a) return -1;
    if (PyArray_NDIM(a) != 2 || PyArray_DIM(a, 1) != 2) {
        PyErr_Format(PyExc_ValueError, "%s: expected an (n, 2) array of points (x, y)", what);
        Py_DECREF(a);
        return -1;
    }
    *xy = PyArray_DATA(a);
    *n = (size_t)PyArray_DIM(a, 0);
    *keep = a;
    return 0;
}

PyObject *nspy_column_f64(size_t n, double **data)
{
    npy_intp dim = (npy_intp)n;
    PyObject *a = PyArray_SimpleNew(1, &dim, NPY_FLOAT64);
    if (a) *data = PyArray_DATA((PyArrayObject *)a);
    return a;
}

PyObject *nspy_column_i64(size_t n, int64_t **data)
{
    npy_intp dim = (npy_intp)n;
    PyObject *a = PyArray_SimpleNew(1, &dim, NPY_INT64);
    if (a) *data = PyArray_DATA((PyArrayObject *)a);
    return a;
}
