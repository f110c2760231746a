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
#include "nucseg/batch.h"
#include "nucseg/fsutil.h"
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

static void usage(FILE *f)
{
    fprintf(f,
        "usage: nucseg segment DATA_DIR -o OUT [options]\n"
        "       nucseg segment FILE --magnification 10x|40x|auto -o OUT [options]\n"
        "       nucseg segment --10x FILE... --40x FILE... -o OUT [options]\n"
        "\n"
        "Segment every nucleus of every 10X and 40X image in one pool of worker processes.\n"
        "DATA_DIR layouts: DATA/genotyping/cycle_1/*.tif (10X) and DATA/phenotyping/*.tif (40X);\n"
        "otherwise folders whose names contain 10X/10x or 40X/40x; other images get an\n"
        "automatically estimated diameter (magnification 'unknown').\n"
        "\n"
        "Per image, under OUT/<10X|40X|unknown>/<well>/: <stem>_labels.tif, <stem>_nuclei.csv,\n"
        "<stem>_nuclei_centroids_local.npy, <stem>_metadata.json. Also OUT/segmentation_summary.json\n"
        "and OUT/segmentation_progress.txt.\n"
        "\n"
        "options:\n"
        "  -o, --out OUT              output folder (default results/segmentation_output)\n"
        "  -j, --jobs N|all           worker processes (default: usable CPUs - 1, here %d)\n"
        "      --channel C            nuclear channel: TIFF page or sample, PNG sample (default 0)\n"
        "      --10x FILE...          the following files are 10X images\n"
        "      --40x FILE...          the following files are 40X images\n"
        "      --magnification M      for FILE / DATA_DIR images without a layout: 10x, 40x or auto\n"
        "      --diameter D           nuclear diameter in px for every image (default: 10X 10, 40X 40,\n"
        "                             unknown: estimated per image)\n"
        "      --diameter-10x D, --diameter-40x D   per magnification\n"
        "      --threshold otsu|local threshold method (default otsu)\n"
        "      --threshold-scale S    multiply the automatic threshold (default 1)\n"
        "      --no-split             do not split touching nuclei\n"
        "      --timeout S            seconds per image before its worker is killed (default none)\n"
        "      --resume               skip images whose outputs are complete, intact and made\n"
        "                             with the same settings (others are segmented again)\n"
        "      --max-pixels N         refuse larger images (default %zu)\n"
        "      --progress MODE        auto, bar, lines or quiet (default auto: bar on a terminal)\n"
        "  -h, --help                 this text\n"
        "\n"
        "exit status: 0 all images segmented; 1 some images failed (see the summary);\n"
        "2 usage error; 3 nothing could run (no inputs, output folder unwritable);\n"
        "130 / 143 stopped by SIGINT / SIGTERM (the summary, marked interrupted, says what was done).\n"
        "File names that are not UTF-8, or hold control characters, are shown and recorded in\n"
        "JSON with each such byte as \\xNN.\n",
        ns_default_workers(), (size_t)NS_DEFAULT_MAX_PIXELS);
}

/* A finite number > 0 (diameters, scales, seconds, pixel counts). */
static int parse_positive(const char *s, double *out)
{
    double v;
    if (!ns_arg_double(s, &v) || !(v > 0)) return -1;
    *out = v;
    return 0;
}

static int parse_mag(const char *s, ns_magnification *m)
{
    if (!strcasecmp(s, "10x") || !strcmp(s, "10")) *m = NS_MAG_10X;
    else if (!strcasecmp(s, "40x") || !strcmp(s, "40")) *m = NS_MAG_40X;
    else if (!strcasecmp(s, "auto") || !strcasecmp(s, "unknown")) *m = NS_MAG_UNKNOWN;
    else return -1;
    return 0;
}

enum { OPT_CHANNEL = 256, OPT_10X, OPT_40X, OPT_MAG, OPT_DIAM, OPT_DIAM10, OPT_DIAM40, OPT_THRESH,
       OPT_TSCALE, OPT_NOSPLIT, OPT_TIMEOUT, OPT_RESUME, OPT_MAXPIX, OPT_PROGRESS };

int cmd_segment(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'}, {"jobs", required_argument, NULL, 'j'},
        {"channel", required_argument, NULL, OPT_CHANNEL}, {"10x", no_argument, NULL, OPT_10X},
        {"40x", no_argument, NULL, OPT_40X}, {"magnification", required_argument, NULL, OPT_MAG},
        {"diameter", required_argument, NULL, OPT_DIAM}, {"diameter-10x", required_argument, NULL, OPT_DIAM10},
        {"diameter-40x", required_argument, NULL, OPT_DIAM40}, {"threshold", required_argument, NULL, OPT_THRESH},
        {"threshold-scale", required_argument, NULL, OPT_TSCALE}, {"no-split", no_argument, NULL, OPT_NOSPLIT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT}, {"resume", no_argument, NULL, OPT_RESUME},
        {"max-pixels", required_argument, NULL, OPT_MAXPIX}, {"progress", required_argument, NULL, OPT_PROGRESS},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    ns_batch_options opt;
    ns_batch_options_default(&opt);
    ns_job_list jobs = {0};
    ns_error err;
    const char *input = NULL;
    int have_mag = 0, explicit_lists = 0;
    ns_magnification mag = NS_MAG_UNKNOWN, list_mag = NS_MAG_UNKNOWN;
    double diam = 0, d10 = 0, d40 = 0;
    int rc = NS_EXIT_OK;
    int c;
    optind = 0;
    /* Leading '-': positional arguments come back in order (case 1), so files after
     * --10x / --40x land in the right list. */
    while ((c = getopt_long(argc, argv, "-o:j:h", longopts, NULL)) != -1) {
        switch (c) {
        case 1:
            if (list_mag != NS_MAG_UNKNOWN) {
                if (ns_jobs_add(&jobs, optarg, list_mag, &err) != NS_OK) {
                    say_error(err.message);
                    rc = NS_EXIT_FATAL;
                    goto done;
                }
            } else if (!input) {
                input = optarg;
            } else {
                fprintf(stderr, "nucseg segment: unexpected argument '%s' (one DATA_DIR or FILE)\n", optarg);
                rc = NS_EXIT_USAGE;
                goto done;
            }
            break;
        case 'o': opt.out_dir = optarg; break;
        case 'j':
            if (!ns_arg_workers(optarg, &opt.workers)) {
                fprintf(stderr, "nucseg segment: -j wants a count from 1 to %d or 'all', not '%s'\n",
                        NS_ARG_MAX_WORKERS, optarg);
                rc = NS_EXIT_USAGE;
                goto done;
            }
            break;
        case OPT_CHANNEL:
            if (!ns_arg_int(optarg, 0, 65535, &opt.channel)) {
                fprintf(stderr, "nucseg segment: --channel wants an index >= 0, not '%s'\n", optarg);
                rc = NS_EXIT_USAGE;
                goto done;
            }
            break;
        case OPT_10X: list_mag = NS_MAG_10X; explicit_lists = 1; break;
        case OPT_40X: list_mag = NS_MAG_40X; explicit_lists = 1; break;
        case OPT_MAG:
            if (parse_mag(optarg, &mag) != 0) {
                fprintf(stderr, "nucseg segment: --magnification wants 10x, 40x or auto, not '%s'\n", optarg);
                rc = NS_EXIT_USAGE;
                goto done;
            }
            have_mag = 1;
            break;
        case OPT_DIAM: case OPT_DIAM10: case OPT_DIAM40: {
            double v;
            if (parse_positive(optarg, &v) != 0) {
                fprintf(stderr, "nucseg segment: diameters are > 0 px, not '%s'\n", optarg);
                rc = NS_EXIT_USAGE;
                goto done;
            }
            if (c == OPT_DIAM) diam = v; else if (c == OPT_DIAM10) d10 = v; else d40 = v;
            break;
        }
        case OPT_THRESH:
            if (!strcmp(optarg, "otsu")) opt.params_10x.threshold = NS_THRESHOLD_OTSU;
            else if (!strcmp(optarg, "local")) opt.params_10x.threshold = NS_THRESHOLD_LOCAL;
            else {
                fprintf(stderr, "nucseg segment: --threshold wants otsu or local, not '%s'\n", optarg);
                rc = NS_EXIT_USAGE;
                goto done;
            }
            opt.params_40x.threshold = opt.params_unknown.threshold = opt.params_10x.threshold;
            break;
        case OPT_TSCALE: {
            double v;
            if (parse_positive(optarg, &v) != 0) {
                fprintf(stderr, "nucseg segment: --threshold-scale wants a number > 0, not '%s'\n", optarg);
                rc = NS_EXIT_USAGE;
                goto done;
            }
            opt.params_10x.threshold_scale = opt.params_40x.threshold_scale = opt.params_unknown.threshold_scale = v;
            break;
        }
        case OPT_NOSPLIT:
            opt.params_10x.split_touching = opt.params_40x.split_touching = opt.params_unknown.split_touching = 0;
            break;
        case OPT_TIMEOUT:
            if (parse_positive(optarg, &opt.timeout_s) != 0) {
                fprintf(stderr, "nucseg segment: --timeout wants seconds > 0, not '%s'\n", optarg);
                rc = NS_EXIT_USAGE;
                goto done;
            }
            break;
        case OPT_RESUME: opt.resume = 1; break;
        case OPT_MAXPIX: {
            double v;
            /* 1e15 px (a petapixel) is beyond any image, and well inside size_t. */
            if (parse_positive(optarg, &v) != 0 || v < 1 || v > 1e15) {
                fprintf(stderr, "nucseg segment: --max-pixels wants a count from 1 to 1e15, not '%s'\n", optarg);
                rc = NS_EXIT_USAGE;
                goto done;
            }
            opt.max_pixels = (size_t)v;
            break;
        }
        case OPT_PROGRESS:
            if (!strcmp(optarg, "auto")) opt.progress = NS_PROGRESS_AUTO;
            else if (!strcmp(optarg, "bar")) opt.progress = NS_PROGRESS_BAR;
            else if (!strcmp(optarg, "lines")) opt.progress = NS_PROGRESS_LINES;
            else if (!strcmp(optarg, "quiet")) opt.progress = NS_PROGRESS_QUIET;
            else {
                fprintf(stderr, "nucseg segment: --progress wants auto, bar, lines or quiet\n");
                rc = NS_EXIT_USAGE;
                goto done;
            }
            break;
        case 'h': usage(stdout); goto done;
        default: usage(stderr); rc = NS_EXIT_USAGE; goto done;
        }
    }
    if (diam > 0) opt.params_10x.diameter = opt.params_40x.diameter = opt.params_unknown.diameter = diam;
    if (d10 > 0) opt.params_10x.diameter = d10;
    if (d40 > 0) opt.params_40x.diameter = d40;

    if (input) {
        if (ns_is_dir(input)) {
            if (ns_jobs_discover(input, &jobs, &err) != NS_OK) {
                say_error(err.message);
                rc = NS_EXIT_FATAL;
                goto done;
            }
            if (have_mag)
                for (size_t i = 0; i < jobs.count; i++)
                    if (jobs.items[i].mag == NS_MAG_UNKNOWN) jobs.items[i].mag = mag;
        } else if (!ns_file_exists(input)) {
            char m[4400];
            snprintf(m, sizeof m, "%s: %s", input,
                     access(input, F_OK) == 0 ? "not a regular file (a FIFO, device or socket)" : "no such file or directory");
            say_error(m);
            rc = NS_EXIT_FATAL;
            goto done;
        } else {
            if (!have_mag) {
                fprintf(stderr, "nucseg segment: %s: a single file needs --magnification 10x|40x|auto\n", input);
                rc = NS_EXIT_USAGE;
                goto done;
            }
            if (ns_jobs_add(&jobs, input, mag, &err) != NS_OK) {
                say_error(err.message);
                rc = NS_EXIT_FATAL;
                goto done;
            }
        }
    } else if (!explicit_lists) {
        fprintf(stderr, "nucseg segment: no input: give DATA_DIR, FILE or --10x/--40x FILE...\n");
        usage(stderr);
        rc = NS_EXIT_USAGE;
        goto done;
    }
    if (jobs.count == 0) {
        char m[4400];
        snprintf(m, sizeof m, "%s: no TIFF or PNG images found", input ? input : "(file lists)");
        say_error(m);
        rc = NS_EXIT_FATAL;
        goto done;
    }
    char *out_shown = ns_text_printable(opt.out_dir);
    const char *out_name = out_shown ? out_shown : opt.out_dir;
    {
        size_t n10 = 0, n40 = 0, nu = 0;
        for (size_t i = 0; i < jobs.count; i++) {
            if (jobs.items[i].mag == NS_MAG_10X) n10++;
            else if (jobs.items[i].mag == NS_MAG_40X) n40++;
            else nu++;
        }
        /* No more workers than images: the pool would start no more (and says how many it
         * did start at the end). */
        char capped[96] = "";
        if ((size_t)opt.workers > jobs.count) {
            snprintf(capped, sizeof capped, " (-j %d capped at the number of images)", opt.workers);
            opt.workers = (int)jobs.count;
        }
        printf("nucseg segment: %zu images (%zu 10X, %zu 40X, %zu unknown magnification) -> %s, %d worker%s%s\n",
               jobs.count, n10, n40, nu, out_name, opt.workers, opt.workers == 1 ? "" : "s", capped);
        fflush(stdout);
    }
    catch_stop_signals();
    opt.stop = &stop_signal;
    ns_batch_report rep;
    if (ns_batch_run(&jobs, &opt, &rep, &err) != NS_OK) {
        say_error(err.message);
        ns_batch_report_free(&rep);
        free(out_shown);
        rc = NS_EXIT_FATAL;
        goto done;
    }
    if (rep.interrupted)
        printf("nucseg segment: interrupted by %s: %zu ok, %zu skipped (complete), %zu failed, %zu not processed "
               "of %zu images\n", stop_signal == SIGINT ? "SIGINT" : "SIGTERM", rep.ok, rep.skipped, rep.failed,
               rep.not_processed, rep.total);
    else
        printf("nucseg segment: %zu ok, %zu skipped (complete), %zu failed of %zu images; %zu nuclei; "
               "%.2f s wall, %.2f images/s with %d worker(s)\n",
               rep.ok, rep.skipped, rep.failed, rep.total, rep.total_nuclei, rep.wall_s, rep.images_per_s, rep.workers);
    printf("nucseg segment: outputs in %s/ (summary: %s/segmentation_summary.json)\n", out_name, out_name);
    rc = rep.interrupted ? 128 + (int)stop_signal : rep.failed ? NS_EXIT_SOME_FAILED : NS_EXIT_OK;
    ns_batch_report_free(&rep);
    free(out_shown);
done:
    ns_jobs_free(&jobs);
    return rc;
}
