/* image.h — single-plane pixel buffers and their file formats.
 *
 * An ns_image is one channel plane, rows contiguous (stride == width), in the
 * pixel type it was stored with. It owns `data`; ns_image_free releases it.
 * Readers pick one plane out of multi-page / multi-sample files (`channel`). */
#ifndef NUCSEG_IMAGE_H
#define NUCSEG_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "nucseg/error.h"
#include "nucseg/fsutil.h"

typedef enum {
    NS_PIXEL_U8,
    NS_PIXEL_U16,
    NS_PIXEL_U32,
    NS_PIXEL_F32
} ns_pixel_type;

typedef struct {
    int width;
    int height;
    ns_pixel_type type;
    void *data; /* owned; width*height pixels of `type` */
} ns_image;

/* Default pixel limit for readers (--max-pixels): 2^28 = 268 M pixels (16384^2). */
#define NS_DEFAULT_MAX_PIXELS ((size_t)1 << 28)

size_t ns_pixel_size(ns_pixel_type t);
const char *ns_pixel_type_name(ns_pixel_type t);

/* Allocate a zeroed image. */
ns_status ns_image_alloc(ns_image *img, int width, int height, ns_pixel_type type, ns_error *err);
void ns_image_free(ns_image *img);

/* Convert any plane to float32 (values unchanged, not rescaled). out is allocated. */
ns_status ns_image_to_f32(const ns_image *in, ns_image *out, ns_error *err);
/* Convert an integer plane (labels) to uint32; a float one is refused. out is allocated. */
ns_status ns_image_to_u32(const ns_image *in, ns_image *out, ns_error *err);

/* Read one plane of a TIFF or PNG (detected from the file's magic bytes, not its name).
 * channel: page index for multi-page TIFFs, else sample index (RGB → 0,1,2).
 * max_pixels: refuse larger images with NS_ERR_TOO_LARGE before allocating (0 = default).
 * Errors name the file: missing, not an image, truncated, 0x0, too large, unsupported type. */
ns_status ns_image_read(const char *path, int channel, size_t max_pixels, ns_image *out, ns_error *err);

/* Image size and plane count without decoding pixels. */
typedef struct {
    int width, height;
    int channels;        /* pages (multi-page TIFF) or samples per pixel */
    ns_pixel_type type;
} ns_image_info;
ns_status ns_image_probe(const char *path, ns_image_info *info, ns_error *err);

/* The physical size of a pixel, as a file declares it (docs/units.md). */
typedef struct {
    double x_um, y_um; /* micrometres per pixel; 0 when not known */
    char source[16];   /* where it came from: "ome", "imagej", "resolution", "option"; "" */
} ns_pixel_size_um;

/* Pixel size declared by a TIFF: OME-XML PhysicalSizeX/Y (with their units) in the
 * ImageDescription, else an ImageJ description's unit= with XResolution/YResolution,
 * else XResolution/YResolution with ResolutionUnit inch or centimetre. A file that
 * declares none (or a PNG) gives NS_OK with x_um = 0. A size declared but unreadable
 * (an unknown unit, a value <= 0) is an error naming the file and the field. */
ns_status ns_image_pixel_size(const char *path, ns_pixel_size_um *out, ns_error *err);

/* TIFF writers (atomic: temp name + rename). U8/U16/U32/F32 single plane.
 * Compression: 0 none, 1 Deflate (zlib level 1: the fastest on microscopy images),
 * NS_TIFF_DEFLATE_LABELS Deflate at level 2, which on label images (long runs of one
 * value) is both faster and smaller than level 1. Labels open in Fiji and napari. */
#define NS_TIFF_DEFLATE_LABELS 2
ns_status ns_tiff_write(const char *path, const ns_image *img, int compress, ns_error *err);
/* ns_tiff_write with the pixel size recorded (size->x_um > 0): ImageJ's way, which Fiji
 * and tifffile read as micrometres (description "unit=micron", X/YResolution in pixels
 * per micrometre); ns_image_pixel_size reads it back. size NULL or x_um <= 0: as ns_tiff_write. */
ns_status ns_tiff_write_scaled(const char *path, const ns_image *img, int compress,
                               const ns_pixel_size_um *size, ns_error *err);
/* ns_tiff_write_scaled, its commit recorded in defer (nucseg/fsutil.h) when not NULL. */
ns_status ns_tiff_write_to(const char *path, const ns_image *img, int compress, const ns_pixel_size_um *size,
                           ns_commit_list *defer, ns_error *err);
/* Multi-page TIFF, one page per plane (all planes the same size and type). */
ns_status ns_tiff_write_pages(const char *path, const ns_image *planes, int count, int compress, ns_error *err);

/* PNG writer for 8- or 16-bit gray (U8/U16), or RGB when rgb != NULL (3*w*h bytes). Atomic. */
ns_status ns_png_write(const char *path, const ns_image *img, ns_error *err);
ns_status ns_png_write_rgb(const char *path, int width, int height, const uint8_t *rgb, ns_error *err);

/* NumPy .npy writer: rows x cols float64, C order (numpy.load reads it). Atomic. */
ns_status ns_npy_write_f64(const char *path, const double *data, size_t rows, size_t cols, ns_error *err);
/* ns_npy_write_f64, its commit recorded in defer (nucseg/fsutil.h) when not NULL. */
ns_status ns_npy_write_f64_to(const char *path, const double *data, size_t rows, size_t cols, ns_commit_list *defer,
                              ns_error *err);
/* NumPy .npy reader for float64 2-D arrays (as written above). *data is malloc'd. */
ns_status ns_npy_read_f64(const char *path, double **data, size_t *rows, size_t *cols, ns_error *err);

#endif
