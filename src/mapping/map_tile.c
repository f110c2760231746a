/* map_tile.c — map one 40X tile: RANSAC against each candidate 10X tile (nearest
 * stage position first when known), keep the best-scoring tile, refine there. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mapping/mapping_internal.h"
#include "util/clock.h"

void ns_map_options_default(ns_map_options *o)
{
    o->tolerance = 3.0;
    o->scale_min = 0.2;
    o->scale_max = 0.3;
    o->min_score = 0.3;
    o->robust = 1;
    o->seed = 1;
    o->max_hypotheses = 50000;
    o->early_stop_score = 0.8;
    o->neighbours = 8;
    o->descriptor_radius = 0.03;
    o->max_rounds = 30;
}

static ns_status check_options(const ns_map_options *o, ns_error *err)
{
    if (!(o->tolerance > 0))
        return ns_error_set(err, NS_ERR_INVALID, "tolerance %g must be positive", o->tolerance);
    if (!(o->scale_min > 0) || !(o->scale_max >= o->scale_min))
        return ns_error_set(err, NS_ERR_INVALID, "scale range %g..%g must be positive and ordered",
                            o->scale_min, o->scale_max);
    if (!(o->min_score >= 0 && o->min_score <= 1))
        return ns_error_set(err, NS_ERR_INVALID, "min score %g must be in [0, 1]", o->min_score);
    if (!(o->descriptor_radius > 0 && o->descriptor_radius <= 1))
        return ns_error_set(err, NS_ERR_INVALID, "descriptor radius %g must be in (0, 1]", o->descriptor_radius);
    return NS_OK;
}

void ns_map_index_free(ns_map_index *ix)
{
    if (!ix) return;
    ns_point_grid_free(&ix->points);
    ns_desc_grid_free(&ix->dgrid);
    free(ix->desc);
    free(ix);
}

ns_status ns_map_index_build(const ns_tile_points *tile, const ns_map_options *o, ns_map_index **out,
                             ns_error *err)
{
    *out = NULL;
    ns_status st = check_options(o, err);
    if (st != NS_OK) return st;
    ns_map_index *ix = calloc(1, sizeof *ix);
    if (!ix) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory for its index", tile->stem);
    ix->tile = tile;
    ix->border = ns_border_band(tile);
    st = ns_point_grid_build(&ix->points, tile->xy, tile->n, o->tolerance, err);
    if (st != NS_OK) { ns_error_prefix(err, "%s", tile->stem); free(ix); return st; }
    /* A 10X tile too sparse or degenerate to triangulate is no candidate, not an error. */
    ns_triangulation tri;
    ns_error local;
    if (ns_delaunay(tile->xy, tile->n, &tri, &local) == NS_OK) {
        st = ns_tri_descriptors(tile->xy, &tri, &ix->desc, &ix->ndesc, err);
        ns_triangulation_free(&tri);
        if (st == NS_OK) st = ns_desc_grid_build(&ix->dgrid, ix->desc, ix->ndesc, o->descriptor_radius, err);
        if (st != NS_OK) { ns_error_prefix(err, "%s", tile->stem); ns_map_index_free(ix); return st; }
        ix->usable = ix->ndesc > 0;
    }
    *out = ix;
    return NS_OK;
}

void ns_map_result_free(ns_map_result *r)
{
    if (!r) return;
    free(r->matches);
    r->matches = NULL;
    r->inliers = 0;
}

typedef struct { size_t i; double key; } cand_order;

static int by_key(const void *a, const void *b)
{
    const cand_order *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* With stage positions, only this many nearest 10X tiles are candidates: a field
 * overlaps at most four tiles of a grid, and its 3 x 3 neighbourhood covers them
 * whatever the stage units, so a well maps in time linear in its fields. */
#define MAX_STAGED_CANDIDATES 9

static void unmapped_result(ns_map_result *r)
{
    memset(r, 0, sizeof *r);
    r->tile_10x = -1;
    r->rmsd = r->rmsd_lbfgsb = r->rmsd_lm = NAN;
    r->chance_z = r->corner_se = NAN;
    r->optimizer = "";
    ns_affine_identity(&r->t);
}

/* Placement order: ok before uncertain before unmapped; then the larger share, then
 * the higher score. */
static int better(const ns_map_result *a, const ns_map_result *b)
{
    if (a->status != b->status) return a->status > b->status;
    if (a->share != b->share) return a->share > b->share;
    return a->score > b->score;
}

ns_status ns_map_tile_all(const ns_tile_points *t40, const ns_tile_points *cand, ns_map_index *const *ix,
                          size_t ncand, const ns_map_options *o, ns_map_result **out, size_t *count,
                          ns_error *err)
{
    double t0 = ns_clock_s();
    *out = NULL;
    *count = 0;
    ns_status st = check_options(o, err);
    if (st != NS_OK) return st;

    ns_triangulation tri;
    st = ns_delaunay(t40->xy, t40->n, &tri, err);
    if (st != NS_OK) { ns_error_prefix(err, "%s", t40->stem); return st; }
    ns_tri_desc *d40;
    size_t nd40;
    st = ns_tri_descriptors(t40->xy, &tri, &d40, &nd40, err);
    ns_triangulation_free(&tri);
    if (st != NS_OK) { ns_error_prefix(err, "%s", t40->stem); return st; }

    /* Candidates nearest by stage position first when every tile has one, and only
     * the nearest few; without positions all are tried. */
    cand_order *order = malloc((ncand ? ncand : 1) * sizeof *order);
    ns_map_result *res = calloc(2 * ncand + 1, sizeof *res); /* RANSAC's, then the fallback's */
    if (!order || !res) {
        free(d40); free(order); free(res);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", t40->stem);
    }
    int staged = t40->has_stage;
    for (size_t i = 0; i < ncand; i++) staged = staged && cand[i].has_stage;
    for (size_t i = 0; i < ncand; i++) {
        order[i].i = i;
        order[i].key = staged ? hypot(cand[i].stage_x - t40->stage_x, cand[i].stage_y - t40->stage_y) : 0;
    }
    qsort(order, ncand, sizeof *order, by_key);
    size_t ntry = staged && ncand > MAX_STAGED_CANDIDATES ? MAX_STAGED_CANDIDATES : ncand;

    double band40 = ns_border_band(t40);
    long hypotheses = 0;
    size_t nres = 0, nok = 0;
    /* Pass 0: triangle descriptors + RANSAC. Pass 1, only when nothing was verified:
     * the wide-triangle pair search (ns_pair_search_tile), slower, for sparse or
     * jittered 40X centroids. */
    for (int pass = 0; pass < 2 && nok == 0 && st == NS_OK; pass++)
        for (size_t k = 0; k < ntry && st == NS_OK; k++) {
            size_t c = order[k].i;
            ns_ransac_result rr;
            st = pass == 0 ? ns_ransac_tile(t40, d40, nd40, ix[c], o, &rr, err)
                           : ns_pair_search_tile(t40, ix[c], o, &rr, err);
            if (st != NS_OK) break;
            hypotheses += rr.hypotheses;
            if (!(rr.score > 0)) continue;
            ns_map_result *r = &res[nres++];
            unmapped_result(r);
            r->tile_10x = (long)c;
            r->t = rr.t;
            r->score = r->ransac_score = rr.score;
            if (rr.score < o->min_score) continue; /* stays unmapped */
            st = ns_map_refine(t40, band40, ix[c], &rr.t, o, r, err);
            if (st == NS_OK) ns_map_verify(t40, band40, ix[c], o, r);
            nok += r->status == NS_MAP_OK;
        }
    free(order);
    free(d40);
    if (st != NS_OK) {
        for (size_t i = 0; i < nres; i++) ns_map_result_free(&res[i]);
        free(res);
        return st;
    }
    /* Best first (insertion sort: a handful of candidates). */
    for (size_t i = 1; i < nres; i++)
        for (size_t j = i; j > 0 && better(&res[j], &res[j - 1]); j--) {
            ns_map_result tmp = res[j]; res[j] = res[j - 1]; res[j - 1] = tmp;
        }
    /* Every verified tile is kept; without one, the single best attempt. */
    size_t keep = 0;
    while (keep < nres && res[keep].status == NS_MAP_OK) keep++;
    if (keep == 0) keep = nres ? 1 : 0;
    for (size_t i = keep; i < nres; i++) ns_map_result_free(&res[i]);
    if (keep == 0) unmapped_result(&res[keep++]);
    res[0].primary = 1;
    res[0].hypotheses = hypotheses;
    double seconds = ns_clock_s() - t0;
    for (size_t i = 0; i < keep; i++) res[i].seconds = seconds;
    *out = res;
    *count = keep;
    return NS_OK;
}

ns_status ns_map_tile(const ns_tile_points *t40, const ns_tile_points *cand, ns_map_index *const *ix,
                      size_t ncand, const ns_map_options *o, ns_map_result *r, ns_error *err)
{
    unmapped_result(r);
    ns_map_result *all;
    size_t n;
    ns_status st = ns_map_tile_all(t40, cand, ix, ncand, o, &all, &n, err);
    if (st != NS_OK) return st;
    *r = all[0];
    for (size_t i = 1; i < n; i++) ns_map_result_free(&all[i]);
    free(all);
    return NS_OK;
}
