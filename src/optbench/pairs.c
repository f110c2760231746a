/* pairs.c — the pairs to benchmark: mapped tile pairs from mapping.csv, their matched
 * nuclei from matches.csv, and the true transforms from truth.json. */
#include <stdlib.h>
#include <string.h>

#include "nucseg/csv_read.h"
#include "nucseg/mapping.h"
#include "nucseg/optbench.h"

void ns_optbench_pairs_free(ns_optbench_pairs *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free(l->items[i].tile_40x); free(l->items[i].tile_10x); free(l->items[i].well);
        free(l->items[i].src); free(l->items[i].dst);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

static ns_optbench_pair *pairs_find(ns_optbench_pairs *l, const char *t40, const char *t10)
{
    for (size_t i = 0; i < l->count; i++)
        if (!strcmp(l->items[i].tile_40x, t40) && !strcmp(l->items[i].tile_10x, t10))
            return &l->items[i];
    return NULL;
}

/* The next record, which must have every column of the header. */
static ns_status next_full_row(ns_csv_reader *r, ns_error *err)
{
    ns_status st = ns_csv_next(r, err);
    if (st == NS_OK && !r->eof && r->nfields < r->nheader)
        st = ns_error_set(err, NS_ERR_FORMAT, "%s:%ld: %d fields, header has %d", r->path, r->lineno,
                          r->nfields, r->nheader);
    return st;
}

/* n numbers from the columns idx[0..n) (named names[0..n)) of the current record. */
static ns_status numbers(const ns_csv_reader *r, const char *const *names, const int *idx, int n, double *v,
                         ns_error *err)
{
    for (int k = 0; k < n; k++)
        if (!ns_csv_double(r->fields[idx[k]], &v[k]))
            return ns_error_set(err, NS_ERR_FORMAT, "%s:%ld: column %s: '%s' is not a number", r->path,
                                r->lineno, names[k], r->fields[idx[k]]);
    return NS_OK;
}

static ns_status add_pair(ns_optbench_pairs *l, const char *t40, const char *t10, const char *well,
                          const double *v, const char *path, ns_error *err)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        ns_optbench_pair *p = realloc(l->items, cap * sizeof *p);
        if (!p) return ns_error_set(err, NS_ERR_NOMEM, "%s: rows", path);
        l->items = p;
        l->cap = cap;
    }
    ns_optbench_pair *p = &l->items[l->count];
    memset(p, 0, sizeof *p);
    p->tile_40x = strdup(t40);
    p->tile_10x = strdup(t10);
    p->well = strdup(well);
    l->count++;
    if (!p->tile_40x || !p->tile_10x || !p->well) return ns_error_set(err, NS_ERR_NOMEM, "%s: rows", path);
    p->mapped = (ns_affine){v[0], v[1], v[2], v[3], v[4], v[5]};
    return NS_OK;
}

static ns_status read_mapping(const char *path, ns_optbench_pairs *l, ns_error *err)
{
    static const char *const cols[] = {"tile_40x", "tile_10x", "well", "a", "b", "tx",
                                       "c", "d", "ty", "status"};
    int idx[10];
    ns_csv_reader r;
    ns_status st = ns_csv_open(&r, path, err);
    if (st != NS_OK) return st;
    if ((st = ns_csv_require(&r, cols, idx, 10, err)) != NS_OK) goto done;
    while ((st = next_full_row(&r, err)) == NS_OK && !r.eof) {
        if (strcmp(r.fields[idx[9]], "ok") != 0) continue; /* unmapped tiles: nothing to fit */
        double v[6];
        if ((st = numbers(&r, cols + 3, idx + 3, 6, v, err)) != NS_OK ||
            (st = add_pair(l, r.fields[idx[0]], r.fields[idx[1]], r.fields[idx[2]], v, path, err)) != NS_OK)
            break;
    }
done:
    ns_csv_close(&r);
    return st;
}

static ns_status add_match(ns_optbench_pair *p, const double *v, const char *path, ns_error *err)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 256;
        double *s = realloc(p->src, 2 * cap * sizeof *s);
        if (s) p->src = s;
        double *d = s ? realloc(p->dst, 2 * cap * sizeof *d) : NULL;
        if (d) p->dst = d;
        if (!s || !d) return ns_error_set(err, NS_ERR_NOMEM, "%s: matches", path);
        p->cap = cap;
    }
    p->src[2 * p->n] = v[0]; p->src[2 * p->n + 1] = v[1];
    p->dst[2 * p->n] = v[2]; p->dst[2 * p->n + 1] = v[3];
    p->n++;
    return NS_OK;
}

static ns_status read_matches(const char *path, ns_optbench_pairs *l, ns_error *err)
{
    static const char *const cols[] = {"tile_40x", "tile_10x", "x_40x", "y_40x", "x_10x", "y_10x"};
    int idx[6];
    ns_csv_reader r;
    ns_status st = ns_csv_open(&r, path, err);
    if (st != NS_OK) return st;
    if ((st = ns_csv_require(&r, cols, idx, 6, err)) != NS_OK) goto done;
    while ((st = next_full_row(&r, err)) == NS_OK && !r.eof) {
        ns_optbench_pair *p = pairs_find(l, r.fields[idx[0]], r.fields[idx[1]]);
        if (!p) continue; /* matches of a tile that is not mapped "ok" */
        double v[4];
        if ((st = numbers(&r, cols + 2, idx + 2, 4, v, err)) != NS_OK || (st = add_match(p, v, path, err)) != NS_OK)
            break;
    }
done:
    ns_csv_close(&r);
    return st;
}

static ns_status attach_truth(const char *truth_path, ns_optbench_pairs *l, ns_error *err)
{
    ns_truth truth;
    ns_status st = ns_truth_load(truth_path, &truth, err);
    if (st != NS_OK) return st;
    for (size_t i = 0; i < l->count; i++) {
        ns_optbench_pair *p = &l->items[i];
        const ns_truth_pair *tp = ns_truth_find_pair(&truth, p->tile_40x);
        const ns_truth_tile *tt = ns_truth_find_tile(&truth, p->tile_40x);
        /* Corner errors need the true 10X tile: a wrongly mapped tile has no true transform. */
        if (tp && tt && !strcmp(tp->stem_10x, p->tile_10x)) {
            p->has_truth = 1;
            p->truth = tp->t;
            p->width = tt->width;
            p->height = tt->height;
        }
    }
    ns_truth_free(&truth);
    return NS_OK;
}

ns_status ns_optbench_load(const char *mapping_csv, const char *matches_csv, const char *truth_json,
                           ns_optbench_pairs *out, ns_error *err)
{
    memset(out, 0, sizeof *out);
    ns_status st = read_mapping(mapping_csv, out, err);
    if (st == NS_OK) st = read_matches(matches_csv, out, err);
    if (st == NS_OK && truth_json) st = attach_truth(truth_json, out, err);
    return st;
}
