/* fill_holes.c — background enclosed by foreground becomes foreground
 * (nuclei with dim nucleoli or chromatin gaps stay whole). */
#include <stdlib.h>
#include "nucseg/imgproc.h"

ns_status ns_fill_holes(uint8_t *mask, int w, int h, ns_error *err)
{
    size_t n = (size_t)w * (size_t)h;
    /* 2 = background reachable from the border. Stack holds each pixel at most once. */
    uint32_t *stack = malloc(n * sizeof *stack);
    if (!stack) return ns_error_set(err, NS_ERR_NOMEM, "fill holes: out of memory (%dx%d)", w, h);
    size_t top = 0;
#define PUSH(i) do { if (mask[i] == 0) { mask[i] = 2; stack[top++] = (uint32_t)(i); } } while (0)
    for (int x = 0; x < w; x++) { PUSH((size_t)x); PUSH((size_t)(h - 1) * w + x); }
    for (int y = 0; y < h; y++) { PUSH((size_t)y * w); PUSH((size_t)y * w + w - 1); }
    while (top > 0) {
        size_t i = stack[--top];
        int x = (int)(i % (size_t)w), y = (int)(i / (size_t)w);
        if (x > 0) PUSH(i - 1);
        if (x < w - 1) PUSH(i + 1);
        if (y > 0) PUSH(i - (size_t)w);
        if (y < h - 1) PUSH(i + (size_t)w);
    }
#undef PUSH
    for (size_t i = 0; i < n; i++) mask[i] = mask[i] != 2;
    free(stack);
    return NS_OK;
}
