/* cmd_map.c — PLACEHOLDER until its owner lands the real command. */
#include <stdio.h>
#include "cli/commands.h"
int cmd_map(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "nucseg: not built yet\n");
    return 3;
}
