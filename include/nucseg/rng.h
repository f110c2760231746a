/* rng.h — splitmix64, the one small deterministic generator every module uses
 * (sampling orders, trial perturbations, seeding synth's xoshiro256**): the same
 * seed gives the same numbers on every machine and libc, which rand() does not. */
#ifndef NUCSEG_RNG_H
#define NUCSEG_RNG_H

#include <math.h>
#include <stdint.h>

/* Advance *state and return the next 64 random bits (Steele, Lea & Flood 2014). */
static inline uint64_t ns_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform double in [0, 1) from the top 53 bits. */
static inline double ns_splitmix64_uniform(uint64_t *state)
{
    return (double)(ns_splitmix64(state) >> 11) * 0x1.0p-53;
}

/* Standard normal deviate (Box–Muller, two uniforms per call, the first kept off 0). */
static inline double ns_splitmix64_gaussian(uint64_t *state)
{
    double u1 = ns_splitmix64_uniform(state), u2 = ns_splitmix64_uniform(state);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2 * log(u1)) * cos(6.283185307179586477 * u2); /* 2 pi: M_PI is not ISO C */
}

#endif
