/* distance.h — the distance transform as the pipeline uses it. */
#ifndef NUCSEG_SEGMENT_DISTANCE_H
#define NUCSEG_SEGMENT_DISTANCE_H

#include <stdint.h>
#include "nucseg/error.h"

/* ns_distance_transform, each foreground distance then multiplied by
 * sqrtf(weight[i] * scale) as its row is finished (weight NULL: plain distances).
 * The same floats as the plain transform followed by that product over the image,
 * without a separate pass over three image-sized arrays. The weights are the
 * pipeline's smoothed image, 16-bit (gaussian.h). */
ns_status ns_distance_transform_weighted(const uint8_t *mask, int w, int h, const uint16_t *weight, float scale,
                                         float *dist, ns_error *err);

#endif
