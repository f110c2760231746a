/* cmd_bench_opt.c — `nucseg bench-opt`: the optimizer benchmark (optbench.h) on the
 * mapped tile pairs of a segmentation: options, the run, and the summary printed. */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_args.h"
#include "cli/commands.h"
#include "nucseg/batch.h"
#include "nucseg/fsutil.h"
#include "nucseg/optbench.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: nucseg bench-opt SEG_DIR -o OUT [--mapping MAP_DIR] [--truth truth.json]\n"
        "                        [--trials 10] [--iterations 100] [--seed 1]\n"
        "\n"
        "Benchmark L-BFGS-B against Levenberg-Marquardt on the nucleus pairs of every mapped\n"
        "40X/10X tile pair (MAP_DIR/mapping.csv rows with status ok, MAP_DIR/matches.csv;\n"
        "default MAP_DIR: SEG_DIR/../mapping). Trial k starts from the mapping's transform\n"
        "perturbed by scale 5k %%, rotation 2k deg, translation 10k px (10X px; k = 0: 1 %%,\n"
        "0.5 deg, 2 px) with random signs; a fit succeeds when its RMSD is within 1e-6\n"
        "(relative) of the closed-form least-squares optimum. With --truth, the corner error\n"
        "against the true transform is reported too.\n"
        "\n"
        "Writes OUT/optimizer_benchmark.csv, _summary.csv (by well and method), _overall.csv,\n"
        "optimizer_benchmark.json and {rmsd,time,success}_vs_perturbation.{png,svg}.\n"
        "Exit: 0 ok, 1 some pair could not be benchmarked, 2 usage, 3 nothing to benchmark\n"
        "(SEG_DIR missing, no mapped pair, unreadable inputs).\n");
}

typedef struct {
    const char *out, *map_arg, *truth, *seg_dir;
    ns_optbench_options opt;
} bench_opt_args;

/* Options into a; -1 when the command should run, else the exit status. */
static int parse_options(int argc, char **argv, bench_opt_args *a)
{
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'}, {"mapping", required_argument, 0, 'm'},
        {"truth", required_argument, 0, 't'},  {"trials", required_argument, 0, 'n'},
        {"iterations", required_argument, 0, 'i'}, {"seed", required_argument, 0, 's'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    a->opt = (ns_optbench_options){.trials = 10, .iterations = 100, .seed = 1, .log = stderr,
                                   .log_prefix = "nucseg bench-opt: "};
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': a->out = optarg; break;
        case 'm': a->map_arg = optarg; break;
        case 't': a->truth = optarg; break;
        case 'n':
            if (!ns_arg_int(optarg, 1, 1000000, &a->opt.trials)) {
                fprintf(stderr, "nucseg bench-opt: --trials '%s': need a whole number from 1 to 1000000\n", optarg);
                return NS_EXIT_USAGE;
            }
            break;
        case 'i':
            if (!ns_arg_int(optarg, 1, 1000000, &a->opt.iterations)) {
                fprintf(stderr, "nucseg bench-opt: --iterations '%s': need a whole number from 1 to 1000000\n", optarg);
                return NS_EXIT_USAGE;
            }
            break;
        case 's':
            if (!ns_arg_u64(optarg, &a->opt.seed)) {
                fprintf(stderr, "nucseg bench-opt: --seed '%s': need a non-negative integer\n", optarg);
                return NS_EXIT_USAGE;
            }
            break;
        case 'h': usage(stdout); return NS_EXIT_OK;
        default: usage(stderr); return NS_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !a->out) {
        fprintf(stderr, "nucseg bench-opt: %s\n",
                !a->out ? "missing -o OUT" : "need exactly one SEG_DIR argument");
        usage(stderr);
        return NS_EXIT_USAGE;
    }
    a->seg_dir = argv[optind];
    return -1;
}

/* The overall figures of each method, one line each. */
static void print_overall(const ns_optbench_stats overall[NS_OPTBENCH_METHODS], const char *out)
{
    printf("\n%-20s %6s %8s %12s %10s %10s %7s %14s\n", "method", "fits", "success", "median_rmsd",
           "median_us", "p90_us", "iters", "true_corner_px");
    for (int m = 0; m < NS_OPTBENCH_METHODS; m++) {
        const ns_optbench_stats *s = &overall[m];
        printf("%-20s %6zu %7.1f%% %12.6f %10.1f %10.1f %7g ", ns_optimizer_name((ns_optimizer)m),
               s->fits, 100 * s->success_rate, s->median_rmsd, s->median_time_us, s->p90_time_us,
               s->median_iterations);
        if (isfinite(s->mean_true_corner_err)) printf("%14.4f\n", s->mean_true_corner_err);
        else printf("%14s\n", "-");
    }
    printf("\nwrote %s/optimizer_benchmark{.csv,_summary.csv,_overall.csv,.json} and plots\n", out);
}

int cmd_bench_opt(int argc, char **argv)
{
    bench_opt_args a;
    int rc = parse_options(argc, argv, &a);
    if (rc >= 0) return rc;
    /* SEG_DIR is checked even with --mapping: a typo there must not pass silently. */
    if (!ns_is_dir(a.seg_dir)) {
        fprintf(stderr, "nucseg bench-opt: %s: %s (SEG_DIR)\n", a.seg_dir,
                ns_file_exists(a.seg_dir) ? "not a directory" : "no such directory");
        return NS_EXIT_FATAL;
    }
    char *map_dir = a.map_arg ? strdup(a.map_arg) : ns_path_join(a.seg_dir, "../mapping");
    char *map_csv = map_dir ? ns_path_join(map_dir, "mapping.csv") : NULL;
    char *match_csv = map_dir ? ns_path_join(map_dir, "matches.csv") : NULL;
    ns_optbench_pairs pl = {0};
    ns_optbench_result res = {0};
    ns_optbench_stats overall[NS_OPTBENCH_METHODS];
    ns_error err = {0};
    rc = NS_EXIT_FATAL;
    if (!map_dir || !map_csv || !match_csv) {
        fprintf(stderr, "nucseg bench-opt: out of memory\n");
        goto done;
    }
    if (ns_optbench_load(map_csv, match_csv, a.truth, &pl, &err) != NS_OK) {
        fprintf(stderr, "nucseg bench-opt: %s\n", err.message);
        goto done;
    }
    if (pl.count == 0) {
        fprintf(stderr, "nucseg bench-opt: %s: no mapped tile pairs (status ok): nothing to benchmark\n",
                map_csv);
        goto done;
    }
    if (ns_mkdirs(a.out, &err) != NS_OK) {
        fprintf(stderr, "nucseg bench-opt: %s\n", err.message);
        goto done;
    }
    printf("bench-opt: %zu mapped tile pairs, %d trials, 2 methods, max %d iterations\n", pl.count,
           a.opt.trials, a.opt.iterations);
    if (ns_optbench_run(&pl, &a.opt, &res, &err) != NS_OK) {
        fprintf(stderr, "nucseg bench-opt: %s\n", err.message);
        goto done;
    }
    if (res.benchmarked == 0 && res.failed == pl.count) {
        fprintf(stderr, "nucseg bench-opt: none of the %zu mapped pairs could be benchmarked\n", pl.count);
        goto done;
    }
    if (ns_optbench_write(a.out, &pl, &res, &a.opt, map_dir, a.truth, overall, &err) != NS_OK) {
        fprintf(stderr, "nucseg bench-opt: %s\n", err.message);
        goto done;
    }
    print_overall(overall, a.out);
    rc = res.failed ? NS_EXIT_SOME_FAILED : NS_EXIT_OK;
    if (res.failed) fprintf(stderr, "nucseg bench-opt: %zu of %zu pairs failed\n", res.failed, pl.count);
done:
    ns_optbench_result_free(&res);
    ns_optbench_pairs_free(&pl);
    free(map_dir);
    free(map_csv);
    free(match_csv);
    return rc;
}
