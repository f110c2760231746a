/* nuclei_csv.h — internal to the batch module: an image's nucleus table. */
#ifndef NUCSEG_BATCH_NUCLEI_CSV_H
#define NUCSEG_BATCH_NUCLEI_CSV_H

#include "nucseg/batch.h"
#include "nucseg/image.h"

/* <stem>_nuclei.csv, atomically: one row per nucleus, the measurements in px, then the
 * plate, well and tile of the image, then (px->x_um > 0) the same in micrometres:
 * area_um2, centroid_x_um, centroid_y_um, major_axis_length_um, minor_axis_length_um.
 * Its commit is recorded in defer (nucseg/fsutil.h) when not NULL. */
ns_status ns_nuclei_csv_write(const char *path, const ns_job *job, const ns_segmentation *s,
                              const ns_pixel_size_um *px, ns_commit_list *defer, ns_error *err);

#endif
