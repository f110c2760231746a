/* commands.h — one function per subcommand, each in its own cmd_<name>.c file,
 * git-style: parse options, call the library, print, return the exit status. */
#ifndef NUCSEG_CLI_COMMANDS_H
#define NUCSEG_CLI_COMMANDS_H

#include "util/exit_codes.h"

int cmd_segment(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_bench_opt(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
