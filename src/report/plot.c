/* plot.c — line charts (title, axis labels, ticks, grid, legend, error bars, log axes,
 * dashed reference lines) rendered by PLplot's pngcairo and svgcairo devices.
 *
 * PLplot keeps global state per "stream": every rendering creates its own stream
 * (plmkstrm) and ends it (plend1), then restores the caller's stream, so plots can be
 * made any number of times in one process without leaking settings between them. */
#include "nucseg/plot.h"

#include <errno.h>
#include <math.h>
#include <plplot/plplot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nucseg/fsutil.h"

enum { PLOT_W = 800, PLOT_H = 600 };
enum { COL_BG = 0, COL_FG = 1, COL_GRID = 2, COL_SERIES0 = 3 };

/* Colour map 0: white background, black axes, light grid, then a colour-blind-aware
 * series palette (Tableau 10). */
static const PLINT pal_r[] = {255, 0, 215, 31, 255, 44, 214, 148, 140, 227, 127, 188, 23};
static const PLINT pal_g[] = {255, 0, 215, 119, 127, 160, 39, 103, 86, 119, 127, 189, 190};
static const PLINT pal_b[] = {255, 0, 215, 180, 14, 44, 40, 189, 75, 194, 127, 34, 207};
#define N_PALETTE ((int)(sizeof pal_r / sizeof pal_r[0]))
#define N_SERIES_COLOURS (N_PALETTE - COL_SERIES0)

/* UTF-8 markers, drawn with plstring so the legend can show the very same glyphs. */
static const char *const markers[] = {"●", "■", "▲", "◆", "▼", "○", "□", "△"};
#define N_MARKERS ((int)(sizeof markers / sizeof markers[0]))

/* One series after filtering non-finite points and taking logs for log axes. */
typedef struct {
    PLFLT *x, *y, *lo, *hi; /* lo/hi NULL when the series has no error bars */
    PLINT n;
    int index;              /* position in the caller's array (colour, marker) */
} drawn_series;

typedef struct {
    drawn_series *s;
    size_t count;
    PLFLT xmin, xmax, ymin, ymax;
    int legend_position;
} prepared_plot;

static void prepared_free(prepared_plot *p)
{
    for (size_t i = 0; i < p->count; i++) {
        free(p->s[i].x);
        free(p->s[i].y);
        free(p->s[i].lo);
        free(p->s[i].hi);
    }
    free(p->s);
    memset(p, 0, sizeof *p);
}

static int axis_value(double v, int logaxis, PLFLT *out)
{
    if (!isfinite(v)) return 0;
    if (logaxis) {
        if (v <= 0) return -1;
        *out = log10(v);
    } else {
        *out = v;
    }
    return 1;
}

/* Filter and transform the caller's series; compute data ranges. */
static ns_status prepare(const char *base, const ns_plot_spec *spec, const ns_series *series,
                         size_t nseries, prepared_plot *p, ns_error *err)
{
    memset(p, 0, sizeof *p);
    p->s = calloc(nseries ? nseries : 1, sizeof *p->s);
    if (!p->s) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", base);
    p->xmin = p->ymin = INFINITY;
    p->xmax = p->ymax = -INFINITY;
    for (size_t k = 0; k < nseries; k++) {
        const ns_series *in = &series[k];
        if (in->n == 0) continue;
        if (!in->x || !in->y)
            return ns_error_set(err, NS_ERR_INVALID, "%s: series %zu has no data arrays", base, k);
        drawn_series *d = &p->s[p->count];
        int bars = in->y_lo && in->y_hi;
        d->x = malloc(in->n * sizeof *d->x);
        d->y = malloc(in->n * sizeof *d->y);
        if (bars) {
            d->lo = malloc(in->n * sizeof *d->lo);
            d->hi = malloc(in->n * sizeof *d->hi);
        }
        d->index = (int)k;
        p->count++; /* owned from here on, freed by prepared_free */
        if (!d->x || !d->y || (bars && (!d->lo || !d->hi)))
            return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", base);
        for (size_t i = 0; i < in->n; i++) {
            PLFLT x = 0, y = 0, lo = 0, hi = 0;
            int ax = axis_value(in->x[i], spec->logx, &x);
            int ay = axis_value(in->y[i], spec->logy, &y);
            if (ax < 0 || ay < 0)
                return ns_error_set(err, NS_ERR_INVALID, "%s: series '%s' has a value <= 0 on a log axis",
                                    base, in->label ? in->label : "");
            if (!ax || !ay) continue; /* not measured: leave a gap */
            if (bars) {
                int al = axis_value(in->y_lo[i], spec->logy, &lo);
                int ah = axis_value(in->y_hi[i], spec->logy, &hi);
                if (al <= 0 || ah <= 0) lo = hi = y; /* no usable bar for this point */
            }
            PLINT j = d->n++;
            d->x[j] = x;
            d->y[j] = y;
            if (bars) {
                d->lo[j] = lo;
                d->hi[j] = hi;
            }
            p->xmin = fmin(p->xmin, x);
            p->xmax = fmax(p->xmax, x);
            p->ymin = fmin(p->ymin, fmin(y, bars ? lo : y));
            p->ymax = fmax(p->ymax, fmax(y, bars ? hi : y));
        }
        if (d->n == 0) { /* nothing drawable: drop it (and from the legend) */
            free(d->x);
            free(d->y);
            free(d->lo);
            free(d->hi);
            memset(d, 0, sizeof *d);
            p->count--;
        }
    }
    if (p->count == 0) return ns_error_set(err, NS_ERR_EMPTY, "%s: nothing to plot", base);
    return NS_OK;
}

/* Pad the data ranges so markers do not sit on the frame. */
static void set_ranges(const ns_plot_spec *spec, prepared_plot *p)
{
    if (spec->y_from_zero && !spec->logy && p->ymin > 0) p->ymin = 0;
    double dx = p->xmax - p->xmin, dy = p->ymax - p->ymin;
    if (dx <= 0) dx = spec->logx ? 0.5 : (fabs(p->xmax) > 0 ? fabs(p->xmax) * 0.5 : 1.0);
    if (dy <= 0) dy = spec->logy ? 0.5 : (fabs(p->ymax) > 0 ? fabs(p->ymax) * 0.5 : 1.0);
    p->xmin -= 0.05 * dx;
    p->xmax += 0.05 * dx;
    if (!(spec->y_from_zero && !spec->logy && p->ymin == 0)) p->ymin -= 0.05 * dy;
    p->ymax += 0.08 * dy;
}

/* Put the legend in the corner of the plot that covers the fewest data (points and the
 * segments between them, sampled), so it rarely hides a curve. */
static void choose_legend_corner(prepared_plot *p)
{
    static const int corners[4] = {
        PL_POSITION_TOP | PL_POSITION_LEFT, PL_POSITION_TOP | PL_POSITION_RIGHT,
        PL_POSITION_BOTTOM | PL_POSITION_RIGHT, PL_POSITION_BOTTOM | PL_POSITION_LEFT};
    size_t hits[4] = {0, 0, 0, 0};
    double w = p->xmax - p->xmin, h = p->ymax - p->ymin;
    for (size_t k = 0; k < p->count; k++) {
        const drawn_series *d = &p->s[k];
        for (PLINT i = 0; i < d->n; i++) {
            int steps = i + 1 < d->n ? 10 : 1;
            for (int t = 0; t < steps; t++) {
                double f = (double)t / 10.0;
                double x = d->x[i] + (i + 1 < d->n ? f * (d->x[i + 1] - d->x[i]) : 0);
                double y = d->y[i] + (i + 1 < d->n ? f * (d->y[i + 1] - d->y[i]) : 0);
                double u = (x - p->xmin) / w, v = (y - p->ymin) / h;
                if (v > 0.62 && u < 0.48) hits[0]++;
                if (v > 0.62 && u > 0.52) hits[1]++;
                if (v < 0.38 && u > 0.52) hits[2]++;
                if (v < 0.38 && u < 0.48) hits[3]++;
            }
        }
    }
    int best = 0;
    for (int c = 1; c < 4; c++)
        if (hits[c] < hits[best]) best = c;
    p->legend_position = corners[best];
}

static void draw_legend(const ns_series *series, const prepared_plot *p)
{
    PLINT n = (PLINT)p->count;
    PLINT *opt = calloc((size_t)n, sizeof *opt), *col = calloc((size_t)n, sizeof *col);
    PLINT *lsty = calloc((size_t)n, sizeof *lsty), *nsym = calloc((size_t)n, sizeof *nsym);
    PLFLT *lw = calloc((size_t)n, sizeof *lw), *ssc = calloc((size_t)n, sizeof *ssc);
    const char **text = calloc((size_t)n, sizeof *text), **sym = calloc((size_t)n, sizeof *sym);
    if (opt && col && lsty && nsym && lw && ssc && text && sym) {
        for (PLINT i = 0; i < n; i++) {
            const ns_series *s = &series[p->s[i].index];
            int idx = p->s[i].index;
            col[i] = COL_SERIES0 + idx % N_SERIES_COLOURS;
            text[i] = s->label ? s->label : "";
            sym[i] = markers[idx % N_MARKERS];
            lw[i] = 2.0;
            ssc[i] = 1.0;
            nsym[i] = 1;
            lsty[i] = s->style == NS_STYLE_DASHED ? 2 : 1;
            opt[i] = s->style == NS_STYLE_DASHED ? PL_LEGEND_LINE
                   : s->style == NS_STYLE_POINTS ? PL_LEGEND_SYMBOL
                                                 : PL_LEGEND_LINE | PL_LEGEND_SYMBOL;
        }
        PLFLT lwidth, lheight;
        pllsty(1);
        pllegend(&lwidth, &lheight, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
                 PL_POSITION_INSIDE | p->legend_position, 0.02, 0.02, 0.08, COL_BG, COL_FG, 1,
                 0, 0, n, opt, 0.8, 0.85, 2.0, 0.0, col, (PLCHAR_MATRIX)text,
                 NULL, NULL, NULL, NULL, col, lsty, lw, col, ssc, nsym, (PLCHAR_MATRIX)sym);
    }
    free(opt); free(col); free(lsty); free(nsym); free(lw); free(ssc); free(text); free(sym);
}

/* Render the whole chart into `file` with the given PLplot device. */
static void render(const char *device, const char *file, const ns_plot_spec *spec,
                   const ns_series *series, const prepared_plot *p)
{
    PLINT caller_stream, stream;
    plgstrm(&caller_stream);
    plmkstrm(&stream);
    plsdev(device);
    plsfnam(file);
    plspage(0, 0, PLOT_W, PLOT_H, 0, 0);
    plscmap0(pal_r, pal_g, pal_b, N_PALETTE);
    plinit();
    pladv(0);
    plschr(0, 1.05);
    plvpor(0.11, 0.96, 0.11, 0.91);
    plwind(p->xmin, p->xmax, p->ymin, p->ymax);

    char xopt[16] = "bcnst", yopt[16] = "bcnstv";
    if (spec->logx) strcat(xopt, "l");
    if (spec->logy) strcat(yopt, "l");
    double xtick = (!spec->logx && spec->x_tick > 0) ? spec->x_tick : 0;
    /* light dotted grid under the data, then the black frame, ticks and labels */
    plcol0(COL_GRID);
    plwidth(1.0);
    pllsty(3);
    plbox(spec->logx ? "gl" : "g", xtick, 0, spec->logy ? "gl" : "g", 0, 0);
    pllsty(1);
    plcol0(COL_FG);
    plbox(xopt, xtick, xtick > 0 ? 1 : 0, yopt, 0, 0);
    pllab(spec->xlabel ? spec->xlabel : "", spec->ylabel ? spec->ylabel : "", "");
    plschr(0, 1.35);
    plmtex("t", 1.6, 0.5, 0.5, spec->title ? spec->title : "");
    plschr(0, 1.05);

    for (size_t k = 0; k < p->count; k++) {
        const drawn_series *d = &p->s[k];
        const ns_series *s = &series[d->index];
        plcol0(COL_SERIES0 + d->index % N_SERIES_COLOURS);
        if (d->lo) {
            plwidth(1.5);
            pllsty(1);
            plerry(d->n, d->x, d->lo, d->hi);
        }
        if (s->style != NS_STYLE_POINTS && d->n > 1) {
            plwidth(2.0);
            pllsty(s->style == NS_STYLE_DASHED ? 2 : 1);
            plline(d->n, d->x, d->y);
        }
        pllsty(1);
        if (s->style != NS_STYLE_DASHED || d->n == 1) plstring(d->n, d->x, d->y, markers[d->index % N_MARKERS]);
    }
    plwidth(1.0);
    draw_legend(series, p);
    plend1();
    plsstrm(caller_stream);
}

/* Render one format to a temporary sibling, then rename it over the final name. */
static ns_status render_file(const char *base, const char *ext, const char *device,
                             const ns_plot_spec *spec, const ns_series *series,
                             const prepared_plot *p, ns_error *err)
{
    size_t len = strlen(base) + strlen(ext) + 1;
    char *final_path = malloc(len);
    if (!final_path) return ns_error_set(err, NS_ERR_NOMEM, "%s%s: out of memory", base, ext);
    snprintf(final_path, len, "%s%s", base, ext);
    char tmp[4096];
    ns_status st = ns_tmp_path(final_path, tmp, sizeof tmp, err);
    if (st) { free(final_path); return st; }
    /* PLplot prompts on stdin and exits when it cannot open its output file: make sure
     * it can before handing it the name. */
    FILE *probe = fopen(tmp, "wb");
    if (!probe) {
        st = ns_error_set(err, NS_ERR_IO, "%s: cannot create: %s", final_path, strerror(errno));
        free(final_path);
        return st;
    }
    fclose(probe);
    fflush(stdout);
    render(device, tmp, spec, series, p);
    struct stat sb;
    if (stat(tmp, &sb) != 0 || sb.st_size == 0) {
        unlink(tmp);
        st = ns_error_set(err, NS_ERR_IO, "%s: the %s device wrote nothing", final_path, device);
    } else {
        st = ns_commit_file(tmp, final_path, err);
    }
    free(final_path);
    return st;
}

ns_status ns_plot_lines(const char *path_base, const ns_plot_spec *spec,
                        const ns_series *series, size_t nseries, ns_error *err)
{
    if (!path_base || !spec || (nseries && !series))
        return ns_error_set(err, NS_ERR_INVALID, "plot: missing output name, spec or series");
    prepared_plot p;
    ns_status st = prepare(path_base, spec, series, nseries, &p, err);
    if (st == NS_OK) {
        set_ranges(spec, &p);
        choose_legend_corner(&p);
        st = render_file(path_base, ".png", "pngcairo", spec, series, &p, err);
        if (st == NS_OK) st = render_file(path_base, ".svg", "svgcairo", spec, series, &p, err);
    }
    prepared_free(&p);
    return st;
}

/* LeakSanitizer hook (only consulted in sanitizer builds): fontconfig, which PLplot's cairo
 * driver reaches through pango, keeps its configuration and font cache for the life of
 * the process by design. Those blocks are not ours to free, so they are not reported.
 * Weak, so that a program can supply its own list instead. */
__attribute__((weak)) const char *__lsan_default_suppressions(void);
__attribute__((weak)) const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}
/* ... and the list of matched suppressions is not printed at exit. */
__attribute__((weak)) const char *__lsan_default_options(void);
__attribute__((weak)) const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}
