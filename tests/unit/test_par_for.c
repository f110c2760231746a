/* test_par_for.c — tasks on lent idle cores (util/par_for.c, util/idle_cores.c). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "nucseg/fsutil.h"
#include "util/idle_cores.h"
#include "util/par_for.h"

#define NTASKS 64

typedef struct {
    atomic_int runs[NTASKS];  /* times each task ran */
    /* 0, or the number of threads whose first task waits until each of them has begun
     * one: then every helper certainly runs a task, whatever the scheduler does. */
    int rendezvous;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int slots_begun;          /* bit per slot that has begun a task */
    int slot_of[NTASKS];      /* which slot ran it */
    atomic_int busy[NS_PAR_SLOTS]; /* tasks of a slot running now: never more than 1 */
    int overlap;              /* a slot ran two tasks at once */
    size_t fail_from;         /* tasks from here on fail (NTASKS: none) */
} tally;

static ns_status count_task(void *ctx, size_t i, int slot, ns_error *err)
{
    tally *t = ctx;
    if (atomic_fetch_add(&t->busy[slot], 1) != 0) t->overlap = 1;
    atomic_fetch_add(&t->runs[i], 1);
    t->slot_of[i] = slot;
    if (t->rendezvous) {
        pthread_mutex_lock(&t->mu);
        t->slots_begun |= 1 << slot;
        pthread_cond_broadcast(&t->cv);
        while (__builtin_popcount((unsigned)t->slots_begun) < t->rendezvous) pthread_cond_wait(&t->cv, &t->mu);
        pthread_mutex_unlock(&t->mu);
    }
    atomic_fetch_sub(&t->busy[slot], 1);
    if (i >= t->fail_from) return ns_error_set(err, NS_ERR_IO, "task %zu failed", i);
    return NS_OK;
}

static void test_plain_loop_without_idle_cores(void)
{
    tally t;
    memset(&t, 0, sizeof t);
    t.fail_from = NTASKS;
    ns_error err;
    int slots = 0;
    CHECK_OK(ns_par_for(NTASKS, count_task, &t, NULL, &slots, &err), err);
    CHECK_MSG(slots == 1, "no idle core, yet %d threads", slots);
    for (int i = 0; i < NTASKS; i++) CHECK_MSG(t.runs[i] == 1 && t.slot_of[i] == 0, "task %d", i);
    /* A counter with nothing free lends nothing either. */
    ns_idle_cores *c = ns_idle_cores_create();
    CHECK(c != NULL);
    memset(&t, 0, sizeof t);
    t.fail_from = NTASKS;
    CHECK_OK(ns_par_for(NTASKS, count_task, &t, c, &slots, &err), err);
    CHECK_MSG(slots == 1, "0 idle cores, yet %d threads", slots);
    ns_idle_cores_destroy(c);
}

static void test_helpers_on_idle_cores(void)
{
    ns_idle_cores *c = ns_idle_cores_create();
    CHECK(c != NULL);
    if (!c) return;
    ns_idle_cores_add(c, 2);
    tally t;
    memset(&t, 0, sizeof t);
    t.fail_from = NTASKS;
    /* The caller starts both helpers before its first task (it claims the cores first);
     * each thread's first task then waits for the other two to begin one. */
    t.rendezvous = 3;
    pthread_mutex_init(&t.mu, NULL);
    pthread_cond_init(&t.cv, NULL);
    ns_error err;
    int slots = 0;
    CHECK_OK(ns_par_for(NTASKS, count_task, &t, c, &slots, &err), err);
    pthread_mutex_destroy(&t.mu);
    pthread_cond_destroy(&t.cv);
    CHECK_MSG(slots == 3, "2 idle cores lent, %d threads used", slots);
    int by_slot[NS_PAR_SLOTS] = {0};
    for (int i = 0; i < NTASKS; i++) {
        CHECK_MSG(t.runs[i] == 1, "task %d ran %d times", i, t.runs[i]);
        by_slot[t.slot_of[i]]++;
    }
    CHECK_MSG(by_slot[1] > 0 && by_slot[2] > 0, "helpers ran %d and %d tasks", by_slot[1], by_slot[2]);
    CHECK(!t.overlap);
    CHECK_MSG(atomic_load(&c->free) == 2, "%d of 2 cores given back", atomic_load(&c->free));
    /* One task: no helper (nothing left for it). */
    memset(&t, 0, sizeof t);
    t.fail_from = NTASKS;
    CHECK_OK(ns_par_for(1, count_task, &t, c, &slots, &err), err);
    CHECK_MSG(slots == 1 && t.runs[0] == 1, "one task: %d threads", slots);
    ns_idle_cores_destroy(c);
}

static void test_failure_stops_and_names_lowest_task(void)
{
    for (int lend = 0; lend < 2; lend++) {
        ns_idle_cores *c = ns_idle_cores_create();
        ns_idle_cores_add(c, lend ? 3 : 0);
        tally t;
        memset(&t, 0, sizeof t);
        t.fail_from = 10;
        ns_error err;
        ns_error_clear(&err);
        ns_status st = ns_par_for(NTASKS, count_task, &t, c, NULL, &err);
        CHECK_MSG(st == NS_ERR_IO && strcmp(err.message, "task 10 failed") == 0,
                  "lend %d: status %d, \"%s\"", lend, (int)st, err.message);
        int ran = 0;
        for (int i = 0; i < NTASKS; i++) ran += t.runs[i];
        /* Tasks already taken finish; no new ones start after the failure. Alone, that is
         * exactly tasks 0-10; with helpers, how many others took a task meanwhile is the
         * scheduler's business, not something to test. */
        if (!lend) CHECK_MSG(ran == 11, "alone: %d tasks ran, want 0-10", ran);
        for (int i = 0; i < 10; i++) CHECK_MSG(t.runs[i] == 1, "lend %d: task %d", lend, i);
        for (int i = 0; i < NTASKS; i++) CHECK_MSG(t.runs[i] <= 1, "lend %d: task %d ran twice", lend, i);
        ns_idle_cores_destroy(c);
    }
}

/* Files written by helpers go into the caller's deferred commits, like the caller's own:
 * none takes its final name before the list is run. */
typedef struct {
    const char *dir;
    ns_commit_list *list; /* the caller's */
    atomic_int helper_tasks;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int slots_begun; /* bit per slot; each slot's first task waits for all 3 */
} file_tasks;

static ns_status write_task_file(void *ctx, size_t i, int slot, ns_error *err)
{
    file_tasks *f = ctx;
    if (slot) atomic_fetch_add(&f->helper_tasks, 1);
    char name[32];
    snprintf(name, sizeof name, "f%zu.txt", i);
    char *path = ns_path_join(f->dir, name);
    if (!path) return ns_error_set(err, NS_ERR_NOMEM, "path");
    pthread_mutex_lock(&f->mu);
    f->slots_begun |= 1 << slot;
    pthread_cond_broadcast(&f->cv);
    while (__builtin_popcount((unsigned)f->slots_begun) < 3) pthread_cond_wait(&f->cv, &f->mu);
    pthread_mutex_unlock(&f->mu);
    ns_status st = ns_write_file_atomic_to(path, name, strlen(name), f->list, err);
    free(path);
    return st;
}

static void test_helpers_commit_as_the_caller(void)
{
    char dir[] = "/tmp/nucseg_parfor_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    ns_idle_cores *c = ns_idle_cores_create();
    ns_idle_cores_add(c, 2);
    static ns_commit_list list;
    file_tasks f = {.dir = dir, .list = &list};
    atomic_init(&f.helper_tasks, 0);
    pthread_mutex_init(&f.mu, NULL);
    pthread_cond_init(&f.cv, NULL);
    ns_error err;
    enum { FILES = 6 };
    CHECK_OK(ns_par_for(FILES, write_task_file, &f, c, NULL, &err), err);
    CHECK_MSG(atomic_load(&f.helper_tasks) > 0, "no task ran on a helper");
    CHECK_MSG(list.count == FILES, "%d of %d files recorded for the caller", list.count, FILES);
    CHECK_OK(ns_commit_list_run(&list, &err), err);
    for (int i = 0; i < FILES; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%d.txt", i);
        char *path = ns_path_join(dir, name);
        CHECK_MSG(ns_file_exists(path), "%s", name);
        unlink(path);
        free(path);
    }
    rmdir(dir);
    ns_idle_cores_destroy(c);
}

int main(void)
{
    RUN(test_plain_loop_without_idle_cores);
    RUN(test_helpers_on_idle_cores);
    RUN(test_failure_stops_and_names_lowest_task);
    RUN(test_helpers_commit_as_the_caller);
    return check_report();
}
