/* plots.c — the benchmark's plots: median RMSD, median time and success rate of
 * each method against the start perturbation. */
#include <math.h>
#include <stdlib.h>

#include "nucseg/fsutil.h"
#include "nucseg/optbench.h"
#include "nucseg/plot.h"
#include "nucseg/stats.h"
#include "optbench/optbench_internal.h"

ns_status ns_optbench_write_plots(const char *out, const ns_optbench_result *res, const ns_optbench_pairs *pl,
                                  int trials, ns_error *err)
{
    const ns_optbench_record *r = res->records;
    size_t n = res->count;
    size_t T = (size_t)trials;
    double *x = malloc(T * sizeof *x), *buf = malloc(NS_OPTBENCH_METHODS * 3 * T * sizeof *buf);
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
        for (int m = 0; m < NS_OPTBENCH_METHODS && st == NS_OK; m++) {
            ns_optbench_stats s;
            st = ns_optbench_subset_stats(res, pl, m, NULL, (int)k, &s, err);
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
        ns_series s[NS_OPTBENCH_METHODS + 1];
        size_t ns = 0;
        for (int m = 0; m < NS_OPTBENCH_METHODS; m++)
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

