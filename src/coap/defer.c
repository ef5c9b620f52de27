/* SPDX-License-Identifier: Apache-2.0 */
/* Deferred answers (zl_coap_defer/zl_coap_respond): a request answered only
 * later, e.g. once Kafka acknowledged what it carried.  Kept apart from the
 * exchanges of endpoint.c because it is its own small state machine: an
 * empty ACK after ack_after_ms unless the answer came first (piggybacked),
 * a separate NON response otherwise. */
#include <stdlib.h>
#include <string.h>

#include "coap/ep_int.h"
#include "common/clock.h"

static void deferred_unlink(zl_coap_ep_t *ep, zl_coap_deferred_t *d) {
    zl_timer_disarm(ep->wheel, &d->ack_timer);
    d->prev->next = d->next;
    d->next->prev = d->prev;
}

static void on_deferred_ack(zl_timer_t *t, void *ctx) {
    zl_coap_deferred_t *d = ctx;
    (void)t;
    d->acked = true;
    zl_ep_send_empty(d->ep, &d->peer, ZL_COAP_ACK, d->mid);
}

zl_coap_deferred_t *zl_coap_defer(zl_coap_ep_t *ep, const zl_coap_addr_t *peer, const zl_coap_msg_t *req,
                                  zl_coap_msg_t *resp, int ack_after_ms,
                                  void (*on_drop)(void *ctx), void *ctx) {
    (void)resp;
    zl_coap_deferred_t *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->ep = ep;
    d->peer = *peer;
    d->mid = req->mid;
    d->type = req->type;
    d->tkl = req->tkl;
    memcpy(d->token, req->token, req->tkl);
    d->on_drop = on_drop;
    d->ctx = ctx;
    zl_timer_init(&d->ack_timer, on_deferred_ack, d);
    if (req->type == ZL_COAP_CON)
        zl_timer_arm(ep->wheel, &d->ack_timer, zl_now_ms() + (ack_after_ms > 0 ? ack_after_ms : 0));
    d->next = ep->deferred.next;
    d->prev = &ep->deferred;
    ep->deferred.next->prev = d;
    ep->deferred.next = d;
    ep->deferring = d;
    return d;
}

void zl_coap_respond(zl_coap_ep_t *ep, zl_coap_deferred_t *d, zl_coap_msg_t *resp) {
    deferred_unlink(ep, d);
    bool piggy = d->type == ZL_COAP_CON && !d->acked;
    resp->type = piggy ? ZL_COAP_ACK : ZL_COAP_NON;
    resp->mid = piggy ? d->mid : zl_ep_new_mid(ep);
    resp->tkl = d->tkl;
    memcpy(resp->token, d->token, d->tkl);
    uint8_t buf[ZL_COAP_MAX_DGRAM];
    size_t n = zl_coap_serialize(resp, buf, sizeof buf);
    if (n) zl_ep_enqueue(ep, &d->peer, buf, n);
    free(d);
}

/* Endpoint destroyed: every deferred answer is dropped (its owner told). */
void zl_ep_deferred_drop_all(zl_coap_ep_t *ep) {
    while (ep->deferred.next != &ep->deferred) {
        zl_coap_deferred_t *d = ep->deferred.next;
        deferred_unlink(ep, d);
        if (d->on_drop) d->on_drop(d->ctx);
        free(d);
    }
}
