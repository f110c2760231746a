/* test_csv_read.c — the CSV reader: quoted fields (commas, doubled quotes, line
 * breaks inside), empty fields keep their column, CRLF line ends, a last line
 * without its line end, blank lines, and the errors: empty file, missing column,
 * a quote left open, a missing file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "nucseg/csv_read.h"

static char path[64];

static void write_csv(const char *text)
{
    strcpy(path, "/tmp/nucseg_csv_XXXXXX");
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
}

/* The records of text joined as "f1|f2|..." per record, ";" between records, into out. */
static ns_status records(const char *text, char *out, size_t size, ns_error *err)
{
    write_csv(text);
    ns_csv_reader r;
    ns_status st = ns_csv_open(&r, path, err);
    out[0] = 0;
    while (st == NS_OK && (st = ns_csv_next(&r, err)) == NS_OK && !r.eof) {
        if (out[0]) strncat(out, ";", size - strlen(out) - 1);
        for (int i = 0; i < r.nfields; i++) {
            if (i) strncat(out, "|", size - strlen(out) - 1);
            strncat(out, r.fields[i], size - strlen(out) - 1);
        }
    }
    ns_csv_close(&r); /* also after a failed open: then it is empty */
    unlink(path);
    return st;
}

static void test_quotes(void)
{
    char out[256];
    ns_error err = {0};
    CHECK_OK(records("a,b,c\n\"x,y\",\"say \"\"hi\"\"\",plain\n", out, sizeof out, &err), err);
    CHECK_MSG(!strcmp(out, "x,y|say \"hi\"|plain"), "got '%s'", out);
    /* A quoted field with a line break is one record; the next one's line number follows. */
    CHECK_OK(records("a,b\n\"two\nlines\",z\nnext,1\n", out, sizeof out, &err), err);
    CHECK_MSG(!strcmp(out, "two\nlines|z;next|1"), "got '%s'", out);
}

static void test_empty_fields_keep_their_column(void)
{
    char out[256];
    ns_error err = {0};
    CHECK_OK(records("a,b,c,d\nx,,z,\n,,,\n", out, sizeof out, &err), err);
    CHECK_MSG(!strcmp(out, "x||z|;|||"), "got '%s'", out);
}

static void test_crlf_and_missing_final_newline(void)
{
    char out[256];
    ns_error err = {0};
    CHECK_OK(records("a,b\r\n1,2\r\n3,\"4\"\r\n", out, sizeof out, &err), err);
    CHECK_MSG(!strcmp(out, "1|2;3|4"), "got '%s'", out);
    CHECK_OK(records("a,b\n1,2\n3,4", out, sizeof out, &err), err);
    CHECK_MSG(!strcmp(out, "1|2;3|4"), "got '%s'", out);
    CHECK_OK(records("a,b\n\n1,2\n\r\n3,4\n\n", out, sizeof out, &err), err); /* blank lines skipped */
    CHECK_MSG(!strcmp(out, "1|2;3|4"), "got '%s'", out);
}

static void test_header_and_columns(void)
{
    write_csv("tile,\"rm,sd\",status\nt1,0.5,ok\n\nt2,0.7\n");
    ns_csv_reader r;
    ns_error err = {0};
    CHECK_OK(ns_csv_open(&r, path, &err), err);
    CHECK(r.nheader == 3);
    CHECK(ns_csv_column(&r, "rm,sd") == 1);
    CHECK(ns_csv_column(&r, "missing") == -1);
    int idx[2];
    static const char *const ok_cols[] = {"status", "tile"}, *const bad_cols[] = {"tile", "truth"};
    CHECK_OK(ns_csv_require(&r, ok_cols, idx, 2, &err), err);
    CHECK(idx[0] == 2 && idx[1] == 0);
    CHECK(ns_csv_require(&r, bad_cols, idx, 2, &err) == NS_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "truth") && strstr(err.message, path), "message '%s'", err.message);
    CHECK_OK(ns_csv_next(&r, &err), err);
    CHECK(!r.eof && r.lineno == 2 && !strcmp(ns_csv_get(&r, 1), "0.5"));
    CHECK_OK(ns_csv_next(&r, &err), err);
    CHECK(!r.eof && r.lineno == 4 && r.nfields == 2 && !strcmp(ns_csv_get(&r, 2), ""));
    CHECK_OK(ns_csv_next(&r, &err), err);
    CHECK(r.eof);
    ns_csv_close(&r);
    unlink(path);
}

static void test_errors(void)
{
    char out[256];
    ns_error err = {0};
    CHECK(records("", out, sizeof out, &err) == NS_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, "empty file"), "message '%s'", err.message);
    CHECK(records("\n\r\n", out, sizeof out, &err) == NS_ERR_FORMAT);
    CHECK(records("a,b\n\"open,1\n2,3\n", out, sizeof out, &err) == NS_ERR_FORMAT);
    CHECK_MSG(strstr(err.message, ":2: quoted field not closed"), "message '%s'", err.message);
    ns_csv_reader r;
    CHECK(ns_csv_open(&r, "/nonexistent/nucseg.csv", &err) == NS_ERR_IO);
    CHECK_MSG(strstr(err.message, "/nonexistent/nucseg.csv"), "message '%s'", err.message);
}

int main(void)
{
    RUN(test_quotes);
    RUN(test_empty_fields_keep_their_column);
    RUN(test_crlf_and_missing_final_newline);
    RUN(test_header_and_columns);
    RUN(test_errors);
    return check_report();
}
