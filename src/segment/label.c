/* label.c — connected components (8-connectivity) on runs.
 *
 * Each row is cut into runs of foreground; a run joins (union-find) every run of
 * the previous row that overlaps it or touches it diagonally. Nuclei are a few
 * runs per row, so the work is per run, not per pixel; a last pass paints the
 * final labels, numbered in raster order of each component's first pixel. */
#include <stdlib.h>
#include "nucseg/imgproc.h"
#include "segment/mask_runs.h"

typedef struct { int x0, x1; uint32_t id; } run; /* [x0, x1] inclusive */

static uint32_t find_root(uint32_t *parent, uint32_t a)
{
    while (parent[a] != a) {
        parent[a] = parent[parent[a]]; /* path halving */
        a = parent[a];
    }
    return a;
}

ns_status ns_label_components(const uint8_t *mask, int w, int h, uint32_t *labels, size_t *count,
                              ns_error *err)
{
    size_t cap = 1024, nruns = 0;
    run *runs = malloc(cap * sizeof *runs);
    size_t *row_start = malloc(((size_t)h + 1) * sizeof *row_start);
    uint32_t *parent = NULL;
    if (!runs || !row_start) goto nomem;
    for (int y = 0; y < h; y++) {
        row_start[y] = nruns;
        const uint8_t *m = mask + (size_t)y * w;
        int x = 0;
        while (x < w) {
            x = ns_mask_next(m, x, w, 1);
            if (x >= w) break;
            int s = x;
            x = ns_mask_next(m, x, w, 0);
            if (nruns == cap) {
                run *r = realloc(runs, 2 * cap * sizeof *runs);
                if (!r) goto nomem;
                runs = r;
                cap *= 2;
            }
            runs[nruns].x0 = s;
            runs[nruns].x1 = x - 1;
            runs[nruns].id = (uint32_t)nruns;
            nruns++;
        }
    }
    row_start[h] = nruns;
    parent = malloc((nruns ? nruns : 1) * sizeof *parent);
    if (!parent) goto nomem;
    for (size_t i = 0; i < nruns; i++) parent[i] = (uint32_t)i;
    /* Join runs of consecutive rows that overlap, widened by one for diagonals.
     * Both rows' runs are sorted by x: one merge-like sweep per row pair. */
    for (int y = 1; y < h; y++) {
        size_t a = row_start[y - 1], ae = row_start[y];
        for (size_t b = row_start[y]; b < row_start[y + 1]; b++) {
            while (a < ae && runs[a].x1 < runs[b].x0 - 1) a++;
            for (size_t k = a; k < ae && runs[k].x0 <= runs[b].x1 + 1; k++) {
                uint32_t ra = find_root(parent, (uint32_t)k), rb = find_root(parent, (uint32_t)b);
                if (ra < rb) parent[rb] = ra;
                else if (rb < ra) parent[ra] = rb;
            }
        }
    }
    /* Roots are the component's first run in raster order: number them in order. */
    uint32_t next = 0;
    for (size_t i = 0; i < nruns; i++) {
        uint32_t r = find_root(parent, (uint32_t)i);
        runs[i].id = r == i ? ++next : runs[r].id;
    }
    for (int y = 0; y < h; y++) {
        uint32_t *l = labels + (size_t)y * w;
        int x = 0;
        for (size_t i = row_start[y]; i < row_start[y + 1]; i++) {
            for (; x < runs[i].x0; x++) l[x] = 0;
            for (; x <= runs[i].x1; x++) l[x] = runs[i].id;
        }
        for (; x < w; x++) l[x] = 0;
    }
    free(runs); free(row_start); free(parent);
    *count = next;
    return NS_OK;
nomem:
    free(runs); free(row_start); free(parent);
    return ns_error_set(err, NS_ERR_NOMEM, "label: out of memory (%dx%d)", w, h);
}
