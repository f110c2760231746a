/* segment_wells.c — see segment_wells.h. */
#include "cli/segment_wells.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/commands.h"

void ns_cli_keep_well(ns_job_list *jobs, const char *well)
{
    size_t kept = 0;
    for (size_t i = 0; i < jobs->count; i++) {
        if (!strcmp(jobs->items[i].well, well)) {
            jobs->items[kept++] = jobs->items[i];
        } else {
            ns_job *j = &jobs->items[i];
            free(j->path); free(j->well); free(j->stem); free(j->plate); free(j->tile);
        }
    }
    jobs->count = kept;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ns_cli_print_wells(const ns_job_list *jobs)
{
    const char **w = malloc((jobs->count ? jobs->count : 1) * sizeof *w);
    if (!w) {
        fprintf(stderr, "nucseg segment: out of memory\n");
        return NS_EXIT_FATAL;
    }
    for (size_t i = 0; i < jobs->count; i++) w[i] = jobs->items[i].well;
    qsort(w, jobs->count, sizeof *w, by_string);
    for (size_t i = 0; i < jobs->count; i++)
        if (i == 0 || strcmp(w[i], w[i - 1])) printf("%s\n", w[i]);
    free(w);
    return NS_EXIT_OK;
}
