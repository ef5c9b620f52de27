/* SPDX-License-Identifier: Apache-2.0 */
/* zeelos bench accounting: an injected gap is counted missing, a repeated
 * record duplicated, a late record closes its gap; histogram quantiles. */
#include "test.h"
#include "roles/bench/benchstat.h"

static void test_seq(void) {
    zl_seq_t s = {0};
    zl_seq_stats_t st = {0};
    CHECK(zl_seq_add(&s, 5, &st) == 0); /* base */
    CHECK(zl_seq_add(&s, 6, &st) == 0);
    CHECK(zl_seq_add(&s, 9, &st) == 1); /* 7, 8 injected missing */
    CHECK(st.missing == 2);
    CHECK(zl_seq_add(&s, 9, &st) == 2); /* injected duplicate */
    CHECK(zl_seq_add(&s, 6, &st) == 2); /* an older duplicate */
    CHECK(st.duplicated == 2);
    CHECK(zl_seq_add(&s, 8, &st) == 3); /* late: closes one gap */
    CHECK(st.missing == 1 && st.reordered == 1);
    CHECK(zl_seq_add(&s, 8, &st) == 2); /* and only once */
    CHECK(st.missing == 1 && st.duplicated == 3);
    CHECK(zl_seq_add(&s, 10, &st) == 0);
    CHECK(zl_seq_add(&s, 200, &st) == 1); /* a long gap empties the window */
    CHECK(st.missing == 1 + 189);
    CHECK(zl_seq_add(&s, 150, &st) == 3);
    CHECK(zl_seq_add(&s, 100, &st) == 2); /* > 64 behind: cannot tell, duplicate */
    CHECK(st.delivered == 11);
}

static void test_hist(void) {
    static zl_hist_t h;
    zl_hist_init(&h);
    CHECK(zl_hist_quantile(&h, 0.5) == 0);
    for (int i = 1; i <= 100; i++) zl_hist_add(&h, i);
    CHECK(zl_hist_quantile(&h, 0.5) == 50);
    CHECK(zl_hist_quantile(&h, 0.99) == 99);
    CHECK(zl_hist_quantile(&h, 1.0) == 100);
    zl_hist_init(&h);
    for (int i = 0; i < 1000; i++) zl_hist_add(&h, 1000000 + i * 1000); /* 1.000 .. 1.999 s */
    int64_t p50 = zl_hist_quantile(&h, 0.5), p99 = zl_hist_quantile(&h, 0.99);
    CHECK(p50 >= 1499000 && p50 <= 1499000 + 1499000 / 64);
    CHECK(p99 >= 1989000 && p99 <= 1989000 + 1989000 / 64);
    CHECK(zl_hist_quantile(&h, 1.0) == 1999000);
    zl_hist_add(&h, -5);
    CHECK(h.min == 0);
    zl_hist_add(&h, INT64_MAX); /* clamps into the last bucket */
    CHECK(zl_hist_quantile(&h, 1.0) >= (int64_t)1 << 41);
}

int main(void) {
    test_seq();
    test_hist();
    TEST_MAIN_END();
}
