/* segment_options.h — the command line of `nucseg segment`, parsed (segment_options.c). */
#ifndef NUCSEG_CLI_SEGMENT_OPTIONS_H
#define NUCSEG_CLI_SEGMENT_OPTIONS_H

#include <stdio.h>
#include "dist/dist.h"
#include "nucseg/batch.h"

/* What the command line asks for; jobs and all are owned (ns_jobs_free), model too. */
typedef struct {
    ns_batch_options opt;
    ns_job_list jobs;
    const char *input;
    int have_mag, explicit_lists;
    ns_magnification mag, list_mag; /* list_mag: the list (--10x, --40x) that files go to */
    double diam, d10, d40;
    int workers_given;
    int shard_k, shard_n; /* shard_n 0: no --shard */
    char shard_tag[64];
    ns_job_list all;      /* every input, when a shard keeps only its share in jobs */
    ns_dist *dist;        /* under mpirun / srun */
    const char *name_pattern, *only_well;
    int list_wells;
    const char *model_spec; /* --model */
    struct ns_nn *model;    /* loaded from model_spec; owned (ns_nn_free) */
} segment_args;

/* The command line into a (files after --10x / --40x into a->jobs): -1 when the
 * command should run, else the exit status. */
int ns_segment_parse_options(int argc, char **argv, segment_args *a);
void ns_segment_usage(FILE *f);

#endif
