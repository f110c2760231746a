/* fsutil.h — file-system helpers: atomic writes, directories, path pieces.
 *
 * Nothing half-written: every output goes to "<dir>/.<name>.tmp.<pid>.<host>" first and
 * is renamed over the final name only when complete (rename is atomic within a
 * directory), so a kill -9, a crash or a full disk leaves the old file or none. */
#ifndef NUCSEG_FSUTIL_H
#define NUCSEG_FSUTIL_H

#include <stdio.h>
#include "nucseg/error.h"

/* Temporary sibling name for final_path, written into buf (size bufsize). */
ns_status ns_tmp_path(const char *final_path, char *buf, size_t bufsize, ns_error *err);
/* The temporary name process pid uses for final_path (ns_tmp_path is this with getpid()):
 * what to remove after a worker is killed in the middle of writing. */
ns_status ns_tmp_path_of(const char *final_path, long pid, char *buf, size_t bufsize, ns_error *err);
/* This machine's name as temporary names carry it: processes of several machines may
 * write into one folder (MPI ranks, shards), and whether a pid is alive can only be told
 * on the machine that runs it. */
const char *ns_tmp_host(void);

/* Deferred commits: a writer given a list records (tmp, final) in it instead of
 * committing; ns_commit_list_run() later syncs every recorded file and renames them in
 * the order they were written (so the last one written, e.g. an image's metadata, still
 * appears last), or ns_commit_list_rename() renames them only. A pool worker uses this to
 * leave the renames to a second thread while it computes the next image. Recording is
 * thread-safe: helper threads may write files into their caller's list. */
#define NS_COMMIT_LIST_MAX 8
typedef struct {
    int count;
    char tmp_path[NS_COMMIT_LIST_MAX][4096];
    char final_path[NS_COMMIT_LIST_MAX][4096];
} ns_commit_list;

/* fsync + rename tmp over final; on failure removes tmp. */
ns_status ns_commit_file(const char *tmp_path, const char *final_path, ns_error *err);
/* ns_commit_file when defer is NULL; otherwise (tmp, final) recorded in defer, or, when
 * defer is full, committed now, which is always correct. */
ns_status ns_commit_file_to(const char *tmp_path, const char *final_path, ns_commit_list *defer, ns_error *err);
/* Sync all, then rename all, in order; on failure removes the temporary files not
 * renamed yet, and the error names the file. Empties the list. */
ns_status ns_commit_list_run(ns_commit_list *list, ns_error *err);
/* Rename all, in order, without syncing: for a caller that makes a whole batch durable
 * at once (ns_sync_filesystem) before it reports any of it done, and that can tell an
 * output lost in a power cut from the record it keeps of it (size and checksum). On
 * failure removes the temporary files not renamed yet, and the error names the file.
 * Empties the list. */
ns_status ns_commit_list_rename(ns_commit_list *list, ns_error *err);
/* Remove the recorded temporary files (their images failed). Empties the list. */
void ns_commit_list_abort(ns_commit_list *list);

/* A stdio stream whose file appears under final_path only at ns_atomic_close() (or,
 * with defer, when that list is committed). */
typedef struct {
    FILE *fp;
    char tmp_path[4096];
    char final_path[4096];
    ns_commit_list *defer;
} ns_atomic_file;

ns_status ns_atomic_open(ns_atomic_file *f, const char *final_path, ns_error *err);
/* ns_atomic_open, the commit at ns_atomic_close recorded in defer (ns_commit_file_to). */
ns_status ns_atomic_open_to(ns_atomic_file *f, const char *final_path, ns_commit_list *defer, ns_error *err);
/* Flush, check for write errors (e.g. ENOSPC), fsync, rename. Always closes. */
ns_status ns_atomic_close(ns_atomic_file *f, ns_error *err);
/* Close and delete the temporary file; the final path is untouched. */
void ns_atomic_abort(ns_atomic_file *f);

/* Read a whole file into a NUL-terminated malloc'd buffer (*len without the NUL;
 * len may be NULL). Errors name the file. */
ns_status ns_read_text_file(const char *path, char **text, size_t *len, ns_error *err);

/* Write a whole buffer atomically. */
ns_status ns_write_file_atomic(const char *path, const void *data, size_t len, ns_error *err);
/* ns_write_file_atomic, its commit recorded in defer (ns_commit_file_to). */
ns_status ns_write_file_atomic_to(const char *path, const void *data, size_t len, ns_commit_list *defer,
                                  ns_error *err);

/* Write everything cached for the file system holding path (a folder) to disk: one
 * syncfs() for all the files written there since the last, instead of an fsync each. */
ns_status ns_sync_filesystem(const char *path, ns_error *err);

/* Size and CRC-32 (zlib's polynomial, as crc32() and Python's zlib.crc32 compute it)
 * of a whole file: what an output is recorded as, and checked against later. */
ns_status ns_file_checksum(const char *path, unsigned long long *size, unsigned long *crc, ns_error *err);

/* mkdir -p. */
ns_status ns_mkdirs(const char *path, ns_error *err);

int ns_file_exists(const char *path);
int ns_is_dir(const char *path);

/* Join a and b with one '/', into a new malloc'd string (caller frees). */
char *ns_path_join(const char *a, const char *b);
/* Base name without directory and without the last extension ("a/b/W1_P2.tif" -> "W1_P2"). */
char *ns_path_stem(const char *path);

/* Process-wide: keep freed large blocks in the heap instead of returning them to the
 * kernel (call once at start in programs that process many images). */
void ns_tune_allocator(void);

/* NS_OK when path is a regular file; otherwise NS_ERR_IO naming it and what it is
 * (a FIFO, a folder, a device ...). Called before every input file is opened, since
 * opening a FIFO for reading blocks until some writer appears. */
ns_status ns_require_regular_file(const char *path, ns_error *err);

#endif
