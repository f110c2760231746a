/* tiff_diag.c — libtiff error/warning handlers that remember the last message
 * instead of printing it, so readers/writers can put it into their ns_error. */
#include "image_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <tiffio.h>

/* Thread-local: the handlers are process-wide, but each thread reports its own file.
 * Module and text are kept apart so the module can be dropped when it is just
 * the file name (libtiff passes tif_name), which our messages already start with. */
typedef struct {
    char module[256];
    char text[448];
} diag_message;
static _Thread_local diag_message last_error, last_warning;
static _Thread_local char formatted[768];
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static void remember(diag_message *m, const char *module, const char *fmt, va_list ap)
{
    snprintf(m->module, sizeof m->module, "%s", module ? module : "");
    vsnprintf(m->text, sizeof m->text, fmt, ap);
}

static void capture_error(const char *module, const char *fmt, va_list ap)
{
    remember(&last_error, module, fmt, ap);
}

static void capture_warning(const char *module, const char *fmt, va_list ap)
{
    remember(&last_warning, module, fmt, ap);
}

static void install_handlers(void)
{
    TIFFSetErrorHandler(capture_error);
    TIFFSetWarningHandler(capture_warning);
}

void ns_tiff_diag_install(void)
{
    pthread_once(&install_once, install_handlers);
}

void ns_tiff_diag_clear(void)
{
    last_error.text[0] = '\0';
    last_warning.text[0] = '\0';
}

const char *ns_tiff_diag_last(const char *path)
{
    const diag_message *m = last_error.text[0] ? &last_error : &last_warning;
    if (!m->text[0]) return "";
    if (m->module[0] && strcmp(m->module, path) != 0)
        snprintf(formatted, sizeof formatted, "%s: %s", m->module, m->text);
    else
        snprintf(formatted, sizeof formatted, "%s", m->text);
    /* Messages end up inside one-line errors: no newlines, no trailing period. */
    for (char *c = formatted; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
    size_t n = strlen(formatted);
    while (n && (formatted[n - 1] == '.' || formatted[n - 1] == ' '))
        formatted[--n] = '\0';
    return formatted;
}
