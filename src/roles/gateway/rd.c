/* SPDX-License-Identifier: Apache-2.0 */
/* The LwM2M registration interface (LwM2M 1.0/1.1 §5.3, §8.2.3):
 *   POST   /rd?ep=&lt=&lwm2m=&b=&sms=  + link payload  -> 2.01 Location /rd/<id>
 *   POST   /rd/<id>?lt=&b=&sms=        [+ links]       -> 2.04
 *   DELETE /rd/<id>                                    -> 2.02
 * The Kafka event is queued before the device gets its answer; if Kafka's
 * queue is full the device gets 5.03 (it will retry) instead of a
 * registration nobody downstream heard of. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roles/gateway/gw_int.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/utf8.h"

typedef struct {
    char *ep, *lt, *ver, *bnd, *sms;
    zl_buf_t extra; /* other attributes, "k=v&k2" */
} rd_query_t;

static void query_free(rd_query_t *q) {
    free(q->ep);
    free(q->lt);
    free(q->ver);
    free(q->bnd);
    free(q->sms);
    zl_buf_free(&q->extra);
}

static char *dup_n(const uint8_t *p, size_t n) {
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = 0;
    }
    return s;
}

/* Device strings end up in Kafka records and in logs: only well-formed
 * UTF-8 without control characters is accepted (two names that differ only
 * in bytes a consumer shows as "?" would look the same, and a newline would
 * forge a log line).  Returns a message for 4.00 or NULL. */
static const char *check_text(const uint8_t *p, size_t n) {
    if (!zl_utf8_valid(p, n)) return "query is not valid UTF-8";
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] == 0x7f) return "control character in query";
    return NULL;
}

/* Collects Uri-Query options. Returns a message for 4.00 or NULL. */
static const char *parse_query(const zl_coap_msg_t *req, rd_query_t *q) {
    memset(q, 0, sizeof *q);
    zl_buf_init(&q->extra, 4096);
    for (unsigned i = 0; i < req->n_opts; i++) {
        const zl_coap_opt_t *o = &req->opts[i];
        if (o->num != ZL_OPT_URI_QUERY) continue;
        const uint8_t *eq = memchr(o->val, '=', o->len);
        size_t klen = eq ? (size_t)(eq - o->val) : o->len;
        const uint8_t *v = eq ? eq + 1 : NULL;
        size_t vlen = eq ? o->len - klen - 1 : 0;
        if (memchr(o->val, 0, o->len)) return "NUL byte in query";
        const char *bad = check_text(o->val, o->len);
        if (bad) return bad;
        char **slot = NULL;
        if (klen == 2 && !memcmp(o->val, "ep", 2)) slot = &q->ep;
        else if (klen == 2 && !memcmp(o->val, "lt", 2)) slot = &q->lt;
        else if (klen == 5 && !memcmp(o->val, "lwm2m", 5)) slot = &q->ver;
        else if (klen == 1 && !memcmp(o->val, "b", 1)) slot = &q->bnd;
        else if (klen == 3 && !memcmp(o->val, "sms", 3)) slot = &q->sms;
        if (slot) {
            if (!v) return "query parameter without value";
            if (*slot) return "repeated query parameter";
            *slot = dup_n(v, vlen);
            if (!*slot) return "out of memory";
        } else {
            if (memchr(o->val, '&', o->len)) return "'&' in query parameter";
            if (q->extra.len) zl_buf_putc(&q->extra, '&');
            if (zl_buf_append(&q->extra, o->val, o->len)) return "too many query parameters";
        }
    }
    return NULL;
}

/* why: a 4.00 message naming the offending value lives in buf (n bytes). */
static const char *check_common(const rd_query_t *q, int64_t *lt, char *buf, size_t n) {
    if (q->lt) {
        char *end;
        long long v = strtoll(q->lt, &end, 10);
        if (!*q->lt || *end || v <= 0 || v > INT32_MAX) return "lt must be a positive integer (seconds)";
        *lt = v;
    }
    const char *why = q->bnd ? zl_bnd_check(q->bnd) : NULL;
    if (why) {
        snprintf(buf, n, "invalid binding b=%.16s: %s", q->bnd, why);
        return buf;
    }
    return NULL;
}

/* Refusals are logged at most RD_LOG_PER_S a second (anyone can send them). */
#define RD_LOG_PER_S 10

static void reject(zl_gw_t *gw, const zl_coap_addr_t *peer, zl_coap_msg_t *resp, uint8_t code,
                   const char *what, const char *why) {
    zl_counter_inc(gw->m.reg_rejected);
    unsigned long long dropped;
    if (zl_log_limit(&gw->rd_log, RD_LOG_PER_S, &dropped)) {
        char host[64], safe[256];
        zl_coap_addr_host(peer, host, sizeof host);
        ZL_WARN("rd", "%s from %s:%d rejected: %s%s", what, host, zl_coap_addr_port(peer),
                zl_log_escape(why, strlen(why), safe, sizeof safe),
                dropped ? " (more refusals were not logged: see zeelos_registration_rejected_total)" : "");
    }
    zl_gw_diag(gw, resp, code, why);
}

/* Two addresses of the same host (a device that rebooted, or whose NAT
 * mapping changed, comes back from a new port). */
static bool same_host(const zl_coap_addr_t *a, const zl_coap_addr_t *b) {
    char ha[64], hb[64];
    zl_coap_addr_host(a, ha, sizeof ha);
    zl_coap_addr_host(b, hb, sizeof hb);
    return !strcmp(ha, hb);
}

static bool has_attr(const zl_reg_t *reg, const char *name) {
    for (size_t i = 0; i < reg->n_attrs; i++)
        if (!strcmp(reg->attrs[i].name, name)) return true;
    return false;
}

static void new_reg_id(zl_gw_t *gw, char out[12]) {
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    do {
        uint8_t r[10];
        zl_coap_random(gw->coap, r, sizeof r);
        for (int i = 0; i < 10; i++) out[i] = alphabet[r[i] % 62];
        out[10] = 0;
    } while (zl_registry_by_id(&gw->regs, out));
}

static char *payload_text(const zl_coap_msg_t *req) {
    return dup_n(req->payload ? req->payload : (const uint8_t *)"", req->payload_len);
}

static void do_register(zl_gw_t *gw, const zl_coap_addr_t *peer, const zl_gw_via_t *via,
                        const zl_coap_msg_t *req, zl_coap_msg_t *resp) {
    rd_query_t q;
    const char *why = parse_query(req, &q);
    int64_t lt = gw->default_lt;
    if (!why && !q.ep) why = "missing endpoint name (ep)";
    if (!why && (!*q.ep || strlen(q.ep) > RD_MAX_EP)) why = "endpoint name must be 1-256 bytes";
    char bwhy[128];
    if (!why) why = check_common(&q, &lt, bwhy, sizeof bwhy);
    if (!why && q.ver && strcmp(q.ver, "1.0") && strcmp(q.ver, "1.1") && strcmp(q.ver, "1.2"))
        why = "unsupported LwM2M version (lwm2m must be 1.0, 1.1 or 1.2)";
    int64_t cf = zl_coap_opt_uint(req, ZL_OPT_CONTENT_FORMAT, 40);
    if (!why && cf != 40) why = "registration payload must be application/link-format (40)";
    if (why) {
        reject(gw, peer, resp, ZL_COAP_BAD_REQUEST, "registration", why);
        query_free(&q);
        return;
    }
    /* the credentials on record decide the transport and the identity */
    const char *denied = zl_sec_check(gw, q.ep, via);
    if (denied) {
        zl_counter_inc(gw->m.refused_security);
        reject(gw, peer, resp, ZL_COAP_FORBIDDEN, "registration", denied);
        query_free(&q);
        return;
    }
    zl_reg_t *old = zl_registry_by_ep(&gw->regs, q.ep);
    /* over DTLS the identity proves the device: it may come back from anywhere */
    if (old && !via->secure && !same_host(&old->peer, peer)) {
        if (gw->conf->registration_takeover == 0) {
            zl_counter_inc(gw->m.refused_takeover);
            reject(gw, peer, resp, ZL_COAP_FORBIDDEN, "registration",
                   "endpoint name is registered from another address (registration.takeover=refuse)");
            query_free(&q);
            return;
        }
        zl_counter_inc(gw->m.takeovers);
        unsigned long long dropped;
        if (zl_log_limit(&gw->takeover_log, RD_LOG_PER_S, &dropped)) {
            char h_old[64], h_new[64];
            zl_coap_addr_host(&old->peer, h_old, sizeof h_old);
            zl_coap_addr_host(peer, h_new, sizeof h_new);
            ZL_WARN("rd", "'%s' taken over: registered from %s:%d, now from %s:%d (registration.takeover=replace)",
                    q.ep, h_old, zl_coap_addr_port(&old->peer), h_new, zl_coap_addr_port(peer));
        }
    }
    zl_reg_t *reg = zl_reg_new();
    char err[160];
    if (!reg) {
        zl_gw_diag(gw, resp, ZL_COAP_SERVICE_UNAVAILABLE, "out of memory");
        query_free(&q);
        return;
    }
    if (zl_reg_set_links(reg, payload_text(req), err, sizeof err)) {
        zl_reg_free(reg);
        reject(gw, peer, resp, ZL_COAP_BAD_REQUEST, "registration", err);
        query_free(&q);
        return;
    }
    reg->ep = q.ep;
    q.ep = NULL;
    reg->ver = q.ver ? q.ver : strdup("1.0");
    q.ver = NULL;
    reg->sms = q.sms;
    q.sms = NULL;
    snprintf(reg->bnd, sizeof reg->bnd, "%s", q.bnd ? q.bnd : "U");
    reg->lt = lt;
    reg->peer = *peer;
    reg->secure = via->secure;
    if (via->secure && !(reg->identity = strdup(via->who->identity))) {
        zl_reg_free(reg);
        zl_gw_diag(gw, resp, ZL_COAP_SERVICE_UNAVAILABLE, "out of memory");
        query_free(&q);
        return;
    }
    reg->reg_date = reg->last_up = zl_wall_ms();
    zl_reg_set_attrs(reg, q.extra.len ? strdup(zl_buf_cstr(&q.extra)) : NULL);
    query_free(&q);
    new_reg_id(gw, reg->id);
    /* queue mode: Q in b (LwM2M 1.0) or the Q parameter (1.1) */
    reg->queue_mode = strchr(reg->bnd, 'Q') != NULL || has_attr(reg, "Q");

    /* Kafka first: a registration the platform never heard of must not exist. */
    if (zl_ev_registration(gw, reg, ZL_REG_NEW, false, NULL) != ZL_OK) {
        zl_reg_free(reg);
        zl_gw_busy(gw, resp, "gateway cannot reach Kafka, retry later");
        return;
    }
    if (old) { /* re-registration replaces the old one (as Leshan does), no DELETE event */
        ZL_INFO("rd", "'%s' re-registered: %s replaces %s", reg->ep, reg->id, old->id);
        zl_store_del_reg(gw->store, old->id);
        zl_queue_drop(gw, old, reg); /* requests waiting for it wait for the new one */
        zl_gw_reg_remove(gw, old);
    }
    zl_gw_reg_add(gw, reg);
    zl_queue_wake(gw, reg);
    zl_gw_reg_persist(gw, reg);
    zl_counter_inc(gw->m.reg_new);
    char host[64];
    zl_coap_addr_host(peer, host, sizeof host);
    ZL_INFO("rd", "registered '%s' as %s from %s:%d%s (lt %lld, b %s, %zu links)", reg->ep, reg->id,
            host, zl_coap_addr_port(peer), via->secure ? " over DTLS" : "", (long long)reg->lt, reg->bnd,
            reg->links.n);
    resp->code = ZL_COAP_CREATED;
    /* Location-Path: rd / <id>; the id lives in gw->scratch until serialised */
    snprintf(gw->scratch, sizeof gw->scratch, "rd%c%s", 0, reg->id);
    zl_coap_add_opt(resp, ZL_OPT_LOCATION_PATH, gw->scratch, 2);
    zl_coap_add_opt(resp, ZL_OPT_LOCATION_PATH, gw->scratch + 3, strlen(reg->id));
}

static void do_update(zl_gw_t *gw, zl_reg_t *reg, const zl_coap_addr_t *peer,
                      const zl_coap_msg_t *req, zl_coap_msg_t *resp) {
    rd_query_t q;
    const char *why = parse_query(req, &q);
    int64_t lt = reg->lt;
    if (!why && (q.ep || q.ver)) why = "ep and lwm2m are not allowed in an update";
    char bwhy[128];
    if (!why) why = check_common(&q, &lt, bwhy, sizeof bwhy);
    int64_t cf = zl_coap_opt_uint(req, ZL_OPT_CONTENT_FORMAT, 40);
    if (!why && req->payload_len && cf != 40) why = "update payload must be application/link-format (40)";
    char err[160];
    zl_reg_t upd = {0}; /* fields present in this update, for the UPDATE event */
    if (!why && req->payload_len) {
        if (zl_reg_set_links(&upd, payload_text(req), err, sizeof err)) why = err;
    }
    if (why) {
        reject(gw, peer, resp, ZL_COAP_BAD_REQUEST, "update", why);
        zl_links_clear(&upd.links);
        free(upd.links_raw);
        free(upd.root);
        query_free(&q);
        return;
    }
    upd.lt = q.lt ? lt : 0;
    upd.sms = q.sms;
    snprintf(upd.bnd, sizeof upd.bnd, "%s", q.bnd ? q.bnd : "");
    if (q.extra.len) zl_reg_set_attrs(&upd, strdup(zl_buf_cstr(&q.extra)));

    /* apply */
    reg->lt = lt;
    if (q.sms) {
        free(reg->sms);
        reg->sms = strdup(q.sms);
    }
    if (q.bnd) snprintf(reg->bnd, sizeof reg->bnd, "%s", q.bnd);
    if (upd.links_raw) zl_reg_set_links(reg, strdup(upd.links_raw), err, sizeof err);
    if (upd.attrs_raw) zl_reg_set_attrs(reg, strdup(upd.attrs_raw));
    reg->last_up = zl_wall_ms();
    zl_registry_touch(&gw->regs, reg);
    if (q.bnd) reg->queue_mode = strchr(reg->bnd, 'Q') != NULL || has_attr(reg, "Q");
    zl_queue_wake(gw, reg);
    zl_gw_reg_persist(gw, reg);
    zl_ev_registration(gw, reg, ZL_REG_UPDATE, false, &upd);
    zl_counter_inc(gw->m.reg_update);
    ZL_DEBUG("rd", "updated '%s' (%s)", reg->ep, reg->id);
    resp->code = ZL_COAP_CHANGED;

    zl_links_clear(&upd.links);
    free(upd.links_raw);
    free(upd.root);
    free(upd.attrs_raw);
    free(upd.attrs);
    free(upd.attrs_buf);
    query_free(&q);
}

static void do_deregister(zl_gw_t *gw, zl_reg_t *reg, zl_coap_msg_t *resp) {
    reg->last_up = zl_wall_ms();
    zl_ev_registration(gw, reg, ZL_REG_DELETE, false, NULL);
    ZL_INFO("rd", "'%s' (%s) deregistered", reg->ep, reg->id);
    zl_counter_inc(gw->m.reg_delete);
    if (zl_store_del_reg(gw->store, reg->id)) zl_counter_inc(gw->m.store_errors);
    zl_gw_reg_remove(gw, reg);
    resp->code = ZL_COAP_DELETED;
}

void zl_rd_handle(zl_gw_t *gw, const zl_coap_addr_t *peer, const zl_gw_via_t *via, const zl_coap_msg_t *req,
                  zl_coap_msg_t *resp) {
    const zl_coap_opt_t *seg[3];
    int n = 0;
    for (unsigned i = 0; i < req->n_opts; i++)
        if (req->opts[i].num == ZL_OPT_URI_PATH) {
            if (n == 3) {
                zl_gw_diag(gw, resp, ZL_COAP_NOT_FOUND, "unknown resource");
                return;
            }
            seg[n++] = &req->opts[i];
        }
    if (n == 0 || seg[0]->len != 2 || memcmp(seg[0]->val, "rd", 2)) {
        zl_gw_diag(gw, resp, ZL_COAP_NOT_FOUND, "unknown resource");
        return;
    }
    if (n == 1) {
        if (req->code != ZL_COAP_POST) {
            zl_gw_diag(gw, resp, ZL_COAP_METHOD_NOT_ALLOWED, "only POST on /rd");
            return;
        }
        do_register(gw, peer, via, req, resp);
        return;
    }
    if (n != 2) {
        zl_gw_diag(gw, resp, ZL_COAP_NOT_FOUND, "unknown resource");
        return;
    }
    char id[16];
    if (seg[1]->len >= sizeof id) {
        reject(gw, peer, resp, ZL_COAP_NOT_FOUND, "update", "unknown registration id");
        return;
    }
    memcpy(id, seg[1]->val, seg[1]->len);
    id[seg[1]->len] = 0;
    zl_reg_t *reg = zl_registry_by_id(&gw->regs, id);
    if (!reg) {
        reject(gw, peer, resp, ZL_COAP_NOT_FOUND, "update", "unknown registration id");
        return;
    }
    /* A registration is updated and removed only by the address that made it:
     * its id is public (on the registrations topic).  Answered like Leshan
     * does for an identity mismatch (4.00 "forbidden"); a device whose address
     * changed (NAT) then registers again, which replaces its registration. */
    if (!zl_coap_addr_eq(&reg->peer, peer) || !zl_sec_same(reg, via)) {
        zl_counter_inc(gw->m.refused_foreign);
        reject(gw, peer, resp, ZL_COAP_BAD_REQUEST, req->code == ZL_COAP_DELETE ? "de-registration" : "update",
               zl_coap_addr_eq(&reg->peer, peer) ? "forbidden: the registration belongs to another DTLS identity"
                                                 : "forbidden: the registration belongs to another address");
        return;
    }
    if (req->code == ZL_COAP_POST) do_update(gw, reg, peer, req, resp);
    else if (req->code == ZL_COAP_DELETE) do_deregister(gw, reg, resp);
    else zl_gw_diag(gw, resp, ZL_COAP_METHOD_NOT_ALLOWED, "only POST and DELETE on /rd/<id>");
}
