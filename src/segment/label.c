/* label.c — connected components (8-connectivity) on runs.
 *
 * The foreground's runs are joined into 8-connected regions (mask_runs.h): nuclei
 * are a few runs per row, so the work is per run, not per pixel. A last pass
 * paints the labels, numbered in raster order of each component's first pixel. */
#include <stdlib.h>
#include <string.h>
#include "nucseg/imgproc.h"
#include "segment/mask_runs.h"

ns_status ns_label_components(const uint8_t *mask, int w, int h, uint32_t *labels, size_t *count,
                              ns_error *err)
{
    ns_mask_runs r;
    ns_status st = ns_mask_runs_find(mask, w, h, 1, &r, "label", err);
    if (st == NS_OK) st = ns_mask_runs_join(&r, h, 1, "label", err);
    uint32_t *id = st == NS_OK ? malloc((r.count ? r.count : 1) * sizeof *id) : NULL;
    if (st == NS_OK && !id) st = ns_error_set(err, NS_ERR_NOMEM, "label: out of memory (%dx%d)", w, h);
    if (st != NS_OK) {
        ns_mask_runs_free(&r);
        return st;
    }
    /* Roots are the component's first run in raster order: number them in order. */
    uint32_t next = 0;
    for (size_t i = 0; i < r.count; i++) {
        uint32_t root = ns_union_root(r.parent, (uint32_t)i);
        id[i] = root == i ? ++next : id[root];
    }
    for (int y = 0; y < h; y++) {
        uint32_t *l = labels + (size_t)y * w;
        int x = 0;
        for (size_t i = r.row_start[y]; i < r.row_start[y + 1]; i++) {
            int x0 = r.span[i].x0, x1 = r.span[i].x1;
            memset(l + x, 0, (size_t)(x0 - x) * sizeof *l); /* the gap before the run */
            const uint32_t v = id[i];
            for (int k = x0; k <= x1; k++) l[k] = v;
            x = x1 + 1;
        }
        memset(l + x, 0, (size_t)(w - x) * sizeof *l);
    }
    free(id);
    ns_mask_runs_free(&r);
    *count = next;
    return NS_OK;
}
