/* seg_images.c — the images of a segmentation folder and their measures (see
 * seg_images.h). */
#include <glob.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "nucseg/csv_read.h"
#include "nucseg/eval.h"
#include "nucseg/fsutil.h"
#include "nucseg/image.h"
#include "report/seg_images.h"

static char *json_str(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsString(x) ? strdup(x->valuestring) : NULL;
}

static void image_free(ns_seg_image *im)
{
    free(im->mag); free(im->well); free(im->stem); free(im->source); free(im->labels); free(im->nuclei);
    free(im->area); free(im->intensity);
}

/* One image from its metadata JSON; 0 when the file does not describe one. */
static int image_from_metadata(const char *path, ns_seg_image *im)
{
    char *text = NULL;
    ns_error ignored;
    memset(im, 0, sizeof *im);
    im->f1 = NAN;
    if (ns_read_text_file(path, &text, NULL, &ignored) != NS_OK) return 0;
    cJSON *j = cJSON_Parse(text);
    free(text);
    if (!j) return 0;
    im->mag = json_str(j, "magnification", NULL);
    im->well = json_str(j, "well", NULL);
    im->stem = json_str(j, "stem", NULL);
    im->source = json_str(j, "source", NULL);
    im->labels = json_str(j, "outputs", "labels");
    im->nuclei = json_str(j, "outputs", "nuclei_csv");
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(j, "channel");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(j, "nuclei");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "parameters"),
                                                      "diameter_used");
    im->channel = cJSON_IsNumber(ch) ? ch->valueint : 0;
    im->diameter = cJSON_IsNumber(d) ? d->valuedouble : 0;
    im->count = cJSON_IsNumber(n) && n->valuedouble >= 0 ? (size_t)n->valuedouble : 0;
    cJSON_Delete(j);
    if (im->mag && im->well && im->stem && im->source && im->labels && im->nuclei) return 1;
    image_free(im);
    return 0;
}

ns_status ns_seg_images_find(const char *seg_dir, ns_seg_images *out, ns_error *err)
{
    static const char *const mags[] = {"10X", "40X", "unknown"};
    memset(out, 0, sizeof *out);
    for (int m = 0; m < 3; m++) {
        char pattern[4096];
        snprintf(pattern, sizeof pattern, "%s/%s/*/*_metadata.json", seg_dir, mags[m]);
        glob_t g;
        if (glob(pattern, 0, NULL, &g) != 0) continue; /* none of this magnification */
        ns_seg_image *more = realloc(out->items, (out->count + g.gl_pathc) * sizeof *more);
        if (!more) {
            globfree(&g);
            return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory listing images", seg_dir);
        }
        out->items = more;
        for (size_t i = 0; i < g.gl_pathc; i++)
            out->count += (size_t)image_from_metadata(g.gl_pathv[i], &out->items[out->count]);
        globfree(&g);
    }
    return NS_OK;
}

ns_status ns_seg_image_measures(ns_seg_image *im, ns_error *err)
{
    ns_csv_reader r;
    ns_status st = ns_csv_open(&r, im->nuclei, err);
    if (st != NS_OK) return st;
    int col[2];
    static const char *const names[] = {"area", "mean_intensity"};
    size_t n = 0, cap = im->count ? im->count : 16;
    im->area = malloc(cap * sizeof *im->area);
    im->intensity = malloc(cap * sizeof *im->intensity);
    if (!im->area || !im->intensity) st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", im->nuclei);
    if (st == NS_OK) st = ns_csv_require(&r, names, col, 2, err);
    while (st == NS_OK && (st = ns_csv_next(&r, err)) == NS_OK && !r.eof) {
        if (n == cap) {
            cap *= 2;
            double *a = realloc(im->area, cap * sizeof *a);
            if (a) im->area = a;
            double *b = a ? realloc(im->intensity, cap * sizeof *b) : NULL;
            if (b) im->intensity = b;
            if (!a || !b) { st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", im->nuclei); break; }
        }
        if (!ns_csv_double(ns_csv_get(&r, col[0]), &im->area[n]) ||
            !ns_csv_double(ns_csv_get(&r, col[1]), &im->intensity[n])) {
            st = ns_error_set(err, NS_ERR_FORMAT, "%s:%ld: area or mean_intensity is not a number", im->nuclei,
                              r.lineno);
            break;
        }
        n++;
    }
    ns_csv_close(&r);
    im->count = n;
    return st;
}

ns_status ns_seg_image_labels(const char *path, uint32_t **labels, int *width, int *height, ns_error *err)
{
    ns_image raw, lab;
    *labels = NULL;
    ns_status st = ns_image_read(path, 0, 0, &raw, err);
    if (st != NS_OK) return st;
    st = ns_image_to_u32(&raw, &lab, err);
    ns_image_free(&raw);
    if (st != NS_OK) return st;
    *labels = lab.data; /* handed over */
    *width = lab.width;
    *height = lab.height;
    return NS_OK;
}

ns_status ns_seg_image_f1(ns_seg_image *im, const char *truth_dir, ns_error *err)
{
    char name[4096];
    snprintf(name, sizeof name, "%s/%s/%s_labels.tif", truth_dir, im->mag, im->stem);
    uint32_t *truth = NULL, *pred = NULL;
    int tw, th, pw = 0, ph = 0;
    ns_status st = ns_seg_image_labels(name, &truth, &tw, &th, err);
    if (st == NS_OK) st = ns_seg_image_labels(im->labels, &pred, &pw, &ph, err);
    if (st == NS_OK && (pw != tw || ph != th))
        st = ns_error_set(err, NS_ERR_FORMAT, "%s: %dx%d labels, the truth's are %dx%d", im->labels, pw, ph, tw, th);
    ns_eval_result r;
    if (st == NS_OK && (st = ns_eval_labels(truth, pred, tw, th, &r, err)) == NS_OK) im->f1 = r.f1_50;
    free(truth);
    free(pred);
    return st;
}

void ns_seg_images_free(ns_seg_images *l)
{
    for (size_t i = 0; i < l->count; i++) image_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}
