/* cmd_eval.c — `nucseg eval GT_DIR PRED_DIR`: F1 at IoU 0.5 and the DSB2018
 * score of predicted label images against ground truth, per image and mean. */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/commands.h"
#include "nucseg/batch.h"
#include "nucseg/eval.h"
#include "nucseg/fsutil.h"
#include "nucseg/image.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: nucseg eval GT_DIR PRED_DIR [--csv FILE]\n"
        "\n"
        "Scores instance label images the way the Data Science Bowl 2018 did. For every\n"
        "ground-truth label image GT_DIR/<id>_labels.{png,tif}, the prediction is\n"
        "PRED_DIR/**/<id>_labels.tif (as written by nucseg segment) or <id>_labels.png.\n"
        "A predicted nucleus matches a true one when their\n"
        "IoU > 0.5. Reports F1 at IoU 0.5 and the DSB2018 score (mean over IoU 0.50..0.95 of\n"
        "TP/(TP+FP+FN)), per image and averaged over images.\n"
        "\n"
        "  --csv FILE   also write the per-image table to FILE\n"
        "  -h, --help   this text\n"
        "\n"
        "exit status: 0 every ground-truth image had a prediction; 1 some were missing or\n"
        "unreadable; 2 usage error; 3 no ground truth found.\n");
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* Find <name> anywhere under dir (depth-first); malloc'd path or NULL. */
static char *find_file(const char *dir, const char *name, int depth)
{
    char *direct = ns_path_join(dir, name);
    if (direct && ns_file_exists(direct) && !ns_is_dir(direct)) return direct;
    free(direct);
    if (depth > 4) return NULL;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    struct dirent *e;
    char *found = NULL;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *p = ns_path_join(dir, e->d_name);
        if (p && ns_is_dir(p)) found = find_file(p, name, depth + 1);
        free(p);
    }
    closedir(d);
    return found;
}

static ns_status read_labels(const char *path, ns_image *lab, ns_error *err)
{
    ns_image img;
    ns_status st = ns_image_read(path, 0, 0, &img, err);
    if (st != NS_OK) return st;
    st = ns_image_to_u32(&img, lab, err); /* refuses float images */
    if (st != NS_OK) ns_error_prefix(err, "%s", path);
    ns_image_free(&img);
    return st;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cmd_eval(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"csv", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *csv = NULL;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'c') csv = optarg;
        else if (c == 'h') { usage(stdout); return NS_EXIT_OK; }
        else { usage(stderr); return NS_EXIT_USAGE; }
    }
    if (argc - optind != 2) { usage(stderr); return NS_EXIT_USAGE; }
    const char *gt_dir = argv[optind], *pred_dir = argv[optind + 1];
    DIR *d = opendir(gt_dir);
    if (!d) { fprintf(stderr, "nucseg eval: %s: cannot open folder\n", gt_dir); return NS_EXIT_FATAL; }
    /* Ground truth: *_labels.{png,tif,tiff}. */
    char **names = NULL;
    size_t nn = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *s = e->d_name;
        if (!(ends_with(s, "_labels.png") || ends_with(s, "_labels.tif") || ends_with(s, "_labels.tiff"))) continue;
        if (nn == cap) {
            cap = cap ? cap * 2 : 64;
            char **p = realloc(names, cap * sizeof *p);
            if (!p) break;
            names = p;
        }
        names[nn] = strdup(s);
        if (names[nn]) nn++;
    }
    closedir(d);
    if (nn == 0) {
        fprintf(stderr, "nucseg eval: %s: no *_labels.png / *_labels.tif ground truth found\n", gt_dir);
        free(names);
        return NS_EXIT_FATAL;
    }
    qsort(names, nn, sizeof *names, by_name);
    ns_atomic_file out;
    ns_error err;
    int have_csv = 0;
    if (csv) {
        if (ns_atomic_open(&out, csv, &err) != NS_OK) {
            fprintf(stderr, "nucseg eval: %s\n", err.message);
            for (size_t i = 0; i < nn; i++) free(names[i]);
            free(names);
            return NS_EXIT_FATAL;
        }
        have_csv = 1;
        fprintf(out.fp, "image,n_true,n_pred,tp50,fp50,fn50,precision50,recall50,f1_50,dsb_score\n");
    }
    double sum_f1 = 0, sum_dsb = 0;
    size_t scored = 0, missing = 0;
    printf("%-28s %6s %6s %7s %7s\n", "image", "true", "pred", "F1@0.5", "DSB");
    for (size_t i = 0; i < nn; i++) {
        char id[1024];
        snprintf(id, sizeof id, "%s", names[i]);
        *strstr(id, "_labels.") = 0;
        char want[1100];
        char *pred = NULL;
        const char *exts[] = {"_labels.tif", "_labels.tiff", "_labels.png"};
        for (int k = 0; k < 3 && !pred; k++) {
            snprintf(want, sizeof want, "%s%s", id, exts[k]);
            pred = find_file(pred_dir, want, 0);
        }
        char *gt = ns_path_join(gt_dir, names[i]);
        ns_image a = {0}, b = {0};
        ns_eval_result r;
        if (!pred) {
            fprintf(stderr, "nucseg eval: %s: no prediction %s_labels.tif under %s\n", names[i], id, pred_dir);
            missing++;
        } else if (read_labels(gt, &a, &err) != NS_OK || read_labels(pred, &b, &err) != NS_OK) {
            fprintf(stderr, "nucseg eval: %s\n", err.message);
            missing++;
        } else if (a.width != b.width || a.height != b.height) {
            fprintf(stderr, "nucseg eval: %s: size %dx%d differs from ground truth %dx%d\n", pred, b.width,
                    b.height, a.width, a.height);
            missing++;
        } else if (ns_eval_labels(a.data, b.data, a.width, a.height, &r, &err) != NS_OK) {
            fprintf(stderr, "nucseg eval: %s: %s\n", pred, err.message);
            missing++;
        } else {
            printf("%-28s %6zu %6zu %7.3f %7.3f\n", id, r.n_true, r.n_pred, r.f1_50, r.dsb_score);
            if (have_csv)
                fprintf(out.fp, "%s,%zu,%zu,%zu,%zu,%zu,%.4f,%.4f,%.4f,%.4f\n", id, r.n_true, r.n_pred, r.tp50,
                        r.fp50, r.fn50, r.precision50, r.recall50, r.f1_50, r.dsb_score);
            sum_f1 += r.f1_50;
            sum_dsb += r.dsb_score;
            scored++;
        }
        ns_image_free(&a);
        ns_image_free(&b);
        free(pred);
        free(gt);
    }
    if (scored) printf("mean over %zu images: F1@0.5 %.4f  DSB2018 score %.4f\n", scored, sum_f1 / scored, sum_dsb / scored);
    if (missing) printf("%zu ground-truth images had no usable prediction\n", missing);
    if (have_csv && ns_atomic_close(&out, &err) != NS_OK) fprintf(stderr, "nucseg eval: %s\n", err.message);
    for (size_t i = 0; i < nn; i++) free(names[i]);
    free(names);
    return scored == 0 ? NS_EXIT_FATAL : missing ? NS_EXIT_SOME_FAILED : NS_EXIT_OK;
}
