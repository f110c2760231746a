/* nuclei.c — the nucleus model and its placement in a virtual well.
 *
 * Each nucleus is an ellipse (axis ratio 1..1.6, random orientation) with an
 * equal-area diameter ~ N(d, 0.15 d), lognormal brightness, a smooth chromatin-like
 * texture (a few low-frequency sinusoids in world coordinates, so every view of the
 * same nucleus agrees) and a soft edge; some are out of focus (wider edge, dimmer).
 * Placement is rejection sampling on a uniform grid: a fraction is placed touching
 * an earlier nucleus (slight overlap allowed), all others keep a small gap. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "synth/synth_internal.h"

#define BOUNDARY_SAMPLES 32
#define GAP_SCALE 1.15      /* others must stay outside 1.05x each ellipse: a small gap */
#define TOUCH_SCALE 0.85    /* a touching pair may overlap up to 15% of a radius */

typedef struct {
    double x0, y0, cell;
    int cols, rows;
    int *head;     /* per cell: first scene index, -1 = empty */
    int *next;     /* per nucleus: next index in the same cell */
    size_t next_cap;
} placement_grid;

static int grid_cell(const placement_grid *g, double x, double y)
{
    int cx = (int)((x - g->x0) / g->cell), cy = (int)((y - g->y0) / g->cell);
    if (cx < 0) cx = 0;
    if (cy < 0) cy = 0;
    if (cx >= g->cols) cx = g->cols - 1;
    if (cy >= g->rows) cy = g->rows - 1;
    return cy * g->cols + cx;
}

/* Normalised radius of (x, y) in n's ellipse: < 1 inside. */
static double ellipse_radius(const synth_nucleus *n, double x, double y)
{
    double dx = x - n->cx, dy = y - n->cy;
    double u = (dx * n->cos_phi + dy * n->sin_phi) / n->a;
    double v = (-dx * n->sin_phi + dy * n->cos_phi) / n->b;
    return sqrt(u * u + v * v);
}

/* Distance from the centre to the ellipse edge along direction theta. */
static double directional_radius(const synth_nucleus *n, double theta)
{
    double psi = theta - atan2(n->sin_phi, n->cos_phi);
    double bc = n->b * cos(psi), as = n->a * sin(psi);
    return n->a * n->b / sqrt(bc * bc + as * as);
}

/* Does any boundary point of p lie inside scale x q? */
static int boundary_inside(const synth_nucleus *p, const synth_nucleus *q, double scale)
{
    if (ellipse_radius(q, p->cx, p->cy) < scale) return 1;
    for (int k = 0; k < BOUNDARY_SAMPLES; k++) {
        double t = 2.0 * M_PI * k / BOUNDARY_SAMPLES;
        double ex = p->a * cos(t), ey = p->b * sin(t);
        double x = p->cx + ex * p->cos_phi - ey * p->sin_phi;
        double y = p->cy + ex * p->sin_phi + ey * p->cos_phi;
        if (ellipse_radius(q, x, y) < scale) return 1;
    }
    return 0;
}

static int overlaps(const synth_nucleus *p, const synth_nucleus *q, double scale)
{
    double dx = p->cx - q->cx, dy = p->cy - q->cy;
    double reach = (p->a + q->a) * GAP_SCALE;
    if (dx * dx + dy * dy >= reach * reach) return 0;
    return boundary_inside(p, q, scale) || boundary_inside(q, p, scale);
}

/* Shape, brightness and texture of a new nucleus (centre set by the caller). */
static void draw_nucleus(synth_nucleus *n, const synth_scene_params *p, synth_rng *rng)
{
    double d = p->diameter * (1.0 + 0.15 * synth_rng_normal(rng));
    if (d < 0.6 * p->diameter) d = 0.6 * p->diameter;
    if (d > 1.5 * p->diameter) d = 1.5 * p->diameter;
    double ratio = synth_rng_range(rng, 1.0, 1.6);
    double phi = synth_rng_range(rng, 0.0, M_PI);
    memset(n, 0, sizeof *n);
    n->a = 0.5 * d * sqrt(ratio); /* equal area: a b = (d/2)^2 */
    n->b = 0.5 * d / sqrt(ratio);
    n->cos_phi = cos(phi);
    n->sin_phi = sin(phi);
    /* Lognormal brightness, clamped so no nucleus fades into the background. */
    double gain = exp(0.22 * synth_rng_normal(rng));
    if (gain < 0.65) gain = 0.65;
    if (gain > 1.6) gain = 1.6;
    n->brightness = p->brightness * gain;
    n->out_of_focus = synth_rng_uniform(rng) < p->blur_fraction;
    n->edge_sigma = (n->out_of_focus ? 0.12 : 0.06) * d;
    if (n->out_of_focus) n->brightness *= 0.72;
    for (int k = 0; k < SYNTH_TEXTURE_WAVES; k++) {
        double wavelength = synth_rng_range(rng, 0.3, 0.7) * d;
        double dir = synth_rng_range(rng, 0.0, 2.0 * M_PI);
        double freq = 2.0 * M_PI / wavelength;
        n->wave_kx[k] = freq * cos(dir);
        n->wave_ky[k] = freq * sin(dir);
        n->wave_phase[k] = synth_rng_range(rng, 0.0, 2.0 * M_PI);
        n->wave_amp[k] = synth_rng_range(rng, 0.04, 0.07);
    }
}

/* Whether n can be placed: no overlap with anyone except a slight one with `partner`. */
static int placement_ok(const synth_scene *s, const placement_grid *g, const synth_nucleus *n,
                        long partner)
{
    int cx = (int)((n->cx - g->x0) / g->cell), cy = (int)((n->cy - g->y0) / g->cell);
    for (int yy = cy - 1; yy <= cy + 1; yy++) {
        if (yy < 0 || yy >= g->rows) continue;
        for (int xx = cx - 1; xx <= cx + 1; xx++) {
            if (xx < 0 || xx >= g->cols) continue;
            for (int i = g->head[yy * g->cols + xx]; i >= 0; i = g->next[i]) {
                double scale = (long)i == partner ? TOUCH_SCALE : GAP_SCALE;
                if (overlaps(n, &s->items[i], scale)) return 0;
            }
        }
    }
    return 1;
}

static ns_status scene_push(synth_scene *s, placement_grid *g, const synth_nucleus *n, ns_error *err)
{
    if (s->count == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        synth_nucleus *items = realloc(s->items, cap * sizeof *items);
        if (!items) return ns_error_set(err, NS_ERR_NOMEM, "synthetic scene: out of memory (%zu nuclei)", cap);
        s->items = items;
        s->cap = cap;
    }
    if (s->count == g->next_cap) {
        size_t cap = g->next_cap ? 2 * g->next_cap : 256;
        int *next = realloc(g->next, cap * sizeof *next);
        if (!next) return ns_error_set(err, NS_ERR_NOMEM, "synthetic scene: out of memory (grid)");
        g->next = next;
        g->next_cap = cap;
    }
    size_t i = s->count++;
    s->items[i] = *n;
    s->items[i].id = (uint32_t)(i + 1);
    int c = grid_cell(g, n->cx, n->cy);
    g->next[i] = g->head[c];
    g->head[c] = (int)i;
    return NS_OK;
}

ns_status synth_scene_generate(synth_scene *scene, const synth_scene_params *p,
                               double x0, double y0, double x1, double y1,
                               synth_rng *rng, ns_error *err)
{
    memset(scene, 0, sizeof *scene);
    if (!(p->diameter > 0.0) || !(p->density > 0.0) || p->density > 0.9 || !(x1 > x0) || !(y1 > y0))
        return ns_error_set(err, NS_ERR_INVALID,
                            "synthetic scene: need diameter > 0 and 0 < density <= 0.9 (got %g, %g)",
                            p->diameter, p->density);
    /* Largest possible semi-axis: 1.5 d / 2 * sqrt(1.6); two nuclei further apart
     * than twice that never meet, so a 3x3 cell neighbourhood is enough. */
    placement_grid g = {0};
    g.x0 = x0;
    g.y0 = y0;
    g.cell = 2.0 * 0.75 * p->diameter * sqrt(1.6) * GAP_SCALE;
    g.cols = (int)ceil((x1 - x0) / g.cell);
    g.rows = (int)ceil((y1 - y0) / g.cell);
    if (g.cols < 1) g.cols = 1;
    if (g.rows < 1) g.rows = 1;
    if ((double)g.cols * g.rows > 1e8)
        return ns_error_set(err, NS_ERR_TOO_LARGE, "synthetic scene: %.0f x %.0f region is too large for diameter %g",
                            x1 - x0, y1 - y0, p->diameter);
    g.head = malloc((size_t)g.cols * g.rows * sizeof *g.head);
    if (!g.head) return ns_error_set(err, NS_ERR_NOMEM, "synthetic scene: out of memory (grid)");
    for (size_t i = 0; i < (size_t)g.cols * g.rows; i++) g.head[i] = -1;

    double target_area = p->density * (x1 - x0) * (y1 - y0);
    double mean_area = M_PI * 0.25 * p->diameter * p->diameter;
    double expected = target_area / mean_area;
    /* Cap the attempts: beyond the jamming limit we return fewer nuclei. */
    size_t max_attempts = 1000 + (size_t)(60.0 * expected);
    double covered = 0.0;
    ns_status st = NS_OK;
    for (size_t attempt = 0; attempt < max_attempts && covered < target_area; attempt++) {
        synth_nucleus n;
        draw_nucleus(&n, p, rng);
        long partner = -1;
        if (scene->count > 0 && synth_rng_uniform(rng) < p->touching) {
            partner = (long)(synth_rng_u64(rng) % scene->count);
            const synth_nucleus *q = &scene->items[partner];
            double theta = synth_rng_range(rng, 0.0, 2.0 * M_PI);
            double dist = (directional_radius(q, theta) + directional_radius(&n, theta + M_PI))
                          * synth_rng_range(rng, 0.96, 1.04);
            n.cx = q->cx + dist * cos(theta);
            n.cy = q->cy + dist * sin(theta);
            if (n.cx < x0 || n.cx >= x1 || n.cy < y0 || n.cy >= y1) continue;
        } else {
            n.cx = synth_rng_range(rng, x0, x1);
            n.cy = synth_rng_range(rng, y0, y1);
        }
        if (!placement_ok(scene, &g, &n, partner)) continue;
        st = scene_push(scene, &g, &n, err);
        if (st != NS_OK) break;
        covered += M_PI * n.a * n.b;
    }
    free(g.head);
    free(g.next);
    if (st != NS_OK) synth_scene_free(scene);
    return st;
}

void synth_scene_free(synth_scene *scene)
{
    free(scene->items);
    memset(scene, 0, sizeof *scene);
}
