/* errors.c — library statuses as Python exceptions, with the library's message. */
#include "nucseg_module.h"

PyObject *nspy_raise(ns_status st, const ns_error *err)
{
    const char *msg = err && err->message[0] ? err->message : ns_status_name(st);
    PyObject *type;
    switch (st) {
    case NS_ERR_IO:
    case NS_ERR_FORMAT: type = PyExc_OSError; break; /* a file missing, unreadable or corrupt */
    case NS_ERR_NOMEM: type = PyExc_MemoryError; break;
    case NS_ERR_UNSUPPORTED:
    case NS_ERR_TOO_LARGE:
    case NS_ERR_EMPTY:
    case NS_ERR_INVALID: type = PyExc_ValueError; break;
    default: type = PyExc_RuntimeError; break;
    }
    PyErr_SetString(type, msg);
    return NULL;
}
