/* Shared Kafka helpers of the client tools (see ktool.h). */
#include "kafka/ktool.h"
#include "kafka/client.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/log.h"

typedef struct {
    rd_kafka_conf_t *kc;
    bool consumer, failed;
    char *errstr;
    size_t n;
} apply_t;

static void apply(const char *k, const char *v, void *ctx) {
    apply_t *a = ctx;
    if (a->failed || (a->consumer && zl_kafka_producer_only(k))) return;
    if (rd_kafka_conf_set(a->kc, k, v, a->errstr, a->n) != RD_KAFKA_CONF_OK) a->failed = true;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk;
    zl_log(level <= 3 ? ZL_LOG_ERROR : level <= 4 ? ZL_LOG_WARN : ZL_LOG_DEBUG, "kafka", "%s: %s",
           fac, buf);
}

rd_kafka_t *zl_ktool_new(const zl_conf_t *conf, rd_kafka_type_t type,
                         void (*dr)(rd_kafka_t *, const rd_kafka_message_t *, void *),
                         char *errstr, size_t n) {
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    apply_t a = {kc, type == RD_KAFKA_CONSUMER, false, errstr, n};
    zl_conf_foreach_kafka(conf, apply, &a);
    if (!a.failed && type == RD_KAFKA_CONSUMER) {
        /* a private group id that is never committed to: partitions are
         * assigned by hand, the group only satisfies librdkafka */
        char gid[64];
        snprintf(gid, sizeof gid, "zeelos-tool-%ld", (long)getpid());
        if (rd_kafka_conf_set(kc, "group.id", gid, errstr, n) ||
            rd_kafka_conf_set(kc, "enable.auto.commit", "false", errstr, n) ||
            rd_kafka_conf_set(kc, "enable.auto.offset.store", "false", errstr, n))
            a.failed = true;
    }
    if (a.failed) {
        rd_kafka_conf_destroy(kc);
        return NULL;
    }
    rd_kafka_conf_set_log_cb(kc, log_cb);
    if (dr) rd_kafka_conf_set_dr_msg_cb(kc, dr);
    rd_kafka_t *rk = rd_kafka_new(type, kc, errstr, n);
    if (!rk) {
        rd_kafka_conf_destroy(kc);
        return NULL;
    }
    if (type == RD_KAFKA_CONSUMER) rd_kafka_poll_set_consumer(rk);
    return rk;
}

zl_err_t zl_ktool_assign(rd_kafka_t *rk, const char *topic, bool from_beginning, int timeout_ms,
                         char *errstr, size_t n) {
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    if (!rkt) {
        snprintf(errstr, n, "topic %s: %s", topic, rd_kafka_err2str(rd_kafka_last_error()));
        return ZL_ERR_KAFKA;
    }
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (err) {
        snprintf(errstr, n, "metadata for %s: %s", topic, rd_kafka_err2str(err));
        return ZL_ERR_KAFKA;
    }
    zl_err_t e = ZL_OK;
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

/* Decodes one part into the object under name (or null + name_error). */
static void put_part(json_t *o, zl_serde_t *s, const char *name, const void *p, size_t len) {
    zl_buf_t b;
    char err[300] = "";
    zl_buf_init(&b, 0);
    json_t *j = NULL;
    if (zl_serde_to_json(s, p, len, &b, err, sizeof err) == ZL_OK)
        j = json_loadb((const char *)b.data, b.len, JSON_DECODE_ANY, NULL);
    if (!j) {
        char ename[32];
        snprintf(ename, sizeof ename, "%s_error", name);
        json_object_set_new(o, ename, json_string(err[0] ? err : "cannot decode"));
        j = json_null();
    }
    json_object_set_new(o, name, j);
    zl_buf_free(&b);
}

zl_err_t zl_ktool_format(zl_serde_t *s, const rd_kafka_message_t *m, zl_buf_t *out) {
    json_t *o = json_object();
    if (!o) return ZL_ERR_NOMEM;
    json_object_set_new(o, "topic", json_string(rd_kafka_topic_name(m->rkt)));
    json_object_set_new(o, "partition", json_integer(m->partition));
    json_object_set_new(o, "offset", json_integer(m->offset));
    put_part(o, s, "key", m->key, m->key_len);
    put_part(o, s, "value", m->payload, m->len);
    char *txt = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!txt) return ZL_ERR_NOMEM;
    zl_err_t e = zl_buf_append(out, txt, strlen(txt));
    free(txt);
    return e;
}

zl_serde_t *zl_ktool_serde(const zl_kafka_conf_t *kc, char *errstr, size_t n) {
    return zl_serde_new(kc->format == 1 ? ZL_FORMAT_JSON : ZL_FORMAT_AVRO, kc->registry_url, errstr, n);
}
