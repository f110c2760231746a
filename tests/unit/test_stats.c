/* test_stats.c — summaries of repeated timings, Karp–Flatt and the Amdahl fit. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "nucseg/stats.h"

static void test_summary(void)
{
    double v[] = {3.0, 1.0, 2.0, 10.0};
    ns_summary s;
    ns_error err;
    CHECK_OK(ns_summarize(v, 4, &s, &err), err);
    CHECK_NEAR(s.median, 2.5, 1e-12);
    CHECK_NEAR(s.min, 1.0, 0);
    CHECK_NEAR(s.max, 10.0, 0);
    CHECK_NEAR(s.mean, 4.0, 1e-12);
    CHECK_NEAR(s.sd, sqrt((1.0 + 9.0 + 4.0 + 36.0) / 3.0), 1e-12);
    CHECK(v[0] == 3.0 && v[3] == 10.0); /* input untouched */

    double odd[] = {5.0, 1.0, 4.0};
    CHECK_NEAR(ns_median(odd, 3), 4.0, 0);
    CHECK_OK(ns_summarize(odd, 1, &s, &err), err);
    CHECK(s.median == 5.0 && s.sd == 0.0 && s.n == 1);
    CHECK(isnan(ns_median(odd, 0)));

    /* a long array takes the heap path */
    double big[1001];
    for (int i = 0; i < 1001; i++) big[i] = (double)((i * 7919) % 1001);
    CHECK_NEAR(ns_median(big, 1001), 500.0, 0);

    CHECK(ns_summarize(v, 0, &s, &err) == NS_ERR_EMPTY);
    double bad[] = {1.0, NAN};
    CHECK(ns_summarize(bad, 2, &s, &err) == NS_ERR_INVALID);
    CHECK(strstr(err.message, "value 1") != NULL);
}

static void test_karp_flatt(void)
{
    /* perfect speedup: no serial part */
    CHECK_NEAR(ns_karp_flatt(4.0, 4), 0.0, 1e-12);
    /* no speedup at all: everything serial */
    CHECK_NEAR(ns_karp_flatt(1.0, 4), 1.0, 1e-12);
    /* S = 1.8 on 2: e = (1/1.8 - 1/2) / (1/2) = 0.1111 */
    CHECK_NEAR(ns_karp_flatt(1.8, 2), (1.0 / 1.8 - 0.5) / 0.5, 1e-12);
    /* Amdahl data gives back its serial fraction at every n */
    for (int n = 2; n <= 16; n *= 2) CHECK_NEAR(ns_karp_flatt(ns_amdahl_speedup(0.07, n), n), 0.07, 1e-12);
    CHECK(isnan(ns_karp_flatt(1.0, 1)));
    CHECK(isnan(ns_karp_flatt(0.0, 2)));
}

static void test_amdahl_fit(void)
{
    double n[] = {1, 2, 4, 8, 16}, s[5];
    for (int i = 0; i < 5; i++) s[i] = ns_amdahl_speedup(0.05, n[i]);
    ns_amdahl_fit_result fit;
    ns_error err;
    CHECK_OK(ns_amdahl_fit(n, s, 5, &fit, &err), err);
    CHECK_NEAR(fit.serial_fraction, 0.05, 1e-12);
    CHECK_NEAR(fit.max_speedup, 20.0, 1e-9);
    CHECK_NEAR(fit.rmse, 0.0, 1e-9);
    CHECK(fit.points == 4); /* n = 1 carries no information */

    /* noisy data: the fit lies between the per-point Karp–Flatt values */
    double s2[] = {1.0, 1.9, 3.4, 5.6, 8.0};
    CHECK_OK(ns_amdahl_fit(n, s2, 5, &fit, &err), err);
    double lo = 1, hi = 0;
    for (int i = 1; i < 5; i++) {
        double e = ns_karp_flatt(s2[i], n[i]);
        lo = fmin(lo, e);
        hi = fmax(hi, e);
    }
    CHECK(fit.serial_fraction >= lo && fit.serial_fraction <= hi);
    CHECK(fit.rmse > 0);

    /* superlinear speedup clamps at f = 0 */
    double s3[] = {1.0, 2.2};
    CHECK_OK(ns_amdahl_fit(n, s3, 2, &fit, &err), err);
    CHECK(fit.serial_fraction == 0.0 && isinf(fit.max_speedup));

    /* only n = 1 */
    CHECK(ns_amdahl_fit(n, s, 1, &fit, &err) == NS_ERR_EMPTY);
}

int main(void)
{
    RUN(test_summary);
    RUN(test_karp_flatt);
    RUN(test_amdahl_fit);
    return check_report();
}
