/* units.h — internal to the batch module: an image's pixel size and the segmentation
 * parameters it implies (docs/units.md). */
#ifndef NUCSEG_BATCH_UNITS_H
#define NUCSEG_BATCH_UNITS_H

#include "nucseg/batch.h"
#include "nucseg/image.h"

/* The pixel size of job's image (--pixel-size, else what the file declares, else none)
 * and the parameters to segment it with: *prm, with the diameter in px from
 * --diameter-um when that is given. Errors name the file: an unreadable declared size
 * (unless --pixel-size overrides it), --diameter-um without any pixel size. */
ns_status ns_job_units(const ns_job *job, const ns_batch_options *opt, const ns_segment_params *prm,
                       ns_segment_params *eff, ns_pixel_size_um *px, ns_error *err);

#endif
