/* test_mapping.c — 10X↔40X mapping on synthetic point sets with a known transform:
 * the right tile among four, sub-half-pixel corners, match precision and recall;
 * Delaunay counts; degenerate inputs fail cleanly; an unrelated tile stays unmapped. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nucseg/rng.h"
#include "check.h"
#include "nucseg/mapping.h"

static uint64_t rng_state;
static double uniform(void)
{
    return ns_splitmix64_uniform(&rng_state);
}
static double gauss(void)
{
    return ns_splitmix64_gaussian(&rng_state);
}

/* Dart throwing with a minimum spacing: nuclei-like point sets. */
static size_t random_points(double *xy, size_t want, double size, double spacing)
{
    size_t n = 0;
    for (long tries = 0; n < want && tries < 200000; tries++) {
        double x = uniform() * size, y = uniform() * size;
        int ok = 1;
        for (size_t i = 0; i < n && ok; i++)
            ok = (xy[2 * i] - x) * (xy[2 * i] - x) + (xy[2 * i + 1] - y) * (xy[2 * i + 1] - y) >= spacing * spacing;
        if (!ok) continue;
        xy[2 * n] = x;
        xy[2 * n + 1] = y;
        n++;
    }
    return n;
}

typedef struct {
    ns_tile_points t10[4], t40;
    int *src10;   /* base point of each 10X point (tile 2 only) */
    int *src40;   /* base point of each 40X point, -1 for spurious */
    ns_affine truth;
} scene;

static void tile_init(ns_tile_points *t, const char *stem, int mag, int size)
{
    memset(t, 0, sizeof *t);
    t->stem = strdup(stem);
    t->well = strdup("Well1");
    t->magnification = mag;
    t->width = t->height = size;
}

/* Four 10X tiles of ~3000 points; the 40X tile views a 512^2 window of tile 2
 * through the inverse of truth (scale 4, rotation 2°), 5% dropped on each side,
 * 0.3 px noise on both, 5% spurious 40X points. */
static void make_scene(scene *s, uint64_t seed)
{
    rng_state = seed;
    ns_affine_similarity(0.25, 2.0 * M_PI / 180, 300, 220, &s->truth);
    ns_affine inv;
    ns_error err;
    ns_affine_invert(&s->truth, &inv, &err);
    double *base = malloc(2 * 4000 * sizeof *base);
    for (int k = 0; k < 4; k++) {
        char stem[32];
        snprintf(stem, sizeof stem, "Well1_Tile-%d", k);
        tile_init(&s->t10[k], stem, 10, 1024);
        size_t nb = random_points(base, 3000, 1024, 10);
        ns_tile_points *t = &s->t10[k];
        t->xy = malloc(2 * nb * sizeof *t->xy);
        if (k == 2) s->src10 = malloc(nb * sizeof *s->src10);
        int *keep40 = NULL;
        if (k == 2) { /* the 40X view of this tile, drawn from the same base points */
            tile_init(&s->t40, "Well1_Site-0", 40, 2048);
            s->t40.xy = malloc(2 * (nb + 200) * sizeof *s->t40.xy);
            s->src40 = malloc((nb + 200) * sizeof *s->src40);
            keep40 = calloc(nb, sizeof *keep40);
        }
        for (size_t i = 0; i < nb; i++) {
            if (k == 2) {
                double qx, qy;
                ns_affine_apply(&inv, base[2 * i], base[2 * i + 1], &qx, &qy);
                if (qx >= 0 && qy >= 0 && qx < 2048 && qy < 2048 && uniform() >= 0.05) {
                    size_t m = s->t40.n++;
                    s->t40.xy[2 * m] = qx + 0.3 * gauss();
                    s->t40.xy[2 * m + 1] = qy + 0.3 * gauss();
                    s->src40[m] = (int)i;
                }
                if (uniform() < 0.05) continue; /* dropped in 10X */
                s->src10[t->n] = (int)i;
            }
            t->xy[2 * t->n] = base[2 * i] + (k == 2 ? 0.3 * gauss() : 0);
            t->xy[2 * t->n + 1] = base[2 * i + 1] + (k == 2 ? 0.3 * gauss() : 0);
            t->n++;
        }
        if (k == 2) {
            size_t spurious = s->t40.n / 20;
            for (size_t j = 0; j < spurious; j++) {
                size_t m = s->t40.n++;
                s->t40.xy[2 * m] = uniform() * 2048;
                s->t40.xy[2 * m + 1] = uniform() * 2048;
                s->src40[m] = -1;
            }
            /* shuffle so 40X labels carry no order information */
            for (size_t m = s->t40.n; m > 1; m--) {
                size_t j = (size_t)(uniform() * m);
                double tx = s->t40.xy[2 * (m - 1)], ty = s->t40.xy[2 * (m - 1) + 1];
                int ts = s->src40[m - 1];
                s->t40.xy[2 * (m - 1)] = s->t40.xy[2 * j];
                s->t40.xy[2 * (m - 1) + 1] = s->t40.xy[2 * j + 1];
                s->src40[m - 1] = s->src40[j];
                s->t40.xy[2 * j] = tx;
                s->t40.xy[2 * j + 1] = ty;
                s->src40[j] = ts;
            }
            free(keep40);
        }
    }
    free(base);
}

static void scene_free(scene *s)
{
    for (int k = 0; k < 4; k++) ns_tile_points_free(&s->t10[k]);
    ns_tile_points_free(&s->t40);
    free(s->src10);
    free(s->src40);
}

static double corner_error(const ns_affine *a, const ns_affine *b, int w, int h)
{
    double cx[4] = {0, w - 1, 0, w - 1}, cy[4] = {0, 0, h - 1, h - 1}, worst = 0;
    for (int k = 0; k < 4; k++) {
        double ax, ay, bx, by;
        ns_affine_apply(a, cx[k], cy[k], &ax, &ay);
        ns_affine_apply(b, cx[k], cy[k], &bx, &by);
        worst = fmax(worst, hypot(ax - bx, ay - by));
    }
    return worst;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_right_tile_and_accuracy(void)
{
    scene s;
    make_scene(&s, 42);
    fprintf(stderr, "   10X tiles %zu %zu %zu %zu points, 40X tile %zu points\n", s.t10[0].n, s.t10[1].n,
            s.t10[2].n, s.t10[3].n, s.t40.n);
    ns_map_options o;
    ns_map_options_default(&o);
    ns_map_index *ix[4];
    ns_error err = {0};
    for (int k = 0; k < 4; k++) CHECK_OK(ns_map_index_build(&s.t10[k], &o, &ix[k], &err), err);

    ns_map_result r;
    double t0 = seconds_now();
    ns_status st = ns_map_tile(&s.t40, s.t10, ix, 4, &o, &r, &err);
    double dt = seconds_now() - t0;
    CHECK_OK(st, err);
    CHECK(r.mapped);
    CHECK_MSG(r.tile_10x == 2, "picked tile %ld", r.tile_10x);
    double ce = corner_error(&r.t, &s.truth, 2048, 2048);
    CHECK_MSG(ce < 0.5, "corner error %.4f px", ce);

    /* precision / recall against the base points */
    size_t correct = 0;
    for (size_t m = 0; m < r.inliers; m++) {
        int a = s.src40[r.matches[m].label_40x - 1], b = s.src10[r.matches[m].label_10x - 1];
        correct += a >= 0 && a == b;
    }
    size_t both = 0;
    char *in10 = calloc(4000, 1);
    for (size_t j = 0; j < s.t10[2].n; j++) in10[s.src10[j]] = 1;
    for (size_t i = 0; i < s.t40.n; i++) both += s.src40[i] >= 0 && in10[s.src40[i]];
    free(in10);
    double precision = r.inliers ? (double)correct / r.inliers : 0, recall = both ? (double)correct / both : 0;
    fprintf(stderr, "   tile %ld score %.3f ransac %.3f inliers %zu rmsd %.3f corner %.4f px precision %.4f recall %.4f "
            "(%s, L-BFGS-B %.4f, LM %.4f) %ld hypotheses, %.1f ms\n",
            r.tile_10x, r.score, r.ransac_score, r.inliers, r.rmsd, ce, precision, recall, r.optimizer, r.rmsd_lbfgsb,
            r.rmsd_lm, r.hypotheses, dt * 1e3);
    CHECK_MSG(precision >= 0.99, "precision %.4f", precision);
    CHECK_MSG(recall >= 0.95, "recall %.4f", recall);
    CHECK(r.rmsd < 1.0);

    /* deterministic: the same inputs and seed give the same transform and matches */
    ns_map_result r2;
    CHECK_OK(ns_map_tile(&s.t40, s.t10, ix, 4, &o, &r2, &err), err);
    CHECK(r2.tile_10x == r.tile_10x && r2.inliers == r.inliers && !memcmp(&r2.t, &r.t, sizeof r.t));
    ns_map_result_free(&r2);

    /* without the true tile among the candidates nothing may map */
    ns_tile_points others[3] = {s.t10[0], s.t10[1], s.t10[3]};
    ns_map_index *oix[3] = {ix[0], ix[1], ix[3]};
    ns_map_result r3;
    CHECK_OK(ns_map_tile(&s.t40, others, oix, 3, &o, &r3, &err), err);
    CHECK_MSG(!r3.mapped, "mapped to an unrelated tile with score %.3f", r3.score);
    CHECK(r3.score < o.min_score);
    ns_map_result_free(&r3);

    ns_map_result_free(&r);
    for (int k = 0; k < 4; k++) ns_map_index_free(ix[k]);
    scene_free(&s);
}

static void test_delaunay_counts(void)
{
    double sq[8] = {0, 0, 10, 0, 10, 10, 0, 10.5};
    ns_triangulation t;
    ns_error err = {0};
    CHECK_OK(ns_delaunay(sq, 4, &t, &err), err);
    CHECK(t.count == 2);
    ns_triangulation_free(&t);

    /* points in general position: triangles = 2n - h - 2 (h on the hull) */
    double xy[2 * 100];
    for (int i = 0; i < 100; i++) {
        xy[2 * i] = (i % 10) * 10 + 0.01 * (i * 7 % 13);
        xy[2 * i + 1] = (i / 10) * 10 + 0.01 * (i * 5 % 11);
    }
    CHECK_OK(ns_delaunay(xy, 100, &t, &err), err);
    size_t h = 0; /* hull of a perturbed grid: its border points (36) */
    for (int i = 0; i < 100; i++) h += (i % 10 == 0 || i % 10 == 9 || i / 10 == 0 || i / 10 == 9);
    CHECK_MSG(t.count <= 2 * 100 - 2 - 3 && t.count >= 2 * 100 - h - 2, "%zu triangles", t.count);
    int bad = 0;
    for (size_t k = 0; k < 3 * t.count; k++) bad += t.v[k] < 0 || t.v[k] >= 100;
    CHECK(bad == 0);
    ns_triangulation_free(&t);
}

static void test_degenerate_inputs(void)
{
    ns_triangulation t;
    ns_error err = {0};
    double two[4] = {0, 0, 1, 1};
    ns_status st = ns_delaunay(two, 2, &t, &err);
    CHECK(st == NS_ERR_EMPTY);
    CHECK(err.message[0] != '\0');
    CHECK(t.v == NULL);

    double line[20];
    for (int i = 0; i < 10; i++) { line[2 * i] = i * 3.0; line[2 * i + 1] = i * 1.5 + 2; }
    memset(&err, 0, sizeof err);
    st = ns_delaunay(line, 10, &t, &err);
    CHECK(st == NS_ERR_INVALID);
    CHECK_MSG(strstr(err.message, "collinear") != NULL, "%s", err.message);

    double same[8] = {5, 5, 5, 5, 5, 5, 5, 5};
    CHECK(ns_delaunay(same, 4, &t, &err) == NS_ERR_INVALID);

    /* NaN/Inf is named as such, not taken for collinear points */
    double bad[8] = {0, 0, 10, 0, 0, 10, NAN, 4};
    st = ns_delaunay(bad, 4, &t, &err);
    CHECK(st == NS_ERR_INVALID);
    CHECK_MSG(strstr(err.message, "point 3 has non-finite coordinates") != NULL, "%s", err.message);
    bad[6] = INFINITY;
    CHECK(ns_delaunay(bad, 4, &t, &err) == NS_ERR_INVALID && strstr(err.message, "non-finite"));

    /* a 40X tile that cannot be triangulated fails with a message naming it */
    ns_tile_points t40 = {.stem = "Well1_Site-9", .well = "Well1", .magnification = 40, .width = 100,
                          .height = 100, .xy = line, .n = 10};
    ns_tile_points t10 = {.stem = "Well1_Tile-0", .well = "Well1", .magnification = 10, .width = 100,
                          .height = 100, .xy = line, .n = 10};
    ns_map_options o;
    ns_map_options_default(&o);
    ns_map_index *ix;
    CHECK_OK(ns_map_index_build(&t10, &o, &ix, &err), err); /* a degenerate 10X tile is just no candidate */
    ns_map_result r;
    memset(&err, 0, sizeof err);
    st = ns_map_tile(&t40, &t10, &ix, 1, &o, &r, &err);
    CHECK(st == NS_ERR_INVALID);
    CHECK_MSG(strstr(err.message, "Well1_Site-9") != NULL, "%s", err.message);
    t40.n = 2;
    CHECK(ns_map_tile(&t40, &t10, &ix, 1, &o, &r, &err) == NS_ERR_EMPTY);
    ns_map_index_free(ix);

    o.scale_min = 0.5;
    o.scale_max = 0.1;
    CHECK(ns_map_index_build(&t10, &o, &ix, &err) == NS_ERR_INVALID);
}

int main(void)
{
    RUN(test_delaunay_counts);
    RUN(test_degenerate_inputs);
    RUN(test_right_tile_and_accuracy);
    return check_report();
}
