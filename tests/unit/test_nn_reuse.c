/* test_nn_reuse.c — a network keeps its last window workspace for the next prediction
 * (src/nn/workspace_cache.c). Reuse must not show: a prediction after others of other
 * shapes, or with other threads predicting on the same network at once (one of them
 * gets the kept workspace, the others build their own), gives the same numbers,
 * bit for bit, as the first prediction of that image. Whichever thread wins the kept
 * workspace, the outcome is the same, so the test does not depend on scheduling. */
#include <pthread.h>

#include "nn/nn_internal.h"
#include "nn_test_util.h"

#define IMAGE_MID "dsb2018-dev/e23e11414ee645b5.png"   /* 696 x 520: one window */
#define IMAGE_LARGE "dsb2018-dev/f29fd9c52e04403c.png" /* 1272 x 603: two windows */
#define IMAGE_SMALL "dsb2018-dev/0280fa8f60f6bcae.png" /* 256 x 256 */
#define N_CASES 4 /* the three images, and the mid one's top 256 rows: its windows share one side
                   * with the mid image's and the other with the small one's */
#define THREADS 4
#define ROUNDS 3

typedef struct {
    ns_image img;
    float *expected; /* the first prediction, on a fresh network */
    size_t count;    /* floats in it */
} case_t;

static ns_nn *load(void)
{
    ns_nn *net = NULL;
    ns_error err;
    CHECK_OK(ns_nn_load_builtin("nuclei", &net, &err), err);
    return net;
}

/* c's image: rows [0, rows) of src. */
static int crop_rows(case_t *c, const ns_image *src, int rows)
{
    ns_error err;
    if (ns_image_alloc(&c->img, src->width, rows, src->type, &err) != NS_OK) return 0;
    memcpy(c->img.data, src->data, (size_t)src->width * rows * ns_pixel_size(src->type));
    return 1;
}

/* c->expected: c's image predicted by a network of its own, before any other. */
static int predict_first(case_t *c)
{
    c->count = (size_t)3 * c->img.width * c->img.height;
    c->expected = malloc(c->count * sizeof *c->expected);
    ns_nn *net = load();
    ns_error err;
    int ok = c->expected && net && ns_nn_predict(net, &c->img, c->expected, &err) == NS_OK;
    ns_nn_free(net);
    return ok;
}

/* 0 when probs equal c's first prediction exactly, else the count of differing floats. */
static size_t differing(const case_t *c, const float *probs)
{
    size_t n = 0;
    for (size_t i = 0; i < c->count; i++) n += probs[i] != c->expected[i];
    return n;
}

static void test_reuse_across_shapes(case_t *cases, int n_cases)
{
    ns_nn *net = load();
    ns_error err;
    /* Each image after each other one: the kept workspace changes shape (in both
     * dimensions or in one), or does not. */
    int prev = -1;
    for (int a = 0; a < n_cases; a++)
        for (int b = 0; b < n_cases; b++)
            for (int k = 0; k < 2; k++) {
                const int cur = k ? b : a;
                case_t *c = &cases[cur];
                float *probs = malloc(c->count * sizeof *probs);
                CHECK(probs != NULL);
                if (!probs) continue;
                CHECK_OK(ns_nn_predict(net, &c->img, probs, &err), err);
                size_t d = differing(c, probs);
                CHECK_MSG(d == 0, "image %d predicted after image %d: %zu values differ from its first prediction", cur,
                          prev, d);
                free(probs);
                prev = cur;
            }
    ns_nn_free(net);
}

typedef struct {
    const ns_nn *net;
    case_t *cases;
    int n_cases, first;
    size_t failures;
} worker_t;

static void *predict_rounds(void *arg)
{
    worker_t *w = arg;
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < w->n_cases; i++) {
            case_t *c = &w->cases[(w->first + i) % w->n_cases];
            float *probs = malloc(c->count * sizeof *probs);
            ns_error err;
            if (!probs || ns_nn_predict(w->net, &c->img, probs, &err) != NS_OK || differing(c, probs) != 0)
                w->failures++;
            free(probs);
        }
    return NULL;
}

static void test_threads_share_a_network(case_t *cases, int n_cases)
{
    ns_nn *net = load();
    pthread_t tid[THREADS];
    worker_t w[THREADS];
    for (int t = 0; t < THREADS; t++) {
        w[t] = (worker_t){.net = net, .cases = cases, .n_cases = n_cases, .first = t % n_cases};
        CHECK(pthread_create(&tid[t], NULL, predict_rounds, &w[t]) == 0);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(tid[t], NULL);
        CHECK_MSG(w[t].failures == 0, "thread %d: %zu predictions failed or differed", t, w[t].failures);
    }
    ns_nn_free(net);
}

int main(void)
{
    case_t cases[N_CASES];
    memset(cases, 0, sizeof cases);
    const char *rel[3] = {IMAGE_MID, IMAGE_LARGE, IMAGE_SMALL};
    int ready = 1;
    for (int i = 0; i < 3; i++) ready &= nn_test_read_image(rel[i], &cases[i].img);
    if (ready) ready = crop_rows(&cases[3], &cases[0].img, 256);
    for (int i = 0; ready && i < N_CASES; i++) ready &= predict_first(&cases[i]);
    CHECK_MSG(ready, "could not read the test images or predict them once");
    if (ready) {
        fprintf(stderr, "-- test_reuse_across_shapes\n");
        test_reuse_across_shapes(cases, N_CASES);
        fprintf(stderr, "-- test_threads_share_a_network\n");
        test_threads_share_a_network(cases, N_CASES);
    }
    for (int i = 0; i < N_CASES; i++) {
        free(cases[i].expected);
        ns_image_free(&cases[i].img);
    }
    return check_report();
}
