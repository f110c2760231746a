/* merge_regions.c — undo over-segmentation after the watershed.
 *
 * Seeds from distance maxima over-split elongated or irregular nuclei (a ridge
 * has several maxima). Two regions belong to one nucleus when the distance map
 * barely dips between their peaks, i.e. the neck is nearly as wide as the
 * smaller region: the "dynamics" criterion behind h-maxima, applied on the
 * region adjacency graph, highest saddle first. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nucseg/imgproc.h"
#include "segment/mask_runs.h"

typedef struct { uint32_t a, b; float s; } edge;

/* Open-addressing map from a label pair to its edge index. */
typedef struct { uint64_t *keys; int32_t *vals; size_t cap; } pair_map;

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33; k *= 0xff51afd7ed558ccdULL; k ^= k >> 33;
    return k;
}

static int32_t *pair_slot(pair_map *m, uint64_t key)
{
    size_t i = mix(key) & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
    m->keys[i] = key;
    return &m->vals[i];
}

static int by_saddle_desc(const void *x, const void *y)
{
    const edge *a = x, *b = y;
    if (a->s != b->s) return a->s < b->s ? 1 : -1;
    if (a->a != b->a) return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

/* Record that regions a and b touch where the lower side has height s: a new edge,
 * or a higher saddle for a known one. -1: out of memory. */
static int add_edge(edge **e, size_t *ne, size_t *ecap, pair_map *map, uint32_t a, uint32_t b, float s)
{
    uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
    int32_t *slot = pair_slot(map, ((uint64_t)lo << 32) | hi);
    if (*slot >= 0) {
        if (s > (*e)[*slot].s) (*e)[*slot].s = s;
        return 0;
    }
    if (*ne == *ecap) {
        /* Too many pairs for the table: grow both and rehash. */
        size_t ncap = *ecap * 2;
        edge *ee = realloc(*e, ncap * sizeof *ee);
        if (!ee) return -1;
        *e = ee;
        *ecap = ncap;
        pair_map nm = {0};
        nm.cap = map->cap * 2;
        nm.keys = calloc(nm.cap, sizeof *nm.keys);
        nm.vals = malloc(nm.cap * sizeof *nm.vals);
        if (!nm.keys || !nm.vals) { free(nm.keys); free(nm.vals); return -1; }
        memset(nm.vals, 0xff, nm.cap * sizeof *nm.vals);
        for (size_t k = 0; k < *ne; k++)
            *pair_slot(&nm, ((uint64_t)(*e)[k].a << 32) | (*e)[k].b) = (int32_t)k;
        free(map->keys); free(map->vals);
        *map = nm;
        slot = pair_slot(map, ((uint64_t)lo << 32) | hi);
    }
    *slot = (int32_t)*ne;
    (*e)[*ne].a = lo; (*e)[*ne].b = hi; (*e)[*ne].s = s;
    (*ne)++;
    return 0;
}

ns_status ns_merge_regions(uint32_t *labels, const float *height, int w, int h, size_t nlabels,
                           double h_abs, double h_rel, double min_area, double max_area,
                           size_t *count, ns_error *err)
{
    size_t n = (size_t)w * (size_t)h, L = nlabels + 1;
    uint32_t *parent = malloc(L * sizeof *parent);
    double *area = calloc(L, sizeof *area);
    float *peak = calloc(L, sizeof *peak);
    size_t ecap = 4 * L + 16, ne = 0;
    edge *e = malloc(ecap * sizeof *e);
    pair_map map = {0};
    map.cap = 1;
    while (map.cap < 2 * ecap) map.cap <<= 1;
    map.keys = calloc(map.cap, sizeof *map.keys);
    map.vals = malloc(map.cap * sizeof *map.vals);
    if (!parent || !area || !peak || !e || !map.keys || !map.vals) goto nomem;
    memset(map.vals, 0xff, map.cap * sizeof *map.vals); /* -1: empty */
    for (size_t l = 0; l < L; l++) parent[l] = (uint32_t)l;
    /* Region adjacency with the saddle of each pair (4-connected boundary), and each
     * region's area and peak. Rows are walked run by run of one label: one area and
     * peak update per run, and inside a run only the pixels below can belong to
     * another region, and the pixel right of the run's last one. */
    for (int y = 0; y < h; y++) {
        const uint32_t *row = labels + (size_t)y * w;
        const float *hr = height + (size_t)y * w;
        uint32_t a;
        for (size_t rs = 0, re = 0; (a = ns_label_run(row, (size_t)w, &rs, &re)) != 0; rs = re) {
            const int x0 = (int)rs, x = (int)re; /* the run [x0, x) */
            float top = peak[a];
            for (int k = x0; k < x; k++) top = hr[k] > top ? hr[k] : top;
            area[a] += (double)(x - x0);
            peak[a] = top;
            for (int xx = x0; xx <= x; xx++) {
                size_t i = (size_t)y * w + xx, j;
                if (xx < x) { /* below */
                    if (y + 1 >= h) continue;
                    j = i + (size_t)w;
                } else { /* right of the run's last pixel */
                    if (x >= w) continue;
                    i = (size_t)y * w + xx - 1;
                    j = i + 1;
                }
                uint32_t b = labels[j];
                if (!b || b == a) continue;
                if (add_edge(&e, &ne, &ecap, &map, a, b, fminf(height[i], height[j])) != 0) goto nomem;
            }
        }
    }
    qsort(e, ne, sizeof *e, by_saddle_desc);
    /* 1. Shallow saddles: the smaller peak's dynamics is below the threshold. */
    for (size_t k = 0; k < ne; k++) {
        uint32_t ra = ns_union_root(parent, e[k].a), rb = ns_union_root(parent, e[k].b);
        if (ra == rb) continue;
        double pmin = fmin(peak[ra], peak[rb]);
        double lim = fmax(h_abs, h_rel * pmin);
        if (pmin - e[k].s < lim) {
            uint32_t keep = ra < rb ? ra : rb, gone = ra < rb ? rb : ra;
            parent[gone] = keep;
            area[keep] += area[gone];
            peak[keep] = fmaxf(peak[ra], peak[rb]);
        }
    }
    /* 2. Fragments below min_area join the neighbour across their highest saddle. */
    for (size_t k = 0; k < ne; k++) {
        uint32_t ra = ns_union_root(parent, e[k].a), rb = ns_union_root(parent, e[k].b);
        if (ra == rb || (area[ra] >= min_area && area[rb] >= min_area)) continue;
        uint32_t keep = ra < rb ? ra : rb, gone = ra < rb ? rb : ra;
        parent[gone] = keep;
        area[keep] += area[gone];
        peak[keep] = fmaxf(peak[ra], peak[rb]);
    }
    /* 3. Relabel 1..N in raster order; drop what is still too small or too large. */
    {
        uint32_t *final = calloc(L, sizeof *final);
        if (!final) goto nomem;
        uint32_t next_label = 0;
        const uint32_t DROP = UINT32_MAX;
        uint32_t l;
        for (size_t i = 0, end = 0; (l = ns_label_run(labels, n, &i, &end)) != 0; i = end) {
            uint32_t r = ns_union_root(parent, l);
            if (!final[r]) {
                int keep = area[r] >= min_area && !(max_area > 0 && area[r] > max_area);
                final[r] = keep ? ++next_label : DROP;
            }
            uint32_t out = final[r] == DROP ? 0 : final[r];
            for (size_t k = i; k < end; k++) labels[k] = out; /* the run of l */
        }
        free(final);
        *count = next_label;
    }
    free(parent); free(area); free(peak); free(e); free(map.keys); free(map.vals);
    return NS_OK;
nomem:
    free(parent); free(area); free(peak); free(e); free(map.keys); free(map.vals);
    return ns_error_set(err, NS_ERR_NOMEM, "merge regions: out of memory (%zu labels)", nlabels);
}
