/* test_synth_segment.c — acceptance: the classical pipeline (ns_segment with the
 * magnification presets) finds the synthetic nuclei: F1 at IoU 0.5 >= 0.95 against
 * the exact truth, for a 10X tile and a 40X site of a small plate (read back from
 * the files, as a user would) and for standalone fields at both scales. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "nucseg/eval.h"
#include "nucseg/fsutil.h"
#include "nucseg/image.h"
#include "nucseg/segment.h"
#include "nucseg/synth.h"

static char tmp_root[256];

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

/* Segment img with the preset for mag and score it against truth (U32 labels). */
static double segment_f1(const char *what, const ns_image *img, const ns_image *truth, ns_magnification mag)
{
    ns_error err = {0};
    ns_segment_params p;
    ns_segment_params_preset(&p, mag);
    ns_segmentation seg;
    ns_status st = ns_segment(img, &p, &seg, &err);
    CHECK_OK(st, err);
    if (st != NS_OK) return 0.0;
    CHECK(truth->type == NS_PIXEL_U32 && truth->width == img->width && truth->height == img->height);
    ns_eval_result r = {0};
    ns_image pred = {0};
    CHECK_OK(ns_image_to_u32(&seg.labels, &pred, &err), err);
    CHECK_OK(ns_eval_labels(truth->data, pred.data, img->width, img->height, &r, &err), err);
    ns_image_free(&pred);
    printf("%-28s %s %5dx%-5d true %5zu pred %5zu  F1@0.5 %.4f  DSB %.4f\n", what, ns_magnification_name(mag),
           img->width, img->height, r.n_true, r.n_pred, r.f1_50, r.dsb_score);
    ns_segmentation_free(&seg);
    return r.f1_50;
}

static void test_plate_views(void)
{
    char *dir = ns_path_join(tmp_root, "plate");
    ns_synth_plate_options o;
    ns_synth_plate_options_default(&o);
    o.wells = 1;
    o.tiles_10x = 1;
    o.sites_per_tile = 1;
    o.width_10x = o.height_10x = 1024;
    o.width_40x = o.height_40x = 2048;
    o.seed = 3;
    ns_error err = {0};
    CHECK_OK(ns_synth_plate(dir, &o, &err), err);
    const char *views[2][3] = {{"genotyping/cycle_1/Well1_Tile-0.tif", "truth/10X/Well1_Tile-0_labels.tif", "10X"},
                               {"phenotyping/Well1_Site-0.tif", "truth/40X/Well1_Site-0_labels.tif", "40X"}};
    for (int v = 0; v < 2; v++) {
        char *ip = ns_path_join(dir, views[v][0]), *lp = ns_path_join(dir, views[v][1]);
        ns_image img = {0}, lab = {0};
        CHECK_OK(ns_image_read(ip, 0, 0, &img, &err), err);
        CHECK_OK(ns_image_read(lp, 0, 0, &lab, &err), err);
        if (img.data && lab.data) {
            double f1 = segment_f1(views[v][0], &img, &lab, v ? NS_MAG_40X : NS_MAG_10X);
            CHECK_MSG(f1 >= 0.95, "%s: F1@0.5 %.4f < 0.95", views[v][0], f1);
        }
        ns_image_free(&img);
        ns_image_free(&lab);
        free(ip);
        free(lp);
    }
    free(dir);
}

static void test_fields(void)
{
    struct { int size; double diameter; ns_magnification mag; uint64_t seed; } cases[] = {
        {512, 10.0, NS_MAG_10X, 11}, {1024, 40.0, NS_MAG_40X, 12}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ns_synth_field_options o;
        ns_synth_field_options_default(&o);
        o.width = o.height = cases[k].size;
        o.diameter = cases[k].diameter;
        o.seed = cases[k].seed;
        ns_image img, lab;
        size_t n = 0;
        ns_error err = {0};
        CHECK_OK(ns_synth_field(&o, &img, &lab, &n, &err), err);
        char what[64];
        snprintf(what, sizeof what, "field d=%g", o.diameter);
        double f1 = segment_f1(what, &img, &lab, cases[k].mag);
        CHECK_MSG(f1 >= 0.95, "%s: F1@0.5 %.4f < 0.95", what, f1);
        ns_image_free(&img);
        ns_image_free(&lab);
    }
}

/* Unknown diameter: the estimate lands near the diameter the field was drawn with,
 * and the segmentation is as good as with the preset. The sizes cover each way the
 * estimate is reached: full resolution (10 px), the half-resolution look reused as
 * the working grid (30 px) and the half-resolution look for a coarser grid (48 px). */
static void test_fields_unknown_diameter(void)
{
    const double diameters[] = {10.0, 30.0, 48.0};
    for (size_t k = 0; k < sizeof diameters / sizeof diameters[0]; k++) {
        ns_synth_field_options o;
        ns_synth_field_options_default(&o);
        o.width = o.height = 1024;
        o.diameter = diameters[k];
        o.seed = 21 + k;
        ns_image img, lab;
        size_t n = 0;
        ns_error err = {0};
        CHECK_OK(ns_synth_field(&o, &img, &lab, &n, &err), err);
        ns_segment_params p;
        ns_segment_params_preset(&p, NS_MAG_UNKNOWN);
        ns_segmentation seg;
        ns_status st = ns_segment(&img, &p, &seg, &err);
        CHECK_OK(st, err);
        if (st == NS_OK) {
            ns_eval_result r = {0};
            ns_image pred = {0};
            CHECK_OK(ns_image_to_u32(&seg.labels, &pred, &err), err);
            CHECK_OK(ns_eval_labels(lab.data, pred.data, img.width, img.height, &r, &err), err);
            ns_image_free(&pred);
            printf("field d=%-4g unknown: estimated d %.1f, F1@0.5 %.4f\n", o.diameter, seg.diameter_used, r.f1_50);
            CHECK_MSG(seg.diameter_used > 0.8 * o.diameter && seg.diameter_used < 1.25 * o.diameter,
                      "d=%g: estimated %.1f", o.diameter, seg.diameter_used);
            CHECK_MSG(r.f1_50 >= 0.95, "d=%g, unknown diameter: F1@0.5 %.4f < 0.95", o.diameter, r.f1_50);
            ns_segmentation_free(&seg);
        }
        ns_image_free(&img);
        ns_image_free(&lab);
    }
}

/* A field of single bright pixels, 2 px apart: blurred, it is one foreground without
 * background, whose distance transform measures the image. The estimate must not be
 * wider than the image (it was 5396 px on this 300x300 field). */
static void test_estimate_bounded_by_image(void)
{
    ns_image img;
    ns_error err = {0};
    CHECK_OK(ns_image_alloc(&img, 300, 300, NS_PIXEL_U16, &err), err);
    uint16_t *px = img.data;
    for (int y = 0; y < 300; y++)
        for (int x = 0; x < 300; x++) px[y * 300 + x] = (x % 2 == 0 && y % 2 == 0) ? 5000 : 0;
    ns_segment_params p;
    ns_segment_params_preset(&p, NS_MAG_UNKNOWN);
    ns_segmentation seg;
    ns_status st = ns_segment(&img, &p, &seg, &err);
    CHECK_OK(st, err);
    if (st == NS_OK) {
        CHECK_MSG(seg.diameter_used > 0 && seg.diameter_used <= 300, "estimated %.1f px on a 300 px image",
                  seg.diameter_used);
        ns_segmentation_free(&seg);
    }
    ns_image_free(&img);
}

/* A float image is segmented the same wherever its values lie in float's range: the
 * same field scaled by 2^-140 (every value denormal, where 1 / range overflows float)
 * and by 2^100 (values up to 1e35) gives the labels of the unscaled one.
 * Powers of two scale these integer values exactly, so the labels must be equal. */
static void test_float_range_invariant(void)
{
    ns_synth_field_options o;
    ns_synth_field_options_default(&o);
    o.width = o.height = 384;
    o.diameter = 10.0;
    o.seed = 21;
    ns_image img, lab;
    size_t n = 0;
    ns_error err = {0};
    CHECK_OK(ns_synth_field(&o, &img, &lab, &n, &err), err);
    CHECK(img.type == NS_PIXEL_U16);
    const double scales[] = {1.0, 0x1p-140, 0x1p100};
    ns_segmentation ref = {0};
    int have_ref = 0;
    for (int k = 0; k < 3; k++) {
        ns_image f;
        CHECK_OK(ns_image_alloc(&f, img.width, img.height, NS_PIXEL_F32, &err), err);
        const uint16_t *src = img.data;
        float *dst = f.data;
        size_t np = (size_t)img.width * (size_t)img.height;
        for (size_t i = 0; i < np; i++) dst[i] = (float)((double)src[i] * scales[k]);
        ns_segment_params p;
        ns_segment_params_preset(&p, NS_MAG_10X);
        ns_segmentation seg = {0};
        ns_status st = ns_segment(&f, &p, &seg, &err);
        CHECK_OK(st, err);
        if (st == NS_OK && k == 0) {
            CHECK_MSG(seg.count * 20 >= n * 19 && seg.count * 20 <= n * 21, "unscaled float field: %zu nuclei of %zu",
                      seg.count, n);
            ref = seg;
            have_ref = 1;
        } else if (st == NS_OK) {
            size_t differ = 0;
            for (size_t i = 0; have_ref && i < np; i++)
                differ += ns_segmentation_label(&seg, i) != ns_segmentation_label(&ref, i);
            CHECK_MSG(have_ref && seg.count == ref.count && differ == 0,
                      "float field scaled by %g: %zu nuclei (unscaled %zu), %zu labels differ", scales[k],
                      seg.count, ref.count, differ);
            ns_segmentation_free(&seg);
        }
        ns_image_free(&f);
    }
    if (have_ref) ns_segmentation_free(&ref);
    ns_image_free(&img);
    ns_image_free(&lab);
}

int main(void)
{
    snprintf(tmp_root, sizeof tmp_root, "/tmp/nucseg_test_synth_segment.XXXXXX");
    if (!mkdtemp(tmp_root)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_plate_views);
    RUN(test_fields);
    RUN(test_fields_unknown_diameter);
    RUN(test_estimate_bounded_by_image);
    RUN(test_float_range_invariant);
    nftw(tmp_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return check_report();
}
