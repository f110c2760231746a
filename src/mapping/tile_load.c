/* tile_load.c — read the centroids and metadata that `nucseg segment` wrote:
 * SEG_DIR/<mag>X/<well>/<stem>_nuclei_centroids_local.npy + <stem>_metadata.json. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "nucseg/fsutil.h"
#include "nucseg/image.h"
#include "nucseg/mapping.h"
#include "nucseg/output_names.h"

#define CENTROIDS_SUFFIX NS_SUFFIX_CENTROIDS

/* *nuclei gets the metadata's "nuclei" count, or -1 when it has none. */
static ns_status read_metadata(const char *path, ns_tile_points *t, long *nuclei, ns_error *err)
{
    char *text;
    *nuclei = -1;
    ns_status st = ns_require_regular_file(path, err);
    if (st != NS_OK) return st;
    st = ns_read_text_file(path, &text, NULL, err);
    if (st != NS_OK) return st;
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root) return ns_error_set(err, NS_ERR_FORMAT, "%s: not valid JSON", path);
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "width");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(root, "height");
    const cJSON *well = cJSON_GetObjectItemCaseSensitive(root, "well");
    const cJSON *sx = cJSON_GetObjectItemCaseSensitive(root, "stage_x");
    const cJSON *sy = cJSON_GetObjectItemCaseSensitive(root, "stage_y");
    const cJSON *nn = cJSON_GetObjectItemCaseSensitive(root, "nuclei");
    if (nn && (!cJSON_IsNumber(nn) || nn->valuedouble < 0 || nn->valuedouble != (double)(long)nn->valuedouble)) {
        cJSON_Delete(root);
        return ns_error_set(err, NS_ERR_FORMAT, "%s: \"nuclei\" must be a non-negative integer", path);
    }
    if (nn) *nuclei = (long)nn->valuedouble;
    /* The segmentation's nuclear diameter tells the mapping how deep the band of nuclei
     * cut by the image border is; without it the mapping estimates it from the points. */
    const cJSON *par = cJSON_GetObjectItemCaseSensitive(root, "parameters");
    const cJSON *dia = cJSON_GetObjectItemCaseSensitive(par, "diameter_used");
    if (cJSON_IsNumber(dia) && dia->valuedouble > 0 && isfinite(dia->valuedouble)) t->diameter = dia->valuedouble;
    if (!cJSON_IsNumber(w) || !cJSON_IsNumber(h) || w->valuedouble < 1 || h->valuedouble < 1) {
        cJSON_Delete(root);
        return ns_error_set(err, NS_ERR_FORMAT, "%s: missing or invalid \"width\"/\"height\"", path);
    }
    t->width = (int)w->valuedouble;
    t->height = (int)h->valuedouble;
    if (cJSON_IsString(well) && well->valuestring[0]) {
        free(t->well);
        t->well = strdup(well->valuestring);
    }
    if (cJSON_IsNumber(sx) && cJSON_IsNumber(sy)) {
        t->has_stage = 1;
        t->stage_x = sx->valuedouble;
        t->stage_y = sy->valuedouble;
    }
    cJSON_Delete(root);
    if (!t->well) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
    return NS_OK;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of dir matching keep() (NULL: sub-folders only). */
static ns_status list_dir(const char *dir, int want_dirs, char ***names, size_t *count, ns_error *err)
{
    *names = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d) return ns_error_set(err, NS_ERR_IO, "%s: %s", dir, strerror(errno));
    size_t cap = 0;
    struct dirent *e;
    ns_status st = NS_OK;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *full = ns_path_join(dir, e->d_name);
        if (!full) { st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", dir); break; }
        int is_dir = ns_is_dir(full);
        free(full);
        if (want_dirs != is_dir) continue;
        if (!want_dirs) {
            size_t len = strlen(e->d_name), sl = strlen(CENTROIDS_SUFFIX);
            if (len <= sl || strcmp(e->d_name + len - sl, CENTROIDS_SUFFIX)) continue;
        }
        if (*count == cap) {
            cap = cap ? 2 * cap : 16;
            char **bigger = realloc(*names, cap * sizeof *bigger);
            if (!bigger) { st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", dir); break; }
            *names = bigger;
        }
        if (!((*names)[*count] = strdup(e->d_name))) {
            st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", dir);
            break;
        }
        (*count)++;
    }
    closedir(d);
    if (st == NS_OK && *count) qsort(*names, *count, sizeof **names, by_name);
    return st;
}

static void free_names(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++) free(names[i]);
    free(names);
}

static ns_status load_tile(const char *well_dir, const char *file, const char *well, int mag,
                           ns_tile_points *t, ns_error *err)
{
    memset(t, 0, sizeof *t);
    t->magnification = mag;
    size_t stem_len = strlen(file) - strlen(CENTROIDS_SUFFIX);
    t->stem = strndup(file, stem_len);
    t->well = strdup(well);
    char meta_name[4096];
    if (!t->stem || !t->well) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", file);
    snprintf(meta_name, sizeof meta_name, "%s" NS_SUFFIX_METADATA, t->stem);
    char *npy = ns_path_join(well_dir, file), *meta = ns_path_join(well_dir, meta_name);
    ns_status st = (!npy || !meta) ? ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", file) : NS_OK;
    long nuclei = -1;
    if (st == NS_OK) st = read_metadata(meta, t, &nuclei, err);
    size_t rows = 0, cols = 0;
    double *data = NULL;
    if (st == NS_OK) st = ns_require_regular_file(npy, err);
    if (st == NS_OK) st = ns_npy_read_f64(npy, &data, &rows, &cols, err);
    if (st == NS_OK && rows > 0 && cols != 2)
        st = ns_error_set(err, NS_ERR_FORMAT, "%s: %zu columns, expected 2 (x, y)", npy, cols);
    /* Row i is label i + 1: a count that disagrees with the segmentation's means the
     * files are out of step (one rewritten without the other), so every label could be wrong. */
    if (st == NS_OK && nuclei >= 0 && (size_t)nuclei != rows)
        st = ns_error_set(err, NS_ERR_FORMAT, "%s: %zu rows but %s says \"nuclei\": %ld; tile rejected", npy, rows,
                          meta_name, nuclei);
    /* NaN/Inf rejects the tile: dropping the point would renumber the labels after it
     * (row i is label i + 1), and Delaunay would only call such points collinear. */
    for (size_t i = 0; st == NS_OK && i < rows; i++)
        if (!isfinite(data[2 * i]) || !isfinite(data[2 * i + 1]))
            st = ns_error_set(err, NS_ERR_FORMAT, "%s: non-finite coordinates (row %zu: %g, %g); tile rejected", npy,
                              i, data[2 * i], data[2 * i + 1]);
    if (st != NS_OK) {
        free(data);
        data = NULL;
    }
    if (st == NS_OK) {
        t->xy = data;
        t->n = rows;
    }
    free(npy);
    free(meta);
    return st;
}

ns_status ns_tile_set_load(const char *seg_dir, int mag, ns_tile_set *out, ns_error *err)
{
    out->tiles = NULL;
    out->count = 0;
    char mag_name[16];
    snprintf(mag_name, sizeof mag_name, "%dX", mag);
    char *mag_dir = ns_path_join(seg_dir, mag_name);
    if (!mag_dir) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", seg_dir);
    if (!ns_is_dir(mag_dir)) { free(mag_dir); return NS_OK; }
    char **wells;
    size_t nwells;
    ns_status st = list_dir(mag_dir, 1, &wells, &nwells, err);
    size_t cap = 0;
    for (size_t w = 0; st == NS_OK && w < nwells; w++) {
        char *well_dir = ns_path_join(mag_dir, wells[w]);
        char **files = NULL;
        size_t nfiles = 0;
        st = well_dir ? list_dir(well_dir, 0, &files, &nfiles, err)
                      : ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", mag_dir);
        for (size_t f = 0; st == NS_OK && f < nfiles; f++) {
            if (out->count == cap) {
                cap = cap ? 2 * cap : 16;
                ns_tile_points *bigger = realloc(out->tiles, cap * sizeof *bigger);
                if (!bigger) { st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", well_dir); break; }
                out->tiles = bigger;
            }
            ns_tile_points *t = &out->tiles[out->count];
            ns_error tile_err = {0};
            ns_status ts = load_tile(well_dir, files[f], wells[w], mag, t, &tile_err);
            out->count++; /* counted even on failure so ns_tile_set_free releases it */
            if (ts == NS_OK) continue;
            if (ts == NS_ERR_NOMEM) {
                st = ns_error_set(err, ts, "%s", tile_err.message);
                break;
            }
            /* A bad file fails its own tile only: the caller reports it and maps the rest. */
            free(t->xy);
            t->xy = NULL;
            t->n = 0;
            t->status = ts;
            if (!(t->error = strdup(tile_err.message)))
                st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", well_dir);
        }
        free_names(files, nfiles);
        free(well_dir);
    }
    free_names(wells, nwells);
    free(mag_dir);
    if (st != NS_OK) ns_tile_set_free(out);
    return st;
}
