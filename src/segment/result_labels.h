/* result_labels.h — a segmentation's labels handed to its ns_segmentation, by both
 * pipelines (segment.c, learned.c): stored 16-bit whenever the count fits, as the label
 * TIFF stores them, whichever width they were made in. */
#ifndef NUCSEG_SEGMENT_RESULT_LABELS_H
#define NUCSEG_SEGMENT_RESULT_LABELS_H

#include <stdint.h>
#include "nucseg/segment.h"

/* Sets out's width, height and labels from *labels16 when the caller painted 16-bit
 * labels (labels16 may be NULL: none), else from *labels32, narrowed (and freed) when
 * count <= UINT16_MAX. On success the buffer used is the result's and the caller's
 * pointers are NULL; on failure (out of memory) nothing has moved. */
ns_status seg_hand_labels(ns_segmentation *out, int w, int h, size_t count, uint16_t **labels16,
                          uint32_t **labels32, ns_error *err);

#endif
