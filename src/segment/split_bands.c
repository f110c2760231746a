/* split_bands.c — the seeds, watershed and merging of a whole image, run on a few
 * components at a time.
 *
 * Those three jump around the image (seed lists sorted by height, a flood that follows
 * the landscape, a region graph): over a 1024² image their four arrays are 13 MB, more
 * than a core's L2 and, with two workers, more than their share of the L3. A band is
 * the components whose first row falls in the next few dozen rows, cropped to the rows
 * they span plus one above and below (full width); other components in those rows
 * are background there. The crop is painted from the components' runs, so no
 * image-sized component or distance image is ever made, and its arrays take about
 * 2 MB.
 *
 * Why the result is exactly the whole-image result:
 * - Distance: for a pixel p of component C at distance d from the background, every
 *   pixel strictly inside the disk of radius d around p is foreground and 4-connected
 *   to p, so it is in C: a pixel of any other component is at least d away, and the
 *   nearest background pixel (4-adjacent to a pixel of C) lies in C's rows ± 1, which
 *   the crop holds. The crop's rows above and below hold no pixel of the band.
 * - Seeds: components are 8-connected, so a pixel's 8-neighbours are its component's
 *   or background, as in the whole image; thinning only compares seeds of one component.
 * - Watershed and merging: components never touch, so each is flooded and merged on its
 *   own; seeds, edges and regions of one component keep their relative order (height,
 *   then raster order), which is all the tie-breaking reads.
 * - Numbering: a last pass renumbers 1..N in raster order of first pixel. */
#include <stdlib.h>
#include <string.h>
#include "nucseg/imgproc.h"
#include "segment/distance.h"
#include "segment/mask_runs.h"
#include "segment/measure.h"
#include "segment/split_bands.h"
#include "segment/watershed.h"
#include "util/par_for.h"

/* Bytes per pixel of a crop: mask 1, components 4, landscape 4, labels 4. A band of
 * about 2 MB: within a worker's share of a shared L3 (on this 2-core VM 32 MB for two;
 * on a 16-core machine about 2 MB per core), and tall enough that the rows repeated in
 * the next band (the height of the components that cross into it) stay a small part.
 * Measured against the whole-image split (bench_pool, 64 1024² fields, 512 KB to 4 MB
 * bands): 2 MB was as fast with 1 worker and about 7 % faster with 2; smaller bands
 * repeat more rows, larger ones share the cache worse. */
#define CROP_BYTES_PER_PX 13u
#define BAND_BYTES (2u << 20)
#define MIN_BAND_ROWS 8

static size_t band_rows(int w)
{
    size_t rows = BAND_BYTES / (CROP_BYTES_PER_PX * (size_t)w);
    return rows < MIN_BAND_ROWS ? MIN_BAND_ROWS : rows;
}

int ns_split_use_bands(int w, int h)
{
    /* Below two bands' worth the crops would only add copying. */
    return w > 0 && (size_t)h > 2 * band_rows(w);
}

typedef struct {
    uint8_t *mask;
    uint32_t *comp, *labels;
    float *height;
    size_t cap; /* pixels */
} crop_buffers;

static int crop_reserve(crop_buffers *c, size_t n)
{
    if (n <= c->cap) return 0;
    free(c->mask); free(c->comp); free(c->labels); free(c->height);
    c->mask = malloc(n);
    c->comp = malloc(n * sizeof *c->comp);
    c->labels = malloc(n * sizeof *c->labels);
    c->height = malloc(n * sizeof *c->height);
    c->cap = n;
    return c->mask && c->comp && c->labels && c->height ? 0 : -1;
}

static void crop_free(crop_buffers *c)
{
    free(c->mask); free(c->comp); free(c->labels); free(c->height);
    memset(c, 0, sizeof *c);
}

/* First and last row of every component, from its runs. */
static void component_rows(const ns_component_runs *cr, int h, uint32_t *top, uint32_t *bottom)
{
    memset(top, 0xff, (cr->count + 1) * sizeof *top);
    for (int y = 0; y < h; y++)
        for (size_t i = cr->runs.row_start[y]; i < cr->runs.row_start[y + 1]; i++) {
            uint32_t c = cr->id[i];
            if (top[c] == UINT32_MAX) top[c] = (uint32_t)y;
            bottom[c] = (uint32_t)y;
        }
}

/* Components lo..hi (crop rows y0..y0+rows-1) split into labels, left in c->labels
 * (1..*count, 0 elsewhere). */
static ns_status split_band(const ns_split_input *in, uint32_t lo, uint32_t hi, int y0, int rows,
                            crop_buffers *c, size_t *count, ns_error *err)
{
    const int w = in->w;
    const size_t n = (size_t)rows * w, off = (size_t)y0 * w;
    const ns_component_runs *cr = in->comp;
    uint8_t *cm = c->mask;
    uint32_t *cc = c->comp;
    /* Components lo..hi become 1..hi-lo+1; everything else is background. Each row is
     * written once, gaps and runs in turn. */
    for (int y = 0; y < rows; y++) {
        uint8_t *m = cm + (size_t)y * w;
        uint32_t *l = cc + (size_t)y * w;
        int x = 0;
        for (size_t i = cr->runs.row_start[y0 + y]; i < cr->runs.row_start[y0 + y + 1]; i++) {
            uint32_t id = cr->id[i];
            if (id < lo || id > hi) continue;
            int x0 = cr->runs.span[i].x0, x1 = cr->runs.span[i].x1;
            memset(m + x, 0, (size_t)(x0 - x));
            memset(l + x, 0, (size_t)(x0 - x) * sizeof *l);
            memset(m + x0, 1, (size_t)(x1 - x0 + 1));
            for (int k = x0; k <= x1; k++) l[k] = id - lo + 1;
            x = x1 + 1;
        }
        memset(m + x, 0, (size_t)(w - x));
        memset(l + x, 0, (size_t)(w - x) * sizeof *l);
    }
    ns_status st;
    if (in->landscape) {
        const float *restrict lg = in->landscape + off;
        float *restrict ch = c->height;
        for (size_t i = 0; i < n; i++) ch[i] = cm[i] ? lg[i] : 0.0f;
    } else if ((st = ns_distance_transform_weighted(cm, w, rows, in->weight ? in->weight + off : NULL, in->scale,
                                                    c->height, err)) != NS_OK) {
        return st;
    }
    size_t nseeds = 0;
    if ((st = ns_find_seeds(c->height, cc, w, rows, in->min_distance, c->labels, &nseeds, err)) != NS_OK)
        return st;
    if ((st = ns_watershed_markers_in_mask(c->height, cm, cc, hi - lo + 1, c->labels, w, rows, c->labels, 1,
                                           err)) != NS_OK)
        return st;
    return ns_merge_regions(c->labels, c->height, w, rows, nseeds, in->h_abs, in->h_rel, in->min_area,
                            in->max_area, count, err);
}

/* The labels of the band's pixels (components lo..hi, crop rows from y0), run by run
 * into packed from pos on, each run's start in run_start; the band's own labels
 * 1..count (0: dropped). Kept packed until every band is done: the label image is then
 * written once, in raster order (paint_labels). */
static void pack_band(const ns_component_runs *cr, const uint32_t *crop_labels, int w, int y0, int rows,
                      uint32_t lo, uint32_t hi, uint32_t *packed, size_t pos, size_t *run_start)
{
    for (int y = 0; y < rows; y++)
        for (size_t i = cr->runs.row_start[y0 + y]; i < cr->runs.row_start[y0 + y + 1]; i++) {
            uint32_t id = cr->id[i];
            if (id < lo || id > hi) continue;
            const uint32_t *restrict l = crop_labels + (size_t)y * w;
            uint32_t *restrict o = packed + pos;
            int x0 = cr->runs.span[i].x0, x1 = cr->runs.span[i].x1;
            memcpy(o, l + x0, (size_t)(x1 - x0 + 1) * sizeof *o);
            run_start[i] = pos;
            pos += (size_t)(x1 - x0 + 1);
        }
}

/* The label image from the packed labels, numbered 1..N in raster order of first
 * pixel: a band's label v is provisional label base[component] + v (the bands
 * numbered theirs one after the other), and remap[provisional] is set when a label is
 * first met. Labels of `bytes` bytes each (2: the caller knows N <= 65535). With acc,
 * each run of one label is measured as it is painted (raster order, maximal runs: what
 * ns_measure_nuclei would find in the image). */
static void paint_labels(const ns_component_runs *cr, int w, int h, const uint32_t *packed,
                         const size_t *run_start, const uint32_t *base, uint32_t *remap, void *labels, int bytes,
                         ns_measure_acc *acc)
{
    uint32_t next = 0;
    for (int y = 0; y < h; y++) {
        unsigned char *l = (unsigned char *)labels + (size_t)y * w * bytes;
        int x = 0;
        for (size_t i = cr->runs.row_start[y]; i < cr->runs.row_start[y + 1]; i++) {
            int x0 = cr->runs.span[i].x0, x1 = cr->runs.span[i].x1;
            memset(l + (size_t)x * bytes, 0, (size_t)(x0 - x) * bytes); /* the gap before the run */
            const uint32_t *p = packed + run_start[i] - x0;
            const uint32_t b = base[cr->id[i]];
            for (int k = x0; k <= x1;) {
                /* A stretch of one band label is a stretch of one final label. */
                const uint32_t v = p[k], g = v ? b + v : 0;
                if (g && !remap[g]) remap[g] = ++next;
                const uint32_t f = remap[g]; /* remap[0] = 0 */
                int s = k;
                while (k <= x1 && p[k] == v) k++;
                ns_label_fill(l, bytes, s, k - 1, f);
                if (f && acc) ns_measure_add_run(acc, f, s, k - 1, y);
            }
            x = x1 + 1;
        }
        memset(l + (size_t)x * bytes, 0, (size_t)(w - x) * bytes);
    }
}

ns_status ns_split_in_bands(const ns_split_input *in, ns_split_bands *out, ns_error *err)
{
    return ns_split_in_bands_of(in, band_rows(in->w), out, err);
}

/* A band: components lo..hi, crop rows y0..y0+rows-1, its pixels' labels from pos on
 * in the packed labels, and how many labels it made. */
typedef struct {
    uint32_t lo, hi;
    int y0, rows;
    size_t pos, count;
} band;

typedef struct {
    const ns_split_input *in;
    band *bands;
    ns_split_bands *out;
    crop_buffers crops[NS_PAR_SLOTS]; /* one per thread */
} band_loop;

static ns_status split_one_band(void *ctx, size_t k, int slot, ns_error *err)
{
    band_loop *bl = ctx;
    band *b = &bl->bands[k];
    crop_buffers *c = &bl->crops[slot];
    const int w = bl->in->w;
    if (crop_reserve(c, (size_t)b->rows * w) != 0)
        return ns_error_set(err, NS_ERR_NOMEM, "split: out of memory for a %dx%d band", w, b->rows);
    ns_status st = split_band(bl->in, b->lo, b->hi, b->y0, b->rows, c, &b->count, err);
    if (st == NS_OK)
        pack_band(bl->in->comp, c->labels, w, b->y0, b->rows, b->lo, b->hi, bl->out->packed, b->pos,
                  bl->out->run_start);
    return st;
}

/* The bands: components whose first rows span rows_per_band rows, cropped to the rows
 * they span plus one above and below. *nbands of them, in a new array; *npx: the
 * foreground's pixels (the packed labels' length). */
static band *make_bands(const ns_component_runs *cr, int h, size_t rows_per_band, size_t *nbands, size_t *npx)
{
    const size_t ncomp = cr->count, nruns = cr->runs.count;
    uint32_t *top = malloc((ncomp + 1) * sizeof *top), *bottom = malloc((ncomp + 1) * sizeof *bottom);
    size_t *px = calloc(ncomp + 1, sizeof *px); /* pixels per component */
    band *bands = malloc((ncomp ? ncomp : 1) * sizeof *bands);
    if (!top || !bottom || !px || !bands) {
        free(top); free(bottom); free(px); free(bands);
        return NULL;
    }
    component_rows(cr, h, top, bottom);
    for (size_t i = 0; i < nruns; i++) px[cr->id[i]] += (size_t)(cr->runs.span[i].x1 - cr->runs.span[i].x0 + 1);
    size_t nb = 0, pos = 0;
    for (size_t lo = 1; lo <= ncomp;) {
        /* Components are numbered by first pixel, so their top rows never decrease. */
        size_t hi = lo;
        uint32_t last = bottom[lo];
        size_t npx = px[lo];
        while (hi < ncomp && top[hi + 1] < top[lo] + rows_per_band) {
            hi++;
            last = bottom[hi] > last ? bottom[hi] : last;
            npx += px[hi];
        }
        int y0 = top[lo] > 0 ? (int)top[lo] - 1 : 0;
        int y1 = (int)last + 1 < h ? (int)last + 1 : h - 1;
        bands[nb++] = (band){.lo = (uint32_t)lo, .hi = (uint32_t)hi, .y0 = y0, .rows = y1 - y0 + 1, .pos = pos};
        pos += npx;
        lo = hi + 1;
    }
    free(top); free(bottom); free(px);
    *nbands = nb;
    *npx = pos;
    return bands;
}

ns_status ns_split_in_bands_of(const ns_split_input *in, size_t rows_per_band, ns_split_bands *out, ns_error *err)
{
    const ns_component_runs *cr = in->comp;
    const size_t ncomp = cr->count, nruns = cr->runs.count;
    if (rows_per_band < 1) rows_per_band = 1;
    memset(out, 0, sizeof *out);
    out->comp = cr;
    out->w = in->w;
    out->h = in->h;
    size_t nbands = 0, npx = 0;
    band_loop bl = {.in = in, .out = out, .bands = make_bands(cr, in->h, rows_per_band, &nbands, &npx)};
    out->packed = malloc((npx ? npx : 1) * sizeof *out->packed);
    out->run_start = malloc((nruns ? nruns : 1) * sizeof *out->run_start);
    out->base = malloc((ncomp + 1) * sizeof *out->base);
    ns_status st = NS_OK;
    if (!bl.bands || !out->packed || !out->run_start || !out->base) {
        st = ns_error_set(err, NS_ERR_NOMEM, "split: out of memory (%zu components)", ncomp);
        goto done;
    }
    /* Bands are independent until their labels are numbered, below. */
    if ((st = ns_par_for(nbands, split_one_band, &bl, in->idle, NULL, err)) != NS_OK) goto done;
    size_t total = 0;
    for (size_t k = 0; k < nbands; k++) {
        for (uint32_t c = bl.bands[k].lo; c <= bl.bands[k].hi; c++) out->base[c] = (uint32_t)total;
        total += bl.bands[k].count;
    }
    out->count = total;
done:
    free(bl.bands);
    for (int s = 0; s < NS_PAR_SLOTS; s++) crop_free(&bl.crops[s]);
    if (st != NS_OK) ns_split_bands_free(out);
    return st;
}

ns_status ns_split_bands_paint(const ns_split_bands *s, void *labels, ns_pixel_type type, const ns_image *measure,
                               ns_nucleus **nuclei, ns_error *err)
{
    if (nuclei) *nuclei = NULL;
    if (!(type == NS_PIXEL_U32 || (type == NS_PIXEL_U16 && s->count <= UINT16_MAX)))
        return ns_error_set(err, NS_ERR_INVALID, "split: %zu labels do not fit %s pixels", s->count,
                            ns_pixel_type_name(type));
    uint32_t *remap = calloc(s->count + 1, sizeof *remap);
    if (!remap) return ns_error_set(err, NS_ERR_NOMEM, "split: out of memory (%zu labels)", s->count);
    ns_measure_acc acc;
    ns_status st;
    if (nuclei && (st = ns_measure_begin(&acc, measure, s->count, err)) != NS_OK) {
        free(remap);
        return st;
    }
    paint_labels(s->comp, s->w, s->h, s->packed, s->run_start, s->base, remap, labels, (int)ns_pixel_size(type),
                 nuclei ? &acc : NULL);
    if (nuclei) *nuclei = ns_measure_end(&acc);
    free(remap);
    return NS_OK;
}

void ns_split_bands_free(ns_split_bands *s)
{
    free(s->packed);
    free(s->run_start);
    free(s->base);
    memset(s, 0, sizeof *s);
}
