/* names.h — plate, well, tile and magnification from an image's file name.
 *
 * A name pattern is the file's stem (its name without folder and image extension,
 * ".ome" dropped too) written out with fields in braces:
 *   {plate} {well} {tile} {mag}   one or more characters other than '_' and '/'
 *   {}                            the same, not kept
 *   *                             any text, also none
 * Every other character stands for itself; the whole stem must match. Fields take
 * as few characters as let the rest match (left to right): write the separator after
 * a field ("{tile}.*", not "{tile}*", which gives "1" of "102.x"). A tile of digits loses its
 * leading zeros ("0034" -> "34"). Without a pattern the layouts labs use are tried
 * in turn (docs/naming.md): brieflow's "P-1_W-A1_T-0__...", OPS's
 * "10X_c1-SBS-1_A1_Tile-7.sbs", nucseg's own "Well1_Tile-3" / "Well1_Site-2", the
 * seed's "Well1_Point1_0034", and last the part before the first '_' as the well. */
#ifndef NUCSEG_NAMES_H
#define NUCSEG_NAMES_H

#include "nucseg/error.h"

#define NS_NAME_FIELD_MAX 128

typedef struct {
    char plate[NS_NAME_FIELD_MAX]; /* "" when the name has none */
    char well[NS_NAME_FIELD_MAX];  /* never "" after a match */
    char tile[NS_NAME_FIELD_MAX];  /* "" when the name has none */
    char mag[NS_NAME_FIELD_MAX];   /* as written ("10X"), "" when none */
} ns_name_fields;

/* Whether pattern is well formed and names a {well}; err says why not. */
ns_status ns_name_pattern_check(const char *pattern, ns_error *err);

/* Fields of stem under pattern (NULL: the built-in layouts). Returns 1 on a match,
 * 0 when stem does not match (out is then zeroed). */
int ns_name_parse(const char *stem, const char *pattern, ns_name_fields *out);

/* The stem nucseg names outputs after: the file name without folder and extension,
 * and without ".ome" before it ("a/A1_t3.ome.tif" -> "A1_t3"). malloc'd; NULL on OOM. */
char *ns_image_stem(const char *path);

#endif
