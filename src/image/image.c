/* image.c — ns_image buffers: allocation, pixel type facts, float conversion. */
#include "image_internal.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t ns_pixel_size(ns_pixel_type t)
{
    switch (t) {
    case NS_PIXEL_U8: return 1;
    case NS_PIXEL_U16: return 2;
    case NS_PIXEL_U32: return 4;
    case NS_PIXEL_F32: return 4;
    }
    return 0;
}

const char *ns_pixel_type_name(ns_pixel_type t)
{
    switch (t) {
    case NS_PIXEL_U8: return "uint8";
    case NS_PIXEL_U16: return "uint16";
    case NS_PIXEL_U32: return "uint32";
    case NS_PIXEL_F32: return "float32";
    }
    return "unknown";
}

/* zero: calloc (large zeroed buffers come straight from fresh, already zero pages),
 * else malloc, for a reader that writes every pixel: with freed buffers kept in the
 * heap (alloc_tune.c) a zeroed one is a whole extra pass of writes. */
static ns_status image_alloc(ns_image *img, int width, int height, ns_pixel_type type, int zero, ns_error *err)
{
    memset(img, 0, sizeof *img);
    size_t psize = ns_pixel_size(type);
    if (!psize)
        return ns_error_set(err, NS_ERR_INVALID, "image: unknown pixel type %d", (int)type);
    if (width < 0 || height < 0)
        return ns_error_set(err, NS_ERR_INVALID, "image: invalid size %dx%d", width, height);
    if (width == 0 || height == 0)
        return ns_error_set(err, NS_ERR_EMPTY, "image: empty size %dx%d", width, height);
    size_t pixels = (size_t)width * (size_t)height;
    /* Byte offsets into the buffer must fit a ptrdiff_t. */
    if (pixels > (size_t)PTRDIFF_MAX / psize)
        return ns_error_set(err, NS_ERR_TOO_LARGE, "image: %dx%d %s does not fit in memory",
                            width, height, ns_pixel_type_name(type));
    img->data = zero ? calloc(pixels, psize) : malloc(pixels * psize);
    if (!img->data)
        return ns_error_set(err, NS_ERR_NOMEM, "image: out of memory for %dx%d %s",
                            width, height, ns_pixel_type_name(type));
    img->width = width;
    img->height = height;
    img->type = type;
    return NS_OK;
}

ns_status ns_image_alloc(ns_image *img, int width, int height, ns_pixel_type type, ns_error *err)
{
    return image_alloc(img, width, height, type, 1, err);
}

ns_status ns_image_alloc_unzeroed(ns_image *img, int width, int height, ns_pixel_type type, ns_error *err)
{
    return image_alloc(img, width, height, type, 0, err);
}

void ns_image_free(ns_image *img)
{
    if (!img) return;
    free(img->data);
    img->data = NULL;
    img->width = img->height = 0;
}

ns_status ns_image_to_f32(const ns_image *in, ns_image *out, ns_error *err)
{
    if (!in->data)
        return ns_error_set(err, NS_ERR_INVALID, "image: cannot convert an image without pixels");
    ns_status st = ns_image_alloc(out, in->width, in->height, NS_PIXEL_F32, err);
    if (st) return st;
    size_t n = (size_t)in->width * (size_t)in->height;
    float *dst = out->data;
    switch (in->type) {
    case NS_PIXEL_U8: {
        const uint8_t *src = in->data;
        for (size_t i = 0; i < n; i++) dst[i] = (float)src[i];
        break;
    }
    case NS_PIXEL_U16: {
        const uint16_t *src = in->data;
        for (size_t i = 0; i < n; i++) dst[i] = (float)src[i];
        break;
    }
    case NS_PIXEL_U32: {
        const uint32_t *src = in->data;
        for (size_t i = 0; i < n; i++) dst[i] = (float)src[i];
        break;
    }
    case NS_PIXEL_F32:
        memcpy(dst, in->data, n * sizeof(float));
        break;
    }
    return NS_OK;
}

ns_status ns_image_to_u32(const ns_image *in, ns_image *out, ns_error *err)
{
    if (!in->data)
        return ns_error_set(err, NS_ERR_INVALID, "image: cannot convert an image without pixels");
    if (in->type == NS_PIXEL_F32)
        return ns_error_set(err, NS_ERR_UNSUPPORTED, "label images must be integer, not float");
    ns_status st = ns_image_alloc(out, in->width, in->height, NS_PIXEL_U32, err);
    if (st) return st;
    size_t n = (size_t)in->width * (size_t)in->height;
    uint32_t *dst = out->data;
    if (in->type == NS_PIXEL_U8) {
        const uint8_t *src = in->data;
        for (size_t i = 0; i < n; i++) dst[i] = src[i];
    } else if (in->type == NS_PIXEL_U16) {
        const uint16_t *src = in->data;
        for (size_t i = 0; i < n; i++) dst[i] = src[i];
    } else {
        memcpy(dst, in->data, n * sizeof *dst);
    }
    return NS_OK;
}

int ns_host_is_little_endian(void)
{
    const uint16_t probe = 1;
    uint8_t first;
    memcpy(&first, &probe, 1);
    return first == 1;
}

void ns_pick_sample(void *dst, const unsigned char *src, size_t n, int spp, int sample, size_t ps)
{
    /* One loop per width so the compiler moves whole words, not bytes. */
    switch (ps) {
    case 1: {
        uint8_t *d = dst;
        for (size_t i = 0; i < n; i++) d[i] = src[i * spp + sample];
        break;
    }
    case 2: {
        uint16_t *d = dst;
        const uint16_t *s = (const uint16_t *)(const void *)src;
        for (size_t i = 0; i < n; i++) d[i] = s[i * spp + sample];
        break;
    }
    default: {
        uint32_t *d = dst;
        const uint32_t *s = (const uint32_t *)(const void *)src;
        for (size_t i = 0; i < n; i++) d[i] = s[i * spp + sample];
        break;
    }
    }
}
