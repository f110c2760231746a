/* report_segmentation.c — the segmentation section of `nucseg run`'s report: what a
 * biologist looks at first. Nuclei per well and magnification, how large and how
 * bright they are, nucseg's own outlines over the images, and, on the synthetic plate,
 * how well they agree with the true nuclei. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nucseg/fsutil.h"
#include "nucseg/image.h"
#include "nucseg/plot.h"
#include "nucseg/report.h"
#include "nucseg/report_run.h"
#include "nucseg/stats.h"
#include "report/seg_images.h"

enum { OVERLAYS_PER_MAG = 4, THUMB_SIDE = 480, BINS = 30 };

/* [a, b): the images of one magnification (they come grouped: 10X, 40X, unknown). */
static size_t mag_end(const ns_seg_images *l, size_t a)
{
    size_t b = a;
    while (b < l->count && !strcmp(l->items[b].mag, l->items[a].mag)) b++;
    return b;
}

/* Median of v[0..n) (a sorted copy; NAN for none). */
static double median_of(const double *v, size_t n)
{
    return n ? ns_median(v, n) : NAN;
}

/* Every measure of one kind (0 area, 1 intensity) over images [a, b), malloc'd. */
static double *gather(const ns_seg_images *l, size_t a, size_t b, int kind, size_t *n)
{
    size_t total = 0;
    for (size_t i = a; i < b; i++) total += l->items[i].area ? l->items[i].count : 0;
    double *v = malloc((total ? total : 1) * sizeof *v);
    *n = 0;
    if (!v) return NULL;
    for (size_t i = a; i < b; i++) {
        const ns_seg_image *im = &l->items[i];
        if (!im->area) continue;
        memcpy(v + *n, kind == 0 ? im->area : im->intensity, im->count * sizeof *v);
        *n += im->count;
    }
    return v;
}

static void cell_num(char *buf, size_t size, double v, const char *fmt)
{
    if (isfinite(v)) snprintf(buf, size, fmt, v);
    else snprintf(buf, size, "-");
}

/* One row per well and magnification. */
static void well_table(FILE *html, const ns_seg_images *l, int with_truth)
{
    const char *head[] = {"magnification", "well", "images", "nuclei", "nuclei per image", "median area (px)",
                          "median intensity", "F1 against the truth"};
    ns_html_table_begin(html, head, with_truth ? 8 : 7);
    for (size_t a = 0, b; a < l->count; a = b) {
        const ns_seg_image *first = &l->items[a];
        size_t nuclei = 0, nf1 = 0;
        double f1_sum = 0;
        for (b = a; b < l->count && !strcmp(l->items[b].mag, first->mag) && !strcmp(l->items[b].well, first->well);
             b++) {
            nuclei += l->items[b].count;
            if (isfinite(l->items[b].f1)) { f1_sum += l->items[b].f1; nf1++; }
        }
        size_t na, ni;
        double *area = gather(l, a, b, 0, &na), *inten = gather(l, a, b, 1, &ni);
        char c[6][32];
        snprintf(c[0], sizeof c[0], "%zu", b - a);
        snprintf(c[1], sizeof c[1], "%zu", nuclei);
        snprintf(c[2], sizeof c[2], "%.1f", (double)nuclei / (double)(b - a));
        cell_num(c[3], sizeof c[3], area ? median_of(area, na) : NAN, "%.0f");
        cell_num(c[4], sizeof c[4], inten ? median_of(inten, ni) : NAN, "%.0f");
        cell_num(c[5], sizeof c[5], nf1 ? f1_sum / (double)nf1 : NAN, "%.3f");
        free(area);
        free(inten);
        const char *row[] = {first->mag, first->well, c[0], c[1], c[2], c[3], c[4], c[5]};
        ns_html_table_row(html, row, with_truth ? 8 : 7);
    }
    ns_html_table_end(html);
}

/* A histogram of v (n values) over [lo, hi] as a line chart; the figure in the page. */
static void histogram(FILE *html, const ns_report_place *pl, const char *name, const char *title,
                      const char *xlabel, const char *series, const double *v, size_t n, double lo, double hi)
{
    double x[BINS], y[BINS], width = (hi - lo) / BINS;
    for (int k = 0; k < BINS; k++) { x[k] = lo + (k + 0.5) * width; y[k] = 0; }
    for (size_t i = 0; i < n; i++) {
        int k = width > 0 ? (int)floor((v[i] - lo) / width) : 0;
        if (k >= 0 && k < BINS) y[k]++; /* the brightest or largest 0.5 % fall outside */
        else if (k == BINS && v[i] <= hi) y[BINS - 1]++;
    }
    ns_series s = {.label = series, .x = x, .y = y, .n = BINS, .style = NS_STYLE_LINE_POINTS};
    ns_plot_spec spec = {.title = title, .xlabel = xlabel, .ylabel = "number of nuclei", .y_from_zero = 1};
    char rel[1024], rel_svg[1024];
    snprintf(rel, sizeof rel, "%s/%s.png", pl->files_name, name);
    snprintf(rel_svg, sizeof rel_svg, "%s/%s.svg", pl->files_name, name);
    char *dir = ns_path_join(pl->out, pl->files_name), *base = dir ? ns_path_join(dir, name) : NULL;
    ns_error err;
    if (!base) ns_html_paragraph(html, "(no histogram: out of memory)");
    else if (ns_plot_lines(base, &spec, &s, 1, &err) != NS_OK) ns_html_paragraph(html, err.message);
    else ns_html_figure(html, rel, rel_svg, title);
    free(dir);
    free(base);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Area and intensity histograms of one magnification's nuclei, images [a, b). */
static void histograms(FILE *html, const ns_report_place *pl, const ns_seg_images *l, size_t a, size_t b)
{
    const char *mag = l->items[a].mag;
    for (int kind = 0; kind < 2; kind++) {
        size_t n;
        double *v = gather(l, a, b, kind, &n);
        if (!v || n == 0) { free(v); continue; }
        qsort(v, n, sizeof *v, cmp_double);
        /* 0.5th .. 99.5th percentile: one giant clump or a speck does not squash the rest. */
        double lo = kind == 0 ? 0.0 : v[(size_t)(0.005 * (double)(n - 1))];
        double hi = v[(size_t)(0.995 * (double)(n - 1))];
        if (hi <= lo) hi = lo + 1;
        char name[64], title[128], series[96];
        snprintf(name, sizeof name, "%s_%s", kind == 0 ? "area" : "intensity", mag);
        snprintf(title, sizeof title, "%s of the nuclei, %s images", kind == 0 ? "Area" : "Mean intensity", mag);
        snprintf(series, sizeof series, "%s: %zu nuclei", mag, n);
        histogram(html, pl, name, title,
                  kind == 0 ? "nucleus area (pixels)" : "mean intensity of the nucleus (grey levels of the image)",
                  series, v, n, lo, hi);
        free(v);
    }
}

/* nucseg's outlines over image im, as a thumbnail figure. */
static void overlay(FILE *html, const ns_report_place *pl, const ns_seg_image *im)
{
    char name[512], rel[1024], caption[1024];
    snprintf(name, sizeof name, "overlay_%s_%s.png", im->mag, im->stem);
    snprintf(rel, sizeof rel, "%s/%s", pl->files_name, name);
    ns_image img = {0};
    uint32_t *labels = NULL;
    int w = 0, h = 0;
    ns_error err;
    char *dir = ns_path_join(pl->out, pl->files_name), *path = dir ? ns_path_join(dir, name) : NULL;
    ns_status st = path ? ns_image_read(im->source, im->channel, 0, &img, &err)
                        : ns_error_set(&err, NS_ERR_NOMEM, "%s: out of memory", im->stem);
    if (st == NS_OK) st = ns_seg_image_labels(im->labels, &labels, &w, &h, &err);
    if (st == NS_OK && (w != img.width || h != img.height))
        st = ns_error_set(&err, NS_ERR_FORMAT, "%s: %dx%d labels for a %dx%d image", im->labels, w, h, img.width,
                          img.height);
    /* The centre of the image, at a scale where a nucleus is some 16-20 px across:
     * its outline then shows its shape, where a whole 40X image would shrink it to a dot. */
    int f = im->diameter >= 32 ? (int)(im->diameter / 16) : 1;
    ns_overlay_region reg = {.factor = f};
    reg.width = THUMB_SIDE * f < img.width ? THUMB_SIDE * f : img.width;
    reg.height = THUMB_SIDE * f < img.height ? THUMB_SIDE * f : img.height;
    reg.x0 = (img.width - reg.width) / 2;
    reg.y0 = (img.height - reg.height) / 2;
    if (st == NS_OK) st = ns_overlay_png(path, &img, labels, &reg, &err);
    if (st == NS_OK) {
        int k = snprintf(caption, sizeof caption,
                         "%s (%s, %s), the central %dx%d px%s: nucseg's outlines; %zu nuclei in the image",
                         im->stem, im->mag, im->well, reg.width, reg.height, f > 1 ? " (reduced)" : "", im->count);
        if (isfinite(im->f1) && k > 0 && (size_t)k < sizeof caption)
            snprintf(caption + k, sizeof caption - (size_t)k, ", F1 %.3f against the true ones", im->f1);
        ns_html_figure(html, rel, NULL, caption);
    } else {
        ns_html_paragraph(html, err.message);
    }
    ns_image_free(&img);
    free(labels);
    free(dir);
    free(path);
}

/* The first image of each well of images [a, b), up to OVERLAYS_PER_MAG. */
static void overlays(FILE *html, const ns_report_place *pl, const ns_seg_images *l, size_t a, size_t b)
{
    int shown = 0;
    for (size_t i = a; i < b && shown < OVERLAYS_PER_MAG; i++) {
        if (i > a && !strcmp(l->items[i].well, l->items[i - 1].well)) continue;
        overlay(html, pl, &l->items[i]);
        shown++;
    }
}

/* Mean F1 per magnification, in words. */
static void f1_summary(FILE *html, const ns_seg_images *l)
{
    char text[1024] = "Against the true nuclei of the synthetic plate (a nucleus is found when its outline "
                      "overlaps the true one by IoU > 0.5), mean F1 per image:";
    size_t len = strlen(text);
    for (size_t a = 0, b; a < l->count; a = b) {
        b = mag_end(l, a);
        double sum = 0;
        size_t n = 0;
        for (size_t i = a; i < b; i++)
            if (isfinite(l->items[i].f1)) { sum += l->items[i].f1; n++; }
        if (n && len < sizeof text)
            len += (size_t)snprintf(text + len, sizeof text - len, " %s %.3f (%zu images);", l->items[a].mag,
                                    sum / (double)n, n);
    }
    if (len < sizeof text && text[len - 1] == ';') text[len - 1] = '.';
    ns_html_paragraph(html, text);
}

void ns_report_segmentation(FILE *html, const ns_report_place *pl, const char *seg_dir, const char *truth_dir)
{
    ns_seg_images l;
    ns_error err;
    if (ns_seg_images_find(seg_dir, &l, &err) != NS_OK) {
        ns_html_paragraph(html, err.message);
        return;
    }
    char *dir = ns_path_join(pl->out, pl->files_name);
    if (l.count == 0 || !dir || ns_mkdirs(dir, &err) != NS_OK) {
        ns_html_paragraph(html, l.count == 0 ? "No segmented image to show." : "(no pictures: cannot make their folder)");
        free(dir);
        ns_seg_images_free(&l);
        return;
    }
    free(dir);
    int with_truth = 0;
    for (size_t i = 0; i < l.count; i++) {
        if (ns_seg_image_measures(&l.items[i], &err) != NS_OK) ns_html_paragraph(html, err.message);
        if (truth_dir && ns_seg_image_f1(&l.items[i], truth_dir, &err) == NS_OK) with_truth = 1;
    }
    ns_html_heading(html, 3, "Nuclei per well and magnification");
    well_table(html, &l, with_truth);
    if (with_truth) f1_summary(html, &l);
    for (size_t a = 0, b; a < l.count; a = b) {
        b = mag_end(&l, a);
        char title[96];
        snprintf(title, sizeof title, "%s images: nucseg's outlines and the nuclei's size and brightness",
                 l.items[a].mag);
        ns_html_heading(html, 3, title);
        overlays(html, pl, &l, a, b);
        histograms(html, pl, &l, a, b);
    }
    ns_seg_images_free(&l);
}
