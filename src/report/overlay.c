/* overlay.c — a thumbnail of an image with a segmentation's outlines drawn over it,
 * for a person to judge the segmentation at a glance: a region of the image
 * contrast-stretched (0.5th .. 99.8th percentile of the whole image) and reduced by
 * block means, and every block that holds a nucleus's outline painted in that
 * nucleus's colour, so touching nuclei are told apart. */
#include <stdlib.h>
#include <string.h>

#include "nucseg/imgproc.h"
#include "nucseg/report.h"

/* A bright colour per label, stable from run to run. */
static void label_colour(uint32_t label, uint8_t rgb[3])
{
    uint32_t h = label * 2654435761u;
    static const uint8_t base[6][3] = {{255, 64, 64}, {64, 255, 64}, {255, 220, 0},
                                       {0, 200, 255}, {255, 64, 255}, {255, 140, 0}};
    const uint8_t *b = base[(h >> 8) % 6];
    for (int k = 0; k < 3; k++) rgb[k] = b[k];
}

/* Whether pixel (x, y) of a label image lies on a nucleus's edge (4-neighbours). */
static uint32_t outline_label(const uint32_t *lab, int w, int h, int x, int y)
{
    size_t i = (size_t)y * w + x;
    uint32_t l = lab[i];
    if (!l) return 0;
    if (x == 0 || y == 0 || x == w - 1 || y == h - 1) return l;
    return lab[i - 1] != l || lab[i + 1] != l || lab[i - (size_t)w] != l || lab[i + (size_t)w] != l ? l : 0;
}

ns_status ns_overlay_png(const char *path, const ns_image *img, const uint32_t *labels,
                         const ns_overlay_region *reg, ns_error *err)
{
    int w = img->width, h = img->height, f = reg->factor > 0 ? reg->factor : 1;
    int x0 = reg->x0, y0 = reg->y0, cw = reg->width, ch = reg->height;
    if (x0 < 0 || y0 < 0 || cw <= 0 || ch <= 0 || x0 + cw > w || y0 + ch > h)
        return ns_error_set(err, NS_ERR_INVALID, "%s: region %dx%d at (%d, %d) outside the %dx%d image", path, cw,
                            ch, x0, y0, w, h);
    int tw = (cw + f - 1) / f, th = (ch + f - 1) / f;
    ns_norm_map map;
    ns_status st = ns_normalize_map(img, 0.5, 99.8, &map, err);
    if (st != NS_OK) return st;
    float *row = malloc((size_t)w * sizeof *row), *sum = calloc((size_t)tw, sizeof *sum);
    uint8_t *rgb = malloc((size_t)tw * th * 3), *edge = malloc((size_t)tw * 3), *has = malloc((size_t)tw);
    if (!row || !sum || !rgb || !edge || !has) {
        st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory for a %dx%d overlay", path, tw, th);
        goto done;
    }
    for (int ty = 0; ty < th; ty++) {
        memset(sum, 0, (size_t)tw * sizeof *sum);
        memset(has, 0, (size_t)tw);
        int ya = y0 + ty * f, yb = ya + f < y0 + ch ? ya + f : y0 + ch;
        for (int y = ya; y < yb; y++) {
            ns_normalize_row(img, &map, y, row);
            for (int x = 0; x < cw; x++) {
                int tx = x / f;
                sum[tx] += row[x0 + x];
                uint32_t l = has[tx] ? 0 : outline_label(labels, w, h, x0 + x, y);
                if (l) {
                    has[tx] = 1;
                    label_colour(l, edge + 3 * tx);
                }
            }
        }
        for (int tx = 0; tx < tw; tx++) {
            int bw = (tx + 1) * f <= cw ? f : cw - tx * f;
            float v = sum[tx] / (float)(bw * (yb - ya)) * 255.0f + 0.5f;
            uint8_t g = (uint8_t)(v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v);
            uint8_t *o = rgb + 3 * ((size_t)ty * tw + tx);
            if (has[tx]) memcpy(o, edge + 3 * tx, 3);
            else o[0] = o[1] = o[2] = g;
        }
    }
    st = ns_png_write_rgb(path, tw, th, rgb, err);
done:
    free(row); free(sum); free(rgb); free(edge); free(has);
    return st;
}
