/* main.c — `nucseg <command> [options]`: dispatch to cmd_<command>(). */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "nucseg/batch.h"
#include "nucseg/fsutil.h"

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"segment",   cmd_segment,   "segment 10X and 40X nuclei images in parallel"},
    {"bench",     cmd_bench,     "scaling benchmark: speedup and efficiency across worker counts"},
    {"synth",     cmd_synth,     "write a synthetic 10X/40X plate with ground truth"},
    {"map",       cmd_map,       "map 40X tiles into 10X tiles from nuclear centroids"},
    {"bench-opt", cmd_bench_opt, "benchmark L-BFGS-B against Levenberg-Marquardt on mapped tiles"},
    {"run",       cmd_run,       "the main job: (synthesise) -> segment -> map -> bench-opt -> report"},
    {"summary",   cmd_summary,   "merge the summaries of the shards (--shard K/N) that wrote into OUT"},
    {"eval",      cmd_eval,      "score label images against ground truth (F1@0.5, DSB2018 score)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: nucseg <command> [options]\n       nucseg --version | --help\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'nucseg <command> --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    ns_tune_allocator(); /* workers segment image after image: reuse their buffers */
    if (argc < 2) {
        usage(stderr);
        return NS_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return NS_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("nucseg %s\n", NUCSEG_VERSION);
        return NS_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            /* getopt names the program in its messages ("unrecognized option"): make that
             * "nucseg bench", as every other message of the command says, not "bench". */
            char prog[32];
            snprintf(prog, sizeof prog, "nucseg %s", commands[i].name);
            argv[1] = prog;
            return commands[i].fn(argc - 1, argv + 1);
        }
    fprintf(stderr, "nucseg: '%s' is not a command. See 'nucseg --help'.\n", argv[1]);
    return NS_EXIT_USAGE;
}
