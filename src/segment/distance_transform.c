/* distance_transform.c — exact Euclidean distance transform.
 *
 * Separable (Felzenszwalb & Huttenlocher): a column pass gives the 1-D distance
 * to the nearest background pixel in the column; a row pass takes the lower
 * envelope of parabolas (x - q)^2 + g(q)^2. Speed-up: a foreground run in a row
 * only needs the sites of the run and the background pixel at each end, since
 * any site beyond a background pixel is farther than that pixel (which has g = 0). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nucseg/imgproc.h"
#include "segment/distance.h"
#include "segment/mask_runs.h"

#define SHORT_RUN 48 /* sites; 24-64 measured equal on dsb2018-dev, vectorised brute force below */

/* A short run's pixels side by side (GNU C vectors: one SIMD register on x86-64
 * with AVX, two without; the compiler picks the instructions). */
#define LANES 8
typedef float fvec __attribute__((vector_size(LANES * sizeof(float))));
typedef int32_t ivec __attribute__((vector_size(LANES * sizeof(int32_t))));
static const fvec lane_index = {0, 1, 2, 3, 4, 5, 6, 7};
static const fvec inf_vec = {INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY};

ns_status ns_distance_transform(const uint8_t *mask, int w, int h, float *dist, ns_error *err)
{
    return ns_distance_transform_weighted(mask, w, h, NULL, 0.0f, dist, err);
}

ns_status ns_distance_transform_weighted(const uint8_t *mask, int w, int h, const uint16_t *weight, float scale,
                                         float *dist, ns_error *err)
{
    /* The column pass writes into dist itself; the row pass then reads each row's
     * column distances (squared, into a row buffer) before overwriting that row.
     * No image-sized temporary: a smaller working set per image. */
    float *g = dist;
    float *sq = malloc((size_t)w * sizeof *sq);    /* one row of squared column distances */
    float *below = malloc((size_t)w * sizeof *below); /* column distances of the row below */
    int *v = malloc((size_t)(w + 2) * sizeof *v);  /* envelope sites */
    double *z = malloc((size_t)(w + 3) * sizeof *z); /* envelope boundaries */
    if (!sq || !below || !v || !z) {
        free(sq); free(below); free(v); free(z);
        return ns_error_set(err, NS_ERR_NOMEM, "distance transform: out of memory (%dx%d)", w, h);
    }
    const float INF = (float)(w + h) * 4.0f; /* beyond any real distance: outside is foreground */
    /* Column pass, row by row (contiguous, branch-free): the downward sweep here, the
     * upward one with the row pass below. Values are small integers, exact in float. */
    for (int x = 0; x < w; x++) g[x] = mask[x] ? INF : 0.0f;
    for (int y = 1; y < h; y++) {
        const uint8_t *restrict m = mask + (size_t)y * w;
        float *restrict gr = g + (size_t)y * w;
        const float *restrict gu = gr - w; /* the previous row: no overlap */
        for (int x = 0; x < w; x++) gr[x] = (gu[x] + 1.0f) * (float)(m[x] != 0);
    }
    /* Upward sweep of the column pass and the row pass together, bottom row first:
     * a row is done with its column distances as soon as the sweep has passed it, so
     * it is finished while in cache. `below` keeps the row underneath's column
     * distances, which the row pass replaces in dist. */
    for (int y = h - 1; y >= 0; y--) {
        float *restrict gr = g + (size_t)y * w;
        if (y < h - 1)
            for (int x = 0; x < w; x++) { float t = below[x] + 1.0f; gr[x] = gr[x] < t ? gr[x] : t; }
        memcpy(below, gr, (size_t)w * sizeof *below);
        const uint8_t *m = mask + (size_t)y * w;
        /* dr holds this row's column distances until a run's answers replace them.
         * Background already holds its answer, 0 (its column distance). */
        float *dr = dist + (size_t)y * w;
        for (int s = 0, e = 0; ns_mask_run(m, w, &s, &e); s = e) { /* run [s, e) */
            int q0 = s > 0 ? s - 1 : s, q1 = e < w ? e : e - 1; /* sites q0..q1 */
            for (int q = q0; q <= q1; q++) sq[q] = dr[q] * dr[q];
            if (q1 - q0 < SHORT_RUN) {
                /* Short run (most nuclei): every site against every pixel, the pixels
                 * of the run side by side. Sums of small integers are exact, so this
                 * equals the envelope's answer. */
                for (int b = s; b < e; b += LANES) {
                    /* LANES pixels at once; lanes past the run are computed and dropped. */
                    fvec p = (float)b + lane_index, best = inf_vec;
                    for (int q = q0; q <= q1; q++) {
                        fvec dq = p - (float)q, v = dq * dq + sq[q];
                        ivec lower = v < best;
                        best = (fvec)(((ivec)v & lower) | ((ivec)best & ~lower));
                    }
                    int nb = e - b < LANES ? e - b : LANES;
                    for (int k = 0; k < nb; k++) dr[b + k] = sqrtf(best[k]);
                }
                continue;
            }
            /* Lower envelope in doubles on run-local coordinates: exact comparisons. */
            int k = 0;
            v[0] = q0;
            z[0] = -INFINITY;
            z[1] = INFINITY;
            for (int q = q0 + 1; q <= q1; q++) {
                double fq = sq[q], lq = q - q0, sx;
                for (;;) {
                    int p = v[k];
                    double fp = sq[p], lp = p - q0;
                    sx = ((fq + lq * lq) - (fp + lp * lp)) / (2.0 * (lq - lp));
                    if (sx <= z[k]) k--; /* z[0] = -inf stops this at k = 0 */
                    else break;
                }
                k++;
                v[k] = q;
                z[k] = sx;
                z[k + 1] = INFINITY;
            }
            k = 0;
            for (int p = s; p < e; p++) {
                while (z[k + 1] < (double)(p - q0)) k++;
                float d = (float)(p - v[k]);
                dr[p] = sqrtf(d * d + sq[v[k]]);
            }
        }
        if (weight) {
            /* The row is final: weight it now, while it is in cache. The whole row, not
             * run by run: the loop vectorises, and background stays 0 (0 times a finite
             * weight). */
            const uint16_t *restrict wr = weight + (size_t)y * w;
            float *restrict out = dr;
            for (int x = 0; x < w; x++) out[x] *= sqrtf((float)wr[x] * scale);
        }
    }
    free(sq); free(below); free(v); free(z);
    return NS_OK;
}
