/*
 * check.h — the unit-test harness: assertion macros that print both values,
 * and a closing line "N passed, N failed".  A test file defines test
 * functions and lists them in main() with RUN(name).
 */
#ifndef KF_CHECK_H
#define KF_CHECK_H

#include <stdio.h>
#include <string.h>
#include <math.h>

static int check_passed, check_failed, check_cur_failed;

#define CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    check_cur_failed = 1; } } while (0)

#define CHECK_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
    if (_a != _b) { fprintf(stderr, "%s:%d: %s == %s: %lld != %lld\n", \
        __FILE__, __LINE__, #a, #b, _a, _b); check_cur_failed = 1; } } while (0)

#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); \
    if (!_a || !_b || strcmp(_a, _b)) { fprintf(stderr, "%s:%d: %s == %s: \"%s\" != \"%s\"\n", \
        __FILE__, __LINE__, #a, #b, _a ? _a : "(null)", _b ? _b : "(null)"); \
        check_cur_failed = 1; } } while (0)

#define CHECK_NEAR(a, b, eps) do { double _a = (a), _b = (b); \
    if (!(fabs(_a - _b) <= (eps))) { fprintf(stderr, "%s:%d: %s ~= %s: %g != %g\n", \
        __FILE__, __LINE__, #a, #b, _a, _b); check_cur_failed = 1; } } while (0)

#define CHECK_CONTAINS(hay, needle) do { const char *_h = (hay), *_n = (needle); \
    if (!_h || !strstr(_h, _n)) { fprintf(stderr, "%s:%d: \"%s\" not found in %s\n", \
        __FILE__, __LINE__, _n, #hay); check_cur_failed = 1; } } while (0)

#define RUN(fn) do { check_cur_failed = 0; fn(); \
    if (check_cur_failed) { check_failed++; fprintf(stderr, "FAIL %s\n", #fn); } \
    else check_passed++; } while (0)

#define CHECK_DONE() (printf("%d passed, %d failed\n", check_passed, check_failed), \
    check_failed ? 1 : 0)

#endif
