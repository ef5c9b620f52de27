/* SPDX-License-Identifier: Apache-2.0 */
/* What client.c and ktool.c share (see kafka_int.h): the configuration
 * builder, the librdkafka log mapping and the consumer poll loop. */
#include "kafka/kafka_int.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/clock.h"
#include "common/log.h"

bool zl_kafka_producer_only(const char *k) {
    static const char *const keys[] = {"enable.idempotence", "acks", "request.required.acks",
        "partitioner", "linger.ms", "queue.buffering.max.ms", "queue.buffering.max.messages",
        "queue.buffering.max.kbytes", "batch.num.messages", "batch.size", "compression.type",
        "compression.codec", "message.timeout.ms", "delivery.timeout.ms", "retries",
        "message.send.max.retries", "retry.backoff.ms", "max.in.flight", "request.timeout.ms",
        "enable.gapless.guarantee", "sticky.partitioning.linger.ms", NULL};
    for (int i = 0; keys[i]; i++)
        if (!strcmp(k, keys[i])) return true;
    return false;
}

/* The consumer's own properties, kept from producers (librdkafka warns about each). */
static bool consumer_only(const char *k) {
    static const char *const keys[] = {"group.id", "group.instance.id", "session.timeout.ms",
        "heartbeat.interval.ms", "max.poll.interval.ms", "auto.offset.reset", "enable.auto.commit",
        "auto.commit.interval.ms", "enable.auto.offset.store", "isolation.level", "fetch.wait.max.ms",
        "fetch.min.bytes", "fetch.max.bytes", "fetch.message.max.bytes", "fetch.queue.backoff.ms",
        "fetch.error.backoff.ms", "queued.min.messages", "queued.max.messages.kbytes",
        "partition.assignment.strategy", "group.protocol", "group.remote.assignor", "check.crcs",
        "enable.partition.eof", NULL};
    for (int i = 0; keys[i]; i++)
        if (!strcmp(k, keys[i])) return true;
    return false;
}

typedef struct {
    rd_kafka_conf_t *kc;
    char *errstr;
    size_t n;
    bool failed, consumer;
} apply_t;

static void apply(const char *k, const char *v, void *ctx) {
    apply_t *a = ctx;
    if (a->failed || (a->consumer ? zl_kafka_producer_only(k) : consumer_only(k))) return;
    if (rd_kafka_conf_set(a->kc, k, v, a->errstr, a->n) != RD_KAFKA_CONF_OK) a->failed = true;
}

/* librdkafka logs with syslog levels.  0-3 (EMERG..ERR) are errors, 4
 * WARNING a warning.  5 NOTICE and 6 INFO are both "normal but worth
 * knowing" (a broker that went away, a partition count that changed, a
 * coordinator that moved): that is what our INFO means, so they are INFO,
 * visible at the default log.level and silenced with log.level=warn.  7 DEBUG
 * is what librdkafka emits only for the contexts named in kafka.debug, so it
 * is our DEBUG.  (The tools used to map 5-6 to DEBUG, hiding those notices
 * from exactly the user who runs a tool to see what happens.) */
static zl_log_level_t log_level(int syslog_level) {
    return syslog_level <= 3 ? ZL_LOG_ERROR : syslog_level == 4 ? ZL_LOG_WARN
         : syslog_level <= 6 ? ZL_LOG_INFO : ZL_LOG_DEBUG;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk;
    zl_log(log_level(level), "kafka", "%s: %s", fac, buf);
}

rd_kafka_conf_t *zl_kafka_conf(const zl_conf_t *conf, bool consumer, char *errstr, size_t n) {
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    if (!kc) {
        snprintf(errstr, n, "out of memory");
        return NULL;
    }
    apply_t a = {kc, errstr, n, false, consumer};
    zl_conf_foreach_kafka(conf, apply, &a);
    if (a.failed) {
        rd_kafka_conf_destroy(kc);
        return NULL;
    }
    rd_kafka_conf_set_log_cb(kc, log_cb);
    return kc;
}

/* One record (or event) for the loop below. */
static bool consume_one(rd_kafka_message_t *m, uint64_t now, zl_consumer_cb cb, zl_kafka_err_cb errcb, void *ctx) {
    bool stop = false;
    if (m->err) {
        if (errcb) stop = errcb(ctx, m->err, rd_kafka_message_errstr(m));
        else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) ZL_WARN("kafka", "consumer: %s", rd_kafka_message_errstr(m));
    } else {
        rd_kafka_timestamp_type_t tt;
        zl_kmsg_t v = {.topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "",
                       .partition = m->partition, .offset = m->offset,
                       .key = m->key, .key_len = m->key_len,
                       .value = m->payload, .value_len = m->len,
                       .timestamp = rd_kafka_message_timestamp(m, &tt),
                       .received_ns = now ? now : zl_now_ns()};
        cb(ctx, &v);
    }
    rd_kafka_message_destroy(m);
    return stop;
}

int zl_kafka_consume_ex(rd_kafka_t *rk, int timeout_ms, int max, zl_consumer_cb cb, zl_kafka_err_cb errcb,
                       void *ctx) {
    int n = 0;
    for (; n < max; n++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, n ? 0 : timeout_ms);
        if (!m) break;
        if (consume_one(m, 0, cb, errcb, ctx)) return n + 1;
    }
    return n;
}

/* Records in batches (rd_kafka_consume_batch_queue): one queue round trip,
 * lock and clock read per batch instead of per record, which was a tenth
 * of a stream processor's time. */
#define CONSUME_BATCH 256

int zl_kafka_consume_batch(rd_kafka_t *rk, int timeout_ms, int max, zl_consumer_cb cb, zl_kafka_err_cb errcb,
                           void *ctx) {
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
    if (!q) return 0;
    rd_kafka_message_t *batch[CONSUME_BATCH];
    int n = 0;
    bool stop = false;
    while (n < max && !stop) {
        size_t want = (size_t)(max - n) < CONSUME_BATCH ? (size_t)(max - n) : CONSUME_BATCH;
        ssize_t got = rd_kafka_consume_batch_queue(q, n ? 0 : timeout_ms, batch, want);
        if (got <= 0) break;
        uint64_t now = zl_now_ns();
        for (ssize_t i = 0; i < got; i++) {
            if (stop) { /* taken after the stop: dropped (only readers that stop at the end of what they read
                         * use this loop with a stop) */
                rd_kafka_message_destroy(batch[i]);
                continue;
            }
            stop = consume_one(batch[i], now, cb, errcb, ctx);
            n++;
        }
    }
    rd_kafka_queue_destroy(q);
    return n;
}

int zl_kafka_consume(rd_kafka_t *rk, int timeout_ms, int max, zl_consumer_cb cb, void *ctx) {
    return zl_kafka_consume_ex(rk, timeout_ms, max, cb, NULL, ctx);
}

zl_err_t zl_kafka_err(rd_kafka_resp_err_t e) {
    switch (e) {
    case RD_KAFKA_RESP_ERR_NO_ERROR: return ZL_OK;
    case RD_KAFKA_RESP_ERR__QUEUE_FULL: return ZL_ERR_FULL;
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT: return ZL_ERR_TIMEOUT;
    default: return ZL_ERR_KAFKA;
    }
}

int zl_kafka_pipe(int fds[2]) { return pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0 ? -1 : 0; }

void zl_kafka_drain(int fd) {
    char b[64];
    while (read(fd, b, sizeof b) > 0) {
    }
}

int zl_kafka_stats_brokers_up(const char *json, size_t len) {
    json_t *root = json_loadb(json, len, 0, NULL);
    if (!root) return -1;
    int up = 0;
    const char *name;
    json_t *b;
    json_object_foreach(json_object_get(root, "brokers"), name, b) {
        const char *st = json_string_value(json_object_get(b, "state"));
        if (st && !strcmp(st, "UP")) up++;
    }
    json_decref(root);
    return up;
}

void zl_kafka_conf_stats(rd_kafka_conf_t *kc, const zl_conf_t *conf) {
    if (!zl_conf_kafka(conf, "kafka.statistics.interval.ms"))
        rd_kafka_conf_set(kc, "statistics.interval.ms", "1000", NULL, 0);
}

const char *zl_kafka_version(void) { return rd_kafka_version_str(); }

bool zl_kafka_knows(const char *name) {
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    char v[64];
    size_t n = sizeof v;
    bool known = kc && rd_kafka_conf_get(kc, name, v, &n) == RD_KAFKA_CONF_OK;
    if (kc) rd_kafka_conf_destroy(kc);
    return known;
}

rd_kafka_resp_err_t zl_kafka_subscribe(rd_kafka_t *rk, const char *topics) {
    char *copy = strdup(topics), *save = NULL;
    if (!copy) return RD_KAFKA_RESP_ERR__FAIL;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(4);
    for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
        rd_kafka_topic_partition_list_add(l, t, RD_KAFKA_PARTITION_UA);
    free(copy);
    rd_kafka_resp_err_t e = l->cnt ? rd_kafka_subscribe(rk, l) : RD_KAFKA_RESP_ERR__INVALID_ARG;
    rd_kafka_topic_partition_list_destroy(l);
    return e;
}
