/* test_scaling_consistency.c — ns_scaling_run on a tiny real batch: every configuration
 * is measured the requested number of times with no failures, the sequential loop and the
 * pool find the same nuclei in the same images, scratch outputs are gone afterwards, the
 * inputs are where the result says, workers were given one thread each; and the files
 * written from the measurement agree with each other (CSV against JSON, speedup = t(1)/t(n)
 * and t(seq)/t(n)). A data folder run takes its images from the folder instead. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "test_files.h"
#include "nucseg/batch.h"
#include "nucseg/fsutil.h"
#include "nucseg/scaling.h"

static char root[] = "/tmp/nucseg_scaling_run_XXXXXX";

static int rm_rf(const char *path)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    return system(cmd);
}

/* ---- a minimal reader for the benchmark CSV (no quoted fields in it) ---- */

enum { MAX_COLS = 64, MAX_ROWS = 64 };

typedef struct {
    char *cells[MAX_ROWS + 1][MAX_COLS]; /* row 0: header; pointers into text */
    int ncols, nrows;                    /* nrows excludes the header */
    char *text;
} csv_table;

static int csv_load(const char *path, csv_table *t)
{
    memset(t, 0, sizeof *t);
    t->text = test_read_file(path, NULL);
    if (!t->text) return -1;
    char *line = t->text;
    int row = 0;
    while (*line && row <= MAX_ROWS) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        int col = 0;
        char *p = line;
        for (;;) {
            char *comma = strchr(p, ',');
            if (comma) *comma = '\0';
            if (col < MAX_COLS) t->cells[row][col++] = p;
            if (!comma) break;
            p = comma + 1;
        }
        if (row == 0) t->ncols = col;
        else if (col != t->ncols) return -1; /* ragged row */
        row++;
        if (!nl) break;
        line = nl + 1;
    }
    t->nrows = row - 1;
    return 0;
}

static int csv_col(const csv_table *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (!strcmp(t->cells[0][i], name)) return i;
    return -1;
}

/* The value in row r (1-based data row) of column name; NAN for an empty field. */
static double csv_num(const csv_table *t, int r, const char *name)
{
    int c = csv_col(t, name);
    if (c < 0 || !*t->cells[r][c]) return NAN;
    return strtod(t->cells[r][c], NULL);
}

static const char *csv_str(const csv_table *t, int r, const char *name)
{
    int c = csv_col(t, name);
    return c < 0 ? "" : t->cells[r][c];
}

static double json_num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Both NAN, or equal within the CSV's 6 significant digits. */
static int same(double a, double b)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return fabs(a - b) <= 1e-5 * fmax(fabs(a), fabs(b)) + 1e-12;
}

/* ---- checks ---- */

static void check_measurement(const ns_scaling_options *o, const ns_scaling_result *r)
{
    int usable = ns_usable_cpus();
    CHECK(r->env.usable_cpus == usable);
    int counts[64];
    size_t nc = ns_scaling_worker_counts(usable, usable, (size_t)o->images, counts, 64);
    /* worker sweep: sequential + each count; size sweep at 64 only (128 is the main size):
     * sequential, 1 worker, and all CPUs when that is more than one */
    size_t expect = 1 + nc + 2 + (usable > 1 ? 1 : 0);
    CHECK_MSG(r->count == expect, "%zu rows, expected %zu", r->count, expect);
    CHECK(r->main_width == 128 && r->main_height == 128);

    size_t main_nuclei = 0, small_nuclei = 0;
    double wall_sum = 0;
    for (size_t i = 0; i < r->count; i++) {
        const ns_scaling_row *x = &r->rows[i];
        CHECK(x->repeats == o->repeats);
        CHECK_MSG(x->failed == 0, "row %zu: %zu failed", i, x->failed);
        CHECK(x->images == (size_t)o->images);
        CHECK(x->nuclei > 0);
        CHECK(x->peak_rss_mb > 0);
        CHECK(x->image_ms_median > 0);
        for (int k = 0; k < x->repeats; k++) {
            CHECK(x->wall_s[k] > 0);
            CHECK(x->cpu_s[k] > 0);
            CHECK(!(x->background_cpus[k] < 0)); /* clamped at zero (NAN only without /proc) */
            wall_sum += x->wall_s[k];
        }
        if (x->sweep == NS_SWEEP_WORKERS) {
            CHECK(x->width == 128 && x->height == 128);
            CHECK_NEAR(x->megapixels, o->images * 128.0 * 128.0 / 1e6, 1e-9);
            /* the same images give the same nuclei whichever way they are scheduled */
            if (!main_nuclei) main_nuclei = x->nuclei;
            CHECK_MSG(x->nuclei == main_nuclei, "row %zu: %zu nuclei, sequential %zu", i, x->nuclei, main_nuclei);
        } else {
            CHECK(x->width == 64 && x->height == 64);
            CHECK(x->workers == 1 || x->workers == usable);
            if (!small_nuclei) small_nuclei = x->nuclei;
            CHECK(x->nuclei == small_nuclei);
        }
        if (!x->sequential && x->workers > 1) CHECK(isfinite(x->karp_flatt));
    }
    CHECK(r->rows[0].sequential && r->rows[0].sweep == NS_SWEEP_WORKERS);
    for (size_t k = 0; k < nc; k++) CHECK(r->rows[1 + k].workers == counts[k] && !r->rows[1 + k].sequential);
    CHECK(r->rec_ok);
    CHECK(r->best_workers >= 1 && r->best_workers <= usable);
    CHECK(r->env.generation_s > 0);
    CHECK(r->env.total_s >= wall_sum);
    CHECK(strstr(r->input_desc, "synthetic") != NULL);

    /* workers inherit a single-threaded environment */
    const char *omp = getenv("OMP_NUM_THREADS");
    CHECK(omp && !strcmp(omp, "1"));
}

static void check_files(const char *out, const ns_scaling_result *r)
{
    char *csv_path = ns_path_join(out, "segmentation_benchmark.csv");
    char *json_path = ns_path_join(out, "segmentation_benchmark_summary.json");
    csv_table t;
    CHECK(csv_load(csv_path, &t) == 0);
    char *json_text = test_read_file(json_path, NULL);
    cJSON *root_json = json_text ? cJSON_Parse(json_text) : NULL;
    CHECK(root_json != NULL);
    const cJSON *confs = cJSON_GetObjectItemCaseSensitive(root_json, "configurations");
    CHECK(cJSON_IsArray(confs));
    CHECK(t.nrows == (int)r->count && cJSON_GetArraySize(confs) == (int)r->count);
    if (t.nrows != (int)r->count || cJSON_GetArraySize(confs) != (int)r->count) goto done;

    for (int i = 1; i <= t.nrows; i++) {
        const cJSON *j = cJSON_GetArrayItem(confs, i - 1);
        const cJSON *jw = cJSON_GetObjectItemCaseSensitive(j, "wall_s");
        const cJSON *jt = cJSON_GetObjectItemCaseSensitive(j, "images_per_s");
        const cJSON *mode = cJSON_GetObjectItemCaseSensitive(j, "mode");
        CHECK(cJSON_IsString(mode) && !strcmp(mode->valuestring, csv_str(&t, i, "mode")));
        CHECK(same(csv_num(&t, i, "workers"), json_num(j, "workers")));
        CHECK(same(csv_num(&t, i, "wall_s_median"), json_num(jw, "median")));
        CHECK(same(csv_num(&t, i, "wall_s_min"), json_num(jw, "min")));
        CHECK(same(csv_num(&t, i, "images_per_s_median"), json_num(jt, "median")));
        CHECK(same(csv_num(&t, i, "speedup_vs_sequential"), json_num(j, "speedup_vs_sequential")));
        CHECK(same(csv_num(&t, i, "speedup_vs_1_worker"), json_num(j, "speedup_vs_1_worker")));
        CHECK(same(csv_num(&t, i, "efficiency"), json_num(j, "efficiency")));
        CHECK(same(csv_num(&t, i, "nuclei"), json_num(j, "nuclei")));
        /* and both agree with the measurement */
        CHECK(same(csv_num(&t, i, "wall_s_median"), r->rows[i - 1].wall.median));

        /* speedups recomputed from the CSV's own wall times, same sweep and size */
        double tn = csv_num(&t, i, "wall_s_median");
        for (int k = 1; k <= t.nrows; k++) {
            if (strcmp(csv_str(&t, k, "sweep"), csv_str(&t, i, "sweep")) ||
                strcmp(csv_str(&t, k, "width"), csv_str(&t, i, "width")))
                continue;
            double tk = csv_num(&t, k, "wall_s_median");
            if (!strcmp(csv_str(&t, k, "mode"), "sequential"))
                CHECK_NEAR(csv_num(&t, i, "speedup_vs_sequential"), tk / tn, 2e-5 * tk / tn);
            else if (csv_num(&t, k, "workers") == 1)
                CHECK_NEAR(csv_num(&t, i, "speedup_vs_1_worker"), tk / tn, 2e-5 * tk / tn);
        }
        double n = !strcmp(csv_str(&t, i, "mode"), "sequential") ? 1 : csv_num(&t, i, "workers");
        CHECK_NEAR(csv_num(&t, i, "efficiency"), csv_num(&t, i, "speedup_vs_sequential") / n,
                   2e-5 * csv_num(&t, i, "speedup_vs_sequential"));
    }
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(root_json, "recommendation");
    CHECK(json_num(rec, "workers") == r->rec.recommended);
done:
    cJSON_Delete(root_json);
    free(json_text);
    free(t.text);
    free(csv_path);
    free(json_path);
}

static void test_synthetic(void)
{
    char *out = ns_path_join(root, "synthetic");
    ns_scaling_options o;
    ns_scaling_options_default(&o);
    o.out_dir = out;
    o.images = 3;
    o.width = o.height = 128;
    o.repeats = 2;
    o.sizes[0] = 64;
    o.sizes[1] = 128; /* the worker sweep's own size: not measured twice */
    o.nsizes = 2;
    o.progress = 0;
    ns_scaling_result r;
    ns_error err;
    ns_status st = ns_scaling_run(&o, &r, &err);
    CHECK_OK(st, err);
    if (st == NS_OK) {
        check_measurement(&o, &r);
        char path[4096];
        snprintf(path, sizeof path, "%s/scratch", out);
        CHECK_MSG(!ns_file_exists(path), "%s left behind", path);
        for (int i = 0; i < 3; i++) {
            snprintf(path, sizeof path, "%s/inputs/128x128/field_%03d.tif", out, i);
            CHECK_MSG(ns_file_exists(path), "%s missing", path);
            snprintf(path, sizeof path, "%s/inputs/64x64/field_%03d.tif", out, i);
            CHECK_MSG(ns_file_exists(path), "%s missing", path);
        }
        st = ns_scaling_write_all(out, &o, &r, &err);
        CHECK_OK(st, err);
        if (st == NS_OK) check_files(out, &r);
    }
    ns_scaling_result_free(&r);
    free(out);
}

/* The same kind of images from a data folder (a "10X" folder, as ns_jobs_discover finds). */
static void test_data_folder(void)
{
    char *out = ns_path_join(root, "from_data");
    char *src_dir = ns_path_join(root, "synthetic/inputs/128x128");
    char *data = ns_path_join(root, "data");
    char *data10 = ns_path_join(data, "plate_10X");
    ns_error err;
    CHECK_OK(ns_mkdirs(data10, &err), err);
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "cp '%s'/field_000.tif '%s'/field_001.tif '%s'/", src_dir, src_dir, data10);
    CHECK(system(cmd) == 0);

    ns_scaling_options o;
    ns_scaling_options_default(&o);
    o.data_dir = data;
    o.out_dir = out;
    o.repeats = 1;
    o.progress = 0; /* sizes stay at the defaults: a data folder has no size sweep */
    ns_scaling_result r;
    ns_status st = ns_scaling_run(&o, &r, &err);
    CHECK_OK(st, err);
    if (st == NS_OK) {
        CHECK(r.main_width == 128 && r.main_height == 128);
        for (size_t i = 0; i < r.count; i++) {
            CHECK(r.rows[i].sweep == NS_SWEEP_WORKERS);
            CHECK(r.rows[i].images == 2);
            CHECK(r.rows[i].failed == 0);
            CHECK(r.rows[i].workers <= 2);
        }
        CHECK(r.count >= 2);
        CHECK(strstr(r.input_desc, "2 10X") != NULL);
        CHECK(r.env.generation_s == 0);
        char *inputs = ns_path_join(out, "inputs");
        CHECK(!ns_file_exists(inputs)); /* nothing synthesised */
        free(inputs);
    }
    ns_scaling_result_free(&r);
    free(out);
    free(src_dir);
    free(data);
    free(data10);
}

static void test_errors(void)
{
    ns_scaling_options o;
    ns_scaling_options_default(&o);
    char *out = ns_path_join(root, "errors");
    o.out_dir = out;
    o.progress = 0;
    ns_scaling_result r;
    ns_error err;
    o.repeats = 0;
    CHECK(ns_scaling_run(&o, &r, &err) == NS_ERR_INVALID);
    CHECK(strstr(err.message, "repeats") != NULL);
    CHECK(r.count == 0 && r.rows == NULL);
    o.repeats = 1;
    o.tolerance = 1.5;
    CHECK(ns_scaling_run(&o, &r, &err) == NS_ERR_INVALID);
    o.tolerance = 0.03;
    o.data_dir = "/nonexistent/nucseg/data";
    ns_status st = ns_scaling_run(&o, &r, &err);
    CHECK(st != NS_OK);
    CHECK(r.count == 0 && r.rows == NULL);
    free(out);
}

int main(void)
{
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_synthetic);
    RUN(test_data_folder);
    RUN(test_errors);
    rm_rf(root);
    return check_report();
}
