/* test_fixed_decimal.c — ns_format_fixed writes what printf("%.*f") writes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "util/fixed_decimal.h"

static uint64_t state = 88172645463325252ull;
static uint64_t next_u64(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static int mismatches; /* reported, at most a few */

static void check_one(double v, int d)
{
    char want[NS_FIXED_MAX], got[NS_FIXED_MAX];
    int wn = snprintf(want, sizeof want, "%.*f", d, v);
    size_t gn = ns_format_fixed(got, v, d);
    if ((size_t)wn == gn && strcmp(want, got) == 0) return;
    if (mismatches++ < 5) CHECK_MSG(0, "%%.%df of %.17g (%a): printf \"%s\", got \"%s\"", d, v, v, want, got);
}

/* Values of every kind the tables hold and the edges of the method: ties (binary
 * fractions with a 5 in the first dropped digit), values that round up into the next
 * power of ten, negative zero, tiny and huge values, NaN and infinities. */
static void test_matches_printf(void)
{
    const double special[] = {0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.0625, 1.0625, 0.0005, 0.00049999999999999,
                              9.9995, 9.99949999, 999.9995, 0.125, 0.375, 1e-300, -1e-300, 5e-324, 1e17, 9.9e17,
                              1e18, 1e30, -1e30, 123456789.123456789, 4294967295.0, 65535.5, NAN, -NAN,
                              INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        for (int d = 0; d <= 9; d++) check_one(special[i], d);
    /* Exact ties at every decimal count: k / 2^j with few bits, around each digit. */
    for (int j = 1; j <= 12; j++)
        for (int k = -4097; k <= 4097; k += 3)
            for (int d = 0; d <= 5; d++) check_one(ldexp((double)k, -j), d);
    /* Sums and ratios of pixel coordinates, as centroids are; intensities. */
    for (int i = 0; i < 200000; i++) {
        double area = (double)(1 + next_u64() % 5000);
        double sum = (double)(next_u64() % 20000000);
        check_one(sum / area, 3);
        check_one(sum / area, 4);
        check_one(area, 0);
    }
    /* Random bit patterns over the whole range of magnitudes. */
    for (int i = 0; i < 300000; i++) {
        uint64_t bits = next_u64();
        double v;
        memcpy(&v, &bits, sizeof v);
        int e = (int)(next_u64() % 140) - 80; /* mostly 2^-80 .. 2^60 */
        v = ldexp(frexp(v, &(int){0}), e);
        check_one(v, (int)(next_u64() % 10));
    }
    CHECK_MSG(mismatches == 0, "%d values formatted unlike printf", mismatches);
}

int main(void)
{
    RUN(test_matches_printf);
    return check_report();
}
