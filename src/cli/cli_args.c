/* cli_args.c — see cli_args.h. */
#include "cli/cli_args.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nucseg/batch.h"

int ns_arg_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return 0;
    *out = (int)v;
    return 1;
}

int ns_arg_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

int ns_arg_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || strchr(s, '-')) return 0;
    *out = (uint64_t)v;
    return 1;
}

int ns_arg_workers(const char *s, int *out)
{
    if (!strcmp(s, "all")) {
        *out = ns_usable_cpus();
        return 1;
    }
    return ns_arg_int(s, 1, NS_ARG_MAX_WORKERS, out);
}
