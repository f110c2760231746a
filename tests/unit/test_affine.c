/* test_affine.c — affine algebra, the closed-form fit, and the two iterative
 * optimizers (L-BFGS-B, Levenberg–Marquardt): agreement with the closed-form
 * optimum, the moment (sufficient-statistics) path against the per-pair path,
 * Huber robustness, bounds, bad input. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nucseg/rng.h"
#include "check.h"
#include "affine/affine_internal.h"
#include "nucseg/affine.h"

#define DEG (M_PI / 180.0)

/* splitmix64: a small deterministic generator, so the test data never change. */
static uint64_t rng_state;
static double uniform01(void)
{
    return ns_splitmix64_uniform(&rng_state);
}
static double gaussian(void)
{
    return ns_splitmix64_gaussian(&rng_state);
}

/* 40X points in a 2048 px tile mapped to 10X px by t, plus Gaussian noise. */
static void make_pairs(const ns_affine *t, size_t n, double noise, uint64_t seed, double *src,
                       double *dst)
{
    rng_state = seed;
    for (size_t i = 0; i < n; i++) {
        src[2 * i] = 2048 * uniform01();
        src[2 * i + 1] = 2048 * uniform01();
        ns_affine_apply(t, src[2 * i], src[2 * i + 1], &dst[2 * i], &dst[2 * i + 1]);
        dst[2 * i] += noise * gaussian();
        dst[2 * i + 1] += noise * gaussian();
    }
}

static void true_transform(ns_affine *t)
{
    ns_affine_similarity(0.25, 2 * DEG, 300, 200, t);
}

/* The start bench-opt uses: scale 0.25, no rotation, centroids aligned. */
static void default_start(const double *src, const double *dst, size_t n, ns_affine *t)
{
    double sx = 0, sy = 0, dx = 0, dy = 0;
    for (size_t i = 0; i < n; i++) {
        sx += src[2 * i]; sy += src[2 * i + 1];
        dx += dst[2 * i]; dy += dst[2 * i + 1];
    }
    sx /= (double)n; sy /= (double)n; dx /= (double)n; dy /= (double)n;
    ns_affine_similarity(0.25, 0, dx - 0.25 * sx, dy - 0.25 * sy, t);
}

static void test_closed_form_exact(void)
{
    ns_affine t = {.a = 0.26, .b = -0.013, .tx = 301.5, .c = 0.021, .d = 0.243, .ty = 199.25};
    enum { N = 50 };
    double src[2 * N], dst[2 * N];
    make_pairs(&t, N, 0.0, 7, src, dst);
    ns_affine r;
    ns_error err = {0};
    CHECK_OK(ns_affine_closed_form(src, dst, NULL, N, &r, &err), err);
    CHECK_NEAR(r.a, t.a, 1e-12);
    CHECK_NEAR(r.b, t.b, 1e-12);
    CHECK_NEAR(r.c, t.c, 1e-12);
    CHECK_NEAR(r.d, t.d, 1e-12);
    CHECK_NEAR(r.tx, t.tx, 1e-9);
    CHECK_NEAR(r.ty, t.ty, 1e-9);
    CHECK(ns_affine_rmsd(&r, src, dst, N) < 1e-9);

    /* Weights: a zero weight removes a pair; a corrupted pair with weight 0 is ignored. */
    double w[N];
    for (int i = 0; i < N; i++) w[i] = 1 + (i % 3);
    dst[0] += 50;
    w[0] = 0;
    CHECK_OK(ns_affine_closed_form(src, dst, w, N, &r, &err), err);
    CHECK_NEAR(r.tx, t.tx, 1e-9);
    CHECK_NEAR(r.d, t.d, 1e-12);
}

static void test_algebra(void)
{
    ns_affine f = {.a = 0.9, .b = 0.2, .tx = 5, .c = -0.1, .d = 1.1, .ty = -3};
    ns_affine g, fi, id, x;
    ns_affine_similarity(0.25, 3 * DEG, 300, 200, &g);
    ns_error err = {0};
    CHECK_OK(ns_affine_invert(&f, &fi, &err), err);
    ns_affine_compose(&f, &fi, &id);
    CHECK_NEAR(id.a, 1, 1e-14);
    CHECK_NEAR(id.b, 0, 1e-14);
    CHECK_NEAR(id.c, 0, 1e-14);
    CHECK_NEAR(id.d, 1, 1e-14);
    CHECK_NEAR(id.tx, 0, 1e-12);
    CHECK_NEAR(id.ty, 0, 1e-12);

    /* compose applies g first: (f∘g)(p) == f(g(p)). */
    ns_affine fg;
    ns_affine_compose(&f, &g, &fg);
    double X1, Y1, X2, Y2, gx, gy;
    ns_affine_apply(&fg, 123.5, -77.25, &X1, &Y1);
    ns_affine_apply(&g, 123.5, -77.25, &gx, &gy);
    ns_affine_apply(&f, gx, gy, &X2, &Y2);
    CHECK_NEAR(X1, X2, 1e-12);
    CHECK_NEAR(Y1, Y2, 1e-12);

    /* g^-1 ∘ (g ∘ p) round trip on a point. */
    ns_affine gi;
    CHECK_OK(ns_affine_invert(&g, &gi, &err), err);
    ns_affine_apply(&g, 1000, 2000, &X1, &Y1);
    ns_affine_apply(&gi, X1, Y1, &X2, &Y2);
    CHECK_NEAR(X2, 1000, 1e-9);
    CHECK_NEAR(Y2, 2000, 1e-9);

    /* Aliasing: compose in place. */
    x = f;
    ns_affine_compose(&x, &g, &x);
    CHECK_NEAR(x.tx, fg.tx, 1e-12);

    ns_affine sing = {.a = 1, .b = 2, .tx = 0, .c = 2, .d = 4, .ty = 0};
    CHECK(ns_affine_invert(&sing, &x, &err) == NS_ERR_INVALID);
    CHECK(strlen(err.message) > 0);

    ns_affine_identity(&x);
    CHECK_NEAR(ns_affine_corner_error(&x, &x, 2048, 2048), 0, 0);
    ns_affine y = x;
    y.tx = 3;
    y.ty = 4;
    CHECK_NEAR(ns_affine_corner_error(&x, &y, 2048, 2048), 5, 1e-12);
    CHECK(strcmp(ns_optimizer_name(NS_OPT_LBFGSB), "L-BFGS-B") == 0);
    CHECK(strcmp(ns_optimizer_name(NS_OPT_LM), "Levenberg-Marquardt") == 0);
}

/* THE acceptance criterion: from the default start both optimizers reach the
 * closed-form RMSD within 1e-6 relative (500 pairs, 0.3 px noise), over several seeds. */
static void test_optimizers_reach_closed_form(void)
{
    enum { N = 500 };
    static double src[2 * N], dst[2 * N];
    ns_affine truth, start, cf;
    true_transform(&truth);
    ns_fit_options opt;
    ns_fit_options_default(&opt);
    for (uint64_t seed = 1; seed <= 5; seed++) {
        make_pairs(&truth, N, 0.3, seed, src, dst);
        ns_error err = {0};
        CHECK_OK(ns_affine_closed_form(src, dst, NULL, N, &cf, &err), err);
        double rmsd_cf = ns_affine_rmsd(&cf, src, dst, N);
        CHECK(rmsd_cf > 0.3 && rmsd_cf < 0.55); /* ~ 0.3 * sqrt(2) */
        default_start(src, dst, N, &start);
        for (int m = 0; m < 2; m++) {
            ns_fit_result r;
            CHECK_OK(ns_affine_fit((ns_optimizer)m, src, dst, N, &start, &opt, &r, &err), err);
            double rel = (r.rmsd - rmsd_cf) / rmsd_cf;
            CHECK_MSG(rel >= -1e-12 && rel <= 1e-6, "%s seed %d: rmsd %.12g closed form %.12g rel %.3g",
                      ns_optimizer_name((ns_optimizer)m), (int)seed, r.rmsd, rmsd_cf, rel);
            CHECK_NEAR(r.t.a, cf.a, 1e-6);
            CHECK_NEAR(r.t.d, cf.d, 1e-6);
            CHECK_NEAR(r.t.tx, cf.tx, 1e-3);
            CHECK(r.iterations >= 1 && r.iterations <= opt.max_iter);
            CHECK(r.nfev >= 1 && r.njev >= 1);
            CHECK(r.converged);
            CHECK(r.us > 0);
            /* Plain least squares runs on the moments: no O(n) scratch any more. */
            CHECK(r.scratch_bytes > 0 && r.scratch_bytes < 4 * N * sizeof(double));
            if (seed == 1)
                fprintf(stderr, "   %-20s rel %.2e iters %d nfev %d njev %d\n",
                        ns_optimizer_name((ns_optimizer)m), rel, r.iterations, r.nfev, r.njev);
        }
    }
}

/* Largest distance between f and g over the corners of the box [x0, x0 + w] x [y0, y0 + h],
 * relative to the length of that box's diagonal once mapped by f. */
static double rel_transform_diff(const ns_affine *f, const ns_affine *g, double x0, double y0,
                                 double w, double h)
{
    double worst = ns_affine_box_error(f, g, x0, y0, w, h);
    double x1, y1, x2, y2;
    ns_affine_apply(f, x0, y0, &x1, &y1);
    ns_affine_apply(f, x0 + w, y0 + h, &x2, &y2);
    return worst / hypot(x2 - x1, y2 - y1);
}

/* The L2 objective from sufficient statistics (the default) and residual by residual
 * (the reference) must reach the same transform, within 1e-9 relative, for both methods:
 * on the benchmark's geometry, far from the origin (points around (50000, 50000), 0.1 px
 * noise: where moments about the origin would cancel catastrophically), on a thin strip
 * (an ill-conditioned normal matrix), without noise, and with L-BFGS-B's bounds active. */
static void test_moments_match_per_pair(void)
{
    enum { N = 500 };
    static double src[2 * N], dst[2 * N];
    static const struct {
        const char *name;
        double x0, y0, w, h, noise;
        int bounded;
    } cases[] = {
        {"2048 tile", 0, 0, 2048, 2048, 0.3, 0},
        {"around (50000, 50000)", 49000, 49000, 2000, 2000, 0.1, 0},
        {"strip 2000 x 20 at 50000", 49000, 50000, 2000, 20, 0.1, 0},
        {"noise-free", 0, 0, 2048, 2048, 0.0, 0},
        {"2048 tile, bounded", 0, 0, 2048, 2048, 0.3, 1},
        {"around (50000, 50000), bounded", 49000, 49000, 2000, 2000, 0.1, 1},
    };
    ns_affine truth;
    true_transform(&truth);
    double worst[2] = {0, 0};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        for (uint64_t seed = 1; seed <= 5; seed++) {
            rng_state = seed;
            for (size_t i = 0; i < N; i++) {
                src[2 * i] = cases[ci].x0 + cases[ci].w * uniform01();
                src[2 * i + 1] = cases[ci].y0 + cases[ci].h * uniform01();
                ns_affine_apply(&truth, src[2 * i], src[2 * i + 1], &dst[2 * i], &dst[2 * i + 1]);
                dst[2 * i] += cases[ci].noise * gaussian();
                dst[2 * i + 1] += cases[ci].noise * gaussian();
            }
            ns_affine start;
            default_start(src, dst, N, &start);
            ns_fit_options opt;
            ns_fit_options_default(&opt);
            if (cases[ci].bounded) { /* a, d <= 0.24 < 0.2498 and |b|, |c| <= 0.005 < 0.0087: active */
                opt.scale_min = 0.2;
                opt.scale_max = 0.24;
                opt.shear_max = 0.005;
            }
            for (int m = 0; m < 2; m++) {
                if (cases[ci].bounded && m == NS_OPT_LM) continue; /* bounds are L-BFGS-B's */
                ns_fit_result mo, pp;
                ns_error err = {0};
                CHECK_OK(ns_affine_fit_eval((ns_optimizer)m, NS_EVAL_MOMENTS, src, dst, N, &start, &opt,
                                            &mo, &err), err);
                CHECK_OK(ns_affine_fit_eval((ns_optimizer)m, NS_EVAL_PER_PAIR, src, dst, N, &start, &opt,
                                            &pp, &err), err);
                double d = rel_transform_diff(&mo.t, &pp.t, cases[ci].x0, cases[ci].y0, cases[ci].w,
                                              cases[ci].h);
                if (d > worst[m]) worst[m] = d;
                CHECK_MSG(d <= 1e-9, "%s, seed %d, %s: moments vs per pair %.3g relative",
                          cases[ci].name, (int)seed, ns_optimizer_name((ns_optimizer)m), d);
                CHECK(mo.converged && pp.converged);
                if (cases[ci].noise > 0)
                    CHECK_MSG(fabs(mo.rmsd - pp.rmsd) <= 1e-9 * pp.rmsd, "%s: rmsd %.15g vs %.15g",
                              cases[ci].name, mo.rmsd, pp.rmsd);
                /* The moment path keeps no copy of the points; the per-pair path does. */
                CHECK(mo.scratch_bytes < 4 * N * sizeof(double));
                CHECK(pp.scratch_bytes >= 4 * N * sizeof(double));
                if (cases[ci].bounded) {
                    CHECK(mo.t.a <= 0.24 + 1e-12 && mo.t.d <= 0.24 + 1e-12);
                    CHECK(fabs(mo.t.b) <= 0.005 + 1e-12 && fabs(mo.t.c) <= 0.005 + 1e-12);
                }
            }
        }
    }
    fprintf(stderr, "   largest relative difference, moments vs per pair: L-BFGS-B %.2e, LM %.2e\n",
            worst[0], worst[1]);
}

/* Where the moment path does not apply, ns_affine_fit is the per-pair path exactly:
 * Huber loss, and collinear source points (no Cholesky factor: lmder regularises). */
static void test_moments_fallbacks(void)
{
    enum { N = 200 };
    static double src[2 * N], dst[2 * N];
    ns_affine truth, start;
    true_transform(&truth);
    make_pairs(&truth, N, 0.3, 41, src, dst);
    default_start(src, dst, N, &start);
    ns_fit_options opt;
    ns_fit_options_default(&opt);
    opt.loss = NS_LOSS_HUBER;
    ns_error err = {0};
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) { /* plain least squares on points along a line */
            opt.loss = NS_LOSS_L2;
            for (size_t i = 0; i < N; i++) src[2 * i + 1] = 0.5 * src[2 * i] + 100;
        }
        for (int m = 0; m < 2; m++) {
            ns_fit_result a, b;
            CHECK_OK(ns_affine_fit_eval((ns_optimizer)m, NS_EVAL_MOMENTS, src, dst, N, &start, &opt, &a,
                                        &err), err);
            CHECK_OK(ns_affine_fit_eval((ns_optimizer)m, NS_EVAL_PER_PAIR, src, dst, N, &start, &opt, &b,
                                        &err), err);
            CHECK_MSG(memcmp(&a.t, &b.t, sizeof a.t) == 0 && a.nfev == b.nfev,
                      "%s, pass %d: the two paths differ", ns_optimizer_name((ns_optimizer)m), pass);
        }
    }
}

/* Huber with 10% gross outliers. With 0.3 px noise on 450 inliers even an oracle
 * that knows the outliers (L2 on the inliers only) misses the true corners by
 * ~0.05-0.1 px (the statistical floor), so there the outliers' cost is measured
 * against that oracle: the Huber fit's corner error exceeds the oracle's by < 0.05 px,
 * while a plain L2 fit is off by pixels. With 0.1 px noise the floor is low enough to
 * ask for 0.05 px from the true transform outright. */
static void huber_case(double noise, uint64_t seed)
{
    enum { N = 500 };
    static double src[2 * N], dst[2 * N], in_src[2 * N], in_dst[2 * N];
    ns_affine truth, start, oracle, l2;
    true_transform(&truth);
    ns_fit_options opt;
    ns_fit_options_default(&opt);
    opt.loss = NS_LOSS_HUBER;
    opt.huber_delta = 0.5; /* ~1.3x the mean residual length of 0.3 px/axis noise */
    opt.huber_delta = 0.5 * noise / 0.3;
    ns_error err = {0};
    {
        make_pairs(&truth, N, noise, seed, src, dst);
        size_t k = 0;
        for (size_t i = 0; i < N; i++) {
            if (i % 10 == 0) continue;
            memcpy(&in_src[2 * k], &src[2 * i], 2 * sizeof(double));
            memcpy(&in_dst[2 * k], &dst[2 * i], 2 * sizeof(double));
            k++;
        }
        /* Wrong partners 15..80 px away in a random direction. */
        for (size_t i = 0; i < N; i += 10) {
            double r = 15 + 65 * uniform01(), a = 2 * M_PI * uniform01();
            dst[2 * i] += r * cos(a);
            dst[2 * i + 1] += r * sin(a);
        }
        CHECK_OK(ns_affine_closed_form(in_src, in_dst, NULL, k, &oracle, &err), err);
        CHECK_OK(ns_affine_closed_form(src, dst, NULL, N, &l2, &err), err);
        double oracle_err = ns_affine_corner_error(&oracle, &truth, 2048, 2048);
        double l2_err = ns_affine_corner_error(&l2, &truth, 2048, 2048);
        CHECK(l2_err > 1.0); /* the outliers do hurt a plain least-squares fit */
        default_start(src, dst, N, &start);
        ns_fit_result r[2];
        for (int m = 0; m < 2; m++) {
            CHECK_OK(ns_affine_fit((ns_optimizer)m, src, dst, N, &start, &opt, &r[m], &err), err);
            double ce = ns_affine_corner_error(&r[m].t, &truth, 2048, 2048);
            double co = ns_affine_corner_error(&r[m].t, &oracle, 2048, 2048);
            fprintf(stderr, "   noise %.1f seed %d Huber %-20s corner error %.4f px, to oracle %.4f px "
                    "(oracle %.4f, plain L2 %.3f), iters %d\n", noise, (int)seed,
                    ns_optimizer_name((ns_optimizer)m), ce, co, oracle_err, l2_err, r[m].iterations);
            CHECK_MSG(ce < oracle_err + 0.05, "%s: corner error %.4f, oracle %.4f",
                      ns_optimizer_name((ns_optimizer)m), ce, oracle_err);
            CHECK_MSG(co < 0.1, "%s: %.4f px from the inlier-only fit",
                      ns_optimizer_name((ns_optimizer)m), co);
            if (noise <= 0.1) CHECK_MSG(ce < 0.05, "corner error %.4f px", ce);
            CHECK(r[m].converged);
        }
        /* Both methods minimise the same Huber objective: they agree closely. */
        CHECK(ns_affine_corner_error(&r[0].t, &r[1].t, 2048, 2048) < 1e-3);
    }
}

static void test_huber_outliers(void)
{
    for (uint64_t seed = 11; seed <= 13; seed++) huber_case(0.3, seed);
    for (uint64_t seed = 11; seed <= 13; seed++) huber_case(0.1, seed);
}

static void test_bounds(void)
{
    enum { N = 300 };
    static double src[2 * N], dst[2 * N];
    ns_affine truth, start;
    true_transform(&truth); /* a = d = 0.25 cos 2° = 0.24985 */
    make_pairs(&truth, N, 0.3, 21, src, dst);
    default_start(src, dst, N, &start);
    ns_fit_options opt;
    ns_fit_options_default(&opt);
    opt.scale_min = 0.2;
    opt.scale_max = 0.24;
    opt.shear_max = 0.005; /* |b| = |c| = 0.0087 unconstrained */
    ns_fit_result r;
    ns_error err = {0};
    CHECK_OK(ns_affine_fit(NS_OPT_LBFGSB, src, dst, N, &start, &opt, &r, &err), err);
    CHECK_MSG(r.t.a <= 0.24 + 1e-12 && r.t.d <= 0.24 + 1e-12, "a %.9g d %.9g", r.t.a, r.t.d);
    CHECK_NEAR(r.t.a, 0.24, 1e-9); /* active bound */
    CHECK_MSG(fabs(r.t.b) <= 0.005 + 1e-12 && fabs(r.t.c) <= 0.005 + 1e-12, "b %.9g c %.9g", r.t.b,
              r.t.c);
    /* A start outside the box is projected into it. */
    ns_affine far = start;
    far.a = far.d = 0.5;
    CHECK_OK(ns_affine_fit(NS_OPT_LBFGSB, src, dst, N, &far, &opt, &r, &err), err);
    CHECK(r.t.a <= 0.24 + 1e-12 && r.t.d <= 0.24 + 1e-12);
    /* Lower bound active. */
    opt.scale_min = 0.26;
    opt.scale_max = 0.3;
    CHECK_OK(ns_affine_fit(NS_OPT_LBFGSB, src, dst, N, &start, &opt, &r, &err), err);
    CHECK(r.t.a >= 0.26 - 1e-12 && r.t.d >= 0.26 - 1e-12);
    opt.scale_min = 0.3;
    opt.scale_max = 0.2;
    CHECK(ns_affine_fit(NS_OPT_LBFGSB, src, dst, N, &start, &opt, &r, &err) == NS_ERR_INVALID);
}

static void test_iteration_limit(void)
{
    enum { N = 200 };
    static double src[2 * N], dst[2 * N];
    ns_affine truth, start;
    true_transform(&truth);
    make_pairs(&truth, N, 0.3, 31, src, dst);
    ns_affine_similarity(0.3, 10 * DEG, 0, 0, &start);
    ns_fit_options opt;
    ns_fit_options_default(&opt);
    opt.max_iter = 1;
    ns_error err = {0};
    for (int m = 0; m < 2; m++) {
        ns_fit_result r;
        CHECK_OK(ns_affine_fit((ns_optimizer)m, src, dst, N, &start, &opt, &r, &err), err);
        CHECK_MSG(r.iterations <= 1, "%s: %d iterations", ns_optimizer_name((ns_optimizer)m),
                  r.iterations);
        CHECK(isfinite(r.rmsd));
    }
}

static void test_bad_input(void)
{
    double src[6] = {0, 0, 1, 0, 2, 0}, dst[6] = {0, 0, 1, 0, 2, 0};
    ns_affine t, start;
    ns_affine_identity(&start);
    ns_error err = {0};
    ns_fit_result r;
    CHECK(ns_affine_closed_form(src, dst, NULL, 2, &t, &err) == NS_ERR_EMPTY);
    CHECK(strstr(err.message, "at least 3") != NULL);
    CHECK(ns_affine_closed_form(src, dst, NULL, 3, &t, &err) == NS_ERR_INVALID); /* collinear */
    CHECK(strstr(err.message, "collinear") != NULL);
    CHECK(ns_affine_fit(NS_OPT_LBFGSB, src, dst, 2, &start, NULL, &r, &err) == NS_ERR_EMPTY);
    CHECK(ns_affine_fit(NS_OPT_LM, src, dst, 0, &start, NULL, &r, &err) == NS_ERR_EMPTY);
    double w[3] = {1, -1, 1};
    src[5] = 1;
    CHECK(ns_affine_closed_form(src, dst, w, 3, &t, &err) == NS_ERR_INVALID);
    dst[3] = NAN;
    CHECK(ns_affine_fit(NS_OPT_LM, src, dst, 3, &start, NULL, &r, &err) == NS_ERR_INVALID);
    CHECK(strstr(err.message, "point 1 is not finite") != NULL);
    dst[3] = 0;
    src[4] = -INFINITY;
    CHECK(ns_affine_fit(NS_OPT_LBFGSB, src, dst, 3, &start, NULL, &r, &err) == NS_ERR_INVALID);
    CHECK(strstr(err.message, "point 2 is not finite") != NULL);
    src[4] = 2;
    /* Finite but huge: the coordinate sums overflow, which is not a non-finite point. */
    double big_src[6] = {1e308, 0, 1.5e308, 1e308, 0, 1.7e308}, big_dst[6];
    memcpy(big_dst, big_src, sizeof big_dst);
    ns_status st = ns_affine_fit(NS_OPT_LM, big_src, big_dst, 3, &start, NULL, &r, &err);
    CHECK(st == NS_OK || strstr(err.message, "not finite") == NULL);
    ns_fit_options opt;
    ns_fit_options_default(&opt);
    opt.loss = NS_LOSS_HUBER;
    opt.huber_delta = 0;
    dst[3] = 0;
    CHECK(ns_affine_fit(NS_OPT_LM, src, dst, 3, &start, &opt, &r, &err) == NS_ERR_INVALID);
}

int main(void)
{
    RUN(test_closed_form_exact);
    RUN(test_algebra);
    RUN(test_optimizers_reach_closed_form);
    RUN(test_moments_match_per_pair);
    RUN(test_moments_fallbacks);
    RUN(test_huber_outliers);
    RUN(test_bounds);
    RUN(test_iteration_limit);
    RUN(test_bad_input);
    return check_report();
}
