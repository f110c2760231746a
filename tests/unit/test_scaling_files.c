/* test_scaling_files.c — derived figures and the benchmark's files on fabricated timings:
 * speedups, efficiencies and Karp–Flatt follow from the wall times; the CSV and JSON agree
 * with each other (speedup = t(1)/t(n) and t(seq)/t(n)); recommendation.txt states the
 * choice; every src/href in report.html names an existing file; plots are PNG + SVG. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "test_files.h"
#include "nucseg/fsutil.h"
#include "nucseg/scaling.h"

static char dir[] = "/tmp/nucseg_scaling_XXXXXX";

static double *triple(double a, double b, double c)
{
    double *v = malloc(3 * sizeof *v);
    v[0] = a;
    v[1] = b;
    v[2] = c;
    return v;
}

static void add(ns_scaling_result *r, ns_sweep sweep, int seq, int workers, int size,
                double w0, double w1, double w2, double cpu_per_run)
{
    ns_scaling_row row = {0};
    row.sweep = sweep;
    row.sequential = seq;
    row.workers = workers;
    row.width = row.height = size;
    row.images = 24;
    row.megapixels = 24.0 * size * size / 1e6;
    row.repeats = 3;
    row.wall_s = triple(w0, w1, w2);
    row.cpu_s = triple(cpu_per_run, cpu_per_run, cpu_per_run);
    row.background_cpus = triple(0.1, 0.0, 0.2);
    row.peak_rss_mb = 60;
    row.image_ms_median = 400;
    row.nuclei = 24 * 150;
    ns_error err;
    CHECK_OK(ns_scaling_add_row(r, &row, &err), err);
}

static void fabricate(ns_scaling_result *r)
{
    memset(r, 0, sizeof *r);
    r->env.usable_cpus = 2;
    r->env.cpus_online = 2;
    snprintf(r->env.machine, sizeof r->env.machine, "Linux test x86_64");
    snprintf(r->env.cpu_model, sizeof r->env.cpu_model, "Test CPU <fast> & \"quoted\"");
    snprintf(r->input_desc, sizeof r->input_desc, "24 synthetic 1024x1024 fields");
    r->main_width = r->main_height = 1024;
    add(r, NS_SWEEP_WORKERS, 1, 1, 1024, 10.0, 10.4, 9.9, 9.8);
    add(r, NS_SWEEP_WORKERS, 0, 1, 1024, 10.2, 10.3, 10.1, 10.0);
    add(r, NS_SWEEP_WORKERS, 0, 2, 1024, 5.3, 5.2, 5.6, 10.2);
    add(r, NS_SWEEP_SIZE, 1, 1, 512, 2.5, 2.6, 2.4, 2.4);
    add(r, NS_SWEEP_SIZE, 0, 2, 512, 1.4, 1.5, 1.45, 2.6);
    add(r, NS_SWEEP_SIZE, 1, 1, 2048, 41.0, 40.0, 42.0, 40.0);
    add(r, NS_SWEEP_SIZE, 0, 2, 2048, 20.6, 20.8, 20.5, 40.5);
}

static void test_derive(void)
{
    ns_scaling_result r;
    fabricate(&r);
    ns_error err;
    CHECK_OK(ns_scaling_derive(&r, 0.03, &err), err);
    const ns_scaling_row *seq = &r.rows[0], *one = &r.rows[1], *two = &r.rows[2];
    CHECK_NEAR(seq->wall.median, 10.0, 1e-12);
    CHECK_NEAR(two->wall.median, 5.3, 1e-12);
    CHECK_NEAR(two->speedup_seq, 10.0 / 5.3, 1e-12);
    CHECK_NEAR(two->speedup_1, 10.2 / 5.3, 1e-12);
    CHECK_NEAR(two->speedup_seq_lo, 10.0 / 5.6, 1e-12);
    CHECK_NEAR(two->speedup_seq_hi, 10.0 / 5.2, 1e-12);
    CHECK_NEAR(two->efficiency, 10.0 / 5.3 / 2, 1e-12);
    CHECK_NEAR(two->efficiency_1, 10.2 / 5.3 / 2, 1e-12);
    CHECK_NEAR(two->ips_median, 24 / 5.3, 1e-12);
    CHECK_NEAR(two->ips_min, 24 / 5.6, 1e-12);
    CHECK_NEAR(two->cpu_utilisation, ns_median((double[]){10.2 / 10.6, 10.2 / 10.4, 10.2 / 11.2}, 3), 1e-12);
    CHECK_NEAR(two->karp_flatt, ns_karp_flatt(10.0 / 5.3, 2), 1e-12);
    CHECK(isnan(one->karp_flatt) && isnan(seq->karp_flatt));
    CHECK_NEAR(one->speedup_1, 1.0, 1e-12);
    CHECK_NEAR(seq->speedup_seq, 1.0, 1e-12);
    CHECK_NEAR(seq->background_cpus_median, 0.1, 1e-12);
    /* size sweep rows compare within their size; no 1-worker row there */
    CHECK_NEAR(r.rows[4].speedup_seq, 2.5 / 1.45, 1e-12);
    CHECK(isnan(r.rows[4].speedup_1));
    /* only n = 2 <= CPUs carries the fit: it equals Karp–Flatt there */
    CHECK(r.amdahl_ok);
    CHECK_NEAR(r.amdahl.serial_fraction, two->karp_flatt, 1e-12);
    CHECK(r.rec_ok && r.best_workers == 2 && r.rec.recommended == 2 && r.rec.relation == NS_REC_ALL_CPUS);
    ns_scaling_result_free(&r);
}

/* Under MPI: rows over 1 and 2 ranks. The per-rank recommendation and the fit use one
 * rank's rows; speedup and efficiency compare with 1 rank x 1 worker, per worker in all. */
static void fabricate_ranks(ns_scaling_result *r)
{
    memset(r, 0, sizeof *r);
    r->env.usable_cpus = 2;
    r->mpi_ranks = 2;
    snprintf(r->input_desc, sizeof r->input_desc, "24 synthetic 1024x1024 fields");
    r->main_width = r->main_height = 1024;
    static const int rk[] = {1, 1, 1, 2, 2}, wk[] = {1, 1, 2, 1, 2}, seq[] = {1, 0, 0, 0, 0};
    static const double t[] = {10.0, 10.2, 5.5, 5.2, 3.0};
    for (int i = 0; i < 5; i++) {
        add(r, NS_SWEEP_WORKERS, seq[i], wk[i], 1024, t[i], t[i], t[i], t[i]);
        r->rows[r->count - 1].ranks = rk[i];
    }
}

static void test_derive_ranks(void)
{
    ns_scaling_result r;
    fabricate_ranks(&r);
    ns_error err;
    CHECK_OK(ns_scaling_derive(&r, 0.03, &err), err);
    const ns_scaling_row *r21 = &r.rows[3], *r22 = &r.rows[4];
    CHECK_NEAR(r21->speedup_1, 10.2 / 5.2, 1e-12); /* against 1 rank x 1 worker, not 2 ranks x 1 */
    CHECK_NEAR(r22->speedup_1, 10.2 / 3.0, 1e-12);
    CHECK_NEAR(r22->efficiency_1, 10.2 / 3.0 / 4, 1e-12);
    CHECK_NEAR(r22->efficiency, 10.0 / 3.0 / 4, 1e-12);
    CHECK_NEAR(r22->cpu_utilisation, 3.0 / (3.0 * 4), 1e-12);
    CHECK(ns_scaling_total_workers(r22) == 4 && ns_scaling_total_workers(&r.rows[2]) == 2);
    /* the worker recommendation stays per rank; over ranks, 2 x 2 is best by far */
    CHECK(r.rec_ok && r.best_workers == 2 && r.rec.recommended == 2);
    CHECK(r.rank_rec_ok && r.rank_rec.ranks == 2 && r.rank_rec.workers == 2);

    char sub[sizeof dir + 8];
    snprintf(sub, sizeof sub, "%s/ranks", dir);
    ns_scaling_options o;
    ns_scaling_options_default(&o);
    o.out_dir = sub;
    CHECK_OK(ns_scaling_write_all(sub, &o, &r, &err), err);
    char path[sizeof sub + 64];
    snprintf(path, sizeof path, "%s/segmentation_benchmark.csv", sub);
    char *csv = test_read_file(path, NULL);
    CHECK(csv && !strncmp(csv, "sweep,mode,ranks,workers,total_workers,width,", 45));
    CHECK(csv && strstr(csv, "\nworkers,pool,2,2,4,1024,1024,24,") != NULL);
    free(csv);
    snprintf(path, sizeof path, "%s/recommendation.txt", sub);
    char *txt = test_read_file(path, NULL);
    CHECK(txt && strstr(txt, "Recommendation over ranks: 2 ranks x 2 workers.") != NULL);
    CHECK(txt && strstr(txt, "mpirun -n 2 nucseg segment DATA_DIR -o OUT -j 2") != NULL);
    free(txt);
    for (int i = 0; ns_scaling_rank_plot_names[i]; i++) {
        snprintf(path, sizeof path, "%s/%s.svg", sub, ns_scaling_rank_plot_names[i]);
        CHECK_MSG(access(path, F_OK) == 0, "%s", path);
    }
    ns_scaling_result_free(&r);
}

/* ---- reading the files back ---- */

/* Column index of name in the CSV header line. */
static int column(const char *header, const char *name)
{
    int idx = 0;
    const char *p = header;
    size_t len = strlen(name);
    while (*p && *p != '\n') {
        size_t l = strcspn(p, ",\n");
        if (l == len && !strncmp(p, name, len)) return idx;
        p += l;
        if (*p == ',') p++;
        idx++;
    }
    return -1;
}

/* Field k of a CSV line (no quoting in the numeric file), as a double (NAN when empty). */
static double field(const char *line, int k, char *text, size_t tn)
{
    const char *p = line;
    for (int i = 0; i < k; i++) {
        p += strcspn(p, ",\n");
        if (*p == ',') p++;
    }
    size_t l = strcspn(p, ",\n");
    if (text) snprintf(text, tn, "%.*s", (int)l, p);
    return l ? strtod(p, NULL) : NAN;
}

static void check_csv_and_json(void)
{
    char *csv_path = ns_path_join(dir, "segmentation_benchmark.csv");
    char *json_path = ns_path_join(dir, "segmentation_benchmark_summary.json");
    char *csv = test_read_file(csv_path, NULL), *json = test_read_file(json_path, NULL);
    CHECK(csv && json);
    if (!csv || !json) goto out;
    cJSON *root = cJSON_Parse(json);
    CHECK(root != NULL);
    cJSON *configs = cJSON_GetObjectItem(root, "configurations");
    CHECK(cJSON_GetArraySize(configs) == 7);
    int c_mode = column(csv, "mode"), c_w = column(csv, "workers"), c_wall = column(csv, "wall_s_median"),
        c_s1 = column(csv, "speedup_vs_1_worker"), c_ss = column(csv, "speedup_vs_sequential"),
        c_eff = column(csv, "efficiency"), c_sweep = column(csv, "sweep"), c_width = column(csv, "width");
    CHECK(c_mode >= 0 && c_w >= 0 && c_wall >= 0 && c_s1 >= 0 && c_ss >= 0 && c_eff >= 0 && c_sweep >= 0);

    /* lines of the CSV, after the header */
    const char *lines[16];
    int nl = 0;
    for (const char *p = strchr(csv, '\n'); p && p[1] && nl < 16; p = strchr(p + 1, '\n')) lines[nl++] = p + 1;
    CHECK(nl == 7);
    double t_seq = NAN, t_one = NAN;
    for (int i = 0; i < nl; i++) {
        char mode[32], sweep[32];
        field(lines[i], c_mode, mode, sizeof mode);
        field(lines[i], c_sweep, sweep, sizeof sweep);
        double w = field(lines[i], c_w, NULL, 0), wall = field(lines[i], c_wall, NULL, 0);
        if (!strcmp(sweep, "workers") && !strcmp(mode, "sequential")) t_seq = wall;
        if (!strcmp(sweep, "workers") && !strcmp(mode, "pool") && w == 1) t_one = wall;
    }
    CHECK(isfinite(t_seq) && isfinite(t_one));
    for (int i = 0; i < nl; i++) {
        char mode[32], sweep[32];
        field(lines[i], c_mode, mode, sizeof mode);
        field(lines[i], c_sweep, sweep, sizeof sweep);
        double w = field(lines[i], c_w, NULL, 0), wall = field(lines[i], c_wall, NULL, 0);
        double s1 = field(lines[i], c_s1, NULL, 0), ss = field(lines[i], c_ss, NULL, 0);
        double eff = field(lines[i], c_eff, NULL, 0);
        if (!strcmp(sweep, "workers")) {
            /* the CSV's own columns agree: speedup = t(1)/t(n) and t(seq)/t(n) */
            CHECK_NEAR(s1, t_one / wall, 1e-4 * s1);
            CHECK_NEAR(ss, t_seq / wall, 1e-4 * ss);
        } else {
            CHECK(isnan(s1) || !strcmp(mode, "sequential") || w == 1);
        }
        CHECK_NEAR(eff, ss / w, 1e-4);
        /* ... and the JSON says the same for the same row */
        cJSON *o = cJSON_GetArrayItem(configs, i);
        CHECK(!strcmp(cJSON_GetObjectItem(o, "mode")->valuestring, mode));
        CHECK(!strcmp(cJSON_GetObjectItem(o, "sweep")->valuestring, sweep));
        CHECK(cJSON_GetObjectItem(o, "workers")->valuedouble == w);
        CHECK(cJSON_GetObjectItem(o, "width")->valuedouble == field(lines[i], c_width, NULL, 0));
        double jwall = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "wall_s"), "median")->valuedouble;
        CHECK_NEAR(jwall, wall, 1e-5 * wall);
        cJSON *js1 = cJSON_GetObjectItem(o, "speedup_vs_1_worker");
        if (isnan(s1)) CHECK(cJSON_IsNull(js1));
        else CHECK_NEAR(js1->valuedouble, s1, 1e-5 * s1);
        CHECK_NEAR(cJSON_GetObjectItem(o, "speedup_vs_sequential")->valuedouble, ss, 1e-5 * ss);
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "wall_s"), "repeats")) == 3);
    }
    cJSON *rec = cJSON_GetObjectItem(root, "recommendation");
    CHECK(cJSON_GetObjectItem(rec, "workers")->valuedouble == 2);
    CHECK(!strcmp(cJSON_GetObjectItem(rec, "relation")->valuestring, "all CPUs"));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(root, "karp_flatt")) == 1);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(root, "size_effect")) == 3);
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "environment"), "usable_cpus")->valuedouble == 2);
    CHECK(strstr(cJSON_GetObjectItem(root, "baseline")->valuestring, "sequential") != NULL);
    cJSON_Delete(root);
out:
    free(csv);
    free(json);
    free(csv_path);
    free(json_path);
}

static void check_text_and_html(void)
{
    char *txt_path = ns_path_join(dir, "recommendation.txt");
    char *txt = test_read_file(txt_path, NULL);
    CHECK(txt && strstr(txt, "Recommendation: 2 workers (all CPUs of 2).") != NULL);
    CHECK(txt && strstr(txt, "Sequential loop (one process, no pool): median 10.000 s") != NULL);
    CHECK(txt && strstr(txt, "Maximum speedup: 1.89x") != NULL);
    CHECK(txt && strstr(txt, "2048x2048: sequential 41.000 s, pool 20.600 s, speedup 1.99x") != NULL);
    CHECK(txt && strstr(txt, "single-threaded") != NULL);
    free(txt);
    free(txt_path);

    char *html_path = ns_path_join(dir, "report.html");
    char *html = test_read_file(html_path, NULL);
    CHECK(html != NULL);
    if (html) {
        int refs = 0, imgs = 0;
        for (const char *p = html; (p = strstr(p, "=\"")) != NULL; p += 2) {
            int is_src = p >= html + 3 && !strncmp(p - 3, "src", 3);
            int is_href = p >= html + 4 && !strncmp(p - 4, "href", 4);
            if (!is_src && !is_href) continue;
            char ref[512];
            size_t l = strcspn(p + 2, "\"");
            snprintf(ref, sizeof ref, "%.*s", (int)l, p + 2);
            char *full = ns_path_join(dir, ref);
            CHECK_MSG(ns_file_exists(full), "report.html links missing %s", ref);
            free(full);
            refs++;
            imgs += is_src;
        }
        CHECK(imgs == 5);      /* five plots */
        CHECK(refs == 5 + 5 + 3); /* plus their SVGs and the three data files */
        CHECK(strstr(html, "Test CPU &lt;fast&gt; &amp; &quot;quoted&quot;") != NULL); /* escaped */
        CHECK(strstr(html, "-j 2") != NULL);
    }
    free(html);
    free(html_path);

    for (int i = 0; ns_scaling_plot_names[i]; i++) {
        char name[128];
        snprintf(name, sizeof name, "%s.png", ns_scaling_plot_names[i]);
        char *p = ns_path_join(dir, name);
        char *s = test_read_file(p, NULL);
        CHECK_MSG(s && !memcmp(s, "\x89PNG", 4), "%s", name);
        free(s);
        free(p);
    }
}

static void test_files(void)
{
    ns_scaling_result r;
    fabricate(&r);
    ns_error err;
    CHECK_OK(ns_scaling_derive(&r, 0.03, &err), err);
    ns_scaling_options o;
    ns_scaling_options_default(&o);
    o.out_dir = dir;
    CHECK_OK(ns_scaling_write_all(dir, &o, &r, &err), err);
    /* one process: the columns as they always were, no rank plots */
    char *csv_path = ns_path_join(dir, "segmentation_benchmark.csv");
    char *csv = test_read_file(csv_path, NULL);
    CHECK(csv && !strncmp(csv, "sweep,mode,workers,width,height,images,", 39));
    free(csv);
    free(csv_path);
    char *rank_plot = ns_path_join(dir, "throughput_vs_ranks.svg");
    CHECK(access(rank_plot, F_OK) != 0);
    free(rank_plot);
    check_csv_and_json();
    check_text_and_html();
    ns_scaling_result_free(&r);
}

static void test_errors(void)
{
    ns_scaling_result r;
    memset(&r, 0, sizeof r);
    r.env.usable_cpus = 2;
    ns_scaling_row row = {.workers = 1, .images = 4, .repeats = 1};
    row.wall_s = malloc(sizeof(double));
    row.wall_s[0] = 0.0; /* a zero wall time cannot give a throughput */
    ns_error err;
    CHECK_OK(ns_scaling_add_row(&r, &row, &err), err);
    CHECK(ns_scaling_derive(&r, 0.03, &err) == NS_ERR_INVALID);
    ns_scaling_result_free(&r);
    /* nothing measured: no plots to write */
    memset(&r, 0, sizeof r);
    CHECK(ns_scaling_write_plots(dir, &r, &err) == NS_ERR_EMPTY);
    /* unwritable destination */
    CHECK(ns_scaling_write_csv("/nonexistent_nucseg_dir/x.csv", &r, &err) == NS_ERR_IO);
    CHECK(strstr(err.message, "/nonexistent_nucseg_dir/x.csv") != NULL);
}

static void cleanup(void)
{
    test_remove_dir(dir);
}

int main(void)
{
    if (!mkdtemp(dir)) return 1;
    RUN(test_derive);
    RUN(test_files);
    RUN(test_derive_ranks);
    RUN(test_errors);
    if (!getenv("NUCSEG_KEEP_TEST_OUTPUT")) cleanup();
    else fprintf(stderr, "kept %s\n", dir);
    return check_report();
}
