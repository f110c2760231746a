/* overlap.c — what a 40X field can be expected to match in a 10X tile: the nuclei of
 * the field that land inside the tile (a field straddling tiles is scored on its part
 * in each), thinned by the density ratio when the 40X tile has more points than the
 * 10X tile has over the same area, and the band of nuclei cut by each tile's border. */
#include <math.h>
#include <stdlib.h>

#include "mapping/mapping_internal.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median nearest-neighbour distance of the tile's points; 0 when it has < 2. */
static double median_nn_distance(const ns_tile_points *t)
{
    if (t->n < 2 || t->width < 1 || t->height < 1) return 0;
    /* A grid cell of about two mean spacings finds most nearest neighbours in one lookup. */
    double spacing = sqrt((double)t->width * t->height / (double)t->n);
    ns_point_grid g;
    ns_error err;
    if (ns_point_grid_build(&g, t->xy, t->n, 2 * spacing, &err) != NS_OK) return 0;
    double *d = malloc(t->n * sizeof *d);
    size_t nd = 0;
    for (size_t i = 0; d && i < t->n; i++) {
        /* nearest other point: look within growing radii, skipping the point itself */
        double best = INFINITY;
        int cx = (int)((t->xy[2 * i] - g.x0) / g.cell), cy = (int)((t->xy[2 * i + 1] - g.y0) / g.cell);
        for (int ring = 1; ring <= 3 && !isfinite(best); ring++)
            for (int y = cy - ring; y <= cy + ring; y++)
                for (int x = cx - ring; x <= cx + ring; x++) {
                    if (x < 0 || y < 0 || x >= g.nx || y >= g.ny) continue;
                    for (int k = g.start[y * g.nx + x]; k < g.start[y * g.nx + x + 1]; k++) {
                        size_t j = (size_t)g.idx[k];
                        if (j == i) continue;
                        double dd = hypot(t->xy[2 * j] - t->xy[2 * i], t->xy[2 * j + 1] - t->xy[2 * i + 1]);
                        if (dd < best) best = dd;
                    }
                }
        if (isfinite(best)) d[nd++] = best;
    }
    double med = 0;
    if (d && nd) {
        qsort(d, nd, sizeof *d, cmp_double);
        med = d[nd / 2];
    }
    free(d);
    ns_point_grid_free(&g);
    return med;
}

double ns_border_band(const ns_tile_points *t)
{
    if (t->diameter > 0) return 0.6 * t->diameter;
    return 0.6 * 0.5 * median_nn_distance(t);
}

double ns_density_ratio(const ns_affine *t, const ns_tile_points *t40, const ns_tile_points *t10)
{
    double a40 = (double)t40->width * t40->height, a10 = (double)t10->width * t10->height;
    if (t40->n == 0 || !(a40 > 0) || !(a10 > 0)) return 1;
    double det = fabs(t->a * t->d - t->b * t->c);
    double n10_over_field = (double)t10->n / a10 * det * a40; /* 10X nuclei over the field's area */
    return fmin(1, n10_over_field / (double)t40->n);
}

double ns_overlap_score(const ns_affine *t, const double *xy, size_t n, const ns_map_index *ix, double tol,
                        double ratio, double floor, size_t *hits_out)
{
    double w = ix->tile->width, h = ix->tile->height;
    size_t hits = 0, inside = 0;
    for (size_t i = 0; i < n; i++) {
        double X, Y;
        ns_affine_apply(t, xy[2 * i], xy[2 * i + 1], &X, &Y);
        if (!ns_inside_tile(X, Y, w, h, 0)) continue;
        inside++;
        if (ns_point_grid_nearest(&ix->points, X, Y, tol, NULL) >= 0) hits++;
    }
    if (hits_out) *hits_out = hits;
    double expected = fmax((double)inside * ratio, floor);
    return expected > 0 ? fmin(1, (double)hits / expected) : 0;
}
