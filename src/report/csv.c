/* csv.c — RFC 4180 fields and numbers for CSV outputs. */
#include <math.h>
#include <string.h>

#include "nucseg/report.h"

void ns_csv_field(FILE *f, const char *s)
{
    if (!s) return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void ns_csv_number(FILE *f, double v, int digits)
{
    /* An empty field, not "nan": spreadsheets and pandas read it as missing. */
    if (!isfinite(v)) return;
    fprintf(f, "%.*g", digits, v);
}
