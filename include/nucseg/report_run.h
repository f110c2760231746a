/* report_run.h — the sections of `nucseg run`'s report.html that show results rather
 * than list files: each reads what its stage left on disk and writes its part of the
 * page, with a one-line note in place of anything it could not read. */
#ifndef NUCSEG_REPORT_RUN_H
#define NUCSEG_REPORT_RUN_H

#include <stdio.h>

/* Where the page is and where its pictures go: out/files_name/ (made when needed). */
typedef struct {
    const char *out;        /* the page's folder: links are relative to it */
    const char *files_name; /* its sub-folder for the thumbnails and histograms */
} ns_report_place;

/* Nuclei per well and magnification, area and intensity histograms, thumbnails of
 * nucseg's own outlines over the images, and F1 against the true labels when
 * truth_dir (the synthetic plate's truth/, <mag>/<stem>_labels.tif) is given. */
void ns_report_segmentation(FILE *html, const ns_report_place *place, const char *seg_dir, const char *truth_dir);

/* Each 40X tile's transform into its 10X tile as scale, rotation and shift, with its
 * RMSD and, when mapped against the truth, its corner error (mapping.csv). */
void ns_report_mapping(FILE *html, const char *map_dir);

#endif
