/* mask_runs.h — finding runs in a row of a 0/1 mask quickly: whole 8-byte words
 * of background (all 0) or of foreground (all 1) are skipped at once. Used by the
 * run-based passes (labelling, hole filling, the distance transform). */
#ifndef NUCSEG_SEGMENT_MASK_RUNS_H
#define NUCSEG_SEGMENT_MASK_RUNS_H

#include <stdint.h>
#include <string.h>

/* First x >= from in row m (length w) whose byte is nonzero (want = 1) or zero
 * (want = 0); w when there is none. A foreground byte other than 1 is still found,
 * only without the word skip. */
static inline int ns_mask_next(const uint8_t *m, int from, int w, int want)
{
    const uint64_t other = want ? 0 : 0x0101010101010101ULL;
    int x = from;
    while (x + 8 <= w) {
        uint64_t word;
        memcpy(&word, m + x, 8);
        if (word != other) break;
        x += 8;
    }
    while (x < w && (m[x] != 0) != want) x++;
    return x;
}

#endif
