/* cmd_bench.c — `nucseg bench`: the scaling benchmark. Segments a batch through a
 * sequential loop and through the worker pool at several worker counts, repeated, and
 * writes the CSV, JSON, recommendation, plots and an HTML page (see scaling.h). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_args.h"
#include "cli/commands.h"
#include "dist/bench.h"
#include "dist/dist.h"
#include "nucseg/batch.h"
#include "nucseg/image.h"
#include "nucseg/scaling.h"
#include "nucseg/synth.h"

#define DEFAULT_OUT "results/segmentation_benchmark"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: nucseg bench [DATA_DIR] [-o OUT] [options]\n"
        "\n"
        "Scaling benchmark: segments the same images with a sequential in-process loop and with\n"
        "the worker pool at 1, 2, 4, ..., CPUs-1 and CPUs workers, each configuration repeated,\n"
        "and recommends a worker count for 'nucseg segment -j'. Without DATA_DIR, synthetic\n"
        "16-bit fields are written once to OUT/inputs/ (not timed).\n"
        "\n"
        "  -o, --out OUT         results folder (default " DEFAULT_OUT ")\n"
        "      --images N        synthetic fields per image size (default 24)\n"
        "      --width W         synthetic field width for the worker sweep (default 1024)\n"
        "      --height H        synthetic field height (default 1024; W x H at most 2^28 pixels)\n"
        "      --density D       fraction of the field covered by nuclei, at most 0.9 (default 0.25)\n"
        "      --diameter PX     nuclear diameter in px, for synthesis (2 to 1000) and segmentation\n"
        "                        (default 10)\n"
        "      --repeats N       runs per configuration (default 3)\n"
        "      --max-workers N   largest worker count (default: usable CPUs; 2x with --oversubscribe)\n"
        "      --oversubscribe   also measure more workers than CPUs\n"
        "      --sizes LIST      square sizes for the image-size sweep, e.g. 512,2048, or 'none'\n"
        "                        (default 512,1024,2048; the worker-sweep size is\n"
        "                        not run twice: its worker-sweep rows stand for it; at most 16384)\n"
        "      --seed S          synthetic seed (default 1)\n"
        "      --tolerance F     a count within F of the best throughput counts as as good (default 0.03)\n"
        "  -q, --quiet           no progress lines\n"
        "  -h, --help            this text\n"
        "\n"
        "Writes OUT/segmentation_benchmark.csv, OUT/segmentation_benchmark_summary.json,\n"
        "OUT/recommendation.txt, plots (PNG + SVG) and OUT/report.html.\n"
        "\n"
        "Under mpirun -n R (or srun), rank 0 makes the inputs once and every pool run goes over\n"
        "1, 2, ..., R ranks with each worker count per rank, through the same dispatcher as\n"
        "'mpirun nucseg segment': the CSV gains 'ranks' and 'total_workers' columns, speedup and\n"
        "efficiency are against 1 rank x 1 worker, and the recommendation names ranks x workers\n"
        "(docs/distributed.md). OUT must be on a folder every rank can read and write.\n"
        "Exit status: 0 ok, 1 some images failed to segment, 2 usage, 3 the benchmark could not run.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "nucseg bench: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see 'nucseg bench --help')\n");
    return NS_EXIT_USAGE;
}

/* "512,1024,2048" → sizes; "none" or "" → no size sweep. */
static int parse_sizes(const char *s, ns_scaling_options *o)
{
    o->nsizes = 0;
    if (!*s || !strcmp(s, "none")) return 0;
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v < 1 || (size_t)v * (size_t)v > NS_DEFAULT_MAX_PIXELS || (*end && *end != ','))
            return -1;
        if (o->nsizes == NS_SCALING_MAX_SIZES) return -1;
        o->sizes[o->nsizes++] = (int)v;
        p = *end ? end + 1 : end;
    }
    return 0;
}

static const char *sweep_label(ns_sweep s)
{
    return s == NS_SWEEP_SIZE ? "size" : "worker";
}

static void print_table(const ns_scaling_result *r)
{
    int mpi = r->mpi_ranks > 0; /* a ranks column first; one process's table as ever */
    if (mpi) printf("\n%5s ", "ranks");
    else printf("\n");
    printf("%-12s %8s %12s %9s %8s %10s %9s\n", "mode", "workers", "wall s (med)", "img/s", "speedup",
           "efficiency", "CPU util");
    /* worker sweep first, then the size sweep; a header line whenever the batch changes */
    const ns_scaling_row *prev = NULL;
    for (int pass = 0; pass < 2; pass++) {
        ns_sweep sweep = pass == 0 ? NS_SWEEP_WORKERS : NS_SWEEP_SIZE;
        for (size_t i = 0; i < r->count; i++) {
            const ns_scaling_row *x = &r->rows[i];
            if (x->sweep != sweep) continue;
            if (!prev || prev->sweep != x->sweep || prev->width != x->width || prev->height != x->height) {
                if (x->width > 0)
                    printf("-- %s sweep: %zu images of %dx%d\n", sweep_label(sweep), x->images, x->width, x->height);
                else
                    printf("-- %s sweep: %zu images of mixed sizes\n", sweep_label(sweep), x->images);
            }
            if (mpi) printf("%5d ", x->ranks);
            printf("%-12s %8d %12.3f %9.3g %8.2f %10.2f %9.2f\n", x->sequential ? "sequential" : "pool",
                   x->workers, x->wall.median, x->ips_median, x->speedup_seq, x->efficiency, x->cpu_utilisation);
            prev = x;
        }
    }
    printf("(speedup = t(sequential) / t(this), medians over repeats; efficiency = speedup / workers;\n"
           " CPU util = worker CPU time / (wall time x workers))\n");
    if (mpi)
        printf("(under MPI: workers per rank; efficiency and CPU util per worker in all, ranks x workers;\n"
               " speedup and efficiency against 1 rank x 1 worker in recommendation.txt and the CSV)\n");
}

/* Other processes competing for the CPUs make every parallel figure look worse than the
 * machine can do; say so rather than let a loaded run pass for a measurement. */
static void warn_background(const ns_scaling_result *r)
{
    double worst = 0;
    for (size_t i = 0; i < r->count; i++)
        if (r->rows[i].background_cpus_median > worst) worst = r->rows[i].background_cpus_median;
    if (worst >= 0.25)
        printf("\nWarning: other processes kept up to %.2f of %d CPUs busy during the runs (background_cpus\n"
               "column): speedups and efficiencies are understated. Rerun on an idle machine to measure it.\n",
               worst, r->env.usable_cpus);
}

/* The benchmark, its files and its report on stdout; the exit status. */
static int bench(const ns_scaling_options *o)
{
    ns_error err;
    ns_scaling_result r;
    ns_status st = ns_scaling_run(o, &r, &err);
    if (st) {
        fprintf(stderr, "nucseg bench: %s\n", err.message);
        return NS_EXIT_FATAL;
    }
    st = ns_scaling_write_all(o->out_dir, o, &r, &err);
    if (st) {
        fprintf(stderr, "nucseg bench: %s\n", err.message);
        ns_scaling_result_free(&r);
        return NS_EXIT_FATAL;
    }

    print_table(&r);
    warn_background(&r);
    char *text = ns_scaling_recommendation_text(&r);
    if (text) {
        printf("\n%s", text);
        free(text);
    }
    size_t failed = 0;
    for (size_t i = 0; i < r.count; i++) failed += r.rows[i].failed;
    printf("\nTotal %.1f s (input generation %.1f s). Results in %s/: segmentation_benchmark.csv,\n"
           "segmentation_benchmark_summary.json, recommendation.txt, report.html and the plots.\n",
           r.env.total_s, r.env.generation_s, o->out_dir);
    if (failed) fprintf(stderr, "nucseg bench: %zu image runs failed to segment (see the 'failed' column)\n", failed);
    ns_scaling_result_free(&r);
    return failed ? NS_EXIT_SOME_FAILED : NS_EXIT_OK;
}

/* Rank 0 measures and reports, every run over ranks going through the dispatcher; the
 * other ranks segment what it deals them, with the same batch options, and every rank
 * exits with rank 0's status. */
static int bench_over_ranks(ns_scaling_options *o, ns_dist *d)
{
    int code;
    ns_dist_bench_share_node(d);
    if (ns_dist_rank(d) == 0) {
        ns_scaling_ranks ranks = {ns_dist_size(d), ns_dist_bench_run, d};
        o->ranks = &ranks;
        code = bench(o);
        ns_dist_bench_stop(d, code);
    } else {
        ns_scaling_env env; /* only to give this rank's workers one thread each, as rank 0's */
        memset(&env, 0, sizeof env);
        ns_scaling_single_thread_env(&env);
        /* OUT/scratch, as rank 0 names it; a longer path fails on rank 0 (ENAMETOOLONG) before
         * any run, so a cut one here is never used */
        char scratch[PATH_MAX];
        snprintf(scratch, sizeof scratch, "%s/scratch", o->out_dir);
        ns_batch_options opt;
        ns_scaling_batch_options(o, scratch, &opt);
        code = ns_dist_bench_follow(d, &opt);
    }
    ns_dist_finish(d);
    return code;
}

int cmd_bench(int argc, char **argv)
{
    ns_scaling_options o;
    ns_scaling_options_default(&o);
    o.out_dir = DEFAULT_OUT;

    enum { OPT_IMAGES = 256, OPT_WIDTH, OPT_HEIGHT, OPT_DENSITY, OPT_DIAMETER, OPT_REPEATS, OPT_MAXW,
           OPT_OVERSUB, OPT_SIZES, OPT_SEED, OPT_TOL };
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},          {"images", required_argument, NULL, OPT_IMAGES},
        {"width", required_argument, NULL, OPT_WIDTH},    {"height", required_argument, NULL, OPT_HEIGHT},
        {"density", required_argument, NULL, OPT_DENSITY}, {"diameter", required_argument, NULL, OPT_DIAMETER},
        {"repeats", required_argument, NULL, OPT_REPEATS}, {"max-workers", required_argument, NULL, OPT_MAXW},
        {"oversubscribe", no_argument, NULL, OPT_OVERSUB}, {"sizes", required_argument, NULL, OPT_SIZES},
        {"seed", required_argument, NULL, OPT_SEED},      {"tolerance", required_argument, NULL, OPT_TOL},
        {"quiet", no_argument, NULL, 'q'},                {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    optind = 0;
    int c;
    const char *diameter_arg = NULL;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': o.out_dir = optarg; break;
        case 'q': o.progress = 0; break;
        case 'h': usage(stdout); return NS_EXIT_OK;
        case OPT_IMAGES:
            if (!ns_arg_int(optarg, 1, INT_MAX, &o.images)) return usage_error("--images needs a whole number >= 1, not '%s'", optarg);
            break;
        case OPT_WIDTH:
            if (!ns_arg_int(optarg, 1, INT_MAX, &o.width)) return usage_error("--width needs a whole number >= 1, not '%s'", optarg);
            break;
        case OPT_HEIGHT:
            if (!ns_arg_int(optarg, 1, INT_MAX, &o.height)) return usage_error("--height needs a whole number >= 1, not '%s'", optarg);
            break;
        case OPT_DENSITY:
            if (!ns_arg_double(optarg, &o.density) || !(o.density > 0 && o.density <= NS_SYNTH_FIELD_MAX_DENSITY))
                return usage_error("--density needs a fraction above 0 and at most 0.9, not '%s'", optarg);
            break;
        case OPT_DIAMETER:
            if (!ns_arg_double(optarg, &o.diameter) || !(o.diameter > 0))
                return usage_error("--diameter needs a number of pixels > 0, not '%s'", optarg);
            diameter_arg = optarg;
            break;
        case OPT_REPEATS:
            if (!ns_arg_int(optarg, 1, INT_MAX, &o.repeats)) return usage_error("--repeats needs a whole number >= 1, not '%s'", optarg);
            break;
        case OPT_MAXW:
            if (!ns_arg_int(optarg, 1, NS_ARG_MAX_WORKERS, &o.max_workers)) {
                fprintf(stderr, "nucseg bench: --max-workers needs a whole number from 1 to %d (as segment -j), "
                        "not '%s' (see 'nucseg bench --help')\n", NS_ARG_MAX_WORKERS, optarg);
                return NS_EXIT_USAGE;
            }
            break;
        case OPT_OVERSUB: o.oversubscribe = 1; break;
        case OPT_SIZES:
            if (parse_sizes(optarg, &o))
                return usage_error("--sizes needs up to 16 comma-separated sizes from 1 to 16384 px (or 'none'), "
                                   "not '%s'", optarg);
            break;
        case OPT_SEED:
            if (!ns_arg_u64(optarg, &o.seed)) return usage_error("--seed needs a whole number >= 0, not '%s'", optarg);
            break;
        case OPT_TOL:
            if (!ns_arg_double(optarg, &o.tolerance) || !(o.tolerance >= 0 && o.tolerance < 1))
                return usage_error("--tolerance needs a fraction in [0, 1), not '%s'", optarg);
            break;
        default: /* getopt has named the option and what is wrong with it */
            fprintf(stderr, "see 'nucseg bench --help'\n");
            return NS_EXIT_USAGE;
        }
    }
    if (optind < argc) o.data_dir = argv[optind++];
    if (optind < argc) return usage_error("unexpected argument '%s'", argv[optind]);
    /* Without DATA_DIR the fields are synthesised: refuse here what synthesis would refuse
     * after the output folder is made, so that a bad value is a usage error naming its option. */
    if (!o.data_dir) {
        if (diameter_arg && !(o.diameter >= NS_SYNTH_FIELD_MIN_DIAMETER && o.diameter <= NS_SYNTH_FIELD_MAX_DIAMETER))
            return usage_error("--diameter '%s': synthetic fields need a diameter from 2 to 1000 px", diameter_arg);
        if ((size_t)o.width * (size_t)o.height > NS_DEFAULT_MAX_PIXELS) {
            char size[64];
            snprintf(size, sizeof size, "%dx%d", o.width, o.height);
            return usage_error("--width x --height %s: a synthetic field has at most 2^28 pixels", size);
        }
    }

    /* Under mpirun with several ranks, rank 0 runs the benchmark and the others take part
     * in its runs over ranks (dist/bench.h); one rank is one machine's benchmark. */
    if (ns_dist_launched()) {
        ns_error err;
        ns_dist *d = NULL;
        if (ns_dist_init(&d, &err) != NS_OK) {
            fprintf(stderr, "nucseg bench: %s\n", err.message);
            return NS_EXIT_FATAL;
        }
        if (ns_dist_size(d) > 1) return bench_over_ranks(&o, d);
        ns_dist_finish(d);
    }
    return bench(&o);
}
