/* collisions.c — see collisions.h. Sorting pointers to the jobs by output key puts
 * colliding jobs side by side; ties keep job order (the array's address order), so the
 * first job of a group in job order is the one that keeps the outputs. */
#include "batch/collisions.h"

#include <stdlib.h>
#include <string.h>

static int by_output_key(const void *a, const void *b)
{
    const ns_job *x = *(const ns_job *const *)a, *y = *(const ns_job *const *)b;
    if (x->mag != y->mag) return x->mag < y->mag ? -1 : 1;
    int c = strcmp(x->well, y->well);
    if (c) return c;
    c = strcmp(x->stem, y->stem);
    if (c) return c;
    return (x > y) - (x < y);
}

static int same_outputs(const ns_job *x, const ns_job *y)
{
    return x->mag == y->mag && !strcmp(x->well, y->well) && !strcmp(x->stem, y->stem);
}

long ns_jobs_output_collisions(const ns_job_list *jobs, long *same_as)
{
    for (size_t i = 0; i < jobs->count; i++) same_as[i] = -1;
    if (jobs->count < 2) return 0;
    const ns_job **by_key = malloc(jobs->count * sizeof *by_key);
    if (!by_key) return -1;
    for (size_t i = 0; i < jobs->count; i++) by_key[i] = &jobs->items[i];
    qsort(by_key, jobs->count, sizeof *by_key, by_output_key);
    long n = 0;
    size_t first = 0;
    for (size_t i = 1; i < jobs->count; i++) {
        if (!same_outputs(by_key[i], by_key[first])) {
            first = i;
            continue;
        }
        same_as[by_key[i] - jobs->items] = (long)(by_key[first] - jobs->items);
        n++;
    }
    free(by_key);
    return n;
}
