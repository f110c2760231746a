/* bench_common.h — small helpers shared by the bench/ programs (each bench/ .c file is its own
 * program, so these are static functions in a header rather than a library module). */
#ifndef NUCSEG_BENCH_COMMON_H
#define NUCSEG_BENCH_COMMON_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nucseg/error.h"

/* Monotonic clock in milliseconds: immune to wall-clock adjustments during a run. */
static inline double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* The 1-minute load average, printed with the figures: other processes on the CPUs make
 * timings pessimistic and speedups smaller, and the reader should know. */
static inline void bench_print_load(const char *when)
{
    double load[3];
    if (getloadavg(load, 3) == 3) printf("load average %s: %.2f %.2f %.2f\n", when, load[0], load[1], load[2]);
}

/* Parse a positive integer option value; 0 when it is not one. */
static inline long bench_parse_positive(const char *s)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || v <= 0) return 0;
    return v;
}

static inline int bench_rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb; (void)type; (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* rm -rf path (depth first, no symlink following); a missing path is not an error. */
static inline ns_status bench_remove_tree(const char *path, ns_error *err)
{
    if (access(path, F_OK) != 0) return NS_OK;
    if (nftw(path, bench_rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return ns_error_set(err, NS_ERR_IO, "%s: cannot remove: %s", path, strerror(errno));
    return NS_OK;
}

/* s in single quotes for /bin/sh, with embedded quotes escaped. malloc'd; NULL on no memory. */
static inline char *bench_shell_quote(const char *s)
{
    size_t n = 3;
    for (const char *p = s; *p; p++) n += *p == '\'' ? 4 : 1;
    char *q = malloc(n), *o = q;
    if (!q) return NULL;
    *o++ = '\'';
    for (const char *p = s; *p; p++) {
        if (*p == '\'') { memcpy(o, "'\\''", 4); o += 4; }
        else *o++ = *p;
    }
    *o++ = '\'';
    *o = '\0';
    return q;
}

/* The directory of a source file path such as __FILE__ ("." when it has none). malloc'd. */
static inline char *bench_dirname_of(const char *file)
{
    const char *slash = strrchr(file, '/');
    if (!slash) return strdup(".");
    return strndup(file, (size_t)(slash - file));
}

#endif
