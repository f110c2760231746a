/* run_report.c — the end of `nucseg run`: OUT/report.html showing every plot and
 * linking every table each stage wrote, and a few lines of summary. It reads only
 * what the stages left on disk, so it reports exactly what a user will find. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "cli/run_report.h"
#include "nucseg/csv_read.h"
#include "nucseg/fsutil.h"
#include "nucseg/report.h"
#include "nucseg/report_run.h"

static cJSON *load_json(const char *dir, const char *name)
{
    char *p = ns_path_join(dir, name), *text = NULL;
    ns_error err;
    cJSON *j = NULL;
    if (p && ns_read_text_file(p, &text, NULL, &err) == NS_OK) j = cJSON_Parse(text);
    free(text);
    free(p);
    return j; /* NULL: the stage did not write it (reported as such) */
}

static double num(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsNumber(x) ? x->valuedouble : -1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted file names in dir with the given extension (NULL-terminated, malloc'd). */
static char **list_ext(const char *dir, const char *ext)
{
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char **v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    size_t el = strlen(ext);
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l <= el || strcmp(e->d_name + l - el, ext)) continue;
        if (n + 2 > cap) {
            cap = cap ? cap * 2 : 16;
            char **nv = realloc(v, cap * sizeof *nv);
            if (!nv) break;
            v = nv;
        }
        v[n] = strdup(e->d_name);
        if (v[n]) n++;
    }
    closedir(d);
    if (!v) return NULL;
    v[n] = NULL;
    qsort(v, n, sizeof *v, cmp_str);
    return v;
}

static void free_list(char **v)
{
    if (!v) return;
    for (size_t i = 0; v[i]; i++) free(v[i]);
    free(v);
}

/* Path of `dir/name` relative to OUT (the stages live in OUT's sub-folders). */
static void rel(char *buf, size_t n, const char *out, const char *dir, const char *name)
{
    size_t ol = strlen(out);
    const char *r = (!strncmp(dir, out, ol) && dir[ol] == '/') ? dir + ol + 1 : dir;
    snprintf(buf, n, "%s/%s", r, name);
}

/* Every PNG of a folder as a figure (linking its SVG twin), then every table. */
static void stage_files(FILE *f, const char *out, const char *dir)
{
    char a[8192], b[8192];
    char **png = list_ext(dir, ".png");
    for (size_t i = 0; png && png[i]; i++) {
        rel(a, sizeof a, out, dir, png[i]);
        char svgname[4096];
        snprintf(svgname, sizeof svgname, "%.*s.svg", (int)(strlen(png[i]) - 4), png[i]);
        char *svgpath = ns_path_join(dir, svgname);
        int has_svg = svgpath && ns_file_exists(svgpath);
        free(svgpath);
        rel(b, sizeof b, out, dir, svgname);
        ns_html_figure(f, a, has_svg ? b : NULL, png[i]);
    }
    free_list(png);
    const char *exts[] = {".csv", ".json", ".txt", ".html"};
    fprintf(f, "<ul>\n");
    for (int k = 0; k < 4; k++) {
        char **v = list_ext(dir, exts[k]);
        for (size_t i = 0; v && v[i]; i++) {
            rel(a, sizeof a, out, dir, v[i]);
            fprintf(f, "<li>");
            ns_html_link(f, a, v[i]);
            fprintf(f, "</li>\n");
        }
        free_list(v);
    }
    fprintf(f, "</ul>\n");
}

/* One line per optimizer from optimizer_benchmark_overall.csv, by column name. */
static void print_optimizers(FILE *out, const char *path)
{
    ns_csv_reader r;
    ns_error err;
    if (ns_csv_open(&r, path, &err) != NS_OK) {
        fprintf(out, "  optimizers  (the optimizer benchmark did not finish)\n");
        return;
    }
    int col_method = ns_csv_column(&r, "method"), col_rmsd = ns_csv_column(&r, "median_rmsd");
    int col_us = ns_csv_column(&r, "median_time_us"), col_ok = ns_csv_column(&r, "success_rate");
    int col_it = ns_csv_column(&r, "median_iterations");
    for (int row = 0; ns_csv_next(&r, &err) == NS_OK && !r.eof; row++) {
        if (col_method < 0 || col_method >= r.nfields) continue;
        fprintf(out, "  %-11s %-20s", row == 0 ? "optimizers" : "", r.fields[col_method]);
        if (col_rmsd >= 0 && col_rmsd < r.nfields) fprintf(out, " RMSD %.4f px,", atof(r.fields[col_rmsd]));
        if (col_us >= 0 && col_us < r.nfields) fprintf(out, " %.1f us per fit,", atof(r.fields[col_us]));
        if (col_it >= 0 && col_it < r.nfields) fprintf(out, " %s iterations,", r.fields[col_it]);
        if (col_ok >= 0 && col_ok < r.nfields)
            fprintf(out, " %.0f%% reached the optimum", 100.0 * atof(r.fields[col_ok]));
        fprintf(out, "\n");
    }
    ns_csv_close(&r);
}

int ns_run_mapping_unneeded(const char *seg_dir, char *why, size_t why_size)
{
    cJSON *seg = load_json(seg_dir, "segmentation_summary.json");
    if (!seg) return 0;
    double n10 = num(seg, "images", "10X"), n40 = num(seg, "images", "40X"), nu = num(seg, "images", "unknown");
    cJSON_Delete(seg);
    if (n10 > 0 && n40 > 0) return 0;
    snprintf(why, why_size, "mapping needs both 10X and 40X images; this data has %.0f 10X, %.0f 40X%s",
             n10, n40, nu > 0 ? " and images of unknown magnification (name the folders 10X / 40X)" : "");
    return 1;
}

ns_status ns_run_report_write(const ns_run_paths *p, double wall_s, int exit_status, FILE *summary,
                              ns_error *err)
{
    char *path = ns_path_join(p->out, "report.html");
    if (!path) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", p->out);
    ns_atomic_file af;
    ns_status st = ns_atomic_open(&af, path, err);
    if (st != NS_OK) { free(path); return st; }
    FILE *f = af.fp;
    cJSON *seg = load_json(p->seg, "segmentation_summary.json");
    cJSON *map = load_json(p->map, "mapping_summary.json");
    char text[1024];

    ns_html_begin(f, "nucseg run report");
    if (wall_s < 0) /* `nucseg report`: the stages ran apart, as a workflow's jobs */
        snprintf(text, sizeof text, "Source: the stages' folders under %s, run one by one.", p->out);
    else
        snprintf(text, sizeof text, "Source: %s. Total wall time %.1f s. Exit status %d (%s).",
                 p->plate ? "the built-in synthetic 10X/40X plate" : "the user's data", wall_s, exit_status,
                 exit_status == 0 ? "all stages succeeded" : "see the stages below");
    ns_html_paragraph(f, text);

    ns_html_heading(f, 2, "1. Segmentation");
    if (seg) {
        snprintf(text, sizeof text,
                 "%.0f images (%.0f 10X, %.0f 40X): %.0f succeeded, %.0f failed; %.0f nuclei "
                 "(%.0f at 10X, %.0f at 40X); %.0f worker process(es), %.2f s wall, %.2f images/s.",
                 num(seg, "images", "total"), num(seg, "images", "10X"), num(seg, "images", "40X"),
                 num(seg, "succeeded", NULL), num(seg, "failed", NULL), num(seg, "nuclei_total", NULL),
                 num(seg, "nuclei_10X", NULL), num(seg, "nuclei_40X", NULL), num(seg, "workers", NULL),
                 num(seg, "wall_s", NULL), num(seg, "images_per_s", NULL));
        ns_html_paragraph(f, text);
    } else {
        ns_html_paragraph(f, "The segmentation stage did not write its summary.");
    }
    char *truth = p->plate ? ns_path_join(p->plate, "truth") : NULL;
    ns_report_place place = {p->out, "report_files"};
    ns_report_segmentation(f, &place, p->seg, truth && ns_is_dir(truth) ? truth : NULL);
    free(truth);
    ns_html_heading(f, 3, "Files");
    stage_files(f, p->out, p->seg);

    ns_html_heading(f, 2, "2. 10X / 40X mapping");
    if (map) {
        snprintf(text, sizeof text, "%.0f of %.0f 40X tiles mapped into %.0f 10X tiles in %.2f s.",
                 num(map, "mapped", NULL), num(map, "tiles", NULL), num(map, "tiles_10x", NULL),
                 num(map, "seconds", NULL));
        ns_html_paragraph(f, text);
        ns_report_mapping(f, p->map);
    } else if (p->unmapped) {
        snprintf(text, sizeof text, "Not run: %s. The segmentation above is this run's result.", p->unmapped);
        ns_html_paragraph(f, text);
    } else {
        ns_html_paragraph(f, "The mapping stage did not write its summary.");
    }
    stage_files(f, p->out, p->map);

    ns_html_heading(f, 2, "3. L-BFGS-B vs Levenberg-Marquardt");
    char *overall = ns_path_join(p->opt, "optimizer_benchmark_overall.csv");
    if (p->unmapped) ns_html_paragraph(f, "Not run: it benchmarks the fits of the mapping.");
    else ns_html_csv_table(f, overall ? overall : "", 50);
    stage_files(f, p->out, p->opt);

    if (p->plate) {
        char *prev = ns_path_join(p->plate, "preview");
        if (prev && ns_is_dir(prev)) {
            ns_html_heading(f, 2, "The synthetic plate");
            ns_html_paragraph(f, "Contrast-stretched previews of the generated images, and the same with the "
                                 "true nuclei outlined (the truth nucseg is scored against above).");
            stage_files(f, p->out, prev);
        }
        free(prev);
    }
    ns_html_end(f);
    st = ns_atomic_close(&af, err);

    if (summary) {
        fprintf(summary, "\n== nucseg run: summary\n");
        if (seg) {
            /* Images of unknown magnification are named only when there are some: they
             * are segmented but neither mapped nor benchmarked. */
            double unknown = num(seg, "images", "unknown");
            char extra[48] = "";
            if (unknown > 0) snprintf(extra, sizeof extra, ", %.0f of unknown magnification", unknown);
            fprintf(summary, "  images      %.0f (%.0f 10X, %.0f 40X%s), %.0f failed; %.0f nuclei; %.2f s with %.0f worker(s)\n",
                    num(seg, "images", "total"), num(seg, "images", "10X"), num(seg, "images", "40X"), extra,
                    num(seg, "failed", NULL), num(seg, "nuclei_total", NULL), num(seg, "wall_s", NULL),
                    num(seg, "workers", NULL));
        } else
            fprintf(summary, "  images      (segmentation did not finish)\n");
        if (map)
            fprintf(summary, "  tiles       %.0f of %.0f 40X tiles mapped\n", num(map, "mapped", NULL),
                    num(map, "tiles", NULL));
        else if (p->unmapped)
            fprintf(summary, "  tiles       not mapped: %s\n", p->unmapped);
        else
            fprintf(summary, "  tiles       (mapping did not finish)\n");
        if (p->unmapped || (wall_s < 0 && !ns_is_dir(p->opt)))
            fprintf(summary, "  optimizers  (not run)\n");
        else
            print_optimizers(summary, overall ? overall : "");
        if (wall_s >= 0) fprintf(summary, "  wall time   %.1f s\n", wall_s);
        if (st == NS_OK) fprintf(summary, "  report      %s\n", path);
    }
    free(overall);
    cJSON_Delete(seg);
    cJSON_Delete(map);
    free(path);
    return st;
}
