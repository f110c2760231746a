/* cmd_bench_opt.c — `nucseg bench-opt`: L-BFGS-B against Levenberg–Marquardt on the
 * nucleus pairs of mapped 40X/10X tiles. For each mapped pair the closed-form least
 * squares fit is the reference optimum; each method then starts from the mapping's
 * transform perturbed by a growing amount (trial k) and is scored on whether it
 * reaches that optimum (RMSD within 1e-6 relative), how fast, in how many iterations,
 * and, with --truth, how far its transform lies from the true one at the tile corners.
 * Inputs: MAP_DIR/mapping.csv and MAP_DIR/matches.csv written by `nucseg map`. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cjson/cJSON.h>

#include "cli/cli_args.h"
#include "cli/commands.h"
#include "nucseg/affine.h"
#include "nucseg/batch.h"
#include "nucseg/fsutil.h"
#include "nucseg/mapping.h"
#include "nucseg/plot.h"
#include "nucseg/rng.h"
#include "nucseg/report.h"
#include "nucseg/stats.h"

#define DEG (M_PI / 180.0)
#define SUCCESS_REL 1e-6
#define NMETHODS 2

/* ---- CSV input ---------------------------------------------------------------- */

/* Split one CSV line in place (RFC 4180 quotes); returns the field count (<= max). */
static int csv_split(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
    for (;;) {
        if (n == max) return n;
        if (*p == '"') {
            char *o = ++p;
            fields[n++] = o;
            while (*p) {
                if (*p == '"' && p[1] == '"') { *o++ = '"'; p += 2; }
                else if (*p == '"') { p++; break; }
                else *o++ = *p++;
            }
            while (*p && *p != ',') p++;
            int more = *p == ',';
            *o = 0;
            if (!more) return n;
            p++;
        } else {
            fields[n++] = p;
            char *comma = strchr(p, ',');
            if (!comma) return n;
            *comma = 0;
            p = comma + 1;
        }
    }
}

enum { MAXF = 32 };

typedef struct {
    FILE *f;
    const char *path;
    char *line;
    size_t cap;
    char *hdr[MAXF];
    char *hdr_line;
    int nhdr;
    char *fields[MAXF];
    int nf;
    long lineno;
} csv_reader;

static ns_status csv_open(csv_reader *r, const char *path, ns_error *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    ns_status regular = ns_require_regular_file(path, err); /* a FIFO would block fopen */
    if (regular != NS_OK) return regular;
    r->f = fopen(path, "r");
    if (!r->f) return ns_error_set(err, NS_ERR_IO, "%s: %s", path, strerror(errno));
    if (getline(&r->line, &r->cap, r->f) < 0) {
        fclose(r->f);
        free(r->line);
        r->f = NULL;
        return ns_error_set(err, NS_ERR_FORMAT, "%s: empty file (no header)", path);
    }
    r->hdr_line = strdup(r->line);
    if (!r->hdr_line) return ns_error_set(err, NS_ERR_NOMEM, "%s: header", path);
    r->nhdr = csv_split(r->hdr_line, r->hdr, MAXF);
    r->lineno = 1;
    return NS_OK;
}

static int csv_col(const csv_reader *r, const char *name)
{
    for (int i = 0; i < r->nhdr; i++)
        if (!strcmp(r->hdr[i], name)) return i;
    return -1;
}

/* Next non-empty row; 0 at the end of the file. */
static int csv_next(csv_reader *r)
{
    while (getline(&r->line, &r->cap, r->f) >= 0) {
        r->lineno++;
        if (r->line[0] == '\n' || r->line[0] == '\r' || r->line[0] == 0) continue;
        r->nf = csv_split(r->line, r->fields, MAXF);
        return 1;
    }
    return 0;
}

static void csv_close(csv_reader *r)
{
    if (r->f) fclose(r->f);
    free(r->line);
    free(r->hdr_line);
    memset(r, 0, sizeof *r);
}

/* Column indices that must all be present; names the first missing one. */
static ns_status csv_require(const csv_reader *r, const char *const *names, int *idx, int n,
                             ns_error *err)
{
    for (int i = 0; i < n; i++)
        if ((idx[i] = csv_col(r, names[i])) < 0)
            return ns_error_set(err, NS_ERR_FORMAT, "%s: no column '%s'", r->path, names[i]);
    return NS_OK;
}

/* ---- The pairs to benchmark ----------------------------------------------------- */

typedef struct {
    char *tile_40x, *tile_10x, *well; /* owned */
    ns_affine mapped;                 /* transform from mapping.csv */
    double *src, *dst;                /* owned: 40X xy, 10X xy */
    size_t n, cap;
    int has_truth;
    ns_affine truth;
    double width, height;             /* 40X tile size (from truth.json), 0 when unknown */
} opt_pair;

typedef struct {
    opt_pair *items;
    size_t count, cap;
} opt_pair_list;

static void pairs_free(opt_pair_list *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free(l->items[i].tile_40x); free(l->items[i].tile_10x); free(l->items[i].well);
        free(l->items[i].src); free(l->items[i].dst);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

static opt_pair *pairs_find(opt_pair_list *l, const char *t40, const char *t10)
{
    for (size_t i = 0; i < l->count; i++)
        if (!strcmp(l->items[i].tile_40x, t40) && !strcmp(l->items[i].tile_10x, t10))
            return &l->items[i];
    return NULL;
}

static ns_status read_mapping(const char *path, opt_pair_list *l, ns_error *err)
{
    static const char *const cols[] = {"tile_40x", "tile_10x", "well", "a", "b", "tx",
                                       "c", "d", "ty", "status"};
    int idx[10];
    csv_reader r;
    ns_status st = csv_open(&r, path, err);
    if (st != NS_OK) return st;
    if ((st = csv_require(&r, cols, idx, 10, err)) != NS_OK) goto done;
    while (csv_next(&r)) {
        if (r.nf < r.nhdr) {
            st = ns_error_set(err, NS_ERR_FORMAT, "%s:%ld: %d fields, header has %d", path, r.lineno,
                              r.nf, r.nhdr);
            goto done;
        }
        if (strcmp(r.fields[idx[9]], "ok") != 0) continue; /* unmapped tiles: nothing to fit */
        double v[6];
        for (int k = 0; k < 6; k++)
            if (!ns_arg_double(r.fields[idx[3 + k]], &v[k])) {
                st = ns_error_set(err, NS_ERR_FORMAT, "%s:%ld: column %s: '%s' is not a number",
                                  path, r.lineno, cols[3 + k], r.fields[idx[3 + k]]);
                goto done;
            }
        if (l->count == l->cap) {
            size_t cap = l->cap ? 2 * l->cap : 16;
            opt_pair *p = realloc(l->items, cap * sizeof *p);
            if (!p) { st = ns_error_set(err, NS_ERR_NOMEM, "%s: rows", path); goto done; }
            l->items = p;
            l->cap = cap;
        }
        opt_pair *p = &l->items[l->count];
        memset(p, 0, sizeof *p);
        p->tile_40x = strdup(r.fields[idx[0]]);
        p->tile_10x = strdup(r.fields[idx[1]]);
        p->well = strdup(r.fields[idx[2]]);
        l->count++;
        if (!p->tile_40x || !p->tile_10x || !p->well) {
            st = ns_error_set(err, NS_ERR_NOMEM, "%s: rows", path);
            goto done;
        }
        p->mapped = (ns_affine){v[0], v[1], v[2], v[3], v[4], v[5]};
    }
done:
    csv_close(&r);
    return st;
}

static ns_status read_matches(const char *path, opt_pair_list *l, ns_error *err)
{
    static const char *const cols[] = {"tile_40x", "tile_10x", "x_40x", "y_40x", "x_10x", "y_10x"};
    int idx[6];
    csv_reader r;
    ns_status st = csv_open(&r, path, err);
    if (st != NS_OK) return st;
    if ((st = csv_require(&r, cols, idx, 6, err)) != NS_OK) goto done;
    while (csv_next(&r)) {
        if (r.nf < r.nhdr) {
            st = ns_error_set(err, NS_ERR_FORMAT, "%s:%ld: %d fields, header has %d", path, r.lineno,
                              r.nf, r.nhdr);
            goto done;
        }
        opt_pair *p = pairs_find(l, r.fields[idx[0]], r.fields[idx[1]]);
        if (!p) continue; /* matches of a tile that is not mapped "ok" */
        double v[4];
        for (int k = 0; k < 4; k++)
            if (!ns_arg_double(r.fields[idx[2 + k]], &v[k])) {
                st = ns_error_set(err, NS_ERR_FORMAT, "%s:%ld: column %s: '%s' is not a number",
                                  path, r.lineno, cols[2 + k], r.fields[idx[2 + k]]);
                goto done;
            }
        if (p->n == p->cap) {
            size_t cap = p->cap ? 2 * p->cap : 256;
            double *s = realloc(p->src, 2 * cap * sizeof *s);
            if (s) p->src = s;
            double *d = s ? realloc(p->dst, 2 * cap * sizeof *d) : NULL;
            if (d) p->dst = d;
            if (!s || !d) { st = ns_error_set(err, NS_ERR_NOMEM, "%s: matches", path); goto done; }
            p->cap = cap;
        }
        p->src[2 * p->n] = v[0]; p->src[2 * p->n + 1] = v[1];
        p->dst[2 * p->n] = v[2]; p->dst[2 * p->n + 1] = v[3];
        p->n++;
    }
done:
    csv_close(&r);
    return st;
}

static ns_status attach_truth(const char *truth_path, opt_pair_list *l, ns_error *err)
{
    ns_truth truth;
    ns_status st = ns_truth_load(truth_path, &truth, err);
    if (st != NS_OK) return st;
    for (size_t i = 0; i < l->count; i++) {
        opt_pair *p = &l->items[i];
        const ns_truth_pair *tp = ns_truth_find_pair(&truth, p->tile_40x);
        const ns_truth_tile *tt = ns_truth_find_tile(&truth, p->tile_40x);
        /* Corner errors need the true 10X tile: a wrongly mapped tile has no true transform. */
        if (tp && tt && !strcmp(tp->stem_10x, p->tile_10x)) {
            p->has_truth = 1;
            p->truth = tp->t;
            p->width = tt->width;
            p->height = tt->height;
        }
    }
    ns_truth_free(&truth);
    return NS_OK;
}

/* ---- Trials --------------------------------------------------------------------- */

static double rand_sign(uint64_t *s) { return (ns_splitmix64(s) >> 63) ? 1.0 : -1.0; }

/* Magnitudes of trial k: k = 0 is a small nudge, then 5 % / 2° / 10 px per level. */
static void perturbation(int k, double *scale_pct, double *rot_deg, double *trans_px)
{
    if (k == 0) { *scale_pct = 1; *rot_deg = 0.5; *trans_px = 2; return; }
    *scale_pct = 5.0 * k;
    *rot_deg = 2.0 * k;
    *trans_px = 10.0 * k;
}

/* The start: the mapping's transform followed by a similarity about the image (in
 * 10X px) of the matched points' centroid, so the translation offset is what the
 * column says and scale/rotation do not add hidden translation at the points. */
static void perturbed_start(const opt_pair *p, int k, uint64_t *rng, ns_affine *out)
{
    double sp, rd, tp;
    perturbation(k, &sp, &rd, &tp);
    double ds = rand_sign(rng) * sp / 100, dr = rand_sign(rng) * rd * DEG;
    double dx = rand_sign(rng) * tp, dy = rand_sign(rng) * tp;
    double cx = 0, cy = 0, qx, qy;
    for (size_t i = 0; i < p->n; i++) { cx += p->src[2 * i]; cy += p->src[2 * i + 1]; }
    cx /= (double)p->n;
    cy /= (double)p->n;
    ns_affine_apply(&p->mapped, cx, cy, &qx, &qy);
    ns_affine sim;
    ns_affine_similarity(1 + ds, dr, 0, 0, &sim);
    double sx, sy;
    ns_affine_apply(&sim, qx, qy, &sx, &sy);
    sim.tx = qx - sx + dx;
    sim.ty = qy - sy + dy;
    ns_affine_compose(&sim, &p->mapped, out);
}

typedef struct {
    int method, trial, pair;
    double scale_pct, rot_deg, trans_px;
    double rmsd, cf_rmsd, rel_diff, time_us;
    size_t scratch_bytes;
    long maxrss_kb;
    int iterations, nfev, njev, converged, success, ok;
    double param_dist, true_corner_err, cf_true_corner_err;
} opt_record;

static double param_dist(const ns_affine *x, const ns_affine *y)
{
    double d[6] = {x->a - y->a, x->b - y->b, x->tx - y->tx, x->c - y->c, x->d - y->d, x->ty - y->ty};
    double s = 0;
    for (int i = 0; i < 6; i++) s += d[i] * d[i];
    return sqrt(s);
}

static long maxrss_kb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* ---- Outputs -------------------------------------------------------------------- */

static void put_num(FILE *f, double v, int digits)
{
    fputc(',', f);
    ns_csv_number(f, v, digits);
}

static ns_status write_records(const char *out, const opt_pair_list *pl, const opt_record *r,
                               size_t n, ns_error *err)
{
    char *path = ns_path_join(out, "optimizer_benchmark.csv");
    if (!path) return ns_error_set(err, NS_ERR_NOMEM, "%s: path", out);
    ns_atomic_file f;
    ns_status st = ns_atomic_open(&f, path, err);
    free(path);
    if (st != NS_OK) return st;
    fprintf(f.fp, "method,well,tile_40x,tile_10x,trial,perturbation_scale_pct,"
                  "perturbation_rotation_deg,perturbation_translation_px,pairs,rmsd,closed_form_rmsd,"
                  "rel_diff,time_us,scratch_bytes,maxrss_kb,iterations,nfev,njev,converged,success,"
                  "param_dist_to_closed_form,true_corner_error_px,closed_form_true_corner_error_px\n");
    for (size_t i = 0; i < n; i++) {
        const opt_record *x = &r[i];
        const opt_pair *p = &pl->items[x->pair];
        ns_csv_field(f.fp, ns_optimizer_name((ns_optimizer)x->method));
        fputc(',', f.fp); ns_csv_field(f.fp, p->well);
        fputc(',', f.fp); ns_csv_field(f.fp, p->tile_40x);
        fputc(',', f.fp); ns_csv_field(f.fp, p->tile_10x);
        fprintf(f.fp, ",%d", x->trial);
        put_num(f.fp, x->scale_pct, 6); put_num(f.fp, x->rot_deg, 6); put_num(f.fp, x->trans_px, 6);
        fprintf(f.fp, ",%zu", p->n);
        put_num(f.fp, x->rmsd, 12); put_num(f.fp, x->cf_rmsd, 12); put_num(f.fp, x->rel_diff, 6);
        put_num(f.fp, x->time_us, 6);
        fprintf(f.fp, ",%zu,%ld,%d,%d,%d,%d,%d", x->scratch_bytes, x->maxrss_kb, x->iterations,
                x->nfev, x->njev, x->converged, x->success);
        put_num(f.fp, x->param_dist, 6);
        put_num(f.fp, x->true_corner_err, 6);
        put_num(f.fp, x->cf_true_corner_err, 6);
        fputc('\n', f.fp);
    }
    return ns_atomic_close(&f, err);
}

/* Figures over a subset of records (one method, optionally one well or one trial). */
typedef struct {
    size_t fits, successes, with_truth;
    double success_rate, median_rmsd, median_time_us, p90_time_us, median_iterations;
    double mean_true_corner_err, median_rel_diff;
} opt_stats;

static double quantile(double *v, size_t n, double q)
{
    if (n == 0) return NAN;
    /* Sorted copy by insertion is fine for benchmark sizes; ns_median for the median. */
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) { v[j] = v[j - 1]; j--; }
        v[j] = x;
    }
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)pos;
    double fr = pos - (double)lo;
    return lo + 1 < n ? v[lo] * (1 - fr) + v[lo + 1] * fr : v[lo];
}

static ns_status subset_stats(const opt_record *r, size_t n, const opt_pair_list *pl, int method,
                              const char *well, int trial, opt_stats *s, ns_error *err)
{
    memset(s, 0, sizeof *s);
    double *rm = malloc((n + 1) * sizeof *rm), *tm = malloc((n + 1) * sizeof *tm);
    double *it = malloc((n + 1) * sizeof *it), *rd = malloc((n + 1) * sizeof *rd);
    if (!rm || !tm || !it || !rd) {
        free(rm); free(tm); free(it); free(rd);
        return ns_error_set(err, NS_ERR_NOMEM, "summary of %zu fits", n);
    }
    size_t k = 0;
    double corner_sum = 0;
    for (size_t i = 0; i < n; i++) {
        const opt_record *x = &r[i];
        if (x->method != method || !x->ok) continue;
        if (well && strcmp(pl->items[x->pair].well, well)) continue;
        if (trial >= 0 && x->trial != trial) continue;
        rm[k] = x->rmsd; tm[k] = x->time_us; it[k] = x->iterations; rd[k] = x->rel_diff;
        k++;
        s->successes += (size_t)x->success;
        if (isfinite(x->true_corner_err)) { corner_sum += x->true_corner_err; s->with_truth++; }
    }
    s->fits = k;
    s->success_rate = k ? (double)s->successes / (double)k : NAN;
    s->median_rmsd = ns_median(rm, k);
    s->median_time_us = ns_median(tm, k);
    s->p90_time_us = quantile(tm, k, 0.9);
    s->median_iterations = ns_median(it, k);
    s->median_rel_diff = ns_median(rd, k);
    s->mean_true_corner_err = s->with_truth ? corner_sum / (double)s->with_truth : NAN;
    free(rm); free(tm); free(it); free(rd);
    return NS_OK;
}

static ns_status write_summaries(const char *out, const opt_record *r, size_t n,
                                 const opt_pair_list *pl, opt_stats overall[NMETHODS], ns_error *err)
{
    char *path = ns_path_join(out, "optimizer_benchmark_summary.csv");
    if (!path) return ns_error_set(err, NS_ERR_NOMEM, "%s: path", out);
    ns_atomic_file f;
    ns_status st = ns_atomic_open(&f, path, err);
    free(path);
    if (st != NS_OK) return st;
    fprintf(f.fp, "well,method,fits,success_rate,median_rmsd,median_time_us,median_iterations\n");
    for (size_t i = 0; i < pl->count; i++) {
        const char *well = pl->items[i].well;
        int seen = 0;
        for (size_t j = 0; j < i; j++) seen |= !strcmp(pl->items[j].well, well);
        if (seen) continue;
        for (int m = 0; m < NMETHODS; m++) {
            opt_stats s;
            if ((st = subset_stats(r, n, pl, m, well, -1, &s, err)) != NS_OK) {
                ns_atomic_abort(&f);
                return st;
            }
            ns_csv_field(f.fp, well);
            fputc(',', f.fp);
            ns_csv_field(f.fp, ns_optimizer_name((ns_optimizer)m));
            fprintf(f.fp, ",%zu", s.fits);
            put_num(f.fp, s.success_rate, 6); put_num(f.fp, s.median_rmsd, 9);
            put_num(f.fp, s.median_time_us, 6); put_num(f.fp, s.median_iterations, 6);
            fputc('\n', f.fp);
        }
    }
    if ((st = ns_atomic_close(&f, err)) != NS_OK) return st;

    path = ns_path_join(out, "optimizer_benchmark_overall.csv");
    if (!path) return ns_error_set(err, NS_ERR_NOMEM, "%s: path", out);
    st = ns_atomic_open(&f, path, err);
    free(path);
    if (st != NS_OK) return st;
    fprintf(f.fp, "method,fits,success_rate,median_rmsd,median_time_us,p90_time_us,median_iterations,"
                  "mean_true_corner_error_px\n");
    for (int m = 0; m < NMETHODS; m++) {
        opt_stats *s = &overall[m];
        if ((st = subset_stats(r, n, pl, m, NULL, -1, s, err)) != NS_OK) {
            ns_atomic_abort(&f);
            return st;
        }
        ns_csv_field(f.fp, ns_optimizer_name((ns_optimizer)m));
        fprintf(f.fp, ",%zu", s->fits);
        put_num(f.fp, s->success_rate, 6); put_num(f.fp, s->median_rmsd, 9);
        put_num(f.fp, s->median_time_us, 6); put_num(f.fp, s->p90_time_us, 6);
        put_num(f.fp, s->median_iterations, 6); put_num(f.fp, s->mean_true_corner_err, 6);
        fputc('\n', f.fp);
    }
    return ns_atomic_close(&f, err);
}

static ns_status write_plots(const char *out, const opt_record *r, size_t n, const opt_pair_list *pl,
                             int trials, ns_error *err)
{
    size_t T = (size_t)trials;
    double *x = malloc(T * sizeof *x), *buf = malloc(NMETHODS * 3 * T * sizeof *buf);
    double *cf = malloc(T * sizeof *cf), *v = malloc((n + 1) * sizeof *v);
    if (!x || !buf || !cf || !v) {
        free(x); free(buf); free(cf); free(v);
        return ns_error_set(err, NS_ERR_NOMEM, "plots");
    }
    /* buf[(m*3 + q)*T + k]: q = 0 median rmsd, 1 median time, 2 success rate. */
    ns_status st = NS_OK;
    for (size_t k = 0; k < T && st == NS_OK; k++) {
        x[k] = (double)k;
        cf[k] = NAN;
        for (int m = 0; m < NMETHODS && st == NS_OK; m++) {
            opt_stats s;
            st = subset_stats(r, n, pl, m, NULL, (int)k, &s, err);
            buf[(m * 3 + 0) * T + k] = s.median_rmsd;
            buf[(m * 3 + 1) * T + k] = s.median_time_us;
            buf[(m * 3 + 2) * T + k] = s.success_rate;
        }
        size_t nv = 0;
        for (size_t i = 0; i < n; i++)
            if (r[i].trial == (int)k && r[i].method == 0 && r[i].ok) v[nv++] = r[i].cf_rmsd;
        cf[k] = ns_median(v, nv);
    }
    const char *xlabel = "start perturbation k (scale 5k %, rotation 2k deg, shift 10k px)";
    struct { const char *name, *title, *ylabel; int q, logy, zero; } plots[3] = {
        {"rmsd_vs_perturbation", "Final RMSD against start perturbation", "median RMSD (10X px)", 0, 0, 1},
        {"time_vs_perturbation", "Fit time against start perturbation", "median time per fit (us)", 1, 0, 1},
        {"success_vs_perturbation", "Reaching the closed-form optimum (RMSD within 1e-6)",
         "success rate", 2, 0, 1},
    };
    for (int p = 0; p < 3 && st == NS_OK; p++) {
        ns_series s[NMETHODS + 1];
        size_t ns = 0;
        for (int m = 0; m < NMETHODS; m++)
            s[ns++] = (ns_series){.label = ns_optimizer_name((ns_optimizer)m), .x = x,
                                  .y = buf + (size_t)(m * 3 + plots[p].q) * T, .n = T,
                                  .style = NS_STYLE_LINE_POINTS};
        if (plots[p].q == 0)
            s[ns++] = (ns_series){.label = "closed form (optimum)", .x = x, .y = cf, .n = T,
                                  .style = NS_STYLE_DASHED};
        ns_plot_spec spec = {.title = plots[p].title, .xlabel = xlabel, .ylabel = plots[p].ylabel,
                             .logy = plots[p].logy, .y_from_zero = plots[p].zero, .x_tick = 1};
        char *base = ns_path_join(out, plots[p].name);
        if (!base) st = ns_error_set(err, NS_ERR_NOMEM, "plots");
        else st = ns_plot_lines(base, &spec, s, ns, err);
        free(base);
    }
    free(x); free(buf); free(cf); free(v);
    return st;
}

static void json_num(cJSON *o, const char *k, double v)
{
    if (isfinite(v)) cJSON_AddNumberToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

static ns_status write_json(const char *out, const char *map_dir, const char *truth, int trials,
                            int iterations, uint64_t seed, size_t pairs, size_t failed,
                            const opt_stats overall[NMETHODS], ns_error *err)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return ns_error_set(err, NS_ERR_NOMEM, "optimizer_benchmark.json");
    cJSON_AddStringToObject(root, "mapping", map_dir);
    if (truth) cJSON_AddStringToObject(root, "truth", truth);
    else cJSON_AddNullToObject(root, "truth");
    cJSON_AddNumberToObject(root, "trials", trials);
    cJSON_AddNumberToObject(root, "max_iterations", iterations);
    cJSON_AddNumberToObject(root, "seed", (double)seed);
    cJSON_AddNumberToObject(root, "pairs", (double)pairs);
    cJSON_AddNumberToObject(root, "pairs_failed", (double)failed);
    cJSON_AddNumberToObject(root, "success_rel_tolerance", SUCCESS_REL);
    cJSON *methods = cJSON_AddObjectToObject(root, "methods");
    for (int m = 0; m < NMETHODS; m++) {
        cJSON *o = cJSON_AddObjectToObject(methods, ns_optimizer_name((ns_optimizer)m));
        const opt_stats *s = &overall[m];
        cJSON_AddNumberToObject(o, "fits", (double)s->fits);
        json_num(o, "success_rate", s->success_rate);
        json_num(o, "median_rmsd", s->median_rmsd);
        json_num(o, "median_rel_diff", s->median_rel_diff);
        json_num(o, "median_time_us", s->median_time_us);
        json_num(o, "p90_time_us", s->p90_time_us);
        json_num(o, "median_iterations", s->median_iterations);
        json_num(o, "mean_true_corner_error_px", s->mean_true_corner_err);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return ns_error_set(err, NS_ERR_NOMEM, "optimizer_benchmark.json");
    char *path = ns_path_join(out, "optimizer_benchmark.json");
    ns_status st = path ? ns_write_file_atomic(path, text, strlen(text), err)
                        : ns_error_set(err, NS_ERR_NOMEM, "%s: path", out);
    free(path);
    free(text);
    return st;
}

/* ---- The command ------------------------------------------------------------------ */

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

int cmd_bench_opt(int argc, char **argv)
{
    const char *out = NULL, *map_arg = NULL, *truth = NULL;
    int trials = 10, iterations = 100;
    uint64_t seed = 1;
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'}, {"mapping", required_argument, 0, 'm'},
        {"truth", required_argument, 0, 't'},  {"trials", required_argument, 0, 'n'},
        {"iterations", required_argument, 0, 'i'}, {"seed", required_argument, 0, 's'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'm': map_arg = optarg; break;
        case 't': truth = optarg; break;
        case 'n':
            if (!ns_arg_int(optarg, 1, 1000000, &trials)) {
                fprintf(stderr, "nucseg bench-opt: --trials '%s': need a whole number from 1 to 1000000\n", optarg);
                return NS_EXIT_USAGE;
            }
            break;
        case 'i':
            if (!ns_arg_int(optarg, 1, 1000000, &iterations)) {
                fprintf(stderr, "nucseg bench-opt: --iterations '%s': need a whole number from 1 to 1000000\n", optarg);
                return NS_EXIT_USAGE;
            }
            break;
        case 's':
            if (!ns_arg_u64(optarg, &seed)) {
                fprintf(stderr, "nucseg bench-opt: --seed '%s': need a non-negative integer\n", optarg);
                return NS_EXIT_USAGE;
            }
            break;
        case 'h': usage(stdout); return NS_EXIT_OK;
        default: usage(stderr); return NS_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !out) {
        fprintf(stderr, "nucseg bench-opt: %s\n",
                !out ? "missing -o OUT" : "need exactly one SEG_DIR argument");
        usage(stderr);
        return NS_EXIT_USAGE;
    }
    const char *seg_dir = argv[optind];
    /* SEG_DIR is checked even with --mapping: a typo there must not pass silently. */
    if (!ns_is_dir(seg_dir)) {
        fprintf(stderr, "nucseg bench-opt: %s: %s (SEG_DIR)\n", seg_dir,
                ns_file_exists(seg_dir) ? "not a directory" : "no such directory");
        return NS_EXIT_FATAL;
    }
    char *map_dir = map_arg ? strdup(map_arg) : ns_path_join(seg_dir, "../mapping");
    char *map_csv = map_dir ? ns_path_join(map_dir, "mapping.csv") : NULL;
    char *match_csv = map_dir ? ns_path_join(map_dir, "matches.csv") : NULL;
    opt_pair_list pl = {0};
    opt_record *rec = NULL;
    int rc = NS_EXIT_FATAL;
    ns_error err = {0};
    if (!map_dir || !map_csv || !match_csv) {
        fprintf(stderr, "nucseg bench-opt: out of memory\n");
        goto done;
    }
    if (read_mapping(map_csv, &pl, &err) != NS_OK || read_matches(match_csv, &pl, &err) != NS_OK ||
        (truth && attach_truth(truth, &pl, &err) != NS_OK)) {
        fprintf(stderr, "nucseg bench-opt: %s\n", err.message);
        goto done;
    }
    if (pl.count == 0) {
        fprintf(stderr, "nucseg bench-opt: %s: no mapped tile pairs (status ok): nothing to benchmark\n",
                map_csv);
        goto done;
    }
    if (ns_mkdirs(out, &err) != NS_OK) {
        fprintf(stderr, "nucseg bench-opt: %s\n", err.message);
        goto done;
    }

    size_t nrec = 0, cap = pl.count * (size_t)trials * NMETHODS;
    rec = calloc(cap, sizeof *rec);
    if (!rec) {
        fprintf(stderr, "nucseg bench-opt: out of memory for %zu fits\n", cap);
        goto done;
    }
    ns_fit_options opt;
    ns_fit_options_default(&opt);
    opt.max_iter = iterations;
    size_t failed = 0, benchmarked = 0;
    printf("bench-opt: %zu mapped tile pairs, %d trials, 2 methods, max %d iterations\n", pl.count,
           trials, iterations);
    for (size_t i = 0; i < pl.count; i++) {
        opt_pair *p = &pl.items[i];
        ns_affine cf;
        if (ns_affine_closed_form(p->src, p->dst, NULL, p->n, &cf, &err) != NS_OK) {
            fprintf(stderr, "nucseg bench-opt: %s -> %s: %s\n", p->tile_40x, p->tile_10x, err.message);
            failed++;
            continue;
        }
        double cf_rmsd = ns_affine_rmsd(&cf, p->src, p->dst, p->n);
        double cf_true = p->has_truth ? ns_affine_corner_error(&cf, &p->truth, p->width, p->height) : NAN;
        /* One stream per pair: results do not depend on the order or number of pairs before it. */
        uint64_t rng = seed * 0x9E3779B97F4A7C15ull + i * 0xD1B54A32D192ED03ull + 1;
        int pair_failed = 0;
        /* One untimed fit per method first: the timings are of warm code and caches,
         * not of the first call in the process. */
        for (int m = 0; m < NMETHODS; m++) {
            ns_fit_result warm;
            ns_error ignored;
            ns_affine_fit((ns_optimizer)m, p->src, p->dst, p->n, &p->mapped, &opt, &warm, &ignored);
        }
        for (int k = 0; k < trials; k++) {
            ns_affine start;
            perturbed_start(p, k, &rng, &start);
            for (int m = 0; m < NMETHODS; m++) {
                opt_record *x = &rec[nrec++];
                x->method = m;
                x->trial = k;
                x->pair = (int)i;
                perturbation(k, &x->scale_pct, &x->rot_deg, &x->trans_px);
                x->cf_rmsd = cf_rmsd;
                x->cf_true_corner_err = cf_true;
                ns_fit_result fr;
                if (ns_affine_fit((ns_optimizer)m, p->src, p->dst, p->n, &start, &opt, &fr, &err) != NS_OK) {
                    fprintf(stderr, "nucseg bench-opt: %s -> %s, trial %d: %s\n", p->tile_40x,
                            p->tile_10x, k, err.message);
                    x->rmsd = x->rel_diff = x->time_us = x->param_dist = x->true_corner_err = NAN;
                    pair_failed = 1;
                    continue;
                }
                x->ok = 1;
                x->rmsd = fr.rmsd;
                x->rel_diff = (fr.rmsd - cf_rmsd) / cf_rmsd;
                x->time_us = fr.us;
                x->scratch_bytes = fr.scratch_bytes;
                x->maxrss_kb = maxrss_kb();
                x->iterations = fr.iterations;
                x->nfev = fr.nfev;
                x->njev = fr.njev;
                x->converged = fr.converged;
                x->success = x->rel_diff <= SUCCESS_REL;
                x->param_dist = param_dist(&fr.t, &cf);
                x->true_corner_err = p->has_truth
                    ? ns_affine_corner_error(&fr.t, &p->truth, p->width, p->height) : NAN;
            }
        }
        failed += (size_t)pair_failed;
        benchmarked += !pair_failed;
    }
    if (benchmarked == 0 && failed == pl.count) {
        fprintf(stderr, "nucseg bench-opt: none of the %zu mapped pairs could be benchmarked\n", pl.count);
        goto done;
    }
    opt_stats overall[NMETHODS];
    if (write_records(out, &pl, rec, nrec, &err) != NS_OK ||
        write_summaries(out, rec, nrec, &pl, overall, &err) != NS_OK ||
        write_plots(out, rec, nrec, &pl, trials, &err) != NS_OK ||
        write_json(out, map_dir, truth, trials, iterations, seed, pl.count, failed, overall, &err) != NS_OK) {
        fprintf(stderr, "nucseg bench-opt: %s\n", err.message);
        goto done;
    }
    printf("\n%-20s %6s %8s %12s %10s %10s %7s %14s\n", "method", "fits", "success", "median_rmsd",
           "median_us", "p90_us", "iters", "true_corner_px");
    for (int m = 0; m < NMETHODS; m++) {
        const opt_stats *s = &overall[m];
        printf("%-20s %6zu %7.1f%% %12.6f %10.1f %10.1f %7g ", ns_optimizer_name((ns_optimizer)m),
               s->fits, 100 * s->success_rate, s->median_rmsd, s->median_time_us, s->p90_time_us,
               s->median_iterations);
        if (isfinite(s->mean_true_corner_err)) printf("%14.4f\n", s->mean_true_corner_err);
        else printf("%14s\n", "-");
    }
    printf("\nwrote %s/optimizer_benchmark{.csv,_summary.csv,_overall.csv,.json} and plots\n", out);
    rc = failed ? NS_EXIT_SOME_FAILED : NS_EXIT_OK;
    if (failed) fprintf(stderr, "nucseg bench-opt: %zu of %zu pairs failed\n", failed, pl.count);
done:
    free(rec);
    pairs_free(&pl);
    free(map_dir);
    free(map_csv);
    free(match_csv);
    return rc;
}
