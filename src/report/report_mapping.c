/* report_mapping.c — the mapping section of `nucseg run`'s report: each 40X tile's
 * affine transform into its 10X tile (mapping.csv), told as a microscopist would
 * check it: the scale (about 0.25 from 40X to 10X), the rotation between the two
 * acquisitions, the shift of the 40X tile's origin in the 10X tile, the RMSD of the
 * matched nuclei, and, against the truth, the error at the tile's corners. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "nucseg/csv_read.h"
#include "nucseg/fsutil.h"
#include "nucseg/report.h"
#include "nucseg/report_run.h"

/* A transform x' = a x + b y + tx, y' = c x + d y + ty as the similarity nearest it:
 * scale sqrt(|det|), rotation atan2(c - b, a + d). */
static void similarity_of(const double t[6], double *scale, double *rot_deg)
{
    double a = t[0], b = t[1], c = t[3], d = t[4];
    *scale = sqrt(fabs(a * d - b * c));
    *rot_deg = atan2(c - b, a + d) * 180.0 / M_PI;
}

static const char *fmt(char *buf, size_t size, const char *f, double v)
{
    if (isfinite(v)) snprintf(buf, size, f, v);
    else snprintf(buf, size, "-");
    return buf;
}

void ns_report_mapping(FILE *html, const char *map_dir)
{
    char *path = ns_path_join(map_dir, "mapping.csv");
    ns_csv_reader r;
    ns_error err;
    if (!path || ns_csv_open(&r, path, &err) != NS_OK) {
        ns_html_paragraph(html, path ? "(no mapping table: the stage did not finish)" : "(out of memory)");
        free(path);
        return;
    }
    static const char *const cols[] = {"tile_40x", "tile_10x", "status", "a", "b", "tx", "c", "d", "ty",
                                       "rmsd", "inliers"};
    int idx[11];
    int corner = ns_csv_column(&r, "corner_error_px");
    const char *head[] = {"40X tile", "10X tile", "status", "scale (10X px per 40X px)", "rotation (degrees)",
                          "shift x (10X px)", "shift y (10X px)", "RMSD of the matched nuclei (10X px)",
                          "matched nuclei", "corner error against the truth (10X px)"};
    ns_status st = ns_csv_require(&r, cols, idx, 11, &err);
    int begun = st == NS_OK;
    if (begun) ns_html_table_begin(html, head, corner >= 0 ? 10 : 9);
    while (st == NS_OK && (st = ns_csv_next(&r, &err)) == NS_OK && !r.eof) {
        double t[6], rmsd = NAN, ce = NAN, scale = NAN, rot = NAN;
        int ok = 1;
        for (int k = 0; k < 6; k++) ok &= ns_csv_double(ns_csv_get(&r, idx[3 + k]), &t[k]);
        if (ok) similarity_of(t, &scale, &rot);
        if (!ns_csv_double(ns_csv_get(&r, idx[9]), &rmsd)) rmsd = NAN;
        if (corner >= 0 && !ns_csv_double(ns_csv_get(&r, corner), &ce)) ce = NAN;
        char c[6][32];
        const char *row[] = {ns_csv_get(&r, idx[0]), ns_csv_get(&r, idx[1]), ns_csv_get(&r, idx[2]),
                             fmt(c[0], 32, "%.4f", scale), fmt(c[1], 32, "%.2f", rot),
                             fmt(c[2], 32, "%.1f", ok ? t[2] : NAN), fmt(c[3], 32, "%.1f", ok ? t[5] : NAN),
                             fmt(c[4], 32, "%.3f", rmsd), ns_csv_get(&r, idx[10]), fmt(c[5], 32, "%.3f", ce)};
        ns_html_table_row(html, row, corner >= 0 ? 10 : 9);
    }
    if (begun) ns_html_table_end(html);
    if (st != NS_OK) ns_html_paragraph(html, err.message);
    ns_csv_close(&r);
    free(path);
    ns_html_paragraph(html, "Scale, rotation and shift describe the affine transform from 40X to 10X pixels "
                            "(the similarity nearest it); the full transform is in mapping.csv.");
}
