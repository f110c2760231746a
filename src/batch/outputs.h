/* outputs.h — internal to the batch module: the per-image output files. */
#ifndef NUCSEG_BATCH_OUTPUTS_H
#define NUCSEG_BATCH_OUTPUTS_H
#include <time.h>
#include "nucseg/batch.h"
#include "nucseg/image.h"

enum { NS_OUT_LABELS, NS_OUT_CSV, NS_OUT_NPY, NS_OUT_META, NS_OUT_COUNT };

typedef struct {
    char dir[4096];                  /* OUT/<mag>/<well> */
    char file[NS_OUT_COUNT][4096];
} ns_output_paths_t;

ns_status ns_output_paths(const ns_job *job, const char *out_dir, ns_output_paths_t *p, ns_error *err);
/* All four files present: the metadata, written last, marks a complete set. */
int ns_outputs_complete(const ns_output_paths_t *p);
ns_status ns_write_outputs(const ns_job *job, const ns_image_info *info, int channel,
                           const ns_segment_params *prm, const ns_segmentation *s,
                           const ns_output_paths_t *p, double read_ms, double *write_ms, ns_error *err);
#endif
