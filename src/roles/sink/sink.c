/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos sink`, the loop thread's half: consume, batch, hand batches to the
 * writer, commit Kafka offsets when a batch is written, pause the consumer
 * while too many batches wait, produce dead letters.
 *
 * Why offsets are committed only after the write: a crash (or a rebalance)
 * restarts from the last committed offset, so every record not yet durable
 * in the store is read again - nothing is lost.  What is read twice is made
 * harmless by the store (sink_int.h: SQL positions, InfluxDB overwrites). */
#include "roles/sink/sink.h"
#include "roles/sink/sink_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kafka/client.h"
#include "http/http.h"
#include "common/array.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/loop.h"

#define SERVE_EVERY_MS 50
#define SERVE_MAX 1000

/* One dead letter in flight (its delivery report). */
typedef struct {
    zl_dr_t dr;
    zl_sink_t *s;
    sink_batch_t *b;
} dead_dr_t;

struct zl_sink {
    const zl_sink_conf_t *conf;
    char group[256];
    zl_wheel_t wheel;
    zl_loop_t *loop;
    zl_metrics_t *metrics;
    zl_http_t *http;
    zl_sub_t *sub;
    zl_producer_t *producer; /* dead letters */
    sink_writer_t *writer;
    zl_loop_fd_t w_sub, w_producer;
    zl_timer_t t_serve;
    sink_batch_t *open;      /* being filled */
    uint64_t next_batch_id;
    size_t inflight;         /* pushed to the writer, not yet done */
    size_t inflight_bytes;   /* their keys and values */
    volatile sig_atomic_t stop_asked; /* SIGTERM/SIGINT: drain, then stop */
    int64_t drain_deadline;  /* 0 until the drain begins */
    bool store_up;
    zl_gauge_t *g_inflight, *g_paused, *g_store_up;
    zl_counter_t *c_dlq;
    zl_histogram_t *h_lag;
};

/* ---- batches ------------------------------------------------------------- */

static sink_topic_kind_t topic_kind(const char *t) {
    size_t n = strlen(t), k = strlen(".registrations");
    return n >= k && !strcmp(t + n - k, ".registrations") ? SINK_T_REGISTRATION : SINK_T_OBSERVE;
}

static int topic_index(sink_batch_t *b, const char *topic) {
    for (size_t i = 0; i < b->n_topics; i++)
        if (!strcmp(b->topics[i].name, topic)) return (int)i;
    if (ZL_ARRAY_RESERVE(&b->topics, &b->cap_topics, b->n_topics + 1, 4)) return -1;
    char *name = strdup(topic);
    if (!name) return -1;
    b->topics[b->n_topics] = (sink_topic_t){name, topic_kind(topic)};
    return (int)b->n_topics++;
}

/* Positions: per (topic, partition), one past the highest offset. */
static zl_err_t batch_positions(sink_batch_t *b) {
    for (size_t i = 0; i < b->n; i++) {
        const sink_rec_t *r = &b->recs[i];
        size_t k = 0;
        while (k < b->n_pos && (b->pos[k].partition != r->partition || b->pos[k].topic != b->topics[r->topic].name))
            k++;
        if (k == b->n_pos) {
            size_t cap = b->n_pos;
            if (ZL_ARRAY_RESERVE(&b->pos, &cap, b->n_pos + 1, 4)) return ZL_ERR_NOMEM;
            b->pos[b->n_pos++] = (zl_sub_pos_t){b->topics[r->topic].name, r->partition, r->offset + 1};
        } else if (r->offset + 1 > b->pos[k].next_offset) {
            b->pos[k].next_offset = r->offset + 1;
        }
    }
    return ZL_OK;
}

/* Pauses at the limits, resumes below half of them: every resume costs a
 * fetch restart, so the consumer must not flap at the edge. */
static void update_flow(zl_sink_t *s) {
    bool pause = zl_sub_paused(s->sub);
    if (s->drain_deadline) return; /* draining: paused for good */
    if (s->inflight >= (size_t)s->conf->max_inflight || s->inflight_bytes >= (size_t)s->conf->buffer_bytes)
        pause = true;
    else if (s->inflight <= (size_t)s->conf->max_inflight / 2 && s->inflight_bytes <= (size_t)s->conf->buffer_bytes / 2)
        pause = false;
    if (pause != zl_sub_paused(s->sub)) {
        zl_sub_pause(s->sub, pause);
        ZL_DEBUG("sink", "consumer %s (%zu batches waiting for the store)", pause ? "paused" : "resumed", s->inflight);
    }
    zl_gauge_set(s->g_paused, pause);
    zl_gauge_set(s->g_inflight, (int64_t)s->inflight);
}

static void close_batch(zl_sink_t *s) {
    sink_batch_t *b = s->open;
    if (!b || b->n == 0) return;
    s->open = NULL;
    if (batch_positions(b)) {
        ZL_ERROR("sink", "out of memory closing a batch; its records are read again after a restart");
        sink_batch_free(b);
        return;
    }
    s->inflight++;
    s->inflight_bytes += b->data.len;
    sink_writer_push(s->writer, b);
    update_flow(s);
}

static void on_record(void *ctx, const zl_kmsg_t *m) {
    zl_sink_t *s = ctx;
    if (s->drain_deadline) return; /* fetched before the pause took hold: not ours to commit, read again later */
    if (!s->open) {
        if (!(s->open = calloc(1, sizeof *s->open))) goto nomem;
        s->open->id = s->next_batch_id++;
        s->open->opened_ms = zl_now_ms();
        zl_buf_init(&s->open->data, 0);
    }
    sink_batch_t *b = s->open;
    int t = topic_index(b, m->topic);
    if (t < 0 || ZL_ARRAY_RESERVE(&b->recs, &b->cap, b->n + 1, 64)) goto nomem;
    sink_rec_t *r = &b->recs[b->n];
    *r = (sink_rec_t){.topic = (uint32_t)t, .partition = m->partition, .offset = m->offset, .ts_ms = m->timestamp,
                      .has_key = m->key != NULL, .has_value = m->value != NULL};
    r->key_off = b->data.len;
    r->key_len = m->key ? m->key_len : 0;
    if (r->key_len && zl_buf_append(&b->data, m->key, m->key_len)) goto nomem;
    r->val_off = b->data.len;
    r->val_len = m->value ? m->value_len : 0;
    if (r->val_len && zl_buf_append(&b->data, m->value, m->value_len)) goto nomem;
    b->n++;
    if ((int64_t)b->n >= s->conf->batch_records) close_batch(s);
    return;
nomem:
    /* Not stored, so the next commit must not pass it: stop and let a restart read it again. */
    ZL_ERROR("sink", "out of memory buffering %s[%d]@%lld; stopping (it is read again after a restart)", m->topic,
             (int)m->partition, (long long)m->offset);
    zl_loop_stop(s->loop);
}

/* ---- results from the writer (loop thread) -------------------------------- */

static void on_batch_done(void *ctx, sink_batch_t *b) {
    zl_sink_t *s = ctx;
    zl_sub_commit(s->sub, b->pos, b->n_pos);
    int64_t now = zl_wall_ms();
    for (size_t i = 0; i < b->n; i++)
        if (b->recs[i].ts_ms > 0 && !b->recs[i].dead)
            zl_histogram_observe(s->h_lag, (double)(now - b->recs[i].ts_ms) / 1000.0);
    s->inflight--;
    s->inflight_bytes -= b->data.len;
    sink_batch_free(b);
    update_flow(s);
}

static void on_store_state(void *ctx, bool up) {
    zl_sink_t *s = ctx;
    s->store_up = up;
    zl_gauge_set(s->g_store_up, up);
}

static void on_dead_dr(zl_dr_t *dr, zl_err_t err, const char *reason) {
    dead_dr_t *d = (dead_dr_t *)dr;
    sink_batch_t *b = d->b;
    if (err) {
        b->dead_failed = true;
        ZL_ERROR("sink", "dead letter not delivered to %s: %s", d->s->conf->dlq_topic, reason ? reason : zl_err2str(err));
    } else {
        zl_counter_inc(d->s->c_dlq);
    }
    if (--b->dead_pending == 0) sink_writer_dead_done(d->s->writer, b, !b->dead_failed);
    free(d);
}

static void on_dead_letters(void *ctx, sink_batch_t *b) {
    zl_sink_t *s = ctx;
    b->dead_failed = false;
    b->dead_pending = 1; /* held until every record is queued */
    for (size_t i = 0; i < b->n; i++) {
        sink_rec_t *r = &b->recs[i];
        if (!r->dead || !r->why) continue;
        char part[16], off[24];
        snprintf(part, sizeof part, "%d", (int)r->partition);
        snprintf(off, sizeof off, "%lld", (long long)r->offset);
        const char *hdrs[] = {"zeelos.dlq.reason", r->why, "zeelos.dlq.topic", sink_rec_topic(b, r),
                              "zeelos.dlq.partition", part, "zeelos.dlq.offset", off};
        dead_dr_t *d = calloc(1, sizeof *d);
        if (!d) {
            b->dead_failed = true;
            break;
        }
        *d = (dead_dr_t){.dr = {.cb = on_dead_dr}, .s = s, .b = b};
        ZL_WARN("sink", "dead letter: %s[%d]@%lld: %s -> %s", sink_rec_topic(b, r), (int)r->partition,
                (long long)r->offset, r->why, s->conf->dlq_topic);
        zl_err_t e = zl_producer_send_hdrs(s->producer, s->conf->dlq_topic, r->has_key ? b->data.data + r->key_off : NULL,
                                           r->key_len, r->has_value ? sink_rec_value(b, r) : NULL, r->val_len,
                                           r->ts_ms > 0 ? r->ts_ms : 0, hdrs, 4, &d->dr);
        if (e) {
            free(d);
            b->dead_failed = true;
            break;
        }
        b->dead_pending++;
        /* delivered once: a retry of the batch must not produce it again */
        free(r->why);
        r->why = NULL;
    }
    if (--b->dead_pending == 0) sink_writer_dead_done(s->writer, b, !b->dead_failed);
}

/* ---- the loop ------------------------------------------------------------- */

static void on_sub_fd(void *ctx, uint32_t ev) {
    zl_sink_t *s = ctx;
    (void)ev;
    zl_sub_serve(s->sub, SERVE_MAX);
}

static void on_producer_fd(void *ctx, uint32_t ev) {
    zl_sink_t *s = ctx;
    (void)ev;
    zl_producer_serve(s->producer);
}

/* A stop drains: no more fetching, the open batch goes to the writer, and the
 * loop ends once every batch is written (their offsets committed) or the
 * drain time is up (what is left is read again by the next sink). */
static bool drained(zl_sink_t *s) {
    if (!s->drain_deadline) {
        s->drain_deadline = zl_now_ms() + s->conf->drain_ms;
        zl_sub_pause(s->sub, true);
        close_batch(s);
        if (s->inflight)
            ZL_INFO("sink", "stopping: writing the %zu batch(es) in flight first (at most %lld ms)", s->inflight,
                    (long long)s->conf->drain_ms);
    }
    if (s->inflight == 0) return true;
    if (zl_now_ms() < s->drain_deadline) return false;
    ZL_WARN("sink", "stopping with %zu batch(es) not written: the next sink reads them again", s->inflight);
    return true;
}

static void on_serve_timer(zl_timer_t *t, void *ctx) {
    zl_sink_t *s = ctx;
    zl_sub_serve(s->sub, SERVE_MAX);
    zl_producer_serve(s->producer);
    if (s->stop_asked) {
        if (s->drain_deadline == 0 && s->open) close_batch(s); /* records served just now */
        if (drained(s)) {
            zl_loop_stop(s->loop);
            return;
        }
    } else if (s->open && s->open->n && zl_now_ms() - s->open->opened_ms >= s->conf->linger_ms) {
        close_batch(s);
    }
    zl_timer_arm(&s->wheel, t, zl_now_ms() + SERVE_EVERY_MS);
}

static void on_readyz(void *ctx, zl_http_call_t *call) {
    zl_sink_t *s = ctx;
    zl_buf_printf(zl_http_call_reply(call), "{\"store\":\"%s\",\"partitions\":%d,\"paused\":%s,\"inflight\":%zu}\n",
                  s->store_up ? "up" : "down", zl_sub_assigned(s->sub), zl_sub_paused(s->sub) ? "true" : "false",
                  s->inflight);
    zl_http_call_done(call, s->store_up ? 200 : 503, "application/json");
}

static const char *store_name(int kind) {
    return kind == ZL_SINK_INFLUXDB ? "influxdb" : kind == ZL_SINK_POSTGRESQL ? "postgresql" : "sqlite";
}

zl_sink_t *zl_sink_new(const zl_sink_conf_t *conf, char *errstr, size_t n) {
    zl_sink_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(errstr, n, "out of memory");
        return NULL;
    }
    s->conf = conf;
    s->store_up = true;
    snprintf(s->group, sizeof s->group, "%s",
             conf->group && conf->group[0] ? conf->group : conf->store == ZL_SINK_INFLUXDB ? "zeelos-sink-influxdb"
                                                  : conf->store == ZL_SINK_POSTGRESQL ? "zeelos-sink-postgresql"
                                                                                      : "zeelos-sink-sqlite");
    if (conf->kafka.format == 0 && (!conf->kafka.registry_url || !conf->kafka.registry_url[0])) {
        snprintf(errstr, n, "format=avro needs schema.registry.url (or use format=json)");
        goto fail;
    }
    zl_wheel_init(&s->wheel, zl_now_ms());
    if (!(s->metrics = zl_metrics_new())) {
        snprintf(errstr, n, "out of memory");
        goto fail;
    }
    s->g_inflight = zl_metrics_gauge(s->metrics, "zeelos_sink_inflight_batches", NULL,
                                     "Batches handed to the writer and not yet written.");
    s->g_paused = zl_metrics_gauge(s->metrics, "zeelos_sink_paused", NULL,
                                   "1 while the Kafka consumer is paused because the store is behind.");
    s->g_store_up = zl_metrics_gauge(s->metrics, "zeelos_sink_store_up", NULL,
                                     "0 while the store (or the schema registry) is unavailable.");
    zl_gauge_set(s->g_store_up, 1);
    s->c_dlq = zl_metrics_counter(s->metrics, "zeelos_sink_dead_letters_total", NULL,
                                  "Records delivered to the dead-letter topic (sink.dlq.topic).");
    static const double lag_bounds[] = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60};
    s->h_lag = zl_metrics_histogram(s->metrics, "zeelos_sink_lag_seconds",
                                    "From a record's Kafka timestamp to its batch being written.", lag_bounds,
                                    (int)(sizeof lag_bounds / sizeof lag_bounds[0]));
    if (!(s->loop = zl_loop_new(&(zl_loop_cfg_t){.wheel = &s->wheel}, errstr, n))) goto fail;
    if (!(s->producer = zl_producer_new(conf->kafka.props, s->metrics, errstr, n))) goto fail;
    const char *dlq = conf->dlq_topic;
    if (zl_producer_ensure_topics(s->producer, &dlq, 1, 10000, errstr, n)) goto fail;
    sink_writer_cbs_t cbs = {.done = on_batch_done, .dead_letters = on_dead_letters, .store_state = on_store_state};
    if (!(s->writer = sink_writer_new(conf, s->group, s->loop, s->metrics, &cbs, s, errstr, n))) goto fail;
    if (!(s->sub = zl_sub_new(conf->kafka.props, s->group, conf->topics, s->metrics, on_record, s, errstr, n)))
        goto fail;
    if (zl_loop_fd_add(s->loop, &s->w_sub, zl_sub_fd(s->sub), ZL_LOOP_IN, on_sub_fd, s) ||
        zl_loop_fd_add(s->loop, &s->w_producer, zl_producer_fd(s->producer), ZL_LOOP_IN, on_producer_fd, s)) {
        snprintf(errstr, n, "epoll: %s", strerror(errno));
        goto fail;
    }
    zl_timer_init(&s->t_serve, on_serve_timer, s);
    zl_timer_arm(&s->wheel, &s->t_serve, zl_now_ms() + SERVE_EVERY_MS);
    if (conf->port && !(s->http = zl_http_start(conf->host, conf->port, s->metrics, errstr, n))) goto fail;
    if (s->http) zl_http_route_loop(s->http, "/readyz", s->loop, on_readyz, s);
    ZL_INFO("sink", "%s sink, group %s, topics %s on %s, format %s, metrics on %s:%d (librdkafka %s)",
            store_name(conf->store), s->group, conf->topics, conf->kafka.bootstrap_servers,
            conf->kafka.format ? "json" : "avro", conf->host, zl_http_port(s->http), zl_kafka_version());
    return s;
fail:
    zl_sink_destroy(s);
    return NULL;
}

int zl_sink_run(zl_sink_t *s) {
    zl_err_t e = zl_loop_run(s->loop);
    ZL_INFO("sink", "stopping");
    return e == ZL_OK ? 0 : 1;
}

void zl_sink_stop(zl_sink_t *s) {
    if (s->stop_asked || !s->loop) { /* a second signal: stop now */
        if (s->loop) zl_loop_stop(s->loop);
        return;
    }
    s->stop_asked = 1;
    zl_loop_wake(s->loop);
}

void zl_sink_destroy(zl_sink_t *s) {
    if (!s) return;
    if (s->http) zl_http_stop(s->http);
    sink_writer_stop(s->writer);       /* joins the thread; written batches were posted */
    if (s->loop) zl_loop_destroy(s->loop); /* runs the posted results: their offsets are committed */
    zl_sub_destroy(s->sub);            /* flushes the commits, leaves the group */
    if (s->producer) zl_producer_destroy(s->producer, 2000);
    sink_writer_destroy(s->writer);
    sink_batch_free(s->open);
    zl_metrics_destroy(s->metrics);
    free(s);
}
