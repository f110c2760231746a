/* check.h — a minimal unit-test harness: CHECK macros and a closing line
 * "N passed, N failed". A test program exits non-zero if any check failed. */
#ifndef NUCSEG_TEST_CHECK_H
#define NUCSEG_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check_passed, check_failed;

#define CHECK(cond) do { \
    if (cond) check_passed++; \
    else { check_failed++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_MSG(cond, ...) do { \
    if (cond) check_passed++; \
    else { check_failed++; fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
           fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } \
} while (0)

#define CHECK_NEAR(a, b, tol) CHECK_MSG(fabs((double)(a) - (double)(b)) <= (tol), \
    "%s = %.9g, %s = %.9g, tol %.3g", #a, (double)(a), #b, (double)(b), (double)(tol))

#define CHECK_OK(st, err) CHECK_MSG((st) == NS_OK, "status %d: %s", (int)(st), (err).message)

/* Run one test function, printing its name. */
#define RUN(fn) do { fprintf(stderr, "-- %s\n", #fn); fn(); } while (0)

static inline int check_report(void)
{
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

/* Path to tests/data (from the NUCSEG_TEST_DATA environment variable, set by CTest). */
static inline const char *test_data_dir(void)
{
    const char *d = getenv("NUCSEG_TEST_DATA");
    return d ? d : "tests/data";
}

#endif
