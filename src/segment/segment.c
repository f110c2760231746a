/* segment.c — the pipeline: normalise → smooth → threshold → fill holes →
 * components → distance transform → (diameter estimate) → seeds → watershed →
 * merge shallow splits and fragments → measure.
 *
 * Derived parameters, all from the diameter d (px):
 *   σ = clamp(d / 24, 0.75, 3)    enough to quiet shot noise, not to blur necks
 *   threshold = 0.85 · Otsu       Otsu cuts into the dim rim that annotators include
 *   min_area = 0.1 · π d² / 4     debris and noise specks
 *   max_area = 25 · π d² / 4      clumps and artefacts far beyond one nucleus
 *   min_distance = 0.3 · d        two seeds closer than this are one nucleus
 *   split landscape = EDT · sqrt(smoothed brightness): shape says where
 *     the neck is, brightness breaks ties where touching nuclei leave no neck
 *   merge when the landscape dips by less than max(0.5, 0.1 · smaller peak)
 * The constants were tuned once on tests/data/dsb2018-dev (mean F1, DSB score) and
 * are the same for every image. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "nucseg/imgproc.h"
#include "nucseg/segment.h"
#include "segment/measure.h"

#define DEFAULT_DIAMETER 10.0
#define OTSU_FACTOR 0.85
#define MERGE_H_ABS 0.5
#define MERGE_H_REL 0.1

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static double sigma_for(double d)
{
    double s = d / 24.0;
    return s < 0.75 ? 0.75 : s > 3.0 ? 3.0 : s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Diameter from the mask alone: twice the median over objects of their largest
 * inscribed radius (the EDT maximum). Robust to clumps, which keep the radius of
 * their nuclei where their area would not. 0 when there is no object. */
static double estimate_diameter(const float *edt, const uint32_t *comp, size_t n, size_t ncomp)
{
    if (ncomp == 0) return 0.0;
    double *rmax = calloc(ncomp + 1, sizeof *rmax);
    if (!rmax) return 0.0;
    for (size_t i = 0; i < n; i++)
        if (comp[i] && edt[i] > rmax[comp[i]]) rmax[comp[i]] = edt[i];
    size_t k = 0;
    for (size_t c = 1; c <= ncomp; c++)
        if (rmax[c] >= 1.5) rmax[k++] = rmax[c]; /* specks of 1-2 px say nothing */
    double d = 0.0;
    if (k > 0) {
        qsort(rmax, k, sizeof *rmax, cmp_double);
        d = 2.0 * rmax[k / 2];
    }
    free(rmax);
    return d;
}

/* Smooth, threshold, fill holes, label, distance transform. */
static ns_status foreground(const float *norm, int w, int h, double sigma, const ns_segment_params *p,
                            double diameter, float *smooth, uint8_t *mask, uint32_t *comp,
                            size_t *ncomp, float *edt, double *thr, ns_error *err)
{
    size_t n = (size_t)w * (size_t)h;
    ns_status st = ns_gaussian_blur(norm, smooth, w, h, sigma, err);
    if (st != NS_OK) return st;
    double t = ns_otsu_threshold(smooth, n, 0.0f, 1.0f) * OTSU_FACTOR * p->threshold_scale;
    *thr = t;
    if (p->threshold == NS_THRESHOLD_LOCAL) {
        /* Local mean over ~2 diameters; Otsu's half as a floor keeps flat background out. */
        int r = (int)ceil(diameter > 0 ? diameter : DEFAULT_DIAMETER);
        st = ns_local_threshold(smooth, w, h, r, p->threshold_scale, 0.5 * t, mask, err);
        if (st != NS_OK) return st;
    } else {
        const float tf = (float)t;
        for (size_t i = 0; i < n; i++) mask[i] = smooth[i] > tf;
    }
    if ((st = ns_fill_holes(mask, w, h, err)) != NS_OK) return st;
    if ((st = ns_label_components(mask, w, h, comp, ncomp, err)) != NS_OK) return st;
    return ns_distance_transform(mask, w, h, edt, err);
}

ns_status ns_segment(const ns_image *img, const ns_segment_params *p, ns_segmentation *out,
                     ns_error *err)
{
    memset(out, 0, sizeof *out);
    if (!img || !img->data || img->width <= 0 || img->height <= 0)
        return ns_error_set(err, NS_ERR_EMPTY, "segment: empty image");
    if (!(p->threshold_scale > 0.0))
        return ns_error_set(err, NS_ERR_INVALID, "segment: threshold scale must be > 0 (got %g)",
                            p->threshold_scale);
    double t0 = now_ms();
    int w = img->width, h = img->height;
    size_t n = (size_t)w * (size_t)h;
    float *norm = malloc(n * sizeof *norm);
    float *smooth = malloc(n * sizeof *smooth);
    float *edt = malloc(n * sizeof *edt);
    uint8_t *mask = malloc(n);
    uint32_t *comp = malloc(n * sizeof *comp);
    uint32_t *labels = malloc(n * sizeof *labels);
    ns_status st;
    if (!norm || !smooth || !edt || !mask || !comp || !labels) {
        st = ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for a %dx%d image", w, h);
        goto fail;
    }
    if ((st = ns_normalize(img, 0.5, 99.9, norm, err)) != NS_OK) goto fail;

    double d = p->diameter;
    double sigma = p->smooth_sigma >= 0 ? p->smooth_sigma : sigma_for(d > 0 ? d : DEFAULT_DIAMETER);
    size_t ncomp = 0;
    double thr = 0.0;
    st = foreground(norm, w, h, sigma, p, d, smooth, mask, comp, &ncomp, edt, &thr, err);
    if (st != NS_OK) goto fail;
    if (d <= 0) {
        d = estimate_diameter(edt, comp, n, ncomp);
        if (d <= 0) d = DEFAULT_DIAMETER;
        /* Re-run the foreground when the estimate calls for clearly different smoothing. */
        if (p->smooth_sigma < 0 && fabs(sigma_for(d) - sigma) > 0.25 * sigma) {
            sigma = sigma_for(d);
            st = foreground(norm, w, h, sigma, p, d, smooth, mask, comp, &ncomp, edt, &thr, err);
            if (st != NS_OK) goto fail;
        }
    }
    double disk = M_PI * d * d / 4.0;
    double min_area = p->min_area >= 0 ? p->min_area : 0.1 * disk;
    double max_area = p->max_area >= 0 ? p->max_area : 25.0 * disk;
    double min_dist = p->min_distance >= 0 ? p->min_distance : 0.3 * d;

    size_t count = 0;
    if (p->split_touching) {
        /* Landscape: distance map weighted by the square root of the smoothed
         * brightness (normalised to the brightest object pixel). */
        float bmax = 1e-6f;
        for (size_t i = 0; i < n; i++)
            if (mask[i] && smooth[i] > bmax) bmax = smooth[i];
        const float inv = 1.0f / bmax;
        for (size_t i = 0; i < n; i++) edt[i] *= sqrtf(smooth[i] * inv);
        size_t nseeds = 0;
        if ((st = ns_find_seeds(edt, comp, w, h, min_dist, labels, &nseeds, err)) != NS_OK) goto fail;
        /* labels holds the markers; flood into comp's buffer, then swap. */
        if ((st = ns_watershed(edt, mask, labels, w, h, comp, err)) != NS_OK) goto fail;
        uint32_t *tmp = labels; labels = comp; comp = tmp;
        st = ns_merge_regions(labels, edt, w, h, nseeds, MERGE_H_ABS, MERGE_H_REL, min_area, max_area,
                              &count, err);
    } else {
        uint32_t *tmp = labels; labels = comp; comp = tmp;
        /* Components never touch: merging only filters by area and relabels. */
        st = ns_merge_regions(labels, edt, w, h, ncomp, 0.0, 0.0, min_area, max_area, &count, err);
    }
    if (st != NS_OK) goto fail;

    ns_nucleus *nuclei = NULL;
    if ((st = ns_measure_nuclei(labels, img, count, &nuclei, err)) != NS_OK) goto fail;
    free(norm); free(smooth); free(edt); free(mask); free(comp);
    out->width = w;
    out->height = h;
    out->labels = labels;
    out->count = count;
    out->nuclei = nuclei;
    out->diameter_used = d;
    out->sigma_used = sigma;
    out->threshold_used = thr;
    out->min_distance_used = min_dist;
    out->ms_total = now_ms() - t0;
    return NS_OK;
fail:
    free(norm); free(smooth); free(edt); free(mask); free(comp); free(labels);
    return st;
}

void ns_segmentation_free(ns_segmentation *s)
{
    if (!s) return;
    free(s->labels);
    free(s->nuclei);
    s->labels = NULL;
    s->nuclei = NULL;
    s->count = 0;
}
