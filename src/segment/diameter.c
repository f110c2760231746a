/* diameter.c — the nucleus diameter, when none is given.
 *
 * d = twice the median over objects of their largest inscribed radius. ns_segment
 * measures it first at 1/4 resolution (a glance, ~1/16 of the work); when that
 * suggests nuclei of 18 px or more, at 1/2 resolution, trusted from 22.5 px (and
 * reused as the working grid when d is 24-36 px); otherwise on the full-resolution
 * foreground, which the pipeline needs anyway for small nuclei. */
#include <stdlib.h>
#include "segment/diameter.h"
#include "segment/mask_runs.h"
#include "segment/reduced_grid.h"

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

/* The diameter a grid reduced by f suggests, in full-resolution pixels (0: no object). */
double ns_grid_diameter(const grid *g, int f)
{
    double d = f * estimate_diameter(g->edt, g->comp, g->mask, g->w, (size_t)g->w * g->h, g->ncomp);
    /* Wider than the image: the foreground has (almost) no background in it, and its
     * distance transform measures the image, not a nucleus (a field of single bright
     * pixels blurs into one). No estimate, as with no object at all. */
    int side = (g->w < g->h ? g->w : g->h) * f;
    return d <= side ? d : 0.0;
}

double ns_quarter_look(const grid_input *full_in, const ns_segment_params *p)
{
    if ((full_in->img->width + 3) / 4 < 8 || (full_in->img->height + 3) / 4 < 8) return 0.0;
    grid q;
    float *nq = NULL;
    ns_error ignored;
    double d = ns_reduced_foreground(full_in, 4, 0.0, p, 0.0, &q, &nq, &ignored) == NS_OK ? ns_grid_diameter(&q, 4) : 0.0;
    ns_grid_free(&q);
    free(nq);
    return d; /* out of memory: 0, and the full-resolution path measures instead */
}
