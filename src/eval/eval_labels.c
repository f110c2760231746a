/* eval_labels.c — DSB2018-style scoring of an instance segmentation.
 *
 * For IoU thresholds >= 0.5 a true object can match at most one predicted
 * object (two predictions cannot both cover more than half of it), so matching
 * needs no assignment solver: count the pairs whose IoU exceeds each threshold. */
#include <stdlib.h>
#include <string.h>
#include "nucseg/eval.h"

typedef struct { uint64_t key; uint32_t count; } pair_count;

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33; k *= 0xff51afd7ed558ccdULL; k ^= k >> 33; k *= 0xc4ceb9fe1a85ec53ULL; k ^= k >> 33;
    return k;
}

static uint64_t label_limit(size_t n)
{
    return (uint64_t)n * 4 + 65536;
}

static uint32_t max_label(const uint32_t *lab, size_t n)
{
    uint32_t maxl = 0;
    for (size_t i = 0; i < n; i++) if (lab[i] > maxl) maxl = lab[i];
    return maxl;
}

static ns_status too_large(uint32_t maxl, size_t n, ns_error *err)
{
    return ns_error_set(err, NS_ERR_UNSUPPORTED,
                        "label values up to %u on %zu pixels; the limit is 4 x pixels + 65536 = %llu", maxl, n,
                        (unsigned long long)label_limit(n));
}

ns_status ns_eval_check_labels(const uint32_t *lab, int width, int height, ns_error *err)
{
    if (width <= 0 || height <= 0) return ns_error_set(err, NS_ERR_EMPTY, "empty image");
    size_t n = (size_t)width * (size_t)height;
    uint32_t maxl = max_label(lab, n);
    return (uint64_t)maxl > label_limit(n) ? too_large(maxl, n, err) : NS_OK;
}

/* Dense ids 1..N for the labels present (labels need not be consecutive); which
 * ("ground truth", "prediction") names the image in an error. */
static ns_status densify(const uint32_t *lab, size_t n, const char *which, uint32_t **ids, uint32_t **area,
                         size_t *count, ns_error *err)
{
    uint32_t maxl = max_label(lab, n);
    if ((uint64_t)maxl > label_limit(n)) {
        ns_status st = too_large(maxl, n, err);
        ns_error_prefix(err, "eval: %s", which);
        return st;
    }
    uint32_t *map = calloc((size_t)maxl + 1, sizeof *map);
    if (!map) return ns_error_set(err, NS_ERR_NOMEM, "eval: out of memory");
    for (size_t i = 0; i < n; i++) if (lab[i]) map[lab[i]] = 1;
    uint32_t k = 0;
    for (uint32_t l = 1; l <= maxl; l++) if (map[l]) map[l] = ++k;
    uint32_t *a = calloc((size_t)k + 1, sizeof *a);
    if (!a) { free(map); return ns_error_set(err, NS_ERR_NOMEM, "eval: out of memory"); }
    for (size_t i = 0; i < n; i++) if (lab[i]) a[map[lab[i]]]++;
    *ids = map;
    *area = a;
    *count = k;
    return NS_OK;
}

ns_status ns_eval_labels(const uint32_t *truth, const uint32_t *pred, int width, int height,
                         ns_eval_result *out, ns_error *err)
{
    memset(out, 0, sizeof *out);
    if (width <= 0 || height <= 0) return ns_error_set(err, NS_ERR_EMPTY, "eval: empty image");
    size_t n = (size_t)width * (size_t)height;
    uint32_t *tid = NULL, *tarea = NULL, *pid = NULL, *parea = NULL;
    size_t nt = 0, np = 0;
    ns_status st = densify(truth, n, "ground truth", &tid, &tarea, &nt, err);
    if (st != NS_OK) return st;
    if ((st = densify(pred, n, "prediction", &pid, &parea, &np, err)) != NS_OK) { free(tid); free(tarea); return st; }

    /* Intersections of every overlapping (truth, pred) pair, in a hash table. */
    size_t cap = 1024;
    while (cap < 4 * (nt + np + 1)) cap <<= 1;
    pair_count *tab = calloc(cap, sizeof *tab);
    size_t used = 0;
    if (!tab) { st = ns_error_set(err, NS_ERR_NOMEM, "eval: out of memory"); goto done; }
    for (size_t i = 0; i < n; i++) {
        if (!truth[i] || !pred[i]) continue;
        uint64_t key = ((uint64_t)tid[truth[i]] << 32) | pid[pred[i]];
        size_t s = mix(key) & (cap - 1);
        while (tab[s].key && tab[s].key != key) s = (s + 1) & (cap - 1);
        if (!tab[s].key) {
            tab[s].key = key;
            if (++used * 2 > cap) {
                /* Grow and rehash to keep probes short. */
                size_t ncap = cap * 2;
                pair_count *nt2 = calloc(ncap, sizeof *nt2);
                if (!nt2) { st = ns_error_set(err, NS_ERR_NOMEM, "eval: out of memory"); goto done; }
                for (size_t j = 0; j < cap; j++) {
                    if (!tab[j].key) continue;
                    size_t q = mix(tab[j].key) & (ncap - 1);
                    while (nt2[q].key) q = (q + 1) & (ncap - 1);
                    nt2[q] = tab[j];
                }
                free(tab);
                tab = nt2;
                cap = ncap;
                s = mix(key) & (cap - 1);
                while (tab[s].key != key) s = (s + 1) & (cap - 1);
            }
        }
        tab[s].count++;
    }
    /* TP at each threshold 0.50, 0.55, ..., 0.95 (IoU strictly greater). */
    size_t tp[10] = {0};
    for (size_t j = 0; j < cap; j++) {
        if (!tab[j].key) continue;
        uint32_t a = (uint32_t)(tab[j].key >> 32), b = (uint32_t)tab[j].key;
        double inter = tab[j].count, uni = (double)tarea[a] + (double)parea[b] - inter;
        double iou = inter / uni;
        for (int t = 0; t < 10; t++)
            if (iou > 0.5 + 0.05 * t) tp[t]++;
    }
    out->n_true = nt;
    out->n_pred = np;
    out->tp50 = tp[0];
    out->fp50 = np - tp[0];
    out->fn50 = nt - tp[0];
    if (nt == 0 && np == 0) {
        /* Nothing to find and nothing found: perfect, as the DSB metric treats it. */
        out->precision50 = out->recall50 = out->f1_50 = out->dsb_score = 1.0;
    } else {
        out->precision50 = np ? (double)tp[0] / (double)np : 0.0;
        out->recall50 = nt ? (double)tp[0] / (double)nt : 0.0;
        out->f1_50 = 2.0 * (double)tp[0] / (double)(np + nt);
        double s = 0.0;
        for (int t = 0; t < 10; t++) s += (double)tp[t] / (double)(np + nt - tp[t]);
        out->dsb_score = s / 10.0;
    }
done:
    free(tab); free(tid); free(tarea); free(pid); free(parea);
    return st;
}
