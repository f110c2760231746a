/* nucseg_module.c — the module `nucseg`: its function table and initialisation. */
#define NUCSEG_MODULE_MAIN
#include "nucseg_module.h"

static PyMethodDef nspy_methods[] = {
    {"segment", (PyCFunction)(void (*)(void))nspy_segment, METH_VARARGS | METH_KEYWORDS, nspy_segment_doc},
    {"regionprops", (PyCFunction)(void (*)(void))nspy_regionprops, METH_VARARGS | METH_KEYWORDS,
     nspy_regionprops_doc},
    {"read_image", (PyCFunction)(void (*)(void))nspy_read_image, METH_VARARGS | METH_KEYWORDS,
     nspy_read_image_doc},
    {"map_tiles", (PyCFunction)(void (*)(void))nspy_map_tiles, METH_VARARGS | METH_KEYWORDS, nspy_map_tiles_doc},
    {"match", (PyCFunction)(void (*)(void))nspy_match, METH_VARARGS | METH_KEYWORDS, nspy_match_doc},
    {"fit_affine", (PyCFunction)(void (*)(void))nspy_fit_affine, METH_VARARGS | METH_KEYWORDS,
     nspy_fit_affine_doc},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef nspy_module = {
    PyModuleDef_HEAD_INIT, "nucseg",
    "nucseg: nuclear segmentation and 10X-40X mapping for optical pooled screens.\n\n"
    "A thin layer over libnucseg (the library the nucseg command line uses), so results\n"
    "are the command's: segment() gives the labels `nucseg segment` writes, regionprops()\n"
    "the columns of its nuclei CSV. Functions release the GIL while the library works,\n"
    "so Python threads segment images in parallel. Library errors raise OSError (files),\n"
    "ValueError (bad values) or TypeError (wrong types) with the library's message.",
    -1, nspy_methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit_nucseg(void)
{
    import_array();
    PyObject *m = PyModule_Create(&nspy_module);
    if (!m) return NULL;
    if (PyModule_AddStringConstant(m, "__version__", NUCSEG_VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
