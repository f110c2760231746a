/* html_csv_table.c — a small CSV file (a row per tile, per optimizer…) shown as an
 * HTML table in a report page. The page is for reading: numbers are shown to 6
 * significant digits, and the CSV linked next to the table keeps full precision. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nucseg/csv_read.h"
#include "nucseg/report.h"

enum { MAX_COLS = 64, SHOWN_LEN = 32 };

/* A cell for display: a long number to 6 significant digits; anything else as it is. */
static const char *display_cell(const char *cell, char *buf, size_t size)
{
    char *end = NULL;
    double v = strtod(cell, &end);
    if (end == cell || *end || strlen(cell) <= 8 || !isfinite(v)) return cell;
    snprintf(buf, size, "%.6g", v);
    return buf;
}

void ns_html_csv_table(FILE *html, const char *csv_path, size_t max_rows)
{
    ns_csv_reader r;
    ns_error err;
    ns_status st = ns_csv_open(&r, csv_path, &err);
    if (st != NS_OK) {
        /* A missing file: the stage that writes it did not get that far. */
        if (st == NS_ERR_IO) ns_html_paragraph(html, "(no table: the stage did not finish)");
        else ns_html_paragraph(html, err.message);
        return;
    }
    char shown[MAX_COLS][SHOWN_LEN];
    /* Column names shown with spaces for underscores: a header can wrap between words. */
    size_t nh = (size_t)(r.nheader < MAX_COLS ? r.nheader : MAX_COLS);
    const char *head[MAX_COLS];
    for (size_t i = 0; i < nh; i++) {
        char *h = r.header[i]; /* the reader's copy, read no more */
        for (char *c = h; *c; c++) if (*c == '_') *c = ' ';
        head[i] = h;
    }
    ns_html_table_begin(html, head, nh);
    size_t row = 0;
    int more = 0;
    while ((st = ns_csv_next(&r, &err)) == NS_OK && !r.eof) {
        if (row == max_rows) { more = 1; break; }
        const char *cells[MAX_COLS];
        size_t n = r.nfields < MAX_COLS ? (size_t)r.nfields : MAX_COLS;
        for (size_t i = 0; i < n; i++) cells[i] = display_cell(r.fields[i], shown[i], sizeof shown[i]);
        ns_html_table_row(html, cells, n);
        row++;
    }
    ns_html_table_end(html);
    if (st != NS_OK) ns_html_paragraph(html, err.message);
    if (more) {
        char msg[96];
        snprintf(msg, sizeof msg, "(first %zu rows; the CSV below has them all)", max_rows);
        ns_html_paragraph(html, msg);
    }
    ns_csv_close(&r);
}
