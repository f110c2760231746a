/* render.c — draw a view of a scene: each nucleus only over its bounding box.
 *
 * Every pixel centre is mapped to world coordinates, so the same nucleus seen at
 * 10X and at 40X (rotated, offset) has the same shape, edge and texture. The soft
 * edge is an error-function profile of the (approximate) signed distance to the
 * ellipse, in world units. */
#include <math.h>
#include <string.h>
#include "synth/synth_internal.h"

/* World -> pixel inverse of a pixel -> world affine. */
static int affine_invert(const synth_affine *t, synth_affine *inv)
{
    const double *m = t->m;
    double det = m[0] * m[4] - m[1] * m[3];
    if (fabs(det) < 1e-300) return -1;
    double ia = m[4] / det, ib = -m[1] / det, ic = -m[3] / det, id = m[0] / det;
    inv->m[0] = ia;
    inv->m[1] = ib;
    inv->m[2] = -(ia * m[2] + ib * m[5]);
    inv->m[3] = ic;
    inv->m[4] = id;
    inv->m[5] = -(ic * m[2] + id * m[5]);
    return 0;
}

/* Pixel rectangle [x0, x1] x [y0, y1] (inclusive, clipped) covering n and its soft edge. */
static int nucleus_pixel_box(const synth_nucleus *n, const synth_affine *inv, int w, int h,
                             int *x0, int *y0, int *x1, int *y1)
{
    double c = n->cos_phi, s = n->sin_phi, margin = 4.0 * n->edge_sigma;
    double ex = sqrt(n->a * c * n->a * c + n->b * s * n->b * s) + margin;
    double ey = sqrt(n->a * s * n->a * s + n->b * c * n->b * c) + margin;
    double lo_x = INFINITY, lo_y = INFINITY, hi_x = -INFINITY, hi_y = -INFINITY;
    for (int k = 0; k < 4; k++) {
        double X = n->cx + ((k & 1) ? ex : -ex), Y = n->cy + ((k & 2) ? ey : -ey);
        double x = inv->m[0] * X + inv->m[1] * Y + inv->m[2];
        double y = inv->m[3] * X + inv->m[4] * Y + inv->m[5];
        if (x < lo_x) lo_x = x;
        if (x > hi_x) hi_x = x;
        if (y < lo_y) lo_y = y;
        if (y > hi_y) hi_y = y;
    }
    if (hi_x < 0.0 || hi_y < 0.0 || lo_x > w - 1.0 || lo_y > h - 1.0) return 0;
    *x0 = lo_x < 0.0 ? 0 : (int)floor(lo_x);
    *y0 = lo_y < 0.0 ? 0 : (int)floor(lo_y);
    *x1 = hi_x > w - 1.0 ? w - 1 : (int)ceil(hi_x);
    *y1 = hi_y > h - 1.0 ? h - 1 : (int)ceil(hi_y);
    return 1;
}

static void render_nucleus(const synth_nucleus *n, uint32_t owner_value, const synth_affine *t,
                           int w, int x0, int y0, int x1, int y1,
                           float *signal, uint32_t *owner, float *depth)
{
    const double *m = t->m;
    double c = n->cos_phi, s = n->sin_phi, ia = 1.0 / n->a, ib = 1.0 / n->b;
    double inv_edge = 1.0 / n->edge_sigma;
    /* Texture waves advance by a fixed phase per pixel step along a row, so they
     * are rotated (angle-addition) instead of calling sin() for every pixel. */
    double step_cos[SYNTH_TEXTURE_WAVES], step_sin[SYNTH_TEXTURE_WAVES];
    for (int k = 0; k < SYNTH_TEXTURE_WAVES; k++) {
        double dphase = n->wave_kx[k] * m[0] + n->wave_ky[k] * m[3];
        step_cos[k] = cos(dphase);
        step_sin[k] = sin(dphase);
    }
    for (int y = y0; y <= y1; y++) {
        double X = m[0] * x0 + m[1] * y + m[2], Y = m[3] * x0 + m[4] * y + m[5];
        double wave_sin[SYNTH_TEXTURE_WAVES], wave_cos[SYNTH_TEXTURE_WAVES];
        for (int k = 0; k < SYNTH_TEXTURE_WAVES; k++) {
            double phase = n->wave_kx[k] * X + n->wave_ky[k] * Y + n->wave_phase[k];
            wave_sin[k] = sin(phase);
            wave_cos[k] = cos(phase);
        }
        for (int x = x0; x <= x1; x++, X += m[0], Y += m[3]) {
            double texture = 1.0;
            for (int k = 0; k < SYNTH_TEXTURE_WAVES; k++) {
                texture += n->wave_amp[k] * wave_sin[k];
                double sn = wave_sin[k] * step_cos[k] + wave_cos[k] * step_sin[k];
                wave_cos[k] = wave_cos[k] * step_cos[k] - wave_sin[k] * step_sin[k];
                wave_sin[k] = sn;
            }
            double dx = X - n->cx, dy = Y - n->cy;
            double u = (dx * c + dy * s) * ia, v = (-dx * s + dy * c) * ib;
            double r = sqrt(u * u + v * v);
            /* Signed distance to the edge ~ (r - 1) / |grad r|, world units. */
            double g = sqrt(u * ia * u * ia + v * ib * v * ib);
            double dist = r > 1e-9 ? r * (r - 1.0) / g : -n->b;
            double tt = dist * inv_edge;
            if (tt > 4.0) continue;
            double edge = tt < -4.0 ? 1.0 : 0.5 * erfc(tt * M_SQRT1_2);
            size_t i = (size_t)y * w + x;
            signal[i] += (float)(n->brightness * edge * texture);
            if (dist < 0.0 && dist < depth[i]) {
                depth[i] = (float)dist;
                owner[i] = owner_value;
            }
        }
    }
}

ns_status synth_render(const synth_scene *scene, const synth_affine *to_world, int w, int h,
                       float *signal, uint32_t *owner, float *depth, ns_error *err)
{
    synth_affine inv;
    if (affine_invert(to_world, &inv) != 0)
        return ns_error_set(err, NS_ERR_INVALID, "synthetic view: singular pixel-to-world transform");
    size_t n = (size_t)w * h;
    memset(signal, 0, n * sizeof *signal);
    memset(owner, 0, n * sizeof *owner);
    /* Only negative depths (inside a nucleus) ever win, so 0 means "nobody yet". */
    memset(depth, 0, n * sizeof *depth);
    for (size_t k = 0; k < scene->count; k++) {
        int x0, y0, x1, y1;
        if (!nucleus_pixel_box(&scene->items[k], &inv, w, h, &x0, &y0, &x1, &y1)) continue;
        render_nucleus(&scene->items[k], (uint32_t)(k + 1), to_world, w, x0, y0, x1, y1,
                       signal, owner, depth);
    }
    return NS_OK;
}
