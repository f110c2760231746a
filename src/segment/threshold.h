/* threshold.h — the local threshold of the pipeline's 16-bit smoothed image. */
#ifndef NUCSEG_SEGMENT_THRESHOLD_H
#define NUCSEG_SEGMENT_THRESHOLD_H

#include <stdint.h>
#include "nucseg/error.h"

/* ns_local_threshold of v / NS_Q16_ONE (gaussian.h), without a float copy of it. */
ns_status ns_local_threshold_q16(const uint16_t *v, int w, int h, int r, double scale, double floor,
                                 uint8_t *mask, ns_error *err);

#endif
