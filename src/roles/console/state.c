/* SPDX-License-Identifier: Apache-2.0 */
/* What the console knows, owned by the loop thread: gateways and devices as
 * the registration topics tell them (queue-mode sleep as the gateways judge
 * it: heard from within console.queue.awake.ms), the management requests
 * waiting for their answers, the event log and the SSE streams.
 *
 * Every record from the Kafka thread lands in cn_state_record(), which
 * updates the picture and publishes an event; an answer whose ticket is
 * pending completes the API call that waits for it. */
#include "roles/console/console_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"

#define IDLE_MS (5 * 60 * 1000)     /* a gateway silent this long is "idle" */
#define LATE_KEEP_MS (10 * 60 * 1000) /* a timed-out request still waits this long for a late answer */
#define LIFETIME_GRACE_MS 15000
#define SWEEP_MS 1000

typedef struct cn_gw {
    struct cn_gw *next;
    char *id;
    bool live;             /* its management.rep is assigned: answers can be seen */
    int64_t last_seen;     /* wall ms of the last record from it, 0 = none */
    int64_t unanswered_at; /* wall ms of a request that timed out, cleared by any later record */
    size_t n[3];           /* scratch of cn_state_gateways: online, sleeping, offline */
} cn_gw_t;

typedef struct {
    zl_hnode_t hn;
    cn_gw_t *g;            /* its gateway (gateways are never removed) */
    char *gw, *ep;
    json_t *client;        /* registration fields as the records gave them */
    int64_t last_update, last_seen, dereg_at;
    int64_t lifetime_s;
    bool queue, deregistered, expired, asleep;
} cn_dev_t;

struct cn_pending {
    cn_pending_t *next, *prev;
    char *ticket, *gw, *ep;
    zl_http_call_t *call; /* NULL once answered (timeout, queued) */
    json_t *info;         /* base fields of the answer */
    zl_timer_t timer;
    int64_t t0, expire;   /* monotonic ms */
    bool sleeping;
    cn_state_t *s;
};

typedef struct cn_stream {
    struct cn_stream *next;
    zl_http_stream_t *st;
    char *gw, *ep;
} cn_stream_t;

struct cn_state {
    const zl_console_conf_t *conf;
    zl_loop_t *loop;
    zl_hmap_t devs;
    size_t n_devs;
    cn_gw_t *gws;
    cn_pending_t *pending;
    size_t n_pending;
    cn_stream_t *streams;
    json_t **ring;
    size_t ring_cap, ring_head, ring_n;
    bool ready, closing;
    zl_timer_t sweep;
    zl_counter_t *c_events, *c_late, *c_sse_dropped;
    zl_gauge_t *g_devices, *g_streams, *g_pending;
};

/* ---- gateways and devices ---------------------------------------------- */

static cn_gw_t *gw_get(cn_state_t *s, const char *id, bool create) {
    for (cn_gw_t *g = s->gws; g; g = g->next)
        if (!strcmp(g->id, id)) return g;
    if (!create || !*id) return NULL;
    cn_gw_t *g = calloc(1, sizeof *g), **at = &s->gws;
    if (!g || !(g->id = strdup(id))) {
        free(g);
        return NULL;
    }
    while (*at && strcmp((*at)->id, id) < 0) at = &(*at)->next; /* sorted by id */
    g->next = *at;
    *at = g;
    return g;
}

static uint64_t dev_hash(const cn_state_t *s, const char *gw, const char *ep) {
    return zl_hash_bytes(zl_hash_bytes(s->devs.seed, gw, strlen(gw) + 1), ep, strlen(ep));
}

static cn_dev_t *dev_get(cn_state_t *s, const char *gw, const char *ep) {
    for (zl_hnode_t *h = zl_hmap_first(&s->devs, dev_hash(s, gw, ep)); h; h = zl_hmap_next_same(h)) {
        cn_dev_t *d = (cn_dev_t *)h;
        if (!strcmp(d->gw, gw) && !strcmp(d->ep, ep)) return d;
    }
    return NULL;
}

static cn_dev_t *dev_add(cn_state_t *s, const char *gw, const char *ep) {
    cn_gw_t *g = gw_get(s, gw, true);
    cn_dev_t *d = g ? calloc(1, sizeof *d) : NULL;
    if (!d || !(d->gw = strdup(gw)) || !(d->ep = strdup(ep)) || !(d->client = json_object()) ||
        zl_hmap_insert(&s->devs, &d->hn, dev_hash(s, gw, ep))) {
        if (d) {
            free(d->gw);
            free(d->ep);
            json_decref(d->client);
        }
        free(d);
        return NULL;
    }
    d->g = g;
    s->n_devs++;
    zl_gauge_set(s->g_devices, (int64_t)s->n_devs);
    return d;
}

static const char *dev_status(const cn_dev_t *d, int64_t now) {
    if (d->deregistered) return "offline";
    if (d->lifetime_s > 0 && now > d->last_update + d->lifetime_s * 1000 + LIFETIME_GRACE_MS) return "offline";
    return d->queue && d->asleep ? "sleeping" : "online";
}

static json_t *client_json(const cn_dev_t *d, int64_t now) {
    json_t *j = json_deep_copy(d->client);
    json_object_set_new(j, "endpoint", json_string(d->ep));
    json_object_set_new(j, "gateway", json_string(d->gw));
    json_object_set_new(j, "lastUpdate", json_integer(d->last_update));
    json_object_set_new(j, "lastSeen", json_integer(d->last_seen));
    json_object_set_new(j, "queueMode", json_boolean(d->queue));
    json_object_set_new(j, "lifetime", json_integer(d->lifetime_s));
    json_object_set_new(j, "status", json_string(dev_status(d, now)));
    json_object_set_new(j, "deregistration", d->deregistered ? json_pack("{s:I,s:b}", "at", (json_int_t)d->dereg_at,
                                                                          "expired", d->expired)
                                                              : json_null());
    static const char *const defaults[] = {"registrationId", "registrationDate", "address", "lwM2mVersion",
                                           "bindingMode", "smsNumber", "rootPath"};
    for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++)
        if (!json_object_get(j, defaults[i])) json_object_set_new(j, defaults[i], json_null());
    if (!json_object_get(j, "objectLinks")) json_object_set_new(j, "objectLinks", json_array());
    if (!json_object_get(j, "additionalRegistrationAttributes"))
        json_object_set_new(j, "additionalRegistrationAttributes", json_object());
    return j;
}

/* ---- events ------------------------------------------------------------- */

static void stream_drop(cn_state_t *s, cn_stream_t **at) {
    cn_stream_t *x = *at;
    *at = x->next;
    free(x->gw);
    free(x->ep);
    free(x);
    zl_gauge_add(s->g_streams, -1);
}

void cn_state_event(cn_state_t *s, const char *type, const char *gateway, const char *ep, json_t *data) {
    if (!data) return;
    json_object_set_new(data, "gateway", json_string(gateway ? gateway : ""));
    if (ep && *ep) json_object_set_new(data, "endpoint", json_string(ep));
    zl_counter_inc(s->c_events);
    char *text = s->streams ? json_dumps(data, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL; /* only for SSE */
    if (text) {
        zl_buf_t b = {0};
        zl_buf_printf(&b, "event: %s\ndata: %s\n\n", type, text);
        for (cn_stream_t **at = &s->streams; *at;) {
            cn_stream_t *x = *at;
            if ((x->gw && strcmp(x->gw, gateway ? gateway : "")) || (x->ep && (!ep || strcmp(x->ep, ep)))) {
                at = &x->next;
                continue;
            }
            zl_err_t e = zl_http_stream_write(x->st, b.data, b.len);
            if (e) { /* FULL: the client does not keep up; CANCELLED: it left (on_close is skipped now) */
                if (e == ZL_ERR_FULL) {
                    zl_counter_inc(s->c_sse_dropped);
                    ZL_WARN("console", "an event stream fell behind and is closed (counted in "
                                       "zeelos_console_sse_dropped_total)");
                }
                zl_http_stream_close(x->st);
                stream_drop(s, at);
                continue;
            }
            at = &x->next;
        }
        zl_buf_free(&b);
        free(text);
    }
    if (s->ready || !strcmp(type, "request") || !strcmp(type, "response")) {
        json_object_set_new(data, "type", json_string(type));
        json_object_set_new(data, "at", json_integer(zl_wall_ms()));
        size_t slot = (s->ring_head + s->ring_n) % s->ring_cap;
        if (s->ring_n == s->ring_cap) {
            json_decref(s->ring[s->ring_head]);
            s->ring_head = (s->ring_head + 1) % s->ring_cap;
            slot = (s->ring_head + s->ring_n - 1) % s->ring_cap;
        } else {
            s->ring_n++;
        }
        s->ring[slot] = data;
    } else {
        json_decref(data);
    }
}

json_t *cn_state_log(cn_state_t *s, size_t limit) {
    json_t *a = json_array();
    size_t n = limit < s->ring_n ? limit : s->ring_n;
    for (size_t i = s->ring_n - n; i < s->ring_n; i++)
        json_array_append(a, s->ring[(s->ring_head + i) % s->ring_cap]);
    return a;
}

static void heard(cn_state_t *s, cn_dev_t *d, int64_t at) {
    if (at > d->last_seen) d->last_seen = at;
    if (d->asleep) {
        d->asleep = false;
        cn_state_event(s, "awake", d->gw, d->ep, json_object());
    }
}

/* ---- records ------------------------------------------------------------ */

static void on_registration(cn_state_t *s, const char *gw, const char *ep, json_t *j) {
    const char *kind = json_string_value(json_object_get(j, "kind"));
    int64_t up = json_integer_value(json_object_get(j, "lastUp"));
    cn_dev_t *d = dev_get(s, gw, ep);
    if (!d && !(d = dev_add(s, gw, ep))) return;
    int64_t now = zl_wall_ms();
    if (!strcmp(kind, "DELETE")) {
        d->deregistered = true;
        d->expired = json_is_true(json_object_get(j, "expired"));
        d->dereg_at = up;
        d->asleep = false;
        cn_state_event(s, "deregistration", gw, ep, json_pack("{s:b}", "expired", d->expired));
        return;
    }
    bool fresh = !strcmp(kind, "NEW");
    if (fresh) {
        json_object_clear(d->client);
        d->deregistered = d->expired = d->asleep = false;
        d->last_seen = 0;
    }
    json_object_del(j, "kind");
    json_object_del(j, "lastUp");
    json_t *lt = json_object_get(j, "lifetime");
    if (lt) d->lifetime_s = json_integer_value(lt);
    json_object_update(d->client, j);
    const char *b = json_string_value(json_object_get(d->client, "bindingMode"));
    d->queue = b && strchr(b, 'Q');
    d->last_update = up;
    d->deregistered = false;
    heard(s, d, up > now ? now : up);
    cn_state_event(s, fresh ? "registration" : "update", gw, ep, json_pack("{s:o}", "client", client_json(d, now)));
}

static void pending_free(cn_state_t *s, cn_pending_t *p) {
    if (p->prev) p->prev->next = p->next;
    else s->pending = p->next;
    if (p->next) p->next->prev = p->prev;
    zl_timer_disarm(zl_loop_wheel(s->loop), &p->timer);
    s->n_pending--;
    zl_gauge_set(s->g_pending, (int64_t)s->n_pending);
    json_decref(p->info);
    free(p->ticket);
    free(p->gw);
    free(p->ep);
    free(p);
}

static cn_pending_t *pending_find(cn_state_t *s, const char *ticket) {
    for (cn_pending_t *p = s->pending; p; p = p->next)
        if (!strcmp(p->ticket, ticket)) return p;
    return NULL;
}

static bool success_code(const char *c) {
    return !strcmp(c, "CREATED") || !strcmp(c, "DELETED") || !strcmp(c, "CHANGED") || !strcmp(c, "CONTENT");
}

static void on_response(cn_state_t *s, const char *gw, const char *ep, json_t *j) {
    const char *ticket = json_string_value(json_object_get(j, "ticket"));
    const char *code = json_string_value(json_object_get(j, "code"));
    cn_pending_t *p = ticket ? pending_find(s, ticket) : NULL;
    json_t *ans = p ? json_deep_copy(p->info) : json_object();
    json_object_set(ans, "ticket", json_object_get(j, "ticket"));
    json_object_set_new(ans, "gateway", json_string(gw));
    if (!p) {
        json_object_set_new(ans, "endpoint", json_string(ep));
        json_object_set(ans, "kind", json_object_get(j, "kind"));
        json_object_set(ans, "path", json_object_get(j, "path"));
    }
    json_object_set_new(ans, "code", json_string(code));
    json_object_set_new(ans, "success", json_boolean(success_code(code)));
    json_object_set(ans, "values", json_object_get(j, "values"));
    static const char *const texts[] = {"message", "location", "objectLinks"};
    for (size_t i = 0; i < 3; i++)
        if (json_object_get(j, texts[i])) json_object_set(ans, texts[i], json_object_get(j, texts[i]));
    char who[512];
    snprintf(who, sizeof who, "%s", p ? p->ep : ep); /* error answers may carry the gateway id as ep */
    if (p) {
        json_object_set_new(ans, "elapsedMs", json_integer(zl_now_ms() - p->t0));
        if (p->call) {
            cn_reply_json(p->call, 200, json_deep_copy(ans));
            p->call = NULL;
        } else {
            zl_counter_inc(s->c_late);
        }
        pending_free(s, p);
    }
    cn_state_event(s, "response", gw, who, ans);
}

static void on_sent(cn_state_t *s, json_t *j) {
    const char *err = json_string_value(json_object_get(j, "error"));
    cn_pending_t *p = pending_find(s, json_string_value(json_object_get(j, "ticket")));
    if (!err || !p) return;
    ZL_WARN("console", "request %s to %s/%s not sent: %s", p->ticket, p->gw, p->ep, err);
    if (p->call) cn_reply_error(p->call, 503, "unavailable", "Kafka did not take the request: %s", err);
    p->call = NULL;
    pending_free(s, p);
}

static void on_topics(cn_state_t *s, json_t *j) {
    if (json_is_true(json_object_get(j, "ready")) && !s->ready) {
        s->ready = true;
        ZL_INFO("console", "registrations read: %zu device(s) on %s", s->n_devs, s->gws ? "" : "no gateway");
    }
    const char *id;
    json_t *v;
    for (cn_gw_t *g = s->gws; g; g = g->next) g->live = false;
    json_object_foreach(json_object_get(j, "gateways"), id, v) {
        cn_gw_t *g = gw_get(s, id, true);
        if (g) g->live = json_is_true(json_object_get(v, "live"));
    }
}

void cn_state_record(void *ctx, cn_rec_kind_t kind, const char *gateway, const char *ep, json_t *j) {
    cn_state_t *s = ctx;
    if (s->closing) json_decref(j); /* posted before the stop, run by zl_loop_destroy */
    else if (kind == CN_REC_TOPICS) on_topics(s, j);
    else if (kind == CN_REC_SENT) on_sent(s, j);
    else {
        cn_gw_t *g = gw_get(s, gateway, true);
        int64_t now = zl_wall_ms();
        if (g) {
            g->last_seen = now;
            g->unanswered_at = 0;
        }
        if (kind == CN_REC_REGISTRATION) {
            on_registration(s, gateway, ep, j);
        } else {
            cn_dev_t *d = *ep ? dev_get(s, gateway, ep) : NULL;
            if (d) heard(s, d, now);
            if (kind == CN_REC_RESPONSE) {
                on_response(s, gateway, ep, j);
            } else {
                bool send = !strcmp(json_string_value(json_object_get(j, "ticket")), "send");
                json_t *ev = send ? json_pack("{s:O,s:O}", "timestamp", json_object_get(j, "timestamp"), "values",
                                              json_object_get(j, "values"))
                                  : json_pack("{s:O,s:O,s:O,s:O,s:O}", "path", json_object_get(j, "path"),
                                              "observationId", json_object_get(j, "observationId"), "timestamp",
                                              json_object_get(j, "timestamp"), "code", json_object_get(j, "code"),
                                              "values", json_object_get(j, "values"));
                cn_state_event(s, send ? "send" : "notification", gateway, ep, ev);
            }
        }
    }
    json_decref(j);
}

/* ---- queries ------------------------------------------------------------ */

bool cn_state_ready(const cn_state_t *s) { return s->ready; }

json_t *cn_state_gateways(cn_state_t *s, int64_t now) {
    json_t *a = json_array();
    for (cn_gw_t *g = s->gws; g; g = g->next) g->n[0] = g->n[1] = g->n[2] = 0;
    size_t b = 0;
    for (zl_hnode_t *h = zl_hmap_iter(&s->devs, &b, NULL); h; h = zl_hmap_iter(&s->devs, &b, h)) {
        cn_dev_t *d = (cn_dev_t *)h;
        const char *st = dev_status(d, now);
        d->g->n[*st == 's' ? 1 : st[1] == 'n' ? 0 : 2]++; /* sleeping, online, offline */
    }
    for (cn_gw_t *g = s->gws; g; g = g->next) {
        size_t on = g->n[0], sl = g->n[1], off = g->n[2], tot = on + sl + off, pend = 0;
        for (cn_pending_t *p = s->pending; p; p = p->next)
            if (p->call && !strcmp(p->gw, g->id)) pend++;
        const char *health = g->unanswered_at ? "unresponsive" : (!g->last_seen || now - g->last_seen > IDLE_MS) ? "idle"
                                                                                                                : "ok";
        const char *pre = s->conf->topic_prefix;
        char t[4][400];
        snprintf(t[0], sizeof t[0], "%s%s.registrations", pre, g->id);
        snprintf(t[1], sizeof t[1], "%s%s.observations", pre, g->id);
        snprintf(t[2], sizeof t[2], "%s%s.management.req", pre, g->id);
        snprintf(t[3], sizeof t[3], "%s%s.management.rep", pre, g->id);
        json_array_append_new(
            a, json_pack("{s:s,s:{s:s,s:s,s:s,s:s},s:{s:I,s:I,s:I,s:I},s:o,s:s,s:I,s:b}", "id", g->id, "topics",
                         "registrations", t[0], "observations", t[1], "requests", t[2], "responses", t[3], "devices",
                         "total", (json_int_t)tot, "online", (json_int_t)on, "sleeping", (json_int_t)sl, "offline",
                         (json_int_t)off, "lastSeen", g->last_seen ? json_integer(g->last_seen) : json_null(), "health",
                         health, "pendingRequests", (json_int_t)pend, "live", g->live));
    }
    return a;
}

static int cmp_clients(const void *a, const void *b) {
    const cn_dev_t *x = *(cn_dev_t *const *)a, *y = *(cn_dev_t *const *)b;
    int c = strcmp(x->gw, y->gw);
    return c ? c : strcmp(x->ep, y->ep);
}

json_t *cn_state_clients(cn_state_t *s, const char *gateway, const char *status, const char *q, int64_t now) {
    cn_dev_t **v = malloc((s->n_devs + 1) * sizeof *v);
    size_t n = 0, b = 0;
    for (zl_hnode_t *h = zl_hmap_iter(&s->devs, &b, NULL); v && h; h = zl_hmap_iter(&s->devs, &b, h)) {
        cn_dev_t *d = (cn_dev_t *)h;
        if ((gateway && *gateway && strcmp(d->gw, gateway)) || (status && *status && strcmp(dev_status(d, now), status)) ||
            (q && *q && !strstr(d->ep, q)))
            continue;
        v[n++] = d;
    }
    if (n) qsort(v, n, sizeof *v, cmp_clients);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, client_json(v[i], now));
    free(v);
    return a;
}

/* The device ep on gateway (any gateway if NULL): NULL, or *ambiguous. */
static cn_dev_t *find_client(cn_state_t *s, const char *gateway, const char *ep, bool *ambiguous) {
    *ambiguous = false;
    if (gateway && *gateway) return dev_get(s, gateway, ep);
    cn_dev_t *found = NULL;
    for (cn_gw_t *g = s->gws; g; g = g->next) {
        cn_dev_t *d = dev_get(s, g->id, ep);
        if (d && found) *ambiguous = true;
        if (d && !found) found = d;
    }
    return found;
}

zl_err_t cn_state_client(cn_state_t *s, const char *gateway, const char *ep, int64_t now, json_t **json,
                         const char **gw_out) {
    bool amb;
    cn_dev_t *d = find_client(s, gateway, ep, &amb);
    if (amb) return ZL_ERR_INVALID;
    if (!d) return ZL_ERR_NOT_FOUND;
    if (json) *json = client_json(d, now);
    if (gw_out) *gw_out = d->gw;
    return ZL_OK;
}

bool cn_state_sleeping(cn_state_t *s, const char *gateway, const char *ep, int64_t now) {
    cn_dev_t *d = dev_get(s, gateway, ep);
    return d && !strcmp(dev_status(d, now), "sleeping");
}

bool cn_state_gateway_live(cn_state_t *s, const char *gateway) {
    cn_gw_t *g = gw_get(s, gateway, false);
    return g && g->live;
}

/* ---- pending requests ---------------------------------------------------- */

static void on_pending_timer(zl_timer_t *t, void *ctx) {
    cn_pending_t *p = ctx;
    cn_state_t *s = p->s;
    (void)t;
    if (!p->call) { /* kept for a late answer long enough */
        pending_free(s, p);
        return;
    }
    int64_t now = zl_wall_ms();
    const char *ep = p->ep, *gw = p->gw;
    if (p->sleeping || cn_state_sleeping(s, gw, ep, now)) {
        char msg[600];
        snprintf(msg, sizeof msg, "%s is sleeping: %s holds the request until it wakes up", ep, gw);
        cn_reply_json(p->call, 202,
                      json_pack("{s:s,s:s,s:s,s:s}", "ticket", p->ticket, "status", "queued", "message", msg, "gateway", gw));
    } else {
        cn_gw_t *g = gw_get(s, gw, false);
        if (g && !g->unanswered_at) g->unanswered_at = now;
        char msg[600];
        snprintf(msg, sizeof msg, "no answer from %s for %s within %lld ms", gw, ep,
                 (long long)(zl_now_ms() - p->t0));
        cn_reply_json(p->call, 504, json_pack("{s:s,s:s,s:s}", "code", "timeout", "ticket", p->ticket, "message", msg));
    }
    p->call = NULL;
    zl_timer_arm(zl_loop_wheel(s->loop), &p->timer, p->expire);
}

zl_err_t cn_state_pending_add(cn_state_t *s, const char *ticket, const char *gateway, const char *ep,
                              zl_http_call_t *call, int64_t timeout_ms, bool sleeping, json_t *info) {
    if (s->n_pending >= (size_t)s->conf->max_pending) { /* drop the oldest kept only for a late answer */
        cn_pending_t *old = NULL;
        for (cn_pending_t *p = s->pending; p; p = p->next)
            if (!p->call) old = p;
        if (!old) {
            json_decref(info);
            return ZL_ERR_FULL;
        }
        pending_free(s, old);
    }
    cn_pending_t *p = calloc(1, sizeof *p);
    if (!p || !(p->ticket = strdup(ticket)) || !(p->gw = strdup(gateway)) || !(p->ep = strdup(ep))) {
        if (p) {
            free(p->ticket);
            free(p->gw);
        }
        free(p);
        json_decref(info);
        return ZL_ERR_NOMEM;
    }
    p->s = s;
    p->call = call;
    p->info = info;
    p->sleeping = sleeping;
    p->t0 = zl_now_ms();
    p->expire = p->t0 + LATE_KEEP_MS;
    zl_timer_init(&p->timer, on_pending_timer, p);
    zl_timer_arm(zl_loop_wheel(s->loop), &p->timer, p->t0 + timeout_ms);
    p->next = s->pending;
    if (s->pending) s->pending->prev = p;
    s->pending = p;
    s->n_pending++;
    zl_gauge_set(s->g_pending, (int64_t)s->n_pending);
    return ZL_OK;
}

size_t cn_state_pending_count(const cn_state_t *s) { return s->n_pending; }

/* ---- streams --------------------------------------------------------------- */

void cn_state_stream_add(cn_state_t *s, zl_http_stream_t *st, const char *gateway, const char *ep) {
    cn_stream_t *x = calloc(1, sizeof *x);
    if (!x) {
        zl_http_stream_close(st);
        return;
    }
    x->st = st;
    x->gw = gateway && *gateway ? strdup(gateway) : NULL;
    x->ep = ep && *ep ? strdup(ep) : NULL;
    x->next = s->streams;
    s->streams = x;
    zl_gauge_add(s->g_streams, 1);
    static const char hello[] = ": zeelos console events\n\n";
    zl_http_stream_write(st, hello, sizeof hello - 1);
}

void cn_state_stream_closed(void *ctx, zl_http_stream_t *st) {
    cn_state_t *s = ctx;
    for (cn_stream_t **at = &s->streams; *at; at = &(*at)->next)
        if ((*at)->st == st) {
            stream_drop(s, at);
            return;
        }
}

void cn_state_streams_close(cn_state_t *s) {
    while (s->streams) {
        zl_http_stream_close(s->streams->st);
        stream_drop(s, &s->streams);
    }
}

/* ---- life ------------------------------------------------------------------ */

/* Every second: queue-mode devices not heard from within queue.awake.ms fall asleep. */
static void on_sweep(zl_timer_t *t, void *ctx) {
    cn_state_t *s = ctx;
    int64_t now = zl_wall_ms();
    size_t b = 0;
    for (zl_hnode_t *h = zl_hmap_iter(&s->devs, &b, NULL); h; h = zl_hmap_iter(&s->devs, &b, h)) {
        cn_dev_t *d = (cn_dev_t *)h;
        if (d->queue && !d->asleep && !d->deregistered && now - d->last_seen > s->conf->queue_awake_ms) {
            d->asleep = true;
            cn_state_event(s, "sleeping", d->gw, d->ep, json_object());
        }
    }
    zl_timer_arm(zl_loop_wheel(s->loop), t, zl_now_ms() + SWEEP_MS);
}

cn_state_t *cn_state_new(const zl_console_conf_t *conf, zl_loop_t *loop, zl_metrics_t *m) {
    cn_state_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->conf = conf;
    s->loop = loop;
    s->ring_cap = (size_t)conf->log_size;
    if (!(s->ring = calloc(s->ring_cap, sizeof *s->ring)) || zl_hmap_init(&s->devs, 64)) {
        free(s->ring);
        free(s);
        return NULL;
    }
    s->c_events = zl_metrics_counter(m, "zeelos_console_events_total", NULL, "Events published (log and SSE).");
    s->c_late = zl_metrics_counter(m, "zeelos_console_late_answers_total", NULL,
                                   "Answers that came after their API call had timed out.");
    s->c_sse_dropped = zl_metrics_counter(m, "zeelos_console_sse_dropped_total", NULL,
                                          "Event streams closed because their client did not keep up.");
    s->g_devices = zl_metrics_gauge(m, "zeelos_console_devices", NULL, "Devices known from the registrations.");
    s->g_streams = zl_metrics_gauge(m, "zeelos_console_streams", NULL, "Open event streams.");
    s->g_pending = zl_metrics_gauge(m, "zeelos_console_pending_requests", NULL,
                                    "Management requests waiting for an answer.");
    zl_timer_init(&s->sweep, on_sweep, s);
    zl_timer_arm(zl_loop_wheel(loop), &s->sweep, zl_now_ms() + SWEEP_MS);
    return s;
}

void cn_state_shutdown(cn_state_t *s) {
    if (s->closing) return;
    zl_timer_disarm(zl_loop_wheel(s->loop), &s->sweep);
    while (s->pending) {
        if (s->pending->call) cn_reply_error(s->pending->call, 503, "unavailable", "the console is stopping");
        s->pending->call = NULL;
        pending_free(s, s->pending);
    }
    cn_state_streams_close(s);
    s->closing = true;
}

void cn_state_destroy(cn_state_t *s) {
    if (!s) return;
    cn_state_streams_close(s);
    size_t b = 0;
    zl_hnode_t *h = zl_hmap_iter(&s->devs, &b, NULL);
    while (h) {
        zl_hnode_t *next = zl_hmap_iter(&s->devs, &b, h);
        cn_dev_t *d = (cn_dev_t *)h;
        free(d->gw);
        free(d->ep);
        json_decref(d->client);
        free(d);
        h = next;
    }
    zl_hmap_free(&s->devs);
    while (s->gws) {
        cn_gw_t *g = s->gws;
        s->gws = g->next;
        free(g->id);
        free(g);
    }
    for (size_t i = 0; i < s->ring_n; i++) json_decref(s->ring[(s->ring_head + i) % s->ring_cap]);
    free(s->ring);
    free(s);
}
