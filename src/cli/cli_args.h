/* cli_args.h — option values as the subcommands parse them: the whole string is the
 * number (no trailing text, no overflow), in range. Each returns 1 and sets *out when s
 * is valid, 0 and leaves *out alone when not; the caller names the option in its message. */
#ifndef NUCSEG_CLI_ARGS_H
#define NUCSEG_CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>

/* The most worker processes -j accepts. */
#define NS_ARG_MAX_WORKERS 4096

/* A whole number in [lo, hi]. */
int ns_arg_int(const char *s, long lo, long hi, int *out);
/* A finite number. */
int ns_arg_double(const char *s, double *out);
/* A seed: an unsigned whole number (a minus sign is refused, not wrapped around). */
int ns_arg_u64(const char *s, uint64_t *out);
/* A worker count: 1..NS_ARG_MAX_WORKERS, or "all" for every usable CPU. */
int ns_arg_workers(const char *s, int *out);
/* --shard: "K/N" with 1 <= K <= N, or "slurm" (K and N from SLURM_ARRAY_TASK_ID, _MIN, _MAX,
 * _COUNT). 0 with the whole one-line reason in msg when not valid. */
int ns_arg_shard(const char *s, int *k, int *n, char *msg, size_t len);

#endif
