/* map_dataset.c — map every 40X tile of a segmentation folder against the 10X
 * tiles of its well (indices built once per 10X tile), evaluate against the truth. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mapping/mapping_internal.h"
#include "nucseg/fsutil.h"
#include "util/clock.h"

void ns_map_report_free(ns_map_report *r)
{
    for (size_t i = 0; i < r->count; i++) {
        ns_map_result_free(&r->rows[i].result);
        for (size_t k = 0; k < r->rows[i].n_extra; k++) ns_map_result_free(&r->rows[i].extra[k].result);
        free(r->rows[i].extra);
    }
    free(r->rows);
    ns_tile_set_free(&r->tiles_10x);
    ns_tile_set_free(&r->tiles_40x);
    memset(r, 0, sizeof *r);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const ns_tile_points *find_tile(const ns_tile_set *s, const char *stem)
{
    for (size_t i = 0; i < s->count; i++)
        if (!strcmp(s->tiles[i].stem, stem)) return &s->tiles[i];
    return NULL;
}

/* The row of a 40X tile whose files could not be read: unmapped, with the reason. */
static void unreadable_row(ns_map_row *row)
{
    ns_map_result *r = &row->result;
    memset(r, 0, sizeof *r);
    r->tile_10x = -1;
    r->rmsd = r->rmsd_lbfgsb = r->rmsd_lm = NAN;
    r->optimizer = "";
    ns_affine_identity(&r->t);
    row->status = row->tile_40x->status;
    snprintf(row->error, sizeof row->error, "%s", row->tile_40x->error);
}

/* Tiles of s that ns_tile_set_load could not read. */
static size_t count_unreadable(const ns_tile_set *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->count; i++) n += s->tiles[i].status != NS_OK;
    return n;
}

/* Candidates for a 40X tile: the 10X tiles of its well, as contiguous copies of
 * pointers (tile structs are copied shallowly; they stay owned by the set). */
static ns_status map_all(ns_map_report *rep, ns_map_index **ix, const ns_map_options *o, ns_error *err)
{
    const ns_tile_set *s10 = &rep->tiles_10x;
    ns_tile_points *cand = malloc((s10->count ? s10->count : 1) * sizeof *cand);
    ns_map_index **cix = malloc((s10->count ? s10->count : 1) * sizeof *cix);
    size_t *cpos = malloc((s10->count ? s10->count : 1) * sizeof *cpos);
    if (!cand || !cix || !cpos) {
        free(cand); free(cix); free(cpos);
        return ns_error_set(err, NS_ERR_NOMEM, "mapping: out of memory for candidates");
    }
    for (size_t r = 0; r < rep->count; r++) {
        ns_map_row *row = &rep->rows[r];
        const ns_tile_points *t40 = row->tile_40x;
        if (t40->status != NS_OK) { /* its files could not be read: a failed row, the rest go on */
            unreadable_row(row);
            continue;
        }
        size_t nc = 0;
        for (size_t i = 0; i < s10->count; i++)
            if (s10->tiles[i].status == NS_OK && !strcmp(s10->tiles[i].well, t40->well)) {
                cand[nc] = s10->tiles[i];
                cix[nc] = ix[i];
                cpos[nc] = i;
                nc++;
            }
        ns_error tile_err = {0};
        ns_map_result *all = NULL;
        size_t nall = 0;
        row->status = ns_map_tile_all(t40, cand, cix, nc, o, &all, &nall, &tile_err);
        if (row->status == NS_OK) {
            row->result = all[0];
            /* A field straddling 10X tiles: one placement per further verified tile. */
            if (nall > 1 && !(row->extra = calloc(nall - 1, sizeof *row->extra))) {
                for (size_t k = 0; k < nall; k++) ns_map_result_free(&all[k]);
                free(all);
                free(cand); free(cix); free(cpos);
                return ns_error_set(err, NS_ERR_NOMEM, "mapping: out of memory for placements");
            }
            for (size_t k = 1; k < nall; k++) {
                ns_map_placement *pl = &row->extra[row->n_extra++];
                pl->result = all[k];
                pl->tile_10x = &s10->tiles[cpos[all[k].tile_10x]];
            }
            free(all);
        }
        if (row->status != NS_OK) {
            if (row->status == NS_ERR_NOMEM) {
                free(cand); free(cix); free(cpos);
                *err = tile_err;
                return NS_ERR_NOMEM;
            }
            snprintf(row->error, sizeof row->error, "%.*s", (int)sizeof row->error - 1, tile_err.message);
            row->result.mapped = 0;
            row->result.tile_10x = -1;
            continue;
        }
        if (row->result.tile_10x >= 0) row->tile_10x = &s10->tiles[cpos[row->result.tile_10x]];
    }
    free(cand); free(cix); free(cpos);
    return NS_OK;
}

static ns_status evaluate_all(ns_map_report *rep, const char *truth_path, ns_error *err)
{
    ns_truth truth;
    ns_status st = ns_truth_load(truth_path, &truth, err);
    if (st != NS_OK) return st;
    rep->with_truth = 1;
    rep->max_corner_error_px = 0;
    for (size_t r = 0; r < rep->count && st == NS_OK; r++) {
        ns_map_row *row = &rep->rows[r];
        const ns_truth_pair *pair = ns_truth_find_pair(&truth, row->tile_40x->stem);
        const ns_tile_points *true10 = pair ? find_tile(&rep->tiles_10x, pair->stem_10x) : NULL;
        st = ns_map_evaluate(&truth, row->tile_40x, row->tile_10x, true10, &row->result, &row->eval, err);
        for (size_t k = 0; st == NS_OK && k < row->n_extra; k++) {
            ns_map_placement *pl = &row->extra[k];
            st = ns_map_evaluate(&truth, row->tile_40x, pl->tile_10x, true10, &pl->result, &pl->eval, err);
            /* a further placement counts towards the worst corner like the primary one */
            if (st == NS_OK && pl->eval.has_truth && isfinite(pl->eval.corner_error_px))
                rep->max_corner_error_px = fmax(rep->max_corner_error_px, pl->eval.corner_error_px);
        }
        if (st != NS_OK || !row->eval.has_truth) continue;
        rep->tiles_with_truth++;
        rep->tiles_correct += (size_t)row->eval.tile_correct;
        double ce = isnan(row->eval.corner_error_px) ? INFINITY : row->eval.corner_error_px;
        rep->max_corner_error_px = fmax(rep->max_corner_error_px, ce);
        rep->matches += row->eval.matches;
        rep->correct_matches += row->eval.correct_matches;
        rep->truth_pairs += row->eval.truth_pairs;
        rep->recovered_pairs += row->eval.recovered_pairs;
    }
    ns_truth_free(&truth);
    return st;
}

ns_status ns_map_dataset(const char *seg_dir, const char *truth_path, const ns_map_options *o,
                         ns_map_report *rep, ns_error *err)
{
    double t0 = ns_clock_s();
    memset(rep, 0, sizeof *rep);
    rep->median_rmsd = NAN;
    if (!ns_is_dir(seg_dir)) return ns_error_set(err, NS_ERR_IO, "%s: not a folder", seg_dir);
    ns_status st = ns_tile_set_load(seg_dir, 10, &rep->tiles_10x, err);
    if (st == NS_OK) st = ns_tile_set_load(seg_dir, 40, &rep->tiles_40x, err);
    if (st == NS_OK && rep->tiles_40x.count == 0)
        st = ns_error_set(err, NS_ERR_EMPTY, "%s: no 40X centroids (40X/<well>/*_nuclei_centroids_local.npy)", seg_dir);
    /* Without 10X tiles every 40X tile would come out unmapped: nothing to map into. */
    if (st == NS_OK && rep->tiles_10x.count == 0)
        st = ns_error_set(err, NS_ERR_EMPTY, "%s: no 10X centroids (10X/<well>/*_nuclei_centroids_local.npy)", seg_dir);
    rep->unreadable_10x = count_unreadable(&rep->tiles_10x);
    rep->unreadable_40x = count_unreadable(&rep->tiles_40x);
    /* Some readable tiles on both sides are needed for anything to be mapped at all. */
    if (st == NS_OK && rep->unreadable_40x == rep->tiles_40x.count)
        st = ns_error_set(err, NS_ERR_FORMAT, "%s: none of the %zu 40X tiles is readable (first: %s)", seg_dir,
                          rep->tiles_40x.count, rep->tiles_40x.tiles[0].error);
    if (st == NS_OK && rep->unreadable_10x == rep->tiles_10x.count)
        st = ns_error_set(err, NS_ERR_FORMAT, "%s: none of the %zu 10X tiles is readable (first: %s)", seg_dir,
                          rep->tiles_10x.count, rep->tiles_10x.tiles[0].error);
    if (st != NS_OK) { ns_map_report_free(rep); return st; }

    size_t n10 = rep->tiles_10x.count;
    ns_map_index **ix = calloc(n10 ? n10 : 1, sizeof *ix);
    rep->rows = calloc(rep->tiles_40x.count, sizeof *rep->rows);
    if (!ix || !rep->rows) st = ns_error_set(err, NS_ERR_NOMEM, "mapping: out of memory");
    for (size_t i = 0; st == NS_OK && i < n10; i++)
        if (rep->tiles_10x.tiles[i].status == NS_OK) /* an unreadable tile is no candidate */
            st = ns_map_index_build(&rep->tiles_10x.tiles[i], o, &ix[i], err);
    if (st == NS_OK) {
        rep->count = rep->tiles_40x.count;
        for (size_t r = 0; r < rep->count; r++) rep->rows[r].tile_40x = &rep->tiles_40x.tiles[r];
        st = map_all(rep, ix, o, err);
    }
    for (size_t i = 0; ix && i < n10; i++) ns_map_index_free(ix[i]);
    free(ix);
    if (st == NS_OK && truth_path) st = evaluate_all(rep, truth_path, err);
    if (st != NS_OK) { ns_map_report_free(rep); return st; }

    double *rm = malloc(rep->count * sizeof *rm);
    if (!rm) { ns_map_report_free(rep); return ns_error_set(err, NS_ERR_NOMEM, "mapping: out of memory"); }
    size_t nm = 0;
    for (size_t r = 0; r < rep->count; r++)
        if (rep->rows[r].result.mapped) rm[nm++] = rep->rows[r].result.rmsd;
    rep->mapped = nm;
    if (nm) {
        qsort(rm, nm, sizeof *rm, cmp_double);
        rep->median_rmsd = nm % 2 ? rm[nm / 2] : 0.5 * (rm[nm / 2 - 1] + rm[nm / 2]);
    }
    free(rm);
    rep->seconds = ns_clock_s() - t0;
    return NS_OK;
}
