/* mask_runs.h — a 0/1 mask as runs per row, and the union-find that joins the runs
 * of consecutive rows into connected regions. Labelling (foreground runs,
 * 8-connected) and hole filling (background runs, 4-connected) are both this; the
 * distance transform and merging use the fast run finder. */
#ifndef NUCSEG_SEGMENT_MASK_RUNS_H
#define NUCSEG_SEGMENT_MASK_RUNS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "nucseg/error.h"

/* First x >= from in row m (length w) whose byte is nonzero (want = 1) or zero
 * (want = 0); w when there is none. Whole 8-byte words of the other kind (all 0,
 * or all 1) are skipped at once; a foreground byte other than 1 is still found,
 * only without the skip. */
static inline int ns_mask_next(const uint8_t *m, int from, int w, int want)
{
    const uint64_t other = want ? 0 : 0x0101010101010101ULL;
    int x = from;
    while (x + 8 <= w) {
        uint64_t word;
        memcpy(&word, m + x, 8);
        if (word != other) {
            /* The bytes before the first one that differs are of the other kind
             * (bytes are read little-endian: the lowest set bit is the first byte). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            x += __builtin_ctzll(word ^ other) >> 3;
#endif
            break;
        }
        x += 8;
    }
    while (x < w && (m[x] != 0) != want) x++;
    return x;
}

/* First i >= from (i < n) with v[i] != 0; n when there is none. Background is most
 * of a label image: whole groups of 8 zero labels are skipped at once. */
static inline size_t ns_label_next(const uint32_t *v, size_t from, size_t n)
{
    size_t i = from;
    while (i + 8 <= n) {
        uint64_t a, b, c, d;
        memcpy(&a, v + i, 8); memcpy(&b, v + i + 2, 8); memcpy(&c, v + i + 4, 8); memcpy(&d, v + i + 6, 8);
        if (a | b | c | d) break;
        i += 8;
    }
    while (i < n && !v[i]) i++;
    return i;
}

/* The next run of one nonzero label in v (length n) at or after *i: its bounds
 * [*i, *end) and the label, or 0 when there is none. Walks labels run by run:
 *     for (size_t i = 0, e = 0; (l = ns_label_run(v, n, &i, &e)) != 0; i = e) ... */
static inline uint32_t ns_label_run(const uint32_t *v, size_t n, size_t *i, size_t *end)
{
    *i = ns_label_next(v, *i, n);
    if (*i >= n) return 0;
    const uint32_t l = v[*i];
    size_t e = *i + 1;
    while (e < n && v[e] == l) e++;
    *end = e;
    return l;
}

/* Pixels x0..x1 of a label row set to v, labels of `bytes` bytes (2 or 4): the
 * result's label image is 16-bit when its labels fit (segment.h). */
static inline void ns_label_fill(void *row, int bytes, int x0, int x1, uint32_t v)
{
    if (bytes == 2) {
        uint16_t *restrict l = row;
        for (int k = x0; k <= x1; k++) l[k] = (uint16_t)v;
    } else {
        uint32_t *restrict l = row;
        for (int k = x0; k <= x1; k++) l[k] = v;
    }
}

/* The next foreground run of row m (length w) at or after *x: its bounds [*x, *end)
 * and 1, or 0 when the row has no more. Walks a row run by run:
 *     for (int x = 0, e = 0; ns_mask_run(m, w, &x, &e); x = e) ... */
static inline int ns_mask_run(const uint8_t *m, int w, int *x, int *end)
{
    *x = ns_mask_next(m, *x, w, 1);
    if (*x >= w) return 0;
    *end = ns_mask_next(m, *x, w, 0);
    return 1;
}

typedef struct { int x0, x1; } ns_span; /* [x0, x1] inclusive */

/* The runs of one kind (foreground: nonzero, or background: zero) of a w x h mask,
 * row by row and left to right: row y's runs are span[row_start[y] .. row_start[y+1]). */
typedef struct {
    ns_span *span;
    size_t *row_start; /* h + 1 entries */
    size_t count;
    uint32_t *parent;  /* union-find over the runs, after ns_mask_runs_join */
} ns_mask_runs;

/* Find the runs; `what` names the caller in the out-of-memory message. */
ns_status ns_mask_runs_find(const uint8_t *mask, int w, int h, int foreground, ns_mask_runs *out,
                            const char *what, ns_error *err);
/* Join runs of consecutive rows that touch: overlapping (4-connectivity), or also
 * diagonally adjacent when `diagonal` (8-connectivity). The root of each region is
 * its first run in raster order. */
ns_status ns_mask_runs_join(ns_mask_runs *r, int h, int diagonal, const char *what, ns_error *err);
void ns_mask_runs_free(ns_mask_runs *r);

/* Root of run (or any union-find element) a, with path halving. */
static inline uint32_t ns_union_root(uint32_t *parent, uint32_t a)
{
    while (parent[a] != a) {
        parent[a] = parent[parent[a]];
        a = parent[a];
    }
    return a;
}

#endif
