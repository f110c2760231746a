/* gaussian.c — separable Gaussian blur.
 *
 * Both passes loop over taps outside and pixels inside, over contiguous rows,
 * so the compiler vectorises the inner loop; the horizontal pass works on a
 * row copied into a mirror-padded buffer so no pixel needs a bounds check. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nucseg/imgproc.h"

static int mirror(int i, int n)
{
    if (n == 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
    return i;
}

ns_status ns_gaussian_blur(const float *in, float *out, int w, int h, double sigma, ns_error *err)
{
    size_t n = (size_t)w * (size_t)h;
    if (sigma <= 0.0) {
        memcpy(out, in, n * sizeof *out);
        return NS_OK;
    }
    int r = (int)ceil(3.0 * sigma);
    float *k = malloc((size_t)(2 * r + 1) * sizeof *k);
    float *pad = malloc((size_t)(w + 2 * r) * sizeof *pad);
    if (!k || !pad) {
        free(k); free(pad);
        return ns_error_set(err, NS_ERR_NOMEM, "gaussian blur: out of memory (%dx%d)", w, h);
    }
    double sum = 0.0;
    for (int i = -r; i <= r; i++) sum += exp(-0.5 * i * i / (sigma * sigma));
    for (int i = -r; i <= r; i++) k[i + r] = (float)(exp(-0.5 * i * i / (sigma * sigma)) / sum);

    /* Vertical pass into out: out row y = sum_j k[j] * in row mirror(y + j - r). */
    for (int y = 0; y < h; y++) {
        float *restrict dst = out + (size_t)y * w;
        const float *restrict src0 = in + (size_t)mirror(y - r, h) * w;
        for (int x = 0; x < w; x++) dst[x] = k[0] * src0[x];
        for (int j = 1; j <= 2 * r; j++) {
            const float *restrict src = in + (size_t)mirror(y + j - r, h) * w;
            const float kj = k[j];
            for (int x = 0; x < w; x++) dst[x] += kj * src[x];
        }
    }
    /* Horizontal pass in place: each row is first copied into a mirror-padded buffer,
     * so no image-sized temporary is needed (a smaller working set per image). */
    for (int y = 0; y < h; y++) {
        float *restrict row = out + (size_t)y * w;
        for (int i = 0; i < r; i++) pad[i] = row[mirror(i - r, w)];
        memcpy(pad + r, row, (size_t)w * sizeof *pad);
        for (int i = w + r; i < w + 2 * r; i++) pad[i] = pad[r + mirror(i - r, w)];
        for (int x = 0; x < w; x++) row[x] = k[0] * pad[x];
        for (int j = 1; j <= 2 * r; j++) {
            const float kj = k[j];
            const float *restrict src = pad + j;
            for (int x = 0; x < w; x++) row[x] += kj * src[x];
        }
    }
    free(k); free(pad);
    return NS_OK;
}
