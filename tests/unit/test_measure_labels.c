/* test_measure_labels.c — ns_measure_labels: the table of any label image equals the
 * one ns_segment made for its own labels; gaps in the numbering, 8/16-bit labels, no
 * intensity image, and the refusals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "nucseg/image.h"
#include "nucseg/segment.h"

static int same_nucleus(const ns_nucleus *a, const ns_nucleus *b)
{
    return a->area == b->area && a->centroid_x == b->centroid_x && a->centroid_y == b->centroid_y &&
           a->bbox_x0 == b->bbox_x0 && a->bbox_y0 == b->bbox_y0 && a->bbox_x1 == b->bbox_x1 &&
           a->bbox_y1 == b->bbox_y1 && a->major_axis == b->major_axis && a->minor_axis == b->minor_axis &&
           a->orientation == b->orientation;
}

/* Ellipses of different sizes and directions on a dim background. */
static void draw(ns_image *img)
{
    uint16_t *p = img->data;
    const double cx[] = {20, 60, 30, 75}, cy[] = {20, 25, 65, 70}, ra[] = {9, 12, 7, 10}, rb[] = {5, 6, 7, 4},
                 th[] = {0.3, -1.0, 0, 2.0};
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++) {
            p[y * img->width + x] = 100;
            for (int k = 0; k < 4; k++) {
                double dx = x - cx[k], dy = y - cy[k], u = dx * cos(th[k]) + dy * sin(th[k]),
                       v = -dx * sin(th[k]) + dy * cos(th[k]);
                if (u * u / (ra[k] * ra[k]) + v * v / (rb[k] * rb[k]) <= 1) p[y * img->width + x] = 3000;
            }
        }
}

static void test_same_as_segment(void)
{
    ns_image img;
    ns_error err;
    CHECK_OK(ns_image_alloc(&img, 96, 96, NS_PIXEL_U16, &err), err);
    draw(&img);
    ns_segment_params p;
    ns_segment_params_preset(&p, NS_MAG_UNKNOWN);
    p.diameter = 16;
    ns_segmentation seg;
    CHECK_OK(ns_segment(&img, &p, &seg, &err), err);
    CHECK(seg.count == 4);
    ns_nucleus *nu = NULL;
    size_t n = 0;
    CHECK_OK(ns_measure_labels(&seg.labels, &img, &nu, &n, &err), err);
    CHECK(n == seg.count);
    for (size_t i = 0; i < n && i < seg.count; i++) {
        CHECK(nu[i].label == seg.nuclei[i].label);
        CHECK(same_nucleus(&nu[i], &seg.nuclei[i]));
        CHECK(nu[i].mean_intensity == seg.nuclei[i].mean_intensity);
    }
    free(nu);

    /* Gaps: labels 2 and 4 only, renumbered as 10 and 40, in 8 bits, no intensity image.
     * The background must stay background (it was once counted into the first nucleus). */
    ns_image sparse;
    CHECK_OK(ns_image_alloc(&sparse, 96, 96, NS_PIXEL_U8, &err), err);
    uint8_t *s = sparse.data;
    for (size_t i = 0; i < 96 * 96; i++) {
        uint32_t l = ns_segmentation_label(&seg, i);
        s[i] = l == 2 ? 10 : l == 4 ? 40 : 0;
    }
    CHECK_OK(ns_measure_labels(&sparse, NULL, &nu, &n, &err), err);
    CHECK(n == 2);
    if (n == 2) {
        CHECK(nu[0].label == 10 && nu[1].label == 40);
        CHECK(same_nucleus(&nu[0], &seg.nuclei[1]));
        CHECK(same_nucleus(&nu[1], &seg.nuclei[3]));
        CHECK(isnan(nu[0].mean_intensity));
    }
    free(nu);
    ns_image_free(&sparse);
    ns_segmentation_free(&seg);
    ns_image_free(&img);
}

static void test_refusals(void)
{
    ns_image l, f, small;
    ns_error err;
    ns_nucleus *nu = NULL;
    size_t n = 7;
    CHECK_OK(ns_image_alloc(&l, 8, 8, NS_PIXEL_U32, &err), err);
    CHECK_OK(ns_image_alloc(&f, 8, 8, NS_PIXEL_F32, &err), err);
    CHECK_OK(ns_image_alloc(&small, 8, 7, NS_PIXEL_U8, &err), err);
    CHECK(ns_measure_labels(&f, NULL, &nu, &n, &err) == NS_ERR_UNSUPPORTED);
    CHECK(ns_measure_labels(&l, &small, &nu, &n, &err) == NS_ERR_INVALID);
    CHECK(strstr(err.message, "8x8") != NULL);
    ((uint32_t *)l.data)[3] = 65; /* more than the 64 pixels */
    CHECK(ns_measure_labels(&l, NULL, &nu, &n, &err) == NS_ERR_TOO_LARGE);
    CHECK(nu == NULL && n == 0);
    ((uint32_t *)l.data)[3] = 0;
    CHECK_OK(ns_measure_labels(&l, &f, &nu, &n, &err), err); /* no label at all */
    CHECK(n == 0);
    free(nu);
    ns_image_free(&l);
    ns_image_free(&f);
    ns_image_free(&small);
}

int main(void)
{
    RUN(test_same_as_segment);
    RUN(test_refusals);
    return check_report();
}
