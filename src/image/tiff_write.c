/* tiff_write.c — plain baseline TIFFs (what Fiji, napari and tifffile open):
 * one sample per pixel, MinIsBlack, strips of about 64 KiB, optionally Deflate.
 * Written under a temporary sibling name and renamed only when complete. */
#include "image_internal.h"

#include "nucseg/fsutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <unistd.h>

#define STRIP_TARGET_BYTES 65536

static ns_status write_failed(const char *path, const char *what, ns_error *err)
{
    const char *why = ns_tiff_diag_last(path);
    if (*why) return ns_error_set(err, NS_ERR_IO, "%s: cannot write TIFF (%s: %s)", path, what, why);
    return ns_error_set(err, NS_ERR_IO, "%s: cannot write TIFF (%s)", path, what);
}

static ns_status check_plane(const char *path, const ns_image *img, const ns_image *first, ns_error *err)
{
    if (!img->data || img->width <= 0 || img->height <= 0)
        return ns_error_set(err, NS_ERR_INVALID, "%s: cannot write an empty image (%dx%d)", path, img->width, img->height);
    if (!ns_pixel_size(img->type))
        return ns_error_set(err, NS_ERR_INVALID, "%s: unknown pixel type %d", path, (int)img->type);
    if (first && (img->width != first->width || img->height != first->height || img->type != first->type))
        return ns_error_set(err, NS_ERR_INVALID, "%s: pages differ (%dx%d %s vs %dx%d %s)", path,
                            img->width, img->height, ns_pixel_type_name(img->type),
                            first->width, first->height, ns_pixel_type_name(first->type));
    return NS_OK;
}

/* Tags and strips of one page; the caller writes the directory. */
/* The pixel size as ImageJ writes it, the way Fiji and tifffile (imagej_metadata) read
 * micrometres: resolution in pixels per unit, the unit in the description. */
static int set_pixel_size(TIFF *tif, const ns_pixel_size_um *size)
{
    double y_um = size->y_um > 0 ? size->y_um : size->x_um;
    return TIFFSetField(tif, TIFFTAG_IMAGEDESCRIPTION, "ImageJ=1.11a\nunit=micron\n") &&
           TIFFSetField(tif, TIFFTAG_XRESOLUTION, (float)(1.0 / size->x_um)) &&
           TIFFSetField(tif, TIFFTAG_YRESOLUTION, (float)(1.0 / y_um)) &&
           TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, (uint16_t)RESUNIT_NONE);
}

static ns_status write_page(TIFF *tif, const char *path, const ns_image *img, int compress,
                            const ns_pixel_size_um *size, ns_error *err)
{
    size_t ps = ns_pixel_size(img->type);
    size_t row_bytes = (size_t)img->width * ps;
    uint32_t rps = row_bytes >= STRIP_TARGET_BYTES ? 1 : (uint32_t)(STRIP_TARGET_BYTES / row_bytes);
    if (rps > (uint32_t)img->height) rps = (uint32_t)img->height;
    int ok = TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)img->width) &&
             TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)img->height) &&
             TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (uint16_t)(ps * 8)) &&
             TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)1) &&
             TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT,
                          (uint16_t)(img->type == NS_PIXEL_F32 ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT)) &&
             TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, (uint16_t)PHOTOMETRIC_MINISBLACK) &&
             TIFFSetField(tif, TIFFTAG_PLANARCONFIG, (uint16_t)PLANARCONFIG_CONTIG) &&
             TIFFSetField(tif, TIFFTAG_COMPRESSION,
                          (uint16_t)(compress ? COMPRESSION_ADOBE_DEFLATE : COMPRESSION_NONE)) &&
             TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rps) &&
             TIFFSetField(tif, TIFFTAG_SOFTWARE, "nucseg");
    /* Levels 1-2: images compress nearly as well as at the default level 6, at a
     * fraction of the time (writes are on every image's path). libdeflate's level 1
     * matcher is the faster one on microscopy but slower on label images, whose long
     * runs of one value level 2 finds faster (measured on 10X and 40X labels: 15-28 %
     * less time, 1-6 % smaller). */
    if (ok && compress) ok = TIFFSetField(tif, TIFFTAG_ZIPQUALITY, compress == NS_TIFF_DEFLATE_LABELS ? 2 : 1);
    if (ok && size && size->x_um > 0) ok = set_pixel_size(tif, size);
    if (!ok) return write_failed(path, "setting tags", err);
    const unsigned char *src = img->data;
    uint32_t nstrips = ((uint32_t)img->height + rps - 1) / rps;
    for (uint32_t i = 0; i < nstrips; i++) {
        uint32_t row = i * rps;
        uint32_t rows = (uint32_t)img->height - row < rps ? (uint32_t)img->height - row : rps;
        tmsize_t bytes = (tmsize_t)(rows * row_bytes);
        /* libtiff's encoders may modify the buffer in place (byte swapping, predictors);
         * with none of those set it only reads it, so the const cast is safe. */
        if (TIFFWriteEncodedStrip(tif, i, (void *)(uintptr_t)(src + row * row_bytes), bytes) != bytes)
            return write_failed(path, "writing a strip", err);
    }
    return NS_OK;
}

static ns_status write_pages(const char *path, const ns_image *planes, int count, int compress,
                            const ns_pixel_size_um *size, ns_commit_list *defer, ns_error *err)
{
    if (count <= 0) return ns_error_set(err, NS_ERR_INVALID, "%s: no pages to write", path);
    uint64_t total = 0;
    for (int i = 0; i < count; i++) {
        ns_status st = check_plane(path, &planes[i], i ? &planes[0] : NULL, err);
        if (st) return st;
        total += (uint64_t)planes[i].width * planes[i].height * ns_pixel_size(planes[i].type);
    }
    char tmp[4096];
    ns_status st = ns_tmp_path(path, tmp, sizeof tmp, err);
    if (st) return st;
    ns_tiff_diag_install();
    ns_tiff_diag_clear();
    /* Classic TIFF offsets are 32-bit; switch to BigTIFF only when the data needs it. */
    TIFF *tif = TIFFOpen(tmp, total > 0xF0000000u ? "w8" : "w");
    if (!tif) {
        /* TIFFOpen may have created the file before failing to write its header (a full
         * disk): no empty temporary file stays behind. */
        st = write_failed(path, "cannot create the temporary file", err);
        unlink(tmp);
        return st;
    }
    for (int i = 0; i < count && !st; i++) {
        st = write_page(tif, path, &planes[i], compress, size, err);
        if (!st && !TIFFWriteDirectory(tif)) st = write_failed(path, "writing the directory", err);
    }
    if (!st && !TIFFFlush(tif)) st = write_failed(path, "flushing", err);
    TIFFClose(tif);
    if (st) {
        unlink(tmp);
        return st;
    }
    return ns_commit_file_to(tmp, path, defer, err);
}

ns_status ns_tiff_write_pages(const char *path, const ns_image *planes, int count, int compress, ns_error *err)
{
    return write_pages(path, planes, count, compress, NULL, NULL, err);
}

ns_status ns_tiff_write(const char *path, const ns_image *img, int compress, ns_error *err)
{
    return write_pages(path, img, 1, compress, NULL, NULL, err);
}

ns_status ns_tiff_write_scaled(const char *path, const ns_image *img, int compress,
                               const ns_pixel_size_um *size, ns_error *err)
{
    return write_pages(path, img, 1, compress, size, NULL, err);
}

ns_status ns_tiff_write_to(const char *path, const ns_image *img, int compress, const ns_pixel_size_um *size,
                           ns_commit_list *defer, ns_error *err)
{
    return write_pages(path, img, 1, compress, size, defer, err);
}
