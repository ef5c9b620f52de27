/* SPDX-License-Identifier: Apache-2.0 */
/* kafka/ktool + the shared consumer loop against librdkafka's mock cluster
 * (the test owns it through librdkafka; the code under test reaches it only
 * through kafka.bootstrap.servers, as it would a real one): records reach the callback as zl_kmsg_t
 * views with every field, partition-EOF events are skipped, delivery
 * reports come back as zl_dr_t with our error code. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "kafka/ktool.h"
#include "common/clock.h"
#include "common/conf.h"

typedef struct {
    zl_dr_t dr;
    int calls;
    zl_err_t err;
} dr_t;

static void on_dr(zl_dr_t *d, zl_err_t err, const char *reason) {
    dr_t *x = (dr_t *)d;
    x->calls++;
    x->err = err;
    CHECK(err ? reason != NULL : reason == NULL);
}

typedef struct {
    int n;
    char val[4][16];
    char key[4][16];
    int64_t off[4], ts[4];
    int32_t part[4];
    char topic[32];
} seen_t;

static void on_record(void *ctx, const zl_kmsg_t *m) {
    seen_t *s = ctx;
    if (s->n >= 4) return;
    snprintf(s->topic, sizeof s->topic, "%s", m->topic);
    snprintf(s->val[s->n], 16, "%.*s", (int)m->value_len, (const char *)m->value);
    snprintf(s->key[s->n], 16, "%.*s", (int)m->key_len, m->key ? (const char *)m->key : "");
    s->off[s->n] = m->offset;
    s->ts[s->n] = m->timestamp;
    s->part[s->n] = m->partition;
    s->n++;
}

int main(void) {
    char err[512] = "";
    rd_kafka_conf_t *mc = rd_kafka_conf_new();
    rd_kafka_conf_set(mc, "log_level", "3", NULL, 0);
    rd_kafka_t *host = rd_kafka_new(RD_KAFKA_PRODUCER, mc, err, sizeof err);
    rd_kafka_mock_cluster_t *mock = host ? rd_kafka_mock_cluster_new(host, 1) : NULL;
    CHECK(mock != NULL);
    if (!mock) TEST_MAIN_END();
    rd_kafka_mock_topic_create(mock, "t1", 1, 1);
    zl_conf_t *conf = zl_conf_new();
    CHECK(conf != NULL);
    CHECK_EQ_INT(zl_conf_set(conf, "kafka.bootstrap.servers", rd_kafka_mock_cluster_bootstraps(mock), err,
                             sizeof err), ZL_OK);
    CHECK_EQ_INT(zl_conf_set(conf, "kafka.enable.partition.eof", "true", err, sizeof err), ZL_OK);
    /* a producer-only property the consumer must not be given */
    CHECK_EQ_INT(zl_conf_set(conf, "kafka.linger.ms", "0", err, sizeof err), ZL_OK);
    zl_ktool_t *prod = zl_ktool_new(conf, ZL_KTOOL_PRODUCER, err, sizeof err);
    CHECK(prod != NULL);
    if (!prod) {
        fprintf(stderr, "%s\n", err);
        TEST_MAIN_END();
    }
    zl_buf_t k, v;
    zl_buf_init(&k, 0);
    zl_buf_init(&v, 0);
    dr_t d = {.dr.cb = on_dr};
    int64_t t0 = zl_wall_ms();
    for (int i = 0; i < 3; i++) {
        zl_buf_reset(&k);
        zl_buf_reset(&v);
        zl_buf_printf(&k, "k%d", i);
        zl_buf_printf(&v, "v%d", i);
        CHECK_EQ_INT(zl_ktool_produce(prod, "t1", &k, &v, &d.dr, NULL), ZL_OK);
    }
    for (int64_t end = zl_now_ms() + 5000; d.calls < 3 && zl_now_ms() < end;) zl_ktool_poll(prod, 50);
    CHECK_EQ_INT(d.calls, 3);
    CHECK_EQ_INT(d.err, ZL_OK);

    zl_ktool_t *cons = zl_ktool_new(conf, ZL_KTOOL_CONSUMER, err, sizeof err);
    CHECK(cons != NULL);
    if (cons) {
        CHECK_EQ_INT(zl_ktool_assign(cons, "t1", true, 5000, err, sizeof err), ZL_OK);
        seen_t s = {0};
        int events = 0;
        for (int64_t end = zl_now_ms() + 5000; s.n < 3 && zl_now_ms() < end;)
            events += zl_ktool_consume(cons, 100, 8, on_record, &s);
        CHECK_EQ_INT(s.n, 3);
        CHECK_STR(s.topic, "t1");
        for (int i = 0; i < s.n && i < 3; i++) {
            char want[8];
            snprintf(want, sizeof want, "v%d", i);
            CHECK_STR(s.val[i], want);
            snprintf(want, sizeof want, "k%d", i);
            CHECK_STR(s.key[i], want);
            CHECK(s.ts[i] >= t0 - 1000 && s.ts[i] <= zl_wall_ms() + 1000);
            CHECK_EQ_INT(s.off[i], s.off[0] + i);
        }
        /* the end of the partition is an event, never a record */
        for (int i = 0; i < 5; i++) events += zl_ktool_consume(cons, 100, 8, on_record, &s);
        CHECK_EQ_INT(s.n, 3);
        CHECK(events >= 3);
        zl_ktool_destroy(cons);
    }
    zl_buf_free(&k);
    zl_buf_free(&v);
    zl_ktool_destroy(prod);
    zl_conf_destroy(conf);
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(host);
    TEST_MAIN_END();
}
