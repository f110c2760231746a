/* measure_labels.c — the nucleus table of any label image (not only ns_segment's):
 * what a caller holding labels from elsewhere (a Python array, another tool's TIFF)
 * measures with the same code, hence the same figures, as the nuclei CSV. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nucseg/segment.h"
#include "segment/measure.h"

/* The largest label (0 when there is none). */
static uint32_t max_label(const uint32_t *l, size_t n)
{
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++) m = l[i] > m ? l[i] : m;
    return m;
}

ns_status ns_measure_labels(const ns_image *labels, const ns_image *intensity, ns_nucleus **out,
                            size_t *count, ns_error *err)
{
    *out = NULL;
    *count = 0;
    if (labels->type == NS_PIXEL_F32)
        return ns_error_set(err, NS_ERR_UNSUPPORTED, "labels: float32 is no label type (uint8, uint16 or uint32)");
    if (intensity && (intensity->width != labels->width || intensity->height != labels->height))
        return ns_error_set(err, NS_ERR_INVALID, "labels are %dx%d but the intensity image is %dx%d",
                            labels->width, labels->height, intensity->width, intensity->height);
    size_t n = (size_t)labels->width * (size_t)labels->height;
    ns_image l32 = {0};
    const uint32_t *l = labels->data;
    if (labels->type != NS_PIXEL_U32) {
        ns_status st = ns_image_to_u32(labels, &l32, err);
        if (st != NS_OK) return st;
        l = l32.data;
    }
    uint32_t top = max_label(l, n);
    /* Dense tables indexed by label: bounded by the pixel count, or a single pixel
     * labelled 4e9 would ask for gigabytes. */
    if (top > n) {
        ns_image_free(&l32);
        return ns_error_set(err, NS_ERR_TOO_LARGE,
                            "labels: label %u exceeds the pixel count %zu (number them 1..N first)", top, n);
    }
    uint32_t *rank = calloc((size_t)top + 1, sizeof *rank);
    if (!rank) {
        ns_image_free(&l32);
        return ns_error_set(err, NS_ERR_NOMEM, "labels: out of memory (%u labels)", top);
    }
    for (size_t i = 0; i < n; i++) rank[l[i]] = 1;
    rank[0] = 0; /* background stays background */
    /* Labels that occur, numbered 1..k in increasing order; gaps are renumbered in a
     * copy so the measurement sees 1..k, and each nucleus gets its own label back. */
    uint32_t k = 0;
    for (uint32_t v = 1; v <= top; v++) rank[v] = rank[v] ? ++k : 0;
    ns_status st = NS_OK;
    if (k != top) {
        if (!l32.data && (st = ns_image_alloc(&l32, labels->width, labels->height, NS_PIXEL_U32, err)) != NS_OK)
            goto done;
        uint32_t *dst = l32.data;
        for (size_t i = 0; i < n; i++) dst[i] = rank[l[i]];
        l = dst;
    }
    /* Without an intensity image the moments are the same; the mean is undefined. */
    const ns_image *img = intensity ? intensity : labels;
    ns_nucleus *nu = NULL;
    if ((st = ns_measure_nuclei(l, img, k, &nu, err)) != NS_OK) goto done;
    for (uint32_t v = 1; v <= top; v++)
        if (rank[v]) nu[rank[v] - 1].label = v;
    if (!intensity)
        for (uint32_t i = 0; i < k; i++) nu[i].mean_intensity = NAN;
    *out = nu;
    *count = k;
done:
    free(rank);
    ns_image_free(&l32);
    return st;
}
