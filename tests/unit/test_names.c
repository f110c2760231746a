/* test_names.c — plate, well, tile and magnification from the file names of the
 * layouts labs use, and from --name-pattern patterns (nucseg/names.h); the jobs a
 * folder of such files gives (well, tile, magnification, ".ome" dropped). */
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "nucseg/batch.h"
#include "nucseg/fsutil.h"
#include "nucseg/names.h"

static void expect(const char *stem, const char *pattern, const char *plate, const char *well, const char *tile,
                   const char *mag)
{
    ns_name_fields f;
    int ok = ns_name_parse(stem, pattern, &f);
    CHECK_MSG(ok, "%s under %s: no match", stem, pattern ? pattern : "(built-in)");
    CHECK_MSG(!strcmp(f.plate, plate) && !strcmp(f.well, well) && !strcmp(f.tile, tile) && !strcmp(f.mag, mag),
              "%s under %s: plate '%s' well '%s' tile '%s' mag '%s', want '%s' '%s' '%s' '%s'", stem,
              pattern ? pattern : "(built-in)", f.plate, f.well, f.tile, f.mag, plate, well, tile, mag);
}

static void test_builtin_layouts(void)
{
    expect("Well1_Point1_0034", NULL, "", "Well1", "34", "");               /* the seed */
    expect("10X_c1-SBS-1_A1_Tile-7.sbs", NULL, "", "A1", "7", "10X");       /* OPS */
    expect("40X_c0-DAPI_B12_Tile-102.phenotype", NULL, "", "B12", "102", "40X");
    expect("P-1_W-A1_T-0__Cycle-1__Channel-DAPI", NULL, "1", "A1", "0", ""); /* brieflow */
    expect("P-12_W-H10_T-0034", NULL, "12", "H10", "34", "");
    expect("Well2_Tile-3", NULL, "", "Well2", "3", "");                     /* nucseg synth */
    expect("Well2_Site-11", NULL, "", "Well2", "11", "");
    expect("WellA_something_else", NULL, "", "WellA", "", "");             /* before the first '_' */
    expect("A1", NULL, "", "A1", "", "");
    expect("Well1_Tile-x", NULL, "", "Well1", "", "");                      /* not a tile number */
}

static void test_patterns(void)
{
    expect("plate3-C07-s0012", "plate{plate}-{well}-s{tile}", "3", "C07", "12", "");
    expect("r02c05f01p01-ch1sk1fk1fl1", "r{well}c{}f{tile}p{}-*", "", "02", "1", ""); /* Opera Phenix */
    expect("A1_Tile-102.x", "{well}_Tile-{tile}.*", "", "A1", "102", "");
    expect("A1_Tile-102.x", "{well}_Tile-{tile}*", "", "A1", "1", ""); /* shortest: as documented */
    expect("exp_D4_0005_x", "exp_{well}_{tile}_*", "", "D4", "5", "");
    expect("20X_A3_9", "{mag}_{well}_{tile}", "", "A3", "9", "20X");
    ns_name_fields f;
    CHECK(!ns_name_parse("Well1_Tile-3", "{plate}-{well}-{tile}", &f)); /* no match */
    /* A pattern that backtracks a power of the name's length gives up, not hangs. */
    char a[241];
    memset(a, 'a', 240);
    a[240] = '\0';
    CHECK(!ns_name_parse(a, "*a*a*a*a*{well}*b", &f));
    CHECK(f.well[0] == '\0');
    ns_error err;
    CHECK(ns_name_pattern_check("{well}_{tile}", &err) == NS_OK);
    CHECK(ns_name_pattern_check("{tile}", &err) == NS_ERR_INVALID);        /* no well */
    CHECK(strstr(err.message, "{well}") != NULL);
    CHECK(ns_name_pattern_check("{well}_{site}", &err) == NS_ERR_INVALID); /* unknown field */
    CHECK(strstr(err.message, "site") != NULL);
    CHECK(ns_name_pattern_check("{well}{tile}", &err) == NS_ERR_INVALID);  /* adjacent fields */
    CHECK(ns_name_pattern_check("{well", &err) == NS_ERR_INVALID);
    CHECK(ns_name_pattern_check("well}", &err) == NS_ERR_INVALID);
}

static void test_image_stem(void)
{
    char *s = ns_image_stem("/data/x/A1_t3.ome.tif");
    CHECK(s && !strcmp(s, "A1_t3"));
    free(s);
    s = ns_image_stem("/data/x/A1_t3.OME.TIFF");
    CHECK(s && !strcmp(s, "A1_t3"));
    free(s);
    s = ns_image_stem("10X_c1-SBS-1_A1_Tile-7.sbs.tif");
    CHECK(s && !strcmp(s, "10X_c1-SBS-1_A1_Tile-7.sbs"));
    free(s);
}

static void touch(const char *dir, const char *name)
{
    char *p = ns_path_join(dir, name);
    ns_error err;
    CHECK_OK(ns_write_file_atomic(p, "x", 1, &err), err);
    free(p);
}

static const ns_job *job_named(const ns_job_list *jobs, const char *stem)
{
    for (size_t i = 0; i < jobs->count; i++)
        if (!strcmp(jobs->items[i].stem, stem)) return &jobs->items[i];
    return NULL;
}

/* A folder of OPS, brieflow and seed files: the jobs carry their wells and tiles, and
 * the OPS names their magnification. */
static void test_jobs_from_folder(void)
{
    char dir[] = "/tmp/nucseg_names_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    touch(dir, "10X_c1-SBS-1_A1_Tile-7.sbs.tif");
    touch(dir, "P-1_W-B2_T-0__Channel-DAPI.tiff");
    touch(dir, "Well1_Point1_0034.tif");
    touch(dir, "C3_f05.ome.tif");
    ns_job_list jobs = {0};
    ns_error err;
    CHECK_OK(ns_jobs_discover(dir, &jobs, &err), err);
    CHECK(jobs.count == 4);
    const ns_job *ops = job_named(&jobs, "10X_c1-SBS-1_A1_Tile-7.sbs");
    CHECK(ops && !strcmp(ops->well, "A1") && !strcmp(ops->tile, "7") && ops->mag == NS_MAG_10X);
    const ns_job *bf = job_named(&jobs, "P-1_W-B2_T-0__Channel-DAPI");
    CHECK(bf && !strcmp(bf->plate, "1") && !strcmp(bf->well, "B2") && !strcmp(bf->tile, "0"));
    const ns_job *seed = job_named(&jobs, "Well1_Point1_0034");
    CHECK(seed && !strcmp(seed->well, "Well1") && !strcmp(seed->tile, "34") && seed->mag == NS_MAG_UNKNOWN);
    const ns_job *ome = job_named(&jobs, "C3_f05");
    CHECK(ome && !strcmp(ome->well, "C3") && !strcmp(ome->tile, ""));

    /* A pattern for the odd one out; every other name must match it too, or the
     * error names the file that does not. */
    CHECK(ns_jobs_apply_name_pattern(&jobs, "{well}_f{tile}", &err) == NS_ERR_INVALID);
    CHECK(strstr(err.message, "does not match") != NULL);
    ns_jobs_free(&jobs);
    char *p = ns_path_join(dir, "C3_f05.ome.tif");
    CHECK_OK(ns_jobs_add(&jobs, p, NS_MAG_40X, &err), err);
    free(p);
    CHECK_OK(ns_jobs_apply_name_pattern(&jobs, "{well}_f{tile}", &err), err);
    CHECK(!strcmp(jobs.items[0].well, "C3") && !strcmp(jobs.items[0].tile, "5") && jobs.items[0].mag == NS_MAG_40X);
    ns_jobs_free(&jobs);

    const char *names[] = {"10X_c1-SBS-1_A1_Tile-7.sbs.tif", "P-1_W-B2_T-0__Channel-DAPI.tiff",
                           "Well1_Point1_0034.tif", "C3_f05.ome.tif"};
    for (size_t i = 0; i < 4; i++) {
        char *q = ns_path_join(dir, names[i]);
        unlink(q);
        free(q);
    }
    rmdir(dir);
}

int main(void)
{
    RUN(test_builtin_layouts);
    RUN(test_patterns);
    RUN(test_image_stem);
    RUN(test_jobs_from_folder);
    return check_report();
}
