/* synth_internal.h — private pieces of the synthetic-plate generator: the PRNG,
 * the nucleus model (a scene in WORLD coordinates), rendering a view of a scene
 * through a pixel -> world affine map, image formation (background + noise) and
 * per-view ground truth. World units are 10X pixels for plates and pixels for
 * standalone fields. */
#ifndef NUCSEG_SYNTH_INTERNAL_H
#define NUCSEG_SYNTH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "nucseg/error.h"
#include "nucseg/image.h"
#include "nucseg/synth.h"
#include <cjson/cJSON.h>

/* ---- PRNG: xoshiro256** seeded through splitmix64 (rng.c) ---- */
typedef struct {
    uint64_t s[4];
    int has_spare;     /* Marsaglia polar method yields normals in pairs */
    double spare;
} synth_rng;

/* Independent streams: the same (seed, stream) always gives the same sequence,
 * whatever else was drawn before, so each view's noise is order-independent. */
void synth_rng_seed(synth_rng *r, uint64_t seed, uint64_t stream);
uint64_t synth_rng_u64(synth_rng *r);
double synth_rng_uniform(synth_rng *r);               /* [0, 1) */
double synth_rng_range(synth_rng *r, double lo, double hi);
double synth_rng_normal(synth_rng *r);                /* N(0, 1) */
double synth_rng_poisson(synth_rng *r, double lambda);

/* ---- Nucleus model (nuclei.c) ---- */
#define SYNTH_TEXTURE_WAVES 3

typedef struct {
    double cx, cy;           /* centre, world units */
    double a, b;             /* semi-axes (a >= b), world units */
    double cos_phi, sin_phi; /* orientation of the a axis */
    double brightness;       /* peak signal in counts above background */
    double edge_sigma;       /* softness of the edge, world units (larger when out of focus) */
    double wave_kx[SYNTH_TEXTURE_WAVES], wave_ky[SYNTH_TEXTURE_WAVES];
    double wave_phase[SYNTH_TEXTURE_WAVES], wave_amp[SYNTH_TEXTURE_WAVES];
    uint32_t id;             /* 1..N, unique in the scene */
    int out_of_focus;
} synth_nucleus;

typedef struct {
    synth_nucleus *items;    /* owned */
    size_t count, cap;
} synth_scene;

typedef struct {
    double diameter;         /* mean equal-area diameter, world units */
    double density;          /* target fraction of the region covered */
    double touching;         /* fraction placed touching an earlier nucleus */
    double blur_fraction;    /* fraction out of focus */
    double brightness;       /* median peak signal, counts */
} synth_scene_params;

/* Fill the region [x0, x1) x [y0, y1) (centres) by rejection sampling on a grid.
 * Stops at the target coverage or after a capped number of attempts (dense
 * requests then return fewer nuclei rather than looping forever). */
ns_status synth_scene_generate(synth_scene *scene, const synth_scene_params *p,
                               double x0, double y0, double x1, double y1,
                               synth_rng *rng, ns_error *err);
void synth_scene_free(synth_scene *scene);

/* ---- Rendering (render.c) ---- */
/* pixel (x, y) -> world: X = m[0] x + m[1] y + m[2], Y = m[3] x + m[4] y + m[5]. */
typedef struct { double m[6]; } synth_affine;

/* Add every nucleus overlapping the view to signal (w*h floats, counts) and write
 * the truth owner (scene index + 1, 0 = none) of each pixel whose centre lies inside
 * a nucleus into owner; where nuclei overlap the pixel goes to the one it lies
 * deepest inside. depth is w*h floats of scratch. */
ns_status synth_render(const synth_scene *scene, const synth_affine *to_world, int w, int h,
                       float *signal, uint32_t *owner, float *depth, ns_error *err);

/* ---- Image formation (formation.c) ---- */
typedef struct {
    double offset;           /* camera offset, counts */
    double background;       /* mean background signal, counts */
    double gradient;         /* relative change of the background across the view */
    double read_noise;       /* Gaussian sd, counts */
} synth_camera;

/* Random smooth background gradient + Poisson shot noise + Gaussian read noise,
 * clamped to 16 bit. out is a U16 image allocated here. */
ns_status synth_form_image(const float *signal, int w, int h, const synth_camera *cam,
                           synth_rng *rng, ns_image *out, ns_error *err);

/* Shared constants of the nucleus model and camera (field.c), used by field and plate. */
void synth_default_camera(synth_camera *cam, double read_noise, synth_rng *rng);
void synth_default_scene_params(synth_scene_params *p, double diameter, double density,
                                double touching, double blur_fraction);

/* ---- Ground truth of one view (truth.c) ---- */
typedef struct {
    uint32_t label;          /* 1..count in this view */
    uint32_t nucleus_id;     /* scene id */
    double centroid_x, centroid_y; /* of the label pixels, pixel centres at integers */
    size_t area;
} synth_truth_row;

typedef struct {
    ns_image labels;         /* U32, 1..count, owned */
    synth_truth_row *rows;   /* owned; rows[i].label == i + 1, ordered by nucleus_id */
    size_t count;
} synth_truth;

/* Relabel owner (scene index + 1) into consecutive labels and measure them. */
ns_status synth_truth_build(const synth_scene *scene, const uint32_t *owner, int w, int h,
                            synth_truth *t, ns_error *err);
ns_status synth_truth_write_csv(const char *path, const synth_truth *t, ns_error *err);
void synth_truth_free(synth_truth *t);

/* ---- Plate geometry (plate_layout.c) ---- */
#define SYNTH_SCALE_40X_PER_10X 4.0
#define SYNTH_SITE_MARGIN_10X 32.0   /* a 40X site keeps this far from its 10X tile's edges */
#define SYNTH_MAX_ROTATION_DEG 3.0

typedef struct {
    int tiles, sites;            /* tiles_10x, tiles_10x * sites_per_tile */
    synth_affine *tile_to_well;  /* owned; per 10X tile: identity rotation + offset */
    synth_affine *site_to_well;  /* owned; per 40X site: (R(theta)^T p) / 4 + origin */
    int *site_tile;              /* owned; the 10X tile that holds each site */
    double x0, y0, x1, y1;       /* well region the scene must cover (tiles + a pad) */
} synth_plate_layout;

/* Tiles on a square grid, abutting or slightly overlapping, with stage jitter;
 * each site at a random position and angle fully inside its tile. NS_ERR_INVALID
 * when a site cannot fit (with the margin) in a tile. */
ns_status synth_plate_layout_make(const ns_synth_plate_options *o, synth_rng *rng,
                                  synth_plate_layout *l, ns_error *err);
void synth_plate_layout_free(synth_plate_layout *l);

/* ---- Previews (preview.c) ---- */
/* 8-bit contrast-stretched gray PNG, and an RGB copy with truth outlines. */
ns_status synth_preview_write(const char *gray_path, const char *overlay_path, const ns_image *img,
                              const ns_image *labels, ns_error *err);

/* ---- A plate view's files, relative to the plate folder (view_files.c) ---- */
enum { SYNTH_VIEW_IMAGE, SYNTH_VIEW_LABELS, SYNTH_VIEW_CSV, SYNTH_VIEW_PREVIEW, SYNTH_VIEW_OVERLAY, SYNTH_VIEW_FILES };
typedef struct {
    char rel[SYNTH_VIEW_FILES][1024];
} synth_view_files;
/* The image, its truth labels and table, and its two previews, for view stem. */
void synth_view_files_of(const char *stem, int is_40x, synth_view_files *f);

/* ---- Regenerating a plate in place (plate_prune.c) ---- */
/* The truth.json a synth plate left in out_dir, parsed; NULL if there is none, it
 * cannot be read or another program wrote it. The caller cJSON_Deletes it. */
cJSON *synth_plate_previous(const char *out_dir);
/* Remove the files of each view of previous (a truth.json root, may be NULL) whose stem
 * the new tiles array lacks; *removed counts the files removed. */
ns_status synth_plate_prune(const char *out_dir, const cJSON *previous, const cJSON *tiles, size_t *removed,
                            ns_error *err);

#endif
