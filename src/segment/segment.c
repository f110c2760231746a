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
 * Unknown diameter: d = twice the median over objects of their largest inscribed
 * radius. Measured first at 1/4 resolution (a glance, ~1/16 of the work); when that
 * suggests nuclei of 18 px or more, at 1/2 resolution, trusted from 22.5 px (and
 * reused as the working grid when d is 24-36 px); otherwise on the full-resolution
 * foreground, which the pipeline needs anyway for small nuclei. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "nucseg/imgproc.h"
#include "nucseg/segment.h"
#include "segment/distance.h"
#include "segment/gaussian.h"
#include "segment/mask_runs.h"
#include "segment/measure.h"
#include "segment/split_bands.h"
#include "segment/threshold.h"
#include "segment/watershed.h"

#define DEFAULT_DIAMETER 10.0
#define OTSU_FACTOR 0.85
#define MERGE_H_ABS 0.5
#define MERGE_H_REL 0.1

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static double sigma_for(double d)
{
    double s = d / 24.0;
    return s < 0.75 ? 0.75 : s > 3.0 ? 3.0 : s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Diameter from the mask alone: twice the median over objects of their largest
 * inscribed radius (the EDT maximum). Robust to clumps, which keep the radius of
 * their nuclei where their area would not. 0 when there is no object. */
static double estimate_diameter(const float *edt, const uint32_t *comp, const uint8_t *mask, int w, size_t n,
                                size_t ncomp)
{
    if (ncomp == 0) return 0.0;
    double *rmax = calloc(ncomp + 1, sizeof *rmax);
    float *rmaxf = calloc(ncomp + 1, sizeof *rmaxf);
    if (!rmax || !rmaxf) {
        free(rmax); free(rmaxf);
        return 0.0;
    }
    /* Along the mask's runs only; a run lies in one component: its maximum first
     * (vectorises), then one update. */
    for (size_t row = 0; row < n; row += (size_t)w) {
        const uint8_t *m = mask + row;
        for (int x = 0, e = 0; ns_mask_run(m, w, &x, &e); x = e) {
            uint32_t c = comp[row + (size_t)x];
            float top = 0.0f;
            for (int k = x; k < e; k++) top = edt[row + (size_t)k] > top ? edt[row + (size_t)k] : top;
            if (c && top > rmaxf[c]) rmaxf[c] = top;
        }
    }
    for (size_t c = 1; c <= ncomp; c++) rmax[c] = rmaxf[c];
    free(rmaxf);
    size_t k = 0;
    for (size_t c = 1; c <= ncomp; c++)
        if (rmax[c] >= 1.5) rmax[k++] = rmax[c]; /* specks of 1-2 px say nothing */
    double d = 0.0;
    if (k > 0) {
        qsort(rmax, k, sizeof *rmax, cmp_double);
        d = 2.0 * rmax[k / 2];
    }
    free(rmax);
    return d;
}

/* Buffers of one working grid (full resolution, or reduced for large nuclei). */
typedef struct {
    int w, h;
    uint16_t *smooth; /* 16-bit fixed point (gaussian.h): half the memory of floats */
    float *edt;
    uint8_t *mask;
    uint32_t *comp, *labels; /* comp: painted from runs when a step needs the image of them */
    uint16_t *labels16;      /* instead of labels: the result's labels, painted 16-bit when they fit */
    int compact_labels;      /* this grid's labels are the result's: 16-bit ones welcome */
    ns_component_runs runs;
    const ns_image *measure; /* the full-resolution grid: its image, measured while the bands paint */
    ns_nucleus *nuclei;      /* ... into this, when they did */
    size_t ncomp;
    double thr;
    float bmax;     /* brightest smoothed foreground pixel, in 16-bit steps (at least 1e-6 of full scale) */
    int landscape;  /* edt already holds the watershed's landscape (see split_objects) */
} grid;

/* The landscape's brightness weight is sqrtf(smooth * landscape_scale(g)): the square
 * root of the brightness relative to the brightest object pixel. */
static float landscape_scale(const grid *g)
{
    return 1.0f / g->bmax;
}

/* The image foreground() and the block means work on: floats in memory (a reduced
 * grid, or a small image normalised once), or else the full-resolution image
 * normalised row by row as each pass asks, with no float copy of it made. */
typedef struct {
    const float *floats;
    const ns_image *img;
    const ns_norm_map *map;
} grid_input;

static void normalised_row(const void *ctx, int y, float *row)
{
    const grid_input *in = ctx;
    ns_normalize_row(in->img, in->map, y, row);
}

/* Row y of in (w wide): in place, or made into scratch. */
static const float *input_row(const grid_input *in, int w, int y, float *scratch)
{
    if (in->floats) return in->floats + (size_t)y * w;
    ns_normalize_row(in->img, in->map, y, scratch);
    return scratch;
}

/* Smooth, threshold, fill holes, label, distance transform, into the grid's buffers.
 * With the diameter known (the grid that will be split, not a glance to estimate it)
 * and objects to split, the distance transform weights each row as it finishes it,
 * leaving the watershed's landscape in edt without another pass over the image. */
static ns_status foreground(const grid_input *in, double sigma, const ns_segment_params *p, double diameter,
                            grid *g, ns_error *err)
{
    int w = g->w, h = g->h;
    size_t n = (size_t)w * (size_t)h;
    uint16_t *smooth = g->smooth;
    uint8_t *mask = g->mask;
    ns_hist256 hist;
    ns_hist256_init(&hist, 0.0f, 1.0f);
    ns_row_maker maker = {normalised_row, in};
    ns_status st = in->floats ? ns_gaussian_blur_q16(in->floats, smooth, w, h, sigma, &hist, err)
                              : ns_gaussian_blur_rows_q16(&maker, smooth, w, h, sigma, &hist, err);
    if (st != NS_OK) return st;
    double t = ns_hist256_otsu(&hist) * OTSU_FACTOR * p->threshold_scale;
    g->thr = t;
    uint16_t top = 0; /* the brightest smoothed foreground pixel */
    if (p->threshold == NS_THRESHOLD_LOCAL) {
        /* Local mean over ~2 diameters; Otsu's half as a floor keeps flat background out. */
        int r = (int)ceil(diameter > 0 ? diameter : DEFAULT_DIAMETER);
        st = ns_local_threshold_q16(smooth, w, h, r, p->threshold_scale, 0.5 * t, mask, err);
        if (st != NS_OK) return st;
        for (size_t i = 0; i < n; i++)
            if (mask[i] && smooth[i] > top) top = smooth[i];
    } else {
        /* smooth / NS_Q16_ONE > t, for whole numbers smooth: smooth > floor(t * NS_Q16_ONE). */
        double tq = floor(t * NS_Q16_ONE);
        const int32_t tqi = tq < -1.0 ? -1 : tq > NS_Q16_ONE ? (int32_t)NS_Q16_ONE : (int32_t)tq;
        /* With the mask, in the same pass: the brightest foreground pixel, which is the
         * brightest pixel when there is any foreground (everything else is below the
         * threshold); without foreground it is never used. */
        for (size_t i = 0; i < n; i++) {
            mask[i] = (int32_t)smooth[i] > tqi;
            top = smooth[i] > top ? smooth[i] : top;
        }
    }
    g->bmax = top > 0 ? (float)top : 1e-6f * NS_Q16_ONE;
    if ((st = ns_fill_holes(mask, w, h, err)) != NS_OK) return st;
    ns_component_runs_free(&g->runs); /* from an earlier foreground of this grid, if any */
    if ((st = ns_component_runs_find(mask, w, h, &g->runs, err)) != NS_OK) return st;
    g->ncomp = g->runs.count;
    g->landscape = diameter > 0 && p->split_touching;
    /* A grid split in bands paints its components and makes its landscape band by band
     * (split_bands.c): no image-sized component or distance image at all. The diameter
     * estimate and the whole-image split need both. */
    if (g->landscape && ns_split_use_bands(w, h)) {
        free(g->edt);
        free(g->comp);
        g->edt = NULL;
        g->comp = NULL;
        return NS_OK;
    }
    if (!g->comp && !(g->comp = malloc(n * sizeof *g->comp)))
        return ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for a %dx%d image", w, h);
    ns_component_runs_paint(&g->runs, w, h, g->comp);
    if (!g->edt && !(g->edt = malloc(n * sizeof *g->edt)))
        return ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for a %dx%d image", w, h);
    return ns_distance_transform_weighted(mask, w, h, g->landscape ? smooth : NULL, landscape_scale(g), g->edt,
                                          err);
}

static ns_status grid_alloc(grid *g, int w, int h, ns_error *err)
{
    size_t n = (size_t)w * (size_t)h;
    memset(g, 0, sizeof *g);
    g->w = w;
    g->h = h;
    g->smooth = malloc(n * sizeof *g->smooth);
    g->mask = malloc(n);
    /* labels comes later (split_objects), into memory freed by then: a smaller
     * working set per image keeps two workers from evicting each other's cache. */
    /* comp and edt come with the foreground, when they are needed (foreground()). */
    if (!g->smooth || !g->mask)
        return ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for a %dx%d image", w, h);
    return NS_OK;
}

static void grid_free(grid *g)
{
    free(g->smooth); free(g->edt); free(g->mask); free(g->comp); free(g->labels); free(g->labels16);
    free(g->nuclei);
    ns_component_runs_free(&g->runs);
    memset(g, 0, sizeof *g);
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
     * brightness (normalised to the brightest object pixel); foreground() has made
     * it already when it knew the diameter, or left it to the bands. A plain map is
     * the one the diameter estimate needed. */
    if (g->edt && !g->landscape) {
        const float inv = landscape_scale(g);
        for (size_t i = 0; i < n; i++) g->edt[i] *= sqrtf((float)g->smooth[i] * inv);
        g->landscape = 1;
    }
    if (ns_split_use_bands(g->w, g->h)) {
        ns_split_input in = {.idle = idle, .w = g->w, .h = g->h, .comp = &g->runs, .landscape = g->edt, .weight = g->smooth,
                             .scale = landscape_scale(g), .min_distance = min_dist, .h_abs = MERGE_H_ABS,
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

/* Mean of f x f blocks (partial blocks at the right and bottom edges) of in (w x h),
 * reading each input row once (row: w floats of scratch). */
static void box_downsample(const grid_input *in, int w, int h, int f, float *restrict row, float *out, int ws,
                           int hs)
{
    for (int ys = 0; ys < hs; ys++) {
        float *restrict o = out + (size_t)ys * ws;
        for (int xs = 0; xs < ws; xs++) o[xs] = 0.0f;
        int y0 = ys * f, y1 = y0 + f < h ? y0 + f : h;
        for (int y = y0; y < y1; y++) {
            const float *restrict r = input_row(in, w, y, row);
            int full = w / f; /* whole blocks; a partial one may follow */
            /* Fixed small factors get their own loops so they vectorise. */
            if (f == 2) {
                for (int xs = 0; xs < full; xs++) o[xs] += r[2 * xs] + r[2 * xs + 1];
            } else if (f == 3) {
                for (int xs = 0; xs < full; xs++) o[xs] += r[3 * xs] + r[3 * xs + 1] + r[3 * xs + 2];
            } else {
                for (int xs = 0; xs < full; xs++) {
                    float acc = 0.0f;
                    for (int k = 0; k < f; k++) acc += r[xs * f + k];
                    o[xs] += acc;
                }
            }
            for (int xs = full; xs < ws; xs++)
                for (int x = xs * f; x < w; x++) o[xs] += r[x];
        }
        int ny = y1 - y0, full = w / f;
        const float inv = 1.0f / (float)(f * ny);
        for (int xs = 0; xs < full; xs++) o[xs] *= inv;
        for (int xs = full; xs < ws; xs++) o[xs] /= (float)((w - xs * f) * ny);
    }
}

/* One reduced row r interpolated along x to full width: out[x] between r[x0[x]] and
 * r[x1[x]] at weight wx[x]. */
static void interpolate_row(const float *r, const int *x0, const int *x1, const float *wx, int w, float *out)
{
    for (int x = 0; x < w; x++) out[x] = r[x0[x]] + wx[x] * (r[x1[x]] - r[x0[x]]);
}

#define NEAR_UNKNOWN UINT32_MAX

/* Labels of a reduced grid back at full resolution. Boundaries come from the
 * reduced image (block means: already smooth) interpolated bilinearly and
 * thresholded at full resolution, so outlines are smooth; which nucleus a pixel
 * belongs to comes from its cell (or the nearest labelled neighbour cell on a
 * boundary). Returns labels compacted to 1..count (a tiny object can vanish at
 * full resolution), `bytes` bytes each (2 when the reduced grid's nlab fit 16 bits),
 * and the nuclei measured on img as each row is made: a 40X image's labels are
 * written once and never read back. */
static ns_status upsample_labels(const grid *g, const float *intensity, int f, int w, int h, void *labels,
                                 int bytes, size_t nlab, const ns_image *img, size_t *count, ns_nucleus **nuclei,
                                 ns_error *err)
{
    int ws = g->w, hs = g->h;
    size_t ncell = (size_t)ws * hs;
    int *x0 = malloc((size_t)w * sizeof *x0), *x1 = malloc((size_t)w * sizeof *x1);
    int *cell_x = malloc((size_t)w * sizeof *cell_x); /* x / f, once per column: no division per pixel */
    float *wx = malloc((size_t)w * sizeof *wx);
    float *row_a = malloc((size_t)w * sizeof *row_a), *row_b = malloc((size_t)w * sizeof *row_b);
    uint8_t *hit = malloc((size_t)w), *inside = malloc((size_t)w);
    uint8_t *interior = malloc(ncell);
    uint32_t *nearest = malloc(ncell * sizeof *nearest);
    uint32_t *remap = calloc(nlab + 1, sizeof *remap);
    uint32_t *out = malloc((size_t)w * sizeof *out); /* the row's labels, within its hit runs */
    ns_measure_acc acc;
    int measuring = 0;
    if (x0 && x1 && wx && row_a && row_b && hit && inside && interior && nearest && remap && cell_x && out)
        measuring = ns_measure_begin(&acc, img, nlab, err) == NS_OK; /* nlab >= the labels made */
    if (!measuring) {
        free(x0); free(x1); free(wx); free(row_a); free(row_b); free(hit); free(inside); free(interior);
        free(nearest);
        free(remap); free(cell_x); free(out);
        return ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory upsampling %dx%d", w, h);
    }
    for (int x = 0; x < w; x++) {
        float fx = ((float)x + 0.5f) / (float)f - 0.5f;
        int a = (int)floorf(fx);
        float t = fx - (float)a;
        if (a < 0) { a = 0; t = 0.0f; }
        if (a >= ws - 1) { a = ws - 1; t = 0.0f; }
        x0[x] = a;
        x1[x] = a + 1 < ws ? a + 1 : a;
        wx[x] = t;
        cell_x[x] = x / f < ws ? x / f : ws - 1;
    }
    const uint32_t *L = g->labels;
    /* A cell is interior when its 4 neighbours carry its label: no threshold test
     * there, so dim nucleoli stay inside their nucleus. A labelled cell is its own
     * nearest label; an unlabelled one's is looked up when first needed. */
    for (int y = 0; y < hs; y++)
        for (int x = 0; x < ws; x++) {
            size_t i = (size_t)y * ws + x;
            uint32_t l = L[i];
            interior[i] = l && x > 0 && x < ws - 1 && y > 0 && y < hs - 1 && L[i - 1] == l && L[i + 1] == l &&
                          L[i - ws] == l && L[i + ws] == l;
            nearest[i] = l ? l : NEAR_UNKNOWN;
        }
    const float thr = (float)g->thr;
    uint32_t next = 0;
    int have_cy = -1;             /* the cell row `inside` holds */
    int have_a = -1, have_b = -1; /* reduced rows whose horizontal interpolation row_a/row_b hold */
    for (int y = 0; y < h; y++) {
        float fy = ((float)y + 0.5f) / (float)f - 0.5f;
        int ya = (int)floorf(fy);
        float ty = fy - (float)ya;
        if (ya < 0) { ya = 0; ty = 0.0f; }
        if (ya >= hs - 1) { ya = hs - 1; ty = 0.0f; }
        int yb = ya + 1 < hs ? ya + 1 : ya;
        /* Interpolate along x once per reduced row (rows repeat for f output rows). */
        if (have_a != ya) {
            if (have_b == ya) {
                float *t = row_a; row_a = row_b; row_b = t;
                have_b = -1;
            } else {
                interpolate_row(intensity + (size_t)ya * ws, x0, x1, wx, w, row_a);
            }
            have_a = ya;
        }
        if (have_b != yb) {
            interpolate_row(intensity + (size_t)yb * ws, x0, x1, wx, w, row_b);
            have_b = yb;
        }
        int cy = y / f;
        if (cy >= hs) cy = hs - 1;
        const size_t crow = (size_t)cy * ws;
        if (have_cy != cy) { /* interior cells of this row, spread to full width */
            for (int x = 0; x < w; x++) inside[x] = interior[crow + (size_t)cell_x[x]];
            have_cy = cy;
        }
        /* A pixel is labelled when its cell is interior or the interpolated image is
         * above the threshold there (a row at a time: vectorises). */
        for (int x = 0; x < w; x++) hit[x] = (uint8_t)((row_a[x] + ty * (row_b[x] - row_a[x]) > thr) | inside[x]);
        unsigned char *orow = (unsigned char *)labels + (size_t)y * w * bytes;
        memset(orow, 0, (size_t)w * bytes); /* pixels outside the hit runs stay background */
        for (int s = 0, e = 0; ns_mask_run(hit, w, &s, &e); s = e) {
            for (int x = s; x < e; x++) {
                size_t c = crow + (size_t)cell_x[x];
                uint32_t l = nearest[c];
                if (l == NEAR_UNKNOWN) {
                    /* Boundary pixel whose cell fell outside: nearest labelled cell. */
                    static const int dx[8] = {-1, 1, 0, 0, -1, 1, -1, 1}, dy[8] = {0, 0, -1, 1, -1, -1, 1, 1};
                    int cx = cell_x[x];
                    l = 0;
                    for (int k = 0; k < 8 && !l; k++) {
                        int xx = cx + dx[k], yy = cy + dy[k];
                        if (xx >= 0 && yy >= 0 && xx < ws && yy < hs) l = L[(size_t)yy * ws + xx];
                    }
                    nearest[c] = l;
                }
                if (l && !remap[l]) remap[l] = ++next;
                out[x] = l ? remap[l] : 0;
            }
            /* Runs of one label within the hit run, stored and measured: background
             * bounds every hit run, so these are the maximal runs (raster order) that a
             * scan of the finished image would measure. */
            for (int a = s, b; a < e; a = b) {
                const uint32_t v = out[a];
                for (b = a + 1; b < e && out[b] == v; b++) {}
                if (!v) continue;
                ns_measure_add_run(&acc, v, a, b - 1, y);
                ns_label_fill(orow, bytes, a, b - 1, v);
            }
        }
    }
    *count = next;
    *nuclei = ns_measure_end(&acc); /* labels 1..next measured; the rest (none made) stay empty */
    free(x0); free(x1); free(wx); free(row_a); free(row_b); free(hit); free(inside); free(interior);
    free(nearest); free(remap); free(cell_x); free(out);
    return NS_OK;
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

/* The image reduced by f (block means) into a new *reduced (the caller owns it, also
 * on failure), and its foreground into the new grid g. The one way every reduced grid
 * is made: the diameter glances and the working grid of large nuclei. */
static ns_status reduced_foreground(const grid_input *full_in, int f, double sigma, const ns_segment_params *p,
                                    double diameter, grid *g, float **reduced, ns_error *err)
{
    int w = full_in->img->width, h = full_in->img->height;
    int wr = (w + f - 1) / f, hr = (h + f - 1) / f;
    *reduced = malloc((size_t)wr * hr * sizeof **reduced);
    float *row = malloc((size_t)w * sizeof *row);
    if (!*reduced || !row) {
        free(row);
        memset(g, 0, sizeof *g);
        return ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for a %dx%d image", w, h);
    }
    ns_status st = grid_alloc(g, wr, hr, err);
    if (st == NS_OK) box_downsample(full_in, w, h, f, row, *reduced, wr, hr);
    free(row);
    grid_input in = {.floats = *reduced};
    return st == NS_OK ? foreground(&in, sigma, p, diameter, g, err) : st;
}

/* The diameter a grid reduced by f suggests, in full-resolution pixels (0: no object). */
static double grid_diameter(const grid *g, int f)
{
    double d = f * estimate_diameter(g->edt, g->comp, g->mask, g->w, (size_t)g->w * g->h, g->ncomp);
    /* Wider than the image: the foreground has (almost) no background in it, and its
     * distance transform measures the image, not a nucleus (a field of single bright
     * pixels blurs into one). No estimate, as with no object at all. */
    int side = (g->w < g->h ? g->w : g->h) * f;
    return d <= side ? d : 0.0;
}

/* A glance at quarter resolution (1/16 of the pixels, no smoothing beyond the
 * block means): the diameter it suggests, or 0. Cheap enough to run on every image
 * of unknown diameter; only large answers lead to the half-resolution look. */
static double quarter_look(const grid_input *full_in, const ns_segment_params *p)
{
    if ((full_in->img->width + 3) / 4 < 8 || (full_in->img->height + 3) / 4 < 8) return 0.0;
    grid q;
    float *nq = NULL;
    ns_error ignored;
    double d = reduced_foreground(full_in, 4, 0.0, p, 0.0, &q, &nq, &ignored) == NS_OK ? grid_diameter(&q, 4) : 0.0;
    grid_free(&q);
    free(nq);
    return d; /* out of memory: 0, and the full-resolution path measures instead */
}

/* Labels below 65536 as 16-bit, in a new buffer (a plain loop: vectorises, where an
 * in-place one would not); frees labels, or NULL when out of memory (labels kept). */
static uint16_t *narrow_labels(uint32_t *labels, size_t n)
{
    uint16_t *out = malloc((n ? n : 1) * sizeof *out);
    if (!out) return NULL;
    for (size_t i = 0; i < n; i++) out[i] = (uint16_t)labels[i];
    free(labels);
    return out;
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
    double t0 = now_ms();
    int w = img->width, h = img->height;
    size_t n = (size_t)w * (size_t)h;
    grid full = {0}, small = {0};
    /* With the diameter given, the normalised image is read once (by the blur at full
     * resolution, or by the block means of a reduced grid): that pass makes its rows
     * from the map as it goes, with no float copy, 4 bytes per pixel less to write,
     * read back and fault in. Estimating the diameter reads it up to four times
     * (glances at 1/4 and 1/2 resolution, one or two full-resolution foregrounds):
     * then one float copy is cheaper than remaking every row each time. */
    grid_input full_in = {.img = img};
    float *norm = NULL, *norm_s = NULL;
    uint32_t *labels = NULL;
    uint16_t *labels16 = NULL; /* instead of labels, when a banded split painted them so */
    ns_norm_map map;
    ns_status st;
    if ((st = ns_normalize_map(img, 0.5, 99.9, &map, err)) != NS_OK) goto fail;
    full_in.map = &map;
    if (p->diameter <= 0) {
        if (!(norm = malloc(n * sizeof *norm))) {
            st = ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for a %dx%d image", w, h);
            goto fail;
        }
        for (int y = 0; y < h; y++) ns_normalize_row(img, &map, y, norm + (size_t)y * w);
        full_in.floats = norm;
    }

    double d = p->diameter;
    double sigma = p->smooth_sigma >= 0 ? p->smooth_sigma : sigma_for(d > 0 ? d : DEFAULT_DIAMETER);
    int full_done = 0, half_done = 0; /* half_done: `small` holds the half-resolution foreground */
    if (d <= 0 && p->smooth_sigma < 0 && p->threshold == NS_THRESHOLD_OTSU && w / 2 >= 16 && h / 2 >= 16 &&
        quarter_look(&full_in, p) >= QUARTER_GATE_DIAMETER) {
        /* A first look at half resolution, which is also the working grid of nuclei of
         * 24-36 px: large nuclei are measured well there, and then the full-resolution
         * foreground below (only needed to measure them) is skipped, and for f = 2 the
         * half-resolution foreground is reused as it is. Smaller estimates are not
         * trusted; they are measured again at full resolution. */
        if ((st = reduced_foreground(&full_in, 2, HALF_SIGMA, p, 0.0, &small, &norm_s, err)) != NS_OK) goto fail;
        double dh = grid_diameter(&small, 2);
        if (dh >= HALF_TRUST_DIAMETER) {
            d = dh;
            sigma = sigma_for(d);
            full_done = 0;
            half_done = 1;
        } else {
            grid_free(&small);
            free(norm_s);
            norm_s = NULL;
        }
    }
    if (d <= 0) {
        /* Estimate the diameter from a first foreground at full resolution. */
        if ((st = grid_alloc(&full, w, h, err)) != NS_OK) goto fail;
        st = foreground(&full_in, sigma, p, d, &full, err);
        if (st != NS_OK) goto fail;
        d = grid_diameter(&full, 1);
        if (d <= 0) d = DEFAULT_DIAMETER;
        full_done = p->smooth_sigma >= 0 || fabs(sigma_for(d) - sigma) <= 0.25 * sigma;
        if (p->smooth_sigma < 0) sigma = sigma_for(d);
    }
    int f = d >= MIN_DOWNSAMPLE_DIAMETER ? (int)(d / WORKING_DIAMETER) : 1;
    if (f > 1 && (w / f < 16 || h / f < 16)) f = 1; /* too small to reduce */
    double min_dist = p->min_distance >= 0 ? p->min_distance : 0.3 * d;
    size_t count = 0;
    if (f == 1) {
        grid_free(&small); /* a half-resolution look, done with */
        free(norm_s);
        norm_s = NULL;
        if (!full.smooth && (st = grid_alloc(&full, w, h, err)) != NS_OK) goto fail;
        if (!full_done) {
            st = foreground(&full_in, sigma, p, d, &full, err);
            if (st != NS_OK) goto fail;
        }
        free(norm); /* done with: its memory serves the watershed */
        norm = NULL;
        full.measure = img;
        full.compact_labels = 1;
        if ((st = split_objects(&full, p, idle, d, min_dist, &count, err)) != NS_OK) goto fail;
        labels = full.labels;
        labels16 = full.labels16;
        full.labels = NULL; /* handed to the result */
        full.labels16 = NULL;
    } else {
        grid_free(&full);
        double ds = d / f;
        ns_segment_params ps = *p;
        if (ps.min_area >= 0) ps.min_area /= (double)f * f;
        if (ps.max_area > 0) ps.max_area /= (double)f * f;
        double sigma_s = p->smooth_sigma >= 0 ? p->smooth_sigma / f : sigma_for(ds);
        sigma = sigma_s * f;
        /* The half-resolution look is this grid's foreground when f = 2 at the same σ. */
        if (!(half_done && f == 2 && sigma_s == HALF_SIGMA)) {
            grid_free(&small);
            free(norm_s);
            if ((st = reduced_foreground(&full_in, f, sigma_s, &ps, ds, &small, &norm_s, err)) != NS_OK)
                goto fail;
        }
        size_t nsmall = 0;
        if ((st = split_objects(&small, &ps, idle, ds, min_dist / f, &nsmall, err)) != NS_OK) goto fail;
        /* Upsampling keeps or drops labels, never adds: 16-bit when the grid's fit. */
        int narrow = nsmall <= UINT16_MAX;
        void *up = narrow ? (void *)(labels16 = malloc(n * sizeof *labels16))
                          : (void *)(labels = malloc(n * sizeof *labels));
        if (!up) {
            st = ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for a %dx%d image", w, h);
            goto fail;
        }
        if ((st = upsample_labels(&small, norm_s, f, w, h, up, narrow ? 2 : 4, nsmall, img, &count, &full.nuclei,
                                  err)) != NS_OK)
            goto fail;
        full.thr = small.thr;
    }

    ns_nucleus *nuclei = full.nuclei; /* measured already by a banded split or the upsampling */
    full.nuclei = NULL;
    if (!nuclei && (st = ns_measure_nuclei(labels, img, count, &nuclei, err)) != NS_OK) goto fail;
    if (!labels16 && count <= UINT16_MAX) {
        /* Made 32-bit on the way (the whole-image split works in place; an upsampling
         * that dropped labels to 65,535 or fewer): stored as 16-bit like the others. */
        if (!(labels16 = narrow_labels(labels, n))) {
            st = ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for a %dx%d image", w, h);
            goto fail;
        }
        labels = NULL;
    }
    out->width = w;
    out->height = h;
    out->labels.width = w;
    out->labels.height = h;
    out->labels.type = labels16 ? NS_PIXEL_U16 : NS_PIXEL_U32;
    out->labels.data = labels16 ? (void *)labels16 : (void *)labels;
    out->count = count;
    out->nuclei = nuclei;
    out->diameter_used = d;
    out->sigma_used = sigma;
    out->threshold_used = full.thr;
    out->min_distance_used = min_dist;
    free(norm); free(norm_s);
    grid_free(&full);
    grid_free(&small);
    out->ms_total = now_ms() - t0;
    return NS_OK;
fail:
    free(norm); free(norm_s); free(labels); free(labels16);
    grid_free(&full);
    grid_free(&small);
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
