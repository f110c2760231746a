/* collisions.h — inputs that would write the same output files.
 *
 * An image's outputs go to OUT/<magnification>/<well>/<stem>_*, so two inputs with the
 * same magnification, well and file stem (a.tif beside a.png, or Well1_0001.tif in two
 * folders of one recursive scan) would overwrite each other's files, and two workers
 * could write them at the same moment. Internal to the batch module. */
#ifndef NUCSEG_BATCH_COLLISIONS_H
#define NUCSEG_BATCH_COLLISIONS_H

#include "nucseg/batch.h"

/* same_as[i] = the index of the first job (in job order) whose outputs job i would
 * overwrite, or -1 when there is none (the first of a group keeps its outputs). Returns
 * how many jobs collide, or -1 when out of memory. */
long ns_jobs_output_collisions(const ns_job_list *jobs, long *same_as);

#endif
