/* watershed.c — seeded watershed by priority flooding (Meyer), with a bucket
 * queue on quantised heights: O(pixels), no heap. Floods from the highest
 * level down (the watershed of -height), FIFO within a level so plateaus are
 * split evenly between competing seeds. Background is never visited: the
 * markers are found along the mask's runs and the flood tests the mask. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nucseg/imgproc.h"
#include "segment/mask_runs.h"
#include "segment/watershed.h"

#define LEVELS_PER_PX 4.0f /* quantisation: a quarter pixel of distance */

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

/* Quantised level of a height; negative (and NaN) heights are level 0, and heights
 * beyond the markers' range are clamped (the flood takes min(level, current)). */
#define MAX_HEIGHT 16000.0f
static inline int level_of(float v)
{
    return v > 0.0f ? (int)((v < MAX_HEIGHT ? v : MAX_HEIGHT) * LEVELS_PER_PX) : 0;
}

/* p / w without a division instruction (Lemire's direct computation, exact for
 * every 32-bit p and w >= 2; magic = 2^64 / w rounded up, which does not fit for
 * w = 1): the flood needs each popped pixel's row and column. */
static inline uint64_t div_magic(int w)
{
    return w > 1 ? UINT64_MAX / (uint64_t)w + 1 : 0;
}

static inline uint32_t div_by(uint32_t p, int w, uint64_t magic)
{
    return w > 1 ? (uint32_t)(((unsigned __int128)magic * p) >> 64) : p;
}

/* The 4-neighbours of pixel p inside the w x h image, into nb; their number. */
static inline int neighbours4(uint32_t p, int w, int h, uint64_t magic, uint32_t nb[4])
{
    uint32_t y = div_by(p, w, magic), x = p - y * (uint32_t)w;
    int k = 0;
    if (x > 0) nb[k++] = p - 1;
    if (x + 1 < (uint32_t)w) nb[k++] = p + 1;
    if (y > 0) nb[k++] = p - (uint32_t)w;
    if (y + 1 < (uint32_t)h) nb[k++] = p + (uint32_t)w;
    return k;
}

/* The marker pixels inside the mask (found along its foreground runs), grouped by
 * component: component c's are (*seeds)[start[c] .. start[c + 1]) (counting sort;
 * start: ncomponents + 2 zeros). -1 when out of memory. */
static int group_markers(const uint8_t *mask, const uint32_t *components, size_t ncomponents,
                         const uint32_t *labels, int w, int h, size_t *start, uint32_t **seeds, size_t *nseeds)
{
    size_t cap = 1024;
    uint32_t *found = malloc(cap * sizeof *found);
    if (!found) return -1;
    for (int y = 0; y < h; y++) {
        const uint8_t *m = mask + (size_t)y * w;
        for (int x = 0, e = 0; ns_mask_run(m, w, &x, &e); x = e) {
            for (size_t i = (size_t)y * w + x, end = (size_t)y * w + e; i < end; i++) {
                if (!labels[i] || !components[i] || components[i] > ncomponents) continue;
                if (*nseeds == cap) {
                    uint32_t *more = realloc(found, 2 * cap * sizeof *found);
                    if (!more) { free(found); return -1; }
                    found = more;
                    cap *= 2;
                }
                found[(*nseeds)++] = (uint32_t)i;
                start[components[i] + 1]++;
            }
        }
    }
    /* Counting sort of the (few) markers by component. */
    for (size_t c = 1; c <= ncomponents + 1; c++) start[c] += start[c - 1];
    *seeds = malloc((*nseeds ? *nseeds : 1) * sizeof **seeds);
    size_t *fill = calloc(ncomponents + 1, sizeof *fill);
    if (!*seeds || !fill) { free(found); free(fill); return -1; }
    for (size_t k = 0; k < *nseeds; k++) {
        uint32_t c = components[found[k]];
        (*seeds)[start[c] + fill[c]++] = found[k];
    }
    free(found);
    free(fill);
    return 0;
}

/* Breadth-first fill of the mask from the one marker s0 of a component, through the
 * empty queue f (left empty again). -1 when out of memory. */
static int fill_from_one_marker(level_fifo *f, uint32_t s0, const uint8_t *mask, int w, int h, uint64_t magic,
                                uint32_t *labels)
{
    uint32_t lab = labels[s0];
    if (fifo_push(f, s0) != 0) return -1;
    while (f->head < f->len) {
        uint32_t p = f->v[f->head++], nb[4];
        int k = neighbours4(p, w, h, magic, nb);
        for (int j = 0; j < k; j++) {
            uint32_t r = nb[j];
            if (labels[r] || !mask[r]) continue; /* taken, or background */
            labels[r] = lab;
            if (fifo_push(f, r) != 0) return -1;
        }
    }
    f->head = f->len = 0;
    return 0;
}

ns_status ns_watershed(const float *height, const uint8_t *mask, const uint32_t *components,
                       size_t ncomponents, const uint32_t *markers, int w, int h, uint32_t *labels,
                       ns_error *err)
{
    return ns_watershed_markers_in_mask(height, mask, components, ncomponents, markers, w, h, labels, 0, err);
}

ns_status ns_watershed_markers_in_mask(const float *height, const uint8_t *mask, const uint32_t *components,
                                       size_t ncomponents, const uint32_t *markers, int w, int h,
                                       uint32_t *labels, int outside_is_zero, ns_error *err)
{
    size_t n = (size_t)w * (size_t)h;
    int nlev = 0;
    /* Markers grouped by component (counting sort), so each component is flooded
     * on its own: the flood then stays inside one object's bounding box and in
     * cache, where a whole-image flood would touch the full image at every level. */
    size_t *start = calloc(ncomponents + 2, sizeof *start);
    level_fifo *q = NULL;
    uint32_t *seeds = NULL;
    size_t nseeds = 0;
    if (!start) goto nomem;
    if (labels != markers) memcpy(labels, markers, n * sizeof *labels);
    if (group_markers(mask, components, ncomponents, labels, w, h, start, &seeds, &nseeds) != 0) goto nomem;
    {
        /* The levels in use run from 0 to the highest marker's: the flood never
         * pushes a pixel above the level being flooded. So the queues are sized from
         * the markers (no pass over the image for the highest height). */
        float top = 0.0f;
        for (size_t k = 0; k < nseeds; k++) {
            float v = height[seeds[k]];
            if (!(v <= MAX_HEIGHT)) { /* also NaN and inf */
                free(start); free(seeds);
                return ns_error_set(err, NS_ERR_UNSUPPORTED, "watershed: marker height %g out of range", v);
            }
            top = v > top ? v : top;
        }
        nlev = level_of(top) + 1;
        q = calloc((size_t)nlev, sizeof *q);
        if (!q) goto nomem;
    }
    const uint64_t magic = div_magic(w);
    for (size_t c = 1; c <= ncomponents; c++) {
        if (start[c] == start[c + 1]) continue;
        if (start[c + 1] - start[c] == 1) {
            /* One marker: every pixel it reaches is its own, in whatever order, so
             * a plain breadth-first fill does, without levels. */
            if (fill_from_one_marker(&q[0], seeds[start[c]], mask, w, h, magic, labels) != 0) goto nomem;
            continue;
        }
        int top = 0;
        for (size_t k = start[c]; k < start[c + 1]; k++) {
            int l = level_of(height[seeds[k]]);
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
            uint32_t nb[4];
            int k = neighbours4(p, w, h, magic, nb);
            for (int j = 0; j < k; j++) {
                uint32_t r = nb[j];
                if (labels[r] || !mask[r]) continue; /* taken, or background */
                labels[r] = lab;
                int lr = level_of(height[r]);
                if (fifo_push(&q[lr < cur ? lr : cur], r) != 0) goto nomem;
            }
        }
    }
    for (int l = 0; l < nlev; l++) free(q[l].v);
    free(q); free(start); free(seeds);
    /* Drop any marker placed outside the mask (branch-free: vectorises), unless the
     * caller knows there is none: the flood itself never writes outside the mask. */
    if (!outside_is_zero)
        for (size_t i = 0; i < n; i++) labels[i] = mask[i] ? labels[i] : 0;
    return NS_OK;
nomem:
    if (q) for (int l = 0; l < nlev; l++) free(q[l].v);
    free(q); free(start); free(seeds);
    return ns_error_set(err, NS_ERR_NOMEM, "watershed: out of memory (%dx%d)", w, h);
}
