/* tiff_header.c — the first page's width and height read straight from the
 * file, for the one case libtiff cannot tell us: it refuses to open a 0x0
 * image at all ("zero number of strips"), and we want to call that EMPTY
 * rather than corrupt. Classic and BigTIFF, either byte order. */
#include "image_internal.h"

#include <stdio.h>
#include <string.h>

#define TAG_IMAGE_WIDTH 256
#define TAG_IMAGE_LENGTH 257
#define TYPE_SHORT 3
#define TYPE_LONG 4
#define TYPE_LONG8 16
/* Real first IFDs have a few dozen entries; stop looking after this many. */
#define MAX_ENTRIES 4096

static uint64_t get_uint(const unsigned char *p, int bytes, int big_endian)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[big_endian ? bytes - 1 - i : i] << (8 * i);
    return v;
}

int ns_tiff_first_page_size(const char *path, uint64_t *width, uint64_t *height)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return 0;
    int found = 0;
    unsigned char head[16];
    if (fread(head, 1, 8, fp) != 8) goto done;
    int big_endian = head[0] == 'M';
    uint64_t version = get_uint(head + 2, 2, big_endian);
    int bigtiff = version == 43;
    if (version != 42 && !bigtiff) goto done;
    if (bigtiff && fread(head + 8, 1, 8, fp) != 8) goto done;
    uint64_t ifd = bigtiff ? get_uint(head + 8, 8, big_endian) : get_uint(head + 4, 4, big_endian);
    if (ifd > (uint64_t)INT64_MAX || fseeko(fp, (off_t)ifd, SEEK_SET) != 0) goto done;
    unsigned char buf[20];
    int count_bytes = bigtiff ? 8 : 2, entry_bytes = bigtiff ? 20 : 12, value_bytes = bigtiff ? 8 : 4;
    if (fread(buf, 1, (size_t)count_bytes, fp) != (size_t)count_bytes) goto done;
    uint64_t count = get_uint(buf, count_bytes, big_endian);
    if (count > MAX_ENTRIES) count = MAX_ENTRIES;
    int have_w = 0, have_h = 0;
    for (uint64_t i = 0; i < count && !(have_w && have_h); i++) {
        if (fread(buf, 1, (size_t)entry_bytes, fp) != (size_t)entry_bytes) goto done;
        unsigned tag = (unsigned)get_uint(buf, 2, big_endian);
        unsigned type = (unsigned)get_uint(buf + 2, 2, big_endian);
        if (tag != TAG_IMAGE_WIDTH && tag != TAG_IMAGE_LENGTH) continue;
        const unsigned char *value = buf + entry_bytes - value_bytes;
        uint64_t v;
        if (type == TYPE_SHORT) v = get_uint(value, 2, big_endian);
        else if (type == TYPE_LONG) v = get_uint(value, 4, big_endian);
        else if (type == TYPE_LONG8 && bigtiff) v = get_uint(value, 8, big_endian);
        else continue;
        if (tag == TAG_IMAGE_WIDTH) { *width = v; have_w = 1; }
        else { *height = v; have_h = 1; }
    }
    found = have_w && have_h;
done:
    fclose(fp);
    return found;
}
