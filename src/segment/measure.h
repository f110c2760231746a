/* measure.h — internal: measurements of labelled nuclei (used by ns_segment). */
#ifndef NUCSEG_SEGMENT_MEASURE_H
#define NUCSEG_SEGMENT_MEASURE_H
#include "nucseg/segment.h"

/* labels 1..count over img's grid; *out: count nuclei, malloc'd, caller frees. */
ns_status ns_measure_nuclei(const uint32_t *labels, const ns_image *img, size_t count,
                            ns_nucleus **out, ns_error *err);

#endif
