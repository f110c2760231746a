/* test_fsutil.c — atomic writes never leave partial files; path helpers. */
#include <string.h>
#include <unistd.h>
#include <stdlib.h>
#include <dirent.h>

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
    RUN(test_read_text_file);
    return check_report();
}
