/* SPDX-License-Identifier: Apache-2.0 */
/* The sink's group consumer (subscriber.h): subscribe to names or patterns,
 * serve records on the loop, commit what the owner says is durable, pause
 * the assignment under backpressure.
 *
 * Why pause and not "stop polling": a consumer that is not polled for
 * max.poll.interval.ms leaves its group; a paused one keeps its partitions
 * and heartbeats, and librdkafka restarts a resumed partition from the
 * record after the last one served (what it had fetched beyond is dropped
 * and fetched again). */
#include "kafka/subscriber.h"
#include "kafka/kafka_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/clock.h"
#include "common/log.h"

struct zl_sub {
    rd_kafka_t *rk;
    rd_kafka_queue_t *q;
    int pipefd[2];
    zl_consumer_cb cb;
    void *ctx;
    void (*on_revoke)(void *ctx, const char *topic, int32_t partition);
    void *revoke_ctx;
    bool paused;
    int assigned;
    zl_log_limit_t err_limit;
    zl_counter_t *c_errors, *c_commit_errors;
    zl_gauge_t *g_parts;
    char role[32];
};

static void set_paused(zl_sub_t *s, rd_kafka_topic_partition_list_t *parts, bool pause) {
    if (!parts || parts->cnt == 0) return;
    rd_kafka_resp_err_t e = pause ? rd_kafka_pause_partitions(s->rk, parts) : rd_kafka_resume_partitions(s->rk, parts);
    if (e) ZL_WARN("kafka", "sink consumer: cannot %s %d partition(s): %s", pause ? "pause" : "resume", parts->cnt,
                   rd_kafka_err2str(e));
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
    zl_sub_t *s = opaque;
    bool coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        ZL_INFO("kafka", "%s consumer: assigned %d partition(s)%s", s->role, parts->cnt, s->paused ? " (paused)" : "");
        s->assigned = coop ? s->assigned + parts->cnt : parts->cnt;
        if (coop) rd_kafka_incremental_assign(rk, parts);
        else rd_kafka_assign(rk, parts);
        if (s->paused) set_paused(s, parts, true);
    } else {
        ZL_INFO("kafka", "sink consumer: revoked %d partition(s)", parts->cnt);
        if (s->on_revoke)
            for (int i = 0; i < parts->cnt; i++)
                s->on_revoke(s->revoke_ctx, parts->elems[i].topic, parts->elems[i].partition);
        s->assigned = coop && s->assigned > parts->cnt ? s->assigned - parts->cnt : 0;
        if (coop) rd_kafka_incremental_unassign(rk, parts);
        else rd_kafka_assign(rk, NULL);
    }
    zl_gauge_set(s->g_parts, s->assigned);
}

static void commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *offsets,
                      void *opaque) {
    zl_sub_t *s = opaque;
    (void)rk;
    (void)offsets;
    if (!err || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
    zl_counter_inc(s->c_commit_errors);
    unsigned long long suppressed = 0;
    if (zl_log_limit(&s->err_limit, 1, &suppressed))
        ZL_WARN("kafka", "sink consumer: offset commit failed: %s (the next commit covers it; counted in "
                "zeelos_sink_commit_errors_total)", rd_kafka_err2str(err));
}

static bool on_error(void *ctx, rd_kafka_resp_err_t err, const char *text) {
    zl_sub_t *s = ctx;
    (void)err;
    zl_counter_inc(s->c_errors);
    unsigned long long suppressed = 0;
    if (zl_log_limit(&s->err_limit, 1, &suppressed))
        ZL_WARN("kafka", "%s consumer: %s (counted in zeelos_%s_consumer_errors_total)", s->role, text, s->role);
    return false;
}

static zl_err_t subscribe(zl_sub_t *s, const char *topics, char *errstr, size_t n) {
    rd_kafka_resp_err_t e = zl_kafka_subscribe(s->rk, topics);
    if (e) {
        snprintf(errstr, n, "cannot subscribe to \"%s\": %s", topics, rd_kafka_err2str(e));
        return ZL_ERR_KAFKA;
    }
    return ZL_OK;
}

zl_sub_t *zl_sub_new(const zl_conf_t *conf, const char *group, const char *topics, zl_metrics_t *m,
                     zl_consumer_cb cb, void *ctx, char *errstr, size_t n) {
    return zl_sub_new_opts(conf, group, topics, NULL, m, cb, ctx, errstr, n);
}

zl_sub_t *zl_sub_new_opts(const zl_conf_t *conf, const char *group, const char *topics, const zl_sub_opts_t *o,
                          zl_metrics_t *m, zl_consumer_cb cb, void *ctx, char *errstr, size_t n) {
    zl_sub_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->pipefd[0] = s->pipefd[1] = -1;
    s->cb = cb;
    s->ctx = ctx;
    snprintf(s->role, sizeof s->role, "%s", o && o->role ? o->role : "sink");
    const char *labels = o && o->labels ? o->labels : NULL;
    char name[96];
    snprintf(name, sizeof name, "zeelos_%s_consumer_errors_total", s->role);
    s->c_errors = zl_metrics_counter(m, name, labels, "Errors the Kafka consumer reported (broker down, ...).");
    snprintf(name, sizeof name, "zeelos_%s_commit_errors_total", s->role);
    s->c_commit_errors = zl_metrics_counter(m, name, labels,
                                            "Kafka offset commits that failed (the next one covers them).");
    snprintf(name, sizeof name, "zeelos_%s_partitions", s->role);
    s->g_parts = zl_metrics_gauge(m, name, labels, "Partitions assigned to this consumer.");
    rd_kafka_conf_t *kc = zl_kafka_conf(conf, true, errstr, n);
    if (!kc) goto fail;
    if (rd_kafka_conf_set(kc, "group.id", group, errstr, n) ||
        rd_kafka_conf_set(kc, "enable.auto.commit", "false", errstr, n) ||
        /* nothing but zl_sub_commit() may ever move the group's offsets */
        rd_kafka_conf_set(kc, "enable.auto.offset.store", "false", errstr, n) ||
        rd_kafka_conf_set(kc, "log.queue", "true", errstr, n)) {
        rd_kafka_conf_destroy(kc);
        goto fail;
    }
    if (!zl_conf_kafka(conf, "kafka.auto.offset.reset"))
        rd_kafka_conf_set(kc, "auto.offset.reset", o && o->offset_reset ? o->offset_reset : "earliest", NULL, 0);
    if (o && o->metadata_refresh_ms > 0 && !zl_conf_kafka(conf, "kafka.topic.metadata.refresh.interval.ms")) {
        char v[32];
        snprintf(v, sizeof v, "%d", o->metadata_refresh_ms);
        rd_kafka_conf_set(kc, "topic.metadata.refresh.interval.ms", v, NULL, 0);
    }
    if (!zl_conf_kafka(conf, "kafka.isolation.level"))
        rd_kafka_conf_set(kc, "isolation.level", "read_committed", NULL, 0);
    rd_kafka_conf_set_opaque(kc, s);
    rd_kafka_conf_set_rebalance_cb(kc, rebalance_cb);
    rd_kafka_conf_set_offset_commit_cb(kc, commit_cb);
    if (zl_kafka_pipe(s->pipefd) < 0) {
        snprintf(errstr, n, "pipe: %s", strerror(errno));
        rd_kafka_conf_destroy(kc);
        goto fail;
    }
    if (!(s->rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, errstr, n))) {
        rd_kafka_conf_destroy(kc);
        goto fail;
    }
    rd_kafka_set_log_queue(s->rk, NULL);
    rd_kafka_poll_set_consumer(s->rk);
    s->q = rd_kafka_queue_get_consumer(s->rk);
    rd_kafka_queue_io_event_enable(s->q, s->pipefd[1], "1", 1);
    if (subscribe(s, topics, errstr, n)) goto fail;
    return s;
fail:
    zl_sub_destroy(s);
    return NULL;
}

void zl_sub_destroy(zl_sub_t *s) {
    if (!s) return;
    if (s->q) {
        rd_kafka_queue_io_event_enable(s->q, -1, NULL, 0);
        rd_kafka_queue_destroy(s->q);
    }
    if (s->rk) {
        /* no commit of "the current positions" here: they include records fetched but never
         * written; close waits for the owner's commits already in flight */
        rd_kafka_consumer_close(s->rk);
        rd_kafka_destroy(s->rk);
    }
    for (int i = 0; i < 2; i++)
        if (s->pipefd[i] >= 0) close(s->pipefd[i]);
    free(s);
}

void zl_sub_on_revoke(zl_sub_t *s, void (*fn)(void *ctx, const char *topic, int32_t partition), void *ctx) {
    s->on_revoke = fn;
    s->revoke_ctx = ctx;
}

int zl_sub_fd(const zl_sub_t *s) { return s->pipefd[0]; }

static void on_record(void *ctx, const zl_kmsg_t *m) {
    zl_sub_t *s = ctx;
    s->cb(s->ctx, m);
}

void zl_sub_serve(zl_sub_t *s, int max) {
    zl_kafka_drain(s->pipefd[0]);
    int got = zl_kafka_consume_ex(s->rk, 0, max, on_record, on_error, s);
    if (got >= max && write(s->pipefd[1], "1", 1) < 0) { /* more waiting: come back */
    }
}

void zl_sub_pause(zl_sub_t *s, bool pause) {
    if (s->paused == pause) return;
    s->paused = pause;
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(s->rk, &parts) == RD_KAFKA_RESP_ERR_NO_ERROR) set_paused(s, parts, pause);
    if (parts) rd_kafka_topic_partition_list_destroy(parts);
}

bool zl_sub_paused(const zl_sub_t *s) { return s->paused; }

void zl_sub_commit(zl_sub_t *s, const zl_sub_pos_t *pos, size_t n) {
    rd_kafka_topic_partition_list_t *owned = NULL;
    if (!n || rd_kafka_assignment(s->rk, &owned)) return;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        if (rd_kafka_topic_partition_list_find(owned, pos[i].topic, pos[i].partition))
            rd_kafka_topic_partition_list_add(l, pos[i].topic, pos[i].partition)->offset = pos[i].next_offset;
    if (l->cnt) rd_kafka_commit(s->rk, l, 1);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_topic_partition_list_destroy(owned);
}

int zl_sub_assigned(const zl_sub_t *s) { return s->assigned; }

void zl_sub_each(zl_sub_t *s, void (*fn)(void *ctx, const char *topic, int32_t partition, bool caught_up),
                 void *ctx) {
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(s->rk, &parts) || !parts) return;
    rd_kafka_position(s->rk, parts); /* local: the next offset to read, or INVALID before the first record */
    for (int i = 0; i < parts->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &parts->elems[i];
        int64_t lo = -1, hi = -1;
        /* cached by the fetcher: no request goes out */
        bool known = rd_kafka_get_watermark_offsets(s->rk, p->topic, p->partition, &lo, &hi) == 0 && hi >= 0;
        bool caught_up = known && (hi == lo || hi == 0 || (p->offset >= 0 && p->offset >= hi));
        fn(ctx, p->topic, p->partition, caught_up);
    }
    rd_kafka_topic_partition_list_destroy(parts);
}
