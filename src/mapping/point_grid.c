/* point_grid.c — uniform-grid hash of 2-D points for constant-time proximity queries
 * (RANSAC scoring, mutual nearest neighbours, truth lookups). */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "mapping/mapping_internal.h"

void ns_point_grid_free(ns_point_grid *g)
{
    free(g->start);
    free(g->idx);
    g->start = g->idx = NULL;
    g->n = 0;
}

static int cell_of(double v, double v0, double cell, int count)
{
    double c = floor((v - v0) / cell);
    if (c < 0) return 0;
    if (c >= count) return count - 1;
    return (int)c;
}

ns_status ns_point_grid_build(ns_point_grid *g, const double *xy, size_t n, double cell, ns_error *err)
{
    g->xy = xy;
    g->n = n;
    g->start = g->idx = NULL;
    if (!(cell > 0))
        return ns_error_set(err, NS_ERR_INVALID, "point grid: cell size %g must be positive", cell);
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    for (size_t i = 0; i < n; i++) {
        double x = xy[2 * i], y = xy[2 * i + 1];
        if (!isfinite(x) || !isfinite(y))
            return ns_error_set(err, NS_ERR_INVALID, "point grid: point %zu is not finite", i);
        if (i == 0 || x < x0) x0 = x;
        if (i == 0 || y < y0) y0 = y;
        if (i == 0 || x > x1) x1 = x;
        if (i == 0 || y > y1) y1 = y;
    }
    /* Cap the cell count: a few points spread far apart must not allocate a huge grid. */
    double limit = 4.0 * (double)(n + 16);
    while (((x1 - x0) / cell + 1) * ((y1 - y0) / cell + 1) > limit) cell *= 2;
    g->x0 = x0;
    g->y0 = y0;
    g->cell = cell;
    g->nx = (int)((x1 - x0) / cell) + 1;
    g->ny = (int)((y1 - y0) / cell) + 1;
    size_t cells = (size_t)g->nx * (size_t)g->ny;
    g->start = calloc(cells + 1, sizeof *g->start);
    g->idx = malloc((n ? n : 1) * sizeof *g->idx);
    if (!g->start || !g->idx) {
        ns_point_grid_free(g);
        return ns_error_set(err, NS_ERR_NOMEM, "point grid: out of memory for %zu points", n);
    }
    for (size_t i = 0; i < n; i++) {
        size_t c = (size_t)cell_of(xy[2 * i + 1], y0, cell, g->ny) * g->nx + cell_of(xy[2 * i], x0, cell, g->nx);
        g->start[c + 1]++;
    }
    for (size_t c = 0; c < cells; c++) g->start[c + 1] += g->start[c];
    int *fill = malloc((cells ? cells : 1) * sizeof *fill);
    if (!fill) {
        ns_point_grid_free(g);
        return ns_error_set(err, NS_ERR_NOMEM, "point grid: out of memory for %zu cells", cells);
    }
    for (size_t c = 0; c < cells; c++) fill[c] = g->start[c];
    for (size_t i = 0; i < n; i++) {
        size_t c = (size_t)cell_of(xy[2 * i + 1], y0, cell, g->ny) * g->nx + cell_of(xy[2 * i], x0, cell, g->nx);
        g->idx[fill[c]++] = (int)i;
    }
    free(fill);
    return NS_OK;
}

long ns_point_grid_nearest(const ns_point_grid *g, double x, double y, double r, double *d2)
{
    if (g->n == 0 || !isfinite(x) || !isfinite(y)) return -1;
    double lx = (x - r - g->x0) / g->cell, hx = (x + r - g->x0) / g->cell;
    double ly = (y - r - g->y0) / g->cell, hy = (y + r - g->y0) / g->cell;
    if (hx < 0 || hy < 0 || lx >= g->nx || ly >= g->ny) return -1;
    int cx0 = lx < 0 ? 0 : (int)lx, cy0 = ly < 0 ? 0 : (int)ly;
    int cx1 = hx >= g->nx ? g->nx - 1 : (int)hx, cy1 = hy >= g->ny ? g->ny - 1 : (int)hy;
    long best = -1;
    double bd = r * r;
    for (int cy = cy0; cy <= cy1; cy++)
        for (int cx = cx0; cx <= cx1; cx++) {
            size_t c = (size_t)cy * g->nx + cx;
            for (int k = g->start[c]; k < g->start[c + 1]; k++) {
                int i = g->idx[k];
                double dx = g->xy[2 * i] - x, dy = g->xy[2 * i + 1] - y, dd = dx * dx + dy * dy;
                /* ties go to the lower index so results do not depend on bucket order */
                if (dd < bd || (dd == bd && best >= 0 && i < best) || (dd == bd && best < 0)) {
                    bd = dd;
                    best = i;
                }
            }
        }
    if (best >= 0 && d2) *d2 = bd;
    return best;
}
