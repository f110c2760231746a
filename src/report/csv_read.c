/* csv_read.c — the CSV reader (see csv_read.h): records are read a line at a time,
 * joined while a quote is open, and split in place. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nucseg/csv_read.h"
#include "nucseg/fsutil.h"

/* Whether text leaves a quoted field open (an odd number of quote characters:
 * "" inside a quoted field counts two). */
static int quote_open(const char *text)
{
    int open = 0;
    for (const char *p = text; *p; p++) open ^= *p == '"';
    return open;
}

static void strip_line_end(char *s)
{
    size_t len = strlen(s);
    while (len && (s[len - 1] == '\n' || s[len - 1] == '\r')) s[--len] = 0;
}

/* Split text in place into *fields (grown as needed); returns the field count or -1
 * when out of memory. A quoted field ends at its closing quote; anything after it up
 * to the next comma is dropped. */
static int split(char *text, char ***fields, int *cap)
{
    int need = 1;
    for (const char *p = text; *p; p++) need += *p == ',';
    if (need > *cap) {
        char **more = realloc(*fields, (size_t)need * sizeof *more);
        if (!more) return -1;
        *fields = more;
        *cap = need;
    }
    int n = 0;
    char *p = text;
    for (;;) {
        if (*p == '"') {
            char *o = ++p;
            (*fields)[n++] = o;
            while (*p) {
                if (*p == '"' && p[1] == '"') { *o++ = '"'; p += 2; }
                else if (*p == '"') { p++; break; }
                else *o++ = *p++;
            }
            while (*p && *p != ',') p++;
            int more = *p == ',';
            *o = 0;
            if (!more) return n;
            p++;
        } else {
            (*fields)[n++] = p;
            char *comma = strchr(p, ',');
            if (!comma) return n;
            *comma = 0;
            p = comma + 1;
        }
    }
}

/* The next record's text (lines joined while a quote is open), without its line end;
 * NULL at the end of the file. Blank lines are skipped. */
static ns_status read_record(ns_csv_reader *r, char **text, ns_error *err)
{
    free(r->record);
    r->record = NULL;
    *text = NULL;
    for (;;) {
        errno = 0;
        if (getline(&r->line, &r->cap, r->f) < 0) {
            if (ferror(r->f)) return ns_error_set(err, NS_ERR_IO, "%s: %s", r->path, strerror(errno));
            return NS_OK;
        }
        r->lineno++;
        if (r->line[0] != '\n' && r->line[0] != '\r' && r->line[0] != 0) break;
    }
    if (!quote_open(r->line)) {
        strip_line_end(r->line);
        *text = r->line;
        return NS_OK;
    }
    /* A quoted field with a line break in it: join lines until the quote closes. */
    size_t len = strlen(r->line);
    if (!(r->record = malloc(len + 1))) return ns_error_set(err, NS_ERR_NOMEM, "%s: record", r->path);
    memcpy(r->record, r->line, len + 1);
    long first = r->lineno;
    while (quote_open(r->record)) {
        if (getline(&r->line, &r->cap, r->f) < 0)
            return ns_error_set(err, NS_ERR_FORMAT, "%s:%ld: quoted field not closed before the end of the file",
                                r->path, first);
        r->lineno++;
        size_t add = strlen(r->line);
        char *more = realloc(r->record, len + add + 1);
        if (!more) return ns_error_set(err, NS_ERR_NOMEM, "%s: record", r->path);
        r->record = more;
        memcpy(r->record + len, r->line, add + 1);
        len += add;
    }
    r->lineno = first;
    strip_line_end(r->record);
    *text = r->record;
    return NS_OK;
}

ns_status ns_csv_open(ns_csv_reader *r, const char *path, ns_error *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    ns_status regular = ns_require_regular_file(path, err); /* a FIFO would block fopen */
    if (regular != NS_OK) return regular;
    r->f = fopen(path, "r");
    if (!r->f) return ns_error_set(err, NS_ERR_IO, "%s: %s", path, strerror(errno));
    char *text;
    ns_status st = read_record(r, &text, err);
    if (st == NS_OK && !text) st = ns_error_set(err, NS_ERR_FORMAT, "%s: empty file (no header)", path);
    if (st == NS_OK && !(r->header_line = strdup(text))) st = ns_error_set(err, NS_ERR_NOMEM, "%s: header", path);
    int cap = 0;
    if (st == NS_OK && (r->nheader = split(r->header_line, &r->header, &cap)) < 0)
        st = ns_error_set(err, NS_ERR_NOMEM, "%s: header", path);
    if (st != NS_OK) ns_csv_close(r);
    return st;
}

ns_status ns_csv_next(ns_csv_reader *r, ns_error *err)
{
    char *text;
    r->nfields = 0;
    ns_status st = read_record(r, &text, err);
    if (st != NS_OK) return st;
    if (!text) {
        r->eof = 1;
        return NS_OK;
    }
    if ((r->nfields = split(text, &r->fields, &r->fields_cap)) < 0) {
        r->nfields = 0;
        return ns_error_set(err, NS_ERR_NOMEM, "%s:%ld: fields", r->path, r->lineno);
    }
    return NS_OK;
}

int ns_csv_column(const ns_csv_reader *r, const char *name)
{
    for (int i = 0; i < r->nheader; i++)
        if (!strcmp(r->header[i], name)) return i;
    return -1;
}

ns_status ns_csv_require(const ns_csv_reader *r, const char *const *names, int *idx, int n, ns_error *err)
{
    for (int i = 0; i < n; i++)
        if ((idx[i] = ns_csv_column(r, names[i])) < 0)
            return ns_error_set(err, NS_ERR_FORMAT, "%s: no column '%s'", r->path, names[i]);
    return NS_OK;
}

const char *ns_csv_get(const ns_csv_reader *r, int i)
{
    return i >= 0 && i < r->nfields ? r->fields[i] : "";
}

int ns_csv_double(const char *field, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(field, &end);
    if (errno || end == field || *end || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

void ns_csv_close(ns_csv_reader *r)
{
    if (r->f) fclose(r->f);
    free(r->line);
    free(r->record);
    free(r->header_line);
    free(r->header);
    free(r->fields);
    memset(r, 0, sizeof *r);
}
