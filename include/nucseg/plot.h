/* plot.h — line charts as PNG and SVG (PLplot's cairo drivers).
 * Used by the scaling benchmark and the optimizer benchmark. */
#ifndef NUCSEG_PLOT_H
#define NUCSEG_PLOT_H

#include <stddef.h>
#include "nucseg/error.h"

typedef enum { NS_STYLE_LINE_POINTS = 0, NS_STYLE_DASHED = 1, NS_STYLE_POINTS = 2 } ns_series_style;

typedef struct {
    const char *label;      /* legend text */
    const double *x, *y;
    size_t n;
    ns_series_style style;
    const double *y_lo, *y_hi; /* optional error bars (min/max); may be NULL */
} ns_series;

typedef struct {
    const char *title;
    const char *xlabel;
    const char *ylabel;
    int logx, logy;
    /* Additions (zero = previous behaviour): */
    int y_from_zero;        /* linear y axis: start at 0 (speedups, efficiencies, throughputs) */
    double x_tick;          /* major tick spacing on a linear x axis; 0 = automatic */
} ns_plot_spec;

/* Writes <path_base>.png and <path_base>.svg (800x600, white background), atomically.
 * Each call uses its own PLplot stream, so it may be called any number of times in one
 * process, and prints nothing. Non-finite points (NAN: "not measured") are not drawn and
 * series with nothing to draw are left out of the legend; values <= 0 on a log axis are
 * an error (NS_ERR_INVALID), and so is a plot with nothing to draw (NS_ERR_EMPTY). */
ns_status ns_plot_lines(const char *path_base, const ns_plot_spec *spec,
                        const ns_series *series, size_t nseries, ns_error *err);

#endif
