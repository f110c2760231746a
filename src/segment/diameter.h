/* diameter.h — internal: the nucleus diameter an image suggests, when none is given. */
#ifndef NUCSEG_SEGMENT_DIAMETER_H
#define NUCSEG_SEGMENT_DIAMETER_H

#include "segment/grid.h"

/* The diameter a grid reduced by f (1: full resolution) suggests, in full-resolution
 * pixels, from its foreground's components and distance transform (0: no object). */
double ns_grid_diameter(const grid *g, int f);

/* A glance at quarter resolution (1/16 of the pixels, no smoothing beyond the
 * block means): the diameter it suggests, or 0. Cheap enough to run on every image
 * of unknown diameter; only large answers lead to the half-resolution look. */
double ns_quarter_look(const grid_input *full_in, const ns_segment_params *p);

#endif
