/* shard_arg.c — the value of --shard: "K/N", or "slurm" for this task of a SLURM job array. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli_args.h"

/* Opt-in rather than read whenever SLURM_ARRAY_TASK_ID is set: an array whose tasks each
 * segment a different plate must not silently segment a share of each. */
static int slurm_shard(int *k, int *n, char *msg, size_t len)
{
    const char *id = getenv("SLURM_ARRAY_TASK_ID"), *lo = getenv("SLURM_ARRAY_TASK_MIN");
    const char *cnt = getenv("SLURM_ARRAY_TASK_COUNT"), *hi = getenv("SLURM_ARRAY_TASK_MAX");
    int i, mn, c, mx;
    if (!id || !lo || !cnt || !hi || !ns_arg_int(id, 0, 1 << 30, &i) || !ns_arg_int(lo, 0, 1 << 30, &mn) ||
        !ns_arg_int(cnt, 1, 1 << 30, &c) || !ns_arg_int(hi, 0, 1 << 30, &mx)) {
        snprintf(msg, len, "--shard slurm: not a SLURM job array task (SLURM_ARRAY_TASK_ID, _MIN, _MAX, _COUNT)");
        return 0;
    }
    if (mx - mn + 1 != c || i < mn || i > mx) {
        snprintf(msg, len, "--shard slurm: the array's task ids %d-%d are not one unbroken range of %d; "
                 "use --shard K/N", mn, mx, c);
        return 0;
    }
    *k = i - mn + 1;
    *n = c;
    return 1;
}

int ns_arg_shard(const char *s, int *k, int *n, char *msg, size_t len)
{
    if (!strcmp(s, "slurm")) return slurm_shard(k, n, msg, len);
    char buf[64];
    const char *slash = strchr(s, '/');
    if (slash && (size_t)(slash - s) < sizeof buf) {
        memcpy(buf, s, (size_t)(slash - s));
        buf[slash - s] = 0;
        if (ns_arg_int(buf, 1, 1 << 20, k) && ns_arg_int(slash + 1, 1, 1 << 20, n) && *k <= *n) return 1;
    }
    snprintf(msg, len, "--shard wants K/N with 1 <= K <= N (e.g. 3/16) or 'slurm', not '%s'", s);
    return 0;
}
