/* test_imgproc.c — each segmentation algorithm against a slow, obviously
 * correct reference on random and constructed inputs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "nucseg/imgproc.h"
#include "nucseg/segment.h"
#include "segment/distance.h"
#include "segment/gaussian.h"
#include "segment/measure.h"
#include "segment/split_bands.h"
#include "util/idle_cores.h"
#include "segment/watershed.h"

static uint64_t rng_state = 42;
static double rnd(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* Random blobs: union of disks, so masks have objects, holes and touching parts. */
static void random_mask(uint8_t *m, int w, int h, int ndisks)
{
    memset(m, 0, (size_t)w * h);
    for (int k = 0; k < ndisks; k++) {
        double cx = rnd() * w, cy = rnd() * h, r = 1 + rnd() * 6;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) m[(size_t)y * w + x] = 1;
    }
}

static void test_distance_transform_vs_brute_force(void)
{
    for (int trial = 0; trial < 20; trial++) {
        int w = 5 + (int)(rnd() * 60), h = 5 + (int)(rnd() * 60);
        uint8_t *m = malloc((size_t)w * h);
        float *d = malloc((size_t)w * h * sizeof *d);
        random_mask(m, w, h, 1 + trial);
        if (trial == 0) memset(m, 1, (size_t)w * h); /* no background at all */
        m[0] = trial == 0 ? 0 : m[0];
        ns_error err;
        CHECK_OK(ns_distance_transform(m, w, h, d, &err), err);
        double worst = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double best = INFINITY;
                if (m[(size_t)y * w + x])
                    for (int yy = 0; yy < h; yy++)
                        for (int xx = 0; xx < w; xx++)
                            if (!m[(size_t)yy * w + xx]) {
                                double dd = sqrt((double)(x - xx) * (x - xx) + (double)(y - yy) * (y - yy));
                                if (dd < best) best = dd;
                            }
                if (!m[(size_t)y * w + x]) best = 0;
                if (isinf(best)) continue; /* no background in the image: undefined */
                double e = fabs(best - d[(size_t)y * w + x]);
                if (e > worst) worst = e;
            }
        CHECK_MSG(worst < 1e-4, "trial %d (%dx%d): max error %g", trial, w, h, worst);
        free(m); free(d);
    }
}

/* Reference labelling: flood fill from each unlabelled foreground pixel. */
static size_t flood_label(const uint8_t *m, int w, int h, uint32_t *lab)
{
    size_t n = (size_t)w * h, next = 0;
    memset(lab, 0, n * sizeof *lab);
    size_t *stack = malloc(n * sizeof *stack);
    for (size_t s = 0; s < n; s++) {
        if (!m[s] || lab[s]) continue;
        size_t top = 0;
        stack[top++] = s;
        lab[s] = (uint32_t)++next;
        while (top) {
            size_t i = stack[--top];
            int x = (int)(i % w), y = (int)(i / w);
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx, yy = y + dy;
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                    size_t j = (size_t)yy * w + xx;
                    if (m[j] && !lab[j]) { lab[j] = (uint32_t)next; stack[top++] = j; }
                }
        }
    }
    free(stack);
    return next;
}

/* The weighted distance transform is the plain one times sqrtf(weight * scale), bit
 * for bit, on random masks including images one pixel wide and all-foreground ones
 * (16-bit weights over their whole range, as the pipeline's smoothed image). */
static void test_weighted_distance_transform(void)
{
    const int sizes[][2] = {{1, 30}, {30, 1}, {2, 17}, {57, 43}, {120, 9}};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        for (int full = 0; full < 2; full++) {
            int w = sizes[t][0], h = sizes[t][1];
            size_t n = (size_t)w * h;
            uint8_t *m = malloc(n);
            float *plain = malloc(n * sizeof *plain), *wd = malloc(n * sizeof *wd);
            uint16_t *wt = malloc(n * sizeof *wt);
            if (full) memset(m, 1, n);
            else if (w < 3 || h < 3) for (size_t i = 0; i < n; i++) m[i] = rnd() < 0.7;
            else random_mask(m, w, h, 12);
            for (size_t i = 0; i < n; i++) wt[i] = (uint16_t)(rnd() * 65535.0);
            const float scale = 1.0f / 54321.0f;
            ns_error err;
            CHECK_OK(ns_distance_transform(m, w, h, plain, &err), err);
            CHECK_OK(ns_distance_transform_weighted(m, w, h, wt, scale, wd, &err), err);
            size_t bad = 0;
            for (size_t i = 0; i < n; i++) {
                float want = plain[i] * sqrtf((float)wt[i] * scale);
                bad += memcmp(&want, &wd[i], sizeof want) != 0;
            }
            CHECK_MSG(bad == 0, "%dx%d%s: %zu pixels differ", w, h, full ? " (all foreground)" : "", bad);
            free(m); free(plain); free(wd); free(wt);
        }
    }
}

static void test_labelling_vs_flood_fill(void)
{
    for (int trial = 0; trial < 20; trial++) {
        int w = 10 + (int)(rnd() * 80), h = 10 + (int)(rnd() * 80);
        size_t n = (size_t)w * h;
        uint8_t *m = malloc(n);
        uint32_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        if (trial % 2) random_mask(m, w, h, 5 + trial * 3);
        else for (size_t i = 0; i < n; i++) m[i] = rnd() < 0.45; /* salt: many diagonal links */
        size_t na = 0;
        ns_error err;
        CHECK_OK(ns_label_components(m, w, h, a, &na, &err), err);
        size_t nb = flood_label(m, w, h, b);
        CHECK_MSG(na == nb, "trial %d: %zu components, flood fill finds %zu", trial, na, nb);
        /* Same partition: both label in raster order of first pixel, so labels agree exactly. */
        size_t diff = 0;
        for (size_t i = 0; i < n; i++) diff += a[i] != b[i];
        CHECK_MSG(diff == 0, "trial %d: %zu pixels labelled differently", trial, diff);
        free(m); free(a); free(b);
    }
}

static void test_otsu_bimodal(void)
{
    size_t n = 20000;
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        /* Two Gaussian modes at 0.2 and 0.7 (Box-Muller). */
        double g = sqrt(-2 * log(rnd() + 1e-12)) * cos(2 * M_PI * rnd());
        v[i] = (float)(i % 3 ? 0.2 + 0.03 * g : 0.7 + 0.03 * g);
    }
    double t = ns_otsu_threshold(v, n, 0.0f, 1.0f);
    /* Any threshold in the empty gap between the modes maximises the between-class
     * variance: the test is that it separates them (foreground is v > t). */
    float low_max = 0.0f, high_min = 1.0f;
    for (size_t i = 0; i < n; i++) {
        if (i % 3) low_max = v[i] > low_max ? v[i] : low_max;
        else high_min = v[i] < high_min ? v[i] : high_min;
    }
    CHECK_MSG(t >= low_max && t < high_min, "Otsu threshold %g does not separate the modes [.., %g] and [%g, ..]",
              t, low_max, high_min);
    free(v);
}

static void test_fill_holes(void)
{
    int w = 20, h = 20;
    uint8_t m[400] = {0};
    for (int y = 4; y < 15; y++)
        for (int x = 4; x < 15; x++) m[y * w + x] = 1;
    m[9 * w + 9] = m[9 * w + 10] = 0;  /* a hole */
    for (int y = 0; y < 6; y++) m[y * w + 17] = 1;  /* a bar touching the border */
    m[0 * w + 18] = 0;
    ns_error err;
    CHECK_OK(ns_fill_holes(m, w, h, &err), err);
    CHECK(m[9 * w + 9] == 1 && m[9 * w + 10] == 1);
    CHECK(m[0 * w + 0] == 0 && m[0 * w + 18] == 0 && m[19 * w + 19] == 0);
}

/* Reference: background pixels 4-connected to the border, by per-pixel BFS. */
static void test_fill_holes_vs_reference(void)
{
    for (int trial = 0; trial < 20; trial++) {
        int w = 8 + (int)(rnd() * 70), h = 8 + (int)(rnd() * 70);
        size_t n = (size_t)w * h;
        uint8_t *m = malloc(n), *ref = malloc(n), *seen = calloc(n, 1);
        size_t *q = malloc(n * sizeof *q), qh = 0, qt = 0;
        if (trial % 2) random_mask(m, w, h, 10 + trial * 4);
        else for (size_t i = 0; i < n; i++) m[i] = rnd() < 0.55; /* many enclosed pockets */
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if ((x == 0 || y == 0 || x == w - 1 || y == h - 1) && !m[(size_t)y * w + x]) {
                    seen[(size_t)y * w + x] = 1;
                    q[qt++] = (size_t)y * w + x;
                }
        while (qh < qt) {
            size_t i = q[qh++];
            int x = (int)(i % w), y = (int)(i / w);
            int nx[4] = {x - 1, x + 1, x, x}, ny[4] = {y, y, y - 1, y + 1};
            for (int k = 0; k < 4; k++) {
                if (nx[k] < 0 || ny[k] < 0 || nx[k] >= w || ny[k] >= h) continue;
                size_t j = (size_t)ny[k] * w + nx[k];
                if (!m[j] && !seen[j]) { seen[j] = 1; q[qt++] = j; }
            }
        }
        for (size_t i = 0; i < n; i++) ref[i] = !seen[i];
        ns_error err;
        CHECK_OK(ns_fill_holes(m, w, h, &err), err);
        size_t diff = 0;
        for (size_t i = 0; i < n; i++) diff += m[i] != ref[i];
        CHECK_MSG(diff == 0, "trial %d (%dx%d): %zu pixels differ from the reference", trial, w, h, diff);
        free(m); free(ref); free(seen); free(q);
    }
}

static void test_watershed_splits_two_touching_disks(void)
{
    int w = 80, h = 50;
    uint16_t *px = calloc((size_t)w * h, sizeof *px);
    /* Two disks of radius 12, centres 20 px apart: they overlap with a clear neck. */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double d1 = hypot(x - 30, y - 25), d2 = hypot(x - 50, y - 25);
            px[y * w + x] = (uint16_t)(d1 <= 12 || d2 <= 12 ? 1000 : 100);
        }
    ns_image img = {w, h, NS_PIXEL_U16, px};
    ns_segment_params p;
    ns_segment_params_default(&p);
    p.diameter = 24;
    ns_segmentation s;
    ns_error err;
    CHECK_OK(ns_segment(&img, &p, &s, &err), err);
    CHECK_MSG(s.count == 2, "found %zu nuclei, expected 2", s.count);
    if (s.count == 2) {
        double xa = s.nuclei[0].centroid_x, xb = s.nuclei[1].centroid_x;
        CHECK_NEAR(fmin(xa, xb), 30.0, 1.5);
        CHECK_NEAR(fmax(xa, xb), 50.0, 1.5);
        CHECK_NEAR(s.nuclei[0].area, s.nuclei[1].area, 0.1 * s.nuclei[0].area);
    }
    ns_segmentation_free(&s);
    /* Without splitting, the same image is one object. */
    p.split_touching = 0;
    CHECK_OK(ns_segment(&img, &p, &s, &err), err);
    CHECK(s.count == 1);
    ns_segmentation_free(&s);
    free(px);
}

/* Pixels 4-connected to `from` inside the mask whose labels equal `want` (want =
 * UINT32_MAX: any label), marked in seen; their number. A plain queue. */
static size_t reach4(const uint8_t *m, const uint32_t *lab, int w, int h, size_t from, uint32_t want,
                     uint8_t *seen, size_t *queue)
{
    size_t head = 0, tail = 0, count = 0;
    queue[tail++] = from;
    seen[from] = 1;
    while (head < tail) {
        size_t p = queue[head++];
        count++;
        int x = (int)(p % (size_t)w), y = (int)(p / (size_t)w);
        const int dx[4] = {-1, 1, 0, 0}, dy[4] = {0, 0, -1, 1};
        for (int k = 0; k < 4; k++) {
            int xx = x + dx[k], yy = y + dy[k];
            if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
            size_t r = (size_t)yy * w + xx;
            if (seen[r] || !m[r] || (want != UINT32_MAX && lab[r] != want)) continue;
            seen[r] = 1;
            queue[tail++] = r;
        }
    }
    return count;
}

/* The watershed on random masks, heights and markers (none, one or several per
 * object, one outside the mask), thin images included: background stays 0; a
 * pixel is labelled exactly when a marker of its object reaches it through the
 * mask; every region is 4-connected and holds its own marker. */
static void test_watershed_properties(void)
{
    for (int trial = 0; trial < 40; trial++) {
        int w, h;
        if (trial < 4) { w = trial % 2 ? 1 : 60; h = trial % 2 ? 60 : 1; } /* one pixel wide or high */
        else if (trial < 8) { w = trial % 2 ? 2 : 45; h = trial % 2 ? 45 : 2; }
        else { w = 8 + (int)(rnd() * 70); h = 8 + (int)(rnd() * 70); }
        size_t n = (size_t)w * h;
        uint8_t *m = malloc(n), *seen = malloc(n);
        uint32_t *comp = malloc(n * sizeof *comp), *mark = calloc(n, sizeof *mark), *lab = malloc(n * sizeof *lab);
        float *height = malloc(n * sizeof *height);
        size_t *queue = malloc(n * sizeof *queue);
        if (w < 3 || h < 3) for (size_t i = 0; i < n; i++) m[i] = rnd() < 0.8;
        else random_mask(m, w, h, 4 + trial);
        for (size_t i = 0; i < n; i++) height[i] = m[i] ? (float)(rnd() * 6.0) : 0.0f;
        size_t ncomp = 0;
        ns_error err;
        CHECK_OK(ns_label_components(m, w, h, comp, &ncomp, &err), err);
        uint32_t nmark = 0;
        for (size_t i = 0; i < n; i++)
            if (m[i] && rnd() < 0.03) mark[i] = ++nmark;
        for (size_t i = 0; i < n; i++)
            if (!m[i]) { mark[i] = ++nmark; break; } /* outside the mask: dropped */
        CHECK_OK(ns_watershed(height, m, comp, ncomp, mark, w, h, lab, &err), err);
        size_t bad_bg = 0, bad_comp = 0, bad_reach = 0, bad_region = 0;
        for (size_t i = 0; i < n; i++) {
            if (!m[i]) { bad_bg += lab[i] != 0; continue; }
            if (lab[i]) {
                /* its marker lies in the same object */
                size_t j = 0;
                while (j < n && !(m[j] && mark[j] == lab[i])) j++;
                bad_comp += j == n || comp[j] != comp[i];
            }
        }
        /* labelled exactly where some marker reaches through the mask */
        memset(seen, 0, n);
        for (size_t i = 0; i < n; i++)
            if (m[i] && mark[i] && !seen[i]) reach4(m, lab, w, h, i, UINT32_MAX, seen, queue);
        for (size_t i = 0; i < n; i++) bad_reach += m[i] && ((lab[i] != 0) != (seen[i] != 0));
        /* each region: 4-connected, from its marker */
        for (size_t i = 0; i < n; i++) {
            if (!m[i] || !mark[i]) continue;
            size_t area = 0;
            for (size_t k = 0; k < n; k++) area += lab[k] == mark[i];
            memset(seen, 0, n);
            bad_region += lab[i] != mark[i] || reach4(m, lab, w, h, i, mark[i], seen, queue) != area;
        }
        CHECK_MSG(bad_bg + bad_comp + bad_reach + bad_region == 0,
                  "trial %d (%dx%d): %zu background, %zu wrong object, %zu reach, %zu regions", trial, w, h,
                  bad_bg, bad_comp, bad_reach, bad_region);
        /* In place (labels = markers) gives the same labels. */
        uint32_t *inplace = malloc(n * sizeof *inplace);
        memcpy(inplace, mark, n * sizeof *inplace);
        CHECK_OK(ns_watershed(height, m, comp, ncomp, inplace, w, h, inplace, &err), err);
        CHECK_MSG(memcmp(inplace, lab, n * sizeof *lab) == 0, "trial %d: in place differs", trial);
        free(inplace);
        /* Markers that are 0 outside the mask (as ns_find_seeds leaves them): the
         * variant that skips the clearing pass gives the same labels. */
        uint32_t *inside = malloc(n * sizeof *inside), *lab_in = malloc(n * sizeof *lab_in);
        for (size_t i = 0; i < n; i++) inside[i] = m[i] ? mark[i] : 0;
        CHECK_OK(ns_watershed_markers_in_mask(height, m, comp, ncomp, inside, w, h, lab_in, 1, &err), err);
        CHECK_MSG(memcmp(lab_in, lab, n * sizeof *lab) == 0, "trial %d: markers-in-mask variant differs", trial);
        free(inside); free(lab_in);
        /* A one-pixel-wide image floods as its transpose does (the neighbour order
         * is the same): the row and column of each pixel are found right. */
        if (w == 1 || h == 1) {
            uint32_t *lab_t = malloc(n * sizeof *lab_t);
            CHECK_OK(ns_watershed(height, m, comp, ncomp, mark, h, w, lab_t, &err), err);
            CHECK_MSG(memcmp(lab_t, lab, n * sizeof *lab) == 0, "trial %d: %dx%d and %dx%d differ", trial, w, h,
                      h, w);
            free(lab_t);
        }
        free(m); free(seen); free(comp); free(mark); free(lab); free(height); free(queue);
    }
}

static void test_measurements_of_an_ellipse(void)
{
    int w = 100, h = 100;
    uint8_t *px = calloc((size_t)w * h, 1);
    /* Axis-aligned ellipse, semi-axes 20 (x) and 10 (y), centred at (40.0, 60.0). */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if ((x - 40.0) * (x - 40.0) / 400.0 + (y - 60.0) * (y - 60.0) / 100.0 <= 1.0) px[y * w + x] = 200;
    ns_image img = {w, h, NS_PIXEL_U8, px};
    ns_segment_params p;
    ns_segment_params_default(&p);
    p.diameter = 30;
    ns_segmentation s;
    ns_error err;
    CHECK_OK(ns_segment(&img, &p, &s, &err), err);
    CHECK(s.count == 1);
    if (s.count == 1) {
        const ns_nucleus *q = &s.nuclei[0];
        CHECK_NEAR(q->centroid_x, 40.0, 0.3);
        CHECK_NEAR(q->centroid_y, 60.0, 0.3);
        CHECK_NEAR(q->area, M_PI * 200.0, 0.06 * M_PI * 200.0);
        CHECK_NEAR(q->major_axis, 40.0, 2.5);
        CHECK_NEAR(q->minor_axis, 20.0, 2.5);
        /* skimage's convention: from the row axis, so a major axis along x is +-pi/2. */
        CHECK_NEAR(fabs(q->orientation), M_PI / 2, 0.05);
        double sum = 0, cnt = 0;
        for (int i = 0; i < w * h; i++)
            if (ns_segmentation_label(&s, (size_t)i) == 1) { sum += px[i]; cnt += 1; }
        CHECK_NEAR(q->mean_intensity, sum / cnt, 1e-9);
        CHECK_NEAR(cnt, q->area, 0.0);
        CHECK(q->bbox_x0 >= 19 && q->bbox_x0 <= 21 && q->bbox_x1 >= 60 && q->bbox_x1 <= 62);
    }
    ns_segmentation_free(&s);
    free(px);
}

/* The label image's type: 16-bit whenever the labels fit, whichever path made them
 * (banded split, whole-image split of a small image, reduced grid of large nuclei),
 * 32-bit above 65,535; and its pixels agree with the nuclei table (each label's pixel
 * count is its area, its bounding box holds it). Dots on a grid: one nucleus each. */
static void test_segment_label_types(void)
{
    const struct {
        int w, h, pitch, dot;
        double diameter;
        const char *path;
    } cases[] = {{1100, 1100, 4, 2, 3.0, "banded, over 65,535 labels"},
                 {700, 700, 8, 4, 5.0, "banded"},
                 {120, 90, 8, 4, 5.0, "whole-image split"},
                 {1024, 1024, 64, 36, 40.0, "reduced grid"}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const int w = cases[c].w, h = cases[c].h, pitch = cases[c].pitch, dot = cases[c].dot;
        size_t n = (size_t)w * h, want = (size_t)(w / pitch) * (size_t)(h / pitch);
        uint8_t *px = calloc(n, 1);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (x % pitch >= 1 && x % pitch <= dot && y % pitch >= 1 && y % pitch <= dot &&
                    x / pitch < w / pitch && y / pitch < h / pitch)
                    px[(size_t)y * w + x] = 200;
        ns_image img = {w, h, NS_PIXEL_U8, px};
        ns_segment_params p;
        ns_segment_params_default(&p);
        p.diameter = cases[c].diameter;
        ns_segmentation s;
        ns_error err;
        CHECK_OK(ns_segment(&img, &p, &s, &err), err);
        /* Nearly every dot found (some on the border may not be), so the first case is
         * past 65,535 labels and the others well below. */
        ns_pixel_type type = c == 0 ? NS_PIXEL_U32 : NS_PIXEL_U16;
        CHECK_MSG(s.count >= want - want / 50 && s.count <= want && s.labels.type == type && s.labels.width == w &&
                      s.labels.height == h,
                  "%s: %zu labels (%zu dots), %s", cases[c].path, s.count, want, ns_pixel_type_name(s.labels.type));
        size_t *area = calloc(s.count + 1, sizeof *area), outside = 0;
        for (size_t i = 0; i < n && s.labels.data; i++) {
            uint32_t l = ns_segmentation_label(&s, i);
            if (l > s.count) { outside++; continue; }
            area[l]++;
            int x = (int)(i % (size_t)w), y = (int)(i / (size_t)w);
            if (l) {
                const ns_nucleus *q = &s.nuclei[l - 1];
                outside += x < q->bbox_x0 || x >= q->bbox_x1 || y < q->bbox_y0 || y >= q->bbox_y1;
            }
        }
        size_t wrong_area = 0;
        for (size_t l = 1; l <= s.count; l++) wrong_area += (double)area[l] != s.nuclei[l - 1].area;
        CHECK_MSG(outside == 0 && wrong_area == 0, "%s: %zu pixels outside their nucleus, %zu areas differ",
                  cases[c].path, outside, wrong_area);
        free(area);
        ns_segmentation_free(&s);
        free(px);
    }
}

static void test_empty_and_flat_images(void)
{
    ns_image img = {0, 0, NS_PIXEL_U8, NULL};
    ns_segment_params p;
    ns_segment_params_default(&p);
    ns_segmentation s;
    ns_error err;
    CHECK(ns_segment(&img, &p, &s, &err) == NS_ERR_EMPTY);
    uint16_t flat[64 * 64];
    for (int i = 0; i < 64 * 64; i++) flat[i] = 500;
    ns_image f = {64, 64, NS_PIXEL_U16, flat};
    CHECK_OK(ns_segment(&f, &p, &s, &err), err);
    CHECK_MSG(s.count == 0, "flat image gave %zu nuclei", s.count);
    ns_segmentation_free(&s);
}

/* Images one or two pixels wide or high go through every stage (with a known and
 * an unknown diameter) without reading outside their buffers (the ASan build
 * checks), and the labels cover only bright pixels' neighbourhoods. */
static void make_normalised_row(const void *ctx, int y, float *row)
{
    const void *const *c = ctx; /* {image, map} */
    ns_normalize_row(c[0], c[1], y, row);
}

/* The segmentation blurs the normalised image row by row from a maker, never
 * holding the whole normalised image; that must give exactly (bit for bit) the
 * blur of the whole normalised image, and the same histogram, for every size and
 * σ, including images smaller than the kernel (rows reflected several times). */
static void test_blur_of_made_rows_is_blur_of_image(void)
{
    const int sizes[][2] = {{1, 1}, {1, 9}, {9, 1}, {3, 5}, {17, 4}, {64, 48}, {40, 130}};
    const double sigmas[] = {0.0, 0.8, 2.5, 6.0};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        int w = sizes[si][0], h = sizes[si][1];
        size_t n = (size_t)w * h;
        ns_image img;
        ns_error err;
        CHECK_OK(ns_image_alloc(&img, w, h, NS_PIXEL_U16, &err), err);
        uint16_t *px = img.data;
        for (size_t i = 0; i < n; i++) px[i] = (uint16_t)(rnd() * 4000);
        float *norm = malloc(n * sizeof *norm), *f = malloc(n * sizeof *f);
        uint16_t *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        ns_norm_map map;
        CHECK_OK(ns_normalize(&img, 0.5, 99.9, norm, &err), err);
        CHECK_OK(ns_normalize_map(&img, 0.5, 99.9, &map, &err), err);
        const void *ctx[2] = {&img, &map};
        ns_row_maker maker = {make_normalised_row, ctx};
        for (size_t k = 0; k < sizeof sigmas / sizeof sigmas[0]; k++) {
            ns_hist256 ha, hb, hf;
            ns_hist256_init(&ha, 0.0f, 1.0f);
            ns_hist256_init(&hb, 0.0f, 1.0f);
            ns_hist256_init(&hf, 0.0f, 1.0f);
            CHECK_OK(ns_gaussian_blur_q16(norm, a, w, h, sigmas[k], &ha, &err), err);
            CHECK_OK(ns_gaussian_blur_rows_q16(&maker, b, w, h, sigmas[k], &hb, &err), err);
            CHECK(memcmp(a, b, n * sizeof *a) == 0);
            CHECK(memcmp(&ha, &hb, sizeof ha) == 0);
            /* The 16-bit image is the float blur rounded to the nearest 1/65535 (its
             * floats are what was counted). */
            CHECK_OK(ns_gaussian_blur_counted(norm, f, w, h, sigmas[k], &hf, &err), err);
            CHECK(memcmp(&ha, &hf, sizeof ha) == 0);
            size_t off = 0;
            for (size_t i = 0; i < n; i++) /* rounded in float: within 1/256 of a step */
                off += fabs(a[i] - (double)f[i] * 65535.0) > 0.5 + 1.0 / 128;
            CHECK_MSG(off == 0, "%dx%d sigma %g: %zu pixels not the float blur rounded", w, h, sigmas[k], off);
        }
        free(norm); free(f); free(a); free(b);
        ns_image_free(&img);
    }
}

static void test_thin_images(void)
{
    const int sizes[][2] = {{1, 64}, {64, 1}, {2, 64}, {64, 2}, {1, 1}};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        int w = sizes[t][0], h = sizes[t][1];
        size_t n = (size_t)w * h;
        uint8_t *px = malloc(n);
        for (size_t i = 0; i < n; i++) px[i] = (i / 8) % 2 ? 220 : 10; /* bright stretches of 8 */
        ns_image img = {w, h, NS_PIXEL_U8, px};
        for (int known = 0; known < 2; known++) {
            ns_segment_params p;
            ns_segment_params_default(&p);
            p.diameter = known ? 4.0 : 0.0;
            ns_segmentation s;
            ns_error err;
            CHECK_OK(ns_segment(&img, &p, &s, &err), err);
            size_t labelled_dark = 0;
            for (size_t i = 0; i < n && s.labels.data; i++)
                labelled_dark += ns_segmentation_label(&s, i) && px[i] == 10 && n > 1;
            CHECK_MSG(labelled_dark <= n / 4, "%dx%d: %zu dark pixels labelled", w, h, labelled_dark);
            ns_segmentation_free(&s);
        }
        free(px);
    }
}

/* The banded split (split_bands.c) against the whole-image split it replaces:
 * distance, seeds, watershed and merging over the whole image. Same labels, same
 * numbering, whatever the band height (1 row: a band per component start row; large:
 * one band), with the landscape made per band or taken from the whole image, and with
 * bands run on lent idle cores (helper threads) or not. */
static void test_split_in_bands_is_whole_image_split(void)
{
    for (int trial = 0; trial < 30; trial++) {
        int w = 12 + (int)(rnd() * 110), h = 30 + (int)(rnd() * 170);
        if (trial == 0) { w = 1; h = 90; } /* one column */
        size_t n = (size_t)w * h;
        uint8_t *m = calloc(n, 1);
        /* Blobs of 2-10 px radius, many touching: components of several nuclei, over
         * many rows, crossing any band boundary. */
        int ndisks = 3 + (int)(rnd() * (double)n / 60.0);
        for (int k = 0; k < ndisks; k++) {
            double cx = rnd() * w, cy = rnd() * h, r = 2 + rnd() * 8;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) m[(size_t)y * w + x] = 1;
        }
        float *edt = malloc(n * sizeof *edt);
        uint16_t *weight = malloc(n * sizeof *weight);
        uint32_t *comp = malloc(n * sizeof *comp), *ref = malloc(n * sizeof *ref), *got = malloc(n * sizeof *got);
        uint16_t *got16 = malloc(n * sizeof *got16);
        for (size_t i = 0; i < n; i++) weight[i] = (uint16_t)(65535.0 * (0.2 + 0.8 * rnd()));
        const float scale = 0.9f / 65535.0f;
        const double min_dist = 1.5 + rnd() * 4, min_area = rnd() * 12, max_area = trial % 3 ? 0 : 150 + rnd() * 300;
        size_t ncomp = 0, nseeds = 0, nref = 0;
        ns_error err;
        CHECK_OK(ns_label_components(m, w, h, comp, &ncomp, &err), err);
        CHECK_OK(ns_distance_transform_weighted(m, w, h, weight, scale, edt, &err), err);
        CHECK_OK(ns_find_seeds(edt, comp, w, h, min_dist, ref, &nseeds, &err), err);
        CHECK_OK(ns_watershed_markers_in_mask(edt, m, comp, ncomp, ref, w, h, ref, 1, &err), err);
        CHECK_OK(ns_merge_regions(ref, edt, w, h, nseeds, 0.5, 0.1, min_area, max_area, &nref, &err), err);
        ns_component_runs runs;
        CHECK_OK(ns_component_runs_find(m, w, h, &runs, &err), err);
        CHECK(runs.count == ncomp);
        /* The image the nuclei are measured on: each pixel type in turn. */
        const ns_pixel_type types[] = {NS_PIXEL_U8, NS_PIXEL_U16, NS_PIXEL_U32, NS_PIXEL_F32};
        ns_image img;
        CHECK_OK(ns_image_alloc(&img, w, h, types[trial % 4], &err), err);
        for (size_t i = 0; i < n; i++) {
            double v = rnd() * 250.0;
            switch (img.type) {
            case NS_PIXEL_U8: ((uint8_t *)img.data)[i] = (uint8_t)v; break;
            case NS_PIXEL_U16: ((uint16_t *)img.data)[i] = (uint16_t)(v * 200); break;
            case NS_PIXEL_U32: ((uint32_t *)img.data)[i] = (uint32_t)(v * 1e6); break;
            default: ((float *)img.data)[i] = (float)(v / 7.0); break;
            }
        }
        ns_nucleus *want = NULL;
        CHECK_OK(ns_measure_nuclei(ref, &img, nref, &want, &err), err);
        const size_t band_rows[] = {1, 3, 8, 25, 100000};
        for (int b = 0; b < 5; b++)
            for (int given = 0; given < 2; given++) {
                /* Every other trial lends 3 idle cores: bands then run on up to 4 threads. */
                ns_idle_cores *lent = trial % 2 ? ns_idle_cores_create() : NULL;
                ns_idle_cores_add(lent, 3);
                ns_split_input in = {.idle = lent, .w = w, .h = h, .comp = &runs, .landscape = given ? edt : NULL,
                                     .weight = weight, .scale = scale, .min_distance = min_dist, .h_abs = 0.5,
                                     .h_rel = 0.1, .min_area = min_area, .max_area = max_area};
                size_t ngot = 0;
                memset(got, 0xab, n * sizeof *got); /* every pixel must be written */
                ns_nucleus *nu = NULL;
                ns_split_bands sb;
                ns_status sst = ns_split_in_bands_of(&in, band_rows[b], &sb, &err);
                CHECK_OK(sst, err);
                if (sst == NS_OK) {
                    CHECK_OK(ns_split_bands_paint(&sb, got, NS_PIXEL_U32, &img, given ? NULL : &nu, &err), err);
                    ngot = sb.count;
                    /* 16-bit labels (they fit here): the same values, every pixel written. */
                    memset(got16, 0xab, n * sizeof *got16);
                    CHECK_OK(ns_split_bands_paint(&sb, got16, NS_PIXEL_U16, &img, NULL, &err), err);
                    size_t differ16 = 0;
                    for (size_t i = 0; i < n; i++) differ16 += got16[i] != ref[i];
                    CHECK_MSG(differ16 == 0, "trial %d, bands of %zu rows: %zu 16-bit labels differ", trial,
                              band_rows[b], differ16);
                    ns_split_bands_free(&sb);
                }
                CHECK_MSG(ngot == nref && memcmp(got, ref, n * sizeof *got) == 0,
                          "trial %d (%dx%d, %zu components), bands of %zu rows, landscape %s: %zu labels, "
                          "whole image %zu%s", trial, w, h, ncomp, band_rows[b], given ? "given" : "made", ngot,
                          nref, memcmp(got, ref, n * sizeof *got) ? ", labels differ" : "");
                /* Measured while painting: the same figures, to the bit, as measuring the
                 * painted image. */
                size_t bad = 0;
                for (size_t k = 0; nu && k < ngot && k < nref; k++) {
                    const ns_nucleus *a = &nu[k], *b = &want[k];
                    bad += a->label != b->label || a->centroid_x != b->centroid_x || a->centroid_y != b->centroid_y ||
                           a->area != b->area || a->mean_intensity != b->mean_intensity ||
                           a->bbox_x0 != b->bbox_x0 || a->bbox_y0 != b->bbox_y0 || a->bbox_x1 != b->bbox_x1 ||
                           a->bbox_y1 != b->bbox_y1 || a->major_axis != b->major_axis ||
                           a->minor_axis != b->minor_axis || a->eccentricity != b->eccentricity ||
                           a->orientation != b->orientation;
                }
                CHECK_MSG(given || (nu && bad == 0), "trial %d, bands of %zu rows: %zu of %zu nuclei measured "
                          "differently%s", trial, band_rows[b], bad, nref, nu ? "" : " (none returned)");
                free(nu);
                CHECK_MSG(!lent || atomic_load(&lent->free) == 3, "trial %d: %d of 3 lent cores given back", trial,
                          lent ? atomic_load(&lent->free) : 0);
                ns_idle_cores_destroy(lent);
            }
        free(want);
        ns_image_free(&img);
        ns_component_runs_free(&runs);
        free(m); free(weight); free(edt); free(comp); free(ref); free(got); free(got16);
    }
}

int main(void)
{
    RUN(test_distance_transform_vs_brute_force);
    RUN(test_weighted_distance_transform);
    RUN(test_labelling_vs_flood_fill);
    RUN(test_otsu_bimodal);
    RUN(test_fill_holes);
    RUN(test_fill_holes_vs_reference);
    RUN(test_watershed_splits_two_touching_disks);
    RUN(test_watershed_properties);
    RUN(test_split_in_bands_is_whole_image_split);
    RUN(test_measurements_of_an_ellipse);
    RUN(test_segment_label_types);
    RUN(test_empty_and_flat_images);
    RUN(test_thin_images);
    RUN(test_blur_of_made_rows_is_blur_of_image);
    return check_report();
}
