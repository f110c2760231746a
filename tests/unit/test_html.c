/* test_html.c — the report's HTML writers: escaping, and a CSV shown as a table
 * (every row keeps the header's columns even with empty fields, long numbers are
 * shortened for display, long files are cut with a note, a missing file is a note). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "nucseg/report.h"

/* Everything a writer call produced, as one string (caller frees). */
static char *render_csv(const char *csv_text, size_t max_rows)
{
    char path[] = "/tmp/nucseg_html_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    FILE *c = fdopen(fd, "w");
    fputs(csv_text, c);
    fclose(c);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    ns_html_csv_table(m, path, max_rows);
    fclose(m);
    unlink(path);
    return buf;
}

static size_t count(const char *s, const char *what)
{
    size_t k = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what)) k++;
    return k;
}

/* Cells (<th> or <td>) in each <tr>, which must all equal the header's. */
static int rows_have_columns(const char *html, size_t want)
{
    const char *p = html;
    int rows = 0;
    while ((p = strstr(p, "<tr>"))) {
        const char *end = strstr(p, "</tr>");
        if (!end) return -1;
        size_t cells = 0;
        for (const char *q = p; (q = strstr(q, "<t")) && q < end; q += 3)
            if (q[2] == 'h' || q[2] == 'd') cells++; /* <th> or <td>, not <tr> */
        if (cells != want) return -1;
        rows++;
        p = end;
    }
    return rows;
}

static void test_empty_fields_keep_their_column(void)
{
    char *h = render_csv("tile_40x,tile_10x,a,rmsd,status,truth\n"
                         "Site-0,Tile-0,0.249848339898,0.47,ok,Tile-0\n"
                         "Site-1,,,,unmapped,\n"
                         ",,,,,\n",
                         50);
    CHECK(h != NULL);
    if (!h) return;
    CHECK_MSG(rows_have_columns(h, 6) == 4, "%s", h);
    CHECK(strstr(h, "<td>Site-1</td><td></td><td></td><td></td><td>unmapped</td><td></td>") != NULL);
    CHECK(strstr(h, "<td>0.249848</td>") != NULL); /* 12 digits shown as 6 */
    CHECK(strstr(h, "<td>0.47</td>") != NULL);     /* short numbers unchanged */
    CHECK(strstr(h, "<th>tile 40x</th>") != NULL); /* shown with a space: headers wrap */
    free(h);
}

static void test_long_file_is_cut_with_a_note(void)
{
    char csv[4096] = "k,v\n";
    for (int i = 0; i < 30; i++) {
        char line[32];
        snprintf(line, sizeof line, "%d,x%d\n", i, i);
        strcat(csv, line);
    }
    char *h = render_csv(csv, 10);
    CHECK(h != NULL);
    if (!h) return;
    CHECK_MSG(count(h, "<tr>") == 11, "%zu rows", count(h, "<tr>")); /* header + 10 */
    CHECK(strstr(h, "first 10 rows") != NULL);
    free(h);
    h = render_csv("k,v\n1,2\n", 10);
    CHECK(h && !strstr(h, "first 10 rows"));
    free(h);
}

static void test_markup_in_cells_is_escaped(void)
{
    char *h = render_csv("name,value\n<b>x</b>&y,\"q\"\n", 10);
    CHECK(h && strstr(h, "&lt;b&gt;x&lt;/b&gt;&amp;y") != NULL && !strstr(h, "<b>"));
    free(h);
}

static void test_missing_file_is_a_note(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    ns_html_csv_table(m, "/nonexistent/nucseg/table.csv", 10);
    fclose(m);
    CHECK(buf && strstr(buf, "no table") != NULL && !strstr(buf, "<table"));
    free(buf);
}

int main(void)
{
    RUN(test_empty_fields_keep_their_column);
    RUN(test_long_file_is_cut_with_a_note);
    RUN(test_markup_in_cells_is_escaped);
    RUN(test_missing_file_is_a_note);
    return check_report();
}
