/* well_tables.c — one nucleus table per well, next to the per-tile ones: the rows of
 * every tile of the well that succeeded, in tile order, under one header. Written
 * after the batch (the tile tables are complete then), atomically. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "batch/outputs.h"
#include "nucseg/batch.h"
#include "nucseg/fsutil.h"

typedef struct {
    const ns_job *job;
    char *dir; /* owned: OUT/<mag>/<well> */
    char *csv; /* owned: the tile's table */
} tile_ref;

/* Tiles in numeric order where both are numbers ("2" before "10"), then by stem. */
static int tile_cmp(const char *a, const char *b)
{
    char *ea, *eb;
    unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
    if (*a && *b && !*ea && !*eb && x != y) return x < y ? -1 : 1;
    return strcmp(a, b);
}

static int by_well_then_tile(const void *pa, const void *pb)
{
    const tile_ref *a = pa, *b = pb;
    int c = strcmp(a->dir, b->dir);
    if (!c) c = tile_cmp(a->job->tile, b->job->tile);
    if (!c) c = strcmp(a->job->stem, b->job->stem);
    return c;
}

/* The table of tiles [t, t+n) of one well, to path. */
static ns_status write_table(const char *path, const tile_ref *t, size_t n, ns_error *err)
{
    ns_atomic_file f;
    ns_status st = ns_atomic_open(&f, path, err);
    if (st != NS_OK) return st;
    char *first_header = NULL;
    for (size_t i = 0; st == NS_OK && i < n; i++) {
        char *text = NULL;
        size_t len = 0;
        st = ns_read_text_file(t[i].csv, &text, &len, err);
        if (st != NS_OK) break;
        const char *nl = memchr(text, '\n', len);
        size_t hlen = nl ? (size_t)(nl - text) + 1 : len;
        if (!first_header) {
            first_header = strndup(text, hlen);
            if (!first_header) st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
            else fwrite(text, 1, len, f.fp);
        } else if (strlen(first_header) != hlen || memcmp(first_header, text, hlen)) {
            /* e.g. a pixel size known for some tiles only: their columns differ */
            st = ns_error_set(err, NS_ERR_INVALID, "%s: columns differ from the well's first tile's "
                              "(a pixel size known for some tiles only?); no well table written", t[i].csv);
        } else {
            fwrite(text + hlen, 1, len - hlen, f.fp);
        }
        free(text);
    }
    free(first_header);
    if (st == NS_OK) return ns_atomic_close(&f, err);
    ns_atomic_abort(&f);
    return st;
}

ns_status ns_write_well_tables(const ns_job_list *jobs, const ns_batch_report *report, const char *out_dir,
                               ns_error *err)
{
    tile_ref *t = calloc(jobs->count ? jobs->count : 1, sizeof *t);
    size_t n = 0;
    ns_status st = t ? NS_OK : ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", out_dir);
    for (size_t i = 0; st == NS_OK && i < jobs->count; i++) {
        if (report->results[i].status != NS_OK) continue;
        ns_output_paths_t p;
        st = ns_output_paths(&jobs->items[i], out_dir, &p, err);
        if (st != NS_OK) break;
        t[n].job = &jobs->items[i];
        t[n].dir = strdup(p.dir);
        t[n].csv = strdup(p.file[NS_OUT_CSV]);
        n++;
        if (!t[n - 1].dir || !t[n - 1].csv) st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", out_dir);
    }
    if (st == NS_OK && n > 1) qsort(t, n, sizeof *t, by_well_then_tile);
    ns_status worst = NS_OK;
    for (size_t a = 0, b; st == NS_OK && a < n; a = b) {
        int named_like_well = 0;
        for (b = a; b < n && !strcmp(t[b].dir, t[a].dir); b++)
            named_like_well |= !strcmp(t[b].job->stem, t[b].job->well);
        char path[8192];
        if (snprintf(path, sizeof path, "%s/%s_nuclei.csv", t[a].dir, t[a].job->well) >= (int)sizeof path) {
            st = ns_error_set(err, NS_ERR_INVALID, "%s: path too long", t[a].dir);
            break;
        }
        if (named_like_well) {
            /* That tile's own table has the well table's name: with one tile it is the
             * well's table; with more, the merged one would overwrite it. */
            if (b - a > 1 && worst == NS_OK)
                worst = ns_error_set(err, NS_ERR_INVALID, "%s: a tile is named like its well; no well table "
                                     "written (rename it, or give --name-pattern)", path);
            continue;
        }
        ns_error one;
        if (write_table(path, &t[a], b - a, &one) != NS_OK && worst == NS_OK) {
            worst = one.code;
            if (err) *err = one;
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(t[i].dir);
        free(t[i].csv);
    }
    free(t);
    return st != NS_OK ? st : worst;
}
