/* npy.c — NumPy .npy files of float64, C order: the writer emits version 1.0
 * with the header padded to a multiple of 64 bytes (as numpy.save does); the
 * reader takes version 1-3 headers of '<f8' arrays with one or two dimensions. */
#include "image_internal.h"

#include "nucseg/fsutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
/* Headers longer than this are not something numpy writes for a plain array. */
#define NPY_MAX_HEADER (1u << 20)

static void swap_f64(unsigned char *p, size_t count)
{
    for (size_t i = 0; i < count; i++, p += 8)
        for (int j = 0; j < 4; j++) {
            unsigned char t = p[j];
            p[j] = p[7 - j];
            p[7 - j] = t;
        }
}

ns_status ns_npy_write_f64(const char *path, const double *data, size_t rows, size_t cols, ns_error *err)
{
    return ns_npy_write_f64_to(path, data, rows, cols, NULL, err);
}

ns_status ns_npy_write_f64_to(const char *path, const double *data, size_t rows, size_t cols, ns_commit_list *defer,
                              ns_error *err)
{
    if (rows && cols && !data)
        return ns_error_set(err, NS_ERR_INVALID, "%s: no data for a %zux%zu array", path, rows, cols);
    if (cols && rows > SIZE_MAX / 8 / cols)
        return ns_error_set(err, NS_ERR_TOO_LARGE, "%s: %zux%zu array is too large", path, rows, cols);
    char dict[160];
    int n = snprintf(dict, sizeof dict, "{'descr': '<f8', 'fortran_order': False, 'shape': (%zu, %zu), }", rows, cols);
    /* magic(6) + version(2) + length(2) + dict + spaces + '\n' ends on a 64-byte boundary. */
    size_t header_len = (size_t)n + 1;
    size_t total = 10 + header_len;
    header_len += (64 - total % 64) % 64;
    unsigned char head[10 + 256];
    memcpy(head, NPY_MAGIC, NPY_MAGIC_LEN);
    head[6] = 1;
    head[7] = 0;
    head[8] = (unsigned char)(header_len & 0xff);
    head[9] = (unsigned char)(header_len >> 8);
    memcpy(head + 10, dict, (size_t)n);
    memset(head + 10 + n, ' ', header_len - (size_t)n - 1);
    head[10 + header_len - 1] = '\n';

    ns_atomic_file f;
    ns_status st = ns_atomic_open_to(&f, path, defer, err);
    if (st) return st;
    size_t count = rows * cols;
    int ok = fwrite(head, 1, 10 + header_len, f.fp) == 10 + header_len;
    if (ok && count) {
        if (ns_host_is_little_endian()) {
            ok = fwrite(data, sizeof(double), count, f.fp) == count;
        } else {
            for (size_t i = 0; ok && i < count; i++) {
                unsigned char le[8];
                memcpy(le, &data[i], 8);
                swap_f64(le, 1);
                ok = fwrite(le, 1, 8, f.fp) == 8;
            }
        }
    }
    if (!ok) {
        int e = errno;
        ns_atomic_abort(&f);
        return ns_error_set(err, NS_ERR_IO, "%s: write failed: %s", path, strerror(e));
    }
    return ns_atomic_close(&f, err);
}

/* Position just after "'key':" and any spaces, or NULL. */
static const char *find_key(const char *header, const char *key)
{
    char quoted[32];
    snprintf(quoted, sizeof quoted, "'%s'", key);
    const char *p = strstr(header, quoted);
    if (!p) return NULL;
    p += strlen(quoted);
    while (isspace((unsigned char)*p)) p++;
    if (*p != ':') return NULL;
    p++;
    while (isspace((unsigned char)*p)) p++;
    return p;
}

typedef struct {
    char descr[32];
    int fortran;
    int ndims;
    size_t dims[2];
} npy_header;

static ns_status parse_header(const char *path, const char *text, npy_header *h, ns_error *err)
{
    memset(h, 0, sizeof *h);
    const char *p = find_key(text, "descr");
    if (!p || (*p != '\'' && *p != '"'))
        return ns_error_set(err, NS_ERR_FORMAT, "%s: corrupt .npy header (no 'descr')", path);
    char quote = *p++;
    const char *end = strchr(p, quote);
    if (!end || (size_t)(end - p) >= sizeof h->descr)
        return ns_error_set(err, NS_ERR_FORMAT, "%s: corrupt .npy header ('descr')", path);
    memcpy(h->descr, p, (size_t)(end - p));

    p = find_key(text, "fortran_order");
    if (p && !strncmp(p, "True", 4)) h->fortran = 1;
    else if (!p || strncmp(p, "False", 5) != 0)
        return ns_error_set(err, NS_ERR_FORMAT, "%s: corrupt .npy header ('fortran_order')", path);

    p = find_key(text, "shape");
    if (!p || *p != '(')
        return ns_error_set(err, NS_ERR_FORMAT, "%s: corrupt .npy header ('shape')", path);
    p++;
    for (;;) {
        while (isspace((unsigned char)*p) || *p == ',') p++;
        if (*p == ')') break;
        if (!isdigit((unsigned char)*p))
            return ns_error_set(err, NS_ERR_FORMAT, "%s: corrupt .npy header ('shape')", path);
        errno = 0;
        char *next;
        unsigned long long v = strtoull(p, &next, 10);
        if (errno || v > SIZE_MAX)
            return ns_error_set(err, NS_ERR_TOO_LARGE, "%s: .npy shape too large", path);
        if (h->ndims < 2) h->dims[h->ndims] = (size_t)v;
        h->ndims++;
        p = next;
    }
    return NS_OK;
}

ns_status ns_npy_read_f64(const char *path, double **data, size_t *rows, size_t *cols, ns_error *err)
{
    *data = NULL;
    *rows = *cols = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return ns_error_set(err, NS_ERR_IO, "%s: %s", path, strerror(errno));
    ns_status st = NS_OK;
    char *text = NULL;
    double *values = NULL;
    unsigned char pre[12];
    if (fread(pre, 1, 10, fp) != 10 || memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
        st = ns_error_set(err, NS_ERR_FORMAT, "%s: not a .npy file", path);
        goto done;
    }
    size_t header_len;
    if (pre[6] == 1) {
        header_len = (size_t)pre[8] | (size_t)pre[9] << 8;
    } else if (pre[6] == 2 || pre[6] == 3) {
        if (fread(pre + 10, 1, 2, fp) != 2) {
            st = ns_error_set(err, NS_ERR_FORMAT, "%s: truncated .npy header", path);
            goto done;
        }
        header_len = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    } else {
        st = ns_error_set(err, NS_ERR_UNSUPPORTED, "%s: .npy version %d.%d is not supported", path, pre[6], pre[7]);
        goto done;
    }
    if (header_len == 0 || header_len > NPY_MAX_HEADER) {
        st = ns_error_set(err, NS_ERR_FORMAT, "%s: corrupt .npy header (length %zu)", path, header_len);
        goto done;
    }
    text = malloc(header_len + 1);
    if (!text) {
        st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    if (fread(text, 1, header_len, fp) != header_len) {
        st = ns_error_set(err, NS_ERR_FORMAT, "%s: truncated .npy header", path);
        goto done;
    }
    text[header_len] = '\0';
    npy_header h;
    st = parse_header(path, text, &h, err);
    if (st) goto done;
    if (strcmp(h.descr, "<f8") != 0) {
        st = ns_error_set(err, NS_ERR_UNSUPPORTED, "%s: .npy dtype '%s' is not supported (float64 '<f8' only)",
                          path, h.descr);
        goto done;
    }
    if (h.ndims < 1 || h.ndims > 2) {
        st = ns_error_set(err, NS_ERR_UNSUPPORTED, "%s: .npy array with %d dimensions is not supported (1 or 2)",
                          path, h.ndims);
        goto done;
    }
    size_t r = h.dims[0], c = h.ndims == 2 ? h.dims[1] : 1;
    /* Fortran order only changes the layout when both dimensions exceed 1. */
    if (h.fortran && r > 1 && c > 1) {
        st = ns_error_set(err, NS_ERR_UNSUPPORTED, "%s: Fortran-order .npy arrays are not supported", path);
        goto done;
    }
    if (c && r > SIZE_MAX / 8 / c) {
        st = ns_error_set(err, NS_ERR_TOO_LARGE, "%s: .npy shape %zux%zu is too large", path, r, c);
        goto done;
    }
    size_t count = r * c;
    /* The values must be in the file: check before allocating, or a header of a few bytes
     * claiming (2032196486,) would have us allocate 16 GB only to find the data missing. */
    struct stat sb;
    off_t at = ftello(fp);
    if (fstat(fileno(fp), &sb) != 0 || at < 0) {
        st = ns_error_set(err, NS_ERR_IO, "%s: %s", path, strerror(errno));
        goto done;
    }
    if (count > (uint64_t)(sb.st_size - at) / sizeof(double)) {
        st = ns_error_set(err, NS_ERR_FORMAT, "%s: truncated .npy data (%zux%zu float64 expected, %lld bytes present)",
                          path, r, c, (long long)(sb.st_size - at));
        goto done;
    }
    /* Never NULL on success, so callers can tell "read 0 rows" from "not read". */
    values = malloc(count ? count * sizeof(double) : sizeof(double));
    if (!values) {
        st = ns_error_set(err, NS_ERR_NOMEM, "%s: out of memory for %zux%zu values", path, r, c);
        goto done;
    }
    if (count && fread(values, sizeof(double), count, fp) != count) {
        st = ns_error_set(err, NS_ERR_FORMAT, "%s: truncated .npy data (%zux%zu float64 expected)", path, r, c);
        goto done;
    }
    if (!ns_host_is_little_endian()) swap_f64((unsigned char *)values, count);
    *data = values;
    values = NULL;
    *rows = r;
    *cols = c;
done:
    free(values);
    free(text);
    fclose(fp);
    return st;
}
