/* names.c — plate, well, tile and magnification from file names (nucseg/names.h):
 * a small leftmost-shortest matcher over patterns with named fields, and the
 * built-in patterns of the layouts labs use. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "nucseg/fsutil.h"
#include "nucseg/names.h"

enum { F_IGNORED, F_PLATE, F_WELL, F_TILE, F_MAG, F_UNKNOWN };

static int field_kind(const char *name, size_t n)
{
    static const char *const names[] = {"", "plate", "well", "tile", "mag"};
    for (int k = 0; k < F_UNKNOWN; k++)
        if (strlen(names[k]) == n && !strncmp(name, names[k], n)) return k;
    return F_UNKNOWN;
}

static char *slot_of(ns_name_fields *f, int kind)
{
    return kind == F_PLATE ? f->plate : kind == F_WELL ? f->well : kind == F_TILE ? f->tile
         : kind == F_MAG   ? f->mag   : NULL;
}

static int field_char(char c)
{
    return c != '_' && c != '/' && c != '\0';
}

/* Backtracking over several '*' and fields grows as a power of the name's length: a
 * match that takes more steps than this is given up (no match) rather than hanging. */
#define MATCH_STEPS_MAX 1000000L

/* Match s against p (both from where the caller is); fill f's fields on success.
 * *steps counts down the work left. */
static int match(const char *p, const char *s, ns_name_fields *f, long *steps)
{
    for (;;) {
        if (--*steps < 0) return 0;
        if (*p == '\0') return *s == '\0';
        if (*p == '*') {
            for (const char *t = s;; t++) {
                if (match(p + 1, t, f, steps)) return 1;
                if (*t == '\0') return 0;
            }
        }
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close) return 0; /* ns_name_pattern_check refuses these */
            int kind = field_kind(p + 1, (size_t)(close - p - 1));
            size_t n = 0;
            while (field_char(s[n])) {
                n++; /* shortest first */
                if (n >= NS_NAME_FIELD_MAX) return 0;
                if (match(close + 1, s + n, f, steps)) {
                    char *slot = slot_of(f, kind);
                    if (slot) {
                        memcpy(slot, s, n);
                        slot[n] = '\0';
                    }
                    return 1;
                }
            }
            return 0;
        }
        if (*p != *s) return 0;
        p++;
        s++;
    }
}

ns_status ns_name_pattern_check(const char *pattern, ns_error *err)
{
    int wells = 0;
    for (const char *p = pattern; *p; p++) {
        if (*p == '}') return ns_error_set(err, NS_ERR_INVALID, "name pattern '%s': '}' without '{'", pattern);
        if (*p != '{') continue;
        const char *close = strchr(p, '}');
        if (!close) return ns_error_set(err, NS_ERR_INVALID, "name pattern '%s': '{' without '}'", pattern);
        int kind = field_kind(p + 1, (size_t)(close - p - 1));
        if (kind == F_UNKNOWN)
            return ns_error_set(err, NS_ERR_INVALID, "name pattern '%s': unknown field '%.*s' "
                                "(fields: {plate} {well} {tile} {mag} {})", pattern, (int)(close - p + 1), p);
        if (close[1] == '{')
            return ns_error_set(err, NS_ERR_INVALID, "name pattern '%s': two fields with nothing between them "
                                "cannot be told apart", pattern);
        wells += kind == F_WELL;
        p = close;
    }
    if (wells != 1) return ns_error_set(err, NS_ERR_INVALID, "name pattern '%s': needs one {well}", pattern);
    return NS_OK;
}

static int all_digits(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

/* "0034" -> "34", "0" -> "0": tile numbers compare as numbers. */
static void strip_leading_zeros(char *tile)
{
    if (!all_digits(tile)) return;
    size_t z = strspn(tile, "0");
    if (tile[z] == '\0') z--;
    memmove(tile, tile + z, strlen(tile + z) + 1);
}

/* The built-in layouts, most specific first; their tiles are numbers and their
 * magnifications "<digits>X", or the layout does not apply. */
static const char *const BUILTIN[] = {
    "P-{plate}_W-{well}_T-{tile}__*", /* brieflow: P-1_W-A1_T-0__Cycle-1... */
    "P-{plate}_W-{well}_T-{tile}",
    "{mag}_{}_{well}_Tile-{tile}.*",  /* OPS: 10X_c1-SBS-1_A1_Tile-7.sbs */
    "{mag}_{}_{well}_Tile-{tile}",
    "{well}_Tile-{tile}",            /* nucseg synth, 10X: Well1_Tile-3 */
    "{well}_Site-{tile}",            /* nucseg synth, 40X: Well1_Site-2 */
    "{well}_Point{}_{tile}",         /* the seed: Well1_Point1_0034 */
    "{well}_*",                      /* anything else: the well before the first '_' */
    "{well}",
};

static int builtin_ok(const ns_name_fields *f)
{
    if (f->tile[0] && !all_digits(f->tile)) return 0;
    if (f->mag[0]) {
        size_t n = strlen(f->mag);
        char digits[NS_NAME_FIELD_MAX];
        memcpy(digits, f->mag, n - 1);
        digits[n - 1] = '\0';
        if (n < 2 || toupper((unsigned char)f->mag[n - 1]) != 'X' || !all_digits(digits)) return 0;
    }
    return 1;
}

int ns_name_parse(const char *stem, const char *pattern, ns_name_fields *out)
{
    memset(out, 0, sizeof *out);
    if (pattern) {
        long steps = MATCH_STEPS_MAX;
        if (ns_name_pattern_check(pattern, NULL) != NS_OK || !match(pattern, stem, out, &steps)) {
            memset(out, 0, sizeof *out);
            return 0;
        }
        strip_leading_zeros(out->tile);
        return 1;
    }
    for (size_t k = 0; k < sizeof BUILTIN / sizeof BUILTIN[0]; k++) {
        memset(out, 0, sizeof *out);
        long steps = MATCH_STEPS_MAX;
        if (match(BUILTIN[k], stem, out, &steps) && builtin_ok(out)) {
            strip_leading_zeros(out->tile);
            return 1;
        }
    }
    memset(out, 0, sizeof *out);
    return 0;
}

char *ns_image_stem(const char *path)
{
    char *stem = ns_path_stem(path);
    size_t n = stem ? strlen(stem) : 0;
    if (n > 4 && !strcasecmp(stem + n - 4, ".ome")) stem[n - 4] = '\0';
    return stem;
}
