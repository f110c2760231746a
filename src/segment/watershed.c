/* watershed.c — seeded watershed by priority flooding (Meyer), with a bucket
 * queue on quantised heights: O(pixels), no heap. Floods from the highest
 * level down (the watershed of -height), FIFO within a level so plateaus are
 * split evenly between competing seeds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nucseg/imgproc.h"

#define LEVELS_PER_PX 4.0f /* quantisation: a quarter pixel of distance */

ns_status ns_watershed(const float *height, const uint8_t *mask, const uint32_t *markers,
                       int w, int h, uint32_t *labels, ns_error *err)
{
    size_t n = (size_t)w * (size_t)h;
    float hmax = 0.0f;
    for (size_t i = 0; i < n; i++)
        if (mask[i] && height[i] > hmax) hmax = height[i];
    int nlev = (int)(hmax * LEVELS_PER_PX) + 1;
    int32_t *head = malloc((size_t)nlev * sizeof *head);
    int32_t *tail = malloc((size_t)nlev * sizeof *tail);
    int32_t *next = malloc(n * sizeof *next);
    if (!head || !tail || !next) {
        free(head); free(tail); free(next);
        return ns_error_set(err, NS_ERR_NOMEM, "watershed: out of memory (%dx%d)", w, h);
    }
    for (int l = 0; l < nlev; l++) head[l] = tail[l] = -1;
    memcpy(labels, markers, n * sizeof *labels);

    int cur = nlev - 1;
#define LEVEL(i) ((int)(height[i] * LEVELS_PER_PX))
#define PUSH(i, lev) do { int l_ = (lev); next[i] = -1; \
        if (tail[l_] < 0) head[l_] = (int32_t)(i); else next[tail[l_]] = (int32_t)(i); \
        tail[l_] = (int32_t)(i); } while (0)
    for (size_t i = 0; i < n; i++)
        if (labels[i] && mask[i]) PUSH(i, LEVEL(i));
    for (;;) {
        while (cur >= 0 && head[cur] < 0) cur--;
        if (cur < 0) break;
        int32_t p = head[cur];
        head[cur] = next[p];
        if (head[cur] < 0) tail[cur] = -1;
        uint32_t lab = labels[p];
        int x = (int)((uint32_t)p % (uint32_t)w), y = (int)((uint32_t)p / (uint32_t)w);
        size_t nb[4];
        int k = 0;
        if (x > 0) nb[k++] = (size_t)p - 1;
        if (x < w - 1) nb[k++] = (size_t)p + 1;
        if (y > 0) nb[k++] = (size_t)p - (size_t)w;
        if (y < h - 1) nb[k++] = (size_t)p + (size_t)w;
        for (int j = 0; j < k; j++) {
            size_t q = nb[j];
            if (!mask[q] || labels[q]) continue;
            labels[q] = lab;
            int lq = LEVEL(q);
            PUSH(q, lq < cur ? lq : cur);
        }
    }
#undef PUSH
#undef LEVEL
    /* Markers outside the mask (not expected) do not survive. */
    for (size_t i = 0; i < n; i++)
        if (!mask[i]) labels[i] = 0;
    free(head); free(tail); free(next);
    return NS_OK;
}
