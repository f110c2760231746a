/* test_overlay.c — ns_overlay_png: a nucleus's outline is drawn in colour and its
 * inside and the background stay grey (contrast-stretched), touching nuclei get outlines
 * of their own, a region is cropped and reduced as asked, and a region outside the
 * image is refused with the file named. */
#include <png.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "nucseg/report.h"

typedef struct {
    int w, h;
    uint8_t *rgb;
} rgb_image;

static int read_png(const char *path, rgb_image *out)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path)) return 0;
    img.format = PNG_FORMAT_RGB;
    out->w = (int)img.width;
    out->h = (int)img.height;
    out->rgb = malloc(PNG_IMAGE_SIZE(img));
    if (!out->rgb || !png_image_finish_read(&img, NULL, out->rgb, 0, NULL)) {
        free(out->rgb);
        png_image_free(&img);
        return 0;
    }
    return 1;
}

static const uint8_t *px(const rgb_image *im, int x, int y) { return im->rgb + 3 * ((size_t)y * im->w + x); }
static int grey(const uint8_t *p) { return p[0] == p[1] && p[1] == p[2]; }

/* 40x20: background 100, two touching 10x10 squares of brightness 1000 (labels 1, 2) at x 5..14 and 15..24. */
static void scene(ns_image *img, uint32_t *labels)
{
    ns_error err;
    ns_image_alloc(img, 40, 20, NS_PIXEL_U16, &err);
    uint16_t *p = img->data;
    for (int y = 0; y < 20; y++)
        for (int x = 0; x < 40; x++) {
            int in = y >= 5 && y < 15 && x >= 5 && x < 25;
            p[y * 40 + x] = in ? 1000 : 100;
            labels[y * 40 + x] = in ? (x < 15 ? 1 : 2) : 0;
        }
}

static void test_outlines_in_colour(void)
{
    ns_image img;
    uint32_t labels[800];
    scene(&img, labels);
    char path[] = "/tmp/nucseg_overlay_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    ns_error err = {0};
    ns_overlay_region whole = {0, 0, 40, 20, 1};
    CHECK_OK(ns_overlay_png(path, &img, labels, &whole, &err), err);
    rgb_image out = {0};
    CHECK(read_png(path, &out));
    if (out.rgb) {
        CHECK(out.w == 40 && out.h == 20);
        CHECK_MSG(!grey(px(&out, 5, 10)), "left edge of nucleus 1 not coloured");
        CHECK_MSG(!grey(px(&out, 14, 10)), "edge between the touching nuclei (1's side) not coloured");
        CHECK_MSG(!grey(px(&out, 15, 10)), "edge between the touching nuclei (2's side) not coloured");
        CHECK(memcmp(px(&out, 14, 10), px(&out, 15, 10), 3) != 0); /* the two nuclei told apart */
        CHECK_MSG(grey(px(&out, 10, 10)) && px(&out, 10, 10)[0] == 255, "inside %d", px(&out, 10, 10)[0]);
        CHECK_MSG(grey(px(&out, 1, 1)) && px(&out, 1, 1)[0] == 0, "background %d", px(&out, 1, 1)[0]);
        free(out.rgb);
    }
    /* The right half reduced 2x: 10x10, nucleus 2's right edge (x 24) in block 2 (x 24..25). */
    ns_overlay_region half = {20, 0, 20, 20, 2};
    CHECK_OK(ns_overlay_png(path, &img, labels, &half, &err), err);
    CHECK(read_png(path, &out));
    if (out.rgb) {
        CHECK(out.w == 10 && out.h == 10);
        CHECK(!grey(px(&out, 2, 5)));
        CHECK(grey(px(&out, 7, 5)) && px(&out, 7, 5)[0] == 0);
        free(out.rgb);
    }
    ns_overlay_region outside = {30, 0, 20, 20, 1};
    CHECK(ns_overlay_png(path, &img, labels, &outside, &err) == NS_ERR_INVALID);
    CHECK_MSG(strstr(err.message, path) != NULL, "message '%s'", err.message);
    unlink(path);
    ns_image_free(&img);
}

int main(void)
{
    RUN(test_outlines_in_colour);
    return check_report();
}
