/* test_scaling_recommend.c — the worker-count recommendation on fabricated timings,
 * and the worker counts the benchmark measures. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "nucseg/scaling.h"

static void test_all_cpus(void)
{
    /* 2 CPUs, near-linear: 2 workers clearly best */
    ns_worker_throughput m[] = {{1, 1.0}, {2, 1.95}};
    ns_recommendation r;
    ns_error err;
    CHECK_OK(ns_recommend_workers(m, 2, 1.02, 2, 0.03, &r, &err), err);
    CHECK(r.recommended == 2 && r.best == 2);
    CHECK(r.relation == NS_REC_ALL_CPUS);
    CHECK(strstr(r.text, "all 2 usable CPUs") != NULL);
    CHECK(strstr(r.text, "1.95 images/s") != NULL);
    CHECK(strstr(r.text, "1.91x") != NULL); /* 1.95 / 1.02 */
    CHECK(strstr(r.text, "49%") != NULL);   /* one worker costs 1 - 1/1.95 */
}

static void test_cpus_minus_one(void)
{
    /* 8 CPUs: 7 workers within 3% of 8 */
    ns_worker_throughput m[] = {{1, 1.0}, {2, 1.9}, {4, 3.7}, {7, 6.1}, {8, 6.2}};
    ns_recommendation r;
    ns_error err;
    CHECK_OK(ns_recommend_workers(m, 5, 1.0, 8, 0.03, &r, &err), err);
    CHECK(r.best == 8);
    CHECK(r.recommended == 7);
    CHECK(r.relation == NS_REC_CPUS_MINUS_ONE);
    CHECK(strstr(r.text, "CPUs-1") != NULL);
    /* with a 1% tolerance 7 no longer qualifies */
    CHECK_OK(ns_recommend_workers(m, 5, 1.0, 8, 0.01, &r, &err), err);
    CHECK(r.recommended == 8 && r.relation == NS_REC_ALL_CPUS);
}

static void test_fewer_and_boundary(void)
{
    /* memory-bound: flat after 2 workers; threshold exactly at 3% counts as within */
    ns_worker_throughput m[] = {{8, 2.0}, {1, 1.2}, {2, 1.94}, {4, 1.99}, {7, 1.98}};
    ns_recommendation r;
    ns_error err;
    CHECK_OK(ns_recommend_workers(m, 5, NAN, 8, 0.03, &r, &err), err);
    CHECK(r.best == 8);
    CHECK(r.recommended == 2); /* 1.94 = 0.97 * 2.0 */
    CHECK(r.relation == NS_REC_FEWER);
    CHECK(strstr(r.text, "fewer than CPUs-1") != NULL);
    CHECK(strstr(r.text, "sequential") == NULL); /* not measured: not mentioned */
    CHECK(isnan(r.sequential_images_per_s));
}

static void test_oversubscribed_and_sequential_faster(void)
{
    ns_worker_throughput m[] = {{1, 1.0}, {2, 1.5}, {4, 2.0}};
    ns_recommendation r;
    ns_error err;
    CHECK_OK(ns_recommend_workers(m, 3, 2.5, 2, 0.03, &r, &err), err);
    CHECK(r.recommended == 4 && r.relation == NS_REC_OVERSUBSCRIBED);
    CHECK(strstr(r.text, "more workers than the 2 usable CPUs") != NULL);
    CHECK(strstr(r.text, "sequential loop was faster") != NULL);

    /* the oversubscribed count is best but 2 is within tolerance */
    ns_worker_throughput m2[] = {{1, 1.0}, {2, 1.97}, {4, 2.0}};
    CHECK_OK(ns_recommend_workers(m2, 3, 1.0, 2, 0.03, &r, &err), err);
    CHECK(r.recommended == 2 && r.best == 4 && r.relation == NS_REC_ALL_CPUS);
    CHECK(strstr(r.text, "did not pay") != NULL);
}

static void test_single_cpu_and_ties(void)
{
    ns_worker_throughput m[] = {{1, 3.0}};
    ns_recommendation r;
    ns_error err;
    CHECK_OK(ns_recommend_workers(m, 1, 3.1, 1, 0.03, &r, &err), err);
    CHECK(r.recommended == 1 && r.relation == NS_REC_ALL_CPUS);
    CHECK(strstr(r.text, "only usable CPU") != NULL);
    /* a tie goes to fewer workers; unmeasured entries are ignored */
    ns_worker_throughput t[] = {{4, 2.0}, {2, 2.0}, {3, NAN}, {1, 0}};
    CHECK_OK(ns_recommend_workers(t, 4, NAN, 4, 0.0, &r, &err), err);
    CHECK(r.best == 2 && r.recommended == 2 && r.relation == NS_REC_FEWER);
}

static void test_errors(void)
{
    ns_recommendation r;
    ns_error err;
    ns_worker_throughput none[] = {{1, NAN}};
    CHECK(ns_recommend_workers(none, 1, 1.0, 2, 0.03, &r, &err) == NS_ERR_EMPTY);
    CHECK(ns_recommend_workers(none, 0, 1.0, 2, 0.03, &r, &err) == NS_ERR_EMPTY);
    ns_worker_throughput zero[] = {{0, 1.0}};
    CHECK(ns_recommend_workers(zero, 1, 1.0, 2, 0.03, &r, &err) == NS_ERR_INVALID);
    ns_worker_throughput dup[] = {{2, 1.0}, {2, 1.1}};
    CHECK(ns_recommend_workers(dup, 2, 1.0, 2, 0.03, &r, &err) == NS_ERR_INVALID);
    CHECK(strstr(err.message, "twice") != NULL);
    ns_worker_throughput ok[] = {{1, 1.0}};
    CHECK(ns_recommend_workers(ok, 1, 1.0, 0, 0.03, &r, &err) == NS_ERR_INVALID);
    CHECK(ns_recommend_workers(ok, 1, 1.0, 2, 1.5, &r, &err) == NS_ERR_INVALID);
}

static void test_worker_counts(void)
{
    int w[32];
    size_t n = ns_scaling_worker_counts(2, 0, 24, w, 32);
    CHECK(n == 2 && w[0] == 1 && w[1] == 2);
    n = ns_scaling_worker_counts(2, 4, 24, w, 32); /* oversubscription */
    CHECK(n == 3 && w[0] == 1 && w[1] == 2 && w[2] == 4);
    n = ns_scaling_worker_counts(12, 0, 100, w, 32);
    int want[] = {1, 2, 4, 8, 11, 12};
    CHECK(n == 6);
    for (size_t i = 0; i < n && i < 6; i++) CHECK(w[i] == want[i]);
    n = ns_scaling_worker_counts(12, 24, 100, w, 32);
    int want2[] = {1, 2, 4, 8, 11, 12, 16, 24};
    CHECK(n == 8);
    for (size_t i = 0; i < n && i < 8; i++) CHECK(w[i] == want2[i]);
    /* never more workers than images */
    n = ns_scaling_worker_counts(8, 16, 3, w, 32);
    CHECK(n == 3 && w[0] == 1 && w[1] == 2 && w[2] == 3);
    n = ns_scaling_worker_counts(1, 0, 10, w, 32);
    CHECK(n == 1 && w[0] == 1);
}

static void test_ranks(void)
{
    ns_rank_recommendation r;
    ns_error err;
    /* 2 x 2 is best; 4 x 1 (same total, more ranks) and 1 x 4 are within 3%: 1 x 4 wins
     * the tie on workers in all by having fewer ranks */
    ns_rank_throughput m[] = {{1, 1, 1.0}, {1, 4, 3.5}, {2, 1, 1.9}, {2, 2, 3.55}, {4, 1, 3.5}};
    CHECK_OK(ns_recommend_ranks(m, 5, 0.03, &r, &err), err);
    CHECK(r.best_ranks == 2 && r.best_workers == 2);
    CHECK(r.ranks == 1 && r.workers == 4);
    CHECK(strstr(r.text, "1 rank x 4 workers per rank (4 in all)") != NULL);
    /* tolerance 0: only the best */
    CHECK_OK(ns_recommend_ranks(m, 5, 0.0, &r, &err), err);
    CHECK(r.ranks == 2 && r.workers == 2);
    /* fewer in all beats fewer ranks: 2 x 1 within 10% of 1 x 4 */
    ns_rank_throughput f[] = {{1, 4, 2.0}, {2, 1, 1.9}};
    CHECK_OK(ns_recommend_ranks(f, 2, 0.1, &r, &err), err);
    CHECK(r.ranks == 2 && r.workers == 1);
    /* errors */
    ns_rank_throughput dup[] = {{2, 1, 1.0}, {2, 1, 2.0}};
    CHECK(ns_recommend_ranks(dup, 2, 0.03, &r, &err) == NS_ERR_INVALID);
    ns_rank_throughput zero[] = {{0, 1, 1.0}};
    CHECK(ns_recommend_ranks(zero, 1, 0.03, &r, &err) == NS_ERR_INVALID);
    ns_rank_throughput none[] = {{1, 1, NAN}};
    CHECK(ns_recommend_ranks(none, 1, 0.03, &r, &err) == NS_ERR_EMPTY);
    CHECK(ns_recommend_ranks(m, 5, 1.0, &r, &err) == NS_ERR_INVALID);
}

int main(void)
{
    RUN(test_all_cpus);
    RUN(test_cpus_minus_one);
    RUN(test_fewer_and_boundary);
    RUN(test_oversubscribed_and_sequential_faster);
    RUN(test_single_cpu_and_ties);
    RUN(test_errors);
    RUN(test_worker_counts);
    RUN(test_ranks);
    return check_report();
}
