/* label.c — connected components (8-connectivity) on runs.
 *
 * The foreground's runs are joined into 8-connected regions (mask_runs.h): nuclei
 * are a few runs per row, so the work is per run, not per pixel. Painting the
 * labels is a separate step: the banded split (split_bands.c) paints only the rows
 * it works on, into its crops, and never needs the image-sized label image. */
#include <stdlib.h>
#include <string.h>
#include "nucseg/imgproc.h"
#include "segment/component_runs.h"

ns_status ns_component_runs_find(const uint8_t *mask, int w, int h, ns_component_runs *out, ns_error *err)
{
    memset(out, 0, sizeof *out);
    ns_status st = ns_mask_runs_find(mask, w, h, 1, &out->runs, "label", err);
    if (st == NS_OK) st = ns_mask_runs_join(&out->runs, h, 1, "label", err);
    if (st == NS_OK && !(out->id = malloc((out->runs.count ? out->runs.count : 1) * sizeof *out->id)))
        st = ns_error_set(err, NS_ERR_NOMEM, "label: out of memory (%dx%d)", w, h);
    if (st != NS_OK) {
        ns_component_runs_free(out);
        return st;
    }
    /* Roots are the component's first run in raster order: number them in order. */
    uint32_t next = 0;
    for (size_t i = 0; i < out->runs.count; i++) {
        uint32_t root = ns_union_root(out->runs.parent, (uint32_t)i);
        out->id[i] = root == i ? ++next : out->id[root];
    }
    out->count = next;
    return NS_OK;
}

void ns_component_runs_paint(const ns_component_runs *c, int w, int h, uint32_t *labels)
{
    const ns_mask_runs *r = &c->runs;
    for (int y = 0; y < h; y++) {
        uint32_t *l = labels + (size_t)y * w;
        int x = 0;
        for (size_t i = r->row_start[y]; i < r->row_start[y + 1]; i++) {
            int x0 = r->span[i].x0, x1 = r->span[i].x1;
            memset(l + x, 0, (size_t)(x0 - x) * sizeof *l); /* the gap before the run */
            const uint32_t v = c->id[i];
            for (int k = x0; k <= x1; k++) l[k] = v;
            x = x1 + 1;
        }
        memset(l + x, 0, (size_t)(w - x) * sizeof *l);
    }
}

void ns_component_runs_free(ns_component_runs *c)
{
    ns_mask_runs_free(&c->runs);
    free(c->id);
    memset(c, 0, sizeof *c);
}

ns_status ns_label_components(const uint8_t *mask, int w, int h, uint32_t *labels, size_t *count,
                              ns_error *err)
{
    ns_component_runs c;
    ns_status st = ns_component_runs_find(mask, w, h, &c, err);
    if (st != NS_OK) return st;
    ns_component_runs_paint(&c, w, h, labels);
    *count = c.count;
    ns_component_runs_free(&c);
    return NS_OK;
}
