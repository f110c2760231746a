/* png_read.c — one plane of a PNG through libpng: 8/16-bit gray, gray+alpha,
 * RGB, RGBA, palette (expanded to RGB) and bit depths below 8 (expanded to 8).
 * Size and colour type come from our own look at IHDR first, so empty and
 * too-large images are refused before libpng allocates anything. */
#include "image_internal.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <spng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    uint32_t width, height;
    int bit_depth, color_type, channels;
} png_header;

/* Everything the libpng calls touch lives here, outside the function that calls
 * setjmp, so it keeps its value across the longjmp of an error. */
typedef struct {
    const char *path;
    FILE *fp;
    png_structp png;
    png_infop info;
    int decode_pixels;
    int channel;
    ns_image *out;
    unsigned char *interleaved; /* whole image when it has several samples */
    png_bytep *rows;
    char message[256];
} png_job;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static ns_status read_header(FILE *fp, const char *path, png_header *h, ns_error *err)
{
    unsigned char b[26];
    size_t got = fread(b, 1, sizeof b, fp);
    if (got < sizeof b)
        return ns_error_set(err, NS_ERR_FORMAT, "%s: truncated or corrupt PNG (file ends inside the header)", path);
    if (be32(b + 8) != 13 || memcmp(b + 12, "IHDR", 4) != 0)
        return ns_error_set(err, NS_ERR_FORMAT, "%s: truncated or corrupt PNG (first chunk is not IHDR)", path);
    h->width = be32(b + 16);
    h->height = be32(b + 20);
    h->bit_depth = b[24];
    h->color_type = b[25];
    if (h->width == 0 || h->height == 0)
        return ns_error_set(err, NS_ERR_EMPTY, "%s: empty image (%ux%u pixels)", path,
                            (unsigned)h->width, (unsigned)h->height);
    if (h->width > INT32_MAX || h->height > INT32_MAX)
        return ns_error_set(err, NS_ERR_FORMAT, "%s: corrupt PNG (size %ux%u)", path,
                            (unsigned)h->width, (unsigned)h->height);
    switch (h->color_type) {
    case PNG_COLOR_TYPE_GRAY: h->channels = 1; break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: h->channels = 2; break;
    case PNG_COLOR_TYPE_RGB: h->channels = 3; break;
    case PNG_COLOR_TYPE_PALETTE: h->channels = 3; break; /* expanded; tRNS alpha is not added */
    case PNG_COLOR_TYPE_RGB_ALPHA: h->channels = 4; break;
    default:
        return ns_error_set(err, NS_ERR_FORMAT, "%s: corrupt PNG (colour type %d)", path, h->color_type);
    }
    if (h->bit_depth != 1 && h->bit_depth != 2 && h->bit_depth != 4 && h->bit_depth != 8 && h->bit_depth != 16)
        return ns_error_set(err, NS_ERR_FORMAT, "%s: corrupt PNG (bit depth %d)", path, h->bit_depth);
    return NS_OK;
}

static void on_error(png_structp png, png_const_charp msg)
{
    png_job *job = png_get_error_ptr(png);
    snprintf(job->message, sizeof job->message, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    /* Warnings (odd ancillary chunks, bad colour profiles) do not stop a read; stay quiet. */
    (void)png;
    (void)msg;
}

static void read_bytes(png_structp png, png_bytep data, size_t len)
{
    png_job *job = png_get_io_ptr(png);
    if (fread(data, 1, len, job->fp) != len)
        png_error(png, ferror(job->fp) ? "read error" : "unexpected end of file");
}

/* The libpng part; returns 0, or 1 after a libpng error (message in job). */
static int decode(png_job *job)
{
    if (setjmp(png_jmpbuf(job->png))) return 1;
    png_set_read_fn(job->png, job, read_bytes);
    /* Our own max_pixels check has run; do not let libpng's width cap add another. */
    png_set_user_limits(job->png, 0x7fffffff, 0x7fffffff);
    png_read_info(job->png, job->info);
    if (!job->decode_pixels) return 0;

    int color_type = png_get_color_type(job->png, job->info);
    int bit_depth = png_get_bit_depth(job->png, job->info);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(job->png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(job->png);
    /* PNG stores 16-bit samples big-endian; we want them native. */
    if (bit_depth == 16 && ns_host_is_little_endian()) png_set_swap(job->png);
    png_set_interlace_handling(job->png);
    png_read_update_info(job->png, job->info);

    ns_image *out = job->out;
    int channels = png_get_channels(job->png, job->info);
    size_t row_bytes = png_get_rowbytes(job->png, job->info);
    size_t ps = ns_pixel_size(out->type);
    if (row_bytes != (size_t)out->width * channels * ps || job->channel >= channels)
        png_error(job->png, "decoded row size does not match the header");
    job->rows = malloc((size_t)out->height * sizeof *job->rows);
    if (!job->rows) png_error(job->png, "out of memory");
    unsigned char *base = out->data;
    if (channels > 1) {
        job->interleaved = malloc((size_t)out->height * row_bytes);
        if (!job->interleaved) png_error(job->png, "out of memory");
        base = job->interleaved;
    }
    for (int y = 0; y < out->height; y++) job->rows[y] = base + (size_t)y * row_bytes;
    png_read_image(job->png, job->rows);
    png_read_end(job->png, NULL); /* checks the file goes on to a proper IEND */
    if (channels > 1) {
        size_t plane_row = (size_t)out->width * ps;
        for (int y = 0; y < out->height; y++)
            ns_pick_sample((unsigned char *)out->data + y * plane_row, job->rows[y],
                           (size_t)out->width, channels, job->channel, ps);
    }
    return 0;
}

/* Grey images (what microscopes write) go through libspng, about twice as fast as libpng
 * here: the whole file read at once, inflated and unfiltered in one call. Checksums
 * (chunk CRCs, Adler-32) and the image limits stay checked; 16-bit samples come out in
 * host order. Other colour types stay with libpng, which expands them as described above. */
static ns_status decode_grey_spng(FILE *fp, const char *path, const png_header *h, ns_image *out, ns_error *err)
{
    struct stat sb;
    if (fstat(fileno(fp), &sb) != 0) return ns_error_set(err, NS_ERR_IO, "%s: %s", path, strerror(errno));
    size_t len = (size_t)sb.st_size;
    unsigned char *buf = malloc(len ? len : 1);
    if (!buf) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory reading the file", path);
    rewind(fp);
    if (fread(buf, 1, len, fp) != len) {
        free(buf);
        return ns_error_set(err, NS_ERR_FORMAT, "%s: truncated or corrupt PNG (read error)", path);
    }
    ns_status st = NS_OK;
    spng_ctx *ctx = spng_ctx_new(0);
    int rc = ctx ? spng_set_png_buffer(ctx, buf, len) : SPNG_EMEM;
    if (!rc) rc = spng_set_image_limits(ctx, h->width, h->height);
    int fmt = h->bit_depth < 8 ? SPNG_FMT_G8 : SPNG_FMT_PNG;
    size_t need = 0;
    if (!rc) rc = spng_decoded_image_size(ctx, fmt, &need);
    if (!rc && need != (size_t)out->width * out->height * ns_pixel_size(out->type)) rc = SPNG_EINTERNAL;
    if (!rc) rc = spng_decode_image(ctx, out->data, need, fmt, 0);
    if (rc == SPNG_EMEM) st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory decoding the PNG", path);
    else if (rc) st = ns_error_set(err, NS_ERR_FORMAT, "%s: truncated or corrupt PNG (%s)", path, spng_strerror(rc));
    spng_ctx_free(ctx);
    free(buf);
    return st;
}

/* Open, check the header, run libpng (decoding pixels when out != NULL). */
static ns_status run(const char *path, int channel, size_t max_pixels, ns_image *out, png_header *h, ns_error *err)
{
    png_job job;
    memset(&job, 0, sizeof job);
    job.path = path;
    job.channel = channel;
    job.out = out;
    job.decode_pixels = out != NULL;
    job.fp = fopen(path, "rb");
    if (!job.fp) return ns_error_set(err, NS_ERR_IO, "%s: %s", path, strerror(errno));
    ns_status st = read_header(job.fp, path, h, err);
    if (st) goto done;
    if (out) {
        if (channel >= h->channels) {
            st = ns_error_set(err, NS_ERR_INVALID, "%s: channel %d requested, file has %d", path, channel, h->channels);
            goto done;
        }
        if ((uint64_t)h->width * h->height > (uint64_t)max_pixels) {
            st = ns_error_set(err, NS_ERR_TOO_LARGE, "%s: %ux%u = %llu pixels, over the limit of %zu", path,
                              (unsigned)h->width, (unsigned)h->height,
                              (unsigned long long)h->width * h->height, max_pixels);
            goto done;
        }
        st = ns_image_alloc(out, (int)h->width, (int)h->height, h->bit_depth == 16 ? NS_PIXEL_U16 : NS_PIXEL_U8, err);
        if (st) {
            ns_error_prefix(err, "%s", path);
            goto done;
        }
    }
    if (out && h->color_type == PNG_COLOR_TYPE_GRAY) {
        st = decode_grey_spng(job.fp, path, h, out, err);
        goto done;
    }
    rewind(job.fp);
    job.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, on_error, on_warning);
    if (job.png) job.info = png_create_info_struct(job.png);
    if (!job.png || !job.info) {
        st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory starting libpng", path);
        goto done;
    }
    if (decode(&job) != 0)
        st = ns_error_set(err, NS_ERR_FORMAT, "%s: truncated or corrupt PNG (%s)", path, job.message);
done:
    if (job.png) png_destroy_read_struct(&job.png, job.info ? &job.info : NULL, NULL);
    free(job.rows);
    free(job.interleaved);
    fclose(job.fp);
    if (st && out) ns_image_free(out);
    return st;
}

ns_status ns_png_read_plane(const char *path, int channel, size_t max_pixels, ns_image *out, ns_error *err)
{
    memset(out, 0, sizeof *out);
    png_header h;
    return run(path, channel, max_pixels, out, &h, err);
}

ns_status ns_png_probe_file(const char *path, ns_image_info *info, ns_error *err)
{
    memset(info, 0, sizeof *info);
    png_header h;
    ns_status st = run(path, 0, 0, NULL, &h, err);
    if (st) return st;
    info->width = (int)h.width;
    info->height = (int)h.height;
    info->channels = h.channels;
    info->type = h.bit_depth == 16 ? NS_PIXEL_U16 : NS_PIXEL_U8;
    return NS_OK;
}
