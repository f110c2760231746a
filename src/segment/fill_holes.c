/* fill_holes.c — background enclosed by foreground becomes foreground
 * (nuclei with dim nucleoli or chromatin gaps stay whole).
 *
 * Background is cut into runs per row; runs of consecutive rows that overlap are
 * joined (union-find: 4-connected background). A group with a run on the image
 * border is the outside; every other group is a hole and is painted foreground.
 * The work is per run, and only hole pixels are written: no pass that touches
 * every background pixel, as a flood fill from the border would. */
#include <stdlib.h>
#include <string.h>
#include "nucseg/imgproc.h"
#include "segment/mask_runs.h"

typedef struct { int x0, x1; } span; /* [x0, x1] inclusive */

static uint32_t find_root(uint32_t *parent, uint32_t a)
{
    while (parent[a] != a) {
        parent[a] = parent[parent[a]]; /* path halving */
        a = parent[a];
    }
    return a;
}

ns_status ns_fill_holes(uint8_t *mask, int w, int h, ns_error *err)
{
    size_t cap = 1024, nruns = 0;
    span *runs = malloc(cap * sizeof *runs);
    size_t *row_start = malloc(((size_t)h + 1) * sizeof *row_start);
    uint32_t *parent = NULL;
    uint8_t *outside = NULL;
    if (!runs || !row_start) goto nomem;
    for (int y = 0; y < h; y++) {
        row_start[y] = nruns;
        const uint8_t *m = mask + (size_t)y * w;
        int x = 0;
        while (x < w) {
            int s = ns_mask_next(m, x, w, 0); /* start of background */
            if (s >= w) break;
            x = ns_mask_next(m, s, w, 1);     /* its end */
            if (nruns == cap) {
                span *r = realloc(runs, 2 * cap * sizeof *runs);
                if (!r) goto nomem;
                runs = r;
                cap *= 2;
            }
            runs[nruns].x0 = s;
            runs[nruns].x1 = x - 1;
            nruns++;
        }
    }
    row_start[h] = nruns;
    parent = malloc((nruns ? nruns : 1) * sizeof *parent);
    outside = calloc(nruns ? nruns : 1, 1);
    if (!parent || !outside) goto nomem;
    for (size_t i = 0; i < nruns; i++) parent[i] = (uint32_t)i;
    /* Join overlapping runs of consecutive rows (4-connectivity: no diagonals).
     * Both rows' runs are sorted by x: one merge-like sweep per row pair. */
    for (int y = 1; y < h; y++) {
        size_t a = row_start[y - 1], ae = row_start[y];
        for (size_t b = row_start[y]; b < row_start[y + 1]; b++) {
            while (a < ae && runs[a].x1 < runs[b].x0) a++;
            for (size_t k = a; k < ae && runs[k].x0 <= runs[b].x1; k++) {
                uint32_t ra = find_root(parent, (uint32_t)k), rb = find_root(parent, (uint32_t)b);
                if (ra < rb) parent[rb] = ra;
                else if (rb < ra) parent[ra] = rb;
            }
        }
    }
    /* Groups that touch the border are the outside. */
    for (int y = 0; y < h; y++)
        for (size_t i = row_start[y]; i < row_start[y + 1]; i++)
            if (y == 0 || y == h - 1 || runs[i].x0 == 0 || runs[i].x1 == w - 1)
                outside[find_root(parent, (uint32_t)i)] = 1;
    for (int y = 0; y < h; y++)
        for (size_t i = row_start[y]; i < row_start[y + 1]; i++)
            if (!outside[find_root(parent, (uint32_t)i)])
                memset(mask + (size_t)y * w + runs[i].x0, 1, (size_t)(runs[i].x1 - runs[i].x0 + 1));
    free(runs); free(row_start); free(parent); free(outside);
    return NS_OK;
nomem:
    free(runs); free(row_start); free(parent); free(outside);
    return ns_error_set(err, NS_ERR_NOMEM, "fill holes: out of memory (%dx%d)", w, h);
}
