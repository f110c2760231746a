/* resume.c — see resume.h. The checks read the metadata, the centroids and the table
 * (small files), the checksums of all (checksums.h) and the label image's header: well
 * under a millisecond an image,
 * against the tens it takes to segment one again. */
#include "batch/resume.h"
#include "batch/checksums.h"
#include "batch/model_record.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "nucseg/fsutil.h"
#include "nucseg/image.h"

static int number_is(const cJSON *o, const char *key, double want)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) && v->valuedouble == want;
}

/* The settings a user can change between runs, as write_metadata records them. */
static int same_settings(const cJSON *meta, int channel, const ns_segment_params *prm)
{
    const cJSON *par = cJSON_GetObjectItemCaseSensitive(meta, "parameters");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(par, "threshold_method");
    const cJSON *split = cJSON_GetObjectItemCaseSensitive(par, "split_touching");
    const char *want_method = prm->threshold == NS_THRESHOLD_LOCAL ? "local" : "otsu";
    return number_is(meta, "channel", channel) && number_is(par, "diameter_requested", prm->diameter) &&
           number_is(par, "threshold_scale", prm->threshold_scale) && cJSON_IsString(method) &&
           !strcmp(method->valuestring, want_method) && cJSON_IsBool(split) &&
           cJSON_IsTrue(split) == (prm->split_touching != 0) && ns_segment_model_matches(par, prm);
}

/* Rows of the table: lines after the header. */
static int csv_rows_are(const char *path, size_t want)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char buf[65536];
    size_t lines = 0, n;
    int last = '\n';
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < n; i++) lines += buf[i] == '\n';
        last = (unsigned char)buf[n - 1];
    }
    int ok = !ferror(f) && last == '\n' && lines == want + 1;
    fclose(f);
    return ok;
}

int ns_outputs_reusable(const ns_job *job, const ns_output_paths_t *p, int channel, const ns_segment_params *prm,
                        size_t *nuclei)
{
    for (int k = 0; k < NS_OUT_COUNT; k++)
        if (!ns_file_exists(p->file[k])) return 0;
    char *text = NULL;
    size_t len = 0;
    ns_error err;
    if (ns_read_text_file(p->file[NS_OUT_META], &text, &len, &err) != NS_OK) return 0;
    cJSON *meta = cJSON_ParseWithLength(text, len);
    free(text);
    if (!meta) return 0;
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(meta, "nuclei");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(meta, "width");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(meta, "height");
    int ok = cJSON_IsNumber(n) && n->valuedouble >= 0 && n->valuedouble == floor(n->valuedouble) &&
             cJSON_IsNumber(w) && cJSON_IsNumber(h) && same_settings(meta, channel, prm) &&
             ns_checksums_match(meta, job, p);
    size_t count = ok ? (size_t)n->valuedouble : 0;
    int width = ok ? w->valueint : 0, height = ok ? h->valueint : 0;
    cJSON_Delete(meta);
    if (!ok) return 0;

    double *xy = NULL;
    size_t rows = 0, cols = 0;
    ok = ns_npy_read_f64(p->file[NS_OUT_NPY], &xy, &rows, &cols, &err) == NS_OK && rows == count &&
         (cols == 2 || count == 0);
    free(xy);
    if (!ok || !csv_rows_are(p->file[NS_OUT_CSV], count)) return 0;

    ns_image_info info;
    if (ns_image_probe(p->file[NS_OUT_LABELS], &info, &err) != NS_OK || info.width != width ||
        info.height != height)
        return 0;
    *nuclei = count;
    return 1;
}
