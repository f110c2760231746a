/* truth.c — the exact ground truth of one view: consecutive labels 1..N (ordered
 * by the well-unique nucleus id) and, per label, the centroid and area of its
 * pixels, so truth tables describe exactly what the label image holds. */
#include <stdlib.h>
#include <string.h>
#include "nucseg/fsutil.h"
#include "synth/synth_internal.h"

ns_status synth_truth_build(const synth_scene *scene, const uint32_t *owner, int w, int h,
                            synth_truth *t, ns_error *err)
{
    memset(t, 0, sizeof *t);
    size_t n = scene->count, npx = (size_t)w * h;
    size_t *area = calloc(n + 1, sizeof *area);
    double *sum_x = calloc(n + 1, sizeof *sum_x), *sum_y = calloc(n + 1, sizeof *sum_y);
    uint32_t *relabel = calloc(n + 1, sizeof *relabel);
    ns_status st = NS_OK;
    if (!area || !sum_x || !sum_y || !relabel) {
        st = ns_error_set(err, NS_ERR_NOMEM, "synthetic truth: out of memory (%zu nuclei)", n);
        goto done;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t o = owner[(size_t)y * w + x];
            if (!o) continue;
            area[o]++;
            sum_x[o] += x;
            sum_y[o] += y;
        }
    for (size_t k = 1; k <= n; k++)
        if (area[k]) t->count++;
    st = ns_image_alloc(&t->labels, w, h, NS_PIXEL_U32, err);
    if (st != NS_OK) goto done;
    t->rows = calloc(t->count ? t->count : 1, sizeof *t->rows);
    if (!t->rows) {
        st = ns_error_set(err, NS_ERR_NOMEM, "synthetic truth: out of memory (%zu rows)", t->count);
        goto done;
    }
    uint32_t next = 0;
    for (size_t k = 1; k <= n; k++) {
        if (!area[k]) continue;
        synth_truth_row *r = &t->rows[next];
        relabel[k] = ++next;
        r->label = next;
        r->nucleus_id = scene->items[k - 1].id;
        r->area = area[k];
        r->centroid_x = sum_x[k] / (double)area[k];
        r->centroid_y = sum_y[k] / (double)area[k];
    }
    uint32_t *lab = t->labels.data;
    for (size_t i = 0; i < npx; i++) lab[i] = relabel[owner[i]];
done:
    free(area);
    free(sum_x);
    free(sum_y);
    free(relabel);
    if (st != NS_OK) synth_truth_free(t);
    return st;
}

ns_status synth_truth_write_csv(const char *path, const synth_truth *t, ns_error *err)
{
    ns_atomic_file f;
    ns_status st = ns_atomic_open(&f, path, err);
    if (st != NS_OK) return st;
    fprintf(f.fp, "label,nucleus_id,centroid_x,centroid_y,area\n");
    for (size_t i = 0; i < t->count; i++) {
        const synth_truth_row *r = &t->rows[i];
        fprintf(f.fp, "%u,%u,%.4f,%.4f,%zu\n", r->label, r->nucleus_id, r->centroid_x, r->centroid_y, r->area);
    }
    return ns_atomic_close(&f, err);
}

void synth_truth_free(synth_truth *t)
{
    ns_image_free(&t->labels);
    free(t->rows);
    memset(t, 0, sizeof *t);
}
