/* test_nn_weights.c — a damaged weight file is refused with one message naming the
 * file and the reason: a flipped byte (checksum), truncated, not a network file (bad
 * magic), another format version, missing; and ns_nn_load's name-or-path choice. */
#include <libdeflate.h>
#include <unistd.h>

#include "nn_test_util.h"
#include "test_files.h"

static char tmp_dir[] = "/tmp/nucseg_nn_weights_XXXXXX";
static unsigned char *good;
static size_t good_len;

/* Write bytes to tmp_dir/name and try to load it: the status, and the message in err. */
static ns_status load_bytes(const char *name, const unsigned char *bytes, size_t len, char **path, ns_error *err)
{
    *path = ns_path_join(tmp_dir, name);
    FILE *f = fopen(*path, "wb");
    CHECK(f && fwrite(bytes, 1, len, f) == len);
    if (f) fclose(f);
    ns_nn *net = NULL;
    ns_status st = ns_nn_load_file(*path, &net, err);
    CHECK(st == NS_OK || net == NULL);
    ns_nn_free(net);
    return st;
}

static void expect_refused(const char *name, const unsigned char *bytes, size_t len, const char *reason)
{
    char *path = NULL;
    ns_error err = {0};
    ns_status st = load_bytes(name, bytes, len, &path, &err);
    CHECK_MSG(st != NS_OK, "%s loaded", name);
    CHECK_MSG(strstr(err.message, path) && strstr(err.message, reason), "%s: message \"%s\" lacks the path or \"%s\"",
              name, err.message, reason);
    CHECK(!strchr(err.message, '\n'));
    fprintf(stderr, "  %s\n", err.message);
    free(path);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void test_good_copy_loads(void)
{
    char *path = NULL;
    ns_error err;
    CHECK_OK(load_bytes("good.nsnn", good, good_len, &path, &err), err);
    free(path);
}

static void test_flipped_byte(void)
{
    unsigned char *b = malloc(good_len);
    memcpy(b, good, good_len);
    b[good_len / 2] ^= 0x10; /* a weight's bit: shapes intact, only the checksum can tell */
    expect_refused("flipped.nsnn", b, good_len, "checksum mismatch");
    memcpy(b, good, good_len);
    b[good_len - 1] ^= 0x01; /* the stored checksum itself */
    expect_refused("flipped_crc.nsnn", b, good_len, "checksum mismatch");
    free(b);
}

static void test_truncated(void)
{
    expect_refused("truncated.nsnn", good, good_len - 1000, "truncated");
    expect_refused("header_only.nsnn", good, 30, "truncated");
    expect_refused("empty.nsnn", good, 0, "truncated");
}

static void test_bad_magic(void)
{
    unsigned char *b = malloc(good_len);
    memcpy(b, good, good_len);
    memcpy(b, "\x89PNG\r\n\x1a\n", 8);
    expect_refused("image.nsnn", b, good_len, "not a nucseg network file");
    expect_refused("short_text.nsnn", (const unsigned char *)"hello", 5, "not a nucseg network file");
    free(b);
}

static void test_other_version(void)
{
    /* A well-formed file of another version (1: before the full-resolution refinement;
     * 3: a later nucseg's), its checksum right: refused for the version. */
    unsigned char *b = malloc(good_len);
    memcpy(b, good, good_len);
    for (unsigned v = 1; v <= 3; v += 2) {
        char file[16], reason[16];
        snprintf(file, sizeof file, "v%u.nsnn", v);
        snprintf(reason, sizeof reason, "version %u", v);
        put_u32(b + 8, v);
        put_u32(b + good_len - 4, libdeflate_crc32(0, b, good_len - 4));
        expect_refused(file, b, good_len, reason);
    }
    free(b);
}

static void test_wrong_shape(void)
{
    /* A header whose widths do not match its layers (checksum right): refused. */
    unsigned char *b = malloc(good_len);
    memcpy(b, good, good_len);
    put_u32(b + 12, 8);
    put_u32(b + good_len - 4, libdeflate_crc32(0, b, good_len - 4));
    expect_refused("widths.nsnn", b, good_len, "corrupt network file");
    free(b);
}

static void test_missing_and_load_spec(void)
{
    char *path = ns_path_join(tmp_dir, "missing.nsnn");
    ns_nn *net = NULL;
    ns_error err = {0};
    CHECK(ns_nn_load_file(path, &net, &err) == NS_ERR_IO && !net);
    CHECK_MSG(strstr(err.message, path) && strstr(err.message, "No such file"), "message \"%s\"", err.message);
    /* ns_nn_load: a name it does not know is a path, and the message names it. */
    CHECK(ns_nn_load(path, &net, &err) == NS_ERR_IO && !net);
    CHECK(strstr(err.message, path) != NULL);
    CHECK(ns_nn_load_builtin("cells", &net, &err) == NS_ERR_INVALID && !net);
    CHECK_MSG(strstr(err.message, "cells") != NULL, "message \"%s\"", err.message);
    free(path);
}

int main(void)
{
    CHECK(mkdtemp(tmp_dir) != NULL);
    char *model = nn_test_model_path();
    ns_error err;
    CHECK_OK(ns_read_text_file(model, (char **)&good, &good_len, &err), err);
    free(model);
    if (!good) return check_report();
    RUN(test_good_copy_loads);
    RUN(test_flipped_byte);
    RUN(test_truncated);
    RUN(test_bad_magic);
    RUN(test_other_version);
    RUN(test_wrong_shape);
    RUN(test_missing_and_load_spec);
    free(good);
    test_remove_dir(tmp_dir);
    return check_report();
}
