/* softmax8.h — the softmax of K class scores at 8 pixels at once, for the network's
 * full-resolution tail (forward.c), which computes the scores in registers and stores
 * only probabilities.
 *
 * Its exp is nucseg's own: libm's expf does not vectorise, and took a tenth of the
 * learned pipeline's time. Cody-Waite reduction to r in [-ln2/2, ln2/2], Cephes's
 * degree-7 polynomial (within 2 ulp of expf), 2^n through the exponent bits; measured
 * within 8.4e-8 (relative) of the exact exp over [-100, 0], the range a softmax needs.
 * Below -87.3, where expf reaches the smallest normal float, the result stays at
 * exp(-87.3) ~ 1e-38: nothing for a probability. */
#ifndef NUCSEG_NN_SOFTMAX8_H
#define NUCSEG_NN_SOFTMAX8_H

#include "nn/vec8.h"

#define EXP_LO -87.3f
#define EXP_LOG2E 1.44269504088896341f
#define EXP_C1 0.693359375f
#define EXP_C2 -2.12194440e-4f

static inline v8 exp8(v8 x)
{
    const vi8 low = x < EXP_LO;
    x = (v8)(((vi8)x & ~low) | ((vi8)((v8){0} + EXP_LO) & low));
    const v8 t = x * EXP_LOG2E + 0.5f;
    vi8 n = __builtin_convertvector(t, vi8);      /* truncation; floor below: */
    n += __builtin_convertvector(n, v8) > t;        /* -1 where it rounded up */
    const v8 nf = __builtin_convertvector(n, v8);
    const v8 r = x - nf * EXP_C1 - nf * EXP_C2, z = r * r;
    const v8 y = ((((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r +
                    1.6666665459e-1f) * r + 5.0000001201e-1f) * z) + r + 1.0f;
    return y * (v8)((n + 127) << 23);
}

/* s[0..K) := softmax(s) lane by lane, shifted by the largest score so that no exp
 * overflows. */
static inline void softmax8(v8 *s, int K)
{
    if (K < 1) return;
    v8 m = s[0];
    for (int k = 1; k < K; k++) {
        const vi8 above = s[k] > m;
        m = (v8)(((vi8)s[k] & above) | ((vi8)m & ~above));
    }
    v8 sum = (v8){0};
    for (int k = 0; k < K; k++) {
        s[k] = exp8(s[k] - m);
        sum += s[k];
    }
    const v8 inv = 1.0f / sum;
    for (int k = 0; k < K; k++) s[k] *= inv;
}

#endif
