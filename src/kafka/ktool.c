/* SPDX-License-Identifier: Apache-2.0 */
/* Kafka handles of the client tools (see ktool.h). */
#include "kafka/ktool.h"
#include "kafka/kafka_int.h"
#include "kafka/avro_util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/clock.h"
#include "common/log.h"

struct zl_ktool {
    rd_kafka_t *rk;
    bool consumer;
};

/* Delivery reports of a tool's producer: the message's opaque is its zl_dr_t. */
static void on_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    (void)opaque;
    zl_dr_t *dr = m->_private;
    if (dr) dr->cb(dr, zl_kafka_err(m->err), m->err ? rd_kafka_err2str(m->err) : NULL);
}

zl_ktool_t *zl_ktool_new(const zl_conf_t *conf, zl_ktool_role_t role, char *errstr, size_t n) {
    bool consumer = role == ZL_KTOOL_CONSUMER;
    rd_kafka_conf_t *kc = zl_kafka_conf(conf, consumer, errstr, n);
    if (!kc) return NULL;
    if (consumer) {
        /* a private group id that is never committed to: partitions are
         * assigned by hand, the group only satisfies librdkafka */
        char gid[64];
        snprintf(gid, sizeof gid, "zeelos-tool-%ld", (long)getpid());
        if (rd_kafka_conf_set(kc, "group.id", gid, errstr, n) ||
            rd_kafka_conf_set(kc, "enable.auto.commit", "false", errstr, n) ||
            rd_kafka_conf_set(kc, "enable.auto.offset.store", "false", errstr, n)) {
            rd_kafka_conf_destroy(kc);
            return NULL;
        }
    } else {
        rd_kafka_conf_set_dr_msg_cb(kc, on_dr);
    }
    zl_ktool_t *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(errstr, n, "out of memory");
        rd_kafka_conf_destroy(kc);
        return NULL;
    }
    k->consumer = consumer;
    if (!(k->rk = rd_kafka_new(consumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER, kc, errstr, n))) {
        rd_kafka_conf_destroy(kc);
        free(k);
        return NULL;
    }
    if (consumer) rd_kafka_poll_set_consumer(k->rk);
    return k;
}

void zl_ktool_destroy(zl_ktool_t *k) {
    if (!k) return;
    if (k->consumer) rd_kafka_consumer_close(k->rk);
    else rd_kafka_flush(k->rk, 2000);
    rd_kafka_destroy(k->rk);
    free(k);
}

int zl_ktool_consume(zl_ktool_t *k, int timeout_ms, int max, zl_consumer_cb cb, void *ctx) {
    return zl_kafka_consume(k->rk, timeout_ms, max, cb, ctx);
}

int zl_ktool_consume_batch(zl_ktool_t *k, int timeout_ms, int max, zl_consumer_cb cb, void *ctx) {
    return zl_kafka_consume_batch(k->rk, timeout_ms, max, cb, NULL, ctx);
}

zl_err_t zl_ktool_produce(zl_ktool_t *k, const char *topic, const zl_buf_t *key, const zl_buf_t *value,
                          zl_dr_t *dr, const char **reason) {
    rd_kafka_resp_err_t e = rd_kafka_producev(
        k->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key ? key->data : NULL, key ? key->len : 0),
        RD_KAFKA_V_VALUE(value->data, value->len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(dr), RD_KAFKA_V_END);
    if (e && reason) *reason = rd_kafka_err2str(e);
    return zl_kafka_err(e);
}

void zl_ktool_poll(zl_ktool_t *k, int timeout_ms) { rd_kafka_poll(k->rk, timeout_ms); }

/* Errors a cluster gives while it settles (a broker just restarted, a leader
 * being elected): asked again, they go away. */
static bool transient(rd_kafka_resp_err_t err) {
    return err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE || err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
           err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
           err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE ||
           err == RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH || err == RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH ||
           err == RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE || err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
}

static zl_err_t assign_once(zl_ktool_t *k, const char *topic, bool from_beginning, int timeout_ms,
                            bool *again, char *errstr, size_t n) {
    rd_kafka_t *rk = k->rk;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    if (!rkt) {
        snprintf(errstr, n, "topic %s: %s", topic, rd_kafka_err2str(rd_kafka_last_error()));
        return ZL_ERR_KAFKA;
    }
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (err) {
        *again = transient(err);
        snprintf(errstr, n, "metadata for %s: %s", topic, rd_kafka_err2str(err));
        return ZL_ERR_KAFKA;
    }
    zl_err_t e = ZL_OK;
    if (md->topic_cnt == 1 && transient(md->topics[0].err)) {
        *again = true;
        snprintf(errstr, n, "metadata for %s: %s", topic, rd_kafka_err2str(md->topics[0].err));
        e = ZL_ERR_KAFKA;
        goto out;
    }
    if (md->topic_cnt < 1 || md->topics[0].err || md->topics[0].partition_cnt < 1) {
        snprintf(errstr, n, "topic %s does not exist%s", topic,
                 md->topic_cnt && md->topics[0].err ? "" : " (no partitions)");
        e = ZL_ERR_NOT_FOUND;
        goto out;
    }
    rd_kafka_topic_partition_list_t *cur = NULL;
    if (rd_kafka_assignment(rk, &cur)) cur = rd_kafka_topic_partition_list_new(4);
    for (int i = 0; i < md->topics[0].partition_cnt; i++) {
        int32_t p = md->topics[0].partitions[i].id;
        int64_t lo = 0, hi = 0, off = RD_KAFKA_OFFSET_BEGINNING;
        if (!from_beginning) {
            err = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, timeout_ms);
            if (err) {
                *again = transient(err);
                snprintf(errstr, n, "offsets of %s [%d]: %s", topic, (int)p, rd_kafka_err2str(err));
                e = ZL_ERR_KAFKA;
                break;
            }
            off = hi;
        }
        rd_kafka_topic_partition_list_add(cur, topic, p)->offset = off;
    }
    if (!e && (err = rd_kafka_assign(rk, cur))) {
        snprintf(errstr, n, "assign %s: %s", topic, rd_kafka_err2str(err));
        e = ZL_ERR_KAFKA;
    }
    rd_kafka_topic_partition_list_destroy(cur);
out:
    rd_kafka_metadata_destroy(md);
    return e;
}

zl_err_t zl_ktool_assign(zl_ktool_t *k, const char *topic, bool from_beginning, int timeout_ms,
                         char *errstr, size_t n) {
    int64_t deadline = zl_now_ms() + timeout_ms;
    for (;;) {
        bool again = false;
        int64_t left = deadline - zl_now_ms();
        zl_err_t e = assign_once(k, topic, from_beginning, left > 0 ? (int)left : 1, &again, errstr, n);
        if (!e || !again || zl_now_ms() + 200 >= deadline) return e;
        usleep(200 * 1000); /* a command-line tool's own thread: the cluster settles meanwhile */
    }
}

/* Decodes one part into the object under name (or null + name_error). */
static void put_part(json_t *o, zl_serde_t *s, const char *name, const void *p, size_t len) {
    zl_buf_t b;
    char err[300] = "";
    zl_buf_init(&b, 0);
    json_t *j = NULL;
    if (zl_serde_to_json(s, p, len, &b, err, sizeof err) == ZL_OK)
        j = json_loadb((const char *)b.data, b.len, JSON_DECODE_ANY, NULL);
    /* a windowed key (analytics output, Kafka Streams' TimeWindowedSerializer): the framed
     * key, then the window start as 8 big-endian bytes */
    if (!j && !strcmp(name, "key") && zl_serde_format(s) == ZL_FORMAT_AVRO && len > 13) {
        b.len = 0;
        json_t *k = zl_serde_to_json(s, p, len - 8, &b, NULL, 0) == ZL_OK
                        ? json_loadb((const char *)b.data, b.len, JSON_DECODE_ANY, NULL) : NULL;
        if (json_is_object(k)) {
            const uint8_t *w = (const uint8_t *)p + len - 8;
            uint64_t start = 0;
            for (int i = 0; i < 8; i++) start = start << 8 | w[i];
            json_object_set_new(k, "windowStart", json_integer((json_int_t)start));
            j = k;
        } else {
            json_decref(k);
        }
    }
    if (!j) {
        char ename[32];
        snprintf(ename, sizeof ename, "%s_error", name);
        json_object_set_new(o, ename, json_string(err[0] ? err : "cannot decode"));
        j = json_null();
    }
    json_object_set_new(o, name, j);
    zl_buf_free(&b);
}

zl_err_t zl_ktool_format(zl_serde_t *s, const zl_kmsg_t *m, zl_buf_t *out) {
    json_t *o = json_object();
    if (!o) return ZL_ERR_NOMEM;
    json_object_set_new(o, "topic", json_string(m->topic));
    json_object_set_new(o, "partition", json_integer(m->partition));
    json_object_set_new(o, "offset", json_integer(m->offset));
    put_part(o, s, "key", m->key, m->key_len);
    put_part(o, s, "value", m->value, m->value_len);
    /* not json_dumps: its 17 digits would print 19.2 as 19.199999999999999 */
    zl_err_t e = zl_json_write(o, out);
    json_decref(o);
    return e;
}

zl_serde_t *zl_ktool_serde(const zl_kafka_conf_t *kc, char *errstr, size_t n) {
    return zl_serde_new_kc(kc->format == 1 ? ZL_FORMAT_JSON : ZL_FORMAT_AVRO, kc, errstr, n);
}
