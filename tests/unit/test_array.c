/* SPDX-License-Identifier: Apache-2.0 */
/* zl_array_reserve: the growth policy the call sites rely on (min_cap first,
 * then doubling; a jump past 2*cap doubles until it fits), no-op when there is
 * room, contents kept across growth, and refusal (array untouched) when the
 * byte size would overflow. */
#include <stdint.h>
#include <stdlib.h>

#include "common/array.h"
#include "test.h"

typedef struct {
    int a;
    double b;
} pair_t;

static void test_growth_policy(void) {
    int *v = NULL;
    size_t cap = 0;
    CHECK_EQ_INT(ZL_ARRAY_RESERVE(&v, &cap, 1, 16), ZL_OK);
    CHECK_EQ_INT(cap, 16);
    CHECK(v != NULL);
    int *same = v;
    CHECK_EQ_INT(ZL_ARRAY_RESERVE(&v, &cap, 16, 16), ZL_OK); /* room left: nothing moves */
    CHECK_EQ_INT(cap, 16);
    CHECK(v == same);
    CHECK_EQ_INT(ZL_ARRAY_RESERVE(&v, &cap, 0, 16), ZL_OK);
    CHECK_EQ_INT(cap, 16);
    CHECK_EQ_INT(ZL_ARRAY_RESERVE(&v, &cap, 17, 16), ZL_OK); /* n == cap, one more: doubles */
    CHECK_EQ_INT(cap, 32);
    CHECK_EQ_INT(ZL_ARRAY_RESERVE(&v, &cap, 100, 16), ZL_OK); /* a jump doubles until it fits */
    CHECK_EQ_INT(cap, 128);
    free(v);

    int *w = NULL;
    size_t wc = 0;
    CHECK_EQ_INT(ZL_ARRAY_RESERVE(&w, &wc, 40, 16), ZL_OK); /* first reserve past min_cap */
    CHECK_EQ_INT(wc, 64);
    free(w);

    int *z = NULL;
    size_t zc = 0;
    CHECK_EQ_INT(ZL_ARRAY_RESERVE(&z, &zc, 1, 0), ZL_OK); /* min_cap 0 means 1 */
    CHECK_EQ_INT(zc, 1);
    CHECK_EQ_INT(ZL_ARRAY_RESERVE(&z, &zc, 2, 0), ZL_OK);
    CHECK_EQ_INT(zc, 2);
    free(z);
}

/* Appending one at a time, as the call sites do, keeps every element. */
static void test_append_keeps_contents(void) {
    pair_t *v = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 10000; i++) {
        if (!GUARD(ZL_ARRAY_RESERVE(&v, &cap, n + 1, 4) == ZL_OK)) break;
        CHECK(cap >= n + 1);
        v[n++] = (pair_t){i, i * 0.5};
    }
    CHECK_EQ_INT(n, 10000);
    CHECK_EQ_INT(cap, 16384);
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].a != (int)i || v[i].b != (double)i * 0.5) bad++;
    CHECK_EQ_INT(bad, 0);
    free(v);
}

/* need * elem_size past SIZE_MAX, or a capacity that cannot double: NOMEM,
 * and the caller's array and capacity are untouched. */
static void test_overflow(void) {
    pair_t *v = NULL;
    size_t cap = 0;
    CHECK_EQ_INT(ZL_ARRAY_RESERVE(&v, &cap, 3, 4), ZL_OK);
    pair_t *old = v;
    v[0].a = 42;
    CHECK_EQ_INT(ZL_ARRAY_RESERVE(&v, &cap, SIZE_MAX / sizeof *v + 1, 4), ZL_ERR_NOMEM);
    CHECK(v == old);
    CHECK_EQ_INT(cap, 4);
    CHECK_EQ_INT(ZL_ARRAY_RESERVE(&v, &cap, SIZE_MAX, 4), ZL_ERR_NOMEM); /* cannot double that far */
    CHECK(v == old);
    CHECK_EQ_INT(cap, 4);
    CHECK_EQ_INT(v[0].a, 42);
    free(v);

    /* bytes overflow although the element count doubles fine */
    uint64_t *u = NULL;
    size_t uc = (SIZE_MAX / 8) / 2 + 1; /* doubling gives a count whose bytes overflow */
    CHECK_EQ_INT(zl_array_reserve(&u, &uc, uc + 1, sizeof *u, 4), ZL_ERR_NOMEM);
    CHECK(u == NULL);
    CHECK_EQ_INT(uc, (SIZE_MAX / 8) / 2 + 1);
}

int main(void) {
    test_growth_policy();
    test_append_keeps_contents();
    test_overflow();
    TEST_MAIN_END();
}
