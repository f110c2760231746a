/* mask_runs.c — runs of a mask per row, and their union-find (see mask_runs.h). */
#include "segment/mask_runs.h"

#include <stdlib.h>

ns_status ns_mask_runs_find(const uint8_t *mask, int w, int h, int foreground, ns_mask_runs *out,
                            const char *what, ns_error *err)
{
    memset(out, 0, sizeof *out);
    /* Locals in the loop, stored back at the end: the compiler need not reload them
     * after every store through a pointer. */
    size_t cap = 1024, count = 0;
    ns_span *span = malloc(cap * sizeof *span);
    size_t *row_start = malloc(((size_t)h + 1) * sizeof *row_start);
    if (!span || !row_start) goto nomem;
    for (int y = 0; y < h; y++) {
        row_start[y] = count;
        const uint8_t *m = mask + (size_t)y * w;
        int x = 0;
        while (x < w) {
            /* Constant `want` arguments: each call inlines to its own word test. */
            int s = foreground ? ns_mask_next(m, x, w, 1) : ns_mask_next(m, x, w, 0); /* run start */
            if (s >= w) break;
            x = foreground ? ns_mask_next(m, s, w, 0) : ns_mask_next(m, s, w, 1);     /* past its end */
            if (count == cap) {
                ns_span *more = realloc(span, 2 * cap * sizeof *more);
                if (!more) goto nomem;
                span = more;
                cap *= 2;
            }
            span[count].x0 = s;
            span[count].x1 = x - 1;
            count++;
        }
    }
    row_start[h] = count;
    out->span = span;
    out->row_start = row_start;
    out->count = count;
    return NS_OK;
nomem:
    free(span);
    free(row_start);
    return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory (%dx%d)", what, w, h);
}

ns_status ns_mask_runs_join(ns_mask_runs *r, int h, int diagonal, const char *what, ns_error *err)
{
    free(r->parent);
    r->parent = malloc((r->count ? r->count : 1) * sizeof *r->parent);
    if (!r->parent) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory (%zu runs)", what, r->count);
    uint32_t *parent = r->parent;
    const ns_span *sp = r->span;
    for (size_t i = 0; i < r->count; i++) parent[i] = (uint32_t)i;
    /* Both rows' runs are sorted by x: one merge-like sweep per row pair. A run
     * reaches one further pixel each side when diagonals count. */
    const int reach = diagonal ? 1 : 0;
    for (int y = 1; y < h; y++) {
        size_t a = r->row_start[y - 1], ae = r->row_start[y];
        for (size_t b = r->row_start[y]; b < r->row_start[y + 1]; b++) {
            while (a < ae && sp[a].x1 < sp[b].x0 - reach) a++;
            for (size_t k = a; k < ae && sp[k].x0 <= sp[b].x1 + reach; k++) {
                uint32_t ra = ns_union_root(parent, (uint32_t)k), rb = ns_union_root(parent, (uint32_t)b);
                if (ra < rb) parent[rb] = ra;
                else if (rb < ra) parent[ra] = rb;
            }
        }
    }
    return NS_OK;
}

void ns_mask_runs_free(ns_mask_runs *r)
{
    free(r->span);
    free(r->row_start);
    free(r->parent);
    memset(r, 0, sizeof *r);
}
