/* fill_holes.c — background enclosed by foreground becomes foreground
 * (nuclei with dim nucleoli or chromatin gaps stay whole).
 *
 * Span flood fill from the border over 4-connected background: each stack entry
 * is a pixel from which a whole run of the row is claimed at once, and only one
 * seed per run of the rows above and below is pushed, so the work is per run,
 * not per pixel. */
#include <stdlib.h>
#include "nucseg/imgproc.h"

typedef struct { int x, y; } seed;

ns_status ns_fill_holes(uint8_t *mask, int w, int h, ns_error *err)
{
    size_t n = (size_t)w * (size_t)h, cap = 1024, top = 0;
    seed *st = malloc(cap * sizeof *st);
    if (!st) return ns_error_set(err, NS_ERR_NOMEM, "fill holes: out of memory (%dx%d)", w, h);
#define PUSH(X, Y) do { \
        if (top == cap) { \
            seed *ns_ = realloc(st, 2 * cap * sizeof *st); \
            if (!ns_) { free(st); return ns_error_set(err, NS_ERR_NOMEM, "fill holes: out of memory"); } \
            st = ns_; cap *= 2; \
        } \
        st[top].x = (X); st[top].y = (Y); top++; } while (0)
    for (int x = 0; x < w; x++) { PUSH(x, 0); PUSH(x, h - 1); }
    for (int y = 0; y < h; y++) { PUSH(0, y); PUSH(w - 1, y); }
    while (top > 0) {
        seed s = st[--top];
        uint8_t *row = mask + (size_t)s.y * w;
        if (row[s.x] != 0) continue; /* foreground, or already reached */
        int x0 = s.x, x1 = s.x;
        while (x0 > 0 && row[x0 - 1] == 0) x0--;
        while (x1 < w - 1 && row[x1 + 1] == 0) x1++;
        for (int x = x0; x <= x1; x++) row[x] = 2; /* 2: background reachable from the border */
        for (int dy = -1; dy <= 1; dy += 2) {
            int y = s.y + dy;
            if (y < 0 || y >= h) continue;
            const uint8_t *r = mask + (size_t)y * w;
            for (int x = x0; x <= x1; x++) {
                if (r[x] != 0) continue;
                PUSH(x, y); /* one seed per run: skip the rest of it */
                while (x + 1 <= x1 && r[x + 1] == 0) x++;
            }
        }
    }
#undef PUSH
    for (size_t i = 0; i < n; i++) mask[i] = mask[i] != 2;
    free(st);
    return NS_OK;
}
