/* watershed.h — the watershed as the pipeline uses it. */
#ifndef NUCSEG_SEGMENT_WATERSHED_H
#define NUCSEG_SEGMENT_WATERSHED_H

#include <stddef.h>
#include <stdint.h>
#include "nucseg/error.h"

/* ns_watershed; with outside_is_zero the caller guarantees that markers is 0 at every
 * background pixel (as ns_find_seeds leaves it), and the pass that clears markers
 * outside the mask, a full pass over two image-sized arrays, is skipped. */
ns_status ns_watershed_markers_in_mask(const float *height, const uint8_t *mask, const uint32_t *components,
                                       size_t ncomponents, const uint32_t *markers, int w, int h,
                                       uint32_t *labels, int outside_is_zero, ns_error *err);

#endif
