/* run_report.h — the end of `nucseg run`: one report.html linking every stage's
 * tables and plots, and the short summary printed to the terminal. */
#ifndef NUCSEG_CLI_RUN_REPORT_H
#define NUCSEG_CLI_RUN_REPORT_H

#include <stdio.h>
#include "nucseg/error.h"

typedef struct {
    const char *out;   /* OUT: report.html goes here */
    const char *plate; /* synthetic plate folder, or NULL when the user gave DATA_DIR */
    const char *seg;   /* OUT/segmentation */
    const char *map;   /* OUT/mapping */
    const char *opt;   /* OUT/optimizer_benchmark */
    const char *unmapped; /* why mapping and the benchmark did not run (one magnification), or NULL */
} ns_run_paths;

/* Whether the segmentation in seg_dir (its summary) has images of one magnification
 * only, so that mapping, which pairs 40X with 10X tiles, has nothing to do; why says
 * so in a sentence. 0 when both are there, or the summary cannot be read (the mapping
 * stage then reports the problem itself). */
int ns_run_mapping_unneeded(const char *seg_dir, char *why, size_t why_size);

/* Reads what the stages wrote, writes OUT/report.html atomically and prints the
 * summary to `summary`. Stages that did not run are reported as such. wall_s < 0: the
 * stages ran apart (`nucseg report`), no total time. */
ns_status ns_run_report_write(const ns_run_paths *paths, double wall_s, int exit_status,
                              FILE *summary, ns_error *err);

#endif
