/* alloc_tune.c — keep freed image buffers in the heap.
 *
 * Segmentation allocates a few image-sized buffers per image. glibc serves
 * blocks above 128 KiB with fresh mmap()s and returns them on free(), so every
 * image paid for zero-filled page faults again (about a tenth of the time for
 * small images). A process that segments image after image is better off
 * keeping that memory: raise the mmap and trim thresholds. */
#include <malloc.h>
#include "nucseg/fsutil.h"

void ns_tune_allocator(void)
{
    mallopt(M_MMAP_THRESHOLD, 512 << 20);
    mallopt(M_TRIM_THRESHOLD, 1024 << 20);
}
