/* fuzz_segment.c — ns_segment on small arbitrary images: byte 0 and 1 give the
 * width and height (1..96), the rest the 16-bit pixels (repeated to fill the
 * image). Segmented with the 10X preset and with the automatic (unknown
 * magnification) one; every label must lie in 0..count and every nucleus must
 * carry its own label. */
#include "fuzz.h"

#include "nucseg/segment.h"

#define FUZZ_MAX_SIDE 96

static void check_segment(const ns_image *img, ns_magnification mag)
{
    ns_segment_params p;
    ns_segment_params_preset(&p, mag);
    ns_segmentation s;
    ns_error err;
    ns_error_clear(&err);
    ns_status st = ns_segment(img, &p, &s, &err);
    if (st != NS_OK) {
        /* Only running out of memory is an acceptable failure on a valid image. */
        FUZZ_CHECK(st == NS_ERR_NOMEM, "%s on a %dx%d image: %s", ns_status_name(st), img->width, img->height,
                   err.message);
        return;
    }
    FUZZ_CHECK(s.width == img->width && s.height == img->height && s.labels.data, "labels %dx%d for %dx%d",
               s.width, s.height, img->width, img->height);
    size_t n = (size_t)img->width * (size_t)img->height;
    for (size_t i = 0; i < n; i++) {
        uint32_t l = ns_segmentation_label(&s, i);
        FUZZ_CHECK(l <= s.count, "label %u at pixel %zu, count %zu", l, i, s.count);
    }
    for (size_t i = 0; i < s.count; i++)
        FUZZ_CHECK(s.nuclei[i].label == i + 1, "nucleus %zu has label %u", i, s.nuclei[i].label);
    ns_segmentation_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    int w = 1 + data[0] % FUZZ_MAX_SIDE, h = 1 + data[1] % FUZZ_MAX_SIDE;
    ns_image img;
    ns_error err;
    FUZZ_CHECK(ns_image_alloc(&img, w, h, NS_PIXEL_U16, &err) == NS_OK, "%s", err.message);
    uint16_t *px = img.data;
    size_t n = (size_t)w * (size_t)h, avail = (size - 2) / 2;
    for (size_t i = 0; avail && i < n; i++) {
        size_t k = 2 + 2 * (i % avail);
        px[i] = (uint16_t)(data[k] | data[k + 1] << 8);
    }
    check_segment(&img, NS_MAG_10X);
    check_segment(&img, NS_MAG_UNKNOWN);
    ns_image_free(&img);
    return 0;
}
