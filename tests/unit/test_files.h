/* test_files.h — files in unit tests: read one back whole, remove a scratch folder. */
#ifndef NUCSEG_TEST_FILES_H
#define NUCSEG_TEST_FILES_H

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nucseg/fsutil.h"

/* The whole file as a NUL-terminated string (the caller frees it), its length in
 * *len when len is not NULL; NULL when it cannot be read. */
static inline char *test_read_file(const char *path, size_t *len)
{
    char *text = NULL;
    ns_error err;
    return ns_read_text_file(path, &text, len, &err) == NS_OK ? text : NULL;
}

/* Remove a flat scratch folder and the files in it. */
static inline void test_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *p = ns_path_join(dir, e->d_name);
        if (p) unlink(p);
        free(p);
    }
    if (d) closedir(d);
    rmdir(dir);
}

#endif
