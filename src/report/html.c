/* html.c — writers for self-contained HTML report pages (escaping, tables, figures). */
#include "nucseg/report.h"

void ns_html_escape(FILE *f, const char *s)
{
    if (!s) return;
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

void ns_html_begin(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
    ns_html_escape(f, title);
    /* Inline style: the page must render the same when opened straight from disk. */
    fputs("</title>\n<style>\n"
          "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1100px;"
          "margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\n"
          "h1{font-size:1.6em;border-bottom:2px solid #1f77b4;padding-bottom:.2em}\n"
          "h2{font-size:1.25em;margin-top:1.8em}\n"
          "table{border-collapse:collapse;margin:.8em 0;font-size:.9em}\n"
          ".tbl{overflow-x:auto}\n" /* a wide table scrolls by itself, not the page */
          "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right;white-space:nowrap}\n"
          /* Headers wrap between words: tables fit the page's width. */
          "th{background:#f0f4f8;white-space:normal;vertical-align:bottom}\n"
          "td:first-child,th:first-child{text-align:left}\n"
          "figure{display:inline-block;margin:.5em;vertical-align:top}\n"
          "figure img{width:520px;max-width:100%;border:1px solid #ddd}\n"
          "figcaption{font-size:.85em;color:#555;max-width:520px}\n"
          "pre{background:#f7f7f7;border:1px solid #ddd;padding:.8em;white-space:pre-wrap}\n"
          "</style>\n</head>\n<body>\n<h1>", f);
    ns_html_escape(f, title);
    fputs("</h1>\n", f);
}

void ns_html_end(FILE *f)
{
    fputs("</body>\n</html>\n", f);
}

void ns_html_heading(FILE *f, int level, const char *text)
{
    if (level < 1) level = 1;
    if (level > 6) level = 6;
    fprintf(f, "<h%d>", level);
    ns_html_escape(f, text);
    fprintf(f, "</h%d>\n", level);
}

void ns_html_paragraph(FILE *f, const char *text)
{
    fputs("<p>", f);
    ns_html_escape(f, text);
    fputs("</p>\n", f);
}

void ns_html_pre(FILE *f, const char *text)
{
    fputs("<pre>", f);
    ns_html_escape(f, text);
    fputs("</pre>\n", f);
}

void ns_html_figure(FILE *f, const char *png, const char *svg, const char *caption)
{
    fputs("<figure>", f);
    if (svg) {
        fputs("<a href=\"", f);
        ns_html_escape(f, svg);
        fputs("\">", f);
    }
    if (png) {
        fputs("<img src=\"", f);
        ns_html_escape(f, png);
        fputs("\" alt=\"", f);
        ns_html_escape(f, caption);
        fputs("\">", f);
    } else if (svg) {
        ns_html_escape(f, caption);
    }
    if (svg) fputs("</a>", f);
    fputs("<figcaption>", f);
    ns_html_escape(f, caption);
    fputs("</figcaption></figure>\n", f);
}

void ns_html_link(FILE *f, const char *href, const char *text)
{
    fputs("<a href=\"", f);
    ns_html_escape(f, href);
    fputs("\">", f);
    ns_html_escape(f, text ? text : href);
    fputs("</a>", f);
}

/* <tag>cell</tag> for each of n cells, escaped. */
static void write_cells(FILE *f, const char *tag, const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "<%s>", tag);
        ns_html_escape(f, cells[i]);
        fprintf(f, "</%s>", tag);
    }
}

void ns_html_table_begin(FILE *f, const char *const *headers, size_t n)
{
    fputs("<div class=\"tbl\"><table>\n<thead><tr>", f);
    write_cells(f, "th", headers, n);
    fputs("</tr></thead>\n<tbody>\n", f);
}

void ns_html_table_row(FILE *f, const char *const *cells, size_t n)
{
    fputs("<tr>", f);
    write_cells(f, "td", cells, n);
    fputs("</tr>\n", f);
}

void ns_html_table_end(FILE *f)
{
    fputs("</tbody>\n</table></div>\n", f);
}
