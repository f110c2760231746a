/* cmd_synth.c — `nucseg synth OUT_DIR`: write a synthetic plate with exact ground truth. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli/cli_args.h"
#include "cli/commands.h"
#include "nucseg/batch.h"
#include "nucseg/synth.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: nucseg synth OUT_DIR [options]\n"
            "\n"
            "Write a synthetic plate of DAPI-like nuclei with exact ground truth:\n"
            "  OUT_DIR/genotyping/cycle_1/<Well>_Tile-<n>.tif   10X tiles (16-bit, deflate)\n"
            "  OUT_DIR/phenotyping/<Well>_Site-<n>.tif          40X sites (each inside one 10X tile)\n"
            "  OUT_DIR/truth/{10X,40X}/<stem>_labels.tif, <stem>_nuclei.csv\n"
            "  OUT_DIR/truth.json   every tile's pixel->well map and every 40X->10X affine\n"
            "  OUT_DIR/preview/     8-bit PNGs with truth outlines, for looking at\n"
            "\n"
            "options:\n"
            "  --seed S             random seed (default 1); same seed, same bytes\n"
            "  --wells N            wells (default 2)\n"
            "  --tiles-10x N        10X tiles per well, on a square grid (default 4)\n"
            "  --sites-per-tile N   40X sites inside each 10X tile (default 1)\n"
            "  --size-10x PX        10X tile width = height (default 1024)\n"
            "  --size-40x PX        40X site width = height (default 2048)\n"
            "  --diameter PX        mean nuclear diameter at 10X (default 10; 40X: 4x)\n"
            "  --density F          fraction of the well covered by nuclei (default 0.15)\n"
            "  -h, --help           this text\n");
}

int cmd_synth(int argc, char **argv)
{
    ns_synth_plate_options o;
    ns_synth_plate_options_default(&o);
    static const struct option longopts[] = {
        {"seed", required_argument, 0, 's'},
        {"wells", required_argument, 0, 'w'},
        {"tiles-10x", required_argument, 0, 't'},
        {"sites-per-tile", required_argument, 0, 'p'},
        {"size-10x", required_argument, 0, 'a'},
        {"size-40x", required_argument, 0, 'b'},
        {"diameter", required_argument, 0, 'd'},
        {"density", required_argument, 0, 'D'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    optind = 0;
    int c, size = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 's': bad = !ns_arg_u64(optarg, &o.seed); break;
        case 'w': bad = !ns_arg_int(optarg, 1, 384, &o.wells); break;
        case 't': bad = !ns_arg_int(optarg, 1, 10000, &o.tiles_10x); break;
        case 'p': bad = !ns_arg_int(optarg, 0, 100, &o.sites_per_tile); break;
        case 'a':
            bad = !ns_arg_int(optarg, 32, 16384, &size);
            o.width_10x = o.height_10x = size;
            break;
        case 'b':
            bad = !ns_arg_int(optarg, 32, 16384, &size);
            o.width_40x = o.height_40x = size;
            break;
        case 'd': bad = !ns_arg_double(optarg, &o.diameter_10x); break;
        case 'D': bad = !ns_arg_double(optarg, &o.density); break;
        case 'h': usage(stdout); return NS_EXIT_OK;
        default: usage(stderr); return NS_EXIT_USAGE;
        }
        if (bad) {
            fprintf(stderr, "nucseg synth: invalid value '%s' for --%s\n", optarg,
                    c == 's' ? "seed" : c == 'w' ? "wells" : c == 't' ? "tiles-10x" : c == 'p' ? "sites-per-tile"
                    : c == 'a' ? "size-10x" : c == 'b' ? "size-40x" : c == 'd' ? "diameter" : "density");
            return NS_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "nucseg synth: expected one OUT_DIR (see nucseg synth --help)\n");
        return NS_EXIT_USAGE;
    }
    const char *out_dir = argv[optind];
    ns_error err = {0};
    ns_synth_plate_summary sum;
    ns_status st = ns_synth_plate_run(out_dir, &o, &sum, &err);
    if (st == NS_ERR_INVALID) {
        fprintf(stderr, "nucseg synth: %s\n", err.message);
        return NS_EXIT_USAGE;
    }
    if (st != NS_OK) {
        fprintf(stderr, "nucseg synth: %s\n", err.message);
        return NS_EXIT_FATAL;
    }
    printf("nucseg synth: seed %" PRIu64 ", %d well(s), %d 10X tile(s) of %dx%d, %d 40X site(s) of %dx%d\n",
           o.seed, sum.wells, sum.tiles_10x, o.width_10x, o.height_10x, sum.sites_40x, o.width_40x, o.height_40x);
    printf("  nuclei: %zu generated, %zu truth labels in 10X tiles, %zu in 40X sites (diameter %g px at 10X)\n",
           sum.nuclei, sum.labels_10x, sum.labels_40x, o.diameter_10x);
    printf("  10X tiles:   %s/genotyping/cycle_1/\n", out_dir);
    printf("  40X sites:   %s/phenotyping/\n", out_dir);
    printf("  truth:       %s/truth/ and %s/truth.json\n", out_dir, out_dir);
    printf("  previews:    %s/preview/\n", out_dir);
    if (sum.removed_previous)
        printf("  removed %zu files of views of the previous plate in %s that this one does not have\n",
               sum.removed_previous, out_dir);
    printf("  done in %.2f s\n", sum.seconds);
    return NS_EXIT_OK;
}
