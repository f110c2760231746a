/* cmd_segment.c — `nucseg segment`: find the images, run the worker pool, report. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "cli/cli_args.h"
#include "cli/commands.h"
#include "dist/dist.h"
#include "nucseg/batch.h"
#include "nucseg/fsutil.h"

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
        "      --shard K/N            segment only shard K of N (1 <= K <= N): a fixed, size-balanced\n"
        "                             share of the inputs, for N independent jobs into one OUT;\n"
        "                             summary in OUT/segmentation_summary.shard-K-of-N.json\n"
        "                             ('nucseg summary OUT' merges them)\n"
        "      --shard slurm          K and N from a SLURM job array (SLURM_ARRAY_TASK_ID, _MIN, _COUNT)\n"
        "  -h, --help                 this text\n"
        "\n"
        "exit status: 0 all images segmented; 1 some images failed (see the summary);\n"
        "2 usage error; 3 nothing could run (no inputs, output folder unwritable).\n",
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

/* "K/N" with 1 <= K <= N, or "slurm": this task of a SLURM job array. Opt-in rather than
 * read whenever SLURM_ARRAY_TASK_ID is set: an array whose tasks each segment a different
 * plate must not silently segment a share of each. 0, or -1 with why in msg. */
static int parse_shard(const char *s, int *k, int *n, char *msg, size_t len)
{
    if (!strcmp(s, "slurm")) {
        const char *id = getenv("SLURM_ARRAY_TASK_ID"), *lo = getenv("SLURM_ARRAY_TASK_MIN");
        const char *cnt = getenv("SLURM_ARRAY_TASK_COUNT"), *hi = getenv("SLURM_ARRAY_TASK_MAX");
        int i, mn, c, mx;
        if (!id || !lo || !cnt || !hi || !ns_arg_int(id, 0, 1 << 30, &i) || !ns_arg_int(lo, 0, 1 << 30, &mn) ||
            !ns_arg_int(cnt, 1, 1 << 30, &c) || !ns_arg_int(hi, 0, 1 << 30, &mx)) {
            snprintf(msg, len, "--shard slurm: not a SLURM job array task (SLURM_ARRAY_TASK_ID, _MIN, _MAX, _COUNT)");
            return -1;
        }
        if (mx - mn + 1 != c || i < mn || i > mx) {
            snprintf(msg, len, "--shard slurm: the array's task ids %d-%d are not one unbroken range of %d; "
                     "use --shard K/N", mn, mx, c);
            return -1;
        }
        *k = i - mn + 1;
        *n = c;
        return 0;
    }
    char buf[64];
    const char *slash = strchr(s, '/');
    if (!slash || (size_t)(slash - s) >= sizeof buf) goto bad;
    memcpy(buf, s, (size_t)(slash - s));
    buf[slash - s] = 0;
    if (!ns_arg_int(buf, 1, 1 << 20, k) || !ns_arg_int(slash + 1, 1, 1 << 20, n) || *k > *n) goto bad;
    return 0;
bad:
    snprintf(msg, len, "--shard wants K/N with 1 <= K <= N (e.g. 3/16) or 'slurm', not '%s'", s);
    return -1;
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
       OPT_TSCALE, OPT_NOSPLIT, OPT_TIMEOUT, OPT_RESUME, OPT_MAXPIX, OPT_PROGRESS, OPT_SHARD };

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
        {"shard", required_argument, NULL, OPT_SHARD},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    ns_batch_options opt;
    ns_batch_options_default(&opt);
    ns_job_list jobs = {0};
    ns_error err;
    const char *input = NULL;
    int have_mag = 0, explicit_lists = 0;
    ns_magnification mag = NS_MAG_UNKNOWN, list_mag = NS_MAG_UNKNOWN;
    double diam = 0, d10 = 0, d40 = 0;
    int shard_k = 0, shard_n = 0;
    char shard_tag[64];
    ns_job_list all = {0}; /* every input, when a shard keeps only its share in jobs */
    int workers_given = 0;
    ns_dist *dist = NULL;  /* under mpirun / srun */
    int dist_ran = 0;
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
                    fprintf(stderr, "nucseg segment: %s\n", err.message);
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
            workers_given = 1;
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
        case OPT_SHARD: {
            char msg[256];
            if (parse_shard(optarg, &shard_k, &shard_n, msg, sizeof msg) != 0) {
                fprintf(stderr, "nucseg segment: %s\n", msg);
                rc = NS_EXIT_USAGE;
                goto done;
            }
            break;
        }
        case 'h': usage(stdout); goto done;
        default: usage(stderr); rc = NS_EXIT_USAGE; goto done;
        }
    }
    if (diam > 0) opt.params_10x.diameter = opt.params_40x.diameter = opt.params_unknown.diameter = diam;
    if (d10 > 0) opt.params_10x.diameter = d10;
    if (d40 > 0) opt.params_40x.diameter = d40;

    /* Under an MPI launcher: rank 0 lists the inputs, the others receive them. Usage
     * errors above came on every rank alike, before MPI starts. */
    if (ns_dist_launched()) {
        if (ns_dist_init(&dist, &err) != NS_OK) {
            fprintf(stderr, "nucseg segment: %s\n", err.message);
            rc = NS_EXIT_FATAL;
            goto done;
        }
        if (ns_dist_rank(dist) != 0) goto distributed;
    }

    if (input) {
        if (ns_is_dir(input)) {
            if (ns_jobs_discover(input, &jobs, &err) != NS_OK) {
                fprintf(stderr, "nucseg segment: %s\n", err.message);
                rc = NS_EXIT_FATAL;
                goto done;
            }
            if (have_mag)
                for (size_t i = 0; i < jobs.count; i++)
                    if (jobs.items[i].mag == NS_MAG_UNKNOWN) jobs.items[i].mag = mag;
        } else if (!ns_file_exists(input)) {
            fprintf(stderr, "nucseg segment: %s: %s\n", input,
                    access(input, F_OK) == 0 ? "not a regular file (a FIFO, device or socket)" : "no such file or directory");
            rc = NS_EXIT_FATAL;
            goto done;
        } else {
            if (!have_mag) {
                fprintf(stderr, "nucseg segment: %s: a single file needs --magnification 10x|40x|auto\n", input);
                rc = NS_EXIT_USAGE;
                goto done;
            }
            if (ns_jobs_add(&jobs, input, mag, &err) != NS_OK) {
                fprintf(stderr, "nucseg segment: %s\n", err.message);
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
        fprintf(stderr, "nucseg segment: %s: no TIFF or PNG images found\n", input ? input : "(file lists)");
        rc = NS_EXIT_FATAL;
        goto done;
    }
    if (shard_n > 0) {
        all = jobs;
        memset(&jobs, 0, sizeof jobs);
        if (ns_jobs_shard(&all, shard_k, shard_n, &jobs, &err) != NS_OK) {
            fprintf(stderr, "nucseg segment: %s\n", err.message);
            rc = NS_EXIT_FATAL;
            goto done;
        }
        snprintf(shard_tag, sizeof shard_tag, "shard-%d-of-%d", shard_k, shard_n);
        opt.run_tag = shard_tag;
        opt.inputs_total = all.count;
        printf("nucseg segment: shard %d of %d: %zu of the %zu inputs\n", shard_k, shard_n, jobs.count, all.count);
        if (jobs.count == 0) { /* more shards than inputs: nothing is this one's */
            printf("nucseg segment: nothing to do in this shard\n");
            goto done;
        }
    }
distributed:
    if (dist) {
        rc = ns_dist_segment(dist, &jobs, &opt, workers_given);
        dist_ran = 1;
        goto done;
    }
    {
        size_t n10 = 0, n40 = 0, nu = 0;
        for (size_t i = 0; i < jobs.count; i++) {
            if (jobs.items[i].mag == NS_MAG_10X) n10++;
            else if (jobs.items[i].mag == NS_MAG_40X) n40++;
            else nu++;
        }
        printf("nucseg segment: %zu images (%zu 10X, %zu 40X, %zu unknown magnification) -> %s, %d worker%s\n",
               jobs.count, n10, n40, nu, opt.out_dir, opt.workers, opt.workers == 1 ? "" : "s");
        fflush(stdout);
    }
    ns_batch_report rep;
    if (ns_batch_run(&jobs, &opt, &rep, &err) != NS_OK) {
        fprintf(stderr, "nucseg segment: %s\n", err.message);
        ns_batch_report_free(&rep);
        rc = NS_EXIT_FATAL;
        goto done;
    }
    printf("nucseg segment: %zu ok, %zu skipped (complete), %zu failed of %zu images; %zu nuclei; "
           "%.2f s wall, %.2f images/s with %d worker(s)\n",
           rep.ok, rep.skipped, rep.failed, rep.total, rep.total_nuclei, rep.wall_s, rep.images_per_s, rep.workers);
    if (opt.run_tag)
        printf("nucseg segment: outputs in %s/ (summary: %s/segmentation_summary.%s.json; "
               "'nucseg summary %s' merges the shards)\n", opt.out_dir, opt.out_dir, opt.run_tag, opt.out_dir);
    else
        printf("nucseg segment: outputs in %s/ (summary: %s/segmentation_summary.json)\n", opt.out_dir, opt.out_dir);
    rc = rep.failed ? NS_EXIT_SOME_FAILED : NS_EXIT_OK;
    ns_batch_report_free(&rep);
done:
    if (dist && !dist_ran && ns_dist_rank(dist) == 0) ns_dist_cancel(dist, rc);
    ns_dist_finish(dist);
    ns_jobs_free(&jobs);
    ns_jobs_free(&all);
    return rc;
}
