/* SPDX-License-Identifier: Apache-2.0 */
/* zeelos bench accounting: an injected gap is counted missing, a repeated
 * record duplicated, a late record closes its gap; histogram quantiles; the
 * per-device table and the in-place read of a JSON observation. */
#include <string.h>

#include "test.h"
#include "roles/bench/bench_int.h"

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

static void test_devs(void) {
    zl_bench_devs_t *d = zl_bench_devs_new();
    CHECK(d != NULL);
    char ep[32];
    for (int i = 0; i < 5000; i++) { /* grows the map past its first size */
        snprintf(ep, sizeof ep, "bench-%04d", i);
        zl_seq_t *s = zl_bench_devs_seq(d, ep, strlen(ep));
        CHECK(s && !s->started);
        s->started = true;
        s->last = i;
    }
    CHECK(zl_bench_devs_count(d) == 5000);
    zl_seq_t *s = zl_bench_devs_seq(d, "bench-1234xyz", 10); /* not NUL-terminated */
    CHECK(s && s->started && s->last == 1234);
    CHECK(zl_bench_devs_count(d) == 5000);
    zl_bench_devs_free(d);
}

static int read_json(zl_serde_t *s, const char *text, zl_bench_obs_t *o) {
    zl_observe_t scratch = {0};
    zl_kmsg_t m = {.topic = "t", .value = text, .value_len = strlen(text)};
    int r = zl_bench_obs_read(s, &scratch, &m, o);
    zl_observe_free(&scratch);
    return r;
}

static void test_obs_json(void) {
    char err[128];
    zl_serde_t *s = zl_serde_new(ZL_FORMAT_JSON, NULL, err, sizeof err);
    CHECK(s != NULL);
    /* as the gateway writes it (Avro JSON of AvroResponseObserve) */
    const char *rec =
        "{\"ticket\":\"bo-8\",\"observationId\":\"[7e]\",\"serverId\":\"gw\",\"ep\":\"bench-08\",\"path\":\"/3303/0\","
        "\"timestamp\":1796411159434,\"rep\":{\"code\":\"CONTENT\",\"kind\":\"observe\",\"body\":{\"io.zeelos.leshan.avro."
        "response.AvroReadResponseBody\":{\"content\":{\"io.zeelos.leshan.avro.resource.AvroInstanceResource\":{\"id\":0,"
        "\"kind\":\"INSTANCE\",\"resources\":[{\"id\":5700,\"path\":\"/3303/0/5700\",\"kind\":\"SINGLE_RESOURCE\","
        "\"type\":\"FLOAT\",\"value\":{\"double\":1796411159434177.0}},{\"id\":5601,\"path\":\"/3303/0/5601\",\"kind\":"
        "\"SINGLE_RESOURCE\",\"type\":\"FLOAT\",\"value\":{\"double\":42.0}}],\"multipleResources\":null}}}},"
        "\"resources\":null}}";
    zl_bench_obs_t o;
    CHECK(read_json(s, rec, &o) == 0);
    CHECK(o.ep_len == 8 && !memcmp(o.ep, "bench-08", 8));
    CHECK(o.send_us == 1796411159434177 && o.seq == 42);
    /* a record of another device model: no 5601 */
    CHECK(read_json(s, "{\"ep\":\"x\",\"rep\":{\"path\":\"/3303/0/5700\",\"value\":{\"double\":1.0}}}", &o) == 1);
    CHECK(read_json(s, "not json", &o) == -1);
    CHECK(read_json(s, "{\"ep\":\"cut", &o) == -1);
    zl_serde_destroy(s);
}

int main(void) {
    test_seq();
    test_hist();
    test_devs();
    test_obs_json();
    TEST_MAIN_END();
}
