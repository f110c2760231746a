/* seeds.c — one marker per nucleus: maxima of the distance map, thinned so that
 * no two markers of the same object are closer than min_distance (as
 * skimage's peak_local_max), found on candidates only so cost tracks nuclei,
 * not pixels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nucseg/imgproc.h"
#include "segment/mask_runs.h"

typedef struct { float h; uint32_t i; } candidate;

static int by_height_desc(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? 1 : -1;
    return (x->i > y->i) - (x->i < y->i); /* raster order on ties: deterministic */
}

ns_status ns_find_seeds(const float *height, const uint32_t *comp, int w, int h,
                        double min_distance, uint32_t *markers, size_t *count, ns_error *err)
{
    size_t n = (size_t)w * (size_t)h, cap = 1024, nc = 0;
    candidate *c = malloc(cap * sizeof *c);
    if (!c) return ns_error_set(err, NS_ERR_NOMEM, "seeds: out of memory");
    memset(markers, 0, n * sizeof *markers);
    /* Candidates: pixels of a component that no 8-neighbour exceeds. Only the
     * components' runs are visited; at the image border the missing neighbours are
     * replaced by the pixel itself, which never exceeds it (no bounds test). */
    for (int y = 0; y < h; y++) {
        const uint32_t *cr = comp + (size_t)y * w;
        const float *hr = height + (size_t)y * w;
        const float *hu = y > 0 ? hr - w : hr, *hd = y + 1 < h ? hr + w : hr;
        for (int x = (int)ns_label_next(cr, 0, (size_t)w); x < w; x = (int)ns_label_next(cr, (size_t)x, (size_t)w)) {
            for (; x < w && cr[x]; x++) {
                int xl = x > 0 ? x - 1 : x, xr = x + 1 < w ? x + 1 : x;
                float v = hr[x];
                float m = hu[xl] > hu[x] ? hu[xl] : hu[x];
                m = hu[xr] > m ? hu[xr] : m;
                m = hr[xl] > m ? hr[xl] : m;
                m = hr[xr] > m ? hr[xr] : m;
                m = hd[xl] > m ? hd[xl] : m;
                m = hd[x] > m ? hd[x] : m;
                m = hd[xr] > m ? hd[xr] : m;
                if (m > v) continue;
                if (nc == cap) {
                    cap *= 2;
                    candidate *p = realloc(c, cap * sizeof *c);
                    if (!p) { free(c); return ns_error_set(err, NS_ERR_NOMEM, "seeds: out of memory"); }
                    c = p;
                }
                c[nc].h = v;
                c[nc].i = (uint32_t)((size_t)y * w + x);
                nc++;
            }
        }
    }
    qsort(c, nc, sizeof *c, by_height_desc);

    /* Accepted seeds in a grid of cells min_distance wide: a new candidate checks
     * only the 3x3 cells around it. */
    double md = min_distance < 1.0 ? 1.0 : min_distance;
    int gw = (int)(w / md) + 1, gh = (int)(h / md) + 1;
    int32_t *cell_head = malloc((size_t)gw * gh * sizeof *cell_head);
    int32_t *next = malloc((nc ? nc : 1) * sizeof *next);
    uint32_t *acc = malloc((nc ? nc : 1) * sizeof *acc);
    if (!cell_head || !next || !acc) {
        free(c); free(cell_head); free(next); free(acc);
        return ns_error_set(err, NS_ERR_NOMEM, "seeds: out of memory");
    }
    for (size_t g = 0; g < (size_t)gw * gh; g++) cell_head[g] = -1;
    size_t na = 0;
    const double md2 = md * md;
    for (size_t k = 0; k < nc; k++) {
        uint32_t i = c[k].i;
        int x = (int)(i % (uint32_t)w), y = (int)(i / (uint32_t)w);
        int cx = (int)(x / md), cy = (int)(y / md);
        int ok = 1;
        for (int gy = cy - 1; gy <= cy + 1 && ok; gy++) {
            if (gy < 0 || gy >= gh) continue;
            for (int gx = cx - 1; gx <= cx + 1 && ok; gx++) {
                if (gx < 0 || gx >= gw) continue;
                for (int32_t a = cell_head[(size_t)gy * gw + gx]; a >= 0; a = next[a]) {
                    uint32_t j = acc[a];
                    if (comp[j] != comp[i]) continue;
                    double ddx = (double)((int)(j % (uint32_t)w) - x), ddy = (double)((int)(j / (uint32_t)w) - y);
                    if (ddx * ddx + ddy * ddy < md2) { ok = 0; break; }
                }
            }
        }
        if (!ok) continue;
        acc[na] = i;
        next[na] = cell_head[(size_t)cy * gw + cx];
        cell_head[(size_t)cy * gw + cx] = (int32_t)na;
        na++;
        markers[i] = (uint32_t)na;
    }
    free(c); free(cell_head); free(next); free(acc);
    *count = na;
    return NS_OK;
}
