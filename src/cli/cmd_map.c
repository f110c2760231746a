/* cmd_map.c — `nucseg map SEG_DIR -o MAP_DIR`: find each 40X tile's 10X tile and
 * the affine 40X px → 10X px from nuclear centroids; write mapping.csv,
 * matches.csv and mapping_summary.json. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_args.h"
#include "cli/commands.h"
#include "nucseg/batch.h"
#include "nucseg/mapping.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nucseg map SEG_DIR -o MAP_DIR [options]\n"
            "\n"
            "Map every 40X tile of SEG_DIR (written by 'nucseg segment') into the 10X tile(s) of\n"
            "its well it lies in, from nuclear centroids alone (Delaunay triangle descriptors,\n"
            "RANSAC with local optimisation, a wide-triangle search when that finds nothing,\n"
            "then re-match + refit to convergence, nuclei cut by the borders left out).\n"
            "Each placement is verified: 'ok' only with enough pairs, far above chance, and\n"
            "corners pinned down; otherwise 'uncertain' with the reason. A field straddling\n"
            "10X tiles gets one mapping.csv row per tile (share, primary = largest share).\n"
            "\n"
            "options:\n"
            "  -o, --out DIR           output folder (mapping.csv, matches.csv, mapping_summary.json)\n"
            "      --truth FILE        truth.json from 'nucseg synth': add true tile, corner error,\n"
            "                          match precision / recall\n"
            "      --tolerance PX      match distance in 10X px (default 3)\n"
            "      --scale-range A,B   accepted 10X px per 40X px (default 0.2,0.3)\n"
            "      --min-score S       fraction of the 40X nuclei expected in the overlap that must\n"
            "                          land on 10X nuclei (default 0.3)\n"
            "      --robust huber|none loss of the refinement (default huber)\n"
            "      --seed N            RANSAC sampling seed (default 1)\n"
            "  -h, --help              this text\n"
            "\n"
            "A tile whose files cannot be read (metadata, .npy) is reported on stderr and left\n"
            "unmapped (10X: no candidate); the other tiles are mapped.\n"
            "\n"
            "exit status: 0 all tiles mapped ok, 1 some uncertain, unmapped or unreadable, 2 usage, 3 nothing\n"
            "to map (no 40X or 10X centroids, or none readable)\n");
}

/* A statistic that may not exist (no tile to take it over, an unmapped tile): "n/a",
 * the console's word for the JSON's null, instead of printf's "nan" or "inf". */
static void print_stat(const char *fmt, double v)
{
    if (isfinite(v)) printf(fmt, v);
    else fputs("n/a", stdout);
}

typedef struct {
    ns_map_options o;
    const char *out_dir, *truth, *seg_dir;
} map_args;

/* The command line into a: -1 when the command should run, else the exit status. */
static int parse_options(int argc, char **argv, map_args *a)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},       {"truth", required_argument, NULL, 't'},
        {"tolerance", required_argument, NULL, 'T'}, {"scale-range", required_argument, NULL, 's'},
        {"min-score", required_argument, NULL, 'm'}, {"robust", required_argument, NULL, 'r'},
        {"seed", required_argument, NULL, 'S'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    ns_map_options_default(&a->o);
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': a->out_dir = optarg; break;
        case 't': a->truth = optarg; break;
        case 'T':
            if (!ns_arg_double(optarg, &a->o.tolerance) || a->o.tolerance <= 0) {
                fprintf(stderr, "nucseg map: --tolerance '%s' must be a positive number\n", optarg);
                return NS_EXIT_USAGE;
            }
            break;
        case 's': {
            char *end;
            a->o.scale_min = strtod(optarg, &end);
            int ok = end != optarg && *end == ',';
            if (ok) {
                const char *rest = end + 1;
                a->o.scale_max = strtod(rest, &end);
                ok = end != rest && *end == '\0' && a->o.scale_min > 0 && a->o.scale_max >= a->o.scale_min;
            }
            if (!ok) {
                fprintf(stderr, "nucseg map: --scale-range '%s' must be MIN,MAX with 0 < MIN <= MAX\n", optarg);
                return NS_EXIT_USAGE;
            }
            break;
        }
        case 'm':
            if (!ns_arg_double(optarg, &a->o.min_score) || a->o.min_score < 0 || a->o.min_score > 1) {
                fprintf(stderr, "nucseg map: --min-score '%s' must be in [0, 1]\n", optarg);
                return NS_EXIT_USAGE;
            }
            break;
        case 'r':
            if (!strcmp(optarg, "huber")) a->o.robust = 1;
            else if (!strcmp(optarg, "none")) a->o.robust = 0;
            else {
                fprintf(stderr, "nucseg map: --robust '%s' must be huber or none\n", optarg);
                return NS_EXIT_USAGE;
            }
            break;
        case 'S':
            if (!ns_arg_u64(optarg, &a->o.seed)) {
                fprintf(stderr, "nucseg map: --seed '%s' must be a non-negative integer\n", optarg);
                return NS_EXIT_USAGE;
            }
            break;
        case 'h': usage(stdout); return NS_EXIT_OK;
        default: usage(stderr); return NS_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !a->out_dir) {
        fprintf(stderr, "nucseg map: need SEG_DIR and -o MAP_DIR (see --help)\n");
        return NS_EXIT_USAGE;
    }
    a->seg_dir = argv[optind];
    return -1;
}

/* One line per 40X tile: where it went, how well, and against the truth. */
static void print_rows(const ns_map_report *rep)
{
    for (size_t i = 0; i < rep->count; i++) {
        const ns_map_row *row = &rep->rows[i];
        const ns_map_result *r = &row->result;
        int unreadable = row->tile_40x->status != NS_OK;
        if (unreadable)
            printf("%-20s -> %-20s unreadable", row->tile_40x->stem, "-");
        else {
            printf("%-20s -> %-20s %-9s score %.3f inliers %4zu rmsd ", row->tile_40x->stem,
                   row->tile_10x ? row->tile_10x->stem : "-", ns_map_status_name(r->status), r->score, r->inliers);
            print_stat("%.3f px", r->rmsd);
            printf("  %.0f ms", r->seconds * 1e3);
            if (row->n_extra) printf("  share %.2f", r->share);
            if (r->reason[0]) printf("  (%s)", r->reason);
        }
        if (rep->with_truth && row->eval.has_truth) {
            printf("  truth %s%s corner ", row->eval.true_tile_10x, row->eval.tile_correct ? " (correct)" : " (WRONG)");
            print_stat("%.3f px", row->eval.corner_error_px);
        }
        if (row->status != NS_OK && !unreadable) printf("  error: %s", row->error);
        putchar('\n');
        for (size_t k = 0; k < row->n_extra; k++) {
            const ns_map_placement *pl = &row->extra[k];
            printf("%-20s  + %-20s %-9s score %.3f inliers %4zu rmsd ", "", pl->tile_10x->stem,
                   ns_map_status_name(pl->result.status), pl->result.score, pl->result.inliers);
            print_stat("%.3f px", pl->result.rmsd);
            printf("  share %.2f", pl->result.share);
            if (rep->with_truth && pl->eval.has_truth) {
                fputs("  corner ", stdout);
                print_stat("%.3f px", pl->eval.corner_error_px);
            }
            putchar('\n');
        }
    }
}

/* The totals, and against the truth when there is one. */
static void print_totals(const ns_map_report *rep)
{
    printf("mapped %zu of %zu 40X tiles against %zu 10X tiles, median rmsd ", rep->mapped, rep->count,
           rep->tiles_10x.count - rep->unreadable_10x);
    print_stat("%.3f px", rep->median_rmsd);
    printf(", %.2f s\n", rep->seconds);
    if (rep->unreadable_40x || rep->unreadable_10x)
        printf("unreadable: %zu 40X and %zu 10X tiles (not mapped, not candidates)\n", rep->unreadable_40x,
               rep->unreadable_10x);
    if (rep->with_truth) {
        size_t no_corner = 0; /* tiles with truth but no comparable transform (unmapped) */
        for (size_t i = 0; i < rep->count; i++)
            no_corner += rep->rows[i].eval.has_truth && !isfinite(rep->rows[i].eval.corner_error_px);
        printf("truth: %zu/%zu tiles correct, max corner error ", rep->tiles_correct, rep->tiles_with_truth);
        print_stat("%.3f px", rep->tiles_with_truth ? rep->max_corner_error_px : NAN);
        if (no_corner) printf(" (none for %zu of %zu tiles)", no_corner, rep->tiles_with_truth);
        fputs(", match precision ", stdout);
        print_stat("%.4f", rep->matches ? (double)rep->correct_matches / rep->matches : NAN);
        fputs(", recall ", stdout);
        print_stat("%.4f", rep->truth_pairs ? (double)rep->recovered_pairs / rep->truth_pairs : NAN);
        putchar('\n');
    }
}

int cmd_map(int argc, char **argv)
{
    map_args a;
    int rc = parse_options(argc, argv, &a);
    if (rc >= 0) return rc;
    ns_map_report rep;
    ns_error err = {0};
    ns_status st = ns_map_dataset(a.seg_dir, a.truth, &a.o, &rep, &err);
    if (st != NS_OK) {
        fprintf(stderr, "nucseg map: %s\n", err.message);
        return NS_EXIT_FATAL;
    }
    /* One line per unreadable tile, naming the file and the reason; those tiles are not mapped. */
    const ns_tile_set *sets[2] = {&rep.tiles_10x, &rep.tiles_40x};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < sets[k]->count; i++)
            if (sets[k]->tiles[i].status != NS_OK) fprintf(stderr, "nucseg map: %s\n", sets[k]->tiles[i].error);
    fflush(stderr);
    print_rows(&rep);
    print_totals(&rep);
    st = ns_map_write(a.out_dir, &rep, &a.o, &err);
    /* An unreadable 10X tile fails too: a 40X tile that lies in it could not be mapped there. */
    int code = rep.mapped == rep.count && rep.unreadable_10x == 0 ? NS_EXIT_OK : NS_EXIT_SOME_FAILED;
    ns_map_report_free(&rep);
    if (st != NS_OK) {
        fprintf(stderr, "nucseg map: %s\n", err.message);
        return NS_EXIT_FATAL;
    }
    printf("wrote %s/mapping.csv, matches.csv, mapping_summary.json\n", a.out_dir);
    return code;
}
