/* image_internal.h — what the image/ files share with each other but not with
 * the rest of nucseg: the per-format readers that ns_image_read dispatches to,
 * and the capture of libtiff's diagnostics. */
#ifndef NUCSEG_IMAGE_INTERNAL_H
#define NUCSEG_IMAGE_INTERNAL_H

#include <stdint.h>

#include "nucseg/image.h"

/* Format readers; path is only for messages and opening. `out` is zeroed on failure. */
/* ns_image_alloc without zeroing, for readers that write every pixel (or free the
 * image on failure). */
ns_status ns_image_alloc_unzeroed(ns_image *img, int width, int height, ns_pixel_type type, ns_error *err);

ns_status ns_tiff_read_plane(const char *path, int channel, size_t max_pixels, ns_image *out, ns_error *err);
ns_status ns_tiff_probe_file(const char *path, ns_image_info *info, ns_error *err);
ns_status ns_png_read_plane(const char *path, int channel, size_t max_pixels, ns_image *out, ns_error *err);
ns_status ns_png_probe_file(const char *path, ns_image_info *info, ns_error *err);

/* Width and height of the first TIFF page, parsed without libtiff (which will not
 * open a 0x0 image). Returns 1 when both tags were found. */
int ns_tiff_first_page_size(const char *path, uint64_t *width, uint64_t *height);

/* libtiff reports problems through global handlers that print to stderr by
 * default; nucseg captures them per thread instead, so each failure becomes
 * one ns_error line and batch runs keep a clean stderr. */
void ns_tiff_diag_install(void);
/* Forget earlier messages (call before an operation whose failure you report). */
void ns_tiff_diag_clear(void);
/* Last error (else last warning) libtiff reported on this thread, "" if none;
 * a module equal to path is left out. Valid until the next call on this thread. */
const char *ns_tiff_diag_last(const char *path);

/* Copy sample `sample` of n interleaved pixels (spp samples of ps = 1, 2 or 4 bytes each) to dst. */
void ns_pick_sample(void *dst, const unsigned char *src, size_t n, int spp, int sample, size_t ps);

/* 1 when the host stores multi-byte integers little-endian (PNG/npy byte order). */
int ns_host_is_little_endian(void);

#endif
