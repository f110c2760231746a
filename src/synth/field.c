/* field.c — one standalone synthetic field (world units = pixels), for tests and
 * the scaling / segmentation benchmarks: same nucleus model, camera and truth as
 * the plate, without files. */
#include <stdlib.h>
#include <string.h>
#include "nucseg/synth.h"
#include "synth/synth_internal.h"

/* Median peak nuclear signal (photons) and camera constants shared with the plate. */
#define FIELD_BRIGHTNESS 2000.0
#define CAMERA_OFFSET 100.0

void ns_synth_field_options_default(ns_synth_field_options *o)
{
    memset(o, 0, sizeof *o);
    o->width = 1024;
    o->height = 1024;
    o->diameter = 10.0;
    o->density = 0.15;
    o->touching = 0.2;
    o->blur_fraction = 0.1;
    o->noise = 40.0;
    o->seed = 1;
}

void synth_default_camera(synth_camera *cam, double read_noise, synth_rng *rng)
{
    cam->offset = CAMERA_OFFSET;
    cam->background = synth_rng_range(rng, 0.05, 0.10) * FIELD_BRIGHTNESS;
    cam->gradient = synth_rng_range(rng, 0.2, 0.5);
    cam->read_noise = read_noise;
}

void synth_default_scene_params(synth_scene_params *p, double diameter, double density,
                                double touching, double blur_fraction)
{
    p->diameter = diameter;
    p->density = density;
    p->touching = touching;
    p->blur_fraction = blur_fraction;
    p->brightness = FIELD_BRIGHTNESS;
}

static ns_status check_field_options(const ns_synth_field_options *o, ns_error *err)
{
    if (o->width < 1 || o->height < 1 || (size_t)o->width * (size_t)o->height > NS_DEFAULT_MAX_PIXELS)
        return ns_error_set(err, NS_ERR_INVALID, "synthetic field: size %dx%d out of range", o->width, o->height);
    if (!(o->diameter >= NS_SYNTH_FIELD_MIN_DIAMETER) || o->diameter > NS_SYNTH_FIELD_MAX_DIAMETER)
        return ns_error_set(err, NS_ERR_INVALID, "synthetic field: diameter %g out of range [%g, %g]", o->diameter,
                            NS_SYNTH_FIELD_MIN_DIAMETER, NS_SYNTH_FIELD_MAX_DIAMETER);
    if (!(o->density > 0.0) || o->density > NS_SYNTH_FIELD_MAX_DENSITY)
        return ns_error_set(err, NS_ERR_INVALID, "synthetic field: density %g out of range (0, %g]", o->density,
                            NS_SYNTH_FIELD_MAX_DENSITY);
    if (!(o->touching >= 0.0 && o->touching <= 1.0) || !(o->blur_fraction >= 0.0 && o->blur_fraction <= 1.0))
        return ns_error_set(err, NS_ERR_INVALID, "synthetic field: touching %g and blur fraction %g must be in [0, 1]",
                            o->touching, o->blur_fraction);
    if (!(o->noise >= 0.0))
        return ns_error_set(err, NS_ERR_INVALID, "synthetic field: noise %g must be >= 0", o->noise);
    return NS_OK;
}

ns_status ns_synth_field(const ns_synth_field_options *o, ns_image *image, ns_image *labels,
                         size_t *count, ns_error *err)
{
    memset(image, 0, sizeof *image);
    if (labels) memset(labels, 0, sizeof *labels);
    if (count) *count = 0;
    ns_status st = check_field_options(o, err);
    if (st != NS_OK) return st;

    synth_rng scene_rng, camera_rng;
    synth_rng_seed(&scene_rng, o->seed, 0);
    synth_rng_seed(&camera_rng, o->seed, 1);
    synth_scene_params sp;
    synth_default_scene_params(&sp, o->diameter, o->density, o->touching, o->blur_fraction);
    synth_scene scene;
    st = synth_scene_generate(&scene, &sp, 0.0, 0.0, o->width, o->height, &scene_rng, err);
    if (st != NS_OK) return st;

    size_t n = (size_t)o->width * o->height;
    float *signal = malloc(n * sizeof *signal), *depth = malloc(n * sizeof *depth);
    uint32_t *owner = malloc(n * sizeof *owner);
    synth_truth truth = {0};
    if (!signal || !depth || !owner) {
        st = ns_error_set(err, NS_ERR_NOMEM, "synthetic field: out of memory (%dx%d)", o->width, o->height);
        goto done;
    }
    synth_affine identity = {{1.0, 0.0, 0.0, 0.0, 1.0, 0.0}};
    st = synth_render(&scene, &identity, o->width, o->height, signal, owner, depth, err);
    if (st != NS_OK) goto done;
    synth_camera cam;
    synth_default_camera(&cam, o->noise, &camera_rng);
    st = synth_form_image(signal, o->width, o->height, &cam, &camera_rng, image, err);
    if (st != NS_OK) goto done;
    st = synth_truth_build(&scene, owner, o->width, o->height, &truth, err);
    if (st != NS_OK) goto done;
    if (count) *count = truth.count;
    if (labels) {
        *labels = truth.labels; /* ownership moves to the caller */
        memset(&truth.labels, 0, sizeof truth.labels);
    }
done:
    synth_truth_free(&truth);
    free(signal);
    free(depth);
    free(owner);
    synth_scene_free(&scene);
    if (st != NS_OK) ns_image_free(image);
    return st;
}
