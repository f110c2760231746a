/* html_csv_table.c — a small CSV file (a row per tile, per optimizer…) shown as an
 * HTML table in a report page. The page is for reading: numbers are shown to 6
 * significant digits, and the CSV linked next to the table keeps full precision. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
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
    FILE *f = fopen(csv_path, "r");
    if (!f) {
        ns_html_paragraph(html, "(no table: the stage did not finish)");
        return;
    }
    char line[4096];
    char shown[MAX_COLS][SHOWN_LEN];
    size_t row = 0;
    int more = 0;
    while (fgets(line, sizeof line, f)) {
        if (row > max_rows) { more = 1; break; }
        line[strcspn(line, "\r\n")] = 0;
        /* Split on every comma (our CSVs quote nothing), so an empty field keeps its
         * column: strtok would merge ",," and shift the cells after it. */
        const char *cells[MAX_COLS];
        size_t n = 0;
        for (char *t = line; n < MAX_COLS;) {
            char *comma = strchr(t, ',');
            if (comma) *comma = 0;
            cells[n] = row == 0 ? t : display_cell(t, shown[n], sizeof shown[n]);
            n++;
            if (!comma) break;
            t = comma + 1;
        }
        if (row == 0) ns_html_table_begin(html, cells, n);
        else ns_html_table_row(html, cells, n);
        row++;
    }
    if (row > 0) ns_html_table_end(html);
    if (more) {
        char msg[96];
        snprintf(msg, sizeof msg, "(first %zu rows; the CSV below has them all)", max_rows);
        ns_html_paragraph(html, msg);
    }
    fclose(f);
}
