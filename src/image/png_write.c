/* png_write.c — 8/16-bit gray and 8-bit RGB PNGs through libpng, written to a
 * temporary sibling and renamed into place only when complete. */
#include "image_internal.h"

#include "nucseg/fsutil.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

/* State the libpng calls use, kept out of the function that calls setjmp. */
typedef struct {
    FILE *fp;
    png_structp png;
    png_infop info;
    int width, height;
    int bit_depth, color_type;
    size_t row_bytes;
    const unsigned char *pixels;
    char message[256];
} png_writer;

static void on_error(png_structp png, png_const_charp msg)
{
    png_writer *w = png_get_error_ptr(png);
    snprintf(w->message, sizeof w->message, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* Returns 0, or 1 after a libpng error (message in w). */
static int encode(png_writer *w)
{
    if (setjmp(png_jmpbuf(w->png))) return 1;
    png_init_io(w->png, w->fp);
    png_set_user_limits(w->png, 0x7fffffff, 0x7fffffff);
    /* Label and intensity images compress well enough at level 6; higher costs time for ~1%. */
    png_set_compression_level(w->png, 6);
    png_set_IHDR(w->png, w->info, (png_uint_32)w->width, (png_uint_32)w->height, w->bit_depth, w->color_type,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(w->png, w->info);
    /* PNG stores 16-bit samples big-endian; ours are native. */
    if (w->bit_depth == 16 && ns_host_is_little_endian()) png_set_swap(w->png);
    for (int y = 0; y < w->height; y++)
        png_write_row(w->png, w->pixels + (size_t)y * w->row_bytes);
    png_write_end(w->png, NULL);
    return 0;
}

static ns_status write_png(const char *path, png_writer *w, ns_error *err)
{
    ns_atomic_file f;
    ns_status st = ns_atomic_open(&f, path, err);
    if (st) return st;
    w->fp = f.fp;
    w->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, w, on_error, on_warning);
    if (w->png) w->info = png_create_info_struct(w->png);
    if (!w->png || !w->info)
        st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory starting libpng", path);
    else if (encode(w) != 0)
        st = ns_error_set(err, NS_ERR_IO, "%s: cannot write PNG (%s)", path, w->message);
    if (w->png) png_destroy_write_struct(&w->png, w->info ? &w->info : NULL);
    if (st) {
        ns_atomic_abort(&f);
        return st;
    }
    return ns_atomic_close(&f, err);
}

ns_status ns_png_write(const char *path, const ns_image *img, ns_error *err)
{
    if (!img->data || img->width <= 0 || img->height <= 0)
        return ns_error_set(err, NS_ERR_INVALID, "%s: cannot write an empty image (%dx%d)", path, img->width, img->height);
    if (img->type != NS_PIXEL_U8 && img->type != NS_PIXEL_U16)
        return ns_error_set(err, NS_ERR_UNSUPPORTED, "%s: PNG holds 8- or 16-bit gray, not %s (write a TIFF)",
                            path, ns_pixel_type_name(img->type));
    png_writer w;
    memset(&w, 0, sizeof w);
    w.width = img->width;
    w.height = img->height;
    w.bit_depth = img->type == NS_PIXEL_U16 ? 16 : 8;
    w.color_type = PNG_COLOR_TYPE_GRAY;
    w.row_bytes = (size_t)img->width * ns_pixel_size(img->type);
    w.pixels = img->data;
    return write_png(path, &w, err);
}

ns_status ns_png_write_rgb(const char *path, int width, int height, const uint8_t *rgb, ns_error *err)
{
    if (!rgb || width <= 0 || height <= 0)
        return ns_error_set(err, NS_ERR_INVALID, "%s: cannot write an empty image (%dx%d)", path, width, height);
    png_writer w;
    memset(&w, 0, sizeof w);
    w.width = width;
    w.height = height;
    w.bit_depth = 8;
    w.color_type = PNG_COLOR_TYPE_RGB;
    w.row_bytes = (size_t)width * 3;
    w.pixels = rgb;
    return write_png(path, &w, err);
}
