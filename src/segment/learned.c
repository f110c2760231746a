/* learned.c — the learned pipeline's instance step: from the network's background /
 * interior / boundary probabilities to labelled nuclei.
 *
 *   foreground = P(background) < FG_MAX_BACKGROUND (0.2, not 0.5: trained with the
 *                boundary class weighted up, the network leans to the foreground, and
 *                outlines at 0.5 lie a little outside the annotated ones)
 *   seeds      = 8-connected groups of foreground pixels with P(interior) >
 *                SEED_MIN_INTERIOR, of at least MIN_SEED_AREA px (a speck of interior is
 *                not a nucleus; a high threshold keeps touching nuclei's seeds apart)
 *   watershed  = the seeds flood the foreground in decreasing P(interior), so the
 *                boundary pixels between touching nuclei go to the nearer interior
 *   a foreground component that holds no seed is one nucleus of its own (the network
 *   saw a nucleus but no interior: a small or dim one), then regions below min_area
 *   join their neighbour or go, as in the classical pipeline (ns_merge_regions).
 * The thresholds were chosen on held-out training images (docs/learned-nuclei.md),
 * never on tests/data/dsb2018-dev. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "nucseg/imgproc.h"
#include "nucseg/nn.h"
#include "segment/learned.h"
#include "segment/measure.h"
#include "segment/result_labels.h"
#include "segment/watershed.h"
#include "util/clock.h"

#define FG_MAX_BACKGROUND 0.2f
#define SEED_MIN_INTERIOR 0.7f
#define MIN_SEED_AREA 3
#define DEFAULT_MIN_AREA 20.0
/* The watershed quantises heights in quarter units up to 16000: probabilities scaled
 * by 1000 keep 4000 levels. */
#define HEIGHT_SCALE 1000.0f

typedef struct {
    float *probs;
    uint8_t *mask, *seed_mask;
    uint32_t *comp, *labels;
    size_t *seed_area;
    uint8_t *seeded;
} learned_state;

static void state_free(learned_state *s)
{
    free(s->probs); free(s->mask); free(s->seed_mask); free(s->comp); free(s->labels);
    free(s->seed_area); free(s->seeded);
}

/* Seeds below MIN_SEED_AREA px are cleared from markers (their label numbers stay unused). */
static ns_status drop_small_seeds(learned_state *s, size_t n, size_t nseeds, ns_error *err)
{
    s->seed_area = calloc(nseeds + 1, sizeof *s->seed_area);
    if (!s->seed_area) return ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for %zu seeds", nseeds);
    for (size_t i = 0; i < n; i++) s->seed_area[s->labels[i]]++;
    for (size_t i = 0; i < n; i++)
        if (s->labels[i] && s->seed_area[s->labels[i]] < MIN_SEED_AREA) s->labels[i] = 0;
    return NS_OK;
}

/* Foreground components the watershed could not reach (no seed in them) become
 * nuclei numbered after the seeds: nseeds + their component number. */
static ns_status label_unseeded(learned_state *s, size_t n, size_t nseeds, size_t ncomp, ns_error *err)
{
    s->seeded = calloc(ncomp + 1, 1);
    if (!s->seeded) return ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for %zu components", ncomp);
    for (size_t i = 0; i < n; i++)
        if (s->labels[i]) s->seeded[s->comp[i]] = 1;
    for (size_t i = 0; i < n; i++)
        if (s->comp[i] && !s->seeded[s->comp[i]]) s->labels[i] = (uint32_t)(nseeds + s->comp[i]);
    return NS_OK;
}

static ns_status instances(learned_state *s, const ns_segment_params *p, int w, int h, size_t *count,
                           ns_error *err)
{
    size_t n = (size_t)w * (size_t)h, ncomp = 0, nseeds = 0;
    const float *bg = s->probs + (size_t)NS_NN_BACKGROUND * n;
    float *height = s->probs + (size_t)NS_NN_INTERIOR * n; /* P(interior), scaled in place */
    ns_status st;
    s->mask = malloc(n ? n : 1);
    s->seed_mask = malloc(n ? n : 1);
    s->comp = malloc((n ? n : 1) * sizeof *s->comp);
    s->labels = malloc((n ? n : 1) * sizeof *s->labels);
    if (!s->mask || !s->seed_mask || !s->comp || !s->labels)
        return ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for a %dx%d image", w, h);
    for (size_t i = 0; i < n; i++) {
        s->mask[i] = bg[i] < FG_MAX_BACKGROUND;
        s->seed_mask[i] = height[i] > SEED_MIN_INTERIOR && s->mask[i];
        height[i] *= HEIGHT_SCALE;
    }
    if ((st = ns_label_components(s->mask, w, h, s->comp, &ncomp, err)) != NS_OK) return st;
    if ((st = ns_label_components(s->seed_mask, w, h, s->labels, &nseeds, err)) != NS_OK) return st;
    if ((st = drop_small_seeds(s, n, nseeds, err)) != NS_OK) return st;
    /* Seeds were taken inside the foreground only, so markers are 0 outside the mask,
     * as outside_is_zero asks. */
    if ((st = ns_watershed_markers_in_mask(height, s->mask, s->comp, ncomp, s->labels, w, h, s->labels, 1, err)) !=
        NS_OK)
        return st;
    if ((st = label_unseeded(s, n, nseeds, ncomp, err)) != NS_OK) return st;
    double min_area = p->min_area >= 0 ? p->min_area : DEFAULT_MIN_AREA;
    double max_area = p->max_area >= 0 ? p->max_area : 0.0;
    /* h = 0: no merging by depth (the network has split them); only by area. */
    return ns_merge_regions(s->labels, height, w, h, nseeds + ncomp, 0.0, 0.0, min_area, max_area, count, err);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The diameter of the median nucleus (that of a disc of its area): what a user checks
 * against the expected size, since the network is given none. 0 when out of memory. */
static double median_diameter(const ns_nucleus *nuc, size_t count)
{
    if (!count) return 0.0;
    double *a = malloc(count * sizeof *a);
    if (!a) return 0.0;
    for (size_t i = 0; i < count; i++) a[i] = nuc[i].area;
    qsort(a, count, sizeof *a, cmp_double);
    double d = sqrt(4.0 * a[count / 2] / M_PI);
    free(a);
    return d;
}

ns_status ns_segment_learned(const ns_image *img, const ns_segment_params *p, ns_segmentation *out,
                             ns_error *err)
{
    double t0 = ns_clock_ms();
    int w = img->width, h = img->height;
    size_t n = (size_t)w * (size_t)h, count = 0;
    learned_state s = {0};
    ns_status st;
    int k = ns_nn_classes(p->model);
    if (k < 3) {
        return ns_error_set(err, NS_ERR_INVALID, "segment: model %s gives %d classes; the instance step needs "
                            "background, interior and boundary", ns_nn_name(p->model), k);
    }
    if (!(s.probs = malloc((size_t)k * n * sizeof *s.probs))) {
        st = ns_error_set(err, NS_ERR_NOMEM, "segment: out of memory for a %dx%d image", w, h);
        goto fail;
    }
    if ((st = ns_nn_predict(p->model, img, s.probs, err)) != NS_OK) goto fail;
    if ((st = instances(&s, p, w, h, &count, err)) != NS_OK) goto fail;
    ns_nucleus *nuclei = NULL;
    if ((st = ns_measure_nuclei(s.labels, img, count, &nuclei, err)) != NS_OK) goto fail;
    if ((st = seg_hand_labels(out, w, h, count, NULL, &s.labels, err)) != NS_OK) {
        free(nuclei);
        goto fail;
    }
    out->count = count;
    out->nuclei = nuclei;
    out->diameter_used = median_diameter(nuclei, count);
    out->sigma_used = 0.0;
    out->threshold_used = FG_MAX_BACKGROUND;
    out->min_distance_used = 0.0;
    state_free(&s);
    out->ms_total = ns_clock_ms() - t0;
    return NS_OK;
fail:
    state_free(&s);
    return st;
}
