/* segment.h — classical nuclear segmentation, parameterised by nuclear diameter.
 *
 * Pipeline: normalise → Gaussian smoothing (σ from the diameter) → threshold
 * (Otsu, or local) → fill holes → remove small / large objects → exact Euclidean
 * distance transform → seeds (maxima with a minimum distance tied to the diameter)
 * → seeded watershed → relabel 1..N → per-nucleus measurements.
 *
 * Knows nothing of files, processes or the command line. ns_segment runs on the
 * calling thread alone; a batch runs one image per worker process, and lends the cores
 * of workers with nothing left to the others' last images: ns_segment_lent splits
 * large images' objects in bands on those too (the same labels either way). */
#ifndef NUCSEG_SEGMENT_H
#define NUCSEG_SEGMENT_H

#include <stddef.h>
#include <stdint.h>
#include "nucseg/error.h"
#include "nucseg/image.h"

typedef enum { NS_MAG_UNKNOWN = 0, NS_MAG_10X = 10, NS_MAG_40X = 40 } ns_magnification;

typedef enum { NS_THRESHOLD_OTSU = 0, NS_THRESHOLD_LOCAL = 1 } ns_threshold_method;

typedef struct {
    double diameter;        /* expected nuclear diameter in px; <= 0: estimate from the image */
    double smooth_sigma;    /* Gaussian σ in px; < 0: derived from the diameter */
    ns_threshold_method threshold;
    double threshold_scale; /* multiply the automatic threshold (1.0 = as computed) */
    double min_area;        /* px; < 0: derived from the diameter */
    double max_area;        /* px; < 0: derived from the diameter; 0: no limit */
    double min_distance;    /* px between seeds; < 0: derived from the diameter */
    int split_touching;     /* 1: seeded watershed splits touching nuclei */
    /* NULL: the classical pipeline above. Else the learned one (nn.h): the network's
     * class probabilities, then seeds = its nucleus interiors, a watershed over its
     * foreground, and the same measurements; diameter, σ, threshold and min_distance
     * play no part there, min_area / max_area (px; < 0: defaults) still do. Not owned. */
    const struct ns_nn *model;
} ns_segment_params;

/* Defaults: automatic diameter, Otsu, watershed on. */
void ns_segment_params_default(ns_segment_params *p);
/* Presets: 10X → diameter 10 px, 40X → 40 px; UNKNOWN → automatic. */
void ns_segment_params_preset(ns_segment_params *p, ns_magnification mag);

const char *ns_magnification_name(ns_magnification m); /* "10X", "40X", "unknown" */

typedef struct {
    uint32_t label;                 /* 1..N */
    double centroid_x, centroid_y;  /* px, x = column, y = row (pixel centres at integers) */
    double area;                    /* px */
    double mean_intensity;          /* in the input's units */
    int bbox_x0, bbox_y0, bbox_x1, bbox_y1; /* inclusive-exclusive: [x0, x1) x [y0, y1) */
    double major_axis, minor_axis;  /* px, of the ellipse with the same second moments (as skimage) */
    double eccentricity;
    double orientation;             /* radians, as skimage.measure.regionprops: the major axis'
                                       angle from the row axis (+y) towards +x, in [-pi/2, pi/2] */
} ns_nucleus;

typedef struct {
    int width, height;
    ns_image labels;      /* owned; width x height, 0 = background, 1..count: NS_PIXEL_U16 when
                             count <= 65535 (as the label TIFF stores it), else NS_PIXEL_U32 */
    size_t count;
    ns_nucleus *nuclei;   /* owned; nuclei[i].label == i + 1 */
    double diameter_used; /* the diameter in effect (given or estimated) */
    double sigma_used, threshold_used, min_distance_used;
    double ms_total;      /* wall time inside ns_segment */
} ns_segmentation;

ns_status ns_segment(const ns_image *img, const ns_segment_params *p, ns_segmentation *out, ns_error *err);
/* ns_segment, with helper threads on cores claimed from idle (util/idle_cores.h; the
 * batch's counter, shared by its workers), when there are any; NULL: as ns_segment. */
struct ns_idle_cores;
ns_status ns_segment_lent(const ns_image *img, const ns_segment_params *p, struct ns_idle_cores *idle,
                          ns_segmentation *out, ns_error *err);
void ns_segmentation_free(ns_segmentation *s);
/* Label i (raster index) of s, whatever its pixel type. */
uint32_t ns_segmentation_label(const ns_segmentation *s, size_t i);

/* The nucleus table of any label image (U8/U16/U32; 0 = background), measured as
 * ns_segment measures its own: one row per label that occurs, in increasing label
 * order, mean_intensity from `intensity` (same size) or NaN when it is NULL.
 * Labels above the pixel count are refused (NS_ERR_TOO_LARGE). *out is malloc'd. */
ns_status ns_measure_labels(const ns_image *labels, const ns_image *intensity, ns_nucleus **out,
                            size_t *count, ns_error *err);

#endif
