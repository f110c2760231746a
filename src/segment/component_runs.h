/* component_runs.h — connected components kept as runs, before (or instead of)
 * painting them into a label image. */
#ifndef NUCSEG_SEGMENT_COMPONENT_RUNS_H
#define NUCSEG_SEGMENT_COMPONENT_RUNS_H

#include <stddef.h>
#include <stdint.h>
#include "nucseg/error.h"
#include "segment/mask_runs.h"

/* The foreground's runs (row y's are runs.span[runs.row_start[y] .. runs.row_start[y+1])),
 * and each run's component, 1..count in raster order of the component's first pixel
 * (8-connectivity, as ns_label_components). */
typedef struct {
    ns_mask_runs runs;
    uint32_t *id;
    size_t count;
} ns_component_runs;

ns_status ns_component_runs_find(const uint8_t *mask, int w, int h, ns_component_runs *out, ns_error *err);
/* The label image of the components: labels (w*h) written in full. */
void ns_component_runs_paint(const ns_component_runs *c, int w, int h, uint32_t *labels);
void ns_component_runs_free(ns_component_runs *c);

#endif
