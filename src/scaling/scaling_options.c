/* scaling_options.c — defaults of the scaling benchmark (`nucseg bench`). */
#include <string.h>

#include "nucseg/scaling.h"
#include "nucseg/segment.h"

void ns_scaling_options_default(ns_scaling_options *o)
{
    memset(o, 0, sizeof *o);
    o->images = 24;
    o->width = 1024;
    o->height = 1024;
    o->density = 0.25;   /* a quarter of the field covered by nuclei: a typical confluent well */
    o->diameter = 10.0;  /* 10X genotyping scale */
    o->repeats = 3;
    o->max_workers = 0;
    o->sizes[0] = 512;
    o->sizes[1] = 1024;
    o->sizes[2] = 2048;
    o->nsizes = 3;
    o->seed = 1;
    o->tolerance = NS_SCALING_DEFAULT_TOLERANCE;
    o->progress = 1;
}

void ns_scaling_batch_options(const ns_scaling_options *o, const char *scratch, ns_batch_options *out)
{
    ns_batch_options_default(out);
    out->out_dir = scratch;
    out->progress = NS_PROGRESS_QUIET;
    out->write_summary = 0;
    ns_segment_params_preset(&out->params_unknown, NS_MAG_UNKNOWN);
    out->params_unknown.diameter = o->diameter;
}
