/* SPDX-License-Identifier: Apache-2.0 */
/* Observations started through Kafka. The CoAP token is the observation id
 * ("[hex]" on the wire, like the seed); the token -> ticket map is kept in
 * SQLite so that notifications arriving after a gateway restart still carry
 * the ticket of the request that started them. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roles/gateway/gw_int.h"
#include "common/clock.h"
#include "common/log.h"

static uint64_t tok_hash(const zl_gw_t *gw, const uint8_t *t, uint8_t tkl) {
    return zl_hash_bytes(gw->obs_by_token.seed, t, tkl);
}

#define REOBSERVE_SWEEP_MS 1000

/* A device gives up on a CON notification nobody acknowledged and drops the
 * observation (RFC 7641 §4.5), silently.  An observation with a notification
 * turned away and nothing delivered for observe.reobserve.ms since is
 * registered again (same token, Observe: 0), once device data is accepted
 * again; a device that refuses or does not answer ends it (the gauge stays
 * true).  Queue-mode devices are left alone: asleep, they would not answer. */
static void on_reobserve_sweep(zl_timer_t *t, void *ctx) {
    zl_gw_t *gw = ctx;
    int64_t now = zl_now_ms();
    if (!zl_outbox_congested(gw)) {
        size_t b = 0;
        for (zl_hnode_t *n = zl_hmap_iter(&gw->obs_by_token, &b, NULL); n; n = zl_hmap_iter(&gw->obs_by_token, &b, n)) {
            zl_obs_t *o = ZL_CONTAINER_OF(n, zl_obs_t, by_token);
            if (!o->shed_ms || now - o->shed_ms < gw->conf->reobserve_ms) continue;
            zl_reg_t *reg = zl_registry_by_id(&gw->regs, o->reg_id);
            int64_t age = now - o->shed_ms;
            o->shed_ms = 0;
            if (!reg || reg->queue_mode) continue;
            if (zl_coap_reobserve(zl_gw_coap(gw, reg->secure), o->token, o->tkl, gw->request_timeout_ms) == ZL_OK) {
                zl_counter_inc(gw->m.obs_reestablished);
                ZL_INFO("observe", "observing %s of '%s' again: a notification was turned away %" PRId64
                        " ms ago and none came since (the device may have dropped the observation)",
                        o->path, o->ep, age);
            }
        }
    }
    zl_timer_arm(&gw->wheel, t, now + REOBSERVE_SWEEP_MS);
}

zl_err_t zl_obs_init(zl_gw_t *gw) {
    zl_timer_init(&gw->t_reobserve, on_reobserve_sweep, gw);
    zl_timer_arm(&gw->wheel, &gw->t_reobserve, zl_now_ms() + REOBSERVE_SWEEP_MS);
    return zl_hmap_init(&gw->obs_by_token, 256);
}

void zl_obs_on_shed(void *ctx, void *obs_ctx) {
    zl_gw_t *gw = ctx;
    /* only our observations' notifications are admitted or shed */
    zl_obs_t *o = obs_ctx;
    if (o && o->gw == gw && !o->shed_ms) o->shed_ms = zl_now_ms();
}

static void obs_free(zl_obs_t *o) { free(o); } /* its strings live in the same block */

static void obs_node_free(zl_hnode_t *n, void *ctx) {
    (void)ctx;
    obs_free(ZL_CONTAINER_OF(n, zl_obs_t, by_token));
}

void zl_obs_fini(zl_gw_t *gw) {
    zl_hmap_destroy(&gw->obs_by_token, obs_node_free, NULL);
}

static zl_obs_t *obs_new(zl_gw_t *gw, zl_reg_t *reg, const uint8_t *token, uint8_t tkl,
                         const char *path, const char *ticket) {
    /* One block for the struct and its four strings: a notification reads
     * ep, path and ticket, and on a busy host each separate allocation is one
     * more cache miss per notification. */
    const char *src[4] = {reg->ep, path, ticket, reg->id};
    size_t len[4], total = 0;
    for (int i = 0; i < 4; i++) total += (len[i] = strlen(src[i])) + 1;
    zl_obs_t *o = calloc(1, sizeof *o + total);
    if (!o) return NULL;
    o->gw = gw;
    o->secure = reg->secure;
    memcpy(o->token, token, tkl);
    o->tkl = tkl;
    char *dst[4], *p = o->strings;
    for (int i = 0; i < 4; i++) {
        dst[i] = memcpy(p, src[i], len[i] + 1);
        p += len[i] + 1;
    }
    o->ep = dst[0];
    o->path = dst[1];
    o->ticket = dst[2];
    o->reg_id = dst[3];
    o->next_in_reg = reg->obs;
    reg->obs = o;
    zl_hmap_insert(&gw->obs_by_token, &o->by_token, tok_hash(gw, token, tkl));
    zl_gauge_add(gw->m.observations, 1);
    return o;
}

zl_obs_t *zl_obs_add(zl_gw_t *gw, zl_reg_t *reg, const uint8_t *token, uint8_t tkl,
                     const char *path, const char *ticket) {
    zl_obs_t *o = obs_new(gw, reg, token, tkl, path, ticket);
    if (!o) return NULL;
    /* the observe request is kept so that after a restart the observation
     * can still be cancelled actively and fetch Block2 notifications */
    const uint8_t *req = NULL;
    size_t req_len = 0;
    zl_coap_exchange_request(zl_gw_coap(gw, reg->secure), token, tkl, &req, &req_len);
    zl_store_obs_t so = {token, tkl, reg->id, reg->ep, path, ticket, req, req_len};
    if (zl_store_put_obs(gw->store, &so)) zl_counter_inc(gw->m.store_errors);
    return o;
}

/* Unlinks o from the map and from its registration's list, frees it. */
static void obs_drop(zl_gw_t *gw, zl_obs_t *o, bool forget_in_store) {
    zl_reg_t *reg = zl_registry_by_id(&gw->regs, o->reg_id);
    if (reg) {
        for (zl_obs_t **pp = &reg->obs; *pp; pp = &(*pp)->next_in_reg)
            if (*pp == o) {
                *pp = o->next_in_reg;
                break;
            }
    }
    zl_hmap_remove(&gw->obs_by_token, &o->by_token);
    if (forget_in_store && zl_store_del_obs(gw->store, o->token, o->tkl)) zl_counter_inc(gw->m.store_errors);
    zl_gauge_add(gw->m.observations, -1);
    obs_free(o);
}

static void on_cancel_answer(void *ctx, zl_err_t err, const zl_coap_msg_t *resp) {
    (void)ctx;
    if (err) ZL_DEBUG("observe", "active cancel not answered: %s", zl_err2str(err));
    (void)resp;
}

int zl_obs_cancel(zl_gw_t *gw, zl_reg_t *reg, const char *path) {
    return zl_obs_cancel_mode(gw, reg, path, false);
}

int zl_obs_cancel_mode(zl_gw_t *gw, zl_reg_t *reg, const char *path, bool active) {
    int n = 0;
    zl_obs_t **pp = &reg->obs;
    while (*pp) {
        zl_obs_t *o = *pp;
        if (path && strcmp(o->path, path)) {
            pp = &o->next_in_reg;
            continue;
        }
        *pp = o->next_in_reg;
        /* active: tell the device (falls back to passive for restored observations) */
        zl_coap_ep_t *cep = zl_gw_coap(gw, reg->secure);
        if (!active || zl_coap_observe_cancel(cep, o->token, o->tkl, gw->request_timeout_ms,
                                              on_cancel_answer, NULL) != ZL_OK)
            zl_coap_cancel(cep, o->token, o->tkl);
        zl_hmap_remove(&gw->obs_by_token, &o->by_token);
        if (zl_store_del_obs(gw->store, o->token, o->tkl)) zl_counter_inc(gw->m.store_errors);
        zl_gauge_add(gw->m.observations, -1);
        obs_free(o);
        n++;
    }
    return n;
}

static void format_obs_id(const zl_obs_t *o, char out[20]) {
    static const char hex[] = "0123456789abcdef";
    int k = 0;
    out[k++] = '[';
    for (int i = 0; i < o->tkl; i++) {
        out[k++] = hex[o->token[i] >> 4];
        out[k++] = hex[o->token[i] & 15];
    }
    out[k++] = ']';
    out[k] = 0;
}

/* A CON notification in Kafka's hands: its ACK waits for the delivery report
 * (or for the spool's fsync, when the record went there instead). */
typedef struct {
    zl_dr_t dr;
    zl_gw_t *gw;
    zl_coap_held_ack_t ack;
    bool secure;
} notif_ack_t;

static void on_notif_delivered(zl_dr_t *dr, zl_err_t err, const char *reason) {
    notif_ack_t *na = (notif_ack_t *)dr;
    (void)reason; /* the producer logged and counted a failure */
    zl_coap_ep_t *cep = zl_gw_coap(na->gw, na->secure); /* NULL once shutting down */
    if (cep) zl_coap_ep_release_ack(cep, &na->ack, err == ZL_OK);
    free(na);
}

/* The delivery report that acknowledges this notification to the device, or
 * NULL when the endpoint acknowledges it itself (NON, block-wise, no memory). */
static zl_dr_t *hold_ack(zl_gw_t *gw, bool secure) {
    zl_coap_held_ack_t ack;
    zl_coap_ep_t *cep = zl_gw_coap(gw, secure);
    if (!zl_coap_ep_hold_ack(cep, &ack)) return NULL;
    notif_ack_t *na = malloc(sizeof *na);
    if (!na) {
        zl_coap_ep_release_ack(cep, &ack, true); /* as before held ACKs: at once */
        return NULL;
    }
    *na = (notif_ack_t){.dr = {.cb = on_notif_delivered}, .gw = gw, .ack = ack, .secure = secure};
    return &na->dr;
}

void zl_obs_on_notify(void *ctx, zl_err_t err, const zl_coap_msg_t *resp) {
    zl_obs_t *o = ctx;
    zl_gw_t *gw = o->gw;
    if (err || (resp->code >> 5) != 2) {
        char cs[6];
        ZL_INFO("observe", "observation %s of '%s' ended: %s", o->path, o->ep,
                err ? zl_err2str(err) : zl_coap_code_str(resp->code, cs));
        /* CANCELLED = gateway shutdown: keep it in the store for the restart */
        obs_drop(gw, o, err != ZL_ERR_CANCELLED);
        return;
    }
    if (o->secure) { /* the session at the device's address must still be the device's */
        zl_reg_t *reg = zl_registry_by_id(&gw->regs, o->reg_id);
        if (!reg || !zl_sec_peer_ok(gw, reg)) {
            zl_counter_inc(gw->m.refused_security);
            zl_coap_ep_refuse_notification(zl_gw_coap(gw, true));
            return;
        }
    }
    char oid[20], errbuf[160];
    format_obs_id(o, oid);
    zl_node_t *node = NULL;
    const size_t plen = sizeof ZL_OBS_COMPOSITE_PREFIX - 1;
    bool composite = strncmp(o->path, ZL_OBS_COMPOSITE_PREFIX, plen) == 0;
    const char *path = composite ? o->path + plen : o->path;
    zl_rec_response_t r = {.ticket = o->ticket, .server_id = gw->id, .ep = o->ep, .path = path,
                           .observation_id = oid, .timestamp = zl_wall_ms(),
                           .code = zl_resp_code_from_coap(resp->code), .kind = ZL_RK_OBSERVE};
    zl_err_t e = zl_gw_decode_content(gw->models, resp, composite ? "/" : path, &node, errbuf, sizeof errbuf);
    if (e) {
        zl_counter_inc(gw->m.notif_errors);
        ZL_WARN("observe", "undecodable notification from '%s' for %s: %s", o->ep, o->path, errbuf);
        r.code = e == ZL_ERR_UNSUPPORTED ? ZL_RC_UNSUPPORTED_CONTENT_FORMAT : ZL_RC_INTERNAL_SERVER_ERROR;
        r.body = ZL_BODY_GENERIC;
        r.text = errbuf;
    } else if (composite) {
        r.values = node;
    } else {
        r.body = ZL_BODY_READ;
        r.content = node;
    }
    zl_counter_inc(gw->m.notifications);
    zl_dr_t *dr = hold_ack(gw, o->secure);
    zl_err_t pe = zl_ev_response(gw, gw->t_obs, o->ep, &r, dr);
    bool retry = pe == ZL_ERR_FULL || pe == ZL_ERR_KAFKA || pe == ZL_ERR_IO;
    /* not taken: no ACK when it may be kept later (the retransmission counts as
     * fresh), an ACK when it never will be (it cannot be encoded) */
    if (pe && dr) on_notif_delivered(dr, retry ? pe : ZL_OK, NULL);
    if (pe == ZL_OK) {
        o->shed_ms = 0; /* the device still notifies */
        zl_histogram_observe(gw->m.notif_latency,
                             (double)(zl_now_ns() - zl_coap_ep_rx_ns(zl_gw_coap(gw, o->secure))) / 1e9);
    } else if (retry) {
        zl_coap_ep_refuse_notification(zl_gw_coap(gw, o->secure)); /* not kept now: a CON one comes again */
        if (!o->shed_ms) o->shed_ms = zl_now_ms();
    }
    zl_node_free(node);
}

static void restore_one(void *ctx, const zl_store_obs_t *so) {
    zl_gw_t *gw = ctx;
    zl_reg_t *reg = zl_registry_by_id(&gw->regs, so->reg_id);
    if (!reg || so->tkl < 1 || so->tkl > 8) {
        zl_store_del_obs(gw->store, so->token, so->tkl);
        return;
    }
    zl_obs_t *o = obs_new(gw, reg, so->token, (uint8_t)so->tkl, so->path, so->ticket);
    zl_coap_ep_t *cep = zl_gw_coap(gw, reg->secure);
    if (o && (!cep || zl_coap_observe_attach(cep, &reg->peer, o->token, o->tkl, zl_obs_on_notify, o,
                                             so->request, so->request_len)))
        obs_drop(gw, o, true);
}

void zl_obs_restore(zl_gw_t *gw) {
    zl_store_load_obs(gw->store, restore_one, gw);
    if (gw->obs_by_token.count)
        ZL_INFO("observe", "restored %zu observation(s) from the store", gw->obs_by_token.count);
}
