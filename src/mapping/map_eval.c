/* map_eval.c — score one 40X tile's mapping against the synthetic ground truth:
 * right 10X tile, corner error of the transform, precision/recall of the matches. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapping/mapping_internal.h"

/* For each detected centroid, the nucleus_id of the nearest truth nucleus when it
 * lies within half that nucleus's diameter, else -1. *ids is malloc'd. */
static ns_status assign_ids(ns_truth *truth, const ns_tile_points *tile, int **ids, ns_error *err)
{
    *ids = malloc((tile->n ? tile->n : 1) * sizeof **ids);
    if (!*ids) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", tile->stem);
    for (size_t i = 0; i < tile->n; i++) (*ids)[i] = -1;
    ns_truth_tile *tt = (ns_truth_tile *)ns_truth_find_tile(truth, tile->stem);
    if (!tt) return NS_OK; /* no truth for this tile: nothing can be confirmed */
    ns_status st = ns_truth_tile_nuclei(truth, tt, err);
    if (st != NS_OK || tt->n_nuclei == 0) return st;
    double *xy = malloc(2 * tt->n_nuclei * sizeof *xy);
    if (!xy) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", tile->stem);
    double rmax = 0;
    for (size_t k = 0; k < tt->n_nuclei; k++) {
        xy[2 * k] = tt->nuclei[k].x;
        xy[2 * k + 1] = tt->nuclei[k].y;
        double r = 0.5 * 2 * sqrt(fmax(tt->nuclei[k].area, 0) / M_PI);
        if (r > rmax) rmax = r;
    }
    ns_point_grid g;
    st = ns_point_grid_build(&g, xy, tt->n_nuclei, rmax > 0 ? rmax : 1, err);
    if (st == NS_OK) {
        for (size_t i = 0; i < tile->n; i++) {
            double d2;
            long k = ns_point_grid_nearest(&g, tile->xy[2 * i], tile->xy[2 * i + 1], rmax, &d2);
            if (k < 0) continue;
            double r = sqrt(fmax(tt->nuclei[k].area, 0) / M_PI); /* half the equivalent diameter */
            if (d2 <= r * r) (*ids)[i] = tt->nuclei[k].nucleus_id;
        }
        ns_point_grid_free(&g);
    }
    free(xy);
    return st;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Distinct non-negative ids common to both arrays (arrays are sorted in place);
 * stored in ascending order in out when it is not NULL (room for min(na, nb)). */
static size_t common_ids(int *a, size_t na, int *b, size_t nb, int *out)
{
    qsort(a, na, sizeof *a, cmp_int);
    qsort(b, nb, sizeof *b, cmp_int);
    size_t i = 0, j = 0, n = 0;
    int last = -1;
    while (i < na && j < nb) {
        if (a[i] < 0) { i++; continue; }
        if (b[j] < 0) { j++; continue; }
        if (a[i] < b[j]) i++;
        else if (a[i] > b[j]) j++;
        else {
            if (a[i] != last) {
                if (out) out[n] = a[i];
                n++;
                last = a[i];
            }
            i++;
            j++;
        }
    }
    return n;
}

/* Tile px → well coordinates through the truth's to_well; 0 if unknown. */
static int to_well(const ns_truth *truth, const char *stem, double x, double y, double *X, double *Y)
{
    const ns_truth_tile *tt = ns_truth_find_tile(truth, stem);
    if (!tt || !tt->has_to_well) return 0;
    ns_affine_apply(&tt->to_well, x, y, X, Y);
    return 1;
}

ns_status ns_map_evaluate(ns_truth *truth, const ns_tile_points *t40, const ns_tile_points *pred10,
                          const ns_tile_points *true10, const ns_map_result *r, ns_map_eval *out,
                          ns_error *err)
{
    memset(out, 0, sizeof *out);
    out->corner_error_px = NAN;
    const ns_truth_pair *pair = ns_truth_find_pair(truth, t40->stem);
    if (!pair) return NS_OK;
    out->has_truth = 1;
    snprintf(out->true_tile_10x, sizeof out->true_tile_10x, "%s", pair->stem_10x);
    out->tile_correct = r->mapped && pred10 && !strcmp(pred10->stem, pair->stem_10x);

    if (r->mapped && pred10) {
        double cx[4] = {0, t40->width - 1, 0, t40->width - 1}, cy[4] = {0, 0, t40->height - 1, t40->height - 1};
        double worst = 0;
        for (int k = 0; k < 4; k++) {
            double px, py, tx, ty;
            ns_affine_apply(&r->t, cx[k], cy[k], &px, &py);
            ns_affine_apply(&pair->t, cx[k], cy[k], &tx, &ty);
            if (!out->tile_correct) { /* different tiles: compare in well coordinates */
                double wx, wy, vx, vy;
                if (!to_well(truth, pred10->stem, px, py, &wx, &wy) || !to_well(truth, pair->stem_10x, tx, ty, &vx, &vy)) {
                    worst = INFINITY;
                    break;
                }
                px = wx; py = wy; tx = vx; ty = vy;
            }
            worst = fmax(worst, hypot(px - tx, py - ty));
        }
        out->corner_error_px = worst;
    }

    int *id40 = NULL, *idp = NULL, *idt = NULL, *hit = NULL, *pairs = NULL;
    ns_status st = assign_ids(truth, t40, &id40, err);
    if (st == NS_OK && pred10 && r->inliers) st = assign_ids(truth, pred10, &idp, err);
    if (st == NS_OK && true10) st = assign_ids(truth, true10, &idt, err);
    /* Only matches the truth can judge count towards precision: both tiles' nuclei
     * must be listed, or a correct match would count as a wrong one. */
    int judged = r->mapped && pred10 && ns_truth_find_tile(truth, t40->stem) && ns_truth_find_tile(truth, pred10->stem);
    out->matches = judged ? r->inliers : 0;
    if (st == NS_OK) {
        hit = malloc((out->matches ? out->matches : 1) * sizeof *hit);
        pairs = malloc((t40->n ? t40->n : 1) * sizeof *pairs);
        if (!hit || !pairs) st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", t40->stem);
    }
    if (st == NS_OK) {
        for (size_t m = 0; m < out->matches; m++) {
            int a = id40[r->matches[m].label_40x - 1], b = idp[r->matches[m].label_10x - 1];
            if (a >= 0 && a == b) hit[out->correct_matches++] = a;
        }
        /* Recall counts only truth pairs (of the true 10X tile) that a correct match
         * recovers, each once: a match on a wrong tile or a repeated id cannot push it
         * over 1, as counting correct matches over truth_pairs did. */
        size_t np = true10 ? common_ids(id40, t40->n, idt, true10->n, pairs) : 0;
        out->truth_pairs = np;
        out->recovered_pairs = common_ids(hit, out->correct_matches, pairs, np, NULL);
    }
    free(id40);
    free(idp);
    free(idt);
    free(hit);
    free(pairs);
    return st;
}
