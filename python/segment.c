/* segment.c — nucseg.segment, nucseg.regionprops and nucseg.read_image: arguments
 * converted, the library called with the GIL released, its results wrapped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "nucseg/nn.h"
#include "nucseg/segment.h"
#include "nucseg_module.h"

/* Models loaded by this process, by the spec they were asked for: loaded (and their
 * checksum verified) once, then shared by every call and thread; owned by the module
 * for the life of the process (a running call may hold any of them, so none is ever
 * evicted; a process uses a handful). Guarded by the GIL. */
typedef struct { char *spec; ns_nn *net; } cached_model;
static cached_model *model_cache;
static size_t model_count;

const ns_nn *nspy_model(PyObject *spec_obj)
{
    if (!PyUnicode_Check(spec_obj)) {
        PyErr_Format(PyExc_TypeError, "model: expected None, 'nuclei' or a weight file's path, not %R", spec_obj);
        return NULL;
    }
    const char *spec = PyUnicode_AsUTF8(spec_obj);
    if (!spec) return NULL;
    for (size_t i = 0; i < model_count; i++)
        if (!strcmp(model_cache[i].spec, spec)) return model_cache[i].net;
    ns_nn *net = NULL;
    ns_error err;
    ns_error_clear(&err);
    ns_status st;
    Py_BEGIN_ALLOW_THREADS
    st = ns_nn_load(spec, &net, &err);
    Py_END_ALLOW_THREADS
    if (st != NS_OK) {
        nspy_raise(st, &err);
        return NULL;
    }
    /* Another thread may have loaded the same spec while the GIL was released. */
    for (size_t i = 0; i < model_count; i++) {
        if (!strcmp(model_cache[i].spec, spec)) {
            ns_nn_free(net);
            return model_cache[i].net;
        }
    }
    cached_model *grown = realloc(model_cache, (model_count + 1) * sizeof *grown);
    char *copy = strdup(spec);
    if (grown) model_cache = grown;
    if (!grown || !copy) {
        free(copy);
        ns_nn_free(net);
        PyErr_NoMemory();
        return NULL;
    }
    model_cache[model_count].spec = copy;
    model_cache[model_count++].net = net;
    return net;
}

const char nspy_segment_doc[] =
    "segment(image, diameter=None, magnification=None, threshold='otsu', channel=0, *,\n"
    "        channel_axis=0, threshold_scale=1.0, split_touching=True, model=None)\n"
    "--\n\n"
    "Segment the nuclei of one image, as `nucseg segment` does.\n\n"
    "image: a 2-D array (rows, columns) of uint8, uint16, uint32 or float32, or a 3-D\n"
    "    stack of channels along channel_axis (0: (C, rows, columns) as tifffile reads a\n"
    "    multi-page TIFF; -1: (rows, columns, C) as an RGB image). The pixels are read\n"
    "    in place when the plane's rows are contiguous; otherwise a copy is made.\n"
    "diameter: nuclear diameter in px (> 0). None: the magnification's preset\n"
    "    (10x: 10, 40x: 40), or estimated from the image when that is None too.\n"
    "magnification: '10x', '40x' (or 10, 40), or None / 'auto'.\n"
    "threshold: 'otsu' or 'local'; threshold_scale multiplies the automatic threshold.\n"
    "channel: which plane of a 3-D stack holds the nuclei.\n"
    "split_touching: split touching nuclei with the seeded watershed.\n"
    "model: None for the classical pipeline, 'nuclei' for the built-in learned one, or a\n"
    "    weight file's path (.nsnn), as `nucseg segment --model`; loaded once per process.\n"
    "    diameter, threshold and split_touching do not apply to it.\n\n"
    "Returns the label image (0 = background, nuclei 1..N), uint16 when N <= 65535,\n"
    "else uint32: the labels the command line writes for the same image and settings.\n"
    "Releases the GIL while it works. Raises TypeError for an unsupported dtype,\n"
    "ValueError for bad values, with the library's message.";

static int parse_magnification(PyObject *o, ns_magnification *m)
{
    *m = NS_MAG_UNKNOWN;
    if (o == Py_None) return 0;
    if (PyLong_Check(o)) {
        long v = PyLong_AsLong(o);
        if (v == 10 || v == 40) { *m = v == 10 ? NS_MAG_10X : NS_MAG_40X; return 0; }
    } else if (PyUnicode_Check(o)) {
        const char *s = PyUnicode_AsUTF8(o);
        if (!s) return -1;
        if (!strcasecmp(s, "10x") || !strcmp(s, "10")) { *m = NS_MAG_10X; return 0; }
        if (!strcasecmp(s, "40x") || !strcmp(s, "40")) { *m = NS_MAG_40X; return 0; }
        if (!strcasecmp(s, "auto") || !strcasecmp(s, "unknown")) return 0;
    }
    if (!PyErr_Occurred())
        PyErr_Format(PyExc_ValueError, "magnification: expected '10x', '40x' or None, not %R", o);
    return -1;
}

PyObject *nspy_segment(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"image", "diameter", "magnification", "threshold", "channel", "channel_axis",
                             "threshold_scale", "split_touching", "model", NULL};
    PyObject *image, *diameter = Py_None, *magnification = Py_None, *model = Py_None;
    const char *threshold = "otsu";
    int channel = 0, channel_axis = 0, split = 1;
    double threshold_scale = 1.0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OOsi$idpO:segment", kwlist, &image, &diameter, &magnification,
                                     &threshold, &channel, &channel_axis, &threshold_scale, &split, &model))
        return NULL;
    ns_magnification mag;
    if (parse_magnification(magnification, &mag) != 0) return NULL;
    ns_segment_params p;
    ns_segment_params_preset(&p, mag);
    if (diameter != Py_None) {
        double d = PyFloat_AsDouble(diameter);
        if (d == -1.0 && PyErr_Occurred()) return NULL;
        if (!(d > 0) || !isfinite(d))
            return PyErr_Format(PyExc_ValueError, "diameter: expected a number of px > 0, not %R", diameter);
        p.diameter = d;
    }
    if (!strcmp(threshold, "otsu")) p.threshold = NS_THRESHOLD_OTSU;
    else if (!strcmp(threshold, "local")) p.threshold = NS_THRESHOLD_LOCAL;
    else return PyErr_Format(PyExc_ValueError, "threshold: expected 'otsu' or 'local', not '%s'", threshold);
    if (!(threshold_scale > 0) || !isfinite(threshold_scale))
        return PyErr_Format(PyExc_ValueError, "threshold_scale: expected a number > 0, not %g", threshold_scale);
    p.threshold_scale = threshold_scale;
    p.split_touching = split;
    if (model != Py_None && !(p.model = nspy_model(model))) return NULL;

    ns_image img;
    PyArrayObject *keep;
    if (nspy_plane(image, "image", channel, channel_axis, &img, &keep) != 0) return NULL;
    ns_segmentation seg = {0};
    ns_error err;
    ns_error_clear(&err);
    ns_status st;
    Py_BEGIN_ALLOW_THREADS
    st = ns_segment(&img, &p, &seg, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(keep);
    if (st != NS_OK) {
        ns_segmentation_free(&seg);
        return nspy_raise(st, &err);
    }
    PyObject *labels = nspy_adopt_image(&seg.labels);
    ns_segmentation_free(&seg);
    return labels;
}

const char nspy_regionprops_doc[] =
    "regionprops(labels, image=None)\n"
    "--\n\n"
    "Measure every labelled nucleus, as the nuclei CSV of `nucseg segment` does.\n\n"
    "labels: 2-D integer label image (0 = background; uint8/uint16/uint32, or signed\n"
    "    integers such as skimage's int64 labels when no value is negative). Labels need\n"
    "    not be consecutive; each one present gives one row, in increasing label order.\n"
    "image: optional 2-D intensity image of the same shape (uint8, uint16, uint32 or\n"
    "    float32) for mean_intensity, which is NaN without it.\n\n"
    "Returns a dict of 1-D NumPy columns named as the CSV's: label, centroid_x,\n"
    "centroid_y (px; x = column, y = row), area (px), mean_intensity, bbox_x0, bbox_y0,\n"
    "bbox_x1, bbox_y1 ([x0, x1) x [y0, y1)), major_axis_length, minor_axis_length,\n"
    "eccentricity, orientation (radians, as the CSV's). pandas.DataFrame(result) makes\n"
    "the table. Releases the GIL while it measures.";

static int set_column(PyObject *d, const char *name, PyObject *col)
{
    if (!col) return -1;
    int rc = PyDict_SetItemString(d, name, col);
    Py_DECREF(col);
    return rc;
}

/* The nucleus table as a dict of columns, in the CSV's order. */
static PyObject *nuclei_columns(const ns_nucleus *nu, size_t n)
{
    enum { LABEL, AREA, BX0, BY0, BX1, BY1, NINT };
    enum { CX, CY, MEAN, MAJOR, MINOR, ECC, ORIENT, NF64 };
    static const char *names[] = {"label", "centroid_x", "centroid_y", "area", "mean_intensity", "bbox_x0",
                                  "bbox_y0", "bbox_x1", "bbox_y1", "major_axis_length", "minor_axis_length",
                                  "eccentricity", "orientation"};
    /* Column k of the CSV: integer column index, or float column index + NINT. */
    static const int order[] = {LABEL, NINT + CX, NINT + CY, AREA, NINT + MEAN, BX0, BY0, BX1, BY1,
                                NINT + MAJOR, NINT + MINOR, NINT + ECC, NINT + ORIENT};
    int64_t *iv[NINT];
    double *fv[NF64];
    PyObject *cols[NINT + NF64] = {0};
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    for (int k = 0; k < NINT + NF64; k++) {
        cols[k] = k < NINT ? nspy_column_i64(n, &iv[k]) : nspy_column_f64(n, &fv[k - NINT]);
        if (!cols[k]) goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        const ns_nucleus *q = &nu[i];
        iv[LABEL][i] = q->label;
        iv[AREA][i] = (int64_t)q->area;
        iv[BX0][i] = q->bbox_x0;
        iv[BY0][i] = q->bbox_y0;
        iv[BX1][i] = q->bbox_x1;
        iv[BY1][i] = q->bbox_y1;
        fv[CX][i] = q->centroid_x;
        fv[CY][i] = q->centroid_y;
        fv[MEAN][i] = q->mean_intensity;
        fv[MAJOR][i] = q->major_axis;
        fv[MINOR][i] = q->minor_axis;
        fv[ECC][i] = q->eccentricity;
        fv[ORIENT][i] = q->orientation;
    }
    for (int k = 0; k < NINT + NF64; k++) {
        PyObject *col = cols[order[k]];
        cols[order[k]] = NULL;
        if (set_column(d, names[k], col) != 0) goto fail;
    }
    return d;
fail:
    for (int k = 0; k < NINT + NF64; k++) Py_XDECREF(cols[k]);
    Py_DECREF(d);
    return NULL;
}

PyObject *nspy_regionprops(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"labels", "image", NULL};
    PyObject *labels_obj, *image_obj = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O:regionprops", kwlist, &labels_obj, &image_obj)) return NULL;
    ns_image labels, image;
    PyArrayObject *keep_labels, *keep_image = NULL;
    if (nspy_labels(labels_obj, &labels, &keep_labels) != 0) return NULL;
    if (image_obj != Py_None && nspy_plane(image_obj, "image", 0, NSPY_2D_ONLY, &image, &keep_image) != 0) {
        Py_DECREF(keep_labels);
        return NULL;
    }
    ns_nucleus *nu = NULL;
    size_t n = 0;
    ns_error err;
    ns_error_clear(&err);
    ns_status st;
    Py_BEGIN_ALLOW_THREADS
    st = ns_measure_labels(&labels, keep_image ? &image : NULL, &nu, &n, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(keep_labels);
    Py_XDECREF(keep_image);
    if (st != NS_OK) return nspy_raise(st, &err);
    PyObject *d = nuclei_columns(nu, n);
    free(nu);
    return d;
}

const char nspy_read_image_doc[] =
    "read_image(path, channel=0, *, max_pixels=None)\n"
    "--\n\n"
    "Read one plane of a TIFF or PNG file (the type is found from the file's bytes),\n"
    "as `nucseg segment` reads its inputs.\n\n"
    "channel: the page of a multi-page TIFF, else the sample (RGB: 0, 1, 2).\n"
    "max_pixels: refuse larger images (default 2**28).\n\n"
    "Returns a 2-D array in the file's pixel type (uint8, uint16, uint32 or float32).\n"
    "Raises OSError naming the file when it is missing, unreadable or corrupt, and\n"
    "ValueError for a channel it does not have or an image over max_pixels.";

PyObject *nspy_read_image(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"path", "channel", "max_pixels", NULL};
    PyObject *path = NULL, *max_obj = Py_None;
    int channel = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|i$O:read_image", kwlist, PyUnicode_FSConverter, &path,
                                     &channel, &max_obj))
        return NULL;
    Py_ssize_t max_pixels = 0; /* None: the library's default */
    if (max_obj != Py_None && (max_pixels = PyNumber_AsSsize_t(max_obj, PyExc_OverflowError)) == -1 &&
        PyErr_Occurred()) {
        Py_DECREF(path);
        return NULL;
    }
    if (channel < 0 || max_pixels < 0 || (max_obj != Py_None && max_pixels == 0)) {
        Py_DECREF(path);
        return PyErr_Format(PyExc_ValueError, "read_image: channel must be >= 0 and max_pixels > 0");
    }
    ns_image img = {0};
    ns_error err;
    ns_error_clear(&err);
    ns_status st;
    const char *p = PyBytes_AS_STRING(path);
    Py_BEGIN_ALLOW_THREADS
    st = ns_image_read(p, channel, (size_t)max_pixels, &img, &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (st != NS_OK) return nspy_raise(st, &err);
    return nspy_adopt_image(&img);
}
