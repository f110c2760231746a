/* segment_wells.h — `nucseg segment --well W` and `--list-wells`: one well of the inputs. */
#ifndef NUCSEG_CLI_SEGMENT_WELLS_H
#define NUCSEG_CLI_SEGMENT_WELLS_H

#include "nucseg/batch.h"

/* Keep only the jobs of well (a workflow's job segments one well); the others are freed. */
void ns_cli_keep_well(ns_job_list *jobs, const char *well);
/* The distinct wells of jobs, sorted, one a line on stdout; the exit status. */
int ns_cli_print_wells(const ns_job_list *jobs);

#endif
