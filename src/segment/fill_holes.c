/* fill_holes.c — background enclosed by foreground becomes foreground
 * (nuclei with dim nucleoli or chromatin gaps stay whole).
 *
 * The background's runs are joined into 4-connected regions (mask_runs.h); a
 * region with a run on the image border is the outside, every other one is a hole
 * and is painted foreground. The work is per run, and only hole pixels are
 * written: no pass that touches every background pixel, as a flood fill from the
 * border would. */
#include <stdlib.h>
#include "nucseg/imgproc.h"
#include "segment/mask_runs.h"

ns_status ns_fill_holes(uint8_t *mask, int w, int h, ns_error *err)
{
    ns_mask_runs r;
    ns_status st = ns_mask_runs_find(mask, w, h, 0, &r, "fill holes", err);
    if (st == NS_OK) st = ns_mask_runs_join(&r, h, 0, "fill holes", err);
    uint8_t *outside = st == NS_OK ? calloc(r.count ? r.count : 1, 1) : NULL;
    if (st == NS_OK && !outside)
        st = ns_error_set(err, NS_ERR_NOMEM, "fill holes: out of memory (%dx%d)", w, h);
    if (st != NS_OK) {
        ns_mask_runs_free(&r);
        return st;
    }
    for (int y = 0; y < h; y++)
        for (size_t i = r.row_start[y]; i < r.row_start[y + 1]; i++)
            if (y == 0 || y == h - 1 || r.span[i].x0 == 0 || r.span[i].x1 == w - 1)
                outside[ns_union_root(r.parent, (uint32_t)i)] = 1;
    for (int y = 0; y < h; y++)
        for (size_t i = r.row_start[y]; i < r.row_start[y + 1]; i++)
            if (!outside[ns_union_root(r.parent, (uint32_t)i)])
                memset(mask + (size_t)y * w + r.span[i].x0, 1, (size_t)(r.span[i].x1 - r.span[i].x0 + 1));
    free(outside);
    ns_mask_runs_free(&r);
    return NS_OK;
}
