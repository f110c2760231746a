/* truth.c — the ground truth that `nucseg synth` writes (truth.json and the per-tile
 * nuclei CSVs), read for evaluating a mapping. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "nucseg/fsutil.h"
#include "nucseg/mapping.h"

void ns_truth_free(ns_truth *t)
{
    for (size_t i = 0; i < t->n_tiles; i++) {
        free(t->tiles[i].stem);
        free(t->tiles[i].well);
        free(t->tiles[i].nuclei_csv);
        free(t->tiles[i].nuclei);
    }
    for (size_t i = 0; i < t->n_pairs; i++) {
        free(t->pairs[i].stem_40x);
        free(t->pairs[i].stem_10x);
        free(t->pairs[i].well);
    }
    free(t->tiles);
    free(t->pairs);
    free(t->dir);
    memset(t, 0, sizeof *t);
}

static int affine_from_json(const cJSON *arr, ns_affine *t)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != 6) return 0;
    double v[6];
    for (int i = 0; i < 6; i++) {
        const cJSON *x = cJSON_GetArrayItem(arr, i);
        if (!cJSON_IsNumber(x)) return 0;
        v[i] = x->valuedouble;
    }
    *t = (ns_affine){v[0], v[1], v[2], v[3], v[4], v[5]};
    return 1;
}

static char *dup_string(const cJSON *obj, const char *key)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(s) ? strdup(s->valuestring) : NULL;
}

static ns_status parse(const char *path, const cJSON *root, ns_truth *t, ns_error *err)
{
    const cJSON *tiles = cJSON_GetObjectItemCaseSensitive(root, "tiles");
    const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(root, "pairs");
    if (!cJSON_IsArray(tiles) || !cJSON_IsArray(pairs))
        return ns_error_set(err, NS_ERR_FORMAT, "%s: needs arrays \"tiles\" and \"pairs\"", path);
    int nt = cJSON_GetArraySize(tiles), np = cJSON_GetArraySize(pairs);
    t->tiles = calloc(nt ? (size_t)nt : 1, sizeof *t->tiles);
    t->pairs = calloc(np ? (size_t)np : 1, sizeof *t->pairs);
    if (!t->tiles || !t->pairs) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
    for (int i = 0; i < nt; i++) {
        const cJSON *o = cJSON_GetArrayItem(tiles, i);
        ns_truth_tile *tt = &t->tiles[t->n_tiles++];
        tt->stem = dup_string(o, "stem");
        tt->well = dup_string(o, "well");
        tt->nuclei_csv = dup_string(o, "nuclei_csv");
        const cJSON *mag = cJSON_GetObjectItemCaseSensitive(o, "magnification");
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "width");
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "height");
        if (!tt->stem || !tt->well || !cJSON_IsNumber(w) || !cJSON_IsNumber(h))
            return ns_error_set(err, NS_ERR_FORMAT, "%s: tile %d lacks stem/well/width/height", path, i);
        tt->width = w->valueint;
        tt->height = h->valueint;
        tt->magnification = cJSON_IsString(mag) ? atoi(mag->valuestring) : cJSON_IsNumber(mag) ? mag->valueint : 0;
        tt->has_to_well = affine_from_json(cJSON_GetObjectItemCaseSensitive(o, "to_well"), &tt->to_well);
    }
    for (int i = 0; i < np; i++) {
        const cJSON *o = cJSON_GetArrayItem(pairs, i);
        ns_truth_pair *p = &t->pairs[t->n_pairs++];
        p->stem_40x = dup_string(o, "tile_40x");
        p->stem_10x = dup_string(o, "tile_10x");
        p->well = dup_string(o, "well");
        if (!p->stem_40x || !p->stem_10x || !p->well ||
            !affine_from_json(cJSON_GetObjectItemCaseSensitive(o, "affine_40x_to_10x"), &p->t))
            return ns_error_set(err, NS_ERR_FORMAT, "%s: pair %d lacks tile_40x/tile_10x/well/affine_40x_to_10x",
                                path, i);
    }
    return NS_OK;
}

ns_status ns_truth_load(const char *path, ns_truth *t, ns_error *err)
{
    memset(t, 0, sizeof *t);
    char *text;
    ns_status rs = ns_require_regular_file(path, err);
    if (rs == NS_OK) rs = ns_read_text_file(path, &text, NULL, err);
    if (rs != NS_OK) return rs;
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root) return ns_error_set(err, NS_ERR_FORMAT, "%s: not valid JSON", path);
    const char *slash = strrchr(path, '/');
    t->dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
    ns_status st = t->dir ? parse(path, root, t, err) : ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
    cJSON_Delete(root);
    if (st != NS_OK) ns_truth_free(t);
    return st;
}

const ns_truth_tile *ns_truth_find_tile(const ns_truth *t, const char *stem)
{
    for (size_t i = 0; i < t->n_tiles; i++)
        if (!strcmp(t->tiles[i].stem, stem)) return &t->tiles[i];
    return NULL;
}

const ns_truth_pair *ns_truth_find_pair(const ns_truth *t, const char *stem_40x)
{
    for (size_t i = 0; i < t->n_pairs; i++)
        if (!strcmp(t->pairs[i].stem_40x, stem_40x)) return &t->pairs[i];
    return NULL;
}

ns_status ns_truth_tile_nuclei(ns_truth *t, ns_truth_tile *tile, ns_error *err)
{
    if (tile->loaded) return NS_OK;
    if (!tile->nuclei_csv) return ns_error_set(err, NS_ERR_FORMAT, "truth tile %s has no nuclei_csv", tile->stem);
    char *path = tile->nuclei_csv[0] == '/' ? strdup(tile->nuclei_csv) : ns_path_join(t->dir, tile->nuclei_csv);
    if (!path) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", tile->nuclei_csv);
    ns_status regular = ns_require_regular_file(path, err);
    FILE *f = regular == NS_OK ? fopen(path, "r") : NULL;
    if (!f) {
        ns_status st = regular != NS_OK ? regular : ns_error_set(err, NS_ERR_IO, "%s: %s", path, strerror(errno));
        free(path);
        return st;
    }
    char line[1024];
    size_t cap = 0, lineno = 0;
    ns_status st = NS_OK;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (lineno == 1 && strncmp(line, "label", 5) == 0) continue; /* header */
        if (line[0] == '\n' || line[0] == '\0') continue;
        int label, id;
        double x, y, area;
        if (sscanf(line, "%d,%d,%lf,%lf,%lf", &label, &id, &x, &y, &area) != 5) {
            st = ns_error_set(err, NS_ERR_FORMAT, "%s:%zu: expected label,nucleus_id,centroid_x,centroid_y,area",
                              path, lineno);
            break;
        }
        if (tile->n_nuclei == cap) {
            cap = cap ? 2 * cap : 256;
            ns_truth_nucleus *bigger = realloc(tile->nuclei, cap * sizeof *bigger);
            if (!bigger) { st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path); break; }
            tile->nuclei = bigger;
        }
        tile->nuclei[tile->n_nuclei++] = (ns_truth_nucleus){id, x, y, area};
    }
    fclose(f);
    free(path);
    if (st == NS_OK) {
        tile->loaded = 1;
    } else { /* a retry must not append to a half-read list */
        free(tile->nuclei);
        tile->nuclei = NULL;
        tile->n_nuclei = 0;
    }
    return st;
}
