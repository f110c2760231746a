/* idle_cores.c — the shared count of a batch's idle cores (see idle_cores.h). */
#include <stddef.h>
#include <sys/mman.h>
#include "util/idle_cores.h"

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the counter is shared between processes: it must be lock-free");

ns_idle_cores *ns_idle_cores_create(void)
{
    void *p = mmap(NULL, sizeof(ns_idle_cores), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    ns_idle_cores *c = p;
    atomic_init(&c->free, 0);
    return c;
}

void ns_idle_cores_destroy(ns_idle_cores *c)
{
    if (c) munmap(c, sizeof *c);
}

void ns_idle_cores_add(ns_idle_cores *c, int delta)
{
    if (c && delta) atomic_fetch_add(&c->free, delta);
}

int ns_idle_core_claim(ns_idle_cores *c)
{
    if (!c) return 0;
    int n = atomic_load_explicit(&c->free, memory_order_relaxed);
    while (n > 0)
        if (atomic_compare_exchange_weak(&c->free, &n, n - 1)) return 1;
    return 0;
}

void ns_idle_core_release(ns_idle_cores *c)
{
    if (c) atomic_fetch_add(&c->free, 1);
}
