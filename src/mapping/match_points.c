/* match_points.c — the final-match step of the mapping on its own: mutual nearest
 * neighbours between T(40X points) and 10X points, for callers that hold a transform
 * (from ns_map_tile, ns_affine_fit or elsewhere) and two point arrays. */
#include <math.h>
#include "mapping/mapping_internal.h"

ns_status ns_match_points(const ns_affine *t, const ns_tile_points *tile_40x, const ns_tile_points *tile_10x,
                          double tolerance, ns_point_match **out, size_t *count, ns_error *err)
{
    *out = NULL;
    *count = 0;
    if (!(tolerance > 0))
        return ns_error_set(err, NS_ERR_INVALID, "match: tolerance must be > 0 px, not %g", tolerance);
    for (size_t i = 0; i < 2 * tile_40x->n; i++)
        if (!isfinite(tile_40x->xy[i]))
            return ns_error_set(err, NS_ERR_INVALID, "%s: point %zu is not finite", tile_40x->stem, i / 2);
    for (size_t i = 0; i < 2 * tile_10x->n; i++)
        if (!isfinite(tile_10x->xy[i]))
            return ns_error_set(err, NS_ERR_INVALID, "%s: point %zu is not finite", tile_10x->stem, i / 2);
    if (tile_40x->n == 0 || tile_10x->n == 0) return NS_OK;
    ns_point_grid g10;
    ns_status st = ns_point_grid_build(&g10, tile_10x->xy, tile_10x->n, tolerance, err);
    if (st != NS_OK) return st;
    st = ns_mutual_matches(t, tile_40x, tile_10x, &g10, tolerance, out, count, err);
    ns_point_grid_free(&g10);
    return st;
}
