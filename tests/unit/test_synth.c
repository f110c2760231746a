/* test_synth.c — the synthetic field and plate: determinism (same seed, same
 * bytes), valid options, dense requests terminating, and ground truth that is
 * consistent with itself (labels vs CSV vs truth.json) and across magnifications
 * (40X centroids mapped through the recorded affine land on the 10X centroids). */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "check.h"
#include "test_files.h"
#include "nucseg/fsutil.h"
#include "nucseg/image.h"
#include "nucseg/synth.h"

static char tmp_root[256];

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static char *join(const char *a, const char *b)
{
    char *p = ns_path_join(a, b);
    if (!p) abort();
    return p;
}

static int files_identical(const char *a, const char *b)
{
    size_t la, lb;
    char *x = test_read_file(a, &la), *y = test_read_file(b, &lb);
    int same = x && y && la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return same;
}

static void small_plate(ns_synth_plate_options *o, uint64_t seed)
{
    ns_synth_plate_options_default(o);
    o->wells = 1;
    o->tiles_10x = 4;
    o->sites_per_tile = 1;
    o->width_10x = o->height_10x = 256;
    o->width_40x = o->height_40x = 512;
    o->seed = seed;
}

static cJSON *load_json(const char *dir)
{
    char *path = join(dir, "truth.json");
    char *text = test_read_file(path, NULL);
    free(path);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    free(text);
    return j;
}

/* ---- fields ---- */

static void test_field_basic(void)
{
    ns_synth_field_options o;
    ns_synth_field_options_default(&o);
    o.width = 300;
    o.height = 200;
    ns_image img, lab, img2, lab2;
    size_t n = 0, n2 = 0;
    ns_error err = {0};
    CHECK_OK(ns_synth_field(&o, &img, &lab, &n, &err), err);
    CHECK(img.type == NS_PIXEL_U16 && img.width == 300 && img.height == 200);
    CHECK(lab.type == NS_PIXEL_U32 && lab.width == 300 && lab.height == 200);
    /* 15% of 60000 px in nuclei of ~78.5 px: about 115. */
    CHECK_MSG(n > 80 && n < 160, "count %zu", n);
    /* Labels are exactly 1..n, each used. */
    size_t *area = calloc(n + 2, sizeof *area);
    const uint32_t *l = lab.data;
    uint32_t max = 0;
    size_t inside = 0;
    for (size_t i = 0; i < (size_t)300 * 200; i++) {
        if (l[i] > max) max = l[i];
        if (l[i] && l[i] <= n) area[l[i]]++;
        if (l[i]) inside++;
    }
    CHECK(max == n);
    size_t unused = 0;
    for (size_t k = 1; k <= n; k++) unused += area[k] == 0;
    CHECK(unused == 0);
    free(area);
    double coverage = (double)inside / (300.0 * 200.0);
    CHECK_MSG(coverage > 0.10 && coverage < 0.20, "coverage %.3f", coverage);
    /* Nuclei are much brighter than the background. */
    const uint16_t *px = img.data;
    double in_sum = 0, out_sum = 0;
    for (size_t i = 0; i < (size_t)300 * 200; i++) {
        if (l[i]) in_sum += px[i];
        else out_sum += px[i];
    }
    double contrast = (in_sum / inside) / (out_sum / (300.0 * 200.0 - inside));
    CHECK_MSG(contrast > 3.0, "inside/outside mean %.2f", contrast);

    CHECK_OK(ns_synth_field(&o, &img2, &lab2, &n2, &err), err);
    CHECK(n2 == n);
    CHECK(memcmp(img.data, img2.data, (size_t)300 * 200 * 2) == 0);
    CHECK(memcmp(lab.data, lab2.data, (size_t)300 * 200 * 4) == 0);
    ns_image_free(&img2);
    ns_image_free(&lab2);
    o.seed = 2;
    CHECK_OK(ns_synth_field(&o, &img2, NULL, &n2, &err), err);
    CHECK(memcmp(img.data, img2.data, (size_t)300 * 200 * 2) != 0);
    ns_image_free(&img2);
    ns_image_free(&img);
    ns_image_free(&lab);
}

static void test_field_dense_terminates(void)
{
    ns_synth_field_options o;
    ns_synth_field_options_default(&o);
    o.width = o.height = 512;
    o.diameter = 20.0;
    double densities[] = {0.5, 0.9};
    for (int k = 0; k < 2; k++) {
        o.density = densities[k];
        ns_image img, lab;
        size_t n = 0;
        ns_error err = {0};
        CHECK_OK(ns_synth_field(&o, &img, &lab, &n, &err), err);
        size_t inside = 0;
        const uint32_t *l = lab.data;
        for (size_t i = 0; i < (size_t)512 * 512; i++) inside += l[i] != 0;
        double coverage = inside / (512.0 * 512.0);
        fprintf(stderr, "   density %.2f requested: %zu nuclei, coverage %.3f\n", o.density, n, coverage);
        CHECK_MSG(coverage > 0.4, "coverage %.3f at density %.2f", coverage, o.density);
        ns_image_free(&img);
        ns_image_free(&lab);
    }
}

static void test_field_invalid(void)
{
    ns_synth_field_options o;
    ns_synth_field_options_default(&o);
    ns_image img, lab;
    ns_error err = {0};
    o.density = 0.0;
    CHECK(ns_synth_field(&o, &img, &lab, NULL, &err) == NS_ERR_INVALID);
    CHECK(strstr(err.message, "density") != NULL);
    ns_synth_field_options_default(&o);
    o.width = 0;
    CHECK(ns_synth_field(&o, &img, &lab, NULL, &err) == NS_ERR_INVALID);
    ns_synth_field_options_default(&o);
    o.diameter = 0.5;
    CHECK(ns_synth_field(&o, &img, &lab, NULL, &err) == NS_ERR_INVALID);
}

/* ---- plates ---- */

static void test_plate_determinism(void)
{
    char *a = join(tmp_root, "a"), *b = join(tmp_root, "b"), *c = join(tmp_root, "c");
    ns_synth_plate_options o;
    small_plate(&o, 7);
    ns_error err = {0};
    CHECK_OK(ns_synth_plate(a, &o, &err), err);
    CHECK_OK(ns_synth_plate(b, &o, &err), err);
    o.seed = 8;
    CHECK_OK(ns_synth_plate(c, &o, &err), err);

    cJSON *j = load_json(a);
    CHECK(j != NULL);
    int compared = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(j, "tiles")) {
        const char *keys[] = {"file", "labels", "nuclei_csv"};
        for (int k = 0; k < 3; k++) {
            const char *rel = cJSON_GetStringValue(cJSON_GetObjectItem(t, keys[k]));
            CHECK(rel != NULL);
            if (!rel) continue;
            char *pa = join(a, rel), *pb = join(b, rel), *pc = join(c, rel);
            CHECK_MSG(files_identical(pa, pb), "%s differs between two runs with the same seed", rel);
            if (k == 0) CHECK_MSG(!files_identical(pa, pc), "%s is the same for seeds 7 and 8", rel);
            compared++;
            free(pa);
            free(pb);
            free(pc);
        }
    }
    CHECK(compared == 3 * 8);
    const char *extra[] = {"truth.json", "preview/Well1_Tile-0.png", "preview/Well1_Tile-0_overlay.png",
                           "preview/Well1_Site-0.png", "preview/Well1_Site-0_overlay.png"};
    for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++) {
        char *pa = join(a, extra[k]), *pb = join(b, extra[k]);
        CHECK_MSG(files_identical(pa, pb), "%s differs between two runs with the same seed", extra[k]);
        free(pa);
        free(pb);
    }
    cJSON_Delete(j);
    free(a);
    free(b);
    free(c);
}

typedef struct {
    uint32_t label, id;
    double x, y;
    size_t area;
    int touches_border;
} csv_row;

static csv_row *read_csv(const char *path, size_t *count)
{
    FILE *f = fopen(path, "r");
    *count = 0;
    if (!f) return NULL;
    char header[256];
    if (!fgets(header, sizeof header, f) || strcmp(header, "label,nucleus_id,centroid_x,centroid_y,area\n") != 0) {
        fclose(f);
        return NULL;
    }
    size_t cap = 64;
    csv_row *rows = malloc(cap * sizeof *rows);
    csv_row r = {0};
    while (fscanf(f, "%u,%u,%lf,%lf,%zu", &r.label, &r.id, &r.x, &r.y, &r.area) == 5) {
        if (*count == cap) rows = realloc(rows, (cap *= 2) * sizeof *rows);
        rows[(*count)++] = r;
    }
    fclose(f);
    return rows;
}

/* Labels vs CSV: rows 1..n, centroid and area recomputed from the pixels; marks border nuclei. */
static void check_view_truth(const char *dir, const cJSON *t, csv_row **rows_out, size_t *n_out)
{
    const char *stem = cJSON_GetStringValue(cJSON_GetObjectItem(t, "stem"));
    int w = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(t, "width"));
    int h = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(t, "height"));
    size_t nuclei = (size_t)cJSON_GetNumberValue(cJSON_GetObjectItem(t, "nuclei"));
    char *img_path = join(dir, cJSON_GetStringValue(cJSON_GetObjectItem(t, "file")));
    char *lab_path = join(dir, cJSON_GetStringValue(cJSON_GetObjectItem(t, "labels")));
    char *csv_path = join(dir, cJSON_GetStringValue(cJSON_GetObjectItem(t, "nuclei_csv")));
    ns_error err = {0};
    ns_image_info info;
    CHECK_OK(ns_image_probe(img_path, &info, &err), err);
    CHECK_MSG(info.width == w && info.height == h && info.type == NS_PIXEL_U16, "%s: %dx%d %s", stem,
              info.width, info.height, ns_pixel_type_name(info.type));
    ns_image lab = {0};
    CHECK_OK(ns_image_read(lab_path, 0, 0, &lab, &err), err);
    size_t n = 0;
    csv_row *rows = read_csv(csv_path, &n);
    CHECK_MSG(rows != NULL, "%s: unreadable CSV", csv_path);
    CHECK_MSG(n == nuclei, "%s: %zu CSV rows, truth.json says %zu", stem, n, nuclei);
    if (rows && lab.data && lab.type == NS_PIXEL_U32 && lab.width == w && lab.height == h) {
        double *sx = calloc(n + 1, sizeof *sx), *sy = calloc(n + 1, sizeof *sy);
        size_t *area = calloc(n + 1, sizeof *area);
        const uint32_t *l = lab.data;
        uint32_t max = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                uint32_t v = l[(size_t)y * w + x];
                if (v > max) max = v;
                if (!v || v > n) continue;
                sx[v] += x;
                sy[v] += y;
                area[v]++;
                if (x == 0 || y == 0 || x == w - 1 || y == h - 1) rows[v - 1].touches_border = 1;
            }
        CHECK_MSG(max == n, "%s: max label %u, %zu rows", stem, max, n);
        size_t bad = 0;
        for (size_t k = 0; k < n; k++) {
            const csv_row *r = &rows[k];
            if (r->label != k + 1 || area[k + 1] != r->area || area[k + 1] == 0 ||
                fabs(sx[k + 1] / area[k + 1] - r->x) > 1e-3 || fabs(sy[k + 1] / area[k + 1] - r->y) > 1e-3 ||
                (k > 0 && r->id <= rows[k - 1].id))
                bad++;
        }
        CHECK_MSG(bad == 0, "%s: %zu CSV rows disagree with the label image", stem, bad);
        free(sx);
        free(sy);
        free(area);
    } else {
        CHECK_MSG(0, "%s: labels not a %dx%d U32 image", stem, w, h);
    }
    ns_image_free(&lab);
    free(img_path);
    free(lab_path);
    free(csv_path);
    *rows_out = rows;
    *n_out = n;
}

static const cJSON *find_tile(const cJSON *tiles, const char *stem)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, tiles) {
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(t, "stem"));
        if (s && strcmp(s, stem) == 0) return t;
    }
    return NULL;
}

static void read_affine(const cJSON *arr, double m[6])
{
    for (int i = 0; i < 6; i++) m[i] = cJSON_GetNumberValue(cJSON_GetArrayItem(arr, i));
}

static void test_plate_truth(void)
{
    char *dir = join(tmp_root, "a"); /* written by test_plate_determinism */
    cJSON *j = load_json(dir);
    CHECK(j != NULL);
    if (!j) {
        free(dir);
        return;
    }
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "seed")) == 7.0);
    CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(j, "generator")), "nucseg synth") == 0);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "scale_40x_per_10x")) == 4.0);
    const cJSON *tiles = cJSON_GetObjectItem(j, "tiles"), *pairs = cJSON_GetObjectItem(j, "pairs");
    CHECK(cJSON_GetArraySize(tiles) == 8);
    CHECK(cJSON_GetArraySize(pairs) == 4);

    /* 10X tiles of a 2x2 grid abut or overlap slightly: no gaps, little overlap. */
    double off[4][2];
    for (int t = 0; t < 4; t++) {
        char stem[64];
        snprintf(stem, sizeof stem, "Well1_Tile-%d", t);
        const cJSON *tile = find_tile(tiles, stem);
        CHECK(tile != NULL);
        double m[6] = {0};
        if (tile) read_affine(cJSON_GetObjectItem(tile, "to_well"), m);
        CHECK(m[0] == 1.0 && m[1] == 0.0 && m[3] == 0.0 && m[4] == 1.0);
        off[t][0] = m[2];
        off[t][1] = m[5];
    }
    double dx = off[1][0] - off[0][0], dy = off[2][1] - off[0][1];
    CHECK_MSG(dx <= 256.0 && dx > 0.9 * 256.0 && dy <= 256.0 && dy > 0.9 * 256.0, "tile steps %.2f, %.2f", dx, dy);

    const cJSON *pair;
    cJSON_ArrayForEach(pair, pairs) {
        const char *s40 = cJSON_GetStringValue(cJSON_GetObjectItem(pair, "tile_40x"));
        const char *s10 = cJSON_GetStringValue(cJSON_GetObjectItem(pair, "tile_10x"));
        const cJSON *t40 = find_tile(tiles, s40), *t10 = find_tile(tiles, s10);
        CHECK(t40 && t10);
        if (!t40 || !t10) continue;
        double A[6], W40[6], W10[6];
        read_affine(cJSON_GetObjectItem(pair, "affine_40x_to_10x"), A);
        read_affine(cJSON_GetObjectItem(t40, "to_well"), W40);
        read_affine(cJSON_GetObjectItem(t10, "to_well"), W10);
        /* Scale 1/4 and a rotation within 3 degrees. */
        double scale = sqrt(A[0] * A[4] - A[1] * A[3]), theta = atan2(A[3], A[0]) * 180.0 / M_PI;
        CHECK_NEAR(scale, 0.25, 1e-9);
        CHECK_MSG(fabs(theta) <= 3.0 + 1e-9, "%s: rotation %.3f deg", s40, theta);
        /* The pair affine is (10X -> well)^-1 o (40X -> well); 10X tiles are translations. */
        CHECK_NEAR(A[2], W40[2] - W10[2], 1e-6);
        CHECK_NEAR(A[5], W40[5] - W10[5], 1e-6);
        /* The whole 40X site lies inside its 10X tile with a margin of 32 px. */
        int w40 = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(t40, "width"));
        int h40 = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(t40, "height"));
        for (int k = 0; k < 4; k++) {
            double x = (k & 1) ? w40 - 0.5 : -0.5, y = (k & 2) ? h40 - 0.5 : -0.5;
            double X = A[0] * x + A[1] * y + A[2], Y = A[3] * x + A[4] * y + A[5];
            CHECK_MSG(X >= 32.0 - 0.5 && X <= 256.0 - 32.0 - 0.5 && Y >= 32.0 - 0.5 && Y <= 256.0 - 32.0 - 0.5,
                      "%s corner %d at (%.1f, %.1f) in %s", s40, k, X, Y, s10);
        }
        csv_row *r40, *r10;
        size_t n40, n10;
        check_view_truth(dir, t40, &r40, &n40);
        check_view_truth(dir, t10, &r10, &n10);
        /* Same nucleus id, whole in both views: 40X centroid mapped to 10X within 1 px. */
        size_t both = 0, close = 0;
        double worst = 0.0;
        for (size_t a = 0; r40 && a < n40; a++) {
            if (r40[a].touches_border) continue;
            for (size_t b = 0; r10 && b < n10; b++) {
                if (r10[b].id != r40[a].id || r10[b].touches_border) continue;
                double X = A[0] * r40[a].x + A[1] * r40[a].y + A[2], Y = A[3] * r40[a].x + A[4] * r40[a].y + A[5];
                double d = hypot(X - r10[b].x, Y - r10[b].y);
                both++;
                close += d <= 1.0;
                if (d > worst) worst = d;
                break;
            }
        }
        fprintf(stderr, "   %s -> %s: %zu nuclei in both, %zu within 1 px (worst %.3f px)\n", s40, s10, both, close, worst);
        CHECK_MSG(both >= 20, "%s: only %zu nuclei in both views", s40, both);
        CHECK_MSG(close >= 0.95 * both, "%s: %zu of %zu centroids within 1 px", s40, close, both);
        free(r40);
        free(r10);
    }
    /* 10X tiles without a pair are checked too. */
    const cJSON *t;
    cJSON_ArrayForEach(t, tiles) {
        csv_row *rows;
        size_t n;
        check_view_truth(dir, t, &rows, &n);
        CHECK(n > 0);
        free(rows);
    }
    cJSON_Delete(j);
    free(dir);
}

static void test_plate_invalid(void)
{
    char *dir = join(tmp_root, "bad");
    ns_synth_plate_options o;
    small_plate(&o, 1);
    o.width_40x = o.height_40x = 1024; /* 256 10X px: cannot fit in 256 with a 32 px margin */
    ns_error err = {0};
    CHECK(ns_synth_plate(dir, &o, &err) == NS_ERR_INVALID);
    CHECK_MSG(strstr(err.message, "does not fit") != NULL, "%s", err.message);
    small_plate(&o, 1);
    o.wells = 0;
    CHECK(ns_synth_plate(dir, &o, &err) == NS_ERR_INVALID);
    char *json = join(dir, "truth.json");
    CHECK(!ns_file_exists(json));
    free(json);
    free(dir);
}

int main(void)
{
    snprintf(tmp_root, sizeof tmp_root, "/tmp/nucseg_test_synth.XXXXXX");
    if (!mkdtemp(tmp_root)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_field_basic);
    RUN(test_field_dense_terminates);
    RUN(test_field_invalid);
    RUN(test_plate_determinism);
    RUN(test_plate_truth);
    RUN(test_plate_invalid);
    nftw(tmp_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return check_report();
}
