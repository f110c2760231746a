/* fuzz_image.c — ns_image_probe, ns_image_read (TIFF via libtiff, PNG via libpng)
 * and ns_image_pixel_size on arbitrary bytes, channels 0 and 1, at most 2^22 pixels. A bad
 * file must give an error naming the file, never a crash, leak or overrun. */
#include "fuzz.h"

#include <math.h>

#include "nucseg/image.h"

#define FUZZ_MAX_PIXELS ((size_t)1 << 22)

static void check_read(const char *path, int channel)
{
    ns_image img;
    ns_error err;
    ns_error_clear(&err);
    ns_status st = ns_image_read(path, channel, FUZZ_MAX_PIXELS, &img, &err);
    /* A small file must not need more memory than the machine has: that would be an
     * allocation sized by a claim the file cannot back. */
    FUZZ_CHECK(st != NS_ERR_NOMEM, "%s", err.message);
    if (st != NS_OK) {
        FUZZ_CHECK(img.data == NULL, "failed read left pixels behind");
        FUZZ_CHECK(strstr(err.message, path) != NULL, "error does not name the file: %s", err.message);
        return;
    }
    FUZZ_CHECK(img.data && img.width > 0 && img.height > 0, "read gave %dx%d", img.width, img.height);
    size_t n = (size_t)img.width * (size_t)img.height;
    FUZZ_CHECK(n <= FUZZ_MAX_PIXELS, "read %dx%d over the pixel limit", img.width, img.height);
    /* Touch every byte: the buffer must be as large as its size says. */
    size_t bytes = n * ns_pixel_size(img.type);
    unsigned sum = 0;
    for (size_t i = 0; i < bytes; i++) sum += ((const unsigned char *)img.data)[i];
    (void)sum;
    ns_image_free(&img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_temp(data, size, ".img");
    ns_image_info info;
    ns_error err;
    ns_error_clear(&err);
    if (ns_image_probe(path, &info, &err) != NS_OK)
        FUZZ_CHECK(strstr(err.message, path) != NULL, "probe error does not name the file: %s", err.message);
    check_read(path, 0);
    check_read(path, 1);
    /* The pixel size parsers (OME-XML, ImageJ description, resolution tags). */
    ns_pixel_size_um px;
    ns_error_clear(&err);
    if (ns_image_pixel_size(path, &px, &err) != NS_OK)
        FUZZ_CHECK(strstr(err.message, path) != NULL && px.x_um == 0, "pixel size error: %s", err.message);
    else
        FUZZ_CHECK(px.x_um == 0 || (px.x_um > 0 && px.y_um > 0 && px.x_um < INFINITY && px.y_um < INFINITY),
                   "pixel size %g x %g", px.x_um, px.y_um);
    return 0;
}
