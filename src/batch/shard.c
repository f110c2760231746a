/* shard.c — --shard K/N: which inputs are shard K's. Every shard computes the same
 * split from the same listing, without talking to the others: largest first, each
 * input goes to the shard with the least work so far (ties: the lowest shard), so
 * shards end up within one image of each other in bytes to read. */
#include <stdlib.h>
#include "batch/collisions.h"
#include "nucseg/batch.h"


static int by_cost_then_index(const void *a, const void *b, void *jobs)
{
    const ns_job_list *all = jobs;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    uint64_t cx = all->items[x].cost, cy = all->items[y].cost;
    if (cx != cy) return cx > cy ? -1 : 1;
    return (x > y) - (x < y);
}

ns_status ns_jobs_shard(const ns_job_list *all, int k, int n, ns_job_list *mine, ns_error *err)
{
    if (n < 1 || k < 1 || k > n) return ns_error_set(err, NS_ERR_INVALID, "shard %d/%d: want 1 <= K <= N", k, n);
    long *same_as = malloc((all->count ? all->count : 1) * sizeof *same_as);
    size_t *ord = malloc((all->count ? all->count : 1) * sizeof *ord);
    int *shard_of = malloc((all->count ? all->count : 1) * sizeof *shard_of);
    uint64_t *load = calloc((size_t)n, sizeof *load);
    ns_status st = NS_OK;
    if (!same_as || !ord || !shard_of || !load || ns_jobs_output_collisions(all, same_as) < 0) {
        st = ns_error_set(err, NS_ERR_NOMEM, "shard %d/%d: out of memory for %zu inputs", k, n, all->count);
        goto done;
    }
    size_t m = 0;
    for (size_t i = 0; i < all->count; i++)
        if (same_as[i] < 0) ord[m++] = i;
    qsort_r(ord, m, sizeof *ord, by_cost_then_index, (void *)all);
    for (size_t i = 0; i < m; i++) {
        int best = 0;
        for (int s = 1; s < n; s++)
            if (load[s] < load[best]) best = s;
        /* An empty image still costs a file to open: count it as 1 byte. */
        load[best] += all->items[ord[i]].cost ? all->items[ord[i]].cost : 1;
        shard_of[ord[i]] = best;
    }
    for (size_t i = 0; i < all->count && st == NS_OK; i++) {
        /* A colliding input follows the one whose outputs it would overwrite. */
        int s = same_as[i] < 0 ? shard_of[i] : shard_of[same_as[i]];
        if (s == k - 1) st = ns_jobs_add_sized(mine, all->items[i].path, all->items[i].mag, all->items[i].cost, err);
    }
done:
    free(same_as); free(ord); free(shard_of); free(load);
    return st;
}
