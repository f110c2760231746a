/* dist_internal.h — internal to the distributed layer. */
#ifndef NUCSEG_DIST_INTERNAL_H
#define NUCSEG_DIST_INTERNAL_H
#include "dist/dist.h"

struct ns_dist {
    int rank, size;
};

#endif
