/* segment_options.c — `nucseg segment`'s usage text and options (segment_options.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cli/cli_args.h"
#include "cli/commands.h"
#include "cli/segment_options.h"
#include "nucseg/names.h"
#include "nucseg/nn.h"

void ns_segment_usage(FILE *f)
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
        "<stem>_nuclei_centroids_local.npy, <stem>_metadata.json; per well, <well>_nuclei.csv (every\n"
        "tile's nuclei). Also OUT/segmentation_summary.json and OUT/segmentation_progress.txt.\n"
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
        "      --diameter-um D        nuclear diameter in micrometres for every image, turned into px\n"
        "                             with each image's pixel size (rounded to 0.1 px; docs/units.md)\n"
        "      --pixel-size UM        micrometres per pixel for every image, over what files declare\n"
        "                             (OME-XML, ImageJ, resolution tags)\n"
        "      --well W               segment only the images of well W (a workflow's one job)\n"
        "      --list-wells           print the wells of the inputs, one a line, and stop\n"
        "      --name-pattern P       read plate/well/tile from file names with P, e.g.\n"
        "                             '{plate}-{well}-{tile}*' (docs/naming.md; default: the OPS,\n"
        "                             brieflow and nucseg layouts)\n"
        "      --threshold otsu|local threshold method (default otsu)\n"
        "      --threshold-scale S    multiply the automatic threshold (default 1)\n"
        "      --no-split             do not split touching nuclei\n"
        "      --model M              the learned pipeline: 'nuclei' (built in) or a weight file\n"
        "                             (.nsnn); default: the classical one (docs/learned-nuclei.md)\n"
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
       OPT_TSCALE, OPT_NOSPLIT, OPT_TIMEOUT, OPT_RESUME, OPT_MAXPIX, OPT_PROGRESS, OPT_SHARD,
       OPT_PIXEL_SIZE, OPT_DIAM_UM, OPT_NAME_PATTERN, OPT_WELL, OPT_LIST_WELLS, OPT_MODEL };

/* One option with a value (not a file name) into a: -1 when fine, else the exit status. */
static int parse_value(int c, const char *arg, segment_args *a)
{
    ns_batch_options *opt = &a->opt;
    double v;
    switch (c) {
    case 'j':
        a->workers_given = 1;
        if (ns_arg_workers(arg, &opt->workers)) return -1;
        fprintf(stderr, "nucseg segment: -j wants a count from 1 to %d or 'all', not '%s'\n", NS_ARG_MAX_WORKERS,
                arg);
        return NS_EXIT_USAGE;
    case OPT_CHANNEL:
        if (ns_arg_int(arg, 0, 65535, &opt->channel)) return -1;
        fprintf(stderr, "nucseg segment: --channel wants an index >= 0, not '%s'\n", arg);
        return NS_EXIT_USAGE;
    case OPT_MAG:
        a->have_mag = 1;
        if (parse_mag(arg, &a->mag) == 0) return -1;
        fprintf(stderr, "nucseg segment: --magnification wants 10x, 40x or auto, not '%s'\n", arg);
        return NS_EXIT_USAGE;
    case OPT_DIAM: case OPT_DIAM10: case OPT_DIAM40:
        if (parse_positive(arg, &v) != 0) {
            fprintf(stderr, "nucseg segment: diameters are > 0 px, not '%s'\n", arg);
            return NS_EXIT_USAGE;
        }
        if (c == OPT_DIAM) a->diam = v; else if (c == OPT_DIAM10) a->d10 = v; else a->d40 = v;
        return -1;
    case OPT_THRESH:
        if (!strcmp(arg, "otsu")) opt->params_10x.threshold = NS_THRESHOLD_OTSU;
        else if (!strcmp(arg, "local")) opt->params_10x.threshold = NS_THRESHOLD_LOCAL;
        else {
            fprintf(stderr, "nucseg segment: --threshold wants otsu or local, not '%s'\n", arg);
            return NS_EXIT_USAGE;
        }
        opt->params_40x.threshold = opt->params_unknown.threshold = opt->params_10x.threshold;
        return -1;
    case OPT_TSCALE:
        if (parse_positive(arg, &v) != 0) {
            fprintf(stderr, "nucseg segment: --threshold-scale wants a number > 0, not '%s'\n", arg);
            return NS_EXIT_USAGE;
        }
        opt->params_10x.threshold_scale = opt->params_40x.threshold_scale = opt->params_unknown.threshold_scale = v;
        return -1;
    case OPT_TIMEOUT:
        if (parse_positive(arg, &opt->timeout_s) == 0) return -1;
        fprintf(stderr, "nucseg segment: --timeout wants seconds > 0, not '%s'\n", arg);
        return NS_EXIT_USAGE;
    case OPT_MAXPIX:
        /* 1e15 px (a petapixel) is beyond any image, and well inside size_t. */
        if (parse_positive(arg, &v) != 0 || v < 1 || v > 1e15) {
            fprintf(stderr, "nucseg segment: --max-pixels wants a count from 1 to 1e15, not '%s'\n", arg);
            return NS_EXIT_USAGE;
        }
        opt->max_pixels = (size_t)v;
        return -1;
    case OPT_PROGRESS:
        if (!strcmp(arg, "auto")) opt->progress = NS_PROGRESS_AUTO;
        else if (!strcmp(arg, "bar")) opt->progress = NS_PROGRESS_BAR;
        else if (!strcmp(arg, "lines")) opt->progress = NS_PROGRESS_LINES;
        else if (!strcmp(arg, "quiet")) opt->progress = NS_PROGRESS_QUIET;
        else {
            fprintf(stderr, "nucseg segment: --progress wants auto, bar, lines or quiet\n");
            return NS_EXIT_USAGE;
        }
        return -1;
    case OPT_PIXEL_SIZE: case OPT_DIAM_UM:
        if (parse_positive(arg, &v) != 0) {
            fprintf(stderr, "nucseg segment: --%s wants micrometres > 0, not '%s'\n",
                    c == OPT_PIXEL_SIZE ? "pixel-size" : "diameter-um", arg);
            return NS_EXIT_USAGE;
        }
        if (c == OPT_PIXEL_SIZE) opt->pixel_size_um = v; else opt->diameter_um = v;
        return -1;
    case OPT_NAME_PATTERN: {
        ns_error err;
        if (ns_name_pattern_check(arg, &err) != NS_OK) {
            fprintf(stderr, "nucseg segment: --name-pattern: %s (docs/naming.md)\n", err.message);
            return NS_EXIT_USAGE;
        }
        a->name_pattern = opt->name_pattern = arg;
        return -1;
    }
    case OPT_SHARD: {
        char msg[256];
        if (ns_arg_shard(arg, &a->shard_k, &a->shard_n, msg, sizeof msg)) return -1;
        fprintf(stderr, "nucseg segment: %s\n", msg);
        return NS_EXIT_USAGE;
    }
    }
    return -1;
}

int ns_segment_parse_options(int argc, char **argv, segment_args *a)
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
        {"pixel-size", required_argument, NULL, OPT_PIXEL_SIZE}, {"diameter-um", required_argument, NULL, OPT_DIAM_UM},
        {"name-pattern", required_argument, NULL, OPT_NAME_PATTERN}, {"well", required_argument, NULL, OPT_WELL},
        {"list-wells", no_argument, NULL, OPT_LIST_WELLS}, {"model", required_argument, NULL, OPT_MODEL}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    ns_batch_options *opt = &a->opt;
    ns_error err;
    int c, rc;
    optind = 0;
    /* Leading '-': positional arguments come back in order (case 1), so files after
     * --10x / --40x land in the right list. */
    while ((c = getopt_long(argc, argv, "-o:j:h", longopts, NULL)) != -1) {
        switch (c) {
        case 1:
            if (a->list_mag != NS_MAG_UNKNOWN) {
                if (ns_jobs_add(&a->jobs, optarg, a->list_mag, &err) != NS_OK) {
                    fprintf(stderr, "nucseg segment: %s\n", err.message);
                    return NS_EXIT_FATAL;
                }
            } else if (!a->input) {
                a->input = optarg;
            } else {
                fprintf(stderr, "nucseg segment: unexpected argument '%s' (one DATA_DIR or FILE)\n", optarg);
                return NS_EXIT_USAGE;
            }
            break;
        case 'o': opt->out_dir = optarg; break;
        case OPT_10X: a->list_mag = NS_MAG_10X; a->explicit_lists = 1; break;
        case OPT_40X: a->list_mag = NS_MAG_40X; a->explicit_lists = 1; break;
        case OPT_NOSPLIT:
            opt->params_10x.split_touching = opt->params_40x.split_touching = opt->params_unknown.split_touching = 0;
            break;
        case OPT_RESUME: opt->resume = 1; break;
        case OPT_WELL: a->only_well = optarg; break;
        case OPT_LIST_WELLS: a->list_wells = 1; break;
        case OPT_MODEL: a->model_spec = optarg; break;
        case 'h': ns_segment_usage(stdout); return NS_EXIT_OK;
        case 'j': case OPT_CHANNEL: case OPT_MAG: case OPT_DIAM: case OPT_DIAM10: case OPT_DIAM40:
        case OPT_THRESH: case OPT_TSCALE: case OPT_TIMEOUT: case OPT_MAXPIX: case OPT_PROGRESS:
        case OPT_SHARD: case OPT_PIXEL_SIZE: case OPT_DIAM_UM: case OPT_NAME_PATTERN:
            if ((rc = parse_value(c, optarg, a)) >= 0) return rc;
            break;
        default: ns_segment_usage(stderr); return NS_EXIT_USAGE;
        }
    }
    if (opt->diameter_um > 0 && (a->diam > 0 || a->d10 > 0 || a->d40 > 0)) {
        fprintf(stderr, "nucseg segment: give the diameter in px (--diameter*) or in micrometres (--diameter-um), not both\n");
        return NS_EXIT_USAGE;
    }
    if (a->diam > 0) opt->params_10x.diameter = opt->params_40x.diameter = opt->params_unknown.diameter = a->diam;
    if (a->d10 > 0) opt->params_10x.diameter = a->d10;
    if (a->d40 > 0) opt->params_40x.diameter = a->d40;
    if (a->model_spec) {
        /* Loaded once, here: the workers fork from this process and share its pages. */
        if (ns_nn_load(a->model_spec, &a->model, &err) != NS_OK) {
            fprintf(stderr, "nucseg segment: --model: %s\n", err.message);
            return NS_EXIT_USAGE;
        }
        opt->params_10x.model = opt->params_40x.model = opt->params_unknown.model = a->model;
    }
    return -1;
}
