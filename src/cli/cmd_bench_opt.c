/* cmd_bench_opt.c — PLACEHOLDER until its owner lands the real command. */
#include <stdio.h>
#include "cli/commands.h"
int cmd_bench_opt(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "nucseg: not built yet\n");
    return 3;
}
