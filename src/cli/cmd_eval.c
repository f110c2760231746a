/* cmd_eval.c — `nucseg eval GT_DIR PRED_DIR`: F1 at IoU 0.5 and the DSB2018
 * score of predicted label images against ground truth, per image and mean. */
#include <dirent.h>
#include <errno.h>
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
        "Two candidates for one image (say x/<id>_labels.tif and y/<id>_labels.tif) are\n"
        "ambiguous: that image is not scored and both are named. Label values above\n"
        "4 x pixels + 65536 are refused (not a label image), naming the file.\n"
        "\n"
        "  --csv FILE   also write the per-image table to FILE\n"
        "  -h, --help   this text\n"
        "\n"
        "exit status: 0 every ground-truth image had a prediction; 1 some (or all) were\n"
        "missing, ambiguous or unreadable; 2 usage error; 3 no ground truth found, or\n"
        "GT_DIR or PRED_DIR is not a readable folder.\n");
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* Every prediction-like file (*_labels.{tif,tiff,png}) under PRED_DIR, found once. */
typedef struct {
    char **paths; /* owned, sorted */
    size_t count, cap;
} pred_list;

static void pred_list_free(pred_list *l)
{
    for (size_t i = 0; i < l->count; i++) free(l->paths[i]);
    free(l->paths);
    memset(l, 0, sizeof *l);
}

/* How label images are named, ground truth and predictions alike: <id><suffix>. */
static const char *const LABEL_SUFFIX[] = {"_labels.tif", "_labels.tiff", "_labels.png"};
#define N_LABEL_SUFFIX (sizeof LABEL_SUFFIX / sizeof LABEL_SUFFIX[0])

static int is_label_name(const char *s)
{
    for (size_t k = 0; k < N_LABEL_SUFFIX; k++)
        if (ends_with(s, LABEL_SUFFIX[k])) return 1;
    return 0;
}

/* Is path's base name <id>_labels.{tif,tiff,png}? */
static int is_prediction_of(const char *path, const char *id)
{
    const char *slash = strrchr(path, '/'), *nm = slash ? slash + 1 : path;
    size_t n = strlen(id);
    if (strncmp(nm, id, n)) return 0;
    for (size_t k = 0; k < N_LABEL_SUFFIX; k++)
        if (!strcmp(nm + n, LABEL_SUFFIX[k])) return 1;
    return 0;
}

/* Walk dir depth-first (to depth 4, which also ends a symbolic-link loop); 0 on out of memory. */
static int collect_preds(const char *dir, int depth, pred_list *l)
{
    DIR *d = opendir(dir);
    if (!d) return 1; /* an unreadable sub-folder holds no prediction we could read */
    struct dirent *e;
    int ok = 1;
    while (ok && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue; /* ., .., and temporary files of a running segment */
        char *p = ns_path_join(dir, e->d_name);
        if (!p) { ok = 0; break; }
        if (ns_is_dir(p)) {
            if (depth < 4) ok = collect_preds(p, depth + 1, l);
            free(p);
            continue;
        }
        if (!is_label_name(e->d_name)) { free(p); continue; }
        if (l->count == l->cap) {
            size_t cap = l->cap ? 2 * l->cap : 64;
            char **pp = realloc(l->paths, cap * sizeof *pp);
            if (!pp) { free(p); ok = 0; break; }
            l->paths = pp;
            l->cap = cap;
        }
        l->paths[l->count++] = p;
    }
    closedir(d);
    return ok;
}

/* Read a label image and check its values, so an error names the file it is about. */
static ns_status read_labels(const char *path, ns_image *lab, ns_error *err)
{
    ns_image img;
    ns_status st = ns_image_read(path, 0, 0, &img, err);
    if (st != NS_OK) return st;
    st = ns_image_to_u32(&img, lab, err); /* refuses float images */
    ns_image_free(&img);
    if (st == NS_OK) {
        st = ns_eval_check_labels(lab->data, lab->width, lab->height, err);
        if (st != NS_OK) ns_image_free(lab);
    }
    if (st != NS_OK) ns_error_prefix(err, "%s", path);
    return st;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* The ground truth in gt_dir, *_labels.{png,tif,tiff}, sorted into *names (*nn of
 * them); 0 when the folder cannot be read or holds none (said on stderr). */
static int list_truth(const char *gt_dir, char ***names_out, size_t *nn_out)
{
    DIR *d = opendir(gt_dir);
    if (!d) {
        fprintf(stderr, "nucseg eval: %s: %s (GT_DIR)\n", gt_dir,
                errno == ENOENT ? "no such directory" : strerror(errno));
        return 0;
    }
    char **names = NULL;
    size_t nn = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *s = e->d_name;
        if (!is_label_name(s)) continue;
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
        return 0;
    }
    qsort(names, nn, sizeof *names, by_name);
    *names_out = names;
    *nn_out = nn;
    return 1;
}

/* Score the prediction of ground-truth image `name` into r: 1, or 0 (said on stderr)
 * when it has no usable prediction. id: the image's name without _labels.*. */
static int score_image(const char *gt_dir, const char *pred_dir, const char *name, const char *id,
                       const pred_list *preds, ns_eval_result *r)
{
    /* Candidates: <id>_labels.{tif,tiff,png} anywhere under PRED_DIR. More than one is
     * ambiguous (two runs' outputs side by side): that image fails, naming them all. */
    size_t ncand = 0;
    const char *pred = NULL;
    for (size_t k = 0; k < preds->count; k++)
        if (is_prediction_of(preds->paths[k], id) && ncand++ == 0) pred = preds->paths[k];
    char *gt = ns_path_join(gt_dir, name);
    ns_image a = {0}, b = {0};
    ns_error err;
    int ok = 0;
    if (!gt) {
        fprintf(stderr, "nucseg eval: %s: out of memory\n", name);
    } else if (ncand > 1) {
        fprintf(stderr, "nucseg eval: %s: %zu candidate predictions, not scored:", name, ncand);
        for (size_t k = 0; k < preds->count; k++)
            if (is_prediction_of(preds->paths[k], id)) fprintf(stderr, " %s", preds->paths[k]);
        fputc('\n', stderr);
    } else if (!pred) {
        fprintf(stderr, "nucseg eval: %s: no prediction %s_labels.tif under %s\n", name, id, pred_dir);
    } else if (read_labels(gt, &a, &err) != NS_OK || read_labels(pred, &b, &err) != NS_OK) {
        fprintf(stderr, "nucseg eval: %s\n", err.message);
    } else if (a.width != b.width || a.height != b.height) {
        fprintf(stderr, "nucseg eval: %s: size %dx%d differs from ground truth %dx%d\n", pred, b.width,
                b.height, a.width, a.height);
    } else if (ns_eval_labels(a.data, b.data, a.width, a.height, r, &err) != NS_OK) {
        fprintf(stderr, "nucseg eval: %s vs %s: %s\n", gt, pred, err.message);
    } else {
        ok = 1;
    }
    ns_image_free(&a);
    ns_image_free(&b);
    free(gt);
    return ok;
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
    /* A PRED_DIR that is not there is one mistake, not "no prediction" for every image. */
    DIR *d = opendir(pred_dir);
    if (!d) {
        fprintf(stderr, "nucseg eval: %s: %s (PRED_DIR)\n", pred_dir,
                errno == ENOENT ? "no such directory" : strerror(errno));
        return NS_EXIT_FATAL;
    }
    closedir(d);
    char **names = NULL;
    size_t nn = 0;
    if (!list_truth(gt_dir, &names, &nn)) return NS_EXIT_FATAL;
    pred_list preds = {0};
    if (!collect_preds(pred_dir, 0, &preds)) {
        fprintf(stderr, "nucseg eval: %s: out of memory listing predictions\n", pred_dir);
        pred_list_free(&preds);
        free_names(names, nn);
        return NS_EXIT_FATAL;
    }
    if (preds.count) qsort(preds.paths, preds.count, sizeof *preds.paths, by_name); /* stable listing order */
    ns_atomic_file out;
    ns_error err;
    int have_csv = 0;
    if (csv) {
        if (ns_atomic_open(&out, csv, &err) != NS_OK) {
            fprintf(stderr, "nucseg eval: %s\n", err.message);
            pred_list_free(&preds);
            free_names(names, nn);
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
        ns_eval_result r;
        if (!score_image(gt_dir, pred_dir, names[i], id, &preds, &r)) {
            missing++;
            continue;
        }
        printf("%-28s %6zu %6zu %7.3f %7.3f\n", id, r.n_true, r.n_pred, r.f1_50, r.dsb_score);
        if (have_csv)
            fprintf(out.fp, "%s,%zu,%zu,%zu,%zu,%zu,%.4f,%.4f,%.4f,%.4f\n", id, r.n_true, r.n_pred, r.tp50,
                    r.fp50, r.fn50, r.precision50, r.recall50, r.f1_50, r.dsb_score);
        sum_f1 += r.f1_50;
        sum_dsb += r.dsb_score;
        scored++;
    }
    if (scored) printf("mean over %zu images: F1@0.5 %.4f  DSB2018 score %.4f\n", scored, sum_f1 / scored, sum_dsb / scored);
    if (missing) printf("%zu ground-truth images had no usable prediction\n", missing);
    if (have_csv && ns_atomic_close(&out, &err) != NS_OK) fprintf(stderr, "nucseg eval: %s\n", err.message);
    pred_list_free(&preds);
    free_names(names, nn);
    /* Ground truth was found, so even none scored is "some failed" (1), not "could not run" (3). */
    return missing ? NS_EXIT_SOME_FAILED : NS_EXIT_OK;
}
