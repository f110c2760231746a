/* process_image.c — one image, start to finish, in the calling process: read,
 * segment, write every output atomically. Used by each pool worker and by the
 * benchmark's sequential baseline. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "batch/outputs.h"
#include "batch/process_image.h"
#include "batch/resume.h"
#include "batch/units.h"
#include "nucseg/batch.h"
#include "nucseg/fsutil.h"
#include "util/clock.h"

void ns_batch_options_default(ns_batch_options *o)
{
    memset(o, 0, sizeof *o);
    o->out_dir = "results/segmentation_output";
    o->workers = ns_default_workers();
    o->timeout_s = 0;
    o->channel = 0;
    o->max_pixels = 0;
    ns_segment_params_preset(&o->params_10x, NS_MAG_10X);
    ns_segment_params_preset(&o->params_40x, NS_MAG_40X);
    ns_segment_params_preset(&o->params_unknown, NS_MAG_UNKNOWN);
    o->progress = NS_PROGRESS_AUTO;
    o->write_summary = 1;
}

/* Test hook for fault isolation: NUCSEG_FAULT_INJECT="KIND:STEM" where KIND is
 * "crash" (the process handling STEM dies on SIGSEGV), "hang" (it sleeps forever
 * while computing) or "hang-save" (its saver thread sleeps forever before STEM's
 * outputs take their final names). Only the tests set it; one getenv per image. */
int ns_fault_injected(const char *kind, const ns_job *job)
{
    const char *f = getenv("NUCSEG_FAULT_INJECT");
    size_t k = strlen(kind);
    return f && !strncmp(f, kind, k) && f[k] == ':' && !strcmp(f + k + 1, job->stem);
}

static void maybe_inject_fault(const ns_job *job)
{
    if (ns_fault_injected("crash", job)) {
        signal(SIGSEGV, SIG_DFL); /* a real crash, even under a sanitizer's handler */
        raise(SIGSEGV);
    }
    if (ns_fault_injected("hang", job))
        for (;;) pause();
}

static const ns_segment_params *params_for(const ns_batch_options *opt, ns_magnification m)
{
    return m == NS_MAG_10X ? &opt->params_10x : m == NS_MAG_40X ? &opt->params_40x : &opt->params_unknown;
}

ns_status ns_process_image(const ns_job *job, const ns_batch_options *opt, ns_job_result *res, ns_error *err)
{
    ns_image_run alone = {0};
    return ns_process_image_as(job, opt, &alone, res, err);
}

ns_status ns_process_image_as(const ns_job *job, const ns_batch_options *opt, const ns_image_run *how,
                              ns_job_result *res, ns_error *err)
{
    ns_commit_list *pending = how->pending;
    if (pending) pending->count = 0;
    double t0 = ns_clock_ms();
    ns_output_paths_t paths;
    ns_status st = ns_output_paths(job, opt->out_dir, &paths, err);
    ns_segment_params eff = *params_for(opt, job->mag); /* and the diameter from --diameter-um */
    ns_pixel_size_um px = {0};
    if (st == NS_OK) st = ns_job_units(job, opt, params_for(opt, job->mag), &eff, &px, err);
    const ns_segment_params *prm = &eff;
    size_t done_nuclei = 0;
    if (st == NS_OK && opt->resume && ns_outputs_reusable(job, &paths, opt->channel, prm, &done_nuclei)) {
        res->status = NS_OK;
        res->skipped = 1;
        res->nuclei = done_nuclei; /* the batch's totals count what the earlier run found */
        return NS_OK;
    }
    maybe_inject_fault(job);
    ns_image img = {0};
    ns_image_info info = {0};
    ns_segmentation seg = {0};
    if (st == NS_OK) st = ns_image_read(job->path, opt->channel, opt->max_pixels, &img, err);
    if (st == NS_OK) { /* what the metadata records of the input, from the plane read */
        info.width = img.width;
        info.height = img.height;
        info.type = img.type;
    }
    double read_ms = ns_clock_ms() - t0;
    if (st == NS_OK) {
        st = ns_segment_lent(&img, prm, how->idle, &seg, err);
        if (st != NS_OK) ns_error_prefix(err, "%s", job->path);
    }
    double write_ms = 0;
    if (st == NS_OK) {
        st = ns_write_outputs(job, &info, opt->channel, prm, &seg, &paths, &px, how, read_ms, &write_ms, err);
        if (st != NS_OK && pending) ns_commit_list_abort(pending); /* no half set left behind */
    }
    res->status = st;
    res->nuclei = st == NS_OK ? seg.count : 0;
    res->ms = ns_clock_ms() - t0;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) res->maxrss_kb = ru.ru_maxrss;
    if (st != NS_OK && err) {
        /* Keep the reason's start; a message longer than the slot is cut, not lost. */
        size_t len = strnlen(err->message, sizeof res->message - 1);
        memcpy(res->message, err->message, len);
        res->message[len] = 0;
    }
    ns_segmentation_free(&seg);
    ns_image_free(&img);
    return st;
}
