/* learned.h — the learned pipeline (params->model set): network, then instances. */
#ifndef NUCSEG_SEGMENT_LEARNED_H
#define NUCSEG_SEGMENT_LEARNED_H

#include "nucseg/segment.h"

/* As ns_segment, for p->model != NULL; img is non-empty (ns_segment checked). */
ns_status ns_segment_learned(const ns_image *img, const ns_segment_params *p, ns_segmentation *out,
                             ns_error *err);

#endif
