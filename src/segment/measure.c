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

ns_status ns_measure_nuclei(const uint32_t *labels, const ns_image *img, size_t count,
                            ns_nucleus **out, ns_error *err)
{
    int w = img->width, h = img->height;
    ns_nucleus *nu = calloc(count ? count : 1, sizeof *nu);
    double *m = calloc((count ? count : 1) * 6, sizeof *m); /* sum x, y, xx, yy, xy, intensity */
    if (!nu || !m) {
        free(nu); free(m);
        return ns_error_set(err, NS_ERR_NOMEM, "measure: out of memory (%zu nuclei)", count);
    }
    for (size_t k = 0; k < count; k++) {
        nu[k].label = (uint32_t)(k + 1);
        nu[k].bbox_x0 = w; nu[k].bbox_y0 = h;
    }
    /* Per run of equal labels along a row: the coordinate moments of a run have
     * closed forms, so the pixel loop only compares labels and sums intensity.
     * One loop per pixel type keeps the type switch out of it. */
#define ACCUMULATE(T, SUM_T)                                                             \
    do {                                                                                 \
        const T *px = img->data;                                                         \
        for (int y = 0; y < h; y++) {                                                    \
            const uint32_t *lr = labels + (size_t)y * w;                                 \
            const T *pr = px + (size_t)y * w;                                            \
            for (int x = (int)ns_label_next(lr, 0, (size_t)w); x < w;                    \
                 x = (int)ns_label_next(lr, (size_t)x, (size_t)w)) {                     \
                uint32_t l = lr[x];                                                      \
                int x0 = x;                                                              \
                SUM_T isum = 0;                                                          \
                for (; x < w && lr[x] == l; x++) isum += (SUM_T)pr[x];                   \
                add_run(&nu[l - 1], &m[(size_t)(l - 1) * 6], x0, x - 1, y, (double)isum); \
            }                                                                            \
        }                                                                                \
    } while (0)
    switch (img->type) {
    /* Integer pixels are summed as integers: exact (a run of 32-bit values cannot
     * overflow 64 bits), the same as the double sum, and without its chain of
     * dependent floating-point additions. */
    case NS_PIXEL_U8: ACCUMULATE(uint8_t, uint64_t); break;
    case NS_PIXEL_U16: ACCUMULATE(uint16_t, uint64_t); break;
    case NS_PIXEL_U32: ACCUMULATE(uint32_t, uint64_t); break;
    default: ACCUMULATE(float, double); break;
    }
#undef ACCUMULATE
    for (size_t k = 0; k < count; k++) {
        ns_nucleus *q = &nu[k];
        const double *s = &m[k * 6];
        double a = q->area;
        if (a <= 0) continue;
        q->centroid_x = s[0] / a;
        q->centroid_y = s[1] / a;
        q->mean_intensity = s[5] / a;
        /* Central second moments (per pixel), then the equivalent ellipse. */
        double cxx = s[2] / a - q->centroid_x * q->centroid_x;
        double cyy = s[3] / a - q->centroid_y * q->centroid_y;
        double cxy = s[4] / a - q->centroid_x * q->centroid_y;
        double tr = cxx + cyy, disc = sqrt(fmax(0.0, (cxx - cyy) * (cxx - cyy) / 4.0 + cxy * cxy));
        double l1 = tr / 2.0 + disc, l2 = fmax(0.0, tr / 2.0 - disc);
        q->major_axis = 4.0 * sqrt(l1);
        q->minor_axis = 4.0 * sqrt(l2);
        q->eccentricity = l1 > 0 ? sqrt(fmax(0.0, 1.0 - l2 / l1)) : 0.0;
        q->orientation = 0.5 * atan2(2.0 * cxy, cxx - cyy); /* major axis angle from +x, y down */
    }
    free(m);
    *out = nu;
    return NS_OK;
}
