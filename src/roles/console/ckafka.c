/* SPDX-License-Identifier: Apache-2.0 */
/* The console's Kafka thread: two group consumers (registrations from the
 * beginning, observations and answers from the end), the producer of
 * management requests, and the serde.  It runs its own zl_loop so the loop
 * thread never waits for the schema registry: a writer schema fetched by id
 * or a request subject registered blocks this thread only.  Each record is
 * decoded here into one json_t and posted to the loop thread.
 *
 * The group ids are random per process: every console sees every partition
 * and commits nothing (its picture is rebuilt from the topics at start). */
#include "roles/console/console_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka/client.h"
#include "kafka/serde.h"
#include "kafka/subscriber.h"
#include "common/clock.h"
#include "common/log.h"

#define STATUS_MS 500
#define EMPTY_READY_MS 5000
#define MAX_TOPICS_REGISTERED 256

struct cn_kafka {
    const zl_console_conf_t *conf;
    zl_loop_t *main, *kl; /* the console's loop; this thread's */
    cn_rec_fn fn;
    void *fn_ctx;
    zl_serde_t *serde;
    zl_sub_t *regs, *live;
    zl_producer_t *prod;
    zl_loop_fd_t w_regs, w_live, w_prod;
    zl_timer_t t_status;
    pthread_t thread;
    bool started;
    int64_t started_ms;
    atomic_bool stopping;
    char *registered[MAX_TOPICS_REGISTERED]; /* request topics whose subjects are registered */
    size_t n_registered;
    zl_counter_t *c_undecodable, *c_records;
    size_t prefix_len;
};

/* A record on its way to the loop thread. */
typedef struct {
    cn_kafka_t *k;
    cn_rec_kind_t kind;
    char *gw, *ep;
    json_t *j;
} post_t;

static void deliver(void *ctx) {
    post_t *p = ctx;
    p->k->fn(p->k->fn_ctx, p->kind, p->gw, p->ep, p->j);
    free(p->gw);
    free(p->ep);
    free(p);
}

/* Hands j (owned) to the loop thread, waiting while its queue is full. */
static void post(cn_kafka_t *k, cn_rec_kind_t kind, const char *gw, const char *ep, json_t *j) {
    post_t *p = calloc(1, sizeof *p);
    if (!p || !(p->gw = strdup(gw ? gw : "")) || !(p->ep = strdup(ep ? ep : ""))) {
        if (p) free(p->gw);
        free(p);
        json_decref(j);
        return;
    }
    p->k = k;
    p->kind = kind;
    p->j = j;
    while (zl_loop_post(k->main, deliver, p) == ZL_ERR_FULL) {
        if (atomic_load(&k->stopping)) {
            free(p->gw);
            free(p->ep);
            free(p);
            json_decref(j);
            return;
        }
        usleep(2000); /* the loop is behind: hold the consumer back rather than drop */
    }
}

/* "iot.<gw>.<suffix>": the gateway id into out; false if topic is not one. */
static bool topic_gateway(const cn_kafka_t *k, const char *topic, const char *suffix, char *out, size_t cap) {
    size_t tl = strlen(topic), sl = strlen(suffix);
    if (tl <= k->prefix_len + sl || strncmp(topic, k->conf->topic_prefix, k->prefix_len) ||
        strcmp(topic + tl - sl, suffix))
        return false;
    size_t gl = tl - sl - k->prefix_len;
    if (gl >= cap) return false;
    memcpy(out, topic + k->prefix_len, gl);
    out[gl] = '\0';
    return true;
}

/* ---- decoding ---------------------------------------------------------- */

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *reg_json(const zl_registration_t *r) {
    static const char *const kinds[] = {"NEW", "UPDATE", "DELETE"};
    json_t *j = json_object();
    json_object_set_new(j, "kind", json_string(kinds[r->kind]));
    json_object_set_new(j, "lastUp", json_integer(r->last_up));
    if (r->kind == ZL_REG_DELETE) {
        json_object_set_new(j, "expired", json_boolean(r->expired));
        return j;
    }
    json_object_set_new(j, "registrationId", str_or_null(r->reg_id));
    char addr[300];
    snprintf(addr, sizeof addr, "%s:%d", r->address ? r->address : "", (int)r->port);
    json_object_set_new(j, "address", json_string(addr));
    if (r->kind == ZL_REG_NEW) {
        json_object_set_new(j, "registrationDate", json_integer(r->reg_date));
        json_object_set_new(j, "lwM2mVersion", str_or_null(r->ver));
        json_object_set_new(j, "rootPath", str_or_null(r->root));
    }
    if (r->has_lt) json_object_set_new(j, "lifetime", json_integer(r->lt));
    if (r->sms) json_object_set_new(j, "smsNumber", json_string(r->sms));
    if (r->binding || r->bnd) json_object_set_new(j, "bindingMode", json_string(r->binding ? r->binding : r->bnd));
    if (r->has_links || r->kind == ZL_REG_NEW) {
        json_t *links = json_array();
        for (size_t i = 0; i < r->n_links; i++) {
            json_t *at = json_object();
            for (size_t a = 0; a < r->links[i].n_at; a++)
                json_object_set_new(at, r->links[i].at[a].name,
                                    json_string(r->links[i].at[a].value ? r->links[i].at[a].value : ""));
            json_array_append_new(links, json_pack("{s:s,s:o}", "url", r->links[i].url, "attributes", at));
        }
        json_object_set_new(j, "objectLinks", links);
    }
    if (r->has_attrs || r->kind == ZL_REG_NEW) {
        json_t *at = json_object();
        for (size_t a = 0; a < r->n_attrs; a++)
            json_object_set_new(at, r->attrs[a].name, json_string(r->attrs[a].value ? r->attrs[a].value : ""));
        json_object_set_new(j, "additionalRegistrationAttributes", at);
    }
    return j;
}

static json_t *point_value(const zl_point_t *p) {
    switch (p->kind) {
    case ZL_PV_DOUBLE: return json_real(p->d);
    /* the records carry TIME in epoch ms (the seed's contract); the API in LwM2M's seconds */
    case ZL_PV_LONG: return json_integer(p->type && !strcmp(p->type, "TIME") ? p->l / 1000 : p->l);
    case ZL_PV_BOOLEAN: return json_boolean(p->b);
    default: return json_stringn_nocheck(p->s ? p->s : "", p->s ? p->s_len : 0);
    }
}

static json_t *obs_json(const zl_observe_t *o) {
    json_t *vals = json_array();
    for (size_t i = 0; i < o->n_points; i++)
        json_array_append_new(vals, json_pack("{s:s,s:s,s:o}", "path", o->points[i].path, "type",
                                              o->points[i].type, "value", point_value(&o->points[i])));
    json_t *j = json_object();
    json_object_set_new(j, "path", json_string(o->path ? o->path : ""));
    json_object_set_new(j, "ticket", json_string(o->ticket ? o->ticket : ""));
    json_object_set_new(j, "observationId", json_string(o->observation_id ? o->observation_id : ""));
    json_object_set_new(j, "timestamp", json_integer(o->timestamp));
    json_object_set_new(j, "code", json_string(o->code ? o->code : "UNKNOWN"));
    json_object_set_new(j, "kind", json_string(o->kind ? o->kind : ""));
    json_object_set_new(j, "values", vals);
    return j;
}

/* Avro JSON wraps union branches as {"<full name>": value}: the value. */
static json_t *unwrap(json_t *v) {
    if (json_is_object(v) && json_object_size(v) == 1) {
        const char *key = json_object_iter_key(json_object_iter(v));
        json_t *in = json_object_iter_value(json_object_iter(v));
        if (strchr(key, '.') || !strcmp(key, "string")) return in;
    }
    return v;
}

/* The texts of an answer's body (message, location, objectLinks) into j. */
static void response_texts(cn_kafka_t *k, const zl_kmsg_t *m, json_t *j) {
    zl_buf_t b = {0};
    char err[256];
    if (zl_serde_to_json(k->serde, m->value, m->value_len, &b, err, sizeof err) == ZL_OK) {
        json_t *v = json_loadb((const char *)b.data, b.len, 0, NULL);
        json_t *body = unwrap(json_object_get(json_object_get(v, "rep"), "body"));
        static const char *const keys[] = {"message", "location", "objectLinks"};
        for (size_t i = 0; i < 3; i++) {
            json_t *t = unwrap(json_object_get(body, keys[i]));
            if (json_is_string(t)) json_object_set(j, keys[i], t);
        }
        const char *ep = json_string_value(json_object_get(v, "ep"));
        if (ep) json_object_set_new(j, "endpoint", json_string(ep));
        json_decref(v);
    }
    zl_buf_free(&b);
}

/* A decode failed with ZL_ERR_IO (the registry cannot be reached): true to
 * try again after a pause (this thread may wait; the record must not be
 * skipped), false once the console stops. */
static bool retry_io(cn_kafka_t *k, const char *err, int *tries) {
    if (atomic_load(&k->stopping)) return false;
    if ((*tries)++ == 0) ZL_WARN("console", "schema registry unreachable, retrying: %s", err);
    usleep(500000);
    return true;
}

static void on_record(void *ctx, const zl_kmsg_t *m) {
    cn_kafka_t *k = ctx;
    char gw[256], err[512] = "";
    zl_counter_inc(k->c_records);
    if (!m->value) return; /* tombstone */
    if (topic_gateway(k, m->topic, ".registrations", gw, sizeof gw)) {
        zl_registration_t r = {0};
        zl_err_t e;
        int tries = 0;
        while ((e = zl_serde_decode_registration(k->serde, m->value, m->value_len, &r, err, sizeof err)) ==
                   ZL_ERR_IO &&
               retry_io(k, err, &tries)) {
        }
        if (e) {
            zl_counter_inc(k->c_undecodable);
            ZL_WARN("console", "%s [%d] @%lld: undecodable registration skipped: %s", m->topic, (int)m->partition,
                    (long long)m->offset, err);
        } else {
            post(k, CN_REC_REGISTRATION, gw, r.ep, reg_json(&r));
        }
        zl_registration_free(&r);
        return;
    }
    bool rep = topic_gateway(k, m->topic, ".management.rep", gw, sizeof gw);
    if (!rep && !topic_gateway(k, m->topic, ".observations", gw, sizeof gw)) return;
    zl_observe_t o = {0};
    zl_err_t e;
    int tries = 0;
    while ((e = rep ? zl_serde_decode_response(k->serde, m->value, m->value_len, &o, err, sizeof err)
                    : zl_serde_decode_observe(k->serde, m->value, m->value_len, &o, err, sizeof err)) == ZL_ERR_IO &&
           retry_io(k, err, &tries)) {
    }
    if (e) {
        zl_counter_inc(k->c_undecodable);
        ZL_WARN("console", "%s [%d] @%lld: undecodable record skipped: %s", m->topic, (int)m->partition,
                (long long)m->offset, err);
        zl_observe_free(&o);
        return;
    }
    json_t *j = obs_json(&o);
    char ep[300];
    snprintf(ep, sizeof ep, "%s", o.ep ? o.ep : "");
    zl_observe_free(&o);
    if (rep) response_texts(k, m, j);
    post(k, rep ? CN_REC_RESPONSE : CN_REC_OBSERVATION, gw, ep, j);
}

/* ---- sending requests -------------------------------------------------- */

typedef struct {
    zl_dr_t dr;
    cn_kafka_t *k;
    char *gw, *user, *ticket;
    zl_request_t *req;
} job_t;

static void job_free(job_t *jb) {
    if (jb->req) {
        zl_request_clear(jb->req);
        free(jb->req);
    }
    free(jb->gw);
    free(jb->user);
    free(jb->ticket);
    free(jb);
}

static void sent(job_t *jb, const char *error) {
    json_t *j = json_pack("{s:s,s:o}", "ticket", jb->ticket, "error", error ? json_string(error) : json_null());
    post(jb->k, CN_REC_SENT, jb->gw, "", j);
}

static void on_dr(zl_dr_t *dr, zl_err_t err, const char *reason) {
    job_t *jb = (job_t *)dr;
    sent(jb, err ? (reason ? reason : zl_err2str(err)) : NULL);
    job_free(jb);
}

static bool topic_registered(cn_kafka_t *k, const char *topic) {
    for (size_t i = 0; i < k->n_registered; i++)
        if (!strcmp(k->registered[i], topic)) return true;
    return false;
}

/* On the Kafka thread: encode (registering the subjects first if needed) and produce. */
static void send_job(void *ctx) {
    job_t *jb = ctx;
    cn_kafka_t *k = jb->k;
    char topic[400], err[512] = "";
    snprintf(topic, sizeof topic, "%s%s.management.req", k->conf->topic_prefix, jb->gw);
    if (!topic_registered(k, topic)) {
        if (zl_serde_register_topic(k->serde, topic, ZL_VAL_REQUEST, err, sizeof err)) {
            ZL_WARN("console", "%s: cannot register the request schema: %s", topic, err);
            sent(jb, err);
            job_free(jb);
            return;
        }
        if (k->n_registered < MAX_TOPICS_REGISTERED) k->registered[k->n_registered++] = strdup(topic);
    }
    zl_buf_t key = {0}, val = {0};
    zl_err_t e = zl_serde_key(k->serde, topic, jb->req->ep, &key);
    if (!e) e = zl_serde_request(k->serde, topic, jb->req, &val);
    if (!e) {
        const char *hdrs[] = {"zeelos-user", jb->user};
        jb->dr.cb = on_dr;
        e = zl_producer_send_hdrs(k->prod, topic, key.data, key.len, val.data, val.len, 0, hdrs, 1, &jb->dr);
    }
    zl_buf_free(&key);
    zl_buf_free(&val);
    if (e) {
        snprintf(err, sizeof err, "cannot produce to %s: %s", topic, zl_err2str(e));
        sent(jb, err);
        job_free(jb);
    }
}

zl_err_t cn_kafka_send(cn_kafka_t *k, const char *gateway, zl_request_t *req, const char *user) {
    job_t *jb = calloc(1, sizeof *jb);
    if (jb) {
        jb->k = k;
        jb->req = req;
        jb->gw = strdup(gateway);
        jb->user = strdup(user);
        jb->ticket = strdup(req->ticket);
    }
    if (!jb || !jb->gw || !jb->user || !jb->ticket) {
        if (jb) job_free(jb);
        else {
            zl_request_clear(req);
            free(req);
        }
        return ZL_ERR_NOMEM;
    }
    zl_err_t e = zl_loop_post(k->kl, send_job, jb);
    if (e) job_free(jb);
    return e;
}

/* ---- the thread --------------------------------------------------------- */

static void on_regs(void *ctx, uint32_t ev) {
    (void)ev;
    zl_sub_serve(((cn_kafka_t *)ctx)->regs, 256);
}
static void on_live(void *ctx, uint32_t ev) {
    (void)ev;
    zl_sub_serve(((cn_kafka_t *)ctx)->live, 256);
}
static void on_prod(void *ctx, uint32_t ev) {
    (void)ev;
    zl_producer_serve(((cn_kafka_t *)ctx)->prod);
}

typedef struct {
    cn_kafka_t *k;
    json_t *gws;
    bool regs_ready;
} status_t;

static void each_reg(void *ctx, const char *topic, int32_t part, bool caught_up) {
    status_t *st = ctx;
    char gw[256];
    (void)part;
    if (!caught_up) st->regs_ready = false;
    if (topic_gateway(st->k, topic, ".registrations", gw, sizeof gw) && !json_object_get(st->gws, gw))
        json_object_set_new(st->gws, gw, json_pack("{s:b}", "live", 0));
}

static void each_live(void *ctx, const char *topic, int32_t part, bool caught_up) {
    status_t *st = ctx;
    char gw[256];
    (void)part;
    (void)caught_up;
    if (topic_gateway(st->k, topic, ".management.rep", gw, sizeof gw))
        json_object_set_new(st->gws, gw, json_pack("{s:b}", "live", 1));
}

/* Every STATUS_MS: serves the consumers (their timers) and tells the loop
 * which gateways are followed and whether the registrations are read. */
static void on_status(zl_timer_t *t, void *ctx) {
    cn_kafka_t *k = ctx;
    zl_sub_serve(k->regs, 256);
    zl_sub_serve(k->live, 256);
    zl_producer_serve(k->prod);
    /* nothing assigned for a while: no registration topic exists yet, nothing to read */
    bool none = zl_sub_assigned(k->regs) == 0;
    status_t st = {.k = k, .gws = json_object(), .regs_ready = !none || zl_now_ms() - k->started_ms > EMPTY_READY_MS};
    zl_sub_each(k->live, each_live, &st);
    zl_sub_each(k->regs, each_reg, &st);
    post(k, CN_REC_TOPICS, "", "", json_pack("{s:b,s:o}", "ready", st.regs_ready, "gateways", st.gws));
    zl_timer_arm(zl_loop_wheel(k->kl), t, zl_now_ms() + STATUS_MS);
}

static void *run(void *arg) {
    cn_kafka_t *k = arg;
    zl_loop_run(k->kl);
    return NULL;
}

/* The topic list of one kind: names for the configured gateways, else a pattern. */
static void topics_of(const cn_kafka_t *k, const char *suffix, char *out, size_t cap) {
    const char *gws = k->conf->gateways;
    size_t at = 0;
    out[0] = '\0';
    if (!gws || !*gws) {
        at += (size_t)snprintf(out, cap, "^");
        for (const char *p = k->conf->topic_prefix; *p && at + 3 < cap; p++) {
            if (strchr(".^$*+?()[]{}|\\", *p)) out[at++] = '\\';
            out[at++] = *p;
        }
        snprintf(out + at, cap - at, ".+%s$", suffix);
        return;
    }
    char *list = strdup(gws), *save = NULL;
    for (char *g = list ? strtok_r(list, ", ", &save) : NULL; g && at < cap; g = strtok_r(NULL, ", ", &save))
        at += (size_t)snprintf(out + at, cap - at, "%s%s%s%s", at ? "," : "", k->conf->topic_prefix, g, suffix);
    free(list);
}

cn_kafka_t *cn_kafka_new(const zl_console_conf_t *conf, zl_metrics_t *m, zl_loop_t *loop, cn_rec_fn fn,
                         void *ctx, char *errstr, size_t n) {
    cn_kafka_t *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(errstr, n, "out of memory");
        return NULL;
    }
    k->conf = conf;
    k->main = loop;
    k->fn = fn;
    k->fn_ctx = ctx;
    k->prefix_len = strlen(conf->topic_prefix);
    k->c_undecodable = zl_metrics_counter(m, "zeelos_console_undecodable_total", NULL,
                                          "Records the console could not decode (skipped, logged).");
    k->c_records = zl_metrics_counter(m, "zeelos_console_records_total", NULL, "Records consumed.");
    char group[64] = "zeelos-console-", topics[8192], t2[4096];
    if (zl_auth_random_token(9, group + strlen(group), sizeof group - strlen(group))) {
        snprintf(errstr, n, "no random bytes for the consumer group id");
        goto fail;
    }
    if (!(k->kl = zl_loop_new(&(zl_loop_cfg_t){0}, errstr, n)) ||
        !(k->serde = zl_serde_new_kc(conf->kafka.format, &conf->kafka, errstr, n)))
        goto fail;
    topics_of(k, ".registrations", topics, sizeof topics);
    zl_sub_opts_t o = {.role = "console", .labels = "consumer=\"registrations\"", .metadata_refresh_ms = 2000};
    if (!(k->regs = zl_sub_new_opts(conf->kafka.props, group, topics, &o, m, on_record, k, errstr, n))) goto fail;
    topics_of(k, ".observations", topics, sizeof topics);
    topics_of(k, ".management.rep", t2, sizeof t2);
    size_t tl = strlen(topics);
    snprintf(topics + tl, sizeof topics - tl, ",%s", t2);
    strcat(group, "-live");
    o = (zl_sub_opts_t){.role = "console", .labels = "consumer=\"live\"", .offset_reset = "latest",
                        .metadata_refresh_ms = 2000};
    if (!(k->live = zl_sub_new_opts(conf->kafka.props, group, topics, &o, m, on_record, k, errstr, n))) goto fail;
    if (!(k->prod = zl_producer_new(conf->kafka.props, m, errstr, n))) goto fail;
    if (zl_loop_fd_add(k->kl, &k->w_regs, zl_sub_fd(k->regs), ZL_LOOP_IN, on_regs, k) ||
        zl_loop_fd_add(k->kl, &k->w_live, zl_sub_fd(k->live), ZL_LOOP_IN, on_live, k) ||
        zl_loop_fd_add(k->kl, &k->w_prod, zl_producer_fd(k->prod), ZL_LOOP_IN, on_prod, k)) {
        snprintf(errstr, n, "epoll refused a Kafka descriptor");
        goto fail;
    }
    zl_timer_init(&k->t_status, on_status, k);
    zl_timer_arm(zl_loop_wheel(k->kl), &k->t_status, zl_now_ms() + 50);
    return k;
fail:
    cn_kafka_destroy(k);
    return NULL;
}

zl_err_t cn_kafka_start(cn_kafka_t *k, char *errstr, size_t n) {
    k->started_ms = zl_now_ms();
    if (pthread_create(&k->thread, NULL, run, k)) {
        snprintf(errstr, n, "cannot start the Kafka thread");
        return ZL_ERR_IO;
    }
    k->started = true;
    return ZL_OK;
}

void cn_kafka_stop(cn_kafka_t *k) {
    if (!k) return;
    atomic_store(&k->stopping, true);
    if (k->kl) zl_loop_stop(k->kl);
}

void cn_kafka_destroy(cn_kafka_t *k) {
    if (!k) return;
    cn_kafka_stop(k);
    if (k->started) pthread_join(k->thread, NULL);
    if (k->kl) zl_loop_destroy(k->kl); /* runs jobs still queued: they fail as "stopping" below */
    if (k->prod) zl_producer_destroy(k->prod, 2000);
    zl_sub_destroy(k->live);
    zl_sub_destroy(k->regs);
    zl_serde_destroy(k->serde);
    for (size_t i = 0; i < k->n_registered; i++) free(k->registered[i]);
    free(k);
}
