/* tiff_read.c — one plane of a TIFF through libtiff: 8/16/32-bit unsigned or
 * 32-bit float; a page of a multi-page file or a sample of a multi-sample one
 * (contiguous or separate planes); striped or tiled; any codec libtiff has.
 * Whole strips are decoded straight into the output buffer where the layout
 * allows it (one sample per pixel), which is what makes big reads fast. */
#include "image_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

/* A single tile larger than this is refused rather than allocated. */
#define MAX_TILE_BYTES ((uint64_t)256 << 20)

typedef struct {
    uint32_t width, height;
    uint16_t bps, spp, sample_format, planar, compression, photometric;
    int tiled;
    ns_pixel_type type;
} page_layout;

static ns_status corrupt(const char *path, const char *what, ns_error *err)
{
    const char *why = ns_tiff_diag_last(path);
    if (*why)
        return ns_error_set(err, NS_ERR_FORMAT, "%s: truncated or corrupt TIFF (%s: %s)", path, what, why);
    return ns_error_set(err, NS_ERR_FORMAT, "%s: truncated or corrupt TIFF (%s)", path, what);
}

static ns_status open_tiff(const char *path, TIFF **out, ns_error *err)
{
    ns_tiff_diag_install();
    ns_tiff_diag_clear();
    /* "m": no memory mapping. Mapped, every page of the file faults in and the unmap
     * flushes the TLB of the worker's other threads; read(), with uncompressed strips
     * read straight into the image, took a 1024² 16-bit field in 0.35 ms instead of
     * 0.87 (compressed files: the same either way). */
    *out = TIFFOpen(path, "rm");
    if (*out) return NS_OK;
    uint64_t w, h;
    if (ns_tiff_first_page_size(path, &w, &h) && (w == 0 || h == 0))
        return ns_error_set(err, NS_ERR_EMPTY, "%s: empty image (%llux%llu pixels)", path,
                            (unsigned long long)w, (unsigned long long)h);
    return corrupt(path, "cannot read the header or first directory", err);
}

static ns_status pixel_type_of(const char *path, uint16_t bps, uint16_t fmt, ns_pixel_type *type, ns_error *err)
{
    switch (fmt) {
    case SAMPLEFORMAT_UINT:
    case SAMPLEFORMAT_VOID: /* "untyped": read as unsigned, like most readers */
        if (bps == 8) { *type = NS_PIXEL_U8; return NS_OK; }
        if (bps == 16) { *type = NS_PIXEL_U16; return NS_OK; }
        if (bps == 32) { *type = NS_PIXEL_U32; return NS_OK; }
        if (bps == 1)
            return ns_error_set(err, NS_ERR_UNSUPPORTED, "%s: 1-bit (bilevel) TIFF is not supported; "
                                "pixel types read: 8/16/32-bit unsigned, 32-bit float", path);
        return ns_error_set(err, NS_ERR_UNSUPPORTED, "%s: %u-bit unsigned TIFF pixels are not supported "
                            "(8, 16 or 32 bits)", path, (unsigned)bps);
    case SAMPLEFORMAT_INT:
        return ns_error_set(err, NS_ERR_UNSUPPORTED, "%s: signed %u-bit integer TIFF pixels are not supported "
                            "(convert to unsigned)", path, (unsigned)bps);
    case SAMPLEFORMAT_IEEEFP:
        if (bps == 32) { *type = NS_PIXEL_F32; return NS_OK; }
        return ns_error_set(err, NS_ERR_UNSUPPORTED, "%s: %u-bit float TIFF pixels are not supported "
                            "(only 32-bit float)", path, (unsigned)bps);
    case SAMPLEFORMAT_COMPLEXINT:
    case SAMPLEFORMAT_COMPLEXIEEEFP:
        return ns_error_set(err, NS_ERR_UNSUPPORTED, "%s: complex TIFF pixels are not supported", path);
    default:
        return ns_error_set(err, NS_ERR_UNSUPPORTED, "%s: TIFF sample format %u is not supported",
                            path, (unsigned)fmt);
    }
}

/* Layout of the current directory, with everything we cannot read refused here. */
static ns_status read_layout(TIFF *tif, const char *path, page_layout *L, ns_error *err)
{
    memset(L, 0, sizeof *L);
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &L->width) || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &L->height))
        return corrupt(path, "no image size", err);
    if (L->width == 0 || L->height == 0)
        return ns_error_set(err, NS_ERR_EMPTY, "%s: empty image (%ux%u pixels)", path,
                            (unsigned)L->width, (unsigned)L->height);
    if (L->width > INT32_MAX || L->height > INT32_MAX)
        return ns_error_set(err, NS_ERR_TOO_LARGE, "%s: image %ux%u is too large", path,
                            (unsigned)L->width, (unsigned)L->height);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &L->bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &L->spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &L->sample_format);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &L->planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &L->compression);
    if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &L->photometric))
        L->photometric = PHOTOMETRIC_MINISBLACK;
    L->tiled = TIFFIsTiled(tif);
    if (L->spp == 0) return corrupt(path, "0 samples per pixel", err);
    ns_status st = pixel_type_of(path, L->bps, L->sample_format, &L->type, err);
    if (st) return st;
    if (!TIFFIsCODECConfigured(L->compression))
        return ns_error_set(err, NS_ERR_UNSUPPORTED, "%s: TIFF compression %u is not available in this libtiff",
                            path, (unsigned)L->compression);
    if (L->photometric == PHOTOMETRIC_YCBCR) {
        /* JPEG-in-TIFF colour photos: let the codec hand back RGB samples. */
        if (L->compression != COMPRESSION_JPEG || !TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB))
            return ns_error_set(err, NS_ERR_UNSUPPORTED, "%s: YCbCr TIFF without JPEG compression is not supported", path);
    }
    if (L->photometric == PHOTOMETRIC_LOGL || L->photometric == PHOTOMETRIC_LOGLUV)
        return ns_error_set(err, NS_ERR_UNSUPPORTED, "%s: LogLuv TIFF is not supported", path);
    return NS_OK;
}

static ns_status read_striped(TIFF *tif, const char *path, const page_layout *L, int sample, ns_image *out, ns_error *err)
{
    size_t ps = ns_pixel_size(L->type);
    size_t row_bytes = (size_t)L->width * ps;
    uint32_t rps = 0;
    TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rps);
    if (rps == 0 || rps > L->height) rps = L->height;
    uint32_t per_plane = (L->height + rps - 1) / rps;
    int separate = L->planar == PLANARCONFIG_SEPARATE && L->spp > 1;
    uint32_t nstrips = TIFFNumberOfStrips(tif);
    uint32_t expected = separate ? per_plane * L->spp : per_plane;
    if (nstrips < expected) {
        char what[96];
        snprintf(what, sizeof what, "%u strips, %u expected", (unsigned)nstrips, (unsigned)expected);
        return corrupt(path, what, err);
    }
    unsigned char *dst = out->data;

    if (L->spp == 1 || separate) {
        /* The plane's strips are consecutive rows of exactly our pixels: decode in place. */
        uint32_t first = separate ? (uint32_t)sample * per_plane : 0;
        for (uint32_t i = 0; i < per_plane; i++) {
            uint32_t row = i * rps;
            uint32_t rows = L->height - row < rps ? L->height - row : rps;
            tmsize_t want = (tmsize_t)(rows * row_bytes);
            tmsize_t got = TIFFReadEncodedStrip(tif, first + i, dst + row * row_bytes, want);
            if (got != want) {
                char what[96];
                snprintf(what, sizeof what, "strip %u of %u unreadable", (unsigned)(i + 1), (unsigned)per_plane);
                return corrupt(path, what, err);
            }
        }
        return NS_OK;
    }

    /* Interleaved samples: go row by row so memory stays one scanline, however big the strips. */
    tmsize_t line_size = TIFFScanlineSize(tif);
    if (line_size < (tmsize_t)(row_bytes * L->spp))
        return corrupt(path, "scanline shorter than width x samples", err);
    unsigned char *line = malloc((size_t)line_size);
    if (!line) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory for a scanline", path);
    for (uint32_t row = 0; row < L->height; row++) {
        if (TIFFReadScanline(tif, line, row, 0) < 0) {
            char what[96];
            snprintf(what, sizeof what, "strip %u of %u unreadable", (unsigned)(row / rps + 1), (unsigned)per_plane);
            free(line);
            return corrupt(path, what, err);
        }
        ns_pick_sample(dst + row * row_bytes, line, L->width, L->spp, sample, ps);
    }
    free(line);
    return NS_OK;
}

static ns_status read_tiled(TIFF *tif, const char *path, const page_layout *L, int sample, ns_image *out, ns_error *err)
{
    size_t ps = ns_pixel_size(L->type);
    uint32_t tw = 0, th = 0;
    if (!TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw) || !TIFFGetField(tif, TIFFTAG_TILELENGTH, &th) || !tw || !th)
        return corrupt(path, "missing tile size", err);
    uint64_t tile_bytes = TIFFTileSize64(tif);
    if (tile_bytes == 0) return corrupt(path, "zero tile size", err);
    if (tile_bytes > MAX_TILE_BYTES)
        return ns_error_set(err, NS_ERR_UNSUPPORTED, "%s: TIFF tiles of %ux%u are too large", path,
                            (unsigned)tw, (unsigned)th);
    int contig = L->planar != PLANARCONFIG_SEPARATE;
    int tile_spp = contig ? L->spp : 1;
    int tile_sample = contig ? sample : 0;
    if (tile_bytes < (uint64_t)tw * th * tile_spp * ps)
        return corrupt(path, "tile smaller than its size says", err);
    unsigned char *tile = malloc((size_t)tile_bytes);
    if (!tile) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory for a %ux%u tile", path,
                                   (unsigned)tw, (unsigned)th);
    uint32_t ntiles = TIFFNumberOfTiles(tif);
    unsigned char *dst = out->data;
    size_t row_bytes = (size_t)L->width * ps;
    for (uint32_t y = 0; y < L->height; y += th) {
        for (uint32_t x = 0; x < L->width; x += tw) {
            uint32_t index = TIFFComputeTile(tif, x, y, 0, (uint16_t)(contig ? 0 : sample));
            if (index >= ntiles || TIFFReadEncodedTile(tif, index, tile, (tmsize_t)tile_bytes) != (tmsize_t)tile_bytes) {
                char what[96];
                snprintf(what, sizeof what, "tile %u of %u unreadable", (unsigned)index + 1, (unsigned)ntiles);
                free(tile);
                return corrupt(path, what, err);
            }
            uint32_t rows = L->height - y < th ? L->height - y : th;
            uint32_t cols = L->width - x < tw ? L->width - x : tw;
            for (uint32_t r = 0; r < rows; r++) {
                const unsigned char *src = tile + (size_t)r * tw * tile_spp * ps;
                unsigned char *d = dst + (size_t)(y + r) * row_bytes + (size_t)x * ps;
                if (tile_spp == 1) memcpy(d, src, cols * ps);
                else ns_pick_sample(d, src, cols, tile_spp, tile_sample, ps);
            }
        }
    }
    free(tile);
    return NS_OK;
}

/* Pages in the main IFD chain (sub-IFDs such as pyramids are not pages). */
static ns_status count_pages(TIFF *tif, const char *path, int *pages, ns_error *err)
{
    tdir_t n = TIFFNumberOfDirectories(tif);
    if (n == 0) return corrupt(path, "no image directory", err);
    *pages = n > INT32_MAX ? INT32_MAX : (int)n;
    return NS_OK;
}

ns_status ns_tiff_read_plane(const char *path, int channel, size_t max_pixels, ns_image *out, ns_error *err)
{
    memset(out, 0, sizeof *out);
    TIFF *tif;
    ns_status st = open_tiff(path, &tif, err);
    if (st) return st;
    int pages = 0, sample = 0;
    page_layout L;
    st = count_pages(tif, path, &pages, err);
    if (st) goto done;
    if (pages > 1) {
        if (channel >= pages) {
            st = ns_error_set(err, NS_ERR_INVALID, "%s: channel %d requested, file has %d (pages)", path, channel, pages);
            goto done;
        }
        if (channel > 0 && !TIFFSetDirectory(tif, (tdir_t)channel)) {
            char what[64];
            snprintf(what, sizeof what, "page %d unreadable", channel + 1);
            st = corrupt(path, what, err);
            goto done;
        }
    }
    st = read_layout(tif, path, &L, err);
    if (st) goto done;
    if (pages > 1 && L.spp > 1) {
        st = ns_error_set(err, NS_ERR_UNSUPPORTED, "%s: multi-page TIFF with %u samples per pixel is not supported",
                          path, (unsigned)L.spp);
        goto done;
    }
    if (pages == 1) {
        if (channel >= L.spp) {
            st = ns_error_set(err, NS_ERR_INVALID, "%s: channel %d requested, file has %u", path, channel, (unsigned)L.spp);
            goto done;
        }
        sample = channel;
    }
    if ((uint64_t)L.width * L.height > (uint64_t)max_pixels) {
        st = ns_error_set(err, NS_ERR_TOO_LARGE, "%s: %ux%u = %llu pixels, over the limit of %zu", path,
                          (unsigned)L.width, (unsigned)L.height,
                          (unsigned long long)L.width * L.height, max_pixels);
        goto done;
    }
    /* Strips or tiles cover every pixel. */
    st = ns_image_alloc_unzeroed(out, (int)L.width, (int)L.height, L.type, err);
    if (st) {
        ns_error_prefix(err, "%s", path);
        goto done;
    }
    st = L.tiled ? read_tiled(tif, path, &L, sample, out, err) : read_striped(tif, path, &L, sample, out, err);
    if (st) ns_image_free(out);
done:
    TIFFClose(tif);
    return st;
}

ns_status ns_tiff_probe_file(const char *path, ns_image_info *info, ns_error *err)
{
    memset(info, 0, sizeof *info);
    TIFF *tif;
    ns_status st = open_tiff(path, &tif, err);
    if (st) return st;
    int pages = 0;
    page_layout L;
    st = count_pages(tif, path, &pages, err);
    if (!st) st = read_layout(tif, path, &L, err);
    if (!st) {
        info->width = (int)L.width;
        info->height = (int)L.height;
        info->type = L.type;
        info->channels = pages > 1 ? pages : L.spp;
    }
    TIFFClose(tif);
    return st;
}
