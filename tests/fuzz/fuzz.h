/* fuzz.h — shared by the fuzz harnesses (tests/fuzz/fuzz_*.c): the libFuzzer
 * entry point, a per-process temp file for readers that take a path, and a
 * check that aborts (so libFuzzer and the replay tests report it) when an
 * invariant of the API is broken. */
#ifndef NUCSEG_FUZZ_H
#define NUCSEG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                  \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);           \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fputc('\n', stderr);                                                               \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

static char fuzz_path_buf[256];

static inline void fuzz_remove_file(void)
{
    if (fuzz_path_buf[0]) unlink(fuzz_path_buf);
}

/* Write data to this process's temp file (in /dev/shm when there is one) and
 * return its path; the file is removed at exit. suffix: e.g. ".tif". */
static inline const char *fuzz_write_temp(const uint8_t *data, size_t size, const char *suffix)
{
    if (!fuzz_path_buf[0]) {
        const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(fuzz_path_buf, sizeof fuzz_path_buf, "%s/nucseg-fuzz-%ld%s", dir, (long)getpid(), suffix);
        atexit(fuzz_remove_file);
    }
    FILE *f = fopen(fuzz_path_buf, "wb");
    FUZZ_CHECK(f != NULL, "cannot create %s", fuzz_path_buf);
    FUZZ_CHECK(size == 0 || fwrite(data, 1, size, f) == size, "cannot write %s", fuzz_path_buf);
    FUZZ_CHECK(fclose(f) == 0, "cannot write %s", fuzz_path_buf);
    return fuzz_path_buf;
}

#endif
