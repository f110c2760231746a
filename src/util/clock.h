/* clock.h — the monotonic clock, for durations (immune to wall-clock changes):
 * in seconds and in milliseconds. */
#ifndef NUCSEG_UTIL_CLOCK_H
#define NUCSEG_UTIL_CLOCK_H

#include <time.h>

static inline double ns_clock_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static inline double ns_clock_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

#endif
