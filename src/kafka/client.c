/* SPDX-License-Identifier: Apache-2.0 */
/* Producer and consumer wiring. librdkafka keeps its own threads; we only
 * touch its handles from the loop thread, and its callbacks (dr_msg_cb,
 * log via log.queue, rebalance) run inside zl_*_serve() on that thread. */
#include "kafka/client.h"
#include "kafka/kafka_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/array.h"
#include "common/clock.h"
#include "common/log.h"

/* ---------------------------------------------------------------- shared */

static int make_pipe(int fds[2]) {
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) return -1;
    return 0;
}

static void drain_pipe(int fd) {
    char b[64];
    while (read(fd, b, sizeof b) > 0) {
    }
}

/* -------------------------------------------------------------- producer */

/* An integer property of a librdkafka configuration (its default if unset). */
static int64_t conf_int(const rd_kafka_conf_t *kc, const char *name, int64_t dflt) {
    char v[32];
    size_t sz = sizeof v;
    if (rd_kafka_conf_get(kc, name, v, &sz) != RD_KAFKA_CONF_OK) return dflt;
    char *end;
    long long x = strtoll(v, &end, 10);
    return end != v && x > 0 ? x : dflt;
}

struct zl_producer {
    rd_kafka_t *rk;
    rd_kafka_queue_t *mainq;
    int pipefd[2];
    zl_counter_t *c_produced, *c_delivered, *c_failed, *c_enqueue_err;
    zl_gauge_t *g_inflight_bytes;
    /* backpressure: payload bytes and records handed over, not yet reported */
    int64_t inflight_bytes, inflight_msgs, cap_bytes, cap_msgs;
    bool congested;
    int64_t enqueue_errs_logged_at; /* ms: enqueue errors are logged at most once a second */
};

#define C(field, name, help) ZL_COUNTER_DEF(zl_producer_t, field, name, help)
static const zl_metric_def_t producer_metric_defs[] = {
    C(c_produced, "zeelos_kafka_produced_total", "Records handed to the Kafka producer."),
    C(c_delivered, "zeelos_kafka_delivered_total", "Records acknowledged by Kafka."),
    C(c_failed, "zeelos_kafka_delivery_failures_total",
      "Records Kafka did not acknowledge (message.timeout.ms passed or fatal error); each is logged."),
    C(c_enqueue_err, "zeelos_kafka_produce_errors_total",
      "Records the producer refused to enqueue (queue full or error); logged at most once a second."),
    ZL_GAUGE_DEF(zl_producer_t, g_inflight_bytes, "zeelos_kafka_inflight_bytes",
                 "Key and value bytes handed to the producer and not yet acknowledged."),
};
#undef C

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    zl_producer_t *p = opaque;
    p->inflight_bytes -= (int64_t)(m->len + m->key_len);
    p->inflight_msgs--;
    zl_gauge_set(p->g_inflight_bytes, p->inflight_bytes);
    if (m->err) {
        zl_counter_inc(p->c_failed);
        ZL_ERROR("kafka", "delivery to %s failed: %s", rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
    } else {
        zl_counter_inc(p->c_delivered);
    }
    zl_dr_t *dr = m->_private;
    if (dr) dr->cb(dr, zl_kafka_err(m->err), m->err ? rd_kafka_err2str(m->err) : NULL);
}

zl_producer_t *zl_producer_new(const zl_conf_t *conf, zl_metrics_t *m, char *errstr, size_t n) {
    zl_producer_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->pipefd[0] = p->pipefd[1] = -1;
    rd_kafka_conf_t *kc = zl_kafka_conf(conf, false, errstr, n);
    if (!kc) goto fail;
    rd_kafka_conf_set_opaque(kc, p);
    rd_kafka_conf_set_dr_msg_cb(kc, dr_msg_cb);
    rd_kafka_conf_set(kc, "log.queue", "true", NULL, 0);
    p->cap_bytes = conf_int(kc, "queue.buffering.max.kbytes", 1048576) * 1024;
    p->cap_msgs = conf_int(kc, "queue.buffering.max.messages", 100000);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, errstr, n);
    if (!p->rk) {
        rd_kafka_conf_destroy(kc);
        goto fail;
    }
    rd_kafka_set_log_queue(p->rk, NULL); /* logs go to the main queue, served on the loop */
    if (make_pipe(p->pipefd) < 0) {
        snprintf(errstr, n, "pipe: %s", strerror(errno));
        goto fail;
    }
    p->mainq = rd_kafka_queue_get_main(p->rk);
    rd_kafka_queue_io_event_enable(p->mainq, p->pipefd[1], "1", 1);
    zl_metrics_register(m, producer_metric_defs, sizeof producer_metric_defs / sizeof producer_metric_defs[0], p);
    return p;
fail:
    zl_producer_destroy(p, 0);
    return NULL;
}

void zl_producer_flush(zl_producer_t *p, int timeout_ms) {
    rd_kafka_resp_err_t e = rd_kafka_flush(p->rk, timeout_ms);
    if (e) ZL_ERROR("kafka", "%d records still undelivered after %d ms: %s", rd_kafka_outq_len(p->rk),
                    timeout_ms, rd_kafka_err2str(e));
}

void zl_producer_destroy(zl_producer_t *p, int flush_timeout_ms) {
    if (!p) return;
    if (p->rk) {
        if (flush_timeout_ms > 0) zl_producer_flush(p, flush_timeout_ms);
        if (p->mainq) rd_kafka_queue_destroy(p->mainq);
        rd_kafka_destroy(p->rk);
    }
    if (p->pipefd[0] >= 0) close(p->pipefd[0]);
    if (p->pipefd[1] >= 0) close(p->pipefd[1]);
    free(p);
}

int zl_producer_fd(const zl_producer_t *p) { return p->pipefd[0]; }

void zl_producer_serve(zl_producer_t *p) {
    drain_pipe(p->pipefd[0]);
    while (rd_kafka_poll(p->rk, 0) > 0) {
    }
}

zl_err_t zl_producer_ensure_topics(zl_producer_t *p, const char *const *topics, int n, int timeout_ms,
                                   char *errstr, size_t errstr_size) {
    rd_kafka_NewTopic_t **nt = calloc((size_t)n, sizeof *nt);
    rd_kafka_queue_t *q = rd_kafka_queue_new(p->rk);
    zl_err_t ret = ZL_OK;
    if (!nt || !q) {
        free(nt);
        if (q) rd_kafka_queue_destroy(q);
        return ZL_ERR_NOMEM;
    }
    for (int i = 0; i < n; i++) nt[i] = rd_kafka_NewTopic_new(topics[i], -1, -1, NULL, 0);
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(p->rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(opt, timeout_ms, NULL, 0);
    rd_kafka_AdminOptions_set_request_timeout(opt, timeout_ms, NULL, 0);
    rd_kafka_CreateTopics(p->rk, nt, (size_t)n, opt, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 1000);
    if (!ev || rd_kafka_event_error(ev)) {
        snprintf(errstr, errstr_size, "cannot create topics: %s",
                 ev ? rd_kafka_event_error_string(ev) : "timed out waiting for the broker");
        ret = ZL_ERR_KAFKA;
    } else {
        size_t cnt = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        for (size_t i = 0; i < cnt; i++) {
            rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
                ZL_INFO("kafka", "created topic %s", rd_kafka_topic_result_name(res[i]));
            } else if (e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS && ret == ZL_OK) {
                snprintf(errstr, errstr_size, "cannot create topic %s: %s", rd_kafka_topic_result_name(res[i]),
                         rd_kafka_topic_result_error_string(res[i]));
                ret = ZL_ERR_KAFKA;
            }
        }
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(opt);
    rd_kafka_NewTopic_destroy_array(nt, (size_t)n);
    free(nt);
    rd_kafka_queue_destroy(q);
    return ret;
}

int zl_producer_outq(const zl_producer_t *p) { return rd_kafka_outq_len(p->rk); }

zl_err_t zl_producer_send(zl_producer_t *p, const char *topic, const zl_buf_t *key,
                          const zl_buf_t *value, zl_dr_t *dr) {
    rd_kafka_resp_err_t e = rd_kafka_producev(
        p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(key ? key->data : NULL, key ? key->len : 0),
        RD_KAFKA_V_VALUE(value->data, value->len), RD_KAFKA_V_OPAQUE(dr), RD_KAFKA_V_END);
    if (e) {
        zl_counter_inc(p->c_enqueue_err);
        int64_t now = zl_now_ms();
        if (now - p->enqueue_errs_logged_at >= 1000) {
            p->enqueue_errs_logged_at = now;
            ZL_ERROR("kafka", "cannot produce to %s: %s (%d records in the producer queue; counted in "
                     "zeelos_kafka_produce_errors_total, logged at most once a second)", topic,
                     rd_kafka_err2str(e), rd_kafka_outq_len(p->rk));
        }
        return e == RD_KAFKA_RESP_ERR__QUEUE_FULL ? ZL_ERR_FULL : ZL_ERR_KAFKA;
    }
    p->inflight_bytes += (int64_t)((key ? key->len : 0) + value->len);
    p->inflight_msgs++;
    zl_gauge_set(p->g_inflight_bytes, p->inflight_bytes);
    zl_counter_inc(p->c_produced);
    return ZL_OK;
}

bool zl_producer_congested(zl_producer_t *p) {
    /* hysteresis: on above 80 % of either cap, off below 60 % of both */
    int64_t pct_b = p->inflight_bytes * 100 / p->cap_bytes, pct_m = p->inflight_msgs * 100 / p->cap_msgs;
    int64_t pct = pct_b > pct_m ? pct_b : pct_m;
    if (pct >= 80) p->congested = true;
    else if (pct < 60) p->congested = false;
    return p->congested;
}

/* -------------------------------------------------------------- consumer */

/* Offsets of one partition in arrival order; done[] marks answered ones. */
typedef struct {
    int32_t partition;
    int64_t *off;
    uint8_t *done;
    size_t head, len, cap;
} track_t;

struct zl_consumer {
    rd_kafka_t *rk;
    rd_kafka_queue_t *q;
    char *topic;
    int pipefd[2];
    zl_consumer_cb cb;
    void *ctx;
    track_t *tracks;
    size_t n_tracks, cap_tracks;
    void (*on_revoke)(void *ctx, int32_t partition); /* optional */
    void *revoke_ctx;
};

static track_t *track_get(zl_consumer_t *c, int32_t partition) {
    for (size_t i = 0; i < c->n_tracks; i++)
        if (c->tracks[i].partition == partition) return &c->tracks[i];
    if (ZL_ARRAY_RESERVE(&c->tracks, &c->cap_tracks, c->n_tracks + 1, 4)) return NULL;
    track_t *t = &c->tracks[c->n_tracks++];
    memset(t, 0, sizeof *t);
    t->partition = partition;
    return t;
}

static int track_push(track_t *t, int64_t offset) {
    if (t->head + t->len == t->cap) {
        if (t->head > 0) { /* compact */
            memmove(t->off, t->off + t->head, t->len * sizeof *t->off);
            memmove(t->done, t->done + t->head, t->len);
            t->head = 0;
        }
        /* off and done are parallel arrays sharing one capacity */
        size_t cap_off = t->cap, cap_done = t->cap;
        if (ZL_ARRAY_RESERVE(&t->off, &cap_off, t->len + 1, 64) ||
            ZL_ARRAY_RESERVE(&t->done, &cap_done, t->len + 1, 64))
            return -1;
        t->cap = cap_off;
    }
    t->off[t->head + t->len] = offset;
    t->done[t->head + t->len] = 0;
    t->len++;
    return 0;
}

void zl_consumer_done(zl_consumer_t *c, int32_t partition, int64_t offset) {
    track_t *t = NULL;
    for (size_t i = 0; i < c->n_tracks; i++)
        if (c->tracks[i].partition == partition) t = &c->tracks[i];
    if (!t) return;
    for (size_t i = 0; i < t->len; i++)
        if (t->off[t->head + i] == offset) {
            t->done[t->head + i] = 1;
            break;
        }
    int64_t store = -1;
    while (t->len && t->done[t->head]) {
        store = t->off[t->head] + 1;
        t->head++;
        t->len--;
    }
    if (store < 0) return;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, c->topic, partition)->offset = store;
    rd_kafka_resp_err_t e = rd_kafka_offsets_store(c->rk, l);
    if (e && e != RD_KAFKA_RESP_ERR__STATE)
        ZL_WARN("kafka", "cannot store offset %lld of %s[%d]: %s", (long long)store, c->topic,
                partition, rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_destroy(l);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
    zl_consumer_t *c = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        ZL_INFO("kafka", "assigned %d partition(s) of %s", parts->cnt, c->topic);
        if (!strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE")) rd_kafka_incremental_assign(rk, parts);
        else rd_kafka_assign(rk, parts);
    } else {
        ZL_INFO("kafka", "revoked %d partition(s) of %s", parts->cnt, c->topic);
        if (c->on_revoke)
            for (int i = 0; i < parts->cnt; i++) c->on_revoke(c->revoke_ctx, parts->elems[i].partition);
        for (size_t i = 0; i < c->n_tracks; i++) c->tracks[i].head = c->tracks[i].len = 0;
        if (!strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE")) rd_kafka_incremental_unassign(rk, parts);
        else rd_kafka_assign(rk, NULL);
    }
}

void zl_consumer_on_revoke(zl_consumer_t *c, void (*fn)(void *ctx, int32_t partition), void *ctx) {
    c->on_revoke = fn;
    c->revoke_ctx = ctx;
}

zl_consumer_t *zl_consumer_new(const zl_conf_t *conf, const char *group, const char *topic,
                               zl_consumer_cb cb, void *ctx, char *errstr, size_t n) {
    zl_consumer_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->pipefd[0] = c->pipefd[1] = -1;
    c->cb = cb;
    c->ctx = ctx;
    c->topic = strdup(topic);
    rd_kafka_conf_t *kc = zl_kafka_conf(conf, true, errstr, n);
    if (!kc) goto fail;
    if (rd_kafka_conf_set(kc, "group.id", group, errstr, n) ||
        rd_kafka_conf_set(kc, "enable.auto.offset.store", "false", errstr, n) ||
        rd_kafka_conf_set(kc, "enable.auto.commit", "true", errstr, n) ||
        rd_kafka_conf_set(kc, "log.queue", "true", errstr, n)) {
        rd_kafka_conf_destroy(kc);
        goto fail;
    }
    rd_kafka_conf_set(kc, "fetch.wait.max.ms", "10", NULL, 0);
    /* Static membership: a gateway restarted after a crash takes its partitions
     * back at once instead of waiting session.timeout.ms for the dead member. */
    if (!zl_conf_kafka(conf, "kafka.group.instance.id"))
        rd_kafka_conf_set(kc, "group.instance.id", group, NULL, 0);
    /* a fresh gateway subscribes before anyone produced a request */
    rd_kafka_conf_set(kc, "allow.auto.create.topics", "true", NULL, 0);
    rd_kafka_conf_set(kc, "auto.offset.reset", "earliest", NULL, 0);
    rd_kafka_conf_set_opaque(kc, c);
    rd_kafka_conf_set_rebalance_cb(kc, rebalance_cb);
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, errstr, n);
    if (!c->rk) {
        rd_kafka_conf_destroy(kc);
        goto fail;
    }
    rd_kafka_set_log_queue(c->rk, NULL);
    rd_kafka_poll_set_consumer(c->rk);
    if (make_pipe(c->pipefd) < 0) {
        snprintf(errstr, n, "pipe: %s", strerror(errno));
        goto fail;
    }
    c->q = rd_kafka_queue_get_consumer(c->rk);
    rd_kafka_queue_io_event_enable(c->q, c->pipefd[1], "1", 1);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        snprintf(errstr, n, "cannot subscribe to %s: %s", topic, rd_kafka_err2str(e));
        goto fail;
    }
    return c;
fail:
    zl_consumer_destroy(c);
    return NULL;
}

void zl_consumer_destroy(zl_consumer_t *c) {
    if (!c) return;
    if (c->rk) {
        if (c->q) {
            rd_kafka_queue_io_event_enable(c->q, -1, NULL, 0);
            rd_kafka_queue_destroy(c->q);
        }
        rd_kafka_consumer_close(c->rk);
        rd_kafka_destroy(c->rk);
    }
    if (c->pipefd[0] >= 0) close(c->pipefd[0]);
    if (c->pipefd[1] >= 0) close(c->pipefd[1]);
    for (size_t i = 0; i < c->n_tracks; i++) {
        free(c->tracks[i].off);
        free(c->tracks[i].done);
    }
    free(c->tracks);
    free(c->topic);
    free(c);
}

int zl_consumer_fd(const zl_consumer_t *c) { return c->pipefd[0]; }

/* Every record enters its partition's offset track before its owner sees it. */
static void on_record(void *ctx, const zl_kmsg_t *m) {
    zl_consumer_t *c = ctx;
    track_t *t = track_get(c, m->partition);
    if (t) track_push(t, m->offset);
    c->cb(c->ctx, m);
}

void zl_consumer_serve(zl_consumer_t *c, int max) {
    drain_pipe(c->pipefd[0]);
    if (zl_kafka_consume(c->rk, 0, max, on_record, c) < max) return;
    /* more may be waiting: make sure the loop comes back */
    if (write(c->pipefd[1], "1", 1) < 0) {
    }
}
