/* cmd_run.c — `nucseg run [DATA_DIR] -o results`: the main job.
 *
 * (synthesise the default plate when no DATA_DIR) → segment (parallel) → map →
 * bench-opt → one results/report.html linking every table and plot, then a
 * short summary. Each stage is the same code path as its own subcommand, run
 * through its cmd_*() entry with a built argv, like git's builtins calling each
 * other: one behaviour, one set of options, whichever way a user gets there. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_args.h"
#include "cli/commands.h"
#include "cli/run_report.h"
#include "nucseg/batch.h"
#include "nucseg/fsutil.h"
#include "nucseg/names.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: nucseg run [DATA_DIR] [-o OUT] [-j N|all] [--seed S] [--trials T] [segment options]\n"
        "\n"
        "The main job, end to end:\n"
        "  1. with no DATA_DIR, write the default synthetic 10X/40X plate to OUT/plate\n"
        "  2. segment every 10X and 40X image in one pool of workers  -> OUT/segmentation\n"
        "  3. map each 40X tile into its 10X tile from nuclear centroids -> OUT/mapping\n"
        "  4. benchmark L-BFGS-B against Levenberg-Marquardt on the maps -> OUT/optimizer_benchmark\n"
        "  5. write OUT/report.html linking every table and plot, and print a summary\n"
        "Mapping needs both 10X and 40X images: on data with one magnification only, steps 3\n"
        "and 4 are left out, and the report and summary say so.\n"
        "\n"
        "options:\n"
        "  -o, --out OUT     output folder (default: results)\n"
        "  -j, --jobs N|all  worker processes for segmentation (default: usable CPUs - 1)\n"
        "      --seed S      seed of the synthetic plate (default 1)\n"
        "      --trials T    optimizer benchmark trials per tile pair (default 10)\n"
        "  passed to `nucseg segment` (see its --help):\n"
        "      --channel C, --diameter D, --pixel-size UM, --diameter-um D, --name-pattern P\n"
        "  -h, --help        this text\n"
        "\n"
        "exit status: 0 all stages succeeded; 1 a stage finished with failures\n"
        "(some images or tiles); 2 usage error; 3 a stage could not run.\n");
}

/* Run a subcommand through its cmd_*() entry. getopt keeps global state:
 * reset it so the next command parses its argv from the start. */
static int run_stage(const char *title, int (*fn)(int, char **), char **argv)
{
    int argc = 0;
    while (argv[argc]) argc++;
    printf("\n== %s:", title);
    for (int i = 0; i < argc; i++) printf(" %s", argv[i]);
    printf("\n");
    fflush(stdout);
    optind = 0;
    int rc = fn(argc, argv);
    optind = 0;
    if (rc != 0)
        fprintf(stderr, "nucseg run: stage '%s' exited with status %d\n", title, rc);
    return rc;
}

typedef struct {
    const char *out, *jobs, *seed, *trials; /* jobs: NULL for the stages' default */
    const char *data;                       /* DATA_DIR, or NULL for the synthetic plate */
    /* Options for the segmentation stage, as "--name value" pairs: checked here, passed on. */
    char *seg_opts[2 * 5];
    int n_seg_opts;
} run_args;

enum { OPT_CHANNEL = 256, OPT_DIAM, OPT_PIXEL_SIZE, OPT_DIAM_UM, OPT_NAME_PATTERN };

/* One of segment's options that run passes on, checked now: -1 when fine, else the exit
 * status. Given twice, the last one counts, as in segment. */
static int add_segment_option(int c, const char *arg, run_args *a)
{
    const char *name = c == OPT_CHANNEL ? "--channel" : c == OPT_DIAM ? "--diameter"
                     : c == OPT_PIXEL_SIZE ? "--pixel-size" : c == OPT_DIAM_UM ? "--diameter-um" : "--name-pattern";
    double v;
    ns_error perr;
    if (c == OPT_CHANNEL ? !ns_arg_int(arg, 0, 65535, &(int){0})
        : c == OPT_NAME_PATTERN ? ns_name_pattern_check(arg, &perr) != NS_OK
        : !ns_arg_double(arg, &v) || !(v > 0)) {
        fprintf(stderr, "nucseg run: %s: '%s' is not %s\n", name, arg,
                c == OPT_CHANNEL ? "an index >= 0" : c == OPT_NAME_PATTERN ? "a name pattern (docs/naming.md)"
                                                                            : "a number > 0");
        return NS_EXIT_USAGE;
    }
    for (int k = 0; k < a->n_seg_opts; k += 2)
        if (!strcmp(a->seg_opts[k], name)) {
            a->seg_opts[k + 1] = (char *)arg;
            return -1;
        }
    a->seg_opts[a->n_seg_opts++] = (char *)name;
    a->seg_opts[a->n_seg_opts++] = (char *)arg;
    return -1;
}

/* The command line into a: -1 when the command should run, else the exit status. */
static int parse_options(int argc, char **argv, run_args *a)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {"jobs", required_argument, NULL, 'j'},
        {"seed", required_argument, NULL, 's'},
        {"trials", required_argument, NULL, 't'},
        {"channel", required_argument, NULL, OPT_CHANNEL},
        {"diameter", required_argument, NULL, OPT_DIAM},
        {"pixel-size", required_argument, NULL, OPT_PIXEL_SIZE},
        {"diameter-um", required_argument, NULL, OPT_DIAM_UM},
        {"name-pattern", required_argument, NULL, OPT_NAME_PATTERN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    *a = (run_args){.out = "results", .seed = "1", .trials = "10"};
    int c, rc;
    optind = 0;
    while ((c = getopt_long(argc, argv, "o:j:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': a->out = optarg; break;
        /* The stages parse these again; checked here too so that a typo is a usage error
         * before the plate is written, not a failed stage after. */
        case 'j':
            if (!ns_arg_workers(optarg, &(int){0})) {
                fprintf(stderr, "nucseg run: -j wants a count from 1 to %d or 'all', not '%s'\n", NS_ARG_MAX_WORKERS, optarg);
                return NS_EXIT_USAGE;
            }
            a->jobs = optarg;
            break;
        case 's':
            if (!ns_arg_u64(optarg, &(uint64_t){0})) {
                fprintf(stderr, "nucseg run: --seed wants a whole number >= 0, not '%s'\n", optarg);
                return NS_EXIT_USAGE;
            }
            a->seed = optarg;
            break;
        case 't':
            if (!ns_arg_int(optarg, 1, 1000000, &(int){0})) {
                fprintf(stderr, "nucseg run: --trials wants a whole number from 1 to 1000000, not '%s'\n", optarg);
                return NS_EXIT_USAGE;
            }
            a->trials = optarg;
            break;
        case OPT_CHANNEL: case OPT_DIAM: case OPT_PIXEL_SIZE: case OPT_DIAM_UM: case OPT_NAME_PATTERN:
            if ((rc = add_segment_option(c, optarg, a)) >= 0) return rc;
            break;
        case 'h': usage(stdout); return NS_EXIT_OK;
        default: usage(stderr); return NS_EXIT_USAGE;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "nucseg run: one DATA_DIR at most\n");
        usage(stderr);
        return NS_EXIT_USAGE;
    }
    a->data = optind < argc ? argv[optind] : NULL;
    /* Checked before OUT is made: segment would take a file for a single image and ask for
     * its --magnification, an option run does not have. */
    if (a->data && !ns_is_dir(a->data)) {
        fprintf(stderr, "nucseg run: %s: %s (DATA_DIR)\n", a->data,
                ns_file_exists(a->data) ? "not a directory" : "no such directory");
        return NS_EXIT_FATAL;
    }
    return -1;
}

/* The stages in order, each through its command; the worst exit status. A stage that
 * could not run stops the ones after it (their inputs are missing). truth: the plate's
 * truth.json, or NULL. With one magnification, the stages after segmentation are left
 * out and p->unmapped says why. */
static int run_stages(const run_args *r, ns_run_paths *p, char *truth, char *unmapped_why, size_t why_size)
{
    int worst = NS_EXIT_OK;
    char *data = (char *)(r->data ? r->data : p->plate);
    if (!r->data) {
        char *a[] = {"synth", (char *)p->plate, "--seed", (char *)r->seed, NULL};
        if (run_stage("synthetic plate", cmd_synth, a) != 0) return NS_EXIT_FATAL;
    }
    {
        char *a[8 + 2 * 5 + 1] = {"segment", data, "-o", (char *)p->seg, "--progress", "auto"};
        int n = 6;
        if (r->jobs) { a[n++] = "-j"; a[n++] = (char *)r->jobs; }
        for (int k = 0; k < r->n_seg_opts; k++) a[n++] = r->seg_opts[k];
        a[n] = NULL;
        int rc = run_stage("segmentation", cmd_segment, a);
        if (rc == NS_EXIT_SOME_FAILED) worst = NS_EXIT_SOME_FAILED;
        else if (rc != 0) return NS_EXIT_FATAL;
    }
    /* Mapping pairs 40X tiles with 10X ones: with one magnification there is nothing to
     * map; the segmentation is the result, and the report says why it stops there. */
    if (ns_run_mapping_unneeded(p->seg, unmapped_why, why_size)) {
        printf("\n== 10X<->40X mapping: not run: %s\n", unmapped_why);
        p->unmapped = unmapped_why;
        return worst;
    }
    {
        char *a[] = {"map", (char *)p->seg, "-o", (char *)p->map, NULL, NULL, NULL};
        if (truth) { a[4] = "--truth"; a[5] = truth; }
        int rc = run_stage("10X<->40X mapping", cmd_map, a);
        if (rc == NS_EXIT_SOME_FAILED) worst = NS_EXIT_SOME_FAILED;
        else if (rc != 0) return NS_EXIT_FATAL;
    }
    {
        char *a[] = {"bench-opt", (char *)p->seg, "-o", (char *)p->opt, "--mapping", (char *)p->map,
                     "--trials", (char *)r->trials, NULL, NULL, NULL};
        if (truth) { a[8] = "--truth"; a[9] = truth; }
        int rc = run_stage("optimizer benchmark", cmd_bench_opt, a);
        if (rc == NS_EXIT_SOME_FAILED) worst = NS_EXIT_SOME_FAILED;
        else if (rc != 0) return NS_EXIT_FATAL;
    }
    return worst;
}

int cmd_run(int argc, char **argv)
{
    run_args r;
    int rc = parse_options(argc, argv, &r);
    if (rc >= 0) return rc;
    ns_error err;
    if (ns_mkdirs(r.out, &err) != NS_OK) {
        fprintf(stderr, "nucseg run: %s\n", err.message);
        return NS_EXIT_FATAL;
    }
    char *plate = ns_path_join(r.out, "plate");
    char *seg = ns_path_join(r.out, "segmentation");
    char *map = ns_path_join(r.out, "mapping");
    char *opt = ns_path_join(r.out, "optimizer_benchmark");
    /* The synthetic plate carries its ground truth: mapping and the optimizer
     * benchmark then also report their errors against it. */
    char *truth = r.data || !plate ? NULL : ns_path_join(plate, "truth.json");
    if (!plate || !seg || !map || !opt || (!r.data && !truth)) {
        fprintf(stderr, "nucseg run: out of memory\n");
        free(plate); free(seg); free(map); free(opt); free(truth);
        return NS_EXIT_FATAL;
    }
    ns_run_paths paths = {r.out, plate, seg, map, opt, NULL};
    char unmapped_why[256] = "";
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int worst = run_stages(&r, &paths, truth, unmapped_why, sizeof unmapped_why);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    paths.plate = r.data ? NULL : plate; /* the report shows the plate only when run made it */
    if (ns_run_report_write(&paths, wall, worst, stdout, &err) != NS_OK) {
        fprintf(stderr, "nucseg run: %s\n", err.message);
        if (worst == NS_EXIT_OK) worst = NS_EXIT_FATAL;
    }
    free(plate); free(seg); free(map); free(opt); free(truth);
    return worst;
}
