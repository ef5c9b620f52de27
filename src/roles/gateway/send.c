/* SPDX-License-Identifier: Apache-2.0 */
/* LwM2M Send (device POST /dp in SenML JSON or SenML CBOR as LwM2M 1.1 allows,
 * or LwM2M CBOR as 1.2 adds; other formats get 4.15, undecodable payloads 4.00
 * with the decoder's reason): every object instance the device sends becomes
 * one AvroResponseObserve on topic.observations
 * (path "/o/i", ticket and observationId "send", kind observe, code CONTENT),
 * so consumers built on the zeelos schemas read Send data like notifications.
 * The device gets its 2.04 only after Kafka acknowledged every record (the
 * CoAP answer is deferred; a CON request is ACKed after 500 ms so the device
 * stops retransmitting); if any record fails it gets 5.03 and may send again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roles/gateway/gw_int.h"
#include "lwm2m/content.h"
#include "lwm2m/senml.h"
#include "common/clock.h"
#include "common/log.h"

typedef struct send_s send_t;
typedef struct {
    zl_dr_t dr;
    send_t *s;
} send_rec_t;

struct send_s {
    zl_gw_t *gw;
    zl_coap_deferred_t *d;
    int pending;
    bool failed, dropped, secure;
    char ep[64];
    send_rec_t recs[];
};

static void finish(send_t *s) {
    if (!s->dropped) {
        zl_coap_msg_t resp;
        zl_coap_init(&resp, ZL_COAP_ACK, s->failed ? ZL_COAP_SERVICE_UNAVAILABLE : ZL_COAP_CHANGED, 0);
        static const char diag[] = "Kafka did not acknowledge the data, send again";
        if (s->failed) {
            resp.payload = (const uint8_t *)diag;
            resp.payload_len = sizeof diag - 1;
        }
        zl_coap_respond(zl_gw_coap(s->gw, s->secure), s->d, &resp);
    }
    free(s);
}

static void on_delivered(zl_dr_t *dr, zl_err_t err, const char *reason) {
    (void)reason;
    send_t *s = ((send_rec_t *)dr)->s;
    if (err) s->failed = true;
    if (--s->pending == 0) finish(s);
}

static void on_drop(void *ctx) { ((send_t *)ctx)->dropped = true; }

void zl_send_handle(zl_gw_t *gw, const zl_coap_addr_t *peer, const zl_gw_via_t *via, const zl_coap_msg_t *req,
                    zl_coap_msg_t *resp) {
    char err[200];
    if (req->code != ZL_COAP_POST) {
        zl_gw_diag(gw, resp, ZL_COAP_METHOD_NOT_ALLOWED, "only POST on /dp");
        return;
    }
    zl_reg_t *reg = zl_registry_by_peer(&gw->regs, peer, via->secure);
    if (!reg || !zl_sec_same(reg, via)) {
        zl_counter_inc(gw->m.send_rejected);
        zl_gw_diag(gw, resp, ZL_COAP_FORBIDDEN, "Send from an address with no registration");
        return;
    }
    int64_t cf = zl_coap_opt_uint(req, ZL_OPT_CONTENT_FORMAT, -1);
    if (cf != ZL_CF_SENML_JSON && cf != ZL_CF_SENML_CBOR && cf != ZL_CF_LWM2M_CBOR) {
        zl_counter_inc(gw->m.send_rejected);
        zl_gw_diag(gw, resp, ZL_COAP_UNSUPPORTED_CF,
               "Send needs SenML JSON (110), SenML CBOR (112) or LwM2M CBOR (11544)");
        return;
    }
    zl_path_t root = {{0}, 0};
    zl_node_t *all = NULL;
    if (zl_content_decode((int)cf, req->payload ? req->payload : (const uint8_t *)"", req->payload_len, &root,
                          gw->models, &all, err, sizeof err)) {
        zl_counter_inc(gw->m.send_rejected);
        ZL_WARN("send", "undecodable Send from '%s': %s", reg->ep, err);
        zl_gw_diag(gw, resp, ZL_COAP_BAD_REQUEST, err);
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < all->n_children; i++) n += all->children[i].n_children;
    if (n == 0) {
        zl_node_free(all);
        zl_counter_inc(gw->m.send_rejected);
        zl_gw_diag(gw, resp, ZL_COAP_BAD_REQUEST, "Send without any value");
        return;
    }
    send_t *s = calloc(1, sizeof *s + n * sizeof s->recs[0]);
    if (!s) {
        zl_node_free(all);
        zl_gw_diag(gw, resp, ZL_COAP_SERVICE_UNAVAILABLE, "out of memory");
        return;
    }
    s->gw = gw;
    s->secure = via->secure;
    snprintf(s->ep, sizeof s->ep, "%s", reg->ep);
    int64_t now = zl_wall_ms();
    size_t k = 0;
    for (size_t i = 0; i < all->n_children; i++) {
        const zl_node_t *obj = &all->children[i];
        for (size_t j = 0; j < obj->n_children; j++, k++) {
            char path[32];
            snprintf(path, sizeof path, "/%u/%u", obj->id, obj->children[j].id);
            zl_rec_response_t r = {.ticket = "send", .observation_id = "send", .server_id = gw->id,
                                   .ep = reg->ep, .path = path, .timestamp = now, .code = ZL_RC_CONTENT,
                                   .kind = ZL_RK_OBSERVE, .body = ZL_BODY_READ, .content = &obj->children[j]};
            s->recs[k].s = s;
            s->recs[k].dr.cb = on_delivered;
            if (zl_ev_response(gw, gw->t_obs, reg->ep, &r, &s->recs[k].dr) == ZL_OK) s->pending++;
            else s->failed = true;
        }
    }
    zl_node_free(all);
    zl_queue_wake(gw, reg); /* the device is talking to us */
    if (s->pending == 0) { /* nothing queued: Kafka is unreachable or full */
        free(s);
        zl_gw_busy(gw, resp, "gateway cannot reach Kafka, retry later");
        return;
    }
    zl_counter_inc(gw->m.sends);
    zl_counter_add(gw->m.send_records, (uint64_t)s->pending);
    s->d = zl_coap_defer(zl_gw_coap(gw, via->secure), peer, req, resp, 500, on_drop, s);
    if (!s->d) s->dropped = true; /* records still go out; the device gets no answer */
}
