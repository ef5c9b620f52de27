/* SPDX-License-Identifier: Apache-2.0 */
/* The producer of the loop (the consumer is in consumer.c). librdkafka keeps
 * its own threads; we only touch its handle from the loop thread, and its
 * callbacks (dr_msg_cb, stats, log via log.queue) run inside
 * zl_producer_serve() on that thread. */
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
    rd_kafka_topic_t **warm;        /* topic handles kept by zl_producer_warm_topics */
    int n_warm;
    bool (*on_failure)(void *ctx, const zl_precord_t *rec, zl_dr_t *dr);
    void *on_failure_ctx;
    zl_log_limit_t fail_log; /* delivery failures: logged at most once a second */
    uint64_t next_seq;       /* numbers records in the order they are handed over */
    struct failed *failed;   /* failures of this serve, for the hook, sorted first */
    size_t n_failed, cap_failed;
    bool purge_requested;
    int64_t progress_ms; /* last delivery report, or the first record handed to an empty producer */
};

/* A failed record kept for the failure hook: one allocation holds the copies. */
typedef struct failed {
    uint64_t seq;
    zl_dr_t *dr;
    rd_kafka_resp_err_t err;
    zl_precord_t rec;
    char *mem;
} failed_t;

/* A record without a zl_dr_t carries its number in the opaque, tagged with bit 0
 * (a zl_dr_t pointer is aligned, so its bit 0 is clear). */
static void *seq_tag(uint64_t seq) { return (void *)(uintptr_t)(seq << 1 | 1u); }

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

/* Copies a failed record for the end of the serve; false when out of memory. */
static bool keep_failed(zl_producer_t *p, const rd_kafka_message_t *m, uint64_t seq, zl_dr_t *dr) {
    const char *topic = rd_kafka_topic_name(m->rkt);
    size_t tl = strlen(topic) + 1;
    if (ZL_ARRAY_RESERVE(&p->failed, &p->cap_failed, p->n_failed + 1, 64)) return false;
    char *mem = malloc(tl + m->key_len + m->len + 1);
    if (!mem) return false;
    memcpy(mem, topic, tl);
    if (m->key_len) memcpy(mem + tl, m->key, m->key_len);
    if (m->len) memcpy(mem + tl + m->key_len, m->payload, m->len);
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    p->failed[p->n_failed++] = (failed_t){
        .seq = seq, .dr = dr, .err = m->err, .mem = mem,
        .rec = {.topic = mem, .key = m->key ? mem + tl : NULL, .key_len = m->key_len,
                .value = mem + tl + m->key_len, .value_len = m->len, .ts_ms = ts > 0 ? ts : 0,
                .reason = rd_kafka_err2str(m->err),
                .maybe_written = rd_kafka_message_status(m) == RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED}};
    return true;
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    zl_producer_t *p = opaque;
    p->inflight_bytes -= (int64_t)(m->len + m->key_len);
    p->inflight_msgs--;
    p->progress_ms = zl_now_ms();
    zl_gauge_set(p->g_inflight_bytes, p->inflight_bytes);
    uintptr_t priv = (uintptr_t)m->_private;
    zl_dr_t *dr = priv & 1u ? NULL : (zl_dr_t *)m->_private;
    uint64_t seq = priv & 1u ? (uint64_t)(priv >> 1) : dr ? dr->seq : 0;
    if (!m->err) {
        zl_counter_inc(p->c_delivered);
        if (dr) {
            dr->partition = m->partition;
            dr->offset = m->offset;
            dr->cb(dr, ZL_OK, NULL);
        }
        return;
    }
    zl_counter_inc(p->c_failed);
    bool kept = p->on_failure && keep_failed(p, m, seq, dr);
    unsigned long long more = 0;
    if (zl_log_limit(&p->fail_log, 1, &more))
        ZL_ERROR("kafka", "delivery to %s failed: %s%s (zeelos_kafka_delivery_failures_total; %llu more "
                 "not logged)", rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err),
                 kept ? "; handed to the failure hook" : "", more);
    if (!kept && dr) dr->cb(dr, zl_kafka_err(m->err), rd_kafka_err2str(m->err));
}

static int failed_cmp(const void *a, const void *b) {
    const failed_t *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Runs the failure hook over this serve's failures, oldest first. */
static void run_failed(zl_producer_t *p) {
    if (!p->n_failed) return;
    failed_t *list = p->failed; /* detached: the hook may cause new failures */
    size_t n = p->n_failed;
    p->failed = NULL;
    p->n_failed = p->cap_failed = 0;
    qsort(list, n, sizeof *list, failed_cmp);
    for (size_t i = 0; i < n; i++) {
        failed_t *f = &list[i];
        if (!p->on_failure(p->on_failure_ctx, &f->rec, f->dr) && f->dr)
            f->dr->cb(f->dr, zl_kafka_err(f->err), rd_kafka_err2str(f->err));
        free(f->mem);
    }
    free(list);
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
    if (zl_kafka_pipe(p->pipefd) < 0) {
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
    run_failed(p); /* failures the flush's own polls reported */
    if (!e) return;
    ZL_ERROR("kafka", "%d records still undelivered after %d ms: %s%s", rd_kafka_outq_len(p->rk), timeout_ms,
             rd_kafka_err2str(e), p->on_failure ? "; purged, to be kept by the failure hook" : "");
    if (!p->on_failure) return;
    /* in-flight ones too: the broker may have written some (a duplicate after the replay) */
    rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(p->rk, 1000); /* runs the purged records' reports */
    run_failed(p);
}

void zl_producer_destroy(zl_producer_t *p, int flush_timeout_ms) {
    if (!p) return;
    if (p->rk) {
        if (flush_timeout_ms > 0) zl_producer_flush(p, flush_timeout_ms);
        if (p->mainq) rd_kafka_queue_destroy(p->mainq);
        for (int i = 0; i < p->n_warm; i++) rd_kafka_topic_destroy(p->warm[i]);
        rd_kafka_destroy(p->rk);
    }
    if (p->pipefd[0] >= 0) close(p->pipefd[0]);
    if (p->pipefd[1] >= 0) close(p->pipefd[1]);
    for (size_t i = 0; i < p->n_failed; i++) free(p->failed[i].mem);
    free(p->failed);
    free(p->warm);
    free(p);
}

int zl_producer_fd(const zl_producer_t *p) { return p->pipefd[0]; }

void zl_producer_serve(zl_producer_t *p) {
    zl_kafka_drain(p->pipefd[0]);
    do {
        while (rd_kafka_poll(p->rk, 0) > 0) {
        }
        if (p->purge_requested) {
            /* blocking: the purged records' reports are queued when it returns */
            p->purge_requested = false;
            rd_kafka_resp_err_t e = rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE);
            if (e) ZL_WARN("kafka", "purge: %s", rd_kafka_err2str(e));
            while (rd_kafka_poll(p->rk, 0) > 0) {
            }
        }
        run_failed(p);
    } while (p->purge_requested);
}

/* CreateTopics for n topics; partitions -1 and configs NULL: the broker's defaults. */
static zl_err_t create_topics(zl_producer_t *p, const char *const *topics, int n, int partitions,
                              const char *const *configs, int timeout_ms, char *errstr, size_t errstr_size) {
    rd_kafka_NewTopic_t **nt = calloc((size_t)n, sizeof *nt);
    rd_kafka_queue_t *q = rd_kafka_queue_new(p->rk);
    zl_err_t ret = ZL_OK;
    if (!nt || !q) {
        free(nt);
        if (q) rd_kafka_queue_destroy(q);
        return ZL_ERR_NOMEM;
    }
    for (int i = 0; i < n; i++) {
        nt[i] = rd_kafka_NewTopic_new(topics[i], partitions, -1, NULL, 0);
        for (int k = 0; nt[i] && configs && configs[k]; k += 2)
            rd_kafka_NewTopic_set_config(nt[i], configs[k], configs[k + 1]);
    }
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

zl_err_t zl_producer_ensure_topics(zl_producer_t *p, const char *const *topics, int n, int timeout_ms,
                                   char *errstr, size_t errstr_size) {
    return create_topics(p, topics, n, -1, NULL, timeout_ms, errstr, errstr_size);
}

zl_err_t zl_producer_ensure_log(zl_producer_t *p, const char *topic, int timeout_ms, char *errstr, size_t n) {
    static const char *const compact[] = {"cleanup.policy", "compact", NULL};
    return create_topics(p, &topic, 1, 1, compact, timeout_ms, errstr, n);
}

void zl_producer_warm_topics(zl_producer_t *p, const char *const *topics, int n, int timeout_ms) {
    if (p->warm || !(p->warm = calloc((size_t)n, sizeof *p->warm))) return;
    int64_t t0 = zl_now_ms();
    for (int i = 0; i < n; i++) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(p->rk, topics[i], NULL);
        if (!rkt) continue;
        p->warm[p->n_warm++] = rkt;
        const struct rd_kafka_metadata *md = NULL;
        int left = timeout_ms - (int)(zl_now_ms() - t0);
        rd_kafka_resp_err_t e = rd_kafka_metadata(p->rk, 0, rkt, &md, left > 100 ? left : 100);
        if (e) ZL_WARN("kafka", "metadata of %s: %s (fetched again on first use)", topics[i], rd_kafka_err2str(e));
        if (md) rd_kafka_metadata_destroy(md);
    }
}

int64_t zl_producer_stalled_ms(const zl_producer_t *p) {
    return p->inflight_msgs > 0 ? zl_now_ms() - p->progress_ms : 0;
}

int zl_producer_outq(const zl_producer_t *p) { return rd_kafka_outq_len(p->rk); }

void zl_producer_on_failure(zl_producer_t *p, bool (*fn)(void *ctx, const zl_precord_t *rec, zl_dr_t *dr),
                            void *ctx) {
    p->on_failure = fn;
    p->on_failure_ctx = ctx;
}

void zl_producer_purge(zl_producer_t *p) { p->purge_requested = true; }

zl_err_t zl_producer_send(zl_producer_t *p, const char *topic, const zl_buf_t *key,
                          const zl_buf_t *value, zl_dr_t *dr) {
    return zl_producer_send_raw(p, topic, key ? key->data : NULL, key ? key->len : 0, value->data, value->len,
                                zl_wall_ms(), dr);
}

zl_err_t zl_producer_send_raw(zl_producer_t *p, const char *topic, const void *key, size_t key_len,
                              const void *value, size_t value_len, int64_t ts_ms, zl_dr_t *dr) {
    return zl_producer_send_hdrs(p, topic, key, key_len, value, value_len, ts_ms, NULL, 0, dr);
}

zl_err_t zl_producer_send_hdrs(zl_producer_t *p, const char *topic, const void *key, size_t key_len,
                               const void *value, size_t value_len, int64_t ts_ms, const char *const *hdrs,
                               size_t n_hdrs, zl_dr_t *dr) {
    uint64_t seq = p->next_seq++;
    if (dr) dr->seq = seq;
    rd_kafka_headers_t *h = NULL;
    if (n_hdrs) {
        h = rd_kafka_headers_new(n_hdrs);
        for (size_t i = 0; i < n_hdrs; i++) rd_kafka_header_add(h, hdrs[2 * i], -1, hdrs[2 * i + 1], -1);
    }
    rd_kafka_resp_err_t e = rd_kafka_producev(
        p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
        RD_KAFKA_V_TIMESTAMP(ts_ms), RD_KAFKA_V_OPAQUE(dr ? (void *)dr : seq_tag(seq)),
        RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
    if (e && h) rd_kafka_headers_destroy(h); /* librdkafka owns them only on success */
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
    if (p->inflight_msgs == 0) p->progress_ms = zl_now_ms();
    p->inflight_bytes += (int64_t)(key_len + value_len);
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
