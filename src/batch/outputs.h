/* outputs.h — internal to the batch module: the per-image output files. */
#ifndef NUCSEG_BATCH_OUTPUTS_H
#define NUCSEG_BATCH_OUTPUTS_H
#include <time.h>
#include "nucseg/batch.h"
#include "nucseg/fsutil.h"
#include "nucseg/image.h"
#include "util/idle_cores.h"

enum { NS_OUT_LABELS, NS_OUT_CSV, NS_OUT_NPY, NS_OUT_META, NS_OUT_COUNT };

typedef struct {
    char dir[4096];                  /* OUT/<mag>/<well> */
    char file[NS_OUT_COUNT][4096];
} ns_output_paths_t;

ns_status ns_output_paths(const ns_job *job, const char *out_dir, ns_output_paths_t *p, ns_error *err);
/* Remove the temporary files process pid may have left for job's outputs (a worker
 * killed while writing them). Best effort: a file that is not there is no error. */
void ns_output_remove_temporaries(const ns_job *job, const char *out_dir, long pid);
/* Remove from dir the temporary files (.NAME.tmp.PID.HOST, NAME one of our outputs) that
 * processes which no longer exist here left (a run killed as a whole, a full disk). A
 * file of a live process (another run) is left alone. */
void ns_outputs_remove_stale_in(const char *dir);
/* How a pool worker runs an image; ns_process_image is all zero. */
typedef struct {
    /* Non-NULL: the outputs stay under their temporary names, recorded here in the order
     * written (metadata last); ns_commit_list_rename() then gives them their final names.
     * On failure it is empty and no temporary file is left. */
    ns_commit_list *pending;
    int folders_made;    /* the output folder exists already (ns_outputs_prepare) */
    ns_idle_cores *idle; /* cores lent by the batch for helper threads, or NULL */
} ns_image_run;

/* OUT made and writable, and every job's output folder made (prepare.c); an error names
 * the folder. */
ns_status ns_outputs_prepare(const ns_job_list *jobs, const char *out_dir, ns_error *err);
/* Write the four files of one image; the metadata, last, records the size and checksum
 * of the input and of the other three (checksums.c). how: where the commits go, whether
 * p->dir exists (else it is made here), the cores lent for writing files in parallel. */
ns_status ns_write_outputs(const ns_job *job, const ns_image_info *info, int channel,
                           const ns_segment_params *prm, const ns_segmentation *s,
                           const ns_output_paths_t *p, const ns_pixel_size_um *px, const ns_image_run *how,
                           double read_ms, double *write_ms, ns_error *err);
#endif
