/* par_for.c — independent tasks on the caller and on borrowed idle cores (par_for.h). */
#include <pthread.h>
#include <stdatomic.h>
#include "util/idle_cores.h"
#include "util/par_for.h"

typedef struct {
    ns_par_task task;
    void *ctx;
    size_t n;
    atomic_size_t next;   /* the next task to take */
    atomic_int stop;      /* a task failed: take no more */
    pthread_mutex_t mu;   /* guards the failure below */
    size_t failed_task;   /* lowest failed task, n when none */
    ns_status failed_status;
    ns_error failure;
} par_loop;

typedef struct {
    par_loop *loop;
    int slot;
} par_helper;

/* Take the next task and run it; 0 when none is left or one has failed. */
static int run_one(par_loop *l, int slot)
{
    if (atomic_load(&l->stop)) return 0;
    size_t i = atomic_fetch_add(&l->next, 1);
    if (i >= l->n) return 0;
    ns_error err;
    ns_error_clear(&err);
    ns_status st = l->task(l->ctx, i, slot, &err);
    if (st == NS_OK) return 1;
    pthread_mutex_lock(&l->mu);
    if (i < l->failed_task) {
        l->failed_task = i;
        l->failed_status = st;
        l->failure = err;
    }
    pthread_mutex_unlock(&l->mu);
    atomic_store(&l->stop, 1);
    return 0;
}

static void *helper_main(void *arg)
{
    par_helper *h = arg;
    while (run_one(h->loop, h->slot)) {}
    return NULL;
}

ns_status ns_par_for(size_t n, ns_par_task task, void *ctx, ns_idle_cores *idle, int *slots_used, ns_error *err)
{
    par_loop l = {.task = task, .ctx = ctx, .n = n, .failed_task = n};
    atomic_init(&l.next, 0);
    atomic_init(&l.stop, 0);
    pthread_mutex_init(&l.mu, NULL);
    ns_error_clear(&l.failure);
    pthread_t tid[NS_PAR_SLOTS];
    par_helper helpers[NS_PAR_SLOTS];
    int slots = 1;
    do {
        /* A core that fell idle since the last task: put a helper on it (only while a
         * task is left for it besides the one the caller takes next). */
        while (slots < NS_PAR_SLOTS && atomic_load(&l.next) + 1 < n && ns_idle_core_claim(idle)) {
            helpers[slots] = (par_helper){.loop = &l, .slot = slots};
            if (pthread_create(&tid[slots], NULL, helper_main, &helpers[slots]) != 0) {
                ns_idle_core_release(idle); /* cannot start one: go on alone */
                break;
            }
            slots++;
        }
    } while (run_one(&l, 0));
    for (int s = 1; s < slots; s++) {
        pthread_join(tid[s], NULL);
        ns_idle_core_release(idle);
    }
    pthread_mutex_destroy(&l.mu);
    if (slots_used) *slots_used = slots;
    if (l.failed_task < n) {
        if (err) *err = l.failure;
        return l.failed_status;
    }
    return NS_OK;
}
