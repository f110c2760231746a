/* tile_points.c — ownership of tile point sets (kept apart from the loader so code
 * that builds tiles in memory does not pull in file reading). */
#include <stdlib.h>
#include <string.h>

#include "nucseg/mapping.h"

void ns_tile_points_free(ns_tile_points *t)
{
    if (!t) return;
    free(t->stem);
    free(t->well);
    free(t->xy);
    free(t->error);
    memset(t, 0, sizeof *t);
}

void ns_tile_set_free(ns_tile_set *s)
{
    for (size_t i = 0; i < s->count; i++) ns_tile_points_free(&s->tiles[i]);
    free(s->tiles);
    s->tiles = NULL;
    s->count = 0;
}
