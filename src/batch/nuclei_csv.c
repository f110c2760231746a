/* nuclei_csv.c — the nucleus table of one image (see nuclei_csv.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "batch/nuclei_csv.h"
#include "nucseg/fsutil.h"
#include "nucseg/report.h"
#include "util/fixed_decimal.h"

#define COLS_MAX 18

typedef struct {
    double v;
    int decimals;
} cell;

/* One row, as "%u,%.3f,%.3f,%.0f,%.4f,%d,%d,%d,%d,%.3f,%.3f,%.4f,%.4f" would write the
 * measurements (ns_format_fixed: the same digits, without printf's cost), then names
 * (already CSV-quoted), then the micrometre columns. */
static size_t nucleus_row(char *out, const ns_nucleus *q, const char *names, const ns_pixel_size_um *px)
{
    cell cols[COLS_MAX] = {{q->label, 0},      {q->centroid_x, 3}, {q->centroid_y, 3},   {q->area, 0},
                           {q->mean_intensity, 4}, {q->bbox_x0, 0}, {q->bbox_y0, 0},     {q->bbox_x1, 0},
                           {q->bbox_y1, 0},    {q->major_axis, 3}, {q->minor_axis, 3},   {q->eccentricity, 4},
                           {q->orientation, 4}};
    size_t ncols = 13, n = 0;
    for (size_t c = 0; c < ncols; c++) {
        if (c) out[n++] = ',';
        n += ns_format_fixed(out + n, cols[c].v, cols[c].decimals);
    }
    size_t ln = strlen(names);
    out[n++] = ',';
    memcpy(out + n, names, ln);
    n += ln;
    if (px->x_um > 0) {
        /* Lengths along no single axis (the ellipse's) take the mean scale; equal for
         * the square pixels microscopes have. */
        double len_um = sqrt(px->x_um * px->y_um);
        cell um[] = {{q->area * px->x_um * px->y_um, 4}, {q->centroid_x * px->x_um, 4},
                     {q->centroid_y * px->y_um, 4},      {q->major_axis * len_um, 4},
                     {q->minor_axis * len_um, 4}};
        for (size_t c = 0; c < sizeof um / sizeof um[0]; c++) {
            out[n++] = ',';
            n += ns_format_fixed(out + n, um[c].v, um[c].decimals);
        }
    }
    out[n++] = '\n';
    return n;
}

/* "plate,well,tile" as CSV fields (quoted where they need it), once per table. */
static char *names_fields(const ns_job *job)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return NULL;
    ns_csv_field(m, job->plate ? job->plate : "");
    fputc(',', m);
    ns_csv_field(m, job->well ? job->well : "");
    fputc(',', m);
    ns_csv_field(m, job->tile ? job->tile : "");
    if (fclose(m) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

ns_status ns_nuclei_csv_write(const char *path, const ns_job *job, const ns_segmentation *s,
                              const ns_pixel_size_um *px, ns_commit_list *defer, ns_error *err)
{
    char *names = names_fields(job);
    char *row = names ? malloc(COLS_MAX * NS_FIXED_MAX + strlen(names) + 2) : NULL;
    if (!row) {
        free(names);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
    }
    ns_atomic_file f;
    ns_status st = ns_atomic_open_to(&f, path, defer, err);
    if (st == NS_OK) {
        fprintf(f.fp, "label,centroid_x,centroid_y,area,mean_intensity,bbox_x0,bbox_y0,bbox_x1,bbox_y1,"
                      "major_axis_length,minor_axis_length,eccentricity,orientation,plate,well,tile%s\n",
                px->x_um > 0 ? ",area_um2,centroid_x_um,centroid_y_um,major_axis_length_um,minor_axis_length_um" : "");
        for (size_t i = 0; i < s->count; i++) fwrite(row, 1, nucleus_row(row, &s->nuclei[i], names, px), f.fp);
        st = ns_atomic_close(&f, err);
    }
    free(row);
    free(names);
    return st;
}
