/* measure.c — per-nucleus measurements from the label image, one pass of
 * moment sums (the same definitions as skimage.measure.regionprops). */
#include <math.h>
#include <stdlib.h>
#include "nucseg/segment.h"
#include "segment/mask_runs.h"
#include "segment/measure.h"

/* Sum of i^2 for i = 0..n (n >= -1). */
static double sum_sq(double n)
{
    return n * (n + 1.0) * (2.0 * n + 1.0) / 6.0;
}

/* Add pixels x0..x1 of row y (intensity sum isum) to a nucleus' moment sums. */
static void add_run(ns_nucleus *q, double *s, int x0, int x1, int y, double isum)
{
    double k = (double)(x1 - x0 + 1), sx = k * (x0 + x1) / 2.0;
    q->area += k;
    s[0] += sx;
    s[1] += k * y;
    s[2] += sum_sq(x1) - sum_sq(x0 - 1.0);
    s[3] += k * (double)y * y;
    s[4] += sx * y;
    s[5] += isum;
    if (x0 < q->bbox_x0) q->bbox_x0 = x0;
    if (y < q->bbox_y0) q->bbox_y0 = y;
    if (x1 + 1 > q->bbox_x1) q->bbox_x1 = x1 + 1;
    if (y + 1 > q->bbox_y1) q->bbox_y1 = y + 1;
}

/* The major axis' angle as skimage.measure.regionprops gives it: from the row axis
 * (+y, down) towards +x, in [-pi/2, pi/2]: 0.5 atan2(2 mu11, mu02 - mu20) in its terms.
 * Computed from the exact central moments (times area^2: s holds integer sums of x, y,
 * x^2, y^2, xy, and long double keeps A*sum(x^2) - sum(x)^2 exact for any tile), so a
 * shape with equal variances gets +-pi/4 from the sign of its covariance rather than
 * from rounding noise. */
static double skimage_orientation(double area, const double *s)
{
    long double a = area;
    long double mxx = a * s[2] - (long double)s[0] * s[0], myy = a * s[3] - (long double)s[1] * s[1];
    long double mxy = a * s[4] - (long double)s[0] * s[1];
    return 0.5 * atan2((double)(2 * mxy), (double)(myy - mxx));
}

ns_status ns_measure_begin(ns_measure_acc *a, const ns_image *img, size_t count, ns_error *err)
{
    a->img = img;
    a->count = count;
    a->nuclei = calloc(count ? count : 1, sizeof *a->nuclei);
    a->sums = calloc((count ? count : 1) * 6, sizeof *a->sums);
    if (!a->nuclei || !a->sums) {
        ns_measure_abort(a);
        return ns_error_set(err, NS_ERR_NOMEM, "measure: out of memory (%zu nuclei)", count);
    }
    for (size_t k = 0; k < count; k++) {
        a->nuclei[k].label = (uint32_t)(k + 1);
        a->nuclei[k].bbox_x0 = img->width;
        a->nuclei[k].bbox_y0 = img->height;
    }
    return NS_OK;
}

/* Intensity sum of pixels x0..x1 of row y. Integer pixels are summed as integers:
 * exact (a run of 32-bit values cannot overflow 64 bits), the same as the double sum,
 * and without its chain of dependent floating-point additions. */
static double run_intensity(const ns_image *img, int x0, int x1, int y)
{
    size_t off = (size_t)y * img->width;
    uint64_t isum = 0;
    switch (img->type) {
    case NS_PIXEL_U8: { const uint8_t *p = (const uint8_t *)img->data + off; for (int x = x0; x <= x1; x++) isum += p[x]; break; }
    case NS_PIXEL_U16: { const uint16_t *p = (const uint16_t *)img->data + off; for (int x = x0; x <= x1; x++) isum += p[x]; break; }
    case NS_PIXEL_U32: { const uint32_t *p = (const uint32_t *)img->data + off; for (int x = x0; x <= x1; x++) isum += p[x]; break; }
    default: {
        const float *p = (const float *)img->data + off;
        double fsum = 0;
        for (int x = x0; x <= x1; x++) fsum += (double)p[x];
        return fsum;
    }
    }
    return (double)isum;
}

void ns_measure_add_run(ns_measure_acc *a, uint32_t label, int x0, int x1, int y)
{
    add_run(&a->nuclei[label - 1], &a->sums[(size_t)(label - 1) * 6], x0, x1, y, run_intensity(a->img, x0, x1, y));
}

void ns_measure_abort(ns_measure_acc *a)
{
    free(a->nuclei);
    free(a->sums);
    a->nuclei = NULL;
    a->sums = NULL;
}

ns_nucleus *ns_measure_end(ns_measure_acc *a)
{
    ns_nucleus *nu = a->nuclei;
    for (size_t k = 0; k < a->count; k++) {
        ns_nucleus *q = &nu[k];
        const double *s = &a->sums[k * 6];
        double ar = q->area;
        if (ar <= 0) continue;
        q->centroid_x = s[0] / ar;
        q->centroid_y = s[1] / ar;
        q->mean_intensity = s[5] / ar;
        /* Central second moments (per pixel), then the equivalent ellipse. */
        double cxx = s[2] / ar - q->centroid_x * q->centroid_x;
        double cyy = s[3] / ar - q->centroid_y * q->centroid_y;
        double cxy = s[4] / ar - q->centroid_x * q->centroid_y;
        double tr = cxx + cyy, disc = sqrt(fmax(0.0, (cxx - cyy) * (cxx - cyy) / 4.0 + cxy * cxy));
        double l1 = tr / 2.0 + disc, l2 = fmax(0.0, tr / 2.0 - disc);
        q->major_axis = 4.0 * sqrt(l1);
        q->minor_axis = 4.0 * sqrt(l2);
        q->eccentricity = l1 > 0 ? sqrt(fmax(0.0, 1.0 - l2 / l1)) : 0.0;
        q->orientation = skimage_orientation(q->area, s);
    }
    free(a->sums);
    a->sums = NULL;
    a->nuclei = NULL;
    return nu;
}

ns_status ns_measure_nuclei(const uint32_t *labels, const ns_image *img, size_t count,
                            ns_nucleus **out, ns_error *err)
{
    int w = img->width, h = img->height;
    ns_measure_acc acc;
    ns_status st = ns_measure_begin(&acc, img, count, err);
    if (st != NS_OK) return st;
    /* Per run of equal labels along a row: the coordinate moments of a run have
     * closed forms, so per pixel only the labels are compared and the intensities
     * summed (the run is in cache for the second look). */
    for (int y = 0; y < h; y++) {
        const uint32_t *lr = labels + (size_t)y * w;
        uint32_t l;
        for (size_t x = 0, e = 0; (l = ns_label_run(lr, (size_t)w, &x, &e)) != 0; x = e)
            ns_measure_add_run(&acc, l, (int)x, (int)e - 1, y);
    }
    *out = ns_measure_end(&acc);
    return NS_OK;
}
