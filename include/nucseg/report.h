/* report.h — building blocks for self-contained HTML report pages and CSV files.
 *
 * Pages are plain HTML5 with a small inline stylesheet and relative links, so a
 * results folder can be copied, zipped or opened from disk as it is. Every text
 * that comes from data (file names, labels) goes through the escaping writers. */
#ifndef NUCSEG_REPORT_H
#define NUCSEG_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "nucseg/image.h"

/* Write s with &, <, >, " and ' escaped. NULL writes nothing. */
void ns_html_escape(FILE *f, const char *s);

/* <!DOCTYPE html> … <body><h1>title</h1>; ns_html_end closes body and html. */
void ns_html_begin(FILE *f, const char *title);
void ns_html_end(FILE *f);

/* <h2>text</h2> and <p>text</p>, escaped. */
void ns_html_heading(FILE *f, int level, const char *text);
void ns_html_paragraph(FILE *f, const char *text);
/* Preformatted block (e.g. recommendation.txt), escaped. */
void ns_html_pre(FILE *f, const char *text);

/* A figure: the PNG shown, linking to the SVG (either may be NULL), with a caption.
 * Paths are written as given: pass paths relative to the page. */
void ns_html_figure(FILE *f, const char *png, const char *svg, const char *caption);

/* A link to a file next to the page. */
void ns_html_link(FILE *f, const char *href, const char *text);

/* Tables: header cells, then rows of already-formatted cells (escaped here). */
void ns_html_table_begin(FILE *f, const char *const *headers, size_t n);
void ns_html_table_row(FILE *f, const char *const *cells, size_t n);
void ns_html_table_end(FILE *f);
/* A small CSV file (read by csv_read.h) as a table (header row first, _ shown as a space
 * so that headers wrap between words; an empty field keeps its column; long numbers
 * shown to 6 significant digits), at most max_rows data rows and a note when there are
 * more. A missing file writes a one-line note instead. */
void ns_html_csv_table(FILE *f, const char *csv_path, size_t max_rows);

/* A PNG of a region of img (width x height px from x0, y0), reduced by block means
 * of factor x factor px and contrast-stretched, with the outline of every nucleus of
 * labels (img's size, 0 = background) drawn in a colour of its own. */
typedef struct {
    int x0, y0, width, height, factor;
} ns_overlay_region;
ns_status ns_overlay_png(const char *path, const ns_image *img, const uint32_t *labels,
                         const ns_overlay_region *region, ns_error *err);

/* One CSV field (RFC 4180): quoted, with doubled quotes, when it holds , " or a newline. */
void ns_csv_field(FILE *f, const char *s);
/* A number for CSV/JSON-like output: %.*g, or an empty field for NAN/inf. */
void ns_csv_number(FILE *f, double v, int digits);

#endif
