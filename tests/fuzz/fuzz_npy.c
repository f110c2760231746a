/* fuzz_npy.c — ns_npy_read_f64 on arbitrary bytes: an error naming the file,
 * or rows x cols values that are all there. */
#include "fuzz.h"

#include "nucseg/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_temp(data, size, ".npy");
    double *values;
    size_t rows, cols;
    ns_error err;
    ns_error_clear(&err);
    ns_status st = ns_npy_read_f64(path, &values, &rows, &cols, &err);
    /* A small file must not need more memory than the machine has: that would be an
     * allocation sized by a claim the file cannot back. */
    FUZZ_CHECK(st != NS_ERR_NOMEM, "%s", err.message);
    if (st != NS_OK) {
        FUZZ_CHECK(values == NULL, "failed read returned values");
        FUZZ_CHECK(strstr(err.message, path) != NULL, "error does not name the file: %s", err.message);
        return 0;
    }
    FUZZ_CHECK(values != NULL, "no values on success");
    /* The data follow a header of at least 10 bytes: it cannot hold more values than that leaves. */
    FUZZ_CHECK(cols == 0 || rows <= size / 8 / cols, "%zux%zu values from %zu bytes", rows, cols, size);
    double sum = 0;
    for (size_t i = 0; i < rows * cols; i++) sum += values[i];
    (void)sum;
    free(values);
    return 0;
}
