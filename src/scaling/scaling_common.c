/* scaling_common.c — lookups over scaling-benchmark rows shared by the writers. */
#include <stdlib.h>

#include "scaling/scaling_internal.h"

const char *ns_scaling_mode_name(const ns_scaling_row *row)
{
    return row->sequential ? "sequential" : "pool";
}

const char *ns_scaling_sweep_name(ns_sweep s)
{
    return s == NS_SWEEP_SIZE ? "size" : "workers";
}

const ns_scaling_row *ns_scaling_sequential_row(const ns_scaling_result *r)
{
    for (size_t i = 0; i < r->count; i++)
        if (r->rows[i].sweep == NS_SWEEP_WORKERS && r->rows[i].sequential) return &r->rows[i];
    return NULL;
}

const ns_scaling_row *ns_scaling_pool_row(const ns_scaling_result *r, int workers)
{
    for (size_t i = 0; i < r->count; i++)
        if (r->rows[i].sweep == NS_SWEEP_WORKERS && !r->rows[i].sequential && r->rows[i].workers == workers &&
            r->rows[i].ranks <= 1)
            return &r->rows[i];
    return NULL;
}

const ns_scaling_row *ns_scaling_rank_row(const ns_scaling_result *r, int ranks, int workers)
{
    for (size_t i = 0; i < r->count; i++)
        if (r->rows[i].sweep == NS_SWEEP_WORKERS && !r->rows[i].sequential && r->rows[i].workers == workers &&
            r->rows[i].ranks == ranks)
            return &r->rows[i];
    return NULL;
}

static const ns_scaling_row *size_row(const ns_scaling_result *r, int sequential, int workers, int w, int h)
{
    /* size-sweep rows first: they are the ones measured for this comparison */
    for (int pass = 0; pass < 2; pass++) {
        ns_sweep sweep = pass == 0 ? NS_SWEEP_SIZE : NS_SWEEP_WORKERS;
        for (size_t i = 0; i < r->count; i++) {
            const ns_scaling_row *x = &r->rows[i];
            if (x->sweep == sweep && x->sequential == sequential && (sequential || x->workers == workers) &&
                x->ranks <= 1 && x->width == w && x->height == h)
                return x;
        }
    }
    return NULL;
}

static int cmp_points(const void *a, const void *b)
{
    const ns_size_point *x = a, *y = b;
    double px = (double)x->width * x->height, py = (double)y->width * y->height;
    return (px > py) - (px < py);
}

size_t ns_scaling_size_points(const ns_scaling_result *r, ns_size_point *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < r->count && n < cap; i++) {
        const ns_scaling_row *x = &r->rows[i];
        if (x->width <= 0 || x->height <= 0 || x->ranks > 1) continue;
        /* a size counts when it was part of the size sweep, or is the worker sweep's size
         * and there is a size sweep at all */
        int in_sweep = x->sweep == NS_SWEEP_SIZE;
        int any_sweep = 0;
        for (size_t j = 0; j < r->count; j++) any_sweep |= r->rows[j].sweep == NS_SWEEP_SIZE;
        if (!in_sweep && !any_sweep) continue;
        int seen = 0;
        for (size_t k = 0; k < n; k++) seen |= out[k].width == x->width && out[k].height == x->height;
        if (seen) continue;
        ns_size_point p = {.width = x->width, .height = x->height};
        p.megapixels_per_image = (double)x->width * x->height / 1e6;
        p.seq = size_row(r, 1, 1, x->width, x->height);
        p.pool = r->best_workers > 0 ? size_row(r, 0, r->best_workers, x->width, x->height) : NULL;
        out[n++] = p;
    }
    qsort(out, n, sizeof *out, cmp_points);
    return n;
}
