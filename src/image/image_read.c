/* image_read.c — ns_image_read / ns_image_probe: open the file, look at its
 * magic bytes (never its name) and hand it to the TIFF or PNG reader. */
#include "image_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

typedef enum { FILE_TIFF, FILE_PNG } file_kind;

static ns_status sniff(const char *path, file_kind *kind, ns_error *err)
{
    /* Only regular files: opening a FIFO named like an image would wait for a writer
     * forever, and a device has no end. */
    struct stat sb;
    if (stat(path, &sb) != 0) return ns_error_set(err, NS_ERR_IO, "%s: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) return ns_error_set(err, NS_ERR_IO, "%s: is a directory, not an image", path);
    if (!S_ISREG(sb.st_mode))
        return ns_error_set(err, NS_ERR_IO, "%s: not a regular file (a FIFO, device or socket)", path);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return ns_error_set(err, NS_ERR_IO, "%s: %s", path, strerror(errno));
    unsigned char m[8] = {0};
    size_t got = fread(m, 1, sizeof m, fp);
    /* A directory opens fine on Linux; the read fails with EISDIR. */
    int read_failed = ferror(fp);
    int e = errno;
    fclose(fp);
    if (read_failed)
        return ns_error_set(err, NS_ERR_IO, "%s: %s", path, strerror(e));
    if (got == 0)
        return ns_error_set(err, NS_ERR_FORMAT, "%s: empty file (0 bytes), not a TIFF or PNG file", path);
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (got >= 4 && ((m[0] == 'I' && m[1] == 'I' && (m[2] == 42 || m[2] == 43) && m[3] == 0) ||
                     (m[0] == 'M' && m[1] == 'M' && m[2] == 0 && (m[3] == 42 || m[3] == 43)))) {
        *kind = FILE_TIFF;
        return NS_OK;
    }
    if (got == 8 && !memcmp(m, png_sig, 8)) {
        *kind = FILE_PNG;
        return NS_OK;
    }
    return ns_error_set(err, NS_ERR_FORMAT, "%s: not a TIFF or PNG file", path);
}

ns_status ns_image_read(const char *path, int channel, size_t max_pixels, ns_image *out, ns_error *err)
{
    memset(out, 0, sizeof *out);
    if (channel < 0)
        return ns_error_set(err, NS_ERR_INVALID, "%s: channel %d requested, channels start at 0", path, channel);
    if (max_pixels == 0) max_pixels = NS_DEFAULT_MAX_PIXELS;
    file_kind kind;
    ns_status st = sniff(path, &kind, err);
    if (st) return st;
    if (kind == FILE_TIFF) return ns_tiff_read_plane(path, channel, max_pixels, out, err);
    return ns_png_read_plane(path, channel, max_pixels, out, err);
}

ns_status ns_image_probe(const char *path, ns_image_info *info, ns_error *err)
{
    memset(info, 0, sizeof *info);
    file_kind kind;
    ns_status st = sniff(path, &kind, err);
    if (st) return st;
    if (kind == FILE_TIFF) return ns_tiff_probe_file(path, info, err);
    return ns_png_probe_file(path, info, err);
}
