/* watershed.c — seeded watershed by priority flooding (Meyer), with a bucket
 * queue on quantised heights: O(pixels), no heap. Floods from the highest
 * level down (the watershed of -height), FIFO within a level so plateaus are
 * split evenly between competing seeds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nucseg/imgproc.h"

#define LEVELS_PER_PX 4.0f /* quantisation: a quarter pixel of distance */
#define TAKEN UINT32_MAX   /* background, during the flood */

/* One FIFO per level, as a growable array: pushes append, pops advance a read
 * index. Appending keeps memory access sequential (a linked list through a
 * pixel-sized array would miss the cache on every push of a large image). */
typedef struct { uint32_t *v; size_t head, len, cap; } level_fifo;

static int fifo_push(level_fifo *q, uint32_t i)
{
    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 256;
        uint32_t *v = realloc(q->v, cap * sizeof *v);
        if (!v) return -1;
        q->v = v;
        q->cap = cap;
    }
    q->v[q->len++] = i;
    return 0;
}

ns_status ns_watershed(const float *height, const uint8_t *mask, const uint32_t *components,
                       size_t ncomponents, const uint32_t *markers, int w, int h, uint32_t *labels,
                       ns_error *err)
{
    size_t n = (size_t)w * (size_t)h;
    float hmax = 0.0f;
    for (size_t i = 0; i < n; i++)
        if (mask[i] && height[i] > hmax) hmax = height[i];
    int nlev = (int)(hmax * LEVELS_PER_PX) + 1;
    /* Markers grouped by component (counting sort), so each component is flooded
     * on its own: the flood then stays inside one object's bounding box and in
     * cache, where a whole-image flood would touch the full image at every level. */
    if (hmax * LEVELS_PER_PX > 65000.0f)
        return ns_error_set(err, NS_ERR_UNSUPPORTED, "watershed: height range too large (%g)", hmax);
    uint16_t *lev = NULL;
    size_t *start = calloc(ncomponents + 2, sizeof *start);
    level_fifo *q = calloc((size_t)nlev, sizeof *q);
    uint32_t *seeds = NULL;
    size_t nseeds = 0;
    if (!start || !q) goto nomem;
    if (labels != markers) memcpy(labels, markers, n * sizeof *labels);
    /* Quantised levels once (2 bytes per pixel to read later), and background
     * marked as taken so the flood tests one array, not two. */
    lev = malloc(n * sizeof *lev);
    if (!lev) goto nomem;
    {
        /* One pass: levels, background taken, and the marker pixels listed. */
        size_t cap = 1024;
        uint32_t *found = malloc(cap * sizeof *found);
        if (!found) goto nomem;
        for (size_t i = 0; i < n; i++) {
            lev[i] = (uint16_t)(height[i] * LEVELS_PER_PX);
            if (!mask[i]) {
                labels[i] = TAKEN;
            } else if (labels[i] && components[i] && components[i] <= ncomponents) {
                if (nseeds == cap) {
                    uint32_t *more = realloc(found, 2 * cap * sizeof *found);
                    if (!more) { free(found); goto nomem; }
                    found = more;
                    cap *= 2;
                }
                found[nseeds++] = (uint32_t)i;
                start[components[i] + 1]++;
            }
        }
        /* Counting sort of the (few) markers by component. */
        for (size_t c = 1; c <= ncomponents + 1; c++) start[c] += start[c - 1];
        seeds = malloc((nseeds ? nseeds : 1) * sizeof *seeds);
        size_t *fill = calloc(ncomponents + 1, sizeof *fill);
        if (!seeds || !fill) { free(found); free(fill); goto nomem; }
        for (size_t k = 0; k < nseeds; k++) {
            uint32_t c = components[found[k]];
            seeds[start[c] + fill[c]++] = found[k];
        }
        free(found);
        free(fill);
    }
#define LEVEL(i) ((int)lev[i])
    for (size_t c = 1; c <= ncomponents; c++) {
        if (start[c] == start[c + 1]) continue;
        int top = 0;
        for (size_t k = start[c]; k < start[c + 1]; k++) {
            int l = LEVEL(seeds[k]);
            if (fifo_push(&q[l], seeds[k]) != 0) goto nomem;
            if (l > top) top = l;
        }
        int cur = top;
        for (;;) {
            while (cur >= 0 && q[cur].head == q[cur].len) {
                q[cur].head = q[cur].len = 0; /* keep the buffer for the next component */
                cur--;
            }
            if (cur < 0) break;
            uint32_t p = q[cur].v[q[cur].head++];
            uint32_t lab = labels[p];
            int x = (int)(p % (uint32_t)w), y = (int)(p / (uint32_t)w);
            uint32_t nb[4];
            int k = 0;
            if (x > 0) nb[k++] = p - 1;
            if (x < w - 1) nb[k++] = p + 1;
            if (y > 0) nb[k++] = p - (uint32_t)w;
            if (y < h - 1) nb[k++] = p + (uint32_t)w;
            for (int j = 0; j < k; j++) {
                uint32_t r = nb[j];
                if (labels[r]) continue;
                labels[r] = lab;
                int lr = LEVEL(r);
                if (fifo_push(&q[lr < cur ? lr : cur], r) != 0) goto nomem;
            }
        }
    }
#undef LEVEL
    for (int l = 0; l < nlev; l++) free(q[l].v);
    free(q); free(start); free(seeds); free(lev);
    /* Background back to 0 (this also drops any marker placed outside the mask). */
    for (size_t i = 0; i < n; i++)
        if (!mask[i]) labels[i] = 0;
    return NS_OK;
nomem:
    if (q) for (int l = 0; l < nlev; l++) free(q[l].v);
    free(q); free(start); free(seeds); free(lev);
    return ns_error_set(err, NS_ERR_NOMEM, "watershed: out of memory (%dx%d)", w, h);
}
