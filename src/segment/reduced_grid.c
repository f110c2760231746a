/* reduced_grid.c — the reduced grid of large nuclei: the image as block means, and
 * the labels found there drawn back at full resolution (see reduced_grid.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "segment/mask_runs.h"
#include "segment/measure.h"
#include "segment/reduced_grid.h"

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
            const float *restrict r = ns_grid_input_row(in, w, y, row);
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

/* For each output column x: the reduced columns x0[x], x1[x] it lies between, its
 * weight wx[x] towards x1, and its cell cell_x[x] = x / f (no division per pixel). */
static void column_weights(int w, int ws, int f, int *x0, int *x1, float *wx, int *cell_x)
{
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
}

/* A cell is interior when its 4 neighbours carry its label: no threshold test
 * there, so dim nucleoli stay inside their nucleus. A labelled cell is its own
 * nearest label; an unlabelled one's is looked up when first needed. */
static void interior_cells(const uint32_t *L, int ws, int hs, uint8_t *interior, uint32_t *nearest)
{
    for (int y = 0; y < hs; y++)
        for (int x = 0; x < ws; x++) {
            size_t i = (size_t)y * ws + x;
            uint32_t l = L[i];
            interior[i] = l && x > 0 && x < ws - 1 && y > 0 && y < hs - 1 && L[i - 1] == l && L[i + 1] == l &&
                          L[i - ws] == l && L[i + ws] == l;
            nearest[i] = l ? l : NEAR_UNKNOWN;
        }
}

/* The label of the first labelled cell among the 8 neighbours of cell (cx, cy), or 0. */
static uint32_t neighbour_label(const uint32_t *L, int ws, int hs, int cx, int cy)
{
    static const int dx[8] = {-1, 1, 0, 0, -1, 1, -1, 1}, dy[8] = {0, 0, -1, 1, -1, -1, 1, 1};
    uint32_t l = 0;
    for (int k = 0; k < 8 && !l; k++) {
        int xx = cx + dx[k], yy = cy + dy[k];
        if (xx >= 0 && yy >= 0 && xx < ws && yy < hs) l = L[(size_t)yy * ws + xx];
    }
    return l;
}

ns_status ns_upsample_labels(const grid *g, const float *intensity, int f, int w, int h, void *labels,
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
    column_weights(w, ws, f, x0, x1, wx, cell_x);
    const uint32_t *L = g->labels;
    interior_cells(L, ws, hs, interior, nearest);
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
                if (l == NEAR_UNKNOWN) /* boundary pixel whose cell fell outside */
                    l = nearest[c] = neighbour_label(L, ws, hs, cell_x[x], cy);
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

ns_status ns_reduced_foreground(const grid_input *full_in, int f, double sigma, const ns_segment_params *p,
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
    ns_status st = ns_grid_alloc(g, wr, hr, err);
    if (st == NS_OK) box_downsample(full_in, w, h, f, row, *reduced, wr, hr);
    free(row);
    grid_input in = {.floats = *reduced};
    return st == NS_OK ? ns_grid_foreground(&in, sigma, p, diameter, g, err) : st;
}
