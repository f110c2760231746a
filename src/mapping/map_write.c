/* map_write.c — the mapping's files: mapping.csv (one row per 40X field x 10X tile
 * it maps to), matches.csv (one row per matched nucleus pair) and mapping_summary.json. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "nucseg/fsutil.h"
#include "nucseg/mapping.h"
#include "util/json_number.h"

/* Empty CSV field for "not a number" so readers do not have to parse "nan". */
static void put_num(FILE *f, const char *fmt, double v)
{
    if (isfinite(v)) fprintf(f, fmt, v);
}

static void write_mapping_row(FILE *f, const ns_map_report *rep, const ns_map_row *row, const ns_tile_points *t10,
                              const ns_map_result *r, const ns_map_eval *ev);

static ns_status write_mapping_csv(const char *path, const ns_map_report *rep, ns_error *err)
{
    ns_atomic_file af;
    ns_status st = ns_atomic_open(&af, path, err);
    if (st != NS_OK) return st;
    FILE *f = af.fp;
    fputs("tile_40x,tile_10x,well,a,b,tx,c,d,ty,rmsd,inliers,score,status", f);
    if (rep->with_truth) fputs(",true_tile_10x,corner_error_px", f);
    fputs(",share,primary,reason\n", f);
    for (size_t i = 0; i < rep->count; i++) {
        const ns_map_row *row = &rep->rows[i];
        for (size_t k = 0; k <= row->n_extra; k++)
            write_mapping_row(f, rep, row, k ? row->extra[k - 1].tile_10x : row->tile_10x,
                              k ? &row->extra[k - 1].result : &row->result, k ? &row->extra[k - 1].eval : &row->eval);
    }
    return ns_atomic_close(&af, err);
}

/* Reasons are written in a CSV field: no commas or quotes in them. */
static void put_reason(FILE *f, const char *s)
{
    for (; s && *s; s++) fputc(*s == ',' || *s == '"' ? ';' : *s, f);
}

static void write_mapping_row(FILE *f, const ns_map_report *rep, const ns_map_row *row, const ns_tile_points *t10,
                              const ns_map_result *r, const ns_map_eval *ev)
{
    {
        int has_t = t10 != NULL;
        fprintf(f, "%s,%s,%s", row->tile_40x->stem, has_t ? t10->stem : "", row->tile_40x->well);
        const double p[6] = {r->t.a, r->t.b, r->t.tx, r->t.c, r->t.d, r->t.ty};
        for (int k = 0; k < 6; k++) {
            fputc(',', f);
            if (has_t) put_num(f, "%.12g", p[k]);
        }
        fputc(',', f);
        if (has_t) put_num(f, "%.6f", r->rmsd);
        fprintf(f, ",%zu,%.6f,%s", r->inliers, r->score, ns_map_status_name(r->status));
        if (rep->with_truth) {
            fprintf(f, ",%s,", ev->has_truth ? ev->true_tile_10x : "");
            put_num(f, "%.6f", ev->corner_error_px);
        }
        fprintf(f, ",%.4f,%d,", has_t ? r->share : 0.0, r->primary);
        put_reason(f, row->status != NS_OK ? row->error : r->reason);
        fputc('\n', f);
    }
}

static ns_status write_matches_csv(const char *path, const ns_map_report *rep, ns_error *err)
{
    ns_atomic_file af;
    ns_status st = ns_atomic_open(&af, path, err);
    if (st != NS_OK) return st;
    FILE *f = af.fp;
    fputs("tile_40x,tile_10x,well,label_40x,label_10x,x_40x,y_40x,x_10x,y_10x,distance\n", f);
    for (size_t i = 0; i < rep->count; i++) {
        const ns_map_row *row = &rep->rows[i];
        for (size_t k = 0; k <= row->n_extra; k++) {
            const ns_map_result *r = k ? &row->extra[k - 1].result : &row->result;
            const ns_tile_points *t10 = k ? row->extra[k - 1].tile_10x : row->tile_10x;
            if (!r->mapped) continue; /* matches of a placement that is not ok mean nothing */
            for (size_t m = 0; m < r->inliers; m++) {
                const ns_point_match *p = &r->matches[m];
                fprintf(f, "%s,%s,%s,%d,%d,%.4f,%.4f,%.4f,%.4f,%.4f\n", row->tile_40x->stem, t10->stem,
                        row->tile_40x->well, p->label_40x, p->label_10x, p->x_40x, p->y_40x, p->x_10x, p->y_10x,
                        p->distance);
            }
        }
    }
    return ns_atomic_close(&af, err);
}

static ns_status write_summary(const char *path, const ns_map_report *rep, const ns_map_options *o, ns_error *err)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
    cJSON_AddNumberToObject(root, "tiles", (double)rep->count);
    cJSON_AddNumberToObject(root, "mapped", (double)rep->mapped);
    cJSON_AddNumberToObject(root, "unmapped", (double)(rep->count - rep->mapped));
    cJSON_AddNumberToObject(root, "tiles_10x", (double)rep->tiles_10x.count);
    ns_json_add_number(root, "median_rmsd", rep->median_rmsd);
    cJSON_AddNumberToObject(root, "seconds", rep->seconds);
    cJSON *opt = cJSON_AddObjectToObject(root, "options");
    if (opt) {
        cJSON_AddNumberToObject(opt, "tolerance", o->tolerance);
        cJSON_AddNumberToObject(opt, "scale_min", o->scale_min);
        cJSON_AddNumberToObject(opt, "scale_max", o->scale_max);
        cJSON_AddNumberToObject(opt, "min_score", o->min_score);
        cJSON_AddStringToObject(opt, "robust", o->robust ? "huber" : "none");
        cJSON_AddNumberToObject(opt, "seed", (double)o->seed);
    }
    if (rep->with_truth) {
        cJSON *t = cJSON_AddObjectToObject(root, "truth");
        if (t) {
            cJSON_AddNumberToObject(t, "tiles_with_truth", (double)rep->tiles_with_truth);
            cJSON_AddNumberToObject(t, "tiles_correct", (double)rep->tiles_correct);
            ns_json_add_number(t, "max_corner_error_px", rep->tiles_with_truth ? rep->max_corner_error_px : NAN);
            cJSON_AddNumberToObject(t, "matches", (double)rep->matches);
            cJSON_AddNumberToObject(t, "correct_matches", (double)rep->correct_matches);
            cJSON_AddNumberToObject(t, "truth_pairs", (double)rep->truth_pairs);
            cJSON_AddNumberToObject(t, "recovered_pairs", (double)rep->recovered_pairs);
            ns_json_add_number(t, "match_precision", rep->matches ? (double)rep->correct_matches / rep->matches : NAN);
            ns_json_add_number(t, "match_recall", rep->truth_pairs ? (double)rep->recovered_pairs / rep->truth_pairs : NAN);
        }
    }
    /* Tiles whose files could not be read, both magnifications (a 10X one has no row). */
    cJSON *bad = cJSON_AddArrayToObject(root, "unreadable");
    const ns_tile_set *sets[2] = {&rep->tiles_10x, &rep->tiles_40x};
    for (int k = 0; bad && k < 2; k++)
        for (size_t i = 0; i < sets[k]->count; i++) {
            const ns_tile_points *t = &sets[k]->tiles[i];
            if (t->status == NS_OK) continue;
            cJSON *e = cJSON_CreateObject();
            if (!e) break;
            cJSON_AddStringToObject(e, "tile", t->stem);
            cJSON_AddStringToObject(e, "well", t->well);
            cJSON_AddStringToObject(e, "magnification", t->magnification == 10 ? "10X" : "40X");
            cJSON_AddStringToObject(e, "error", t->error);
            cJSON_AddItemToArray(bad, e);
        }
    cJSON *tiles = cJSON_AddArrayToObject(root, "per_tile");
    for (size_t i = 0; tiles && i < rep->count; i++) {
        const ns_map_row *row = &rep->rows[i];
        cJSON *e = cJSON_CreateObject();
        if (!e) break;
        cJSON_AddStringToObject(e, "tile_40x", row->tile_40x->stem);
        if (row->tile_10x) cJSON_AddStringToObject(e, "tile_10x", row->tile_10x->stem);
        else cJSON_AddNullToObject(e, "tile_10x");
        cJSON_AddStringToObject(e, "status", ns_map_status_name(row->result.status));
        if (row->status != NS_OK) cJSON_AddStringToObject(e, "error", row->error);
        if (row->result.reason[0]) cJSON_AddStringToObject(e, "reason", row->result.reason);
        ns_json_add_number(e, "expected", row->result.expected);
        ns_json_add_number(e, "share", row->result.share);
        ns_json_add_number(e, "tolerance_used", row->result.tolerance_used);
        ns_json_add_number(e, "chance_z", row->result.chance_z);
        ns_json_add_number(e, "corner_se", row->result.corner_se);
        cJSON_AddNumberToObject(e, "rounds", row->result.rounds);
        cJSON_AddBoolToObject(e, "converged", row->result.converged);
        cJSON_AddNumberToObject(e, "border_excluded", (double)row->result.border_excluded);
        cJSON *more = row->n_extra ? cJSON_AddArrayToObject(e, "further_tiles") : NULL;
        for (size_t k = 0; more && k < row->n_extra; k++) {
            cJSON *x = cJSON_CreateObject();
            if (!x) break;
            cJSON_AddStringToObject(x, "tile_10x", row->extra[k].tile_10x->stem);
            ns_json_add_number(x, "share", row->extra[k].result.share);
            ns_json_add_number(x, "score", row->extra[k].result.score);
            ns_json_add_number(x, "rmsd", row->extra[k].result.rmsd);
            cJSON_AddItemToArray(more, x);
        }
        ns_json_add_number(e, "score", row->result.score);
        ns_json_add_number(e, "ransac_score", row->result.ransac_score);
        ns_json_add_number(e, "rmsd", row->result.rmsd);
        ns_json_add_number(e, "rmsd_lbfgsb", row->result.rmsd_lbfgsb);
        ns_json_add_number(e, "rmsd_lm", row->result.rmsd_lm);
        cJSON_AddStringToObject(e, "optimizer", row->result.optimizer ? row->result.optimizer : "");
        cJSON_AddNumberToObject(e, "hypotheses", (double)row->result.hypotheses);
        cJSON_AddNumberToObject(e, "seconds", row->result.seconds);
        cJSON_AddItemToArray(tiles, e);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
    size_t len = strlen(text);
    text[len] = '\n'; /* cJSON_Print leaves no trailing newline; overwrite the NUL, length-counted write */
    ns_status st = ns_write_file_atomic(path, text, len + 1, err);
    free(text);
    return st;
}

ns_status ns_map_write(const char *map_dir, const ns_map_report *rep, const ns_map_options *o, ns_error *err)
{
    ns_status st = ns_mkdirs(map_dir, err);
    char *p1 = ns_path_join(map_dir, "mapping.csv"), *p2 = ns_path_join(map_dir, "matches.csv");
    char *p3 = ns_path_join(map_dir, "mapping_summary.json");
    if (st == NS_OK && (!p1 || !p2 || !p3)) st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", map_dir);
    if (st == NS_OK) st = write_mapping_csv(p1, rep, err);
    if (st == NS_OK) st = write_matches_csv(p2, rep, err);
    if (st == NS_OK) st = write_summary(p3, rep, o, err);
    free(p1);
    free(p2);
    free(p3);
    return st;
}
