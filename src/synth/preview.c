/* preview.c — PNGs for a human to look at: the 16-bit view contrast-stretched to
 * 8 bit (0.5th .. 99.8th percentile) and a copy with every truth label's outline
 * drawn in its own colour, so touching nuclei are told apart at a glance. */
#include <stdlib.h>
#include <string.h>
#include "nucseg/fsutil.h"
#include "synth/synth_internal.h"

static uint16_t percentile_u16(const uint32_t *hist, size_t total, double q)
{
    size_t want = (size_t)(q * (double)(total - 1)), seen = 0;
    for (int v = 0; v < 65536; v++) {
        seen += hist[v];
        if (seen > want) return (uint16_t)v;
    }
    return 65535;
}

static ns_status stretch_to_u8(const ns_image *img, ns_image *out, ns_error *err)
{
    if (img->type != NS_PIXEL_U16)
        return ns_error_set(err, NS_ERR_UNSUPPORTED, "preview: expected a 16-bit image, got %s",
                            ns_pixel_type_name(img->type));
    uint32_t *hist = calloc(65536, sizeof *hist);
    if (!hist) return ns_error_set(err, NS_ERR_NOMEM, "preview: out of memory");
    size_t n = (size_t)img->width * img->height;
    const uint16_t *px = img->data;
    for (size_t i = 0; i < n; i++) hist[px[i]]++;
    double lo = percentile_u16(hist, n, 0.005), hi = percentile_u16(hist, n, 0.998);
    free(hist);
    if (hi <= lo) hi = lo + 1.0;
    ns_status st = ns_image_alloc(out, img->width, img->height, NS_PIXEL_U8, err);
    if (st != NS_OK) return st;
    uint8_t *o = out->data;
    for (size_t i = 0; i < n; i++) {
        double v = (px[i] - lo) * 255.0 / (hi - lo);
        o[i] = v < 0.0 ? 0 : v > 255.0 ? 255 : (uint8_t)(v + 0.5);
    }
    return NS_OK;
}

/* A bright, label-stable colour. */
static void label_colour(uint32_t label, uint8_t rgb[3])
{
    uint32_t h = label * 2654435761u;
    rgb[0] = (uint8_t)(128 + ((h >> 8) & 127));
    rgb[1] = (uint8_t)(128 + ((h >> 16) & 127));
    rgb[2] = (uint8_t)(64 + ((h >> 24) & 127));
}

static int is_outline(const uint32_t *lab, int w, int h, int x, int y)
{
    uint32_t l = lab[(size_t)y * w + x];
    if (!l) return 0;
    if (x == 0 || y == 0 || x == w - 1 || y == h - 1) return 1;
    return lab[(size_t)y * w + x - 1] != l || lab[(size_t)y * w + x + 1] != l ||
           lab[(size_t)(y - 1) * w + x] != l || lab[(size_t)(y + 1) * w + x] != l;
}

ns_status synth_preview_write(const char *gray_path, const char *overlay_path, const ns_image *img,
                              const ns_image *labels, ns_error *err)
{
    ns_image gray = {0};
    uint8_t *rgb = NULL;
    ns_status st = stretch_to_u8(img, &gray, err);
    if (st != NS_OK) return st;
    st = ns_png_write(gray_path, &gray, err);
    if (st != NS_OK || !labels) goto done;
    if (labels->type != NS_PIXEL_U32 || labels->width != img->width || labels->height != img->height) {
        st = ns_error_set(err, NS_ERR_INVALID, "%s: labels must be U32 and the image's size", overlay_path);
        goto done;
    }
    int w = img->width, h = img->height;
    rgb = malloc((size_t)w * h * 3);
    if (!rgb) {
        st = ns_error_set(err, NS_ERR_NOMEM, "preview: out of memory");
        goto done;
    }
    const uint8_t *g = gray.data;
    const uint32_t *lab = labels->data;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            if (is_outline(lab, w, h, x, y)) label_colour(lab[i], rgb + 3 * i);
            else rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = g[i];
        }
    st = ns_png_write_rgb(overlay_path, w, h, rgb, err);
done:
    free(rgb);
    ns_image_free(&gray);
    return st;
}
