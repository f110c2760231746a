/* label.c — connected components, two passes with union-find on provisional labels. */
#include <stdlib.h>
#include "nucseg/imgproc.h"

static uint32_t find_root(uint32_t *parent, uint32_t a)
{
    while (parent[a] != a) {
        parent[a] = parent[parent[a]]; /* path halving */
        a = parent[a];
    }
    return a;
}

static void unite(uint32_t *parent, uint32_t a, uint32_t b)
{
    a = find_root(parent, a);
    b = find_root(parent, b);
    if (a < b) parent[b] = a;
    else if (b < a) parent[a] = b;
}

ns_status ns_label_components(const uint8_t *mask, int w, int h, uint32_t *labels, size_t *count,
                              ns_error *err)
{
    size_t n = (size_t)w * (size_t)h;
    /* Provisional labels: at most one per run start, bounded by n/2 + 1 for 8-connectivity,
     * but allocate lazily in chunks to keep small images cheap. */
    size_t cap = 1024;
    uint32_t *parent = malloc(cap * sizeof *parent);
    if (!parent) return ns_error_set(err, NS_ERR_NOMEM, "label: out of memory");
    uint32_t next = 1;
    parent[0] = 0;
    for (int y = 0; y < h; y++) {
        const uint8_t *m = mask + (size_t)y * w;
        uint32_t *l = labels + (size_t)y * w;
        const uint32_t *up = y > 0 ? l - w : NULL;
        for (int x = 0; x < w; x++) {
            if (!m[x]) { l[x] = 0; continue; }
            /* Already-visited 8-neighbours: W, NW, N, NE. */
            uint32_t nb[4];
            int k = 0;
            if (x > 0 && l[x - 1]) nb[k++] = l[x - 1];
            if (up) {
                if (x > 0 && up[x - 1]) nb[k++] = up[x - 1];
                if (up[x]) nb[k++] = up[x];
                if (x < w - 1 && up[x + 1]) nb[k++] = up[x + 1];
            }
            if (k == 0) {
                if (next >= cap) {
                    cap *= 2;
                    uint32_t *p = realloc(parent, cap * sizeof *p);
                    if (!p) { free(parent); return ns_error_set(err, NS_ERR_NOMEM, "label: out of memory"); }
                    parent = p;
                }
                parent[next] = next;
                l[x] = next++;
            } else {
                uint32_t m0 = nb[0];
                for (int j = 1; j < k; j++) {
                    if (nb[j] != m0) unite(parent, m0, nb[j]);
                }
                l[x] = m0;
            }
        }
    }
    /* Final labels 1..N in order of each component's first provisional label,
     * which is the raster order of first pixels. */
    uint32_t *final = calloc(next, sizeof *final);
    if (!final) { free(parent); return ns_error_set(err, NS_ERR_NOMEM, "label: out of memory"); }
    uint32_t nfinal = 0;
    for (uint32_t a = 1; a < next; a++) {
        uint32_t r = find_root(parent, a);
        if (r == a) final[a] = ++nfinal;
    }
    for (uint32_t a = 1; a < next; a++) final[a] = final[find_root(parent, a)];
    for (size_t i = 0; i < n; i++) labels[i] = final[labels[i]];
    free(final);
    free(parent);
    *count = nfinal;
    return NS_OK;
}
