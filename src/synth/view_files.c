/* view_files.c — the names of one plate view's files, in one place: the plate
 * writer makes them, and a later plate written over it removes them by the same
 * names (plate_prune.c). */
#include <stdio.h>
#include <string.h>
#include "synth/synth_internal.h"

void synth_view_files_of(const char *stem, int is_40x, synth_view_files *f)
{
    const char *mag = is_40x ? "40X" : "10X";
    snprintf(f->rel[SYNTH_VIEW_IMAGE], sizeof f->rel[0], "%s/%s.tif", is_40x ? "phenotyping" : "genotyping/cycle_1",
             stem);
    snprintf(f->rel[SYNTH_VIEW_LABELS], sizeof f->rel[0], "truth/%s/%s_labels.tif", mag, stem);
    snprintf(f->rel[SYNTH_VIEW_CSV], sizeof f->rel[0], "truth/%s/%s_nuclei.csv", mag, stem);
    snprintf(f->rel[SYNTH_VIEW_PREVIEW], sizeof f->rel[0], "preview/%s.png", stem);
    snprintf(f->rel[SYNTH_VIEW_OVERLAY], sizeof f->rel[0], "preview/%s_overlay.png", stem);
}
