/* bench_common.h — small helpers shared by the bench/ programs (each bench/ .c file is its own
 * program, so these are static functions in a header rather than a library module). */
#ifndef NUCSEG_BENCH_COMMON_H
#define NUCSEG_BENCH_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nucseg/error.h"
#include "nucseg/fsutil.h"
#include "nucseg/image.h"
#include "util/clock.h" /* ns_clock_ms: the library's monotonic clock, for the benches' timings */

/* The 1-minute load average, printed with the figures: other processes on the CPUs make
 * timings pessimistic and speedups smaller, and the reader should know. */
static inline void bench_print_load(const char *when)
{
    double load[3];
    if (getloadavg(load, 3) == 3) printf("load average %s: %.2f %.2f %.2f\n", when, load[0], load[1], load[2]);
}

/* Parse a positive integer option value; 0 when it is not one. */
static inline long bench_parse_positive(const char *s)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || v <= 0) return 0;
    return v;
}

static inline int bench_rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb; (void)type; (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* rm -rf path (depth first, no symlink following); a missing path is not an error. */
static inline ns_status bench_remove_tree(const char *path, ns_error *err)
{
    if (access(path, F_OK) != 0) return NS_OK;
    if (nftw(path, bench_rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return ns_error_set(err, NS_ERR_IO, "%s: cannot remove: %s", path, strerror(errno));
    return NS_OK;
}

/* s in single quotes for /bin/sh, with embedded quotes escaped. malloc'd; NULL on no memory. */
static inline char *bench_shell_quote(const char *s)
{
    size_t n = 3;
    for (const char *p = s; *p; p++) n += *p == '\'' ? 4 : 1;
    char *q = malloc(n), *o = q;
    if (!q) return NULL;
    *o++ = '\'';
    for (const char *p = s; *p; p++) {
        if (*p == '\'') { memcpy(o, "'\\''", 4); o += 4; }
        else *o++ = *p;
    }
    *o++ = '\'';
    *o = '\0';
    return q;
}

/* The directory of a source file path such as __FILE__ ("." when it has none). malloc'd. */
static inline char *bench_dirname_of(const char *file)
{
    const char *slash = strrchr(file, '/');
    if (!slash) return strdup(".");
    return strndup(file, (size_t)(slash - file));
}

static inline int bench_has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static inline int bench_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline void bench_free_paths(char **paths, size_t n)
{
    for (size_t i = 0; paths && i < n; i++) free(paths[i]);
    free(paths);
}

/* Every DIR/<id>.png that is not a ground-truth *_labels.png, sorted by name (the
 * dsb2018-dev layout). *paths is malloc'd (bench_free_paths). */
static inline ns_status bench_list_images(const char *dir, char ***paths, size_t *count, ns_error *err)
{
    DIR *d = opendir(dir);
    if (!d) return ns_error_set(err, NS_ERR_IO, "%s: %s", dir, strerror(errno));
    char **v = NULL;
    size_t n = 0, cap = 0;
    ns_status st = NS_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!bench_has_suffix(e->d_name, ".png") || bench_has_suffix(e->d_name, "_labels.png")) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nv = realloc(v, cap * sizeof *v);
            if (!nv) { st = ns_error_set(err, NS_ERR_NOMEM, "%s: listing images", dir); break; }
            v = nv;
        }
        if (!(v[n] = ns_path_join(dir, e->d_name))) {
            st = ns_error_set(err, NS_ERR_NOMEM, "%s: listing images", dir);
            break;
        }
        n++;
    }
    closedir(d);
    if (st == NS_OK && n == 0) st = ns_error_set(err, NS_ERR_EMPTY, "%s: no *.png images", dir);
    if (st) { bench_free_paths(v, n); return st; }
    qsort(v, n, sizeof *v, bench_cmp_str);
    *paths = v;
    *count = n;
    return NS_OK;
}

/* "<dir>/<id>_labels.png" for "<dir>/<id>.png" (malloc'd; NULL on no memory). */
static inline char *bench_truth_path(const char *image_path)
{
    size_t n = strlen(image_path) - strlen(".png");
    char *p = malloc(n + sizeof "_labels.png");
    if (!p) return NULL;
    memcpy(p, image_path, n);
    strcpy(p + n, "_labels.png");
    return p;
}

/* size x size of mirrored copies of src (same pixel type), so that no copy meets a hard
 * edge: a large image of the same content, for cost per pixel against src's. */
static inline ns_status bench_tile_mirrored(const ns_image *src, int size, ns_image *big, ns_error *err)
{
    ns_status st = ns_image_alloc(big, size, size, src->type, err);
    if (st != NS_OK) return st;
    const size_t px = ns_pixel_size(src->type);
    for (int y = 0; y < size; y++) {
        int ty = y / src->height, sy = y % src->height;
        if (ty & 1) sy = src->height - 1 - sy;
        for (int x = 0; x < size; x++) {
            int tx = x / src->width, sx = x % src->width;
            if (tx & 1) sx = src->width - 1 - sx;
            memcpy((char *)big->data + ((size_t)y * size + x) * px,
                   (const char *)src->data + ((size_t)sy * src->width + sx) * px, px);
        }
    }
    return NS_OK;
}

#endif
