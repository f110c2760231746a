/* cmd_summary.c — `nucseg summary OUT`: one summary of the shards that wrote into OUT. */
#include <stdio.h>
#include <string.h>
#include "cli/commands.h"
#include "nucseg/batch.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: nucseg summary OUT\n"
        "\n"
        "Merge the summaries of the shards that segmented into OUT ('nucseg segment --shard K/N'),\n"
        "OUT/segmentation_summary.shard-K-of-N.json, into OUT/segmentation_summary.json, and say\n"
        "which shards have not finished and how many images no shard has done yet.\n"
        "exit status: 0 every image done and none failed; 1 some failed or not done yet;\n"
        "2 usage error; 3 no shard summaries in OUT (or one unreadable).\n");
}

int cmd_summary(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return NS_EXIT_OK;
    }
    if (argc != 2 || argv[1][0] == '-') {
        usage(stderr);
        return NS_EXIT_USAGE;
    }
    const char *out = argv[1];
    ns_merged_summary m;
    ns_error err;
    if (ns_merge_shard_summaries(out, &m, &err) != NS_OK) {
        fprintf(stderr, "nucseg summary: %s\n", err.message);
        return NS_EXIT_FATAL;
    }
    printf("nucseg summary: %d of %d shards done; %zu of %zu images: %zu ok, %zu skipped (complete), "
           "%zu failed, %zu not done yet; %zu nuclei\n",
           m.shards - m.shards_missing, m.shards, m.images_listed, m.inputs_total, m.ok, m.skipped, m.failed,
           m.not_done, m.nuclei);
    printf("nucseg summary: %s/segmentation_summary.json\n", out);
    return m.failed || m.not_done || m.shards_missing ? NS_EXIT_SOME_FAILED : NS_EXIT_OK;
}
