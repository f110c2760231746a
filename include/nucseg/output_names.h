/* output_names.h — the names of the files `nucseg segment` writes per image, in one
 * place: the batch module writes them, the mapping module reads them back.
 * OUT/<10X|40X|unknown>/<well>/<stem><suffix>. */
#ifndef NUCSEG_OUTPUT_NAMES_H
#define NUCSEG_OUTPUT_NAMES_H

#define NS_SUFFIX_LABELS "_labels.tif"
#define NS_SUFFIX_NUCLEI_CSV "_nuclei.csv"
#define NS_SUFFIX_CENTROIDS "_nuclei_centroids_local.npy"
#define NS_SUFFIX_METADATA "_metadata.json"

#endif
