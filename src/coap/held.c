/* SPDX-License-Identifier: Apache-2.0 */
/* Held ACKs of confirmable notifications.  RFC 7252 lets a receiver delay
 * the ACK of a CON message (the sender retransmits after ACK_TIMEOUT); the
 * gateway uses that to acknowledge a notification only once Kafka or its
 * spool has the record, so a device never drops data the gateway could still
 * lose.  While an ACK is held, a retransmission of the same message (same
 * peer and MID) is recognised here and not acknowledged either; when the
 * owner gives up on the record, the observation forgets it saw it, so that
 * retransmission is delivered again.  Kept apart from endpoint.c: a small
 * table with its own life cycle, used by the gateway only. */
#include <stdlib.h>

#include "coap/ep_int.h"
#include "common/clock.h"

typedef struct held {
    zl_hnode_t node;
    zl_coap_addr_t peer;
    uint16_t mid;
} held_t;

static uint64_t held_hash(const zl_coap_ep_t *ep, const zl_coap_addr_t *peer, uint16_t mid) {
    return zl_coap_addr_hash(ep->held.seed, peer) ^ zl_hash_u64(ep->held.seed, mid);
}

static held_t *held_find(const zl_coap_ep_t *ep, const zl_coap_addr_t *peer, uint16_t mid) {
    if (!ep->held.buckets) return NULL;
    for (zl_hnode_t *n = zl_hmap_first(&ep->held, held_hash(ep, peer, mid)); n; n = zl_hmap_next_same(n)) {
        held_t *h = ZL_CONTAINER_OF(n, held_t, node);
        if (h->mid == mid && zl_coap_addr_eq(&h->peer, peer)) return h;
    }
    return NULL;
}

bool zl_coap_ep_hold_ack(zl_coap_ep_t *ep, zl_coap_held_ack_t *out) {
    if (!ep->ackable || ep->held_now) return false;
    if (!ep->held.buckets && zl_hmap_init(&ep->held, 64)) return false; /* no memory: ACK at once */
    held_t *h = malloc(sizeof *h);
    if (!h) return false;
    h->peer = ep->ackable->peer;
    h->mid = ep->ackable->mid;
    if (zl_hmap_insert(&ep->held, &h->node, held_hash(ep, &h->peer, h->mid))) {
        free(h);
        return false;
    }
    *out = *ep->ackable;
    ep->held_now = true;
    return true;
}

void zl_coap_ep_release_ack(zl_coap_ep_t *ep, const zl_coap_held_ack_t *a, bool kept) {
    held_t *h = held_find(ep, &a->peer, a->mid);
    if (h) {
        zl_hmap_remove(&ep->held, &h->node);
        free(h);
    }
    if (kept) {
        zl_ep_send_empty(ep, &a->peer, ZL_COAP_ACK, a->mid);
        return;
    }
    C_INC(ep->c_shed); /* counted like any notification the gateway could not keep */
    exch_t *x = zl_ep_find_key(ep, a->token, a->tkl);
    if (x && x->observing && x->obs_seq == a->seq && zl_coap_addr_eq(&x->peer, &a->peer))
        x->obs_time = zl_now_ms() - 128001; /* RFC 7641 §3.4: whatever comes next is fresh */
}

size_t zl_coap_ep_held_acks(const zl_coap_ep_t *ep) { return ep->held.count; }

bool zl_ep_ack_is_held(const zl_coap_ep_t *ep, const zl_coap_addr_t *peer, uint16_t mid) {
    return held_find(ep, peer, mid) != NULL;
}

static void held_node_free(zl_hnode_t *n, void *ctx) {
    (void)ctx;
    free(ZL_CONTAINER_OF(n, held_t, node));
}

void zl_ep_held_free(zl_coap_ep_t *ep) {
    zl_hmap_destroy(&ep->held, held_node_free, NULL);
}
