/* segment.c — the pipeline: normalise → smooth → threshold → fill holes →
 * components → distance transform → (diameter estimate) → seeds → watershed →
 * merge shallow splits and fragments → measure.
 *
 * Derived parameters, all from the diameter d (px):
 *   σ = clamp(d / 24, 0.75, 3)    enough to quiet shot noise, not to blur necks
 *   threshold = 0.85 · Otsu       Otsu cuts into the dim rim that annotators include
 *   min_area = 0.1 · π d² / 4     debris and noise specks
 *   max_area = 25 · π d² / 4      clumps and artefacts far beyond one nucleus
 *   min_distance = 0.3 · d        two seeds closer than this are one nucleus
 *   split landscape = EDT · sqrt(smoothed brightness): shape says where
 *     the neck is, brightness breaks ties where touching nuclei leave no neck
 *   merge when the landscape dips by less than max(0.5, 0.1 · smaller peak)
 * The constants were tuned once on tests/data/dsb2018-dev (mean F1, DSB score) and
 * are the same for every image.
 *
 * Unknown diameter: estimated on the foreground (diameter.c), first on reduced grids.
 * Large nuclei: segmented on a grid reduced by an integer factor (reduced_grid.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "nucseg/imgproc.h"
#include "nucseg/segment.h"
#include "segment/diameter.h"
#include "segment/grid.h"
#include "segment/learned.h"
#include "segment/measure.h"
#include "segment/reduced_grid.h"
#include "segment/result_labels.h"
#include "segment/split_bands.h"
#include "segment/watershed.h"
#include "util/clock.h"

#define MERGE_H_ABS 0.5
#define MERGE_H_REL 0.1

static double sigma_for(double d)
{
    double s = d / 24.0;
    return s < 0.75 ? 0.75 : s > 3.0 ? 3.0 : s;
}

/* Seeds, watershed and merging on a grid whose foreground is done; labels 1..count. */
static ns_status split_objects(grid *g, const ns_segment_params *p, ns_idle_cores *idle, double d, double min_dist,
                               size_t *count, ns_error *err)
{
    size_t n = (size_t)g->w * (size_t)g->h;
    double disk = M_PI * d * d / 4.0;
    double min_area = p->min_area >= 0 ? p->min_area : 0.1 * disk;
    double max_area = p->max_area >= 0 ? p->max_area : 25.0 * disk;
    ns_status st;
    if (!p->split_touching) {
        free(g->smooth); /* not needed any more */
        g->smooth = NULL;
        g->labels = g->comp; /* the components are the objects */
        g->comp = NULL;
        /* Components never touch: merging only filters by area and relabels. */
        return ns_merge_regions(g->labels, g->edt, g->w, g->h, g->ncomp, 0.0, 0.0, min_area, max_area,
                                count, err);
    }
    /* Landscape: distance map weighted by the square root of the smoothed
     * brightness (normalised to the brightest object pixel); ns_grid_foreground() has made
     * it already when it knew the diameter, or left it to the bands. A plain map is
     * the one the diameter estimate needed. */
    if (g->edt && !g->landscape) {
        const float inv = ns_grid_landscape_scale(g);
        for (size_t i = 0; i < n; i++) g->edt[i] *= sqrtf((float)g->smooth[i] * inv);
        g->landscape = 1;
    }
    if (ns_split_use_bands(g->w, g->h)) {
        ns_split_input in = {.idle = idle, .w = g->w, .h = g->h, .comp = &g->runs, .landscape = g->edt, .weight = g->smooth,
                             .scale = ns_grid_landscape_scale(g), .min_distance = min_dist, .h_abs = MERGE_H_ABS,
                             .h_rel = MERGE_H_REL, .min_area = min_area, .max_area = max_area};
        ns_split_bands sb;
        if ((st = ns_split_in_bands(&in, &sb, err)) != NS_OK) return st;
        free(g->smooth); /* done with: its memory becomes the labels */
        g->smooth = NULL;
        free(g->edt);
        g->edt = NULL;
        /* 16-bit labels when they fit: half the memory to write here and to read back
         * when the label TIFF (16-bit then too) is written. */
        int narrow = g->compact_labels && sb.count <= UINT16_MAX;
        void *labels = narrow ? (void *)(g->labels16 = malloc(n * sizeof *g->labels16))
                              : (void *)(g->labels = malloc(n * sizeof *g->labels));
        if (!labels) {
            ns_split_bands_free(&sb);
            return ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for a %dx%d image", g->w, g->h);
        }
        st = ns_split_bands_paint(&sb, labels, narrow ? NS_PIXEL_U16 : NS_PIXEL_U32, g->measure,
                                  g->measure ? &g->nuclei : NULL, err);
        *count = sb.count;
        ns_split_bands_free(&sb);
        return st;
    }
    free(g->smooth); /* its memory becomes the labels */
    g->smooth = NULL;
    g->labels = malloc(n * sizeof *g->labels);
    if (!g->labels) return ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for a %dx%d image", g->w, g->h);
    size_t nseeds = 0;
    if ((st = ns_find_seeds(g->edt, g->comp, g->w, g->h, min_dist, g->labels, &nseeds, err)) != NS_OK)
        return st;
    /* labels holds the markers; the flood grows them in place. */
    /* ns_find_seeds left labels 0 outside the mask: no clearing pass needed. */
    if ((st = ns_watershed_markers_in_mask(g->edt, g->mask, g->comp, g->ncomp, g->labels, g->w, g->h, g->labels, 1,
                                           err)) != NS_OK)
        return st;
    return ns_merge_regions(g->labels, g->edt, g->w, g->h, nseeds, MERGE_H_ABS, MERGE_H_REL, min_area,
                            max_area, count, err);
}

/* Working resolution: nuclei of ~12 px diameter carry all the shape the
 * pipeline needs, so larger ones (40X) are processed on a grid reduced by an
 * integer factor and only the outlines are drawn at full resolution. This keeps
 * the time per 40X image close to that of a 10X image of the same size. */
#define WORKING_DIAMETER 12.0
#define MIN_DOWNSAMPLE_DIAMETER 24.0
/* The first look at half resolution (automatic diameter): the σ the f = 2 grid uses
 * for its nuclei of 12-18 px, and the estimate from which it is trusted (the σ at
 * full resolution changes from there on, so the full-resolution first pass could not
 * be reused anyway). */
#define HALF_SIGMA 0.75
#define HALF_TRUST_DIAMETER 22.5
/* The quarter-resolution glance is coarse (nuclei of 5 px there, within about 20 %):
 * below 0.8 x 22.5 it says "small" surely enough to skip the half-resolution look. */
#define QUARTER_GATE_DIAMETER 18.0

/* What one ns_segment call holds between its steps (all freed by state_free). */
typedef struct {
    const ns_image *img;
    const ns_segment_params *p;
    ns_idle_cores *idle; /* cores the batch lends to the banded split; NULL: none */
    int w, h;
    size_t n;
    grid full, small;   /* small: the half-resolution look, or the reduced working grid */
    grid_input full_in; /* the normalised image: the float copy norm, or row by row from map */
    ns_norm_map map;
    float *norm, *norm_s; /* norm_s: the image reduced to small's grid */
    uint32_t *labels;
    uint16_t *labels16; /* instead of labels, when a banded split painted them so */
    double d, sigma;    /* the diameter and σ used */
    int full_done;      /* full holds the foreground at σ already */
    int half_done;      /* small holds the half-resolution foreground */
} seg_state;

static void state_free(seg_state *s)
{
    free(s->norm); free(s->norm_s); free(s->labels); free(s->labels16);
    ns_grid_free(&s->full);
    ns_grid_free(&s->small);
}

/* The diameter when none is given: a glance at quarter resolution, a look at half
 * resolution when the glance suggests large nuclei, else the full-resolution
 * foreground (kept when its σ suits the diameter found). Sets d and sigma. */
static ns_status find_diameter(seg_state *s, ns_error *err)
{
    const ns_segment_params *p = s->p;
    ns_status st;
    s->d = p->diameter;
    s->sigma = p->smooth_sigma >= 0 ? p->smooth_sigma : sigma_for(s->d > 0 ? s->d : NS_DEFAULT_DIAMETER);
    if (s->d <= 0 && p->smooth_sigma < 0 && p->threshold == NS_THRESHOLD_OTSU && s->w / 2 >= 16 &&
        s->h / 2 >= 16 && ns_quarter_look(&s->full_in, p) >= QUARTER_GATE_DIAMETER) {
        /* A first look at half resolution, which is also the working grid of nuclei of
         * 24-36 px: large nuclei are measured well there, and then the full-resolution
         * foreground below (only needed to measure them) is skipped, and for f = 2 the
         * half-resolution foreground is reused as it is. Smaller estimates are not
         * trusted; they are measured again at full resolution. */
        if ((st = ns_reduced_foreground(&s->full_in, 2, HALF_SIGMA, p, 0.0, &s->small, &s->norm_s, err)) != NS_OK)
            return st;
        double dh = ns_grid_diameter(&s->small, 2);
        if (dh >= HALF_TRUST_DIAMETER) {
            s->d = dh;
            s->sigma = sigma_for(s->d);
            s->full_done = 0;
            s->half_done = 1;
        } else {
            ns_grid_free(&s->small);
            free(s->norm_s);
            s->norm_s = NULL;
        }
    }
    if (s->d <= 0) {
        /* Estimate the diameter from a first foreground at full resolution. */
        if ((st = ns_grid_alloc(&s->full, s->w, s->h, err)) != NS_OK) return st;
        if ((st = ns_grid_foreground(&s->full_in, s->sigma, p, s->d, &s->full, err)) != NS_OK) return st;
        s->d = ns_grid_diameter(&s->full, 1);
        if (s->d <= 0) s->d = NS_DEFAULT_DIAMETER;
        s->full_done = p->smooth_sigma >= 0 || fabs(sigma_for(s->d) - s->sigma) <= 0.25 * s->sigma;
        if (p->smooth_sigma < 0) s->sigma = sigma_for(s->d);
    }
    return NS_OK;
}

/* Nuclei small enough for the full-resolution grid: split there. */
static ns_status segment_full(seg_state *s, double min_dist, size_t *count, ns_error *err)
{
    ns_status st;
    ns_grid_free(&s->small); /* a half-resolution look, done with */
    free(s->norm_s);
    s->norm_s = NULL;
    if (!s->full.smooth && (st = ns_grid_alloc(&s->full, s->w, s->h, err)) != NS_OK) return st;
    if (!s->full_done && (st = ns_grid_foreground(&s->full_in, s->sigma, s->p, s->d, &s->full, err)) != NS_OK)
        return st;
    free(s->norm); /* done with: its memory serves the watershed */
    s->norm = NULL;
    s->full.measure = s->img;
    s->full.compact_labels = 1;
    if ((st = split_objects(&s->full, s->p, s->idle, s->d, min_dist, count, err)) != NS_OK) return st;
    s->labels = s->full.labels;
    s->labels16 = s->full.labels16;
    s->full.labels = NULL; /* handed to the result */
    s->full.labels16 = NULL;
    return NS_OK;
}

/* Large nuclei: split on the grid reduced by f, labels drawn back at full resolution
 * (and measured on the way, into full.nuclei). */
static ns_status segment_reduced(seg_state *s, int f, double min_dist, size_t *count, ns_error *err)
{
    const ns_segment_params *p = s->p;
    ns_status st;
    ns_grid_free(&s->full);
    double ds = s->d / f;
    ns_segment_params ps = *p;
    if (ps.min_area >= 0) ps.min_area /= (double)f * f;
    if (ps.max_area > 0) ps.max_area /= (double)f * f;
    double sigma_s = p->smooth_sigma >= 0 ? p->smooth_sigma / f : sigma_for(ds);
    s->sigma = sigma_s * f;
    /* The half-resolution look is this grid's foreground when f = 2 at the same σ. */
    if (!(s->half_done && f == 2 && sigma_s == HALF_SIGMA)) {
        ns_grid_free(&s->small);
        free(s->norm_s);
        s->norm_s = NULL;
        if ((st = ns_reduced_foreground(&s->full_in, f, sigma_s, &ps, ds, &s->small, &s->norm_s, err)) != NS_OK)
            return st;
    }
    size_t nsmall = 0;
    if ((st = split_objects(&s->small, &ps, s->idle, ds, min_dist / f, &nsmall, err)) != NS_OK) return st;
    /* Upsampling keeps or drops labels, never adds: 16-bit when the grid's fit. */
    int narrow = nsmall <= UINT16_MAX;
    void *up = narrow ? (void *)(s->labels16 = malloc(s->n * sizeof *s->labels16))
                      : (void *)(s->labels = malloc(s->n * sizeof *s->labels));
    if (!up) return ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for a %dx%d image", s->w, s->h);
    if ((st = ns_upsample_labels(&s->small, s->norm_s, f, s->w, s->h, up, narrow ? 2 : 4, nsmall, s->img, count,
                                 &s->full.nuclei, err)) != NS_OK)
        return st;
    s->full.thr = s->small.thr;
    return NS_OK;
}

ns_status ns_segment(const ns_image *img, const ns_segment_params *p, ns_segmentation *out, ns_error *err)
{
    return ns_segment_lent(img, p, NULL, out, err);
}

ns_status ns_segment_lent(const ns_image *img, const ns_segment_params *p, ns_idle_cores *idle,
                          ns_segmentation *out, ns_error *err)
{
    memset(out, 0, sizeof *out);
    if (!img || !img->data || img->width <= 0 || img->height <= 0)
        return ns_error_set(err, NS_ERR_EMPTY, "segment: empty image");
    if (!(p->threshold_scale > 0.0))
        return ns_error_set(err, NS_ERR_INVALID, "segment: threshold scale must be > 0 (got %g)",
                            p->threshold_scale);
    if (p->model) return ns_segment_learned(img, p, out, err);
    double t0 = ns_clock_ms();
    seg_state s = {.img = img, .p = p, .idle = idle, .w = img->width, .h = img->height};
    int w = s.w, h = s.h;
    s.n = (size_t)w * (size_t)h;
    /* With the diameter given, the normalised image is read once (by the blur at full
     * resolution, or by the block means of a reduced grid): that pass makes its rows
     * from the map as it goes, with no float copy, 4 bytes per pixel less to write,
     * read back and fault in. Estimating the diameter reads it up to four times
     * (glances at 1/4 and 1/2 resolution, one or two full-resolution foregrounds):
     * then one float copy is cheaper than remaking every row each time. */
    s.full_in.img = img;
    ns_status st;
    if ((st = ns_normalize_map(img, 0.5, 99.9, &s.map, err)) != NS_OK) goto fail;
    s.full_in.map = &s.map;
    if (p->diameter <= 0) {
        if (!(s.norm = malloc(s.n * sizeof *s.norm))) {
            st = ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for a %dx%d image", w, h);
            goto fail;
        }
        for (int y = 0; y < h; y++) ns_normalize_row(img, &s.map, y, s.norm + (size_t)y * w);
        s.full_in.floats = s.norm;
    }
    if ((st = find_diameter(&s, err)) != NS_OK) goto fail;
    double d = s.d;
    int f = d >= MIN_DOWNSAMPLE_DIAMETER ? (int)(d / WORKING_DIAMETER) : 1;
    if (f > 1 && (w / f < 16 || h / f < 16)) f = 1; /* too small to reduce */
    double min_dist = p->min_distance >= 0 ? p->min_distance : 0.3 * d;
    size_t count = 0;
    st = f == 1 ? segment_full(&s, min_dist, &count, err) : segment_reduced(&s, f, min_dist, &count, err);
    if (st != NS_OK) goto fail;

    ns_nucleus *nuclei = s.full.nuclei; /* measured already by a banded split or the upsampling */
    s.full.nuclei = NULL;
    if (!nuclei && (st = ns_measure_nuclei(s.labels, img, count, &nuclei, err)) != NS_OK) goto fail;
    /* Labels made 32-bit on the way (the whole-image split works in place; an
     * upsampling that dropped labels to 65,535 or fewer) are stored 16-bit like the others. */
    if ((st = seg_hand_labels(out, w, h, count, &s.labels16, &s.labels, err)) != NS_OK) {
        free(nuclei);
        goto fail;
    }
    out->count = count;
    out->nuclei = nuclei;
    out->diameter_used = d;
    out->sigma_used = s.sigma;
    out->threshold_used = s.full.thr;
    out->min_distance_used = min_dist;
    state_free(&s);
    out->ms_total = ns_clock_ms() - t0;
    return NS_OK;
fail:
    state_free(&s);
    return st;
}

void ns_segmentation_free(ns_segmentation *s)
{
    if (!s) return;
    ns_image_free(&s->labels);
    free(s->nuclei);
    s->nuclei = NULL;
    s->count = 0;
}

uint32_t ns_segmentation_label(const ns_segmentation *s, size_t i)
{
    return s->labels.type == NS_PIXEL_U16 ? ((const uint16_t *)s->labels.data)[i]
                                          : ((const uint32_t *)s->labels.data)[i];
}
