/* settings_lock.c — see settings_lock.h. The record is written under a temporary name
 * and given its final name with link(), which fails if the name exists: of two runs
 * starting at once, exactly one records its settings and the other compares with them. */
#include "batch/settings_lock.h"
#include "batch/model_record.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "nucseg/fsutil.h"
#include "util/text_safe.h"

#define SETTINGS_FILE "segmentation_settings.json"

/* Every setting that changes an image's outputs (not --jobs, --timeout, --max-pixels:
 * those decide whether and where an image is done, not what it gives). */
static cJSON *settings_json(const ns_batch_options *opt)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "channel", opt->channel);
    cJSON_AddNumberToObject(root, "pixel_size_um", opt->pixel_size_um);
    cJSON_AddNumberToObject(root, "diameter_um", opt->diameter_um);
    ns_json_add_text(root, "name_pattern", opt->name_pattern ? opt->name_pattern : "");
    const ns_segment_params *p[3] = {&opt->params_10x, &opt->params_40x, &opt->params_unknown};
    const char *name[3] = {"10X", "40X", "unknown"};
    for (int i = 0; i < 3; i++) {
        cJSON *m = cJSON_AddObjectToObject(root, name[i]);
        cJSON_AddNumberToObject(m, "diameter", p[i]->diameter);
        cJSON_AddNumberToObject(m, "smooth_sigma", p[i]->smooth_sigma);
        cJSON_AddStringToObject(m, "threshold", p[i]->threshold == NS_THRESHOLD_LOCAL ? "local" : "otsu");
        cJSON_AddNumberToObject(m, "threshold_scale", p[i]->threshold_scale);
        cJSON_AddNumberToObject(m, "min_area", p[i]->min_area);
        cJSON_AddNumberToObject(m, "max_area", p[i]->max_area);
        cJSON_AddNumberToObject(m, "min_distance", p[i]->min_distance);
        cJSON_AddBoolToObject(m, "split_touching", p[i]->split_touching != 0);
        ns_segment_model_json(m, p[i]);
    }
    return root;
}

/* The first setting (path "40X.diameter") whose values differ, written into buf; 0 when
 * none does. A value missing on one side counts as different. */
static int first_difference(const cJSON *want, const cJSON *have, const char *prefix, char *buf, size_t len)
{
    const cJSON *w;
    cJSON_ArrayForEach(w, want) {
        char path[128];
        snprintf(path, sizeof path, "%s%s", prefix, w->string);
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(have, w->string);
        if (cJSON_IsObject(w)) {
            char sub[130];
            snprintf(sub, sizeof sub, "%s.", path);
            if (cJSON_IsObject(h) ? first_difference(w, h, sub, buf, len) : (snprintf(buf, len, "%s", path), 1))
                return 1;
            continue;
        }
        if (!h || !cJSON_Compare(w, h, 1)) {
            char *ws = cJSON_PrintUnformatted(w), *hs = h ? cJSON_PrintUnformatted(h) : NULL;
            snprintf(buf, len, "%s %s here, %s there", path, ws ? ws : "?", hs ? hs : "missing");
            free(ws); free(hs);
            return 1;
        }
    }
    return 0;
}

ns_status ns_claim_out_dir(const ns_batch_options *opt, ns_error *err)
{
    char *path = ns_path_join(opt->out_dir, SETTINGS_FILE);
    cJSON *want = settings_json(opt);
    char *text = want ? cJSON_Print(want) : NULL;
    char tmp[4200];
    ns_status st = NS_OK;
    if (!path || !text) {
        st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", opt->out_dir);
        goto done;
    }
    /* Recorded already (the usual case for shards, ranks and --resume): compare, and write
     * nothing, so a run into a full disk still gets as far as its images. */
    if (ns_file_exists(path)) goto compare;
    if ((st = ns_tmp_path(path, tmp, sizeof tmp, err)) != NS_OK) goto done;
    size_t len = strlen(text);
    text[len++] = '\n'; /* over the NUL: the write is length-counted */
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(text, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (f) ok = fclose(f) == 0 && ok;
    if (!ok) {
        st = ns_error_set(err, NS_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));
        unlink(tmp);
        goto done;
    }
    int linked = link(tmp, path) == 0, e = errno;
    unlink(tmp);
    if (linked) goto done;
    if (e != EEXIST) {
        st = ns_error_set(err, NS_ERR_IO, "%s: cannot create: %s", path, strerror(e));
        goto done;
    }
compare:;
    char *have_text = NULL;
    size_t have_len = 0;
    if ((st = ns_read_text_file(path, &have_text, &have_len, err)) != NS_OK) goto done;
    cJSON *have = cJSON_ParseWithLength(have_text, have_len);
    free(have_text);
    char diff[512];
    if (have) { /* a record of a nucseg before --model: the classical pipeline */
        const char *name[3] = {"10X", "40X", "unknown"};
        for (int i = 0; i < 3; i++) ns_segment_model_default(cJSON_GetObjectItemCaseSensitive(have, name[i]));
    }
    if (!have)
        st = ns_error_set(err, NS_ERR_FORMAT, "%s: not a settings record (remove it if no run is writing into %s)",
                          path, opt->out_dir);
    else if (first_difference(want, have, "", diff, sizeof diff))
        st = ns_error_set(err, NS_ERR_INVALID,
                          "%s: holds outputs made with other settings (%s, recorded in %s); refusing to mix "
                          "them: use another output folder, or, to segment this one again with the new "
                          "settings, remove %s once no run is writing into it",
                          opt->out_dir, diff, path, path);
    cJSON_Delete(have);
done:
    cJSON_Delete(want);
    free(text);
    free(path);
    return st;
}
