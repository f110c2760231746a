/* seg_images.h — internal: the images a segmentation folder holds, as its
 * <mag>/<well>/<stem>_metadata.json files describe them, with their nuclei's areas
 * and intensities and, against true labels, their F1. */
#ifndef NUCSEG_REPORT_SEG_IMAGES_H
#define NUCSEG_REPORT_SEG_IMAGES_H

#include <stddef.h>
#include <stdint.h>
#include "nucseg/error.h"

typedef struct {
    char *mag, *well, *stem;          /* owned */
    char *source, *labels, *nuclei;   /* owned: the image, its labels TIFF, its nuclei CSV */
    int channel;
    double diameter;                  /* the nuclear diameter segmentation used (px), 0 unknown */
    size_t count;                     /* nuclei */
    double *area, *intensity;         /* owned: count of each, from the nuclei CSV (NULL: unread) */
    double f1;                        /* F1 at IoU 0.5 against the truth; NAN when none */
} ns_seg_image;

typedef struct {
    ns_seg_image *items;
    size_t count;
} ns_seg_images;

/* Every image of seg_dir, by magnification (10X, 40X, unknown), well and name. An
 * image whose metadata cannot be read is left out. */
ns_status ns_seg_images_find(const char *seg_dir, ns_seg_images *out, ns_error *err);

/* Areas and intensities of the image from its nuclei CSV. */
ns_status ns_seg_image_measures(ns_seg_image *im, ns_error *err);

/* F1 at IoU 0.5 of the image against truth_dir/<mag>/<stem>_labels.tif. */
ns_status ns_seg_image_f1(ns_seg_image *im, const char *truth_dir, ns_error *err);

/* A label image as uint32 (*labels malloc'd, the caller frees) and its size. */
ns_status ns_seg_image_labels(const char *path, uint32_t **labels, int *width, int *height, ns_error *err);

void ns_seg_images_free(ns_seg_images *l);

#endif
