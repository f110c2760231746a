/* plate.c — a whole synthetic plate in the lab layout, with exact ground truth.
 *
 *   OUT/genotyping/cycle_1/<Well>_Tile-<n>.tif   10X views (U16, deflate)
 *   OUT/phenotyping/<Well>_Site-<n>.tif          40X views
 *   OUT/truth/{10X,40X}/<stem>_labels.tif, <stem>_nuclei.csv
 *   OUT/truth.json                               every transform, tile and pair
 *   OUT/preview/<stem>.png, <stem>_overlay.png   for a human to look at
 *
 * Written over an earlier plate, the earlier views this plate lacks are removed
 * (plate_prune.c).
 *
 * Each well is one scene of nuclei in well coordinates (10X px); every view is
 * rendered from it through its own pixel -> well map, so nucleus ids and shapes
 * agree between the 10X tiles and the 40X sites. Each view draws from its own
 * random stream: the bytes depend only on the options and the seed. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "nucseg/fsutil.h"
#include "nucseg/synth.h"
#include "synth/synth_internal.h"
#include "util/clock.h"

#define PLATE_READ_NOISE 40.0

/* Random streams: one per (well, purpose, index). */
enum { STREAM_SCENE = 0, STREAM_LAYOUT = 1, STREAM_CAMERA_10X = 2, STREAM_CAMERA_40X = 3 };

static uint64_t stream_id(int well, int purpose, int index)
{
    return ((uint64_t)(well + 1) << 40) | ((uint64_t)purpose << 32) | (uint32_t)index;
}

void ns_synth_plate_options_default(ns_synth_plate_options *o)
{
    memset(o, 0, sizeof *o);
    o->wells = 2;
    o->tiles_10x = 4;
    o->sites_per_tile = 1;
    o->width_10x = o->height_10x = 1024;
    o->width_40x = o->height_40x = 2048;
    o->diameter_10x = 10.0;
    o->density = 0.15;
    o->seed = 1;
}

static ns_status check_plate_options(const ns_synth_plate_options *o, ns_error *err)
{
    if (o->wells < 1 || o->wells > 384)
        return ns_error_set(err, NS_ERR_INVALID, "synthetic plate: wells %d out of range [1, 384]", o->wells);
    if (o->tiles_10x < 1 || o->tiles_10x > 10000)
        return ns_error_set(err, NS_ERR_INVALID, "synthetic plate: 10X tiles %d out of range [1, 10000]", o->tiles_10x);
    if (o->sites_per_tile < 0 || o->sites_per_tile > 100)
        return ns_error_set(err, NS_ERR_INVALID, "synthetic plate: sites per tile %d out of range [0, 100]",
                            o->sites_per_tile);
    if (o->width_10x < 32 || o->height_10x < 32 || o->width_10x > 16384 || o->height_10x > 16384 ||
        o->width_40x < 32 || o->height_40x < 32 || o->width_40x > 16384 || o->height_40x > 16384)
        return ns_error_set(err, NS_ERR_INVALID, "synthetic plate: sizes %dx%d (10X), %dx%d (40X) out of range [32, 16384]",
                            o->width_10x, o->height_10x, o->width_40x, o->height_40x);
    if (!(o->diameter_10x >= 2.0) || o->diameter_10x > 200.0)
        return ns_error_set(err, NS_ERR_INVALID, "synthetic plate: 10X diameter %g out of range [2, 200]", o->diameter_10x);
    if (!(o->density > 0.0) || o->density > 0.9)
        return ns_error_set(err, NS_ERR_INVALID, "synthetic plate: density %g out of range (0, 0.9]", o->density);
    return NS_OK;
}

/* Scratch buffers for rendering one view, sized for the largest view. */
typedef struct {
    float *signal, *depth;
    uint32_t *owner;
} render_buffers;

typedef struct {
    const char *out_dir;
    const ns_synth_plate_options *o;
    cJSON *tiles, *pairs;
    render_buffers buf;
    ns_synth_plate_summary *sum;
} plate_ctx;

static cJSON *affine_json(const synth_affine *a)
{
    return cJSON_CreateDoubleArray(a->m, 6);
}

static char *out_path(const plate_ctx *c, const char *rel)
{
    return ns_path_join(c->out_dir, rel);
}

/* Render, image, write image + truth, and add the view to truth.json. */
static ns_status write_view(plate_ctx *c, const synth_scene *scene, const char *well, const char *stem,
                            int is_40x, const synth_affine *to_well, int w, int h, uint64_t camera_stream,
                            int preview, size_t *labels_out, ns_error *err)
{
    const char *mag = is_40x ? "40X" : "10X";
    synth_view_files f;
    synth_view_files_of(stem, is_40x, &f);
    ns_image img = {0};
    synth_truth truth = {0};
    char *path = NULL;
    synth_rng rng;
    synth_rng_seed(&rng, c->o->seed, camera_stream);
    synth_camera cam;
    synth_default_camera(&cam, PLATE_READ_NOISE, &rng);

    ns_status st = synth_render(scene, to_well, w, h, c->buf.signal, c->buf.owner, c->buf.depth, err);
    if (st == NS_OK) st = synth_form_image(c->buf.signal, w, h, &cam, &rng, &img, err);
    if (st == NS_OK) st = synth_truth_build(scene, c->buf.owner, w, h, &truth, err);
    for (int k = SYNTH_VIEW_IMAGE; k <= SYNTH_VIEW_CSV && st == NS_OK; k++) {
        free(path);
        path = out_path(c, f.rel[k]);
        if (!path) st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", stem);
        else if (k == SYNTH_VIEW_IMAGE) st = ns_tiff_write(path, &img, 1, err);
        else if (k == SYNTH_VIEW_LABELS) st = ns_tiff_write(path, &truth.labels, 1, err);
        else st = synth_truth_write_csv(path, &truth, err);
    }
    if (st == NS_OK && preview) {
        free(path);
        path = out_path(c, f.rel[SYNTH_VIEW_PREVIEW]);
        char *overlay = out_path(c, f.rel[SYNTH_VIEW_OVERLAY]);
        st = path && overlay ? synth_preview_write(path, overlay, &img, &truth.labels, err)
                             : ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", stem);
        free(overlay);
    }
    if (st == NS_OK) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "stem", stem);
        cJSON_AddStringToObject(t, "file", f.rel[SYNTH_VIEW_IMAGE]);
        cJSON_AddStringToObject(t, "well", well);
        cJSON_AddStringToObject(t, "magnification", mag);
        cJSON_AddNumberToObject(t, "width", w);
        cJSON_AddNumberToObject(t, "height", h);
        cJSON_AddNumberToObject(t, "nuclei", (double)truth.count);
        cJSON_AddItemToObject(t, "to_well", affine_json(to_well));
        cJSON_AddStringToObject(t, "labels", f.rel[SYNTH_VIEW_LABELS]);
        cJSON_AddStringToObject(t, "nuclei_csv", f.rel[SYNTH_VIEW_CSV]);
        cJSON_AddItemToArray(c->tiles, t);
        *labels_out = truth.count;
    }
    free(path);
    ns_image_free(&img);
    synth_truth_free(&truth);
    return st;
}

/* 40X px -> 10X tile px: (tile -> well)^-1 o (site -> well); 10X tiles are pure offsets. */
static void site_to_tile(const synth_affine *site, const synth_affine *tile, synth_affine *out)
{
    *out = *site;
    out->m[2] -= tile->m[2];
    out->m[5] -= tile->m[5];
}

static ns_status write_well(plate_ctx *c, int wi, ns_error *err)
{
    const ns_synth_plate_options *o = c->o;
    char well[32], stem[96];
    snprintf(well, sizeof well, "Well%d", wi + 1);
    synth_rng layout_rng, scene_rng;
    synth_rng_seed(&layout_rng, o->seed, stream_id(wi, STREAM_LAYOUT, 0));
    synth_rng_seed(&scene_rng, o->seed, stream_id(wi, STREAM_SCENE, 0));
    synth_plate_layout layout;
    ns_status st = synth_plate_layout_make(o, &layout_rng, &layout, err);
    if (st != NS_OK) return st;
    synth_scene_params sp;
    synth_default_scene_params(&sp, o->diameter_10x, o->density, 0.2, 0.1);
    synth_scene scene;
    st = synth_scene_generate(&scene, &sp, layout.x0, layout.y0, layout.x1, layout.y1, &scene_rng, err);
    if (st != NS_OK) {
        synth_plate_layout_free(&layout);
        return st;
    }
    c->sum->nuclei += scene.count;
    for (int t = 0; t < layout.tiles && st == NS_OK; t++) {
        size_t n = 0;
        snprintf(stem, sizeof stem, "%s_Tile-%d", well, t);
        st = write_view(c, &scene, well, stem, 0, &layout.tile_to_well[t], o->width_10x, o->height_10x,
                        stream_id(wi, STREAM_CAMERA_10X, t), wi == 0 && t == 0, &n, err);
        if (st != NS_OK) break;
        c->sum->tiles_10x++;
        c->sum->labels_10x += n;
    }
    for (int s = 0; s < layout.sites && st == NS_OK; s++) {
        size_t n = 0;
        snprintf(stem, sizeof stem, "%s_Site-%d", well, s);
        st = write_view(c, &scene, well, stem, 1, &layout.site_to_well[s], o->width_40x, o->height_40x,
                        stream_id(wi, STREAM_CAMERA_40X, s), wi == 0 && s == 0, &n, err);
        if (st != NS_OK) break;
        c->sum->sites_40x++;
        c->sum->labels_40x += n;
        char tile_stem[96];
        snprintf(tile_stem, sizeof tile_stem, "%s_Tile-%d", well, layout.site_tile[s]);
        synth_affine to_tile;
        site_to_tile(&layout.site_to_well[s], &layout.tile_to_well[layout.site_tile[s]], &to_tile);
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "tile_40x", stem);
        cJSON_AddStringToObject(p, "tile_10x", tile_stem);
        cJSON_AddStringToObject(p, "well", well);
        cJSON_AddItemToObject(p, "affine_40x_to_10x", affine_json(&to_tile));
        cJSON_AddItemToArray(c->pairs, p);
    }
    synth_scene_free(&scene);
    synth_plate_layout_free(&layout);
    return st;
}

static ns_status make_dirs(const char *out_dir, ns_error *err)
{
    static const char *const dirs[] = {"genotyping/cycle_1", "phenotyping", "truth/10X", "truth/40X", "preview"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char *p = ns_path_join(out_dir, dirs[i]);
        if (!p) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", out_dir);
        ns_status st = ns_mkdirs(p, err);
        free(p);
        if (st != NS_OK) return st;
    }
    return NS_OK;
}

ns_status ns_synth_plate_run(const char *out_dir, const ns_synth_plate_options *o,
                             ns_synth_plate_summary *summary, ns_error *err)
{
    double t0 = ns_clock_s();
    ns_synth_plate_summary local;
    ns_synth_plate_summary *sum = summary ? summary : &local;
    memset(sum, 0, sizeof *sum);
    ns_status st = check_plate_options(o, err);
    if (st != NS_OK) return st;
    st = make_dirs(out_dir, err);
    if (st != NS_OK) return st;
    cJSON *previous = synth_plate_previous(out_dir);

    plate_ctx c = {.out_dir = out_dir, .o = o, .sum = sum};
    int max_w = o->width_10x > o->width_40x ? o->width_10x : o->width_40x;
    int max_h = o->height_10x > o->height_40x ? o->height_10x : o->height_40x;
    size_t npx = (size_t)max_w * max_h;
    c.buf.signal = malloc(npx * sizeof *c.buf.signal);
    c.buf.depth = malloc(npx * sizeof *c.buf.depth);
    c.buf.owner = malloc(npx * sizeof *c.buf.owner);
    cJSON *root = cJSON_CreateObject();
    char *text = NULL, *json_path = NULL;
    if (!c.buf.signal || !c.buf.depth || !c.buf.owner || !root) {
        st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory (%dx%d render buffers)", out_dir, max_w, max_h);
        goto done;
    }
    cJSON_AddNumberToObject(root, "seed", (double)o->seed);
    cJSON_AddStringToObject(root, "generator", "nucseg synth");
    cJSON_AddNumberToObject(root, "scale_40x_per_10x", SYNTH_SCALE_40X_PER_10X);
    cJSON_AddNumberToObject(root, "diameter_10x", o->diameter_10x);
    cJSON_AddNumberToObject(root, "density", o->density);
    c.tiles = cJSON_AddArrayToObject(root, "tiles");
    c.pairs = cJSON_AddArrayToObject(root, "pairs");
    if (!c.tiles || !c.pairs) {
        st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory (truth.json)", out_dir);
        goto done;
    }
    for (int wi = 0; wi < o->wells && st == NS_OK; wi++) {
        st = write_well(&c, wi, err);
        if (st == NS_OK) sum->wells++;
    }
    if (st != NS_OK) goto done;
    text = cJSON_Print(root);
    json_path = ns_path_join(out_dir, "truth.json");
    if (!text || !json_path) {
        st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory (truth.json)", out_dir);
        goto done;
    }
    st = ns_write_file_atomic(json_path, text, strlen(text), err);
    if (st == NS_OK) st = synth_plate_prune(out_dir, previous, c.tiles, &sum->removed_previous, err);
done:
    cJSON_Delete(previous);
    free(text);
    free(json_path);
    cJSON_Delete(root);
    free(c.buf.signal);
    free(c.buf.depth);
    free(c.buf.owner);
    sum->seconds = ns_clock_s() - t0;
    return st;
}

ns_status ns_synth_plate(const char *out_dir, const ns_synth_plate_options *o, ns_error *err)
{
    return ns_synth_plate_run(out_dir, o, NULL, err);
}
