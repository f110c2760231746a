/* plate_prune.c — a plate written into the folder of an earlier one replaces it: the
 * earlier plate's views that the new one lacks (fewer wells, tiles or sites) are
 * removed, so that segment, map and run do not pick up images the new truth.json
 * does not describe. Only the files synth itself names for a view listed in the old
 * truth.json are touched; anything else in the folder is the user's and stays. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "nucseg/fsutil.h"
#include "synth/synth_internal.h"

cJSON *synth_plate_previous(const char *out_dir)
{
    char *path = ns_path_join(out_dir, "truth.json"), *text = NULL;
    ns_error ignored;
    cJSON *root = NULL;
    /* No earlier plate, or one that cannot be read: nothing of it is known to be ours. */
    if (path && ns_file_exists(path) && ns_read_text_file(path, &text, NULL, &ignored) == NS_OK)
        root = cJSON_Parse(text);
    const cJSON *gen = cJSON_GetObjectItemCaseSensitive(root, "generator");
    if (root && !(cJSON_IsString(gen) && !strcmp(gen->valuestring, "nucseg synth"))) {
        cJSON_Delete(root);
        root = NULL;
    }
    free(text);
    free(path);
    return root;
}

/* A stem synth could have written: Well names and view numbers, never a path. */
static int plain_stem(const char *s)
{
    return s && *s && strlen(s) < 256 && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

static int has_stem(const cJSON *tiles, const char *stem)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, tiles)
    {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(t, "stem");
        if (cJSON_IsString(s) && !strcmp(s->valuestring, stem)) return 1;
    }
    return 0;
}

ns_status synth_plate_prune(const char *out_dir, const cJSON *previous, const cJSON *tiles, size_t *removed,
                            ns_error *err)
{
    *removed = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(previous, "tiles"))
    {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(t, "stem");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(t, "magnification");
        if (!cJSON_IsString(s) || !cJSON_IsString(m) || !plain_stem(s->valuestring)) continue;
        const char *stem = s->valuestring, *mag = m->valuestring;
        int is_40x = !strcmp(mag, "40X");
        if ((!is_40x && strcmp(mag, "10X")) || has_stem(tiles, stem)) continue;
        synth_view_files f;
        synth_view_files_of(stem, is_40x, &f);
        for (int k = 0; k < SYNTH_VIEW_FILES; k++) {
            char *path = ns_path_join(out_dir, f.rel[k]);
            if (!path) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", out_dir);
            int rc = unlink(path), e = errno;
            if (rc != 0 && e != ENOENT) {
                ns_status st = ns_error_set(err, NS_ERR_IO, "%s: cannot remove this file of the previous plate: %s",
                                            path, strerror(e));
                free(path);
                return st;
            }
            free(path);
            if (rc == 0) (*removed)++;
        }
    }
    return NS_OK;
}
