/* SPDX-License-Identifier: Apache-2.0 */
/* The registry process: one loop thread owns the state; the Kafka producer's
 * reports and the log reader's records arrive through their wake-up fds;
 * HTTP requests reach the loop as calls (http.h) and are answered there.
 *
 * A write is answered only when the log has been read past its record: then
 * this instance's state is the log's up to and including it (and any record
 * another instance slipped in before it), which is what the answer reports.
 * Until the log has been read to its end once, at start-up, nothing is
 * served, so an instance never answers from a partial state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "roles/registry/sr_int.h"
#include "kafka/logreader.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/wheel.h"

#define SERVE_EVERY_MS 100
#define MAX_LOGS 17 /* the registry's own topic and up to 16 imported ones */

/* One topic the registry reads: its own (logs[0]) or an imported one. */
typedef struct {
    zl_logreader_t *reader;
    zl_loop_fd_t w;
    char *topic;
    struct zl_registry *sr;
} log_t;

struct zl_registry {
    const zl_registry_conf_t *conf;
    zl_wheel_t wheel;
    zl_loop_t *loop;
    zl_loop_fd_t w_producer;
    zl_timer_t t_serve;
    zl_http_t *http;
    zl_producer_t *producer;
    log_t logs[MAX_LOGS];
    int n_logs;
    zl_metrics_t *metrics;
    sr_state_t st;
    sr_write_t *writes, *writes_tail; /* in the order they started */
    zl_counter_t *c_writes, *c_write_failures;
    zl_gauge_t *g_schemas, *g_subjects, *g_position, *g_skipped;
};

const sr_state_t *sr_state(const zl_registry_t *sr) { return &sr->st; }
const zl_registry_conf_t *sr_conf(const zl_registry_t *sr) { return sr->conf; }

int sr_compat_of(const zl_registry_t *sr, const sr_subject_t *s) {
    if (s && s->compat >= 0) return s->compat;
    return sr->st.compat >= 0 ? sr->st.compat : sr->conf->compatibility;
}

int sr_next_id(const zl_registry_t *sr) {
    const zl_registry_conf_t *c = sr->conf;
    int64_t top = 0; /* the highest id in this registry's range: imported ranges do not count */
    size_t b = 0;
    for (zl_hnode_t *n = zl_hmap_iter(&sr->st.ids, &b, NULL); n; n = zl_hmap_iter(&sr->st.ids, &b, n)) {
        int id = ZL_CONTAINER_OF(n, sr_schema_t, by_id)->id;
        if (id >= c->first_id && id <= c->last_id && id > top) top = id;
    }
    int64_t next = top ? top + 1 : c->first_id;
    return next > c->last_id ? -1 : (int)next;
}

int sr_mode_of(const zl_registry_t *sr, const char *subject) {
    const sr_subject_t *s = subject ? sr_subject_find(&sr->st, subject) : NULL;
    if (s && s->mode >= 0) return s->mode;
    return sr->st.mode >= 0 ? sr->st.mode : SR_READWRITE;
}

/* ---- writes ---- */

sr_write_t *sr_write_new(zl_registry_t *sr, zl_http_call_t *call, sr_write_done_t done) {
    sr_write_t *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->sr = sr;
    w->call = call;
    w->done = done;
    w->deadline = zl_now_ms() + sr->conf->write_timeout_ms;
    return w;
}

static void unlink_write(zl_registry_t *sr, sr_write_t *w) {
    sr_write_t **pp = &sr->writes, *prev = NULL;
    while (*pp && *pp != w) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp) return;
    *pp = w->next;
    if (sr->writes_tail == w) sr->writes_tail = prev;
}

static void finish(sr_write_t *w, zl_err_t err) {
    zl_registry_t *sr = w->sr;
    unlink_write(sr, w);
    if (err) zl_counter_inc(sr->c_write_failures);
    w->done(w, err);
    free(w->subject);
    free(w->text);
    free(w);
}

/* Writes whose record the reader has passed, or whose time is up. */
static void settle_writes(zl_registry_t *sr) {
    int64_t pos = zl_logreader_position(sr->logs[0].reader), now = zl_now_ms();
    sr_write_t *w = sr->writes;
    while (w) {
        sr_write_t *next = w->next;
        if (w->acked && pos > w->offset) finish(w, ZL_OK);
        else if (now >= w->deadline) finish(w, ZL_ERR_TIMEOUT);
        w = next;
    }
}

static void on_written(zl_dr_t *dr, zl_err_t err, const char *reason) {
    sr_write_t *w = (sr_write_t *)dr;
    if (err) {
        ZL_ERROR("registry", "write to %s failed: %s", w->sr->conf->topic, reason ? reason : zl_err2str(err));
        finish(w, ZL_ERR_KAFKA);
        return;
    }
    w->acked = true;
    w->offset = dr->offset;
}

void sr_write_start(zl_registry_t *sr, sr_write_t *w, const zl_buf_t *keys, const zl_buf_t *vals, int n) {
    w->dr = (zl_dr_t){.cb = on_written};
    if (sr->writes_tail) sr->writes_tail->next = w;
    else sr->writes = w;
    sr->writes_tail = w;
    w->next = NULL;
    zl_counter_inc(sr->c_writes);
    for (int i = 0; i < n; i++) {
        const zl_buf_t *v = vals ? &vals[i] : NULL;
        bool tomb = !v || !v->len;
        if (zl_producer_send_raw(sr->producer, sr->conf->topic, keys[i].data, keys[i].len, tomb ? NULL : v->data,
                                 tomb ? 0 : v->len, 0, i == n - 1 ? &w->dr : NULL)) {
            ZL_ERROR("registry", "cannot queue a record for %s", sr->conf->topic);
            finish(w, ZL_ERR_KAFKA);
            return;
        }
    }
}

/* ---- the loop ---- */

static void on_record(void *ctx, const zl_kmsg_t *m) {
    zl_registry_t *sr = ctx;
    sr_state_apply(&sr->st, m->key, m->key_len, m->value, m->value_len);
}

static void update_gauges(zl_registry_t *sr) {
    zl_gauge_set(sr->g_schemas, (int64_t)sr->st.ids.count);
    zl_gauge_set(sr->g_subjects, (int64_t)sr->st.subjects.count);
    zl_gauge_set(sr->g_position, zl_logreader_position(sr->logs[0].reader));
    zl_gauge_set(sr->g_skipped, (int64_t)sr->st.ignored);
}

static void on_reader_fd(void *ctx, uint32_t events) {
    log_t *l = ctx;
    (void)events;
    while (zl_logreader_serve(l->reader, 512) == 512) {
    }
    settle_writes(l->sr);
}

static void on_producer_fd(void *ctx, uint32_t events) {
    zl_registry_t *sr = ctx;
    (void)events;
    zl_producer_serve(sr->producer);
    settle_writes(sr);
}

static void on_serve_timer(zl_timer_t *t, void *ctx) {
    zl_registry_t *sr = ctx;
    zl_producer_serve(sr->producer);
    for (int i = 0; i < sr->n_logs; i++) zl_logreader_serve(sr->logs[i].reader, 512);
    settle_writes(sr);
    update_gauges(sr);
    zl_timer_arm(&sr->wheel, t, zl_now_ms() + SERVE_EVERY_MS);
}

/* Start-up: every log to its end, before anything is served (blocking is fine here). */
static zl_err_t read_to_end(zl_registry_t *sr, char *errstr, size_t n) {
    int64_t deadline = zl_now_ms() + sr->conf->init_timeout_ms;
    for (int i = 0; i < sr->n_logs; i++) {
        log_t *l = &sr->logs[i];
        while (!zl_logreader_at_end(l->reader)) {
            if (zl_now_ms() >= deadline) {
                snprintf(errstr, n, "%s not read to its end within registry.init.timeout.ms (%lld ms)", l->topic,
                         (long long)sr->conf->init_timeout_ms);
                return ZL_ERR_TIMEOUT;
            }
            if (!zl_logreader_serve(l->reader, 4096)) usleep(10 * 1000);
        }
    }
    return ZL_OK;
}

/* The registry's own topic, then each of registry.import.topics (created
 * when missing, so a registry can start before replication has begun). */
static zl_err_t open_logs(zl_registry_t *sr, char *errstr, size_t n) {
    const zl_registry_conf_t *conf = sr->conf;
    char *list = strdup(conf->import_topics ? conf->import_topics : "");
    if (!list) return ZL_ERR_NOMEM;
    const char *names[MAX_LOGS] = {conf->topic};
    int k = 1;
    zl_err_t e = ZL_OK;
    for (char *save = NULL, *t = strtok_r(list, ", ", &save); t && !e; t = strtok_r(NULL, ", ", &save)) {
        if (k == MAX_LOGS) e = zl_err_fmt(errstr, n, ZL_ERR_INVALID, "registry.import.topics: at most %d topics",
                                          MAX_LOGS - 1);
        else if (!strcmp(t, conf->topic))
            e = zl_err_fmt(errstr, n, ZL_ERR_INVALID, "registry.import.topics: %s is the registry's own topic", t);
        else names[k++] = t;
    }
    for (int i = 0; i < k && !e; i++) {
        char terr[256];
        if (zl_producer_ensure_log(sr->producer, names[i], 10000, terr, sizeof terr))
            ZL_WARN("registry", "%s; trying to read it anyway", terr);
        log_t *l = &sr->logs[sr->n_logs++];
        l->sr = sr;
        if (!(l->topic = strdup(names[i]))) e = zl_err_fmt(errstr, n, ZL_ERR_NOMEM, "out of memory");
        else if (!(l->reader = zl_logreader_new(conf->kafka.props, names[i], on_record, sr, 10000, errstr, n)))
            e = ZL_ERR_KAFKA;
    }
    free(list);
    return e;
}

static void init_metrics(zl_registry_t *sr) {
    zl_metrics_t *m = sr->metrics;
    sr->c_writes = zl_metrics_counter(m, "zeelos_registry_writes_total", NULL,
                                      "Writes (registrations, deletions, settings) sent to the registry's topic.");
    sr->c_write_failures = zl_metrics_counter(m, "zeelos_registry_write_failures_total", NULL,
                                              "Writes Kafka refused or that were not read back in time "
                                              "(registry.write.timeout.ms); answered with error 50001/50002.");
    sr->g_schemas = zl_metrics_gauge(m, "zeelos_registry_schemas", NULL, "Schemas known, by id.");
    sr->g_subjects = zl_metrics_gauge(m, "zeelos_registry_subjects", NULL, "Subjects known, deleted ones included.");
    sr->g_position = zl_metrics_gauge(m, "zeelos_registry_log_offset", NULL,
                                      "Offset of the next record of the registry's topic to read.");
    sr->g_skipped = zl_metrics_gauge(m, "zeelos_registry_log_records_skipped", NULL,
                                     "Records of the registry's topic skipped: malformed, or a claim of a version "
                                     "or id that an earlier record made first (logged).");
}

static bool reg_set(const char *s) { return s && *s; }

/* The TLS and auth settings fit together (checked before Kafka is touched). */
static bool reg_tls_conf_ok(const zl_registry_conf_t *conf, char *errstr, size_t n) {
    if (reg_set(conf->tls_cert) != reg_set(conf->tls_key)) {
        snprintf(errstr, n, "%s is set but %s is not (HTTPS needs both)",
                 reg_set(conf->tls_cert) ? "registry.tls.cert" : "registry.tls.key",
                 reg_set(conf->tls_cert) ? "registry.tls.key" : "registry.tls.cert");
        return false;
    }
    if (reg_set(conf->tls_ca) && !reg_set(conf->tls_cert)) {
        snprintf(errstr, n, "registry.tls.ca needs HTTPS: set registry.tls.cert and registry.tls.key");
        return false;
    }
    return true;
}

/* The HTTP(S) endpoint with the configured client certificate and basic
 * auth requirements. */
static zl_http_t *reg_http_start(zl_registry_t *sr, const zl_registry_conf_t *conf, char *errstr, size_t n) {
    char why[400];
    zl_http_t *h;
    if (reg_set(conf->tls_cert)) {
        h = zl_http_start_tls_ca(conf->host, conf->port, sr->metrics, conf->tls_cert, conf->tls_key, conf->tls_ca,
                                 why, sizeof why);
        if (!h) snprintf(errstr, n, "registry.tls: %s", why);
    } else {
        h = zl_http_start(conf->host, conf->port, sr->metrics, errstr, n);
    }
    if (!h) return NULL;
    if (reg_set(conf->auth_users)) {
        if (zl_http_require_basic(h, conf->auth_users, conf->auth_reads, why, sizeof why)) {
            snprintf(errstr, n, "registry.auth.users: %s", why);
            zl_http_stop(h);
            return NULL;
        }
        if (!reg_set(conf->tls_cert))
            ZL_WARN("registry", "registry.auth.users without registry.tls.cert: passwords cross the network "
                                "in clear text");
    }
    return h;
}

zl_registry_t *zl_registry_new(const zl_registry_conf_t *conf, char *errstr, size_t n) {
    if (!reg_tls_conf_ok(conf, errstr, n)) return NULL;
    zl_registry_t *sr = calloc(1, sizeof *sr);
    if (!sr) {
        snprintf(errstr, n, "out of memory");
        return NULL;
    }
    sr->conf = conf;
    if (conf->first_id > conf->last_id) {
        snprintf(errstr, n, "registry.id.first (%lld) is above registry.id.last (%lld)", (long long)conf->first_id,
                 (long long)conf->last_id);
        free(sr);
        return NULL;
    }
    zl_wheel_init(&sr->wheel, zl_now_ms());
    if (sr_state_init(&sr->st) || !(sr->metrics = zl_metrics_new())) {
        snprintf(errstr, n, "out of memory");
        goto fail;
    }
    init_metrics(sr);
    if (!(sr->producer = zl_producer_new(conf->kafka.props, sr->metrics, errstr, n))) goto fail;
    if (open_logs(sr, errstr, n) || read_to_end(sr, errstr, n)) goto fail;
    ZL_INFO("registry", "%s read%s%s: %zu schema(s), %zu subject(s), next id %d", conf->topic,
            sr->n_logs > 1 ? ", imported " : "", sr->n_logs > 1 ? conf->import_topics : "", sr->st.ids.count,
            sr->st.subjects.count, sr_next_id(sr));
    sr->loop = zl_loop_new(&(zl_loop_cfg_t){.wheel = &sr->wheel}, errstr, n);
    if (!sr->loop) goto fail;
    if (zl_loop_fd_add(sr->loop, &sr->w_producer, zl_producer_fd(sr->producer), ZL_LOOP_IN, on_producer_fd, sr)) {
        snprintf(errstr, n, "epoll: %s", strerror(errno));
        goto fail;
    }
    for (int i = 0; i < sr->n_logs; i++)
        if (zl_loop_fd_add(sr->loop, &sr->logs[i].w, zl_logreader_fd(sr->logs[i].reader), ZL_LOOP_IN, on_reader_fd,
                           &sr->logs[i])) {
            snprintf(errstr, n, "epoll: %s", strerror(errno));
            goto fail;
        }
    zl_timer_init(&sr->t_serve, on_serve_timer, sr);
    zl_timer_arm(&sr->wheel, &sr->t_serve, zl_now_ms() + SERVE_EVERY_MS);
    update_gauges(sr);
    if (!(sr->http = reg_http_start(sr, conf, errstr, n))) goto fail;
    zl_http_route_loop(sr->http, "/", sr->loop, sr_api_handle, sr);
    ZL_INFO("registry", "serving the Schema Registry API on %s://%s:%d%s%s, log %s on %s (librdkafka %s)",
            zl_http_is_tls(sr->http) ? "https" : "http", conf->host, zl_http_port(sr->http),
            reg_set(conf->tls_ca) ? ", client certificates required" : "",
            reg_set(conf->auth_users) ? (conf->auth_reads ? ", basic auth on every request"
                                                          : ", basic auth on writes") : "",
            conf->topic, conf->kafka.bootstrap_servers, zl_kafka_version());
    return sr;
fail:
    zl_registry_destroy(sr);
    return NULL;
}

int zl_registry_run(zl_registry_t *sr) {
    zl_err_t e = zl_loop_run(sr->loop);
    ZL_INFO("registry", "stopping");
    return e == ZL_OK ? 0 : 1;
}

void zl_registry_stop(zl_registry_t *sr) {
    if (sr->loop) zl_loop_stop(sr->loop);
}

void zl_registry_destroy(zl_registry_t *sr) {
    if (!sr) return;
    if (sr->http) zl_http_stop(sr->http);
    if (sr->loop) zl_loop_destroy(sr->loop);
    if (sr->producer) zl_producer_destroy(sr->producer, 2000); /* reports for writes in flight run here */
    while (sr->writes) finish(sr->writes, ZL_ERR_CANCELLED);
    for (int i = 0; i < sr->n_logs; i++) {
        zl_logreader_destroy(sr->logs[i].reader);
        free(sr->logs[i].topic);
    }
    sr_state_fini(&sr->st);
    zl_metrics_destroy(sr->metrics);
    free(sr);
}
