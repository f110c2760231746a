/* measure.h — internal: measurements of labelled nuclei (used by ns_segment). */
#ifndef NUCSEG_SEGMENT_MEASURE_H
#define NUCSEG_SEGMENT_MEASURE_H
#include "nucseg/segment.h"

/* labels 1..count over img's grid; *out: count nuclei, malloc'd, caller frees. */
ns_status ns_measure_nuclei(const uint32_t *labels, const ns_image *img, size_t count,
                            ns_nucleus **out, ns_error *err);

/* The same measurements gathered run by run (ns_measure_nuclei is this over a scan of
 * the label image), for a pass that already walks the labels (the banded split paints
 * them): runs of one label given in raster order, each maximal (as a scan of the label
 * image finds them), give the same figures, to the bit. */
typedef struct {
    const ns_image *img;
    size_t count;
    ns_nucleus *nuclei;
    double *sums; /* per nucleus: sum x, y, xx, yy, xy, intensity */
} ns_measure_acc;

ns_status ns_measure_begin(ns_measure_acc *a, const ns_image *img, size_t count, ns_error *err);
/* Pixels x0..x1 of row y belong to nucleus `label` (1..count). */
void ns_measure_add_run(ns_measure_acc *a, uint32_t label, int x0, int x1, int y);
/* The nuclei (the caller owns them); a is then empty. */
ns_nucleus *ns_measure_end(ns_measure_acc *a);
void ns_measure_abort(ns_measure_acc *a);

#endif
