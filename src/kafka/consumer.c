/* SPDX-License-Identifier: Apache-2.0 */
/* The management-request consumer: a librdkafka group consumer whose queue
 * signals a pipe the loop watches, plus the offset tracker that makes
 * requests at-least-once (an offset is stored only when every earlier record
 * of its partition is answered).
 *
 * Why it recreates itself: a consumer that is not polled for
 * max.poll.interval.ms leaves its group, and with static membership
 * (group.instance.id) a member that lost its session is fenced, which
 * librdkafka reports as a fatal error: the handle is dead for good.  The
 * owner polls on a timer as well as on the pipe (so an idle gateway never
 * misses the interval), and any fatal, fenced or max-poll error makes the
 * next zl_consumer_serve() destroy the handle and create a new one from the
 * same configuration, keeping the pipe (the loop's watch stays valid).
 * Requests fetched by the old handle and not yet answered are consumed again
 * from the committed offset (at-least-once; tickets keep them from running
 * twice). */
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

/* Offsets of one partition in arrival order; done[] marks answered ones. */
typedef struct {
    int32_t partition;
    int64_t *off;
    uint8_t *done;
    size_t head, len, cap;
} track_t;

/* A re-creation that failed is tried again after this long. */
#define RESTART_RETRY_MS 1000
/* Broker state older than this is unknown (statistics come every second). */
#define STATS_STALE_MS 5000

struct zl_consumer {
    rd_kafka_t *rk;           /* NULL between a failed re-creation and the next try */
    rd_kafka_queue_t *q;
    rd_kafka_conf_t *tmpl;    /* owned: duplicated for every (re-)creation */
    char *topic;
    int pipefd[2];            /* survives re-creation: the loop watches [0] */
    zl_consumer_cb cb;
    void *ctx;
    track_t *tracks;
    size_t n_tracks, cap_tracks;
    void (*on_revoke)(void *ctx, int32_t partition); /* optional */
    void *revoke_ctx;
    int assigned;             /* partitions assigned now */
    const char *restart_why;  /* static string: recreate at the next serve */
    int64_t retry_at_ms;      /* when a failed re-creation is tried again */
    int64_t errs_logged_at;   /* plain consumer errors: logged at most once a second */
    int brokers_up;           /* from the last statistics, -1 before any */
    int64_t stats_at_ms;
    zl_counter_t *c_restart_fatal, *c_restart_poll, *c_errors;
    zl_gauge_t *g_up;
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

/* Every partition's work is given up (revoked, or the handle replaced). */
static void tracks_reset(zl_consumer_t *c, bool notify) {
    for (size_t i = 0; i < c->n_tracks; i++) {
        if (notify && c->on_revoke) c->on_revoke(c->revoke_ctx, c->tracks[i].partition);
        c->tracks[i].head = c->tracks[i].len = 0;
    }
}

void zl_consumer_done(zl_consumer_t *c, int32_t partition, int64_t offset) {
    track_t *t = NULL;
    for (size_t i = 0; i < c->n_tracks; i++)
        if (c->tracks[i].partition == partition) t = &c->tracks[i];
    if (!t || !c->rk) return;
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
    bool coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        ZL_INFO("kafka", "assigned %d partition(s) of %s", parts->cnt, c->topic);
        c->assigned = coop ? c->assigned + parts->cnt : parts->cnt;
        if (coop) rd_kafka_incremental_assign(rk, parts);
        else rd_kafka_assign(rk, parts);
    } else {
        ZL_INFO("kafka", "revoked %d partition(s) of %s", parts->cnt, c->topic);
        if (c->on_revoke)
            for (int i = 0; i < parts->cnt; i++) c->on_revoke(c->revoke_ctx, parts->elems[i].partition);
        tracks_reset(c, false);
        c->assigned = coop && c->assigned > parts->cnt ? c->assigned - parts->cnt : 0;
        if (coop) rd_kafka_incremental_unassign(rk, parts);
        else rd_kafka_assign(rk, NULL);
    }
    zl_gauge_set(c->g_up, c->assigned > 0);
}

/* The errors after which the handle is of no more use. */
static bool on_error(void *ctx, rd_kafka_resp_err_t err, const char *text) {
    zl_consumer_t *c = ctx;
    zl_counter_inc(c->c_errors);
    if (err == RD_KAFKA_RESP_ERR__FATAL || err == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID) {
        char why[256] = "";
        rd_kafka_fatal_error(c->rk, why, sizeof why);
        ZL_ERROR("kafka", "management consumer: fatal error: %s (%s); recreating it", text, why);
        c->restart_why = "fatal";
        return true;
    }
    if (err == RD_KAFKA_RESP_ERR__MAX_POLL_EXCEEDED) {
        ZL_ERROR("kafka", "management consumer: %s (the loop did not poll in max.poll.interval.ms); "
                 "recreating it", text);
        c->restart_why = "max_poll";
        return true;
    }
    int64_t now = zl_now_ms();
    if (now - c->errs_logged_at >= 1000) {
        c->errs_logged_at = now;
        ZL_WARN("kafka", "management consumer: %s (counted in zeelos_mgmt_consumer_errors_total, "
                "logged at most once a second)", text);
    }
    return false;
}

/* librdkafka statistics (every statistics.interval.ms, on the serving thread). */
static int stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
    zl_consumer_t *c = opaque;
    (void)rk;
    int up = zl_kafka_stats_brokers_up(json, len);
    if (up >= 0) {
        c->brokers_up = up;
        c->stats_at_ms = zl_now_ms();
    }
    return 0; /* librdkafka frees json */
}

int zl_consumer_brokers_up(const zl_consumer_t *c) {
    if (!c->rk || c->stats_at_ms == 0 || zl_now_ms() - c->stats_at_ms > STATS_STALE_MS) return -1;
    return c->brokers_up;
}

/* Creates the handle from the template and subscribes; on failure c->rk is NULL. */
static zl_err_t consumer_open(zl_consumer_t *c, char *errstr, size_t n) {
    rd_kafka_conf_t *kc = rd_kafka_conf_dup(c->tmpl);
    if (!kc) {
        snprintf(errstr, n, "out of memory");
        return ZL_ERR_NOMEM;
    }
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, errstr, n);
    if (!c->rk) {
        rd_kafka_conf_destroy(kc);
        return ZL_ERR_KAFKA;
    }
    rd_kafka_set_log_queue(c->rk, NULL);
    rd_kafka_poll_set_consumer(c->rk);
    c->q = rd_kafka_queue_get_consumer(c->rk);
    rd_kafka_queue_io_event_enable(c->q, c->pipefd[1], "1", 1);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, c->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        snprintf(errstr, n, "cannot subscribe to %s: %s", c->topic, rd_kafka_err2str(e));
        return ZL_ERR_KAFKA;
    }
    return ZL_OK;
}

/* close: leave the group cleanly (shutdown); a dead handle is only destroyed. */
static void consumer_close(zl_consumer_t *c, bool close) {
    if (!c->rk) return;
    if (c->q) {
        rd_kafka_queue_io_event_enable(c->q, -1, NULL, 0);
        rd_kafka_queue_destroy(c->q);
        c->q = NULL;
    }
    if (close) {
        rd_kafka_consumer_close(c->rk);
        rd_kafka_destroy(c->rk);
    } else {
        rd_kafka_destroy_flags(c->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    c->rk = NULL;
    c->assigned = 0;
    zl_gauge_set(c->g_up, 0);
}

static void consumer_restart(zl_consumer_t *c) {
    if (c->rk) {
        zl_counter_inc(!strcmp(c->restart_why, "max_poll") ? c->c_restart_poll : c->c_restart_fatal);
        consumer_close(c, false);
        tracks_reset(c, true);
    }
    char errstr[256];
    if (consumer_open(c, errstr, sizeof errstr)) {
        ZL_ERROR("kafka", "cannot recreate the management consumer: %s; retrying in %d ms", errstr,
                 RESTART_RETRY_MS);
        consumer_close(c, false);
        c->retry_at_ms = zl_now_ms() + RESTART_RETRY_MS;
        return;
    }
    ZL_INFO("kafka", "management consumer recreated (%s); rejoining group", c->restart_why);
    c->restart_why = NULL;
}

void zl_consumer_on_revoke(zl_consumer_t *c, void (*fn)(void *ctx, int32_t partition), void *ctx) {
    c->on_revoke = fn;
    c->revoke_ctx = ctx;
}

zl_consumer_t *zl_consumer_new(const zl_conf_t *conf, const char *group, const char *topic, zl_metrics_t *m,
                               zl_consumer_cb cb, void *ctx, char *errstr, size_t n) {
    zl_consumer_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->pipefd[0] = c->pipefd[1] = -1;
    c->cb = cb;
    c->ctx = ctx;
    c->topic = strdup(topic);
    c->c_restart_fatal = zl_metrics_counter(m, "zeelos_mgmt_consumer_restarts_total", "reason=\"fatal\"",
                                            "Management consumers recreated after a fatal error (e.g. a fenced "
                                            "static member) or after missing max.poll.interval.ms.");
    c->c_restart_poll = zl_metrics_counter(m, "zeelos_mgmt_consumer_restarts_total", "reason=\"max_poll\"",
                                           NULL);
    c->c_errors = zl_metrics_counter(m, "zeelos_mgmt_consumer_errors_total", NULL,
                                     "Errors the management consumer reported (broker down, fenced, ...).");
    c->g_up = zl_metrics_gauge(m, "zeelos_mgmt_consumer_up", NULL,
                               "1 while the management consumer holds at least one partition of its topic.");
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
    rd_kafka_conf_set_stats_cb(kc, stats_cb);
    zl_kafka_conf_stats(kc, conf);
    c->brokers_up = -1;
    c->tmpl = kc;
    if (zl_kafka_pipe(c->pipefd) < 0) {
        snprintf(errstr, n, "pipe: %s", strerror(errno));
        goto fail;
    }
    if (consumer_open(c, errstr, n)) goto fail;
    return c;
fail:
    zl_consumer_destroy(c);
    return NULL;
}

void zl_consumer_destroy(zl_consumer_t *c) {
    if (!c) return;
    consumer_close(c, true);
    if (c->tmpl) rd_kafka_conf_destroy(c->tmpl);
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

const char *zl_consumer_state(const zl_consumer_t *c) {
    if (c->restart_why || !c->rk) return "restarting";
    return c->assigned > 0 ? "up" : "joining";
}

/* Every record enters its partition's offset track before its owner sees it. */
static void on_record(void *ctx, const zl_kmsg_t *m) {
    zl_consumer_t *c = ctx;
    track_t *t = track_get(c, m->partition);
    if (t) track_push(t, m->offset);
    c->cb(c->ctx, m);
}

void zl_consumer_serve(zl_consumer_t *c, int max) {
    zl_kafka_drain(c->pipefd[0]);
    if (c->restart_why) {
        if (zl_now_ms() < c->retry_at_ms) return;
        consumer_restart(c);
        if (!c->rk) return;
    }
    int n = zl_kafka_consume_ex(c->rk, 0, max, on_record, on_error, c);
    if (c->restart_why) {
        consumer_restart(c);
        return;
    }
    if (n < max) return;
    /* more may be waiting: make sure the loop comes back */
    if (write(c->pipefd[1], "1", 1) < 0) {
    }
}
