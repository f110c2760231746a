/* synth.h — synthetic fluorescence nuclei with exact ground truth.
 *
 * A virtual well holds nuclei (elliptical, varied size and brightness, inner
 * texture, clusters of touching nuclei, some out of focus). It is imaged as 10X
 * tiles and 40X sites (4x scale, small rotation and stage offset, every transform
 * known) with a smooth background gradient, Poisson + Gaussian noise, 16-bit.
 * Deterministic: same options and seed, same bytes. */
#ifndef NUCSEG_SYNTH_H
#define NUCSEG_SYNTH_H

#include <stddef.h>
#include <stdint.h>
#include "nucseg/error.h"
#include "nucseg/image.h"

/* One standalone field (used by tests and the scaling benchmark). */
typedef struct {
    int width, height;
    double diameter;      /* mean nuclear diameter, px */
    double density;       /* fraction of the area covered by nuclei (default 0.15) */
    double touching;      /* fraction of nuclei placed touching a neighbour (default 0.2) */
    double blur_fraction; /* fraction out of focus (default 0.1) */
    double noise;         /* Gaussian read noise sd in counts (default 40) */
    uint64_t seed;
} ns_synth_field_options;

void ns_synth_field_options_default(ns_synth_field_options *o);

/* What ns_synth_field accepts besides positive sizes of at most NS_DEFAULT_MAX_PIXELS:
 * diameter in [MIN, MAX] px, density in (0, MAX]. */
#define NS_SYNTH_FIELD_MIN_DIAMETER 2.0
#define NS_SYNTH_FIELD_MAX_DIAMETER 1000.0
#define NS_SYNTH_FIELD_MAX_DENSITY 0.9

/* image: U16 intensities; labels: U32 ground-truth instances 1..N, every label used
 * (labels may be NULL when not wanted). Both allocated here. count: N. Nuclei are
 * placed until `density` is covered or the capped attempts run out (dense requests,
 * beyond ~0.5, return fewer nuclei rather than looping). */
ns_status ns_synth_field(const ns_synth_field_options *o, ns_image *image, ns_image *labels,
                         size_t *count, ns_error *err);

/* A whole plate in the lab layout, see nucseg synth --help. */
typedef struct {
    int wells;            /* default 2 */
    int tiles_10x;        /* per well, default 4 (a 2x2 grid) */
    int sites_per_tile;   /* 40X sites inside each 10X tile, default 1 */
    int width_10x, height_10x;   /* default 1024 */
    int width_40x, height_40x;   /* default 2048 */
    double diameter_10x;  /* default 10 px (40X: 4x) */
    double density;
    uint64_t seed;        /* default 1 */
} ns_synth_plate_options;

void ns_synth_plate_options_default(ns_synth_plate_options *o);
ns_status ns_synth_plate(const char *out_dir, const ns_synth_plate_options *o, ns_error *err);

/* What ns_synth_plate_run wrote (for the command's report). */
typedef struct {
    int wells, tiles_10x, sites_40x;   /* totals over the plate */
    size_t nuclei;                     /* distinct nuclei generated (summed over wells) */
    size_t labels_10x, labels_40x;     /* truth labels over all 10X tiles / 40X sites */
    double seconds;                    /* wall time */
    size_t removed_previous;           /* files of an earlier plate's views this one lacks, removed */
} ns_synth_plate_summary;

/* ns_synth_plate, also filling summary (may be NULL). */
ns_status ns_synth_plate_run(const char *out_dir, const ns_synth_plate_options *o,
                             ns_synth_plate_summary *summary, ns_error *err);

#endif
