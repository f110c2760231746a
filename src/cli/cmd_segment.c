/* cmd_segment.c — `nucseg segment`: find the images, run the worker pool, report. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "cli/cli_args.h"
#include "cli/commands.h"
#include "cli/segment_options.h"
#include "nucseg/nn.h"
#include "cli/segment_wells.h"
#include "dist/dist.h"
#include "nucseg/batch.h"
#include "nucseg/fsutil.h"
#include "nucseg/names.h"
#include "util/text_safe.h"

/* Set by SIGINT / SIGTERM: the batch stops, syncs and reports what was done. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

/* No SA_RESTART: the pool's poll() returns at once and sees the flag. */
static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* "nucseg segment: MESSAGE" on stderr, file names in it made printable (text_safe.h). */
static void say_error(const char *message)
{
    char *m = ns_text_printable(message);
    fprintf(stderr, "nucseg segment: %s\n", m ? m : message);
    free(m);
}

/* The images to segment: DATA_DIR's, the one FILE's, or the --10x/--40x lists. -1
 * when there are some, else the exit status. */
static int collect_jobs(segment_args *a)
{
    ns_error err;
    const char *input = a->input;
    if (input) {
        if (ns_is_dir(input)) {
            if (ns_jobs_discover(input, &a->jobs, &err) != NS_OK) {
                say_error(err.message);
                return NS_EXIT_FATAL;
            }
            if (a->have_mag)
                for (size_t i = 0; i < a->jobs.count; i++)
                    if (a->jobs.items[i].mag == NS_MAG_UNKNOWN) a->jobs.items[i].mag = a->mag;
        } else if (!ns_file_exists(input)) {
            char m[4400];
            snprintf(m, sizeof m, "%s: %s", input,
                     access(input, F_OK) == 0 ? "not a regular file (a FIFO, device or socket)" : "no such file or directory");
            say_error(m);
            return NS_EXIT_FATAL;
        } else {
            /* The classical pipeline needs the nuclei's size; the learned one reads it off
             * the image (the magnification only names the output folder then). */
            if (!a->have_mag && !a->model) {
                fprintf(stderr, "nucseg segment: %s: a single file needs --magnification 10x|40x|auto\n", input);
                return NS_EXIT_USAGE;
            }
            if (ns_jobs_add(&a->jobs, input, a->mag, &err) != NS_OK) {
                say_error(err.message);
                return NS_EXIT_FATAL;
            }
        }
    } else if (!a->explicit_lists) {
        fprintf(stderr, "nucseg segment: no input: give DATA_DIR, FILE or --10x/--40x FILE...\n");
        ns_segment_usage(stderr);
        return NS_EXIT_USAGE;
    }
    if (a->name_pattern && ns_jobs_apply_name_pattern(&a->jobs, a->name_pattern, &err) != NS_OK) {
        say_error(err.message);
        return NS_EXIT_USAGE;
    }
    if (a->jobs.count == 0) {
        char m[4400];
        snprintf(m, sizeof m, "%s: no TIFF or PNG images found", input ? input : "(file lists)");
        say_error(m);
        return NS_EXIT_FATAL;
    }
    if (a->list_wells) return ns_cli_print_wells(&a->jobs);
    if (a->only_well) {
        ns_cli_keep_well(&a->jobs, a->only_well);
        if (a->jobs.count == 0) {
            fprintf(stderr, "nucseg segment: %s: no images of well '%s' (--list-wells lists them)\n",
                    input ? input : "(file lists)", a->only_well);
            return NS_EXIT_FATAL;
        }
    }
    return -1;
}

/* With --shard, keep this shard's share of the inputs in a->jobs (all of them in a->all):
 * -1 when it has some, else the exit status (0: nothing is this shard's). */
static int take_shard(segment_args *a)
{
    if (a->shard_n == 0) return -1;
    ns_error err;
    a->all = a->jobs;
    memset(&a->jobs, 0, sizeof a->jobs);
    if (ns_jobs_shard(&a->all, a->shard_k, a->shard_n, &a->jobs, &err) != NS_OK) {
        say_error(err.message);
        return NS_EXIT_FATAL;
    }
    snprintf(a->shard_tag, sizeof a->shard_tag, "shard-%d-of-%d", a->shard_k, a->shard_n);
    a->opt.run_tag = a->shard_tag;
    a->opt.inputs_total = a->all.count;
    printf("nucseg segment: shard %d of %d: %zu of the %zu inputs\n", a->shard_k, a->shard_n, a->jobs.count,
           a->all.count);
    if (a->jobs.count > 0) return -1;
    printf("nucseg segment: nothing to do in this shard\n"); /* more shards than inputs */
    return NS_EXIT_OK;
}

/* The batch: the plan, the run, and its one-line outcome; 128 + the signal when SIGINT
 * or SIGTERM stopped it. */
static int run_batch(segment_args *a)
{
    const ns_job_list *jobs = &a->jobs;
    ns_batch_options *opt = &a->opt;
    size_t n10 = 0, n40 = 0, nu = 0;
    for (size_t i = 0; i < jobs->count; i++) {
        if (jobs->items[i].mag == NS_MAG_10X) n10++;
        else if (jobs->items[i].mag == NS_MAG_40X) n40++;
        else nu++;
    }
    char *out_shown = ns_text_printable(opt->out_dir);
    const char *out = out_shown ? out_shown : opt->out_dir;
    /* No more workers than images: the pool would start no more. */
    char capped[96] = "";
    if ((size_t)opt->workers > jobs->count) {
        snprintf(capped, sizeof capped, " (-j %d capped at the number of images)", opt->workers);
        opt->workers = (int)jobs->count;
    }
    printf("nucseg segment: %zu images (%zu 10X, %zu 40X, %zu unknown magnification) -> %s, %d worker%s%s\n",
           jobs->count, n10, n40, nu, out, opt->workers, opt->workers == 1 ? "" : "s", capped);
    fflush(stdout);
    catch_stop_signals();
    opt->stop = &stop_signal;
    ns_batch_report rep;
    ns_error err;
    if (ns_batch_run(jobs, opt, &rep, &err) != NS_OK) {
        say_error(err.message);
        ns_batch_report_free(&rep);
        free(out_shown);
        return NS_EXIT_FATAL;
    }
    if (rep.interrupted)
        printf("nucseg segment: interrupted by %s: %zu ok, %zu skipped (complete), %zu failed, %zu not processed "
               "of %zu images\n", stop_signal == SIGINT ? "SIGINT" : "SIGTERM", rep.ok, rep.skipped, rep.failed,
               rep.not_processed, rep.total);
    else
        printf("nucseg segment: %zu ok, %zu skipped (complete), %zu failed of %zu images; %zu nuclei; "
               "%.2f s wall, %.2f images/s with %d worker(s)\n",
               rep.ok, rep.skipped, rep.failed, rep.total, rep.total_nuclei, rep.wall_s, rep.images_per_s, rep.workers);
    if (opt->run_tag)
        printf("nucseg segment: outputs in %s/ (summary: %s/segmentation_summary.%s.json; "
               "'nucseg summary %s' merges the shards)\n", out, out, opt->run_tag, out);
    else
        printf("nucseg segment: outputs in %s/ (summary: %s/segmentation_summary.json)\n", out, out);
    int rc = rep.interrupted ? 128 + (int)stop_signal : rep.failed ? NS_EXIT_SOME_FAILED : NS_EXIT_OK;
    /* A shard has part of a well: 'nucseg summary' writes the well tables once all are
     * done; an interrupted run, --resume once it completes. */
    if (!opt->run_tag && !rep.interrupted && ns_write_well_tables(jobs, &rep, opt->out_dir, &err) != NS_OK) {
        say_error(err.message);
        rc = NS_EXIT_SOME_FAILED;
    }
    ns_batch_report_free(&rep);
    free(out_shown);
    return rc;
}

int cmd_segment(int argc, char **argv)
{
    segment_args a = {.mag = NS_MAG_UNKNOWN, .list_mag = NS_MAG_UNKNOWN};
    ns_batch_options_default(&a.opt);
    int rc = ns_segment_parse_options(argc, argv, &a), dist_ran = 0;
    ns_error err;
    /* Under an MPI launcher: rank 0 lists the inputs, the others receive them. Usage
     * errors above came on every rank alike, before MPI starts. */
    if (rc < 0 && ns_dist_launched() && ns_dist_init(&a.dist, &err) != NS_OK) {
        say_error(err.message);
        rc = NS_EXIT_FATAL;
    }
    int lister = !a.dist || ns_dist_rank(a.dist) == 0;
    if (rc < 0 && lister) rc = collect_jobs(&a);
    if (rc < 0 && lister) rc = take_shard(&a);
    if (rc < 0 && a.dist) {
        rc = ns_dist_segment(a.dist, &a.jobs, &a.opt, a.workers_given);
        dist_ran = 1;
    }
    if (rc < 0) rc = run_batch(&a);
    if (a.dist && !dist_ran && ns_dist_rank(a.dist) == 0) ns_dist_cancel(a.dist, rc);
    ns_dist_finish(a.dist);
    ns_jobs_free(&a.jobs);
    ns_jobs_free(&a.all);
    ns_nn_free(a.model);
    return rc;
}
