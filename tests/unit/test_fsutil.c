/* test_fsutil.c — atomic writes never leave partial files; path helpers. */
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <stdlib.h>
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

#include "check.h"
#include "nucseg/fsutil.h"

static void test_atomic_write_and_abort(void)
{
    char dir[] = "/tmp/nucseg_fsutil_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *p = ns_path_join(dir, "out.txt");
    ns_error err;
    CHECK_OK(ns_write_file_atomic(p, "hello", 5, &err), err);
    CHECK(ns_file_exists(p));

    ns_atomic_file f;
    CHECK_OK(ns_atomic_open(&f, p, &err), err);
    fputs("half", f.fp);
    ns_atomic_abort(&f);
    /* the old content survives an aborted write; no temporary remains */
    FILE *r = fopen(p, "rb");
    char buf[16] = {0};
    CHECK(r && fread(buf, 1, sizeof buf, r) == 5);
    if (r) fclose(r);
    CHECK(!strcmp(buf, "hello"));
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
    if (d) closedir(d);
    CHECK(n == 1);
    unlink(p);
    rmdir(dir);
    free(p);
}

/* Entries in dir other than . and .., temporary (dot) files included. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d) closedir(d);
    return n;
}

static int file_is(const char *path, const char *want)
{
    char *text = NULL;
    ns_error err;
    int ok = ns_read_text_file(path, &text, NULL, &err) == NS_OK && !strcmp(text, want);
    free(text);
    return ok;
}

/* Deferred commits: nothing takes its final name before ns_commit_list_run; then
 * every file does, and no temporary is left; an abort or a failed rename leaves
 * no temporary either; a full list falls back to committing at once. */
static void test_deferred_commits(void)
{
    char dir[] = "/tmp/nucseg_defer_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *a = ns_path_join(dir, "a.txt"), *b = ns_path_join(dir, "b.txt"), *c = ns_path_join(dir, "c.txt");
    char *blocked = ns_path_join(dir, "blocked");
    ns_error err;
    static ns_commit_list list;

    CHECK_OK(ns_write_file_atomic_to(a, "A", 1, &list, &err), err);
    CHECK_OK(ns_write_file_atomic_to(b, "B", 1, &list, &err), err);
    CHECK(list.count == 2);
    CHECK(!ns_file_exists(a) && !ns_file_exists(b));
    CHECK(count_entries(dir) == 2); /* the two temporaries */
    CHECK_OK(ns_commit_list_run(&list, &err), err);
    CHECK(file_is(a, "A") && file_is(b, "B"));
    CHECK(count_entries(dir) == 2 && list.count == 0);

    CHECK_OK(ns_write_file_atomic_to(c, "C", 1, &list, &err), err);
    ns_commit_list_abort(&list);
    CHECK(!ns_file_exists(c) && count_entries(dir) == 2);

    /* A rename that fails (a non-empty directory holds the final name): the error
     * names the file, and neither temporary stays behind. */
    char *inside = ns_path_join(blocked, "x");
    CHECK(mkdir(blocked, 0777) == 0);
    CHECK_OK(ns_write_file_atomic(inside, "x", 1, &err), err);
    CHECK_OK(ns_write_file_atomic_to(c, "C", 1, &list, &err), err);
    CHECK_OK(ns_write_file_atomic_to(blocked, "D", 1, &list, &err), err);
    CHECK(ns_commit_list_run(&list, &err) == NS_ERR_IO);
    CHECK(strstr(err.message, "blocked") != NULL);
    CHECK(count_entries(dir) == 4); /* a, b, blocked/, and c (renamed before the failure) */

    /* More files than the list holds: the extra ones are committed at once. */
    char *more[NS_COMMIT_LIST_MAX + 1];
    for (int i = 0; i <= NS_COMMIT_LIST_MAX; i++) {
        char name[32];
        snprintf(name, sizeof name, "m%d.txt", i);
        more[i] = ns_path_join(dir, name);
        CHECK_OK(ns_write_file_atomic_to(more[i], "m", 1, &list, &err), err);
    }
    CHECK(list.count == NS_COMMIT_LIST_MAX);
    CHECK(!ns_file_exists(more[0]) && ns_file_exists(more[NS_COMMIT_LIST_MAX]));
    CHECK_OK(ns_commit_list_run(&list, &err), err);
    for (int i = 0; i <= NS_COMMIT_LIST_MAX; i++) {
        CHECK(file_is(more[i], "m"));
        unlink(more[i]);
        free(more[i]);
    }
    unlink(inside); rmdir(blocked); unlink(a); unlink(b); unlink(c);
    CHECK(count_entries(dir) == 0);
    rmdir(dir);
    free(a); free(b); free(c); free(blocked); free(inside);
}

/* Helper threads writing for their caller, given its list, record into it: every file
 * of every thread is recorded once, none takes its final name early. */
typedef struct {
    ns_commit_list *list;
    const char *dir;
    int thread;
} joiner;

#define JOIN_FILES 3

static void *write_joined(void *arg)
{
    joiner *j = arg;
    for (int i = 0; i < JOIN_FILES; i++) {
        char name[32];
        snprintf(name, sizeof name, "t%d_%d.txt", j->thread, i);
        char *path = ns_path_join(j->dir, name);
        ns_error err;
        if (path) ns_write_file_atomic_to(path, name, strlen(name), j->list, &err);
        free(path);
    }
    return NULL;
}

static void test_helpers_record_into_callers_list(void)
{
    char dir[] = "/tmp/nucseg_join_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    static ns_commit_list list;
    enum { THREADS = 2 };
    pthread_t tid[THREADS];
    joiner js[THREADS];
    for (int t = 0; t < THREADS; t++) {
        js[t] = (joiner){.list = &list, .dir = dir, .thread = t};
        CHECK(pthread_create(&tid[t], NULL, write_joined, &js[t]) == 0);
    }
    for (int t = 0; t < THREADS; t++) pthread_join(tid[t], NULL);
    CHECK_MSG(list.count == THREADS * JOIN_FILES, "%d files recorded, %d written", list.count, THREADS * JOIN_FILES);
    CHECK(count_entries(dir) == THREADS * JOIN_FILES); /* temporaries only */
    ns_error err;
    CHECK_OK(ns_commit_list_run(&list, &err), err);
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < JOIN_FILES; i++) {
            char name[32];
            snprintf(name, sizeof name, "t%d_%d.txt", t, i);
            char *path = ns_path_join(dir, name);
            CHECK_MSG(file_is(path, name), "%s", name);
            unlink(path);
            free(path);
        }
    CHECK(count_entries(dir) == 0);
    rmdir(dir);
}

static void test_read_text_file(void)
{
    char dir[] = "/tmp/nucseg_fsutil_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *path = ns_path_join(dir, "big.txt");
    /* Larger than the reader's first buffer, so it has to grow. */
    size_t n = 10000;
    char *data = malloc(n);
    for (size_t i = 0; i < n; i++) data[i] = (char)('a' + i % 26);
    ns_error err;
    CHECK_OK(ns_write_file_atomic(path, data, n, &err), err);
    char *text = NULL;
    size_t len = 0;
    CHECK_OK(ns_read_text_file(path, &text, &len, &err), err);
    CHECK(len == n && text && text[n] == '\0' && memcmp(text, data, n) == 0);
    free(text);
    char *missing = ns_path_join(dir, "missing.txt");
    CHECK(ns_read_text_file(missing, &text, NULL, &err) == NS_ERR_IO && text == NULL);
    CHECK(strstr(err.message, "missing.txt") != NULL);
    unlink(path);
    rmdir(dir);
    free(path); free(missing); free(data);
}

static void test_paths(void)
{
    char *s = ns_path_stem("a/b/Well1_Point1_0034.tif");
    CHECK(!strcmp(s, "Well1_Point1_0034"));
    free(s);
    char *j = ns_path_join("a/", "b");
    CHECK(!strcmp(j, "a/b"));
    free(j);
    ns_error err;
    CHECK(ns_mkdirs("/proc/nucseg_cannot/x", &err) == NS_ERR_IO);
    CHECK(strstr(err.message, "/proc/nucseg_cannot") != NULL);
}

int main(void)
{
    RUN(test_atomic_write_and_abort);
    RUN(test_paths);
    RUN(test_deferred_commits);
    RUN(test_helpers_record_into_callers_list);
    RUN(test_read_text_file);
    return check_report();
}
