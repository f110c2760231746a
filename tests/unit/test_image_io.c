/* test_image_io.c — every image/npy writer round-trips through its reader; the
 * TIFF and PNG variants other software writes (tiled, LZW, multi-sample, float,
 * big-endian, palette, low bit depth) read correctly; and every bad input fails
 * with the right status and a message naming the file. */
#include <dirent.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <unistd.h>

#include "check.h"
#include "nucseg/fsutil.h"
#include "nucseg/image.h"

static char tmp_dir[] = "/tmp/nucseg_image_io_XXXXXX";

/* Path of a file in the test's temp directory (static buffer, one at a time per slot). */
static const char *tmp_file(const char *name)
{
    static char slots[4][512];
    static int next;
    char *p = slots[next++ % 4];
    snprintf(p, 512, "%s/%s", tmp_dir, name);
    return p;
}

/* Deterministic test pattern: a different value per pixel, sample and page. */
static double pattern(int x, int y, int sample, int page)
{
    return (double)((x * 7 + y * 13 + sample * 101 + page * 37) % 251) + (x % 3) * 0.25;
}

static void fill(ns_image *img, int page)
{
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++) {
            size_t i = (size_t)y * img->width + x;
            double v = pattern(x, y, 0, page);
            switch (img->type) {
            case NS_PIXEL_U8: ((uint8_t *)img->data)[i] = (uint8_t)v; break;
            case NS_PIXEL_U16: ((uint16_t *)img->data)[i] = (uint16_t)(v * 200); break;
            case NS_PIXEL_U32: ((uint32_t *)img->data)[i] = (uint32_t)(v * 1e6) + 70000u; break;
            case NS_PIXEL_F32: ((float *)img->data)[i] = (float)(v - 100.0); break;
            }
        }
}

static int same_pixels(const ns_image *a, const ns_image *b)
{
    return a->width == b->width && a->height == b->height && a->type == b->type && a->data && b->data &&
           !memcmp(a->data, b->data, (size_t)a->width * a->height * ns_pixel_size(a->type));
}

static void write_text_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK(fwrite(data, 1, len, f) == len);
    fclose(f);
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* Expect `st` with a message that names `path` and contains `needle`. */
static void expect_error(ns_status st, ns_status want, const ns_error *err, const char *path, const char *needle)
{
    CHECK_MSG(st == want, "status %s, wanted %s: %s", ns_status_name(st), ns_status_name(want), err->message);
    CHECK_MSG(strstr(err->message, path) != NULL, "message does not name %s: %s", path, err->message);
    CHECK_MSG(!needle || strstr(err->message, needle) != NULL, "message lacks '%s': %s", needle, err->message);
    CHECK_MSG(!strchr(err->message, '\n'), "message is not one line: %s", err->message);
}

/* ---- writers round trip ---- */

static void test_tiff_roundtrip(void)
{
    const ns_pixel_type types[] = {NS_PIXEL_U8, NS_PIXEL_U16, NS_PIXEL_U32, NS_PIXEL_F32};
    /* 67x41 (odd sizes) and 700x300 (several 64 KiB strips). */
    const int sizes[2][2] = {{67, 41}, {700, 300}};
    for (int t = 0; t < 4; t++)
        for (int s = 0; s < 2; s++)
            for (int compress = 0; compress <= 1; compress++) {
                ns_error err;
                ns_image img, back;
                CHECK_OK(ns_image_alloc(&img, sizes[s][0], sizes[s][1], types[t], &err), err);
                fill(&img, 0);
                const char *path = tmp_file("rt.tif");
                CHECK_OK(ns_tiff_write(path, &img, compress, &err), err);
                ns_image_info info;
                CHECK_OK(ns_image_probe(path, &info, &err), err);
                CHECK(info.width == img.width && info.height == img.height);
                CHECK(info.channels == 1 && info.type == types[t]);
                CHECK_OK(ns_image_read(path, 0, 0, &back, &err), err);
                CHECK_MSG(same_pixels(&img, &back), "%s %dx%d compress=%d differs", ns_pixel_type_name(types[t]),
                          img.width, img.height, compress);
                /* what a reader elsewhere relies on: the tags of a plain baseline TIFF */
                /* "c": no strip chopping, so we see the rows per strip as stored */
                TIFF *tif = TIFFOpen(path, "rc");
                CHECK(tif != NULL);
                if (tif) {
                    uint16_t fmt = 0, photometric = 0, comp = 0, spp = 0;
                    uint32_t rps = 0;
                    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &fmt);
                    TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric);
                    TIFFGetField(tif, TIFFTAG_COMPRESSION, &comp);
                    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
                    TIFFGetField(tif, TIFFTAG_ROWSPERSTRIP, &rps);
                    CHECK(fmt == (types[t] == NS_PIXEL_F32 ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT));
                    CHECK(photometric == PHOTOMETRIC_MINISBLACK && spp == 1);
                    CHECK(comp == (compress ? COMPRESSION_ADOBE_DEFLATE : COMPRESSION_NONE));
                    size_t strip_bytes = (size_t)rps * img.width * ns_pixel_size(img.type);
                    CHECK_MSG(rps == (uint32_t)img.height || (strip_bytes <= 65536 && strip_bytes > 32768),
                              "%s %dx%d: rows per strip %u", ns_pixel_type_name(types[t]), img.width, img.height,
                              (unsigned)rps);
                    TIFFClose(tif);
                }
                ns_image_free(&img);
                ns_image_free(&back);
            }
}

/* Label images, 16- and 32-bit, over their whole range, read back exactly: odd size,
 * several strips, without Deflate and at both levels (NS_TIFF_DEFLATE_LABELS is the
 * one label images use). */
static void test_tiff_labels_round_trip(void)
{
    const int sizes[2][2] = {{67, 41}, {700, 300}};
    const ns_pixel_type types[2] = {NS_PIXEL_U16, NS_PIXEL_U32};
    for (int s = 0; s < 2; s++)
        for (int t = 0; t < 2; t++)
            for (int compress = 0; compress <= NS_TIFF_DEFLATE_LABELS; compress++) {
                ns_error err;
                ns_image img, back;
                CHECK_OK(ns_image_alloc(&img, sizes[s][0], sizes[s][1], types[t], &err), err);
                for (size_t i = 0; i < (size_t)img.width * img.height; i++) {
                    uint32_t v = (uint32_t)(i * 2654435761u); /* the whole range of the type */
                    if (types[t] == NS_PIXEL_U16) ((uint16_t *)img.data)[i] = (uint16_t)(v >> 16);
                    else ((uint32_t *)img.data)[i] = v;
                }
                const char *path = tmp_file("labels.tif");
                CHECK_OK(ns_tiff_write(path, &img, compress, &err), err);
                CHECK_OK(ns_image_read(path, 0, 0, &back, &err), err);
                CHECK_MSG(back.type == types[t] && same_pixels(&img, &back), "%s %dx%d compress=%d differs",
                          ns_pixel_type_name(types[t]), img.width, img.height, compress);
                ns_image_free(&back);
                ns_image_free(&img);
            }
    /* Widened to 32-bit for the evaluators: the same values; a float image is refused. */
    ns_error err;
    ns_image u16, u32, f;
    CHECK_OK(ns_image_alloc(&u16, 5, 3, NS_PIXEL_U16, &err), err);
    for (size_t i = 0; i < 15; i++) ((uint16_t *)u16.data)[i] = (uint16_t)(65535 - 4001 * i);
    CHECK_OK(ns_image_to_u32(&u16, &u32, &err), err);
    size_t differ = 0;
    for (size_t i = 0; u32.data && i < 15; i++) differ += ((uint32_t *)u32.data)[i] != ((uint16_t *)u16.data)[i];
    CHECK(u32.type == NS_PIXEL_U32 && u32.width == 5 && u32.height == 3 && differ == 0);
    CHECK_OK(ns_image_alloc(&f, 4, 4, NS_PIXEL_F32, &err), err);
    ns_image none = {0};
    CHECK(ns_image_to_u32(&f, &none, &err) == NS_ERR_UNSUPPORTED && none.data == NULL);
    ns_image_free(&u16);
    ns_image_free(&u32);
    ns_image_free(&f);
}

static void test_tiff_pages(void)
{
    ns_error err;
    ns_image planes[3];
    for (int p = 0; p < 3; p++) {
        CHECK_OK(ns_image_alloc(&planes[p], 50, 30, NS_PIXEL_U16, &err), err);
        fill(&planes[p], p);
    }
    const char *path = tmp_file("pages.tif");
    CHECK_OK(ns_tiff_write_pages(path, planes, 3, 1, &err), err);
    ns_image_info info;
    CHECK_OK(ns_image_probe(path, &info, &err), err);
    CHECK(info.channels == 3 && info.width == 50 && info.height == 30 && info.type == NS_PIXEL_U16);
    for (int c = 0; c < 3; c++) {
        ns_image back;
        CHECK_OK(ns_image_read(path, c, 0, &back, &err), err);
        CHECK_MSG(same_pixels(&planes[c], &back), "page %d differs", c);
        ns_image_free(&back);
    }
    ns_image back;
    expect_error(ns_image_read(path, 3, 0, &back, &err), NS_ERR_INVALID, &err, path, "channel 3 requested, file has 3");
    CHECK(back.data == NULL);

    /* pages must agree in size and type */
    ns_image odd;
    CHECK_OK(ns_image_alloc(&odd, 10, 10, NS_PIXEL_U16, &err), err);
    ns_image mixed[2] = {planes[0], odd};
    const char *bad = tmp_file("mixed.tif");
    CHECK(ns_tiff_write_pages(bad, mixed, 2, 0, &err) == NS_ERR_INVALID);
    CHECK(!ns_file_exists(bad));
    ns_image_free(&odd);
    for (int p = 0; p < 3; p++) ns_image_free(&planes[p]);
}

static void test_png_roundtrip(void)
{
    const ns_pixel_type types[] = {NS_PIXEL_U8, NS_PIXEL_U16};
    for (int t = 0; t < 2; t++) {
        ns_error err;
        ns_image img, back;
        CHECK_OK(ns_image_alloc(&img, 123, 45, types[t], &err), err);
        fill(&img, 0);
        const char *path = tmp_file("rt.png");
        CHECK_OK(ns_png_write(path, &img, &err), err);
        ns_image_info info;
        CHECK_OK(ns_image_probe(path, &info, &err), err);
        CHECK(info.width == 123 && info.height == 45 && info.channels == 1 && info.type == types[t]);
        CHECK_OK(ns_image_read(path, 0, 0, &back, &err), err);
        CHECK_MSG(same_pixels(&img, &back), "PNG %s differs", ns_pixel_type_name(types[t]));
        ns_image_free(&back);
        expect_error(ns_image_read(path, 1, 0, &back, &err), NS_ERR_INVALID, &err, path, "channel 1 requested, file has 1");
        ns_image_free(&img);
    }
    /* PNG cannot hold float or 32-bit: refused, nothing written */
    ns_error err;
    ns_image f;
    CHECK_OK(ns_image_alloc(&f, 4, 4, NS_PIXEL_F32, &err), err);
    const char *path = tmp_file("float.png");
    CHECK(ns_png_write(path, &f, &err) == NS_ERR_UNSUPPORTED);
    CHECK(!ns_file_exists(path));
    ns_image_free(&f);
}

static void test_png_rgb(void)
{
    const int w = 31, h = 17;
    uint8_t *rgb = malloc((size_t)w * h * 3);
    CHECK(rgb != NULL);
    if (!rgb) return;
    for (int i = 0; i < w * h * 3; i++) rgb[i] = (uint8_t)pattern(i / 3 % w, i / 3 / w, i % 3, 0);
    ns_error err;
    const char *path = tmp_file("rgb.png");
    CHECK_OK(ns_png_write_rgb(path, w, h, rgb, &err), err);
    ns_image_info info;
    CHECK_OK(ns_image_probe(path, &info, &err), err);
    CHECK(info.channels == 3 && info.type == NS_PIXEL_U8);
    for (int c = 0; c < 3; c++) {
        ns_image back;
        CHECK_OK(ns_image_read(path, c, 0, &back, &err), err);
        int ok = back.data && back.width == w && back.height == h;
        for (int i = 0; ok && i < w * h; i++) ok = ((uint8_t *)back.data)[i] == rgb[i * 3 + c];
        CHECK_MSG(ok, "RGB channel %d differs", c);
        ns_image_free(&back);
    }
    ns_image back;
    expect_error(ns_image_read(path, 3, 0, &back, &err), NS_ERR_INVALID, &err, path, "channel 3 requested, file has 3");
    free(rgb);
}

/* ---- TIFF variants written by other software (made here with libtiff) ---- */

typedef struct {
    const char *name;
    uint16_t bps, spp, format, planar, compression, predictor;
    int tiled, big_endian, pages;
} tiff_variant;

static double variant_value(const tiff_variant *v, int x, int y, int s, int page)
{
    double p = pattern(x, y, s, page);
    if (v->format == SAMPLEFORMAT_IEEEFP) return p * 1.5 - 7.0;
    if (v->bps == 16) return p * 250;
    if (v->bps == 32) return p * 4e6;
    return p;
}

static void store(const tiff_variant *v, unsigned char *buf, size_t index, double value)
{
    if (v->format == SAMPLEFORMAT_IEEEFP) {
        if (v->bps == 64) ((double *)(void *)buf)[index] = value;
        else ((float *)(void *)buf)[index] = (float)value;
    } else if (v->bps == 8) {
        buf[index] = (uint8_t)value;
    } else if (v->bps == 16) {
        ((uint16_t *)(void *)buf)[index] = (uint16_t)value;
    } else {
        ((uint32_t *)(void *)buf)[index] = (uint32_t)value;
    }
}

/* Write a w x h image in the given layout; samples (and planes, for separate) hold variant_value. */
static int write_variant(const char *path, const tiff_variant *v, int w, int h)
{
    TIFF *tif = TIFFOpen(path, v->big_endian ? "wb" : "wl");
    if (!tif) return 0;
    size_t ps = v->bps / 8;
    int ok = 1;
    for (int page = 0; page < (v->pages ? v->pages : 1) && ok; page++) {
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)w);
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)h);
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, v->bps);
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, v->spp);
        TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, v->format);
        TIFFSetField(tif, TIFFTAG_PLANARCONFIG, v->planar);
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, v->spp == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
        TIFFSetField(tif, TIFFTAG_COMPRESSION, v->compression);
        if (v->predictor) TIFFSetField(tif, TIFFTAG_PREDICTOR, v->predictor);
        int contig = v->planar == PLANARCONFIG_CONTIG;
        int tile_spp = contig ? v->spp : 1;
        if (v->tiled) {
            const uint32_t tw = 16, th = 16;
            TIFFSetField(tif, TIFFTAG_TILEWIDTH, tw);
            TIFFSetField(tif, TIFFTAG_TILELENGTH, th);
            unsigned char *tile = calloc((size_t)tw * th * tile_spp, ps);
            for (int plane = 0; plane < (contig ? 1 : v->spp) && ok; plane++)
                for (uint32_t ty = 0; ty < (uint32_t)h && ok; ty += th)
                    for (uint32_t tx = 0; tx < (uint32_t)w && ok; tx += tw) {
                        memset(tile, 0, (size_t)tw * th * tile_spp * ps);
                        for (uint32_t r = 0; r < th && ty + r < (uint32_t)h; r++)
                            for (uint32_t c = 0; c < tw && tx + c < (uint32_t)w; c++)
                                for (int s = 0; s < tile_spp; s++)
                                    store(v, tile, ((size_t)r * tw + c) * tile_spp + s,
                                          variant_value(v, (int)(tx + c), (int)(ty + r), contig ? s : plane, page));
                        ttile_t index = TIFFComputeTile(tif, tx, ty, 0, (uint16_t)plane);
                        ok = TIFFWriteEncodedTile(tif, index, tile, (tmsize_t)tw * th * tile_spp * ps) >= 0;
                    }
            free(tile);
        } else {
            const uint32_t rps = 7; /* several strips, the last one short */
            TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rps);
            uint32_t per_plane = ((uint32_t)h + rps - 1) / rps;
            unsigned char *strip = calloc((size_t)rps * w * tile_spp, ps);
            for (int plane = 0; plane < (contig ? 1 : v->spp) && ok; plane++)
                for (uint32_t i = 0; i < per_plane && ok; i++) {
                    uint32_t rows = (uint32_t)h - i * rps < rps ? (uint32_t)h - i * rps : rps;
                    for (uint32_t r = 0; r < rows; r++)
                        for (int x = 0; x < w; x++)
                            for (int s = 0; s < tile_spp; s++)
                                store(v, strip, ((size_t)r * w + x) * tile_spp + s,
                                      variant_value(v, x, (int)(i * rps + r), contig ? s : plane, page));
                    ok = TIFFWriteEncodedStrip(tif, plane * per_plane + i, strip,
                                               (tmsize_t)rows * w * tile_spp * ps) >= 0;
                }
            free(strip);
        }
        ok = ok && TIFFWriteDirectory(tif);
    }
    TIFFClose(tif);
    return ok;
}

/* Read every channel of the variant and compare with what was written. */
static void check_variant(const tiff_variant *v)
{
    const int w = 45, h = 38;
    const char *path = tmp_file("variant.tif");
    CHECK_MSG(write_variant(path, v, w, h), "%s: libtiff could not write the test file", v->name);
    int channels = v->pages > 1 ? v->pages : v->spp;
    ns_error err;
    ns_image_info info;
    CHECK_OK(ns_image_probe(path, &info, &err), err);
    CHECK_MSG(info.width == w && info.height == h && info.channels == channels, "%s: probe %dx%d x%d", v->name,
              info.width, info.height, info.channels);
    for (int c = 0; c < channels; c++) {
        ns_image img;
        ns_status st = ns_image_read(path, c, 0, &img, &err);
        CHECK_MSG(st == NS_OK, "%s channel %d: %s", v->name, c, err.message);
        if (st) continue;
        int bad = -1;
        for (int y = 0; y < h && bad < 0; y++)
            for (int x = 0; x < w && bad < 0; x++) {
                int sample = v->pages > 1 ? 0 : c, page = v->pages > 1 ? c : 0;
                double want = variant_value(v, x, y, sample, page), got = 0;
                size_t i = (size_t)y * w + x;
                switch (img.type) {
                case NS_PIXEL_U8: got = ((uint8_t *)img.data)[i]; want = (uint8_t)want; break;
                case NS_PIXEL_U16: got = ((uint16_t *)img.data)[i]; want = (uint16_t)want; break;
                case NS_PIXEL_U32: got = ((uint32_t *)img.data)[i]; want = (uint32_t)want; break;
                case NS_PIXEL_F32: got = ((float *)img.data)[i]; want = (float)want; break;
                }
                if (got != want) bad = y * w + x;
            }
        CHECK_MSG(bad < 0, "%s channel %d: first wrong pixel at (%d,%d)", v->name, c, bad % w, bad / w);
        ns_image_free(&img);
    }
    ns_image img;
    ns_status st = ns_image_read(path, channels, 0, &img, &err);
    CHECK_MSG(st == NS_ERR_INVALID, "%s: channel past the end gave %s", v->name, ns_status_name(st));
}

static void test_tiff_variants(void)
{
    const tiff_variant variants[] = {
        {"u16 tiled LZW", 16, 1, SAMPLEFORMAT_UINT, PLANARCONFIG_CONTIG, COMPRESSION_LZW, 0, 1, 0, 0},
        {"u8 striped LZW+predictor", 8, 1, SAMPLEFORMAT_UINT, PLANARCONFIG_CONTIG, COMPRESSION_LZW, 2, 0, 0, 0},
        {"u8 RGB contig", 8, 3, SAMPLEFORMAT_UINT, PLANARCONFIG_CONTIG, COMPRESSION_NONE, 0, 0, 0, 0},
        {"u16 RGB separate deflate", 16, 3, SAMPLEFORMAT_UINT, PLANARCONFIG_SEPARATE, COMPRESSION_ADOBE_DEFLATE, 0, 0, 0, 0},
        {"u16 RGB contig tiled", 16, 3, SAMPLEFORMAT_UINT, PLANARCONFIG_CONTIG, COMPRESSION_NONE, 0, 1, 0, 0},
        {"u8 RGB separate tiled", 8, 3, SAMPLEFORMAT_UINT, PLANARCONFIG_SEPARATE, COMPRESSION_LZW, 0, 1, 0, 0},
        {"f32 striped", 32, 1, SAMPLEFORMAT_IEEEFP, PLANARCONFIG_CONTIG, COMPRESSION_NONE, 0, 0, 0, 0},
        {"f32 tiled deflate", 32, 1, SAMPLEFORMAT_IEEEFP, PLANARCONFIG_CONTIG, COMPRESSION_ADOBE_DEFLATE, 0, 1, 0, 0},
        {"u32 big-endian", 32, 1, SAMPLEFORMAT_UINT, PLANARCONFIG_CONTIG, COMPRESSION_NONE, 0, 0, 1, 0},
        {"u16 big-endian LZW", 16, 1, SAMPLEFORMAT_UINT, PLANARCONFIG_CONTIG, COMPRESSION_LZW, 0, 0, 1, 0},
        {"u8 4 pages tiled", 8, 1, SAMPLEFORMAT_UINT, PLANARCONFIG_CONTIG, COMPRESSION_NONE, 0, 1, 0, 4},
    };
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        fprintf(stderr, "   %s\n", variants[i].name);
        check_variant(&variants[i]);
    }
}

/* ---- PNG variants (made here with libpng) ---- */

/* Write rows of already-packed PNG samples. palette: 4 entries when color_type is PALETTE. */
static int write_png_raw(const char *path, int w, int h, int bit_depth, int color_type, int interlace,
                         const unsigned char *packed, size_t row_bytes)
{
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        return 0;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, bit_depth, color_type, interlace,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[4] = {{10, 20, 30}, {40, 50, 60}, {70, 80, 90}, {200, 210, 220}};
        png_set_PLTE(png, info, pal, 4);
    }
    png_write_info(png, info);
    int passes = png_set_interlace_handling(png);
    for (int p = 0; p < passes; p++)
        for (int y = 0; y < h; y++) png_write_row(png, packed + (size_t)y * row_bytes);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
    return 1;
}

static void test_png_variants(void)
{
    const int w = 21, h = 9;
    unsigned char packed[21 * 9 * 8];
    ns_error err;
    ns_image img;

    /* 2-bit gray, expanded to 8 bits by scaling (0..3 -> 0, 85, 170, 255) */
    memset(packed, 0, sizeof packed);
    size_t rb = (size_t)(w * 2 + 7) / 8;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) packed[y * rb + x / 4] |= (unsigned char)(((x + y) % 4) << (6 - 2 * (x % 4)));
    const char *path = tmp_file("gray2.png");
    CHECK(write_png_raw(path, w, h, 2, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, packed, rb));
    CHECK_OK(ns_image_read(path, 0, 0, &img, &err), err);
    int ok = img.data && img.type == NS_PIXEL_U8;
    for (int i = 0; ok && i < w * h; i++) ok = ((uint8_t *)img.data)[i] == ((i % w + i / w) % 4) * 85;
    CHECK_MSG(ok, "2-bit gray expands wrongly");
    ns_image_free(&img);

    /* palette, 8-bit indices -> RGB channels */
    for (int i = 0; i < w * h; i++) packed[i] = (unsigned char)(i % 4);
    path = tmp_file("palette.png");
    CHECK(write_png_raw(path, w, h, 8, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, packed, (size_t)w));
    const uint8_t blue[4] = {30, 60, 90, 220};
    CHECK_OK(ns_image_read(path, 2, 0, &img, &err), err);
    ok = img.data != NULL;
    for (int i = 0; ok && i < w * h; i++) ok = ((uint8_t *)img.data)[i] == blue[i % 4];
    CHECK_MSG(ok, "palette blue channel wrong");
    ns_image_free(&img);

    /* 16-bit gray+alpha, Adam7-interlaced: channel 1 is the alpha */
    for (int i = 0; i < w * h; i++) {
        uint16_t g = (uint16_t)(i * 300), a = (uint16_t)(65535 - i);
        packed[i * 4] = (unsigned char)(g >> 8);
        packed[i * 4 + 1] = (unsigned char)g;
        packed[i * 4 + 2] = (unsigned char)(a >> 8);
        packed[i * 4 + 3] = (unsigned char)a;
    }
    path = tmp_file("ga16.png");
    CHECK(write_png_raw(path, w, h, 16, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_INTERLACE_ADAM7, packed, (size_t)w * 4));
    ns_image_info info;
    CHECK_OK(ns_image_probe(path, &info, &err), err);
    CHECK(info.channels == 2 && info.type == NS_PIXEL_U16);
    for (int c = 0; c < 2; c++) {
        CHECK_OK(ns_image_read(path, c, 0, &img, &err), err);
        ok = img.data && img.type == NS_PIXEL_U16;
        for (int i = 0; ok && i < w * h; i++)
            ok = ((uint16_t *)img.data)[i] == (c ? (uint16_t)(65535 - i) : (uint16_t)(i * 300));
        CHECK_MSG(ok, "gray+alpha channel %d wrong", c);
        ns_image_free(&img);
    }
}

static void test_dsb_png(void)
{
    /* One real image of the data set and its 16-bit label image. */
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/dsb2018-dev", test_data_dir());
    DIR *d = opendir(dir);
    CHECK_MSG(d != NULL, "cannot open %s", dir);
    if (!d) return;
    char stem[256] = "";
    for (struct dirent *e; (e = readdir(d));) {
        const char *suffix = strstr(e->d_name, "_labels.png");
        if (suffix && suffix[11] == '\0' && (size_t)(suffix - e->d_name) < sizeof stem) {
            memcpy(stem, e->d_name, (size_t)(suffix - e->d_name));
            stem[suffix - e->d_name] = '\0';
            break;
        }
    }
    closedir(d);
    CHECK_MSG(stem[0], "no *_labels.png in %s", dir);
    if (!stem[0]) return;
    char image_path[1536], labels_path[1536];
    snprintf(image_path, sizeof image_path, "%s/%s.png", dir, stem);
    snprintf(labels_path, sizeof labels_path, "%s/%s_labels.png", dir, stem);
    ns_error err;
    ns_image img, labels;
    CHECK_OK(ns_image_read(image_path, 0, 0, &img, &err), err);
    CHECK_OK(ns_image_read(labels_path, 0, 0, &labels, &err), err);
    CHECK(img.width > 0 && img.height > 0 && img.type == NS_PIXEL_U8);
    CHECK(labels.width == img.width && labels.height == img.height && labels.type == NS_PIXEL_U16);
    /* a label image has background and at least one nucleus */
    uint16_t max_label = 0;
    for (size_t i = 0; labels.data && i < (size_t)labels.width * labels.height; i++)
        if (((uint16_t *)labels.data)[i] > max_label) max_label = ((uint16_t *)labels.data)[i];
    CHECK_MSG(max_label > 0, "%s has no labels", labels_path);
    ns_image_free(&img);
    ns_image_free(&labels);
}

/* ---- npy ---- */

static void test_npy(void)
{
    ns_error err;
    double values[10];
    for (int i = 0; i < 10; i++) values[i] = i * 1.5 - 3.25;
    const char *path = tmp_file("pts.npy");
    CHECK_OK(ns_npy_write_f64(path, values, 5, 2, &err), err);
    long size = file_size(path);
    CHECK_MSG((size - 80) % 64 == 0 && size - 80 >= 64, "file size %ld: header not a multiple of 64", size);
    double *back = NULL;
    size_t rows = 99, cols = 99;
    CHECK_OK(ns_npy_read_f64(path, &back, &rows, &cols, &err), err);
    CHECK(rows == 5 && cols == 2 && back && !memcmp(back, values, sizeof values));
    free(back);

    /* zero rows: shape (0, 2), header only */
    CHECK_OK(ns_npy_write_f64(path, NULL, 0, 2, &err), err);
    CHECK(file_size(path) % 64 == 0);
    FILE *f = fopen(path, "rb");
    char head[129] = {0};
    CHECK(f && fread(head, 1, 128, f) > 10);
    if (f) fclose(f);
    CHECK_MSG(strstr(head + 10, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2), }") == head + 10,
              "header: %s", head + 10);
    CHECK(!memcmp(head, "\x93NUMPY\x01\x00", 8));
    back = NULL;
    CHECK_OK(ns_npy_read_f64(path, &back, &rows, &cols, &err), err);
    CHECK(rows == 0 && cols == 2 && back != NULL);
    free(back);

    /* a 1-D array as numpy writes it (version 1.0, header padded to 128 bytes) */
    char one_d[128 + 24];
    const char *dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
    memset(one_d, ' ', 128);
    memcpy(one_d, "\x93NUMPY\x01\x00", 8);
    one_d[8] = 118;
    one_d[9] = 0;
    memcpy(one_d + 10, dict, strlen(dict));
    one_d[127] = '\n';
    memcpy(one_d + 128, values, 24);
    path = tmp_file("one_d.npy");
    write_text_file(path, one_d, sizeof one_d);
    CHECK_OK(ns_npy_read_f64(path, &back, &rows, &cols, &err), err);
    CHECK(rows == 3 && cols == 1 && back && back[2] == values[2]);
    free(back);

    /* float32 data: refused, saying which dtype */
    memcpy(one_d + 10, "{'descr': '<f4',", 16);
    write_text_file(path, one_d, sizeof one_d);
    back = NULL;
    expect_error(ns_npy_read_f64(path, &back, &rows, &cols, &err), NS_ERR_UNSUPPORTED, &err, path, "'<f4'");
    CHECK(back == NULL);
    /* truncated data */
    memcpy(one_d + 10, "{'descr': '<f8',", 16);
    write_text_file(path, one_d, sizeof one_d - 4);
    expect_error(ns_npy_read_f64(path, &back, &rows, &cols, &err), NS_ERR_FORMAT, &err, path, "truncated");
    /* not npy at all */
    write_text_file(path, "hello world, not numpy", 22);
    expect_error(ns_npy_read_f64(path, &back, &rows, &cols, &err), NS_ERR_FORMAT, &err, path, "not a .npy");
    const char *missing = tmp_file("missing.npy");
    expect_error(ns_npy_read_f64(missing, &back, &rows, &cols, &err), NS_ERR_IO, &err, missing, "No such file");
}

/* ---- bad inputs ---- */

static void put16(unsigned char *p, unsigned v) { p[0] = v & 255; p[1] = (v >> 8) & 255; }
static void put32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (v >> (8 * i)) & 255; }

/* A little-endian uncompressed TIFF with its IFD before the pixels (unlike libtiff's
 * own files), so cutting the file short damages the pixels but not the header. */
static void craft_tiff(const char *path, uint32_t w, uint32_t h, size_t pixel_bytes_present)
{
    static unsigned char buf[8 + 2 + 10 * 12 + 4 + 4096];
    memset(buf, 0, sizeof buf);
    memcpy(buf, "II*\0", 4);
    put32(buf + 4, 8);
    unsigned char *p = buf + 8;
    put16(p, 10);
    p += 2;
    const uint32_t data_at = 8 + 2 + 10 * 12 + 4;
    const struct { unsigned tag, type; uint32_t value; } entries[10] = {
        {256, 4, w}, {257, 4, h}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1}, {273, 4, data_at},
        {277, 3, 1}, {278, 4, h ? h : 1}, {279, 4, w * h}, {339, 3, 1}};
    for (int i = 0; i < 10; i++, p += 12) {
        put16(p, entries[i].tag);
        put16(p + 2, entries[i].type);
        put32(p + 4, 1);
        if (entries[i].type == 3) put16(p + 8, entries[i].value);
        else put32(p + 8, entries[i].value);
    }
    for (size_t i = 0; i < pixel_bytes_present && data_at + i < sizeof buf; i++) buf[data_at + i] = (unsigned char)i;
    write_text_file(path, buf, data_at + pixel_bytes_present);
}

static void truncate_to_half(const char *path)
{
    long n = file_size(path);
    CHECK(n > 100);
    CHECK(truncate(path, n / 2) == 0);
}

static void test_bad_inputs(void)
{
    ns_error err;
    ns_image img;
    ns_image_info info;

    const char *missing = tmp_file("no_such.tif");
    expect_error(ns_image_read(missing, 0, 0, &img, &err), NS_ERR_IO, &err, missing, "No such file");
    expect_error(ns_image_probe(missing, &info, &err), NS_ERR_IO, &err, missing, "No such file");

    const char *text = tmp_file("notes.tif");
    write_text_file(text, "this is a text file, not a TIFF\n", 32);
    expect_error(ns_image_read(text, 0, 0, &img, &err), NS_ERR_FORMAT, &err, text, "not a TIFF or PNG file");

    const char *empty = tmp_file("zero.png");
    write_text_file(empty, "", 0);
    expect_error(ns_image_read(empty, 0, 0, &img, &err), NS_ERR_FORMAT, &err, empty, "0 bytes");

    expect_error(ns_image_read(tmp_dir, 0, 0, &img, &err), NS_ERR_IO, &err, tmp_dir, NULL);

    /* truncated compressed TIFFs, as libtiff writes them (pixels first, IFD last) */
    ns_image src;
    CHECK_OK(ns_image_alloc(&src, 300, 200, NS_PIXEL_U16, &err), err);
    fill(&src, 0);
    const char *cut = tmp_file("cut_deflate.tif");
    CHECK_OK(ns_tiff_write(cut, &src, 1, &err), err);
    truncate_to_half(cut);
    expect_error(ns_image_read(cut, 0, 0, &img, &err), NS_ERR_FORMAT, &err, cut, "truncated or corrupt TIFF");
    CHECK(img.data == NULL);
    tiff_variant lzw = {"lzw", 16, 1, SAMPLEFORMAT_UINT, PLANARCONFIG_CONTIG, COMPRESSION_LZW, 0, 0, 0, 0};
    cut = tmp_file("cut_lzw.tif");
    CHECK(write_variant(cut, &lzw, 300, 200));
    truncate_to_half(cut);
    expect_error(ns_image_read(cut, 0, 0, &img, &err), NS_ERR_FORMAT, &err, cut, "truncated or corrupt TIFF");

    /* header intact, pixels cut short: the unreadable strip is named */
    cut = tmp_file("cut_pixels.tif");
    craft_tiff(cut, 64, 64, 64 * 64);
    CHECK_OK(ns_image_read(cut, 0, 0, &img, &err), err); /* the crafted file itself is valid */
    CHECK(img.width == 64 && img.height == 64 && ((uint8_t *)img.data)[100] == 100);
    ns_image_free(&img);
    craft_tiff(cut, 64, 64, 64 * 40);
    expect_error(ns_image_read(cut, 0, 0, &img, &err), NS_ERR_FORMAT, &err, cut, "unreadable");
    CHECK_MSG(strstr(err.message, "strip") != NULL, "no strip named: %s", err.message);

    /* a compressed strip that does not decode */
    const char *garbled = tmp_file("garbled.tif");
    CHECK_OK(ns_tiff_write(garbled, &src, 1, &err), err);
    TIFF *tif = TIFFOpen(garbled, "r");
    uint64_t *offsets = NULL;
    CHECK(tif && TIFFGetField(tif, TIFFTAG_STRIPOFFSETS, &offsets));
    uint64_t second = offsets ? offsets[1] : 0;
    if (tif) TIFFClose(tif);
    FILE *f = fopen(garbled, "r+b");
    CHECK(f && second > 0);
    if (f) {
        unsigned char junk[64];
        memset(junk, 0xA5, sizeof junk);
        fseek(f, (long)second, SEEK_SET);
        fwrite(junk, 1, sizeof junk, f);
        fclose(f);
    }
    expect_error(ns_image_read(garbled, 0, 0, &img, &err), NS_ERR_FORMAT, &err, garbled, "strip 2 of");

    /* truncated PNG */
    const char *png_cut = tmp_file("cut.png");
    CHECK_OK(ns_png_write(png_cut, &src, &err), err);
    truncate_to_half(png_cut);
    expect_error(ns_image_read(png_cut, 0, 0, &img, &err), NS_ERR_FORMAT, &err, png_cut, "truncated or corrupt PNG");

    /* 0x0 images: a TIFF libtiff will not even open, and a PNG header saying 0x0 */
    const char *zero = tmp_file("zero_size.tif");
    craft_tiff(zero, 0, 0, 0);
    expect_error(ns_image_read(zero, 0, 0, &img, &err), NS_ERR_EMPTY, &err, zero, "0x0");
    craft_tiff(zero, 17, 0, 0);
    expect_error(ns_image_read(zero, 0, 0, &img, &err), NS_ERR_EMPTY, &err, zero, "17x0");
    const char *zero_png = tmp_file("zero_size.png");
    CHECK_OK(ns_png_write(zero_png, &src, &err), err);
    f = fopen(zero_png, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 16, SEEK_SET); /* IHDR width and height */
        fwrite("\0\0\0\0\0\0\0\0", 1, 8, f);
        fclose(f);
    }
    expect_error(ns_image_read(zero_png, 0, 0, &img, &err), NS_ERR_EMPTY, &err, zero_png, "0x0");

    /* too large for the caller's limit: refused before decoding */
    const char *big = tmp_file("big.tif");
    CHECK_OK(ns_tiff_write(big, &src, 0, &err), err);
    expect_error(ns_image_read(big, 0, 300 * 200 - 1, &img, &err), NS_ERR_TOO_LARGE, &err, big, "300x200");
    CHECK(img.data == NULL);
    CHECK_OK(ns_image_read(big, 0, 300 * 200, &img, &err), err);
    ns_image_free(&img);
    const char *big_png = tmp_file("big.png");
    CHECK_OK(ns_png_write(big_png, &src, &err), err);
    expect_error(ns_image_read(big_png, 0, 1000, &img, &err), NS_ERR_TOO_LARGE, &err, big_png, "300x200");

    /* pixel types we do not read */
    const struct { tiff_variant v; const char *says; } unsupported[] = {
        {{"int16", 16, 1, SAMPLEFORMAT_INT, PLANARCONFIG_CONTIG, COMPRESSION_NONE, 0, 0, 0, 0}, "signed 16-bit"},
        {{"float64", 64, 1, SAMPLEFORMAT_IEEEFP, PLANARCONFIG_CONTIG, COMPRESSION_NONE, 0, 0, 0, 0}, "64-bit float"},
    };
    for (int i = 0; i < 2; i++) {
        const char *path = tmp_file("unsupported.tif");
        CHECK(write_variant(path, &unsupported[i].v, 20, 10));
        expect_error(ns_image_read(path, 0, 0, &img, &err), NS_ERR_UNSUPPORTED, &err, path, unsupported[i].says);
    }
    const char *bilevel = tmp_file("bilevel.tif");
    tif = TIFFOpen(bilevel, "w");
    CHECK(tif != NULL);
    if (tif) {
        unsigned char row[2] = {0xF0, 0x0F};
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, 16u);
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, 1u);
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        CHECK(TIFFWriteScanline(tif, row, 0, 0) == 1);
        TIFFClose(tif);
    }
    expect_error(ns_image_read(bilevel, 0, 0, &img, &err), NS_ERR_UNSUPPORTED, &err, bilevel, "1-bit");

    /* channel out of range / negative */
    const char *single = tmp_file("single.tif");
    CHECK_OK(ns_tiff_write(single, &src, 0, &err), err);
    expect_error(ns_image_read(single, 3, 0, &img, &err), NS_ERR_INVALID, &err, single, "channel 3 requested, file has 1");
    expect_error(ns_image_read(single, -1, 0, &img, &err), NS_ERR_INVALID, &err, single, "channel -1");
    ns_image_free(&src);
}

/* ---- writers are atomic; helpers ---- */

static void test_writers_atomic(void)
{
    ns_error err;
    ns_image img;
    CHECK_OK(ns_image_alloc(&img, 8, 8, NS_PIXEL_U8, &err), err);
    fill(&img, 0);
    const char *nowhere = "/proc/nucseg_no_dir/x.tif";
    CHECK(ns_tiff_write(nowhere, &img, 0, &err) == NS_ERR_IO);
    CHECK_MSG(strstr(err.message, nowhere) != NULL, "%s", err.message);
    CHECK(ns_png_write("/proc/nucseg_no_dir/x.png", &img, &err) == NS_ERR_IO);
    CHECK(ns_npy_write_f64("/proc/nucseg_no_dir/x.npy", NULL, 0, 2, &err) == NS_ERR_IO);
    /* overwriting keeps one file, and no temporary is ever left behind */
    const char *path = tmp_file("again.tif");
    CHECK_OK(ns_tiff_write(path, &img, 0, &err), err);
    CHECK_OK(ns_tiff_write(path, &img, 1, &err), err);
    DIR *d = opendir(tmp_dir);
    int temporaries = 0;
    for (struct dirent *e; d && (e = readdir(d));) temporaries += strstr(e->d_name, ".tmp.") != NULL;
    if (d) closedir(d);
    CHECK(temporaries == 0);
    ns_image_free(&img);
}

static void test_image_helpers(void)
{
    ns_error err;
    ns_image img, f;
    CHECK(ns_pixel_size(NS_PIXEL_U8) == 1 && ns_pixel_size(NS_PIXEL_U16) == 2);
    CHECK(ns_pixel_size(NS_PIXEL_U32) == 4 && ns_pixel_size(NS_PIXEL_F32) == 4);
    CHECK(!strcmp(ns_pixel_type_name(NS_PIXEL_U16), "uint16"));
    CHECK(ns_image_alloc(&img, 0, 5, NS_PIXEL_U8, &err) == NS_ERR_EMPTY);
    CHECK(ns_image_alloc(&img, -1, 5, NS_PIXEL_U8, &err) == NS_ERR_INVALID);
    CHECK(ns_image_alloc(&img, INT32_MAX, INT32_MAX, NS_PIXEL_F32, &err) == NS_ERR_TOO_LARGE);
    CHECK(img.data == NULL);
    CHECK_OK(ns_image_alloc(&img, 3, 2, NS_PIXEL_U16, &err), err);
    ((uint16_t *)img.data)[5] = 65535;
    CHECK_OK(ns_image_to_f32(&img, &f, &err), err);
    CHECK(f.type == NS_PIXEL_F32 && f.width == 3 && f.height == 2);
    CHECK(((float *)f.data)[5] == 65535.0f && ((float *)f.data)[0] == 0.0f);
    ns_image_free(&img);
    ns_image_free(&img); /* freeing twice is harmless */
    ns_image_free(&f);
}

static void remove_tmp_dir(void)
{
    DIR *d = opendir(tmp_dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", tmp_dir, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rmdir(tmp_dir);
}

int main(void)
{
    if (!mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_image_helpers);
    RUN(test_tiff_roundtrip);
    RUN(test_tiff_pages);
    RUN(test_tiff_labels_round_trip);
    RUN(test_png_roundtrip);
    RUN(test_png_rgb);
    RUN(test_tiff_variants);
    RUN(test_png_variants);
    RUN(test_dsb_png);
    RUN(test_npy);
    RUN(test_bad_inputs);
    RUN(test_writers_atomic);
    remove_tmp_dir();
    return check_report();
}
