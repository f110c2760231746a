/* result_labels.c — see result_labels.h. */
#include <stdlib.h>

#include "segment/result_labels.h"

ns_status seg_hand_labels(ns_segmentation *out, int w, int h, size_t count, uint16_t **labels16,
                          uint32_t **labels32, ns_error *err)
{
    const size_t n = (size_t)w * (size_t)h;
    uint16_t *l16 = labels16 ? *labels16 : NULL;
    if (!l16 && count <= UINT16_MAX) { /* into a new buffer: a plain loop vectorises, an in-place one would not */
        if (!(l16 = malloc((n ? n : 1) * sizeof *l16)))
            return ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for a %dx%d image", w, h);
        for (size_t i = 0; i < n; i++) l16[i] = (uint16_t)(*labels32)[i];
        free(*labels32);
        *labels32 = NULL;
    }
    out->width = w;
    out->height = h;
    out->labels.width = w;
    out->labels.height = h;
    if (l16) {
        out->labels.type = NS_PIXEL_U16;
        out->labels.data = l16;
        if (labels16) *labels16 = NULL;
    } else {
        out->labels.type = NS_PIXEL_U32;
        out->labels.data = *labels32;
        *labels32 = NULL;
    }
    return NS_OK;
}
