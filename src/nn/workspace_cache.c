/* workspace_cache.c — one window workspace kept with each network, reused by the next
 * prediction of the same window shape.
 *
 * Building a workspace (oneDNN primitives, reordered weights, about 77 bytes per window
 * pixel of buffers) costs little beside the network when freed memory stays in the
 * heap, as nucseg's workers arrange (alloc_tune.c); a process that keeps glibc's
 * defaults, as the Python module does, got its buffers from fresh mmap()s each time,
 * and a 256² image took 10 ms instead of 6. Keeping the last workspace with the network
 * costs its memory for the network's lifetime: 5 MB for 256² images, 92 MB for the
 * largest window (1088²).
 *
 * An ns_nn may be shared by threads: the one that finds the cache free takes it; any
 * other builds a workspace of its own for that call, as before (never waits). */
#include <pthread.h>
#include <stdlib.h>

#include "nn/nn_internal.h"

struct nn_cache {
    pthread_mutex_t lock;
    nn_workspace *ws;  /* NULL, or a workspace for h x w windows */
    int h, w;
};

ns_status nn_cache_new(nn_cache **out)
{
    nn_cache *c = calloc(1, sizeof *c);
    if (!c) return NS_ERR_NOMEM;
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return NS_ERR_NOMEM;
    }
    *out = c;
    return NS_OK;
}

void nn_cache_free(nn_cache *c)
{
    if (!c) return;
    nn_workspace_free(c->ws);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

ns_status nn_workspace_acquire(const ns_nn *net, int h, int w, nn_workspace **ws, int *kept, ns_error *err)
{
    nn_cache *c = net->cache;
    *kept = 0;
    if (c && pthread_mutex_trylock(&c->lock) == 0) {
        if (c->ws && (c->h != h || c->w != w)) {
            nn_workspace_free(c->ws);
            c->ws = NULL;
        }
        ns_status st = c->ws ? NS_OK : nn_workspace_alloc(net, h, w, &c->ws, err);
        if (st != NS_OK) {
            pthread_mutex_unlock(&c->lock);
            return st;
        }
        c->h = h;
        c->w = w;
        *ws = c->ws;
        *kept = 1;
        return NS_OK;
    }
    return nn_workspace_alloc(net, h, w, ws, err);
}

void nn_workspace_release(const ns_nn *net, nn_workspace *ws, int kept)
{
    if (kept) pthread_mutex_unlock(&net->cache->lock);
    else nn_workspace_free(ws);
}
