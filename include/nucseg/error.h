/* error.h — status codes and error messages shared by every nucseg module.
 *
 * Every function that can fail returns an ns_status and, when it is not NS_OK,
 * fills the caller's ns_error with one line naming the file (or object) and the
 * reason, e.g. "data/a.tif: truncated TIFF (strip 3 of 8 unreadable)".
 * Passing err == NULL is allowed: the message is then dropped. */
#ifndef NUCSEG_ERROR_H
#define NUCSEG_ERROR_H

#include <stddef.h>

typedef enum {
    NS_OK = 0,
    NS_ERR_IO,          /* open/read/write/rename failed (missing file, full disk) */
    NS_ERR_FORMAT,      /* not an image, truncated, corrupt */
    NS_ERR_UNSUPPORTED, /* valid file, but a pixel type / layout we do not handle */
    NS_ERR_TOO_LARGE,   /* over --max-pixels or another size limit */
    NS_ERR_EMPTY,       /* 0x0 image, no points, nothing to do */
    NS_ERR_NOMEM,
    NS_ERR_INVALID,     /* bad argument or parameter */
    NS_ERR_TIMEOUT,     /* a worker passed its time limit */
    NS_ERR_CRASH,       /* a worker died on a signal */
    NS_ERR_INTERNAL
} ns_status;

#define NS_ERROR_MAX 1024

typedef struct {
    ns_status code;
    char message[NS_ERROR_MAX];
} ns_error;

/* Fill err (if non-NULL) with code and a printf-style message; returns code so
 * callers can write `return ns_error_set(err, NS_ERR_IO, "%s: %s", path, strerror(errno));` */
ns_status ns_error_set(ns_error *err, ns_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix an existing message with "context: " (e.g. the file name). */
void ns_error_prefix(ns_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void ns_error_clear(ns_error *err);

/* Short stable name for a status ("io", "format", ...), used in JSON reports. */
const char *ns_status_name(ns_status code);

#endif
