/* rng.c — a small deterministic PRNG (xoshiro256**, seeded by splitmix64) so the
 * same seed gives the same plate on every machine and libc (rand() does not). */
#include <math.h>
#include "nucseg/rng.h"
#include "synth/synth_internal.h"


static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void synth_rng_seed(synth_rng *r, uint64_t seed, uint64_t stream)
{
    /* Mix the stream in through splitmix so neighbouring streams are unrelated. */
    uint64_t x = seed;
    uint64_t mixed = ns_splitmix64(&x) ^ (stream * 0xD1B54A32D192ED03ull);
    for (int i = 0; i < 4; i++) r->s[i] = ns_splitmix64(&mixed);
    r->has_spare = 0;
    r->spare = 0.0;
}

uint64_t synth_rng_u64(synth_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double synth_rng_uniform(synth_rng *r)
{
    return (double)(synth_rng_u64(r) >> 11) * 0x1.0p-53;
}

double synth_rng_range(synth_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * synth_rng_uniform(r);
}

double synth_rng_normal(synth_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * synth_rng_uniform(r) - 1.0;
        v = 2.0 * synth_rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * log(s) / s);
    r->spare = v * f;
    r->has_spare = 1;
    return u * f;
}

double synth_rng_poisson(synth_rng *r, double lambda)
{
    if (lambda <= 0.0) return 0.0;
    if (lambda < 40.0) {
        /* Knuth: exact, cheap for small means. */
        double limit = exp(-lambda), p = 1.0;
        int k = 0;
        do {
            k++;
            p *= synth_rng_uniform(r);
        } while (p > limit);
        return (double)(k - 1);
    }
    /* Large means: the normal approximation is indistinguishable at camera counts. */
    double k = floor(lambda + sqrt(lambda) * synth_rng_normal(r) + 0.5);
    return k < 0.0 ? 0.0 : k;
}
