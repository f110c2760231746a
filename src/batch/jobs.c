/* jobs.c — which images to segment, and at which magnification, from the way
 * labs lay out a plate on disk. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "nucseg/batch.h"
#include "nucseg/fsutil.h"
#include "nucseg/names.h"

/* TIFF / PNG, but not label images (<id>_labels.*: ground truth or our own output). */
static int is_image_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot || name[0] == '.') return 0;
    if (dot - name >= 7 && !strncmp(dot - 7, "_labels", 7)) return 0;
    return !strcasecmp(dot, ".tif") || !strcasecmp(dot, ".tiff") || !strcasecmp(dot, ".png");
}

/* Plate, well, tile from the job's stem (pattern NULL: the built-in layouts); a
 * magnification the name carries ("10X_...") fills in an unknown one. Returns 0 when
 * the name does not match; -1 out of memory. */
static int name_job(ns_job *j, const char *pattern)
{
    ns_name_fields f;
    int matched = ns_name_parse(j->stem, pattern, &f);
    if (!matched && pattern) return 0;
    /* A stem no layout reads (e.g. "_x"): all of it is the well. */
    char *well = strdup(matched ? f.well : j->stem), *plate = strdup(f.plate), *tile = strdup(f.tile);
    if (!well || !plate || !tile) {
        free(well); free(plate); free(tile);
        return -1;
    }
    free(j->well); free(j->plate); free(j->tile);
    j->well = well;
    j->plate = plate;
    j->tile = tile;
    if (j->mag == NS_MAG_UNKNOWN) {
        if (!strcasecmp(f.mag, "10X")) j->mag = NS_MAG_10X;
        else if (!strcasecmp(f.mag, "40X")) j->mag = NS_MAG_40X;
    }
    return 1;
}

ns_status ns_jobs_add(ns_job_list *jobs, const char *path, ns_magnification mag, ns_error *err)
{
    struct stat st;
    return ns_jobs_add_sized(jobs, path, mag, stat(path, &st) == 0 ? (uint64_t)st.st_size : 0, err);
}

ns_status ns_jobs_add_sized(ns_job_list *jobs, const char *path, ns_magnification mag, uint64_t cost,
                            ns_error *err)
{
    if (jobs->count == jobs->cap) {
        size_t cap = jobs->cap ? jobs->cap * 2 : 64;
        ns_job *p = realloc(jobs->items, cap * sizeof *p);
        if (!p) return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory listing inputs", path);
        jobs->items = p;
        jobs->cap = cap;
    }
    ns_job *j = &jobs->items[jobs->count];
    memset(j, 0, sizeof *j);
    j->path = strdup(path);
    j->stem = ns_image_stem(path);
    j->mag = mag;
    if (!j->path || !j->stem || name_job(j, NULL) < 0) {
        free(j->path); free(j->stem); free(j->well); free(j->plate); free(j->tile);
        return ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory listing inputs", path);
    }
    j->cost = cost;
    jobs->count++;
    return NS_OK;
}

ns_status ns_jobs_apply_name_pattern(ns_job_list *jobs, const char *pattern, ns_error *err)
{
    ns_status st = ns_name_pattern_check(pattern, err);
    for (size_t i = 0; st == NS_OK && i < jobs->count; i++) {
        int r = name_job(&jobs->items[i], pattern);
        if (r < 0) st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", jobs->items[i].path);
        else if (r == 0)
            st = ns_error_set(err, NS_ERR_INVALID, "%s: name '%s' does not match --name-pattern '%s'",
                              jobs->items[i].path, jobs->items[i].stem, pattern);
    }
    return st;
}

void ns_jobs_free(ns_job_list *jobs)
{
    for (size_t i = 0; i < jobs->count; i++) {
        free(jobs->items[i].path);
        free(jobs->items[i].well);
        free(jobs->items[i].stem);
        free(jobs->items[i].plate);
        free(jobs->items[i].tile);
    }
    free(jobs->items);
    memset(jobs, 0, sizeof *jobs);
}

static int has_mag_token(const char *name, const char *tok)
{
    char lower[512];
    size_t i = 0;
    for (; i < sizeof lower - 1 && name[i]; i++)
        lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    lower[i] = 0;
    return strstr(lower, tok) != NULL;
}

/* The folders from the top of a scan down to the one being read: a folder (or a
 * symbolic link to one) that is one of them again is a loop, not more images. */
typedef struct folder_path {
    dev_t dev;
    ino_t ino;
    const struct folder_path *up;
} folder_path;

/* Add image files under dir (recursively when deep) with magnification mag; when
 * mag is UNKNOWN, sub-folders named like 10X / 40X assign theirs. */
static ns_status scan(ns_job_list *jobs, const char *dir, ns_magnification mag, int deep,
                      const folder_path *up, ns_error *err)
{
    struct stat ds;
    if (stat(dir, &ds) != 0) return ns_error_set(err, NS_ERR_IO, "%s: %s", dir, strerror(errno));
    for (const folder_path *f = up; f; f = f->up)
        if (f->dev == ds.st_dev && f->ino == ds.st_ino) return NS_OK;
    folder_path here = {ds.st_dev, ds.st_ino, up};
    DIR *d = opendir(dir);
    if (!d) return ns_error_set(err, NS_ERR_IO, "%s: %s", dir, strerror(errno));
    ns_status st = NS_OK;
    struct dirent *e;
    while (st == NS_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *p = ns_path_join(dir, e->d_name);
        if (!p) { st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", dir); break; }
        if (ns_is_dir(p) && is_image_name(e->d_name)) {
            /* A folder named like an image is a mistake worth a line (its job fails with
             * "is a directory"), not something to skip in silence or scan. */
            st = ns_jobs_add(jobs, p, mag, err);
        } else if (ns_is_dir(p)) {
            if (deep) {
                ns_magnification m = mag;
                if (m == NS_MAG_UNKNOWN) {
                    if (has_mag_token(e->d_name, "10x")) m = NS_MAG_10X;
                    else if (has_mag_token(e->d_name, "40x")) m = NS_MAG_40X;
                }
                st = scan(jobs, p, m, deep, &here, err);
            }
        } else if (is_image_name(e->d_name)) {
            st = ns_jobs_add(jobs, p, mag, err);
        }
        free(p);
    }
    closedir(d);
    return st;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const ns_job *)a)->path, ((const ns_job *)b)->path);
}

ns_status ns_jobs_discover(const char *data_dir, ns_job_list *jobs, ns_error *err)
{
    if (!ns_is_dir(data_dir))
        return ns_error_set(err, NS_ERR_IO, "%s: %s", data_dir,
                            ns_file_exists(data_dir) ? "not a directory" : "no such directory");
    char *geno = ns_path_join(data_dir, "genotyping");
    char *pheno = ns_path_join(data_dir, "phenotyping");
    char *cycle1 = geno ? ns_path_join(geno, "cycle_1") : NULL;
    ns_status st = NS_OK;
    if (!geno || !pheno || !cycle1) {
        st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", data_dir);
    } else if (ns_is_dir(geno) || ns_is_dir(pheno)) {
        /* Lab layout: nuclei are segmented on the first sequencing cycle. */
        if (ns_is_dir(cycle1)) st = scan(jobs, cycle1, NS_MAG_10X, 0, NULL, err);
        else if (ns_is_dir(geno)) st = scan(jobs, geno, NS_MAG_10X, 0, NULL, err);
        if (st == NS_OK && ns_is_dir(pheno)) st = scan(jobs, pheno, NS_MAG_40X, 0, NULL, err);
    } else {
        st = scan(jobs, data_dir, NS_MAG_UNKNOWN, 1, NULL, err);
    }
    free(geno); free(pheno); free(cycle1);
    /* No images leaves items NULL, which qsort must not be given even for 0 items. */
    if (st == NS_OK && jobs->count > 1) qsort(jobs->items, jobs->count, sizeof *jobs->items, by_path);
    return st;
}
