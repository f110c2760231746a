/* bench_map_perturb.c — how the 10X<->40X mapping holds up when the 40X centroids are
 * damaged: each condition (drop, spurious points, jitter, rotation, scale, a field
 * straddling four 10X tiles, wide tolerances) is applied to every 40X field of the
 * given plates, the field is mapped with ns_map_tile_all against its well's 10X tiles,
 * and every placement is compared with the truth (truth.json of `nucseg synth`).
 *
 * A field is "ok" when its primary placement has status ok and its worst corner lies
 * within 2 px (10X) of the truth; a placement with status ok whose corner is further
 * off is "wrong" (what must never happen). Perturbations are in 40X px and seeded by
 * (plate folder name, field, condition): the same inputs give the same table.
 *
 * usage: bench_map_perturb PLATE_DIR... where each PLATE_DIR holds truth.json and
 *        seg/ (the output of `nucseg segment` of that plate); --csv FILE for every field. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "nucseg/mapping.h"
#include "nucseg/rng.h"

#define OK_PX 2.0

typedef struct {
    const char *name;
    double drop, spurious, jitter; /* fraction dropped, added (of the original count), sigma 40X px */
    double rotation_deg, zoom;     /* 40X coordinates turned about the centre / scaled (1: none) */
    int straddle;                  /* 10X tiles re-cut so that the field's centre is a tile corner */
    double tolerance;              /* map --tolerance (0: default) */
} condition;

static const condition CONDITIONS[] = {
    {"clean", 0, 0, 0, 0, 1, 0, 0},
    {"drop 60 %", 0.6, 0, 0, 0, 1, 0, 0},
    {"drop 90 %", 0.9, 0, 0, 0, 1, 0, 0},
    {"spurious +200 %", 0, 2, 0, 0, 1, 0, 0},
    {"spurious +300 %", 0, 3, 0, 0, 1, 0, 0},
    {"jitter sigma 3 px", 0, 0, 3, 0, 1, 0, 0},
    {"jitter sigma 6 px", 0, 0, 6, 0, 1, 0, 0},
    {"drop 60 % + spurious 20 % + sigma 3 px", 0.6, 0.2, 3, 0, 1, 0, 0},
    {"rotation +5 deg", 0, 0, 0, 5, 1, 0, 0},
    {"rotation -5 deg", 0, 0, 0, -5, 1, 0, 0},
    {"scale 0.2 (10X px per 40X px)", 0, 0, 0, 0, 0.25 / 0.2, 0, 0},
    {"scale 0.3 (10X px per 40X px)", 0, 0, 0, 0, 0.25 / 0.3, 0, 0},
    {"25 % of the field in each of four 10X tiles", 0, 0, 0, 0, 1, 1, 0},
    {"jitter sigma 6 px, --tolerance 6", 0, 0, 6, 0, 1, 0, 6},
    {"jitter sigma 6 px, --tolerance 12", 0, 0, 6, 0, 1, 0, 12},
    {"clean, --tolerance 24", 0, 0, 0, 0, 1, 0, 24},
    {"clean, --tolerance 0.5", 0, 0, 0, 0, 1, 0, 0.5},
};
#define NCOND (sizeof CONDITIONS / sizeof CONDITIONS[0])

typedef struct {
    size_t fields, ok, wrong, uncertain, unmapped;
    double max_err_ok, ms;
    double *errs;
    size_t nerr;
} tally;

static void die(const ns_error *err)
{
    fprintf(stderr, "bench_map_perturb: %s\n", err->message);
    exit(1);
}

/* The perturbed copy of a 40X field; *p_inv maps perturbed coordinates back to the
 * original ones (rotation/zoom about the centre). */
static int perturb(const ns_tile_points *src, const condition *c, uint64_t seed, ns_tile_points *out,
                   ns_affine *p_inv)
{
    memset(out, 0, sizeof *out);
    out->stem = strdup(src->stem);
    out->well = strdup(src->well);
    out->magnification = 40;
    out->diameter = src->diameter * c->zoom;
    out->width = (int)lround(src->width * c->zoom);
    out->height = (int)lround(src->height * c->zoom);
    size_t cap = src->n + (size_t)ceil(c->spurious * (double)src->n) + 1;
    out->xy = malloc(2 * cap * sizeof *out->xy);
    if (!out->stem || !out->well || !out->xy) return 0;
    double th = c->rotation_deg * M_PI / 180, cx = src->width / 2.0, cy = src->height / 2.0;
    ns_affine p; /* original -> perturbed */
    ns_affine_similarity(c->zoom, th, 0, 0, &p);
    p.tx = out->width / 2.0 - (p.a * cx + p.b * cy);
    p.ty = out->height / 2.0 - (p.c * cx + p.d * cy);
    ns_error err;
    if (ns_affine_invert(&p, p_inv, &err) != NS_OK) return 0;
    uint64_t rng = seed;
    for (size_t i = 0; i < src->n; i++) {
        double x, y;
        ns_affine_apply(&p, src->xy[2 * i], src->xy[2 * i + 1], &x, &y);
        if (ns_splitmix64_uniform(&rng) < c->drop) continue;
        x += c->jitter * ns_splitmix64_gaussian(&rng);
        y += c->jitter * ns_splitmix64_gaussian(&rng);
        if (x < 0 || y < 0 || x > out->width - 1 || y > out->height - 1) continue; /* turned out of the frame */
        out->xy[2 * out->n] = x;
        out->xy[2 * out->n + 1] = y;
        out->n++;
    }
    size_t extra = (size_t)llround(c->spurious * (double)src->n);
    for (size_t k = 0; k < extra; k++) {
        out->xy[2 * out->n] = ns_splitmix64_uniform(&rng) * (out->width - 1);
        out->xy[2 * out->n + 1] = ns_splitmix64_uniform(&rng) * (out->height - 1);
        out->n++;
    }
    return 1;
}

/* Four 10X tiles of the same size as the well's, cut from the well's 10X centroids
 * (each point from the tile whose centre is nearest, so overlaps count once) with
 * their common corner at well point (px, py). */
static void recut(const ns_tile_set *s10, const ns_truth *truth, const char *well, double px, double py,
                  ns_tile_points out[4], ns_affine to_well[4])
{
    int w = 0, h = 0;
    double dia = 0;
    for (size_t i = 0; i < s10->count; i++)
        if (!strcmp(s10->tiles[i].well, well)) { w = s10->tiles[i].width; h = s10->tiles[i].height; dia = s10->tiles[i].diameter; }
    for (int k = 0; k < 4; k++) {
        memset(&out[k], 0, sizeof out[k]);
        char name[64];
        snprintf(name, sizeof name, "%s_Recut-%d", well, k);
        out[k].stem = strdup(name);
        out[k].well = strdup(well);
        out[k].magnification = 10;
        out[k].width = w;
        out[k].height = h;
        out[k].diameter = dia;
        ns_affine_identity(&to_well[k]);
        to_well[k].tx = px - (k % 2 ? 0 : w);
        to_well[k].ty = py - (k / 2 ? 0 : h);
        size_t total = 0;
        for (size_t i = 0; i < s10->count; i++) total += s10->tiles[i].n;
        out[k].xy = malloc((2 * total + 2) * sizeof *out[k].xy);
    }
    for (size_t i = 0; i < s10->count; i++) {
        const ns_tile_points *t = &s10->tiles[i];
        if (strcmp(t->well, well)) continue;
        const ns_truth_tile *tt = ns_truth_find_tile(truth, t->stem);
        if (!tt || !tt->has_to_well) continue;
        for (size_t j = 0; j < t->n; j++) {
            double X, Y;
            ns_affine_apply(&tt->to_well, t->xy[2 * j], t->xy[2 * j + 1], &X, &Y);
            /* keep the point only in the tile whose centre it is nearest to */
            double best = INFINITY;
            size_t owner = i;
            for (size_t q = 0; q < s10->count; q++) {
                const ns_truth_tile *tq = ns_truth_find_tile(truth, s10->tiles[q].stem);
                if (strcmp(s10->tiles[q].well, well) || !tq || !tq->has_to_well) continue;
                double cx, cy;
                ns_affine_apply(&tq->to_well, s10->tiles[q].width / 2.0, s10->tiles[q].height / 2.0, &cx, &cy);
                double d = hypot(X - cx, Y - cy);
                if (d < best) { best = d; owner = q; }
            }
            if (owner != i) continue;
            for (int k = 0; k < 4; k++) {
                double x = X - to_well[k].tx, y = Y - to_well[k].ty;
                if (x < 0 || y < 0 || x > w - 1 || y > h - 1) continue;
                out[k].xy[2 * out[k].n] = x;
                out[k].xy[2 * out[k].n + 1] = y;
                out[k].n++;
            }
        }
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int only = -1; /* --only K: run condition K alone (for quick looks) */

static void run_plate(const char *dir, tally *tl, FILE *csv)
{
    char path[4096];
    ns_error err = {0};
    ns_truth truth;
    snprintf(path, sizeof path, "%s/truth.json", dir);
    if (ns_truth_load(path, &truth, &err) != NS_OK) die(&err);
    ns_tile_set s10, s40;
    snprintf(path, sizeof path, "%s/seg", dir);
    if (ns_tile_set_load(path, 10, &s10, &err) != NS_OK || ns_tile_set_load(path, 40, &s40, &err) != NS_OK) die(&err);
    for (size_t f = 0; f < s40.count; f++) {
        const ns_tile_points *t40 = &s40.tiles[f];
        const ns_truth_tile *tt40 = ns_truth_find_tile(&truth, t40->stem);
        if (t40->status != NS_OK || !tt40 || !tt40->has_to_well) continue;
        for (size_t c = 0; c < NCOND; c++) {
            if (only >= 0 && (size_t)only != c) continue;
            const condition *cd = &CONDITIONS[c];
            ns_map_options o;
            ns_map_options_default(&o);
            if (cd->tolerance > 0) o.tolerance = cd->tolerance;
            /* candidates: the well's 10X tiles, or four re-cut around the field's centre */
            ns_tile_points recuts[4];
            ns_affine recut_well[4];
            ns_tile_points *cand = malloc((s10.count + 4) * sizeof *cand);
            ns_affine *cand_well = malloc((s10.count + 4) * sizeof *cand_well);
            size_t nc = 0;
            if (cd->straddle) {
                double px, py;
                ns_affine_apply(&tt40->to_well, t40->width / 2.0, t40->height / 2.0, &px, &py);
                recut(&s10, &truth, t40->well, px, py, recuts, recut_well);
                for (int k = 0; k < 4; k++) { cand[nc] = recuts[k]; cand_well[nc++] = recut_well[k]; }
            } else {
                for (size_t i = 0; i < s10.count; i++) {
                    const ns_truth_tile *tt = ns_truth_find_tile(&truth, s10.tiles[i].stem);
                    if (strcmp(s10.tiles[i].well, t40->well) || s10.tiles[i].status != NS_OK || !tt) continue;
                    cand[nc] = s10.tiles[i];
                    cand_well[nc++] = tt->to_well;
                }
            }
            ns_map_index **ix = calloc(nc ? nc : 1, sizeof *ix);
            for (size_t i = 0; i < nc; i++)
                if (ns_map_index_build(&cand[i], &o, &ix[i], &err) != NS_OK) die(&err);
            ns_tile_points pt;
            ns_affine p_inv;
            /* FNV-1a of the plate folder's name (not its path: the same plates give the same
             * draws wherever they are), then the field and the condition */
            uint64_t seed = 1469598103934665603ull;
            const char *base = strrchr(dir, '/') && strrchr(dir, '/')[1] ? strrchr(dir, '/') + 1 : dir;
            for (const char *s = base; *s; s++) seed = (seed ^ (unsigned char)*s) * 1099511628211ull;
            seed ^= (uint64_t)f * 0x9E3779B97F4A7C15ull + (uint64_t)c * 0xBF58476D1CE4E5B9ull;
            if (!perturb(t40, cd, seed, &pt, &p_inv)) {
                fprintf(stderr, "bench_map_perturb: out of memory\n");
                exit(1);
            }
            double t0 = ns_clock_ms();
            ns_map_result *res = NULL;
            size_t nres = 0;
            ns_status st = ns_map_tile_all(&pt, cand, ix, nc, &o, &res, &nres, &err);
            double ms = ns_clock_ms() - t0;
            tally *t = &tl[c];
            t->fields++;
            t->ms += ms;
            const char *verdict = "unmapped";
            double primary_err = NAN;
            if (st == NS_OK) {
                for (size_t k = 0; k < nres; k++) {
                    const ns_map_result *r = &res[k];
                    if (r->tile_10x < 0) continue;
                    /* truth: perturbed 40X -> original 40X -> well -> this 10X tile */
                    ns_affine w_inv, a, truth_t;
                    if (ns_affine_invert(&cand_well[r->tile_10x], &w_inv, &err) != NS_OK) die(&err);
                    ns_affine_compose(&tt40->to_well, &p_inv, &a);
                    ns_affine_compose(&w_inv, &a, &truth_t);
                    double e = ns_affine_corner_error(&r->t, &truth_t, pt.width - 1, pt.height - 1);
                    if (k == 0) primary_err = e;
                    if (r->status == NS_MAP_OK && !(e <= OK_PX)) t->wrong++;
                }
                const ns_map_result *r0 = &res[0];
                if (r0->status == NS_MAP_OK && primary_err <= OK_PX) {
                    verdict = "ok";
                    t->ok++;
                    t->max_err_ok = fmax(t->max_err_ok, primary_err);
                    t->errs = realloc(t->errs, (t->nerr + 1) * sizeof *t->errs);
                    t->errs[t->nerr++] = primary_err;
                } else if (r0->status == NS_MAP_OK) verdict = "wrong";
                else if (r0->status == NS_MAP_UNCERTAIN) { verdict = "uncertain"; t->uncertain++; }
                else t->unmapped++;
                if (csv)
                    fprintf(csv, "%s,%s,\"%s\",%s,%zu,%.4f,%.3f,%s,%.1f\n", dir, t40->stem, cd->name, verdict, nres,
                            primary_err, r0->score, r0->reason, ms);
                for (size_t k = 0; k < nres; k++) ns_map_result_free(&res[k]);
                free(res);
            } else {
                t->unmapped++;
                if (csv) fprintf(csv, "%s,%s,\"%s\",error,0,,,%s,%.1f\n", dir, t40->stem, cd->name, err.message, ms);
            }
            ns_tile_points_free(&pt);
            for (size_t i = 0; i < nc; i++) ns_map_index_free(ix[i]);
            free(ix);
            if (cd->straddle)
                for (int k = 0; k < 4; k++) ns_tile_points_free(&recuts[k]);
            free(cand);
            free(cand_well);
        }
    }
    ns_tile_set_free(&s10);
    ns_tile_set_free(&s40);
    ns_truth_free(&truth);
}

int main(int argc, char **argv)
{
    const char *csv_path = NULL;
    int first = 1;
    for (;;) {
        if (first + 1 < argc && !strcmp(argv[first], "--csv")) { csv_path = argv[first + 1]; first += 2; }
        else if (first + 1 < argc && !strcmp(argv[first], "--only")) { only = atoi(argv[first + 1]); first += 2; }
        else break;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: bench_map_perturb [--csv FILE] [--only K] PLATE_DIR...  (each: truth.json + seg/)\n");
        return 2;
    }
    FILE *csv = NULL;
    if (csv_path) {
        csv = fopen(csv_path, "w");
        if (!csv) { perror(csv_path); return 1; }
        fputs("plate,field,condition,verdict,placements,primary_corner_error_px,score,reason,ms\n", csv);
    }
    tally tl[NCOND];
    memset(tl, 0, sizeof tl);
    bench_print_load("before");
    for (int i = first; i < argc; i++) run_plate(argv[i], tl, csv);
    bench_print_load("after");
    if (csv) fclose(csv);
    printf("\n| condition (40X centroids) | ok | wrong with status ok | uncertain | unmapped | "
           "median / max corner error of ok (10X px) | ms per field |\n| --- | --- | --- | --- | --- | --- | --- |\n");
    for (size_t c = 0; c < NCOND; c++) {
        tally *t = &tl[c];
        if (!t->fields) continue;
        double med = NAN;
        if (t->nerr) {
            qsort(t->errs, t->nerr, sizeof *t->errs, cmp_double);
            med = t->errs[t->nerr / 2];
        }
        printf("| %s | %zu/%zu | %zu | %zu | %zu | %.3f / %.3f | %.1f |\n", CONDITIONS[c].name, t->ok, t->fields,
               t->wrong, t->uncertain, t->unmapped, med, t->nerr ? t->max_err_ok : NAN,
               t->fields ? t->ms / t->fields : NAN);
        free(t->errs);
    }
    return 0;
}
