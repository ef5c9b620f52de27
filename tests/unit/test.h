/* SPDX-License-Identifier: Apache-2.0 */
/* Minimal unit-test harness: CHECK records a failure and continues; the test
 * binary exits non-zero if any check failed.  Prints "N passed, N failed". */
#ifndef ZL_TEST_H
#define ZL_TEST_H
#include <stdio.h>
#include <string.h>

static int zt_pass, zt_fail;
#define CHECK(cond) do { if (cond) zt_pass++; else { zt_fail++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_EQ_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
    if (_a == _b) zt_pass++; else { zt_fail++; \
    fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, _a, _b); } } while (0)
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); \
    if (_a && _b && strcmp(_a, _b) == 0) zt_pass++; else { zt_fail++; \
    fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, \
            _a ? _a : "(null)", _b ? _b : "(null)"); } } while (0)
#define CHECK_MEM(a, b, n) do { if (memcmp((a), (b), (n)) == 0) zt_pass++; else { zt_fail++; \
    fprintf(stderr, "%s:%d: memory differs: %s vs %s\n", __FILE__, __LINE__, #a, #b); } } while (0)
/* GUARD(cond) is CHECK(cond) as an expression: it counts a failure when cond
 * is false and yields cond.  Checks that need a precondition (a decoded node,
 * a buffer of the expected length) are written `if (GUARD(n)) CHECK(n->...)`,
 * so they are skipped without dereferencing NULL, but a NULL result fails the
 * test instead of passing silently.  A plain `if (x)` around checks is only
 * right when x was CHECKed just before or is the test's own parameter. */
static inline int zt_guard(int ok, const char *file, int line, const char *expr) {
    if (ok) zt_pass++;
    else { zt_fail++; fprintf(stderr, "%s:%d: GUARD failed: %s\n", file, line, expr); }
    return ok;
}
#define GUARD(cond) zt_guard(!!(cond), __FILE__, __LINE__, #cond)
#define TEST_MAIN_END() do { printf("%d passed, %d failed\n", zt_pass, zt_fail); \
    return zt_fail ? 1 : 0; } while (0)
#endif
