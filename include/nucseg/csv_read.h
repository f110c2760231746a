/* csv_read.h — the one CSV reader of nucseg: a header row, then records, RFC 4180
 * (quoted fields with "" for a quote, commas and line breaks inside quotes), LF or
 * CRLF line ends, an empty field keeps its column, the last line may lack its line
 * end, and blank lines are skipped. Used for the tables nucseg reads back (mapping,
 * matches, optimizer summaries) and for the tables the HTML reports show. */
#ifndef NUCSEG_CSV_READ_H
#define NUCSEG_CSV_READ_H

#include <stdio.h>
#include "nucseg/error.h"

typedef struct {
    const char *path;  /* for messages (the caller's string) */
    FILE *f;
    char *line;        /* the current record's text, split in place into fields */
    size_t cap;
    char *record;      /* a record spanning lines (quoted line breaks), else NULL */
    char *header_line; /* the header's text, split into header */
    char **header;
    int nheader;
    char **fields;     /* the current record's fields (point into line/record) */
    int nfields, fields_cap;
    long lineno;       /* line number of the current record's first line */
    int eof;           /* set by ns_csv_next when there is no further record */
} ns_csv_reader;

/* Open path and read its header row. An empty file is a format error. */
ns_status ns_csv_open(ns_csv_reader *r, const char *path, ns_error *err);

/* The next record into r->fields / r->nfields; at the end of the file r->eof is set
 * (and NS_OK returned). Loop: while ((st = ns_csv_next(&r, err)) == NS_OK && !r.eof). */
ns_status ns_csv_next(ns_csv_reader *r, ns_error *err);

/* Index of the header column called name, or -1. */
int ns_csv_column(const ns_csv_reader *r, const char *name);

/* idx[i] = the column of names[i], for all n; else a format error naming the first
 * missing column and the file. */
ns_status ns_csv_require(const ns_csv_reader *r, const char *const *names, int *idx, int n, ns_error *err);

/* Field i of the current record, or "" when the record is shorter. */
const char *ns_csv_get(const ns_csv_reader *r, int i);

/* A field as a finite number (the whole field, as strtod reads it): 1, else 0. */
int ns_csv_double(const char *field, double *out);

void ns_csv_close(ns_csv_reader *r);

#endif
