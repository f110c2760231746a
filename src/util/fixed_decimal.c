/* fixed_decimal.c — exact "%.*f" formatting (fixed_decimal.h).
 *
 * v = m * 2^-s with m a 53-bit integer, so v * 10^d = m * 10^d / 2^s exactly: the
 * integer part of that quotient and the remainder against half of 2^s give the
 * rounded digits with no floating-point rounding at all. Values whose scaled form
 * does not fit 64 bits, and NaN and infinities, go to snprintf. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include "util/fixed_decimal.h"

static const uint64_t POW10[10] = {1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
                                   1000000000u};

/* Decimal digits of u into out; returns how many. */
static size_t put_uint(char *out, uint64_t u)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    return n;
}

size_t ns_format_fixed(char *out, double v, int decimals)
{
    /* |v| * 10^d below 1e18 < 2^63: the rounded value fits; NaN fails the test too. */
    if (decimals < 0 || decimals > 9 || !(fabs(v) < 1e18 / (double)POW10[decimals]))
        return (size_t)snprintf(out, NS_FIXED_MAX, "%.*f", decimals, v);
    const uint64_t scale = POW10[decimals];
    const double a = fabs(v);
    uint64_t q = 0; /* a * 10^d rounded to the nearest integer, ties to even */
    if (a != 0.0) {
        int e;
        const double f = frexp(a, &e);         /* a = f * 2^e, 0.5 <= f < 1 */
        const uint64_t m = (uint64_t)ldexp(f, 53); /* exact: f has at most 53 significant bits */
        const int s = 53 - e;                  /* a = m / 2^s */
        if (s <= 0) {
            q = (uint64_t)(((unsigned __int128)m * scale) << -s); /* an integer: exact */
        } else if (s < 128) {
            const unsigned __int128 p = (unsigned __int128)m * scale;
            const unsigned __int128 half = (unsigned __int128)1 << (s - 1);
            const unsigned __int128 r = p & ((half << 1) - 1);
            q = (uint64_t)(p >> s);
            if (r > half || (r == half && (q & 1u))) q++;
        } /* else a < 2^-74: a * 10^9 is far below one half, q = 0 */
    }
    size_t n = 0;
    if (signbit(v)) out[n++] = '-'; /* printf writes -0.000 for -0.0 and tiny negatives */
    n += put_uint(out + n, q / scale);
    if (decimals > 0) {
        out[n++] = '.';
        uint64_t frac = q % scale;
        for (int i = decimals - 1; i >= 0; i--) {
            out[n + (size_t)i] = (char)('0' + frac % 10);
            frac /= 10;
        }
        n += (size_t)decimals;
    }
    out[n] = 0;
    return n;
}
