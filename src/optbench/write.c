/* write.c — the benchmark's tables: every fit, summaries by well and method and
 * overall, and the JSON summary (plots: plots.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "nucseg/fsutil.h"
#include "nucseg/optbench.h"
#include "nucseg/report.h"
#include "optbench/optbench_internal.h"
#include "util/json_number.h"

static void put_num(FILE *f, double v, int digits)
{
    fputc(',', f);
    ns_csv_number(f, v, digits);
}

static ns_status write_records(const char *out, const ns_optbench_pairs *pl, const ns_optbench_result *res,
                               ns_error *err)
{
    const ns_optbench_record *r = res->records;
    size_t n = res->count;
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
        const ns_optbench_record *x = &r[i];
        const ns_optbench_pair *p = &pl->items[x->pair];
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

static ns_status write_summaries(const char *out, const ns_optbench_result *res, const ns_optbench_pairs *pl,
                                 ns_optbench_stats overall[NS_OPTBENCH_METHODS], ns_error *err)
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
        for (int m = 0; m < NS_OPTBENCH_METHODS; m++) {
            ns_optbench_stats s;
            if ((st = ns_optbench_subset_stats(res, pl, m, well, -1, &s, err)) != NS_OK) {
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
    for (int m = 0; m < NS_OPTBENCH_METHODS; m++) {
        ns_optbench_stats *s = &overall[m];
        if ((st = ns_optbench_subset_stats(res, pl, m, NULL, -1, s, err)) != NS_OK) {
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

static ns_status write_json(const char *out, const char *map_dir, const char *truth, int trials,
                            int iterations, uint64_t seed, size_t pairs, size_t failed,
                            const ns_optbench_stats overall[NS_OPTBENCH_METHODS], ns_error *err)
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
    cJSON_AddNumberToObject(root, "success_rel_tolerance", NS_OPTBENCH_SUCCESS_REL);
    cJSON *methods = cJSON_AddObjectToObject(root, "methods");
    for (int m = 0; m < NS_OPTBENCH_METHODS; m++) {
        cJSON *o = cJSON_AddObjectToObject(methods, ns_optimizer_name((ns_optimizer)m));
        const ns_optbench_stats *s = &overall[m];
        cJSON_AddNumberToObject(o, "fits", (double)s->fits);
        ns_json_add_number(o, "success_rate", s->success_rate);
        ns_json_add_number(o, "median_rmsd", s->median_rmsd);
        ns_json_add_number(o, "median_rel_diff", s->median_rel_diff);
        ns_json_add_number(o, "median_time_us", s->median_time_us);
        ns_json_add_number(o, "p90_time_us", s->p90_time_us);
        ns_json_add_number(o, "median_iterations", s->median_iterations);
        ns_json_add_number(o, "mean_true_corner_error_px", s->mean_true_corner_err);
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

ns_status ns_optbench_write(const char *out, const ns_optbench_pairs *pl, const ns_optbench_result *r,
                            const ns_optbench_options *opt, const char *map_dir, const char *truth_json,
                            ns_optbench_stats overall[NS_OPTBENCH_METHODS], ns_error *err)
{
    ns_status st = write_records(out, pl, r, err);
    if (st == NS_OK) st = write_summaries(out, r, pl, overall, err);
    if (st == NS_OK) st = ns_optbench_write_plots(out, r, pl, opt->trials, err);
    if (st == NS_OK)
        st = write_json(out, map_dir, truth_json, opt->trials, opt->iterations, opt->seed, pl->count, r->failed,
                        overall, err);
    return st;
}
