/* cmd_report.c — `nucseg report DIR`: the report of `nucseg run` for folders the
 * stages were run into one by one (a workflow's well): DIR/report.html from
 * DIR/segmentation, DIR/mapping and DIR/optimizer_benchmark, and the summary. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "cli/run_report.h"
#include "nucseg/batch.h"
#include "nucseg/fsutil.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: nucseg report DIR\n"
        "\n"
        "Write DIR/report.html, as `nucseg run` does, from what the stages left in\n"
        "DIR/segmentation (nucseg segment), DIR/mapping (nucseg map) and, when there,\n"
        "DIR/optimizer_benchmark (nucseg bench-opt); print the summary. With one\n"
        "magnification in DIR/segmentation the report says that mapping needs both.\n"
        "\n"
        "exit status: 0 report written; 2 usage error; 3 DIR has no segmentation or the\n"
        "report cannot be written.\n");
}

int cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'h') { usage(stdout); return NS_EXIT_OK; }
        usage(stderr);
        return NS_EXIT_USAGE;
    }
    if (argc - optind != 1) {
        usage(stderr);
        return NS_EXIT_USAGE;
    }
    const char *dir = argv[optind];
    char *seg = ns_path_join(dir, "segmentation"), *map = ns_path_join(dir, "mapping");
    char *opt = ns_path_join(dir, "optimizer_benchmark"), *summary = seg ? ns_path_join(seg, "segmentation_summary.json") : NULL;
    int rc = NS_EXIT_OK;
    if (!seg || !map || !opt || !summary) {
        fprintf(stderr, "nucseg report: out of memory\n");
        rc = NS_EXIT_FATAL;
    } else if (!ns_file_exists(summary)) {
        fprintf(stderr, "nucseg report: %s: no segmentation summary (run nucseg segment -o %s first)\n", summary, seg);
        rc = NS_EXIT_FATAL;
    } else {
        char why[256] = "";
        int unmapped = ns_run_mapping_unneeded(seg, why, sizeof why);
        ns_run_paths paths = {dir, NULL, seg, map, opt, unmapped ? why : NULL};
        ns_error err;
        if (ns_run_report_write(&paths, -1.0, NS_EXIT_OK, stdout, &err) != NS_OK) {
            fprintf(stderr, "nucseg report: %s\n", err.message);
            rc = NS_EXIT_FATAL;
        }
    }
    free(seg); free(map); free(opt); free(summary);
    return rc;
}
