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
    return check_report();
}
