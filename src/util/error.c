/* error.c — filling ns_error messages. */
#include "nucseg/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

ns_status ns_error_set(ns_error *err, ns_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void ns_error_prefix(ns_error *err, const char *fmt, ...)
{
    if (!err) return;
    char prefix[NS_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Build "prefix: message" by hand, cutting at the buffer size. */
    char joined[NS_ERROR_MAX];
    size_t lp = strnlen(prefix, sizeof joined - 3);
    memcpy(joined, prefix, lp);
    memcpy(joined + lp, ": ", 2);
    size_t room = sizeof joined - lp - 3;
    size_t lm = strnlen(err->message, room);
    memcpy(joined + lp + 2, err->message, lm);
    joined[lp + 2 + lm] = '\0';
    memcpy(err->message, joined, sizeof joined);
}

void ns_error_clear(ns_error *err)
{
    if (!err) return;
    err->code = NS_OK;
    err->message[0] = '\0';
}

const char *ns_status_name(ns_status code)
{
    switch (code) {
    case NS_OK: return "ok";
    case NS_ERR_IO: return "io";
    case NS_ERR_FORMAT: return "format";
    case NS_ERR_UNSUPPORTED: return "unsupported";
    case NS_ERR_TOO_LARGE: return "too_large";
    case NS_ERR_EMPTY: return "empty";
    case NS_ERR_NOMEM: return "nomem";
    case NS_ERR_INVALID: return "invalid";
    case NS_ERR_TIMEOUT: return "timeout";
    case NS_ERR_CRASH: return "crash";
    case NS_ERR_INTERNAL: return "internal";
    }
    return "unknown";
}
