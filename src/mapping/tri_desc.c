/* tri_desc.c — triangle descriptors invariant to scale and rotation, and a grid
 * over descriptor space for nearest-descriptor matching. */
#include <math.h>
#include <stdlib.h>

#include "mapping/mapping_internal.h"

/* Triangles flatter than this (twice the area over the longest side squared) give
 * unstable vertex orders and ill-conditioned affines. */
#define MIN_SHAPE 0.08

ns_status ns_tri_descriptors(const double *xy, const ns_triangulation *tri, ns_tri_desc **out,
                             size_t *count, ns_error *err)
{
    *count = 0;
    *out = malloc((tri->count ? tri->count : 1) * sizeof **out);
    if (!*out)
        return ns_error_set(err, NS_ERR_NOMEM, "triangle descriptors: out of memory for %zu triangles",
                            tri->count);
    for (size_t t = 0; t < tri->count; t++) {
        const int *v = tri->v + 3 * t;
        double len[3];
        for (int k = 0; k < 3; k++) { /* side k is opposite vertex k */
            int a = v[(k + 1) % 3], b = v[(k + 2) % 3];
            len[k] = hypot(xy[2 * a] - xy[2 * b], xy[2 * a + 1] - xy[2 * b + 1]);
        }
        int order[3] = {0, 1, 2};
        for (int i = 1; i < 3; i++) /* insertion sort of 3 by length */
            for (int j = i; j > 0 && len[order[j]] < len[order[j - 1]]; j--) {
                int tmp = order[j]; order[j] = order[j - 1]; order[j - 1] = tmp;
            }
        double s0 = len[order[0]], s1 = len[order[1]], s2 = len[order[2]];
        if (!(s2 > 0)) continue;
        const double *p0 = xy + 2 * v[0], *p1 = xy + 2 * v[1], *p2 = xy + 2 * v[2];
        double area2 = fabs((p1[0] - p0[0]) * (p2[1] - p0[1]) - (p1[1] - p0[1]) * (p2[0] - p0[0]));
        if (area2 / (s2 * s2) < MIN_SHAPE) continue;
        ns_tri_desc *d = *out + *count;
        d->r0 = (float)(s0 / s2);
        d->r1 = (float)(s1 / s2);
        d->longest = (float)s2;
        for (int k = 0; k < 3; k++) d->v[k] = v[order[k]];
        (*count)++;
    }
    return NS_OK;
}

void ns_desc_grid_free(ns_desc_grid *g)
{
    free(g->start);
    free(g->idx);
    g->start = g->idx = NULL;
    g->n = 0;
}

static int dcell(float v, double cell, int side)
{
    int c = (int)(v / cell);
    return c < 0 ? 0 : c >= side ? side - 1 : c;
}

ns_status ns_desc_grid_build(ns_desc_grid *g, const ns_tri_desc *d, size_t n, double radius, ns_error *err)
{
    g->d = d;
    g->n = n;
    g->start = g->idx = NULL;
    if (!(radius > 0) || radius > 1)
        return ns_error_set(err, NS_ERR_INVALID, "descriptor radius %g must be in (0, 1]", radius);
    g->cell = radius;
    g->side = (int)ceil(1.0 / radius);
    size_t cells = (size_t)g->side * g->side;
    g->start = calloc(cells + 1, sizeof *g->start);
    g->idx = malloc((n ? n : 1) * sizeof *g->idx);
    int *fill = malloc(cells * sizeof *fill);
    if (!g->start || !g->idx || !fill) {
        free(fill);
        ns_desc_grid_free(g);
        return ns_error_set(err, NS_ERR_NOMEM, "descriptor grid: out of memory for %zu descriptors", n);
    }
    for (size_t i = 0; i < n; i++)
        g->start[(size_t)dcell(d[i].r1, g->cell, g->side) * g->side + dcell(d[i].r0, g->cell, g->side) + 1]++;
    for (size_t c = 0; c < cells; c++) g->start[c + 1] += g->start[c];
    for (size_t c = 0; c < cells; c++) fill[c] = g->start[c];
    for (size_t i = 0; i < n; i++)
        g->idx[fill[(size_t)dcell(d[i].r1, g->cell, g->side) * g->side + dcell(d[i].r0, g->cell, g->side)]++] = (int)i;
    free(fill);
    return NS_OK;
}

int ns_desc_grid_knn(const ns_desc_grid *g, const ns_tri_desc *q, int k, int *out_idx, float *out_dist)
{
    int found = 0;
    float r = (float)g->cell;
    int cx = dcell(q->r0, g->cell, g->side), cy = dcell(q->r1, g->cell, g->side);
    for (int y = cy - 1; y <= cy + 1; y++) {
        if (y < 0 || y >= g->side) continue;
        for (int x = cx - 1; x <= cx + 1; x++) {
            if (x < 0 || x >= g->side) continue;
            size_t c = (size_t)y * g->side + x;
            for (int m = g->start[c]; m < g->start[c + 1]; m++) {
                int i = g->idx[m];
                float dist = hypotf(g->d[i].r0 - q->r0, g->d[i].r1 - q->r1);
                if (dist > r) continue;
                /* keep the k nearest, sorted; equal distances keep the lower index first */
                int pos = found < k ? found : k;
                while (pos > 0 && (out_dist[pos - 1] > dist || (out_dist[pos - 1] == dist && out_idx[pos - 1] > i)))
                    pos--;
                if (pos >= k) continue;
                int last = found < k ? found : k - 1;
                for (int j = last; j > pos; j--) { out_idx[j] = out_idx[j - 1]; out_dist[j] = out_dist[j - 1]; }
                out_idx[pos] = i;
                out_dist[pos] = dist;
                if (found < k) found++;
            }
        }
    }
    return found;
}
