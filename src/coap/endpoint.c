/* SPDX-License-Identifier: Apache-2.0 */
/* CoAP message layer. State lives in three hash maps and two FIFO lists:
 *   exchanges by token (responses, notifications) and by (peer, MID) (ACK/RST),
 *   the duplicate cache by (peer, MID) in a FIFO bounded by count and age,
 *   Block1 reassemblies by peer.
 * A confirmable message that is not a request (zl_coap_send_con, a device's
 * CON notification) is an exchange in the by-MID map only: it reuses the
 * request retransmission (zl_ep_exch_transmit, on_retx) and ends on its ACK/RST.
 * Every lookup is one hash probe; nothing scans all peers, so the cost of a
 * datagram does not grow with the number of devices. */
#include "coap/endpoint.h"
#include "coap/ep_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/hmap.h"
#include "common/log.h"


/* ---------------------------------------------------------------- helpers */

void zl_coap_random(zl_coap_ep_t *ep, void *out, size_t n) {
    uint8_t *o = out;
    while (n) {
        if (ep->rnd_pos == sizeof ep->rnd) {
            size_t got = 0;
            while (got < sizeof ep->rnd) {
                ssize_t r = getrandom(ep->rnd + got, sizeof ep->rnd - got, 0);
                if (r > 0) got += (size_t)r;
            }
            ep->rnd_pos = 0;
        }
        size_t k = sizeof ep->rnd - ep->rnd_pos;
        if (k > n) k = n;
        memcpy(o, ep->rnd + ep->rnd_pos, k);
        ep->rnd_pos += k;
        o += k;
        n -= k;
    }
}

/* The token bytes themselves (zero-padded); the length is kept and compared
 * separately, and deliver_assembled() copies the bytes back out of the key. */
uint64_t zl_ep_token_key(const uint8_t *t, uint8_t tkl) {
    uint64_t k = 0;
    memcpy(&k, t, tkl);
    return k;
}

static uint64_t mid_hash(zl_coap_ep_t *ep, const zl_coap_addr_t *a, uint16_t mid) {
    return zl_coap_addr_hash(ep->by_mid.seed, a) ^ zl_hash_u64(ep->by_mid.seed, mid);
}


/* Sends the queue on the socket of the endpoint that filled it. */
static void iob_flush(zl_coap_iobuf_t *b) {
    if (b->n_out == 0) return;
    zl_coap_ep_t *o = b->owner;
    o->io.send(o->io.impl, b->out, b->n_out);
    b->n_out = 0;
}

/* Queues a datagram for the next flush (flushing first if the batch is full
 * or, with a shared iobuf, holds another endpoint's datagrams). */
void zl_ep_enqueue(zl_coap_ep_t *ep, const zl_coap_addr_t *to, const uint8_t *p, size_t n) {
    if (n > ZL_COAP_MAX_DGRAM) return;
    zl_coap_iobuf_t *b = ep->iob;
    if (b->n_out == ZL_COAP_BATCH || (b->n_out && b->owner != ep)) {
        zl_coap_ep_t *o = b->owner;
        if (o->cfg.before_send) o->cfg.before_send(o->cfg.ctx); /* state before answers */
        iob_flush(b);
    }
    b->owner = ep;
    zl_coap_dgram_t *d = &b->out[b->n_out++];
    memcpy(d->data, p, n);
    d->len = n;
    d->addr = *to;
    C_INC(ep->c_tx);
}

void zl_ep_send_empty(zl_coap_ep_t *ep, const zl_coap_addr_t *to, uint8_t type, uint16_t mid) {
    uint8_t b[4] = {(uint8_t)(0x40 | type << 4), 0, (uint8_t)(mid >> 8), (uint8_t)mid};
    zl_ep_enqueue(ep, to, b, 4);
    if (type == ZL_COAP_RST) C_INC(ep->c_rst_sent);
}

void zl_coap_ep_flush(zl_coap_ep_t *ep) { iob_flush(ep->iob); }

zl_coap_iobuf_t *zl_coap_iobuf_new(void) {
    zl_coap_iobuf_t *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    for (int i = 0; i < ZL_COAP_BATCH; i++) {
        b->in[i].data = b->in_data[i];
        b->out[i].data = b->out_data[i];
    }
    return b;
}

void zl_coap_iobuf_flush(zl_coap_iobuf_t *b) {
    if (b) iob_flush(b);
}

void zl_coap_iobuf_free(zl_coap_iobuf_t *b) { free(b); }

/* ---------------------------------------------------------- exchanges */

void zl_ep_exch_free(zl_coap_ep_t *ep, exch_t *x) {
    zl_timer_disarm(ep->wheel, &x->retx);
    zl_timer_disarm(ep->wheel, &x->deadline);
    zl_hmap_remove(&ep->by_token, &x->by_token);
    if (x->in_mid_map) zl_hmap_remove(&ep->by_mid, &x->by_mid);
    zl_buf_free(&x->body);
    free(x->dgram);
    free(x->tx);
    free(x);
}

/* Runs the callback of an unlinked exchange x (still allocated). */
static void exch_report(zl_coap_ep_t *ep, exch_t *x, zl_err_t err, const zl_coap_msg_t *resp) {
    if (!x->is_msg) {
        if (x->cb) x->cb(x->ctx, err, resp);
    } else if (x->sent_cb) {
        x->sent_cb(x->ctx, err, x->mid, ep->cfg.max_retransmit - x->retries_left);
    }
}

/* Ends an exchange: unlinks it, then runs the callback (which may start new
 * requests), then frees it. */
void zl_ep_exch_finish(zl_coap_ep_t *ep, exch_t *x, zl_err_t err, const zl_coap_msg_t *resp) {
    zl_timer_disarm(ep->wheel, &x->retx);
    zl_timer_disarm(ep->wheel, &x->deadline);
    zl_hmap_remove(&ep->by_token, &x->by_token);
    if (x->in_mid_map) zl_hmap_remove(&ep->by_mid, &x->by_mid);
    x->in_mid_map = false;
    x->by_token.next = NULL;
    exch_report(ep, x, err, resp);
    zl_buf_free(&x->body);
    free(x->dgram);
    free(x->tx);
    free(x);
}

static void on_retx(zl_timer_t *t, void *arg) {
    exch_t *x = arg;
    zl_coap_ep_t *ep = x->ep;
    (void)t;
    if (x->acked) return;
    if (x->retries_left == 0) {
        C_INC(ep->c_timeout);
        zl_ep_exch_finish(ep, x, ZL_ERR_TIMEOUT, NULL);
        return;
    }
    x->retries_left--;
    x->rto_ms *= 2;
    C_INC(ep->c_retx);
    zl_ep_enqueue(ep, &x->peer, x->dgram, x->dlen);
    zl_timer_arm(ep->wheel, &x->retx, zl_now_ms() + x->rto_ms);
}

static void on_deadline(zl_timer_t *t, void *arg) {
    exch_t *x = arg;
    (void)t;
    C_INC(x->ep->c_timeout);
    zl_ep_exch_finish(x->ep, x, ZL_ERR_TIMEOUT, NULL);
}

exch_t *zl_ep_exch_new(zl_coap_ep_t *ep, const zl_coap_addr_t *peer, zl_coap_resp_cb cb, void *ctx) {
    exch_t *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    x->ep = ep;
    x->peer = *peer;
    x->cb = cb;
    x->ctx = ctx;
    zl_buf_init(&x->body, ep->cfg.max_body);
    zl_timer_init(&x->retx, on_retx, x);
    zl_timer_init(&x->deadline, on_deadline, x);
    return x;
}

/* Serialises req into x->dgram with a fresh MID and transmits it. */
zl_err_t zl_ep_exch_transmit(zl_coap_ep_t *ep, exch_t *x, zl_coap_msg_t *req) {
    uint8_t buf[ZL_COAP_MAX_DGRAM];
    if (x->in_mid_map) {
        zl_hmap_remove(&ep->by_mid, &x->by_mid);
        x->in_mid_map = false;
    }
    req->mid = x->mid = zl_ep_new_mid(ep);
    x->got_piggy = false; /* a new MID awaits its own answer */
    size_t n = zl_coap_serialize(req, buf, sizeof buf);
    if (!n) return ZL_ERR_TOO_LARGE;
    uint8_t *d = realloc(x->dgram, n);
    if (!d) return ZL_ERR_NOMEM;
    memcpy(d, buf, n);
    x->dgram = d;
    x->dlen = n;
    x->acked = false;
    if (x->confirmable) {
        zl_hmap_insert(&ep->by_mid, &x->by_mid, mid_hash(ep, &x->peer, x->mid));
        x->in_mid_map = true;
        uint32_t r;
        zl_coap_random(ep, &r, sizeof r);
        x->rto_ms = ep->cfg.ack_timeout_ms + (int)(r % (uint32_t)(ep->cfg.ack_timeout_ms / 2 + 1));
        x->retries_left = ep->cfg.max_retransmit;
        zl_timer_arm(ep->wheel, &x->retx, zl_now_ms() + x->rto_ms);
    }
    zl_ep_enqueue(ep, &x->peer, x->dgram, x->dlen);
    return ZL_OK;
}

/* The request last sent on x, parsed into req over a copy of its bytes (the
 * view must not borrow x->dgram, which the next transmit replaces), without
 * the options drop_a and drop_b.  Non-zero if there is none. */
int zl_ep_resend_view(const exch_t *x, zl_coap_msg_t *req, uint8_t copy[ZL_COAP_MAX_DGRAM],
                       uint16_t drop_a, uint16_t drop_b) {
    if (!x->dgram || zl_coap_parse(x->dgram, x->dlen, req) != ZL_OK) return -1;
    memcpy(copy, x->dgram, x->dlen);
    unsigned k = 0;
    for (unsigned i = 0; i < req->n_opts; i++)
        if (req->opts[i].num != drop_a && req->opts[i].num != drop_b) {
            req->opts[k] = req->opts[i];
            req->opts[k].val = copy + (req->opts[i].val - x->dgram);
            k++;
        }
    req->n_opts = k;
    if (req->payload) req->payload = copy + (req->payload - x->dgram);
    return 0;
}




zl_err_t zl_coap_request(zl_coap_ep_t *ep, const zl_coap_addr_t *peer, zl_coap_msg_t *req,
                         const zl_coap_req_opts_t *opts, zl_coap_resp_cb cb, void *ctx,
                         uint8_t token_out[8]) {
    exch_t *x = zl_ep_exch_new(ep, peer, cb, ctx);
    if (!x) return ZL_ERR_NOMEM;
    size_t whole = req->payload_len;
    if (whole > ((size_t)1 << (BLOCK1_SZX + 4))) { /* too big for one datagram: Block1 */
        if (!(x->tx = malloc(whole))) {
            zl_ep_exch_free(ep, x);
            return ZL_ERR_NOMEM;
        }
        memcpy(x->tx, req->payload, whole);
        x->tx_len = whole;
        req->payload_len = 0; /* zl_ep_block1_send() cuts the blocks from x->tx */
    }
    x->confirmable = opts->confirmable;
    x->observe = opts->observe;
    x->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 60000;
    uint8_t obs[4];
    if (opts->observe && !zl_coap_opt(req, ZL_OPT_OBSERVE)) zl_coap_add_uint(req, ZL_OPT_OBSERVE, 0, obs);
    req->type = opts->confirmable ? ZL_COAP_CON : ZL_COAP_NON;
    req->tkl = 8;
    do {
        zl_coap_random(ep, req->token, 8);
        x->token = zl_ep_token_key(req->token, 8);
        x->tkl = 8;
    } while (zl_hmap_first(&ep->by_token, zl_hash_u64(ep->by_token.seed, x->token)));
    zl_err_t err = x->tx ? zl_ep_block1_template(x, req) : zl_ep_exch_transmit(ep, x, req);
    if (!err && x->tx) err = zl_ep_block1_send(ep, x, 0, BLOCK1_SZX);
    req->payload_len = whole;
    if (err) {
        zl_ep_exch_free(ep, x);
        return err;
    }
    zl_hmap_insert(&ep->by_token, &x->by_token, zl_hash_u64(ep->by_token.seed, x->token));
    zl_timer_arm(ep->wheel, &x->deadline, zl_now_ms() + x->timeout_ms);
    if (token_out) memcpy(token_out, req->token, 8);
    return ZL_OK;
}

zl_err_t zl_coap_observe_attach(zl_coap_ep_t *ep, const zl_coap_addr_t *peer, const uint8_t *token,
                                uint8_t tkl, zl_coap_resp_cb cb, void *ctx, const uint8_t *req, size_t len) {
    if (tkl > 8 || len > ZL_COAP_MAX_DGRAM) return ZL_ERR_INVALID;
    exch_t *x = zl_ep_exch_new(ep, peer, cb, ctx);
    if (!x) return ZL_ERR_NOMEM;
    if (req && len) {
        if (!(x->dgram = malloc(len))) {
            zl_ep_exch_free(ep, x);
            return ZL_ERR_NOMEM;
        }
        memcpy(x->dgram, req, len);
        x->dlen = len;
    }
    x->observe = x->observing = x->acked = true;
    x->token = zl_ep_token_key(token, tkl);
    x->tkl = tkl;
    zl_hmap_insert(&ep->by_token, &x->by_token, zl_hash_u64(ep->by_token.seed, x->token));
    return ZL_OK;
}

static exch_t *find_token(zl_coap_ep_t *ep, const uint8_t *token, uint8_t tkl) {
    uint64_t key = zl_ep_token_key(token, tkl);
    for (zl_hnode_t *n = zl_hmap_first(&ep->by_token, zl_hash_u64(ep->by_token.seed, key)); n;
         n = zl_hmap_next_same(n)) {
        exch_t *x = ZL_CONTAINER_OF(n, exch_t, by_token);
        if (x->token == key && x->tkl == tkl) return x;
    }
    return NULL;
}

zl_err_t zl_coap_exchange_request(zl_coap_ep_t *ep, const uint8_t *token, uint8_t tkl, const uint8_t **req,
                                  size_t *len) {
    exch_t *x = find_token(ep, token, tkl);
    if (!x || !x->dgram) return ZL_ERR_NOT_FOUND;
    *req = x->dgram;
    *len = x->dlen;
    return ZL_OK;
}

zl_err_t zl_coap_rebind(zl_coap_ep_t *ep, const uint8_t *token, uint8_t tkl, zl_coap_resp_cb cb,
                        void *ctx) {
    exch_t *x = find_token(ep, token, tkl);
    if (!x) return ZL_ERR_NOT_FOUND;
    x->cb = cb;
    x->ctx = ctx;
    return ZL_OK;
}

zl_err_t zl_coap_observe_cancel(zl_coap_ep_t *ep, const uint8_t *token, uint8_t tkl, int timeout_ms,
                                zl_coap_resp_cb cb, void *ctx) {
    exch_t *x = find_token(ep, token, tkl);
    if (!x) return ZL_ERR_NOT_FOUND;
    zl_coap_msg_t req;
    uint8_t copy[ZL_COAP_MAX_DGRAM];
    if (zl_ep_resend_view(x, &req, copy, ZL_OPT_OBSERVE, ZL_OPT_BLOCK2)) return ZL_ERR_UNSUPPORTED;
    uint8_t one[4];
    zl_coap_add_uint(&req, ZL_OPT_OBSERVE, 1, one);
    req.type = ZL_COAP_CON;
    /* from now on the token is a plain request: its answer ends it */
    x->observe = x->observing = false;
    x->confirmable = true;
    x->cb = cb;
    x->ctx = ctx;
    zl_buf_reset(&x->body);
    x->blk_gen++; /* a Block2 fetch in flight belongs to the old observation */
    zl_err_t e = zl_ep_exch_transmit(ep, x, &req);
    if (e) {
        zl_ep_exch_free(ep, x);
        return e;
    }
    zl_timer_arm(ep->wheel, &x->deadline, zl_now_ms() + (timeout_ms > 0 ? timeout_ms : 60000));
    return ZL_OK;
}

zl_err_t zl_coap_reobserve(zl_coap_ep_t *ep, const uint8_t *token, uint8_t tkl, int timeout_ms) {
    exch_t *x = find_token(ep, token, tkl);
    if (!x) return ZL_ERR_NOT_FOUND;
    zl_coap_msg_t req;
    uint8_t copy[ZL_COAP_MAX_DGRAM];
    if (zl_ep_resend_view(x, &req, copy, ZL_OPT_OBSERVE, ZL_OPT_BLOCK2)) return ZL_ERR_UNSUPPORTED;
    uint8_t zero[4];
    zl_coap_add_uint(&req, ZL_OPT_OBSERVE, 0, zero);
    req.type = ZL_COAP_CON;
    /* observing again from scratch: the answer starts a new sequence (RFC 7641 §3.4) */
    x->observe = true;
    x->observing = false;
    x->acked = false;
    x->got_piggy = false;
    x->confirmable = true;
    zl_buf_reset(&x->body);
    x->blk_gen++;
    zl_err_t e = zl_ep_exch_transmit(ep, x, &req);
    if (e) return e;
    zl_timer_arm(ep->wheel, &x->deadline, zl_now_ms() + (timeout_ms > 0 ? timeout_ms : 60000));
    return ZL_OK;
}

zl_err_t zl_coap_cancel(zl_coap_ep_t *ep, const uint8_t *token, uint8_t tkl) {
    exch_t *x = find_token(ep, token, tkl);
    if (!x) return ZL_ERR_NOT_FOUND;
    zl_ep_exch_free(ep, x);
    return ZL_OK;
}

zl_err_t zl_coap_send(zl_coap_ep_t *ep, const zl_coap_addr_t *peer, zl_coap_msg_t *msg) {
    if (!msg->mid) msg->mid = zl_ep_new_mid(ep);
    uint8_t buf[ZL_COAP_MAX_DGRAM];
    size_t n = zl_coap_serialize(msg, buf, sizeof buf);
    if (!n) return ZL_ERR_TOO_LARGE;
    zl_ep_enqueue(ep, peer, buf, n);
    return ZL_OK;
}

zl_err_t zl_coap_send_con(zl_coap_ep_t *ep, const zl_coap_addr_t *peer, zl_coap_msg_t *msg, int timeout_ms,
                          zl_coap_sent_cb cb, void *ctx) {
    if (msg->code == ZL_COAP_EMPTY || zl_coap_is_request(msg->code)) return ZL_ERR_INVALID;
    exch_t *x = zl_ep_exch_new(ep, peer, NULL, ctx);
    if (!x) return ZL_ERR_NOMEM;
    x->is_msg = x->confirmable = true;
    x->sent_cb = cb;
    msg->type = ZL_COAP_CON;
    zl_err_t err = zl_ep_exch_transmit(ep, x, msg); /* MID, by-MID map, first RTO, first copy */
    if (err) {
        zl_ep_exch_free(ep, x);
        return err;
    }
    if (timeout_ms > 0) zl_timer_arm(ep->wheel, &x->deadline, zl_now_ms() + timeout_ms);
    return ZL_OK;
}

/* RFC 7641 §3.4: is notification v2 (at t2) newer than v1 (at t1)? */
static bool obs_newer(uint32_t v1, int64_t t1, uint32_t v2, int64_t t2) {
    return (v1 < v2 && v2 - v1 < (1u << 23)) || (v1 > v2 && v1 - v2 > (1u << 23)) ||
           t2 > t1 + 128000;
}

/* ------------------------------------------------------- Block2 fetches */

exch_t *zl_ep_find_key(zl_coap_ep_t *ep, uint64_t key, uint8_t tkl) {
    for (zl_hnode_t *n = zl_hmap_first(&ep->by_token, zl_hash_u64(ep->by_token.seed, key)); n;
         n = zl_hmap_next_same(n)) {
        exch_t *x = ZL_CONTAINER_OF(n, exch_t, by_token);
        if (x->token == key && x->tkl == tkl) return x;
    }
    return NULL;
}

/* Delivers a response (or notification) to x: an observation stays, anything
 * else ends the exchange. The callback may free x. */
void zl_ep_deliver(zl_coap_ep_t *ep, exch_t *x, const zl_coap_msg_t *m, bool is_notification,
                    uint32_t seq) {
    if (x->observe && is_notification && (m->code >> 5) == 2) {
        int64_t now = zl_now_ms();
        if (x->observing && !obs_newer(x->obs_seq, x->obs_time, seq, now)) {
            C_INC(ep->c_stale); /* RFC 7641 §3.4: older than one already delivered */
            return;
        }
        bool was_observing = x->observing;
        uint32_t old_seq = x->obs_seq;
        int64_t old_time = x->obs_time;
        x->observing = true;
        x->obs_seq = seq;
        x->obs_time = now;
        zl_timer_disarm(ep->wheel, &x->deadline);
        if (x->in_mid_map) {
            zl_hmap_remove(&ep->by_mid, &x->by_mid);
            x->in_mid_map = false;
        }
        ep->refused = false;
        x->cb(x->ctx, ZL_OK, m);
        if (ep->refused && was_observing) { /* not seen: its retransmission must not look stale */
            x->obs_seq = old_seq;
            x->obs_time = old_time;
        }
        return;
    }
    if (x->observing) return; /* e.g. a late non-notification: keep observing */
    zl_ep_exch_finish(ep, x, ZL_OK, m);
}






/* Handles a response (piggybacked, separate or notification) to one of our requests. */
static void handle_response(zl_coap_ep_t *ep, const zl_coap_addr_t *from, const zl_coap_msg_t *m) {
    exch_t *x = find_token(ep, m->token, m->tkl);
    if (!x || !zl_coap_addr_eq(&x->peer, from)) {
        C_INC(ep->c_unmatched);
        /* Unknown token: reject so the device stops notifying (reactive cancel). */
        if (m->type != ZL_COAP_ACK) zl_ep_send_empty(ep, from, ZL_COAP_RST, m->mid);
        return;
    }
    if (m->type == ZL_COAP_ACK && (m->mid != x->mid || x->got_piggy)) {
        /* a piggybacked answer matches MID and token (RFC 7252 §5.3.2): this is a
         * late duplicate for an earlier MID of this exchange (e.g. block 0 again) */
        C_INC(ep->c_unmatched);
        return;
    }
    if (x->observing && m->type == ZL_COAP_CON && ep->cfg.admit && !ep->cfg.admit(ep->cfg.ctx)) {
        C_INC(ep->c_shed); /* no ACK: a CON comes again after the device's backoff */
        if (ep->cfg.on_shed) ep->cfg.on_shed(ep->cfg.ctx, x->ctx);
        return;
    }
    /* A CON notification of an established observation is acknowledged once
     * it was delivered and kept (zl_coap_ep_refuse_notification); the ACK
     * leaves with the turn's batch either way, after the state is committed. */
    bool ack_after = m->type == ZL_COAP_CON && x->observing && !x->is_child;
    zl_coap_addr_t peer = *from;
    uint16_t mid = m->mid;
    if (m->type == ZL_COAP_CON && !ack_after) zl_ep_send_empty(ep, from, ZL_COAP_ACK, mid);
    if (m->type == ZL_COAP_ACK) x->got_piggy = true;
    x->acked = true;
    zl_timer_disarm(ep->wheel, &x->retx);

    if (x->is_child) {
        zl_ep_child_response(ep, x, m);
        return;
    }
    zl_coap_block_t b2;
    int hb = zl_coap_get_block(m, ZL_OPT_BLOCK2, &b2);
    if (ack_after && hb != 0) { /* block-wise notification: acknowledged at once, as before */
        zl_ep_send_empty(ep, &peer, ZL_COAP_ACK, mid);
        ack_after = false;
    }
    if (zl_ep_block1_continue(ep, x, m)) {
        if (ack_after) zl_ep_send_empty(ep, &peer, ZL_COAP_ACK, mid);
        return;
    }
    /* Block2: a first block with more to come starts a follow-up fetch; the
     * assembled body is delivered by deliver_assembled(). */
    if (hb < 0 || (hb == 1 && b2.num != 0)) {
        if (x->observing) return; /* a bad notification does not end the observation */
        zl_ep_exch_finish(ep, x, ZL_ERR_INVALID, NULL);
        return;
    }
    if (hb == 1 && b2.more) {
        zl_ep_blk_start(ep, x, m, &b2);
        return;
    }

    int64_t seq = zl_coap_opt_uint(m, ZL_OPT_OBSERVE, -1);
    ep->refused = false;
    zl_coap_held_ack_t ackable = {.peer = peer, .token = x->token, .tkl = x->tkl, .mid = mid,
                                  .seq = seq >= 0 ? (uint32_t)seq : 0};
    ep->ackable = ack_after ? &ackable : NULL; /* the callback may hold the ACK (held.c) */
    ep->held_now = false;
    zl_ep_deliver(ep, x, m, seq >= 0, seq >= 0 ? (uint32_t)seq : 0); /* may free x */
    ep->ackable = NULL;
    if (!ack_after || ep->held_now) return;
    if (ep->refused) C_INC(ep->c_shed); /* no ACK: the device retransmits it */
    else if (!zl_ep_ack_is_held(ep, &peer, mid)) zl_ep_send_empty(ep, &peer, ZL_COAP_ACK, mid);
    /* else: a retransmission of one whose ACK is held: that ACK answers both */
}

void zl_coap_ep_refuse_notification(zl_coap_ep_t *ep) { ep->refused = true; }

static void handle_empty(zl_coap_ep_t *ep, const zl_coap_addr_t *from, const zl_coap_msg_t *m) {
    if (m->type == ZL_COAP_CON) { /* CoAP ping */
        zl_ep_send_empty(ep, from, ZL_COAP_RST, m->mid);
        return;
    }
    uint64_t h = mid_hash(ep, from, m->mid);
    for (zl_hnode_t *n = zl_hmap_first(&ep->by_mid, h); n; n = zl_hmap_next_same(n)) {
        exch_t *x = ZL_CONTAINER_OF(n, exch_t, by_mid);
        if (x->mid != m->mid || !zl_coap_addr_eq(&x->peer, from)) continue;
        if (m->type == ZL_COAP_RST) {
            zl_ep_exch_finish(ep, x, ZL_ERR_RESET, NULL);
        } else if (m->type == ZL_COAP_ACK && x->is_msg) {
            zl_ep_exch_finish(ep, x, ZL_OK, NULL); /* the ACK is all a non-request waits for */
        } else if (m->type == ZL_COAP_ACK) {
            x->acked = true; /* separate response follows; the deadline still runs */
            zl_timer_disarm(ep->wheel, &x->retx);
        }
        return;
    }
    C_INC(ep->c_unmatched);
    if (m->type == ZL_COAP_RST && ep->cfg.on_rst) ep->cfg.on_rst(ep->cfg.ctx, from, m->mid);
}

/* ------------------------------------------------------ duplicate cache */

static void dedup_expire(zl_coap_ep_t *ep, int64_t now) {
    while (ep->dd_head &&
           (ep->dedup.count > ep->cfg.max_dedup || ep->dd_head->at + ep->cfg.exchange_lifetime_ms < now)) {
        dedup_t *d = ep->dd_head;
        ep->dd_head = d->next;
        if (!ep->dd_head) ep->dd_tail = NULL;
        zl_hmap_remove(&ep->dedup, &d->node);
        free(d);
    }
}

/* The security session a peer's datagrams come through: a message of a new
 * DTLS session from the same address is never a duplicate of an old one's. */
static uint64_t peer_session(const zl_coap_ep_t *ep, const zl_coap_addr_t *from) {
    return ep->io.session ? ep->io.session(ep->io.impl, from) : 0;
}

static dedup_t *dedup_find(zl_coap_ep_t *ep, const zl_coap_addr_t *from, uint16_t mid, uint64_t h) {
    uint64_t session = 0;
    bool looked = false;
    for (zl_hnode_t *n = zl_hmap_first(&ep->dedup, h); n; n = zl_hmap_next_same(n)) {
        dedup_t *d = ZL_CONTAINER_OF(n, dedup_t, node);
        if (d->mid != mid || !zl_coap_addr_eq(&d->peer, from)) continue;
        if (!looked) session = peer_session(ep, from), looked = true;
        if (d->session == session) return d;
    }
    return NULL;
}

static void dedup_add(zl_coap_ep_t *ep, const zl_coap_addr_t *from, uint16_t mid, uint64_t h,
                      const uint8_t *resp, size_t len) {
    dedup_t *d = malloc(sizeof *d + len);
    if (!d) return;
    d->peer = *from;
    d->session = peer_session(ep, from);
    d->mid = mid;
    d->at = zl_now_ms();
    d->len = (uint16_t)len;
    if (len) memcpy(d->data, resp, len);
    d->next = NULL;
    if (ep->dd_tail) ep->dd_tail->next = d; else ep->dd_head = d;
    ep->dd_tail = d;
    zl_hmap_insert(&ep->dedup, &d->node, h);
    dedup_expire(ep, d->at);
}





/* ---------------------------------------------------------- requests in */

static void handle_request(zl_coap_ep_t *ep, const zl_coap_addr_t *from, const zl_coap_msg_t *m) {
    uint64_t h = 0;
    if (m->type == ZL_COAP_CON || m->type == ZL_COAP_NON) {
        dedup_expire(ep, zl_now_ms()); /* an entry past EXCHANGE_LIFETIME is no duplicate */
        h = zl_coap_addr_hash(ep->dedup.seed, from) ^ zl_hash_u64(ep->dedup.seed, m->mid);
        dedup_t *d = dedup_find(ep, from, m->mid, h);
        if (d) {
            C_INC(ep->c_dup);
            if (d->len) zl_ep_enqueue(ep, from, d->data, d->len);
            return;
        }
    } else {
        return; /* requests in ACK/RST are invalid: ignore */
    }
    zl_coap_msg_t resp;
    zl_coap_init(&resp, m->type == ZL_COAP_CON ? ZL_COAP_ACK : ZL_COAP_NON, ZL_COAP_NOT_FOUND,
                 m->type == ZL_COAP_CON ? m->mid : zl_ep_new_mid(ep));
    resp.tkl = m->tkl;
    memcpy(resp.token, m->token, m->tkl);

    uint8_t scratch[4];
    zl_coap_block_t b1;
    int hb = zl_coap_get_block(m, ZL_OPT_BLOCK1, &b1);
    assembly_t *done = NULL;
    if (hb < 0) {
        resp.code = ZL_COAP_BAD_OPTION;
    } else if (hb == 1) {
        zl_buf_t *full = NULL;
        if (zl_ep_block1_step(ep, from, m, &b1, &resp, scratch, &full, &done)) {
            zl_coap_msg_t whole = *m;
            whole.payload = full->data;
            whole.payload_len = full->len;
            /* drop Block1 from the view the handler sees */
            unsigned k = 0;
            for (unsigned i = 0; i < whole.n_opts; i++)
                if (whole.opts[i].num != ZL_OPT_BLOCK1) whole.opts[k++] = whole.opts[i];
            whole.n_opts = k;
            resp.code = ZL_COAP_NOT_FOUND;
            if (ep->cfg.on_request) ep->cfg.on_request(ep->cfg.ctx, ep, from, &whole, &resp);
        }
    } else if (ep->cfg.on_request) {
        ep->cfg.on_request(ep->cfg.ctx, ep, from, m, &resp);
    }
    if (ep->deferring) { /* the handler will answer later: remember the request, send nothing */
        ep->deferring = NULL;
        if (done) zl_ep_asm_free(ep, done);
        dedup_add(ep, from, m->mid, h, NULL, 0);
        return;
    }
    uint8_t buf[ZL_COAP_MAX_DGRAM];
    size_t n = zl_coap_serialize(&resp, buf, sizeof buf);
    if (!n) { /* response too big for a datagram: tell the client instead of silence */
        zl_coap_init(&resp, resp.type, ZL_COAP_INTERNAL_ERROR, resp.mid);
        resp.tkl = m->tkl;
        memcpy(resp.token, m->token, m->tkl);
        n = zl_coap_serialize(&resp, buf, sizeof buf);
    }
    if (done) zl_ep_asm_free(ep, done); /* after serialisation: resp may borrow nothing from it */
    zl_ep_enqueue(ep, from, buf, n);
    dedup_add(ep, from, m->mid, h, buf, n);
}

/* A datagram longer than our buffer (cut by the kernel): a confirmable
 * request whose header and token arrived gets 4.13 with Size1 (RFC 7959
 * §2.9.3: the largest request entity we take in one message), telling the
 * client to go block-wise instead of leaving it to retransmit in vain. */
static bool answer_too_large(zl_coap_ep_t *ep, const zl_coap_dgram_t *d) {
    const uint8_t *p = d->data;
    unsigned tkl = p[0] & 0x0f;
    if (d->len < 4 + tkl || (p[0] >> 6) != 1 || ((p[0] >> 4) & 3) != ZL_COAP_CON || tkl > 8 ||
        !zl_coap_is_request(p[1]))
        return false;
    zl_coap_msg_t resp;
    zl_coap_init(&resp, ZL_COAP_ACK, ZL_COAP_TOO_LARGE, (uint16_t)(p[2] << 8 | p[3]));
    resp.tkl = (uint8_t)tkl;
    memcpy(resp.token, p + 4, tkl);
    uint8_t s1[4], buf[64];
    zl_coap_add_uint(&resp, ZL_OPT_SIZE1, 1024, s1);
    size_t n = zl_coap_serialize(&resp, buf, sizeof buf);
    if (n) zl_ep_enqueue(ep, &d->addr, buf, n);
    return n != 0;
}

static void handle_dgram(zl_coap_ep_t *ep, zl_coap_dgram_t *d) {
    zl_coap_msg_t m;
    C_INC(ep->c_rx);
    if (d->truncated) {
        C_INC(ep->c_too_large);
        if (!answer_too_large(ep, d) && d->len >= 4 && (d->data[0] >> 6) == 1 &&
            ((d->data[0] >> 4) & 3) == ZL_COAP_CON)
            zl_ep_send_empty(ep, &d->addr, ZL_COAP_RST, (uint16_t)(d->data[2] << 8 | d->data[3]));
        return;
    }
    zl_err_t err = d->truncated ? ZL_ERR_TOO_LARGE : zl_coap_parse(d->data, d->len, &m);
    if (err) {
        C_INC(ep->c_malformed);
        char host[64];
        zl_coap_addr_host(&d->addr, host, sizeof host);
        ZL_DEBUG("coap", "malformed datagram (%zu bytes) from %s:%d: %s", d->len, host,
                 zl_coap_addr_port(&d->addr), zl_err2str(err));
        /* RFC 7252 §4.2/4.3: reject a CON/NON we cannot process with RST if the header parsed */
        if (err != ZL_ERR_TRUNCATED && d->len >= 4 && (d->data[0] >> 6) == 1 &&
            ((d->data[0] >> 4) & 3) <= ZL_COAP_NON)
            zl_ep_send_empty(ep, &d->addr, ZL_COAP_RST, (uint16_t)(d->data[2] << 8 | d->data[3]));
        return;
    }
    if (m.code == ZL_COAP_EMPTY) handle_empty(ep, &d->addr, &m);
    else if (zl_coap_is_request(m.code)) handle_request(ep, &d->addr, &m);
    else if (zl_coap_is_response(m.code)) handle_response(ep, &d->addr, &m);
    else {
        C_INC(ep->c_malformed);
        if (m.type == ZL_COAP_CON || m.type == ZL_COAP_NON) zl_ep_send_empty(ep, &d->addr, ZL_COAP_RST, m.mid);
    }
}

uint64_t zl_coap_ep_rx_ns(const zl_coap_ep_t *ep) { return ep->rx_ns; }

/* Datagrams the kernel dropped since the last batch (its receive buffer was
 * full: the loop thread was kept from reading long enough): counted, and
 * logged on the first loss and then at most once a minute. */
static void count_drops(zl_coap_ep_t *ep) {
    uint64_t now = ep->io.drops(ep->io.impl);
    if (now <= ep->sock_drops) return;
    uint64_t d = now - ep->sock_drops;
    ep->sock_drops = now;
    C_ADD(ep->c_sock_drops, d);
    int64_t t = zl_now_ms();
    if (ep->drops_logged_ms && t - ep->drops_logged_ms < 60000) return;
    ep->drops_logged_ms = t;
    char a[64];
    zl_coap_addr_host(&ep->io.local, a, sizeof a);
    ZL_WARN("coap", "%s port %d: the kernel dropped %" PRIu64 " datagram(s) (%" PRIu64 " in all) because the socket's "
            "receive buffer was full: the process did not read fast enough; raise coap.socket.buffer (and "
            "net.core.rmem_max, or run with CAP_NET_ADMIN) or give it more CPU",
            a, zl_coap_addr_port(&ep->io.local), d, now);
}

int zl_coap_ep_read(zl_coap_ep_t *ep, int budget) {
    int total = 0;
    for (int b = 0; b < budget; b++) {
        zl_coap_dgram_t *in = ep->iob->in;
        int n = ep->io.recv(ep->io.impl, in, ZL_COAP_BATCH);
        if (n <= 0) break;
        ep->rx_ns = zl_now_ns(); /* one clock read per batch */
        if (ep->io.drops) count_drops(ep);
        for (int i = 0; i < n; i++) handle_dgram(ep, &in[i]);
        total += n;
        if (n < ZL_COAP_BATCH) break;
    }
    return total;
}

/* ------------------------------------------------------------ lifecycle */

#define C(field, name, help) ZL_COUNTER_DEF(zl_coap_ep_t, field, name, help)
static const zl_metric_def_t ep_metric_defs[] = {
    C(c_rx, "zeelos_coap_datagrams_received_total", "CoAP datagrams received."),
    C(c_tx, "zeelos_coap_datagrams_sent_total", "CoAP datagrams queued for sending."),
    C(c_malformed, "zeelos_coap_malformed_total",
      "Datagrams dropped because they are not valid CoAP (answered with RST when possible)."),
    C(c_dup, "zeelos_coap_duplicates_total", "Duplicate requests answered from the duplicate cache."),
    C(c_retx, "zeelos_coap_retransmissions_total", "CON retransmissions sent."),
    C(c_timeout, "zeelos_coap_timeouts_total",
      "Outgoing requests (and confirmable notifications) that got no answer in time."),
    C(c_rst_sent, "zeelos_coap_rst_sent_total", "RST messages sent."),
    C(c_shed, "zeelos_coap_notifications_shed_total",
      "Confirmable notifications not accepted (Kafka behind without a spool, the spool full, or the "
      "record could not be kept): left unacknowledged so the device retransmits them."),
    C(c_stale, "zeelos_coap_notifications_stale_total",
      "Notifications older than one already delivered for the same observation (RFC 7641 section 3.4 "
      "ordering), acknowledged and not forwarded."),
    C(c_unmatched, "zeelos_coap_unmatched_total", "Responses/ACKs that matched no outstanding exchange."),
    C(c_too_large, "zeelos_coap_too_large_total",
      "Datagrams over the 1536-byte buffer (a confirmable request gets 4.13 with Size1 1024)."),
    C(c_sock_drops, "zeelos_coap_socket_drops_total",
      "Datagrams the kernel dropped because the socket's receive buffer was full (SO_RXQ_OVFL): lost "
      "before CoAP saw them. Raise coap.socket.buffer, or see why the loop thread was not reading."),
    C(c_blk_evicted, "zeelos_coap_block_evicted_total",
      "Incomplete Block1 uploads dropped to stay within coap.block.max.uploads / coap.block.max.bytes."),
};
#undef C

zl_coap_ep_t *zl_coap_ep_new(const zl_coap_ep_cfg_t *cfg, zl_wheel_t *wheel, char *errstr,
                             size_t errstr_size) {
    zl_coap_ep_t *ep = cfg->io.recv && cfg->io.send ? calloc(1, sizeof *ep) : NULL;
    if (!ep) {
        snprintf(errstr, errstr_size, "%s", cfg->io.recv ? "out of memory" : "CoAP endpoint without a transport");
        if (cfg->io.close) cfg->io.close(cfg->io.impl);
        return NULL;
    }
    ep->cfg = *cfg;
    ep->io = cfg->io; /* ours from here on, closed in zl_coap_ep_destroy() */
    memset(&ep->cfg.io, 0, sizeof ep->cfg.io); /* one owner: ep->io */
    if (ep->cfg.ack_timeout_ms <= 0) ep->cfg.ack_timeout_ms = 2000;
    if (ep->cfg.max_retransmit < 0) ep->cfg.max_retransmit = 4;
    if (ep->cfg.exchange_lifetime_ms <= 0) ep->cfg.exchange_lifetime_ms = 247000;
    if (!ep->cfg.max_dedup) ep->cfg.max_dedup = 65536;
    if (!ep->cfg.max_body) ep->cfg.max_body = 65536;
    if (!ep->cfg.max_uploads) ep->cfg.max_uploads = 1024;
    if (!ep->cfg.max_upload_bytes) ep->cfg.max_upload_bytes = (size_t)16 << 20;
    ep->wheel = wheel;
    ep->deferred.next = ep->deferred.prev = &ep->deferred;
    ep->rnd_pos = sizeof ep->rnd;
    bool shared = cfg->shared_io != NULL;
    ep->iob = shared ? cfg->shared_io : zl_coap_iobuf_new();
    size_t hsz = shared ? 16 : 64; /* a simulated device talks to one server */
    if (!ep->iob || zl_hmap_init(&ep->by_token, hsz) || zl_hmap_init(&ep->by_mid, hsz) ||
        zl_hmap_init(&ep->dedup, hsz) || zl_hmap_init(&ep->asm_by_peer, 16)) {
        snprintf(errstr, errstr_size, "out of memory");
        zl_coap_ep_destroy(ep);
        return NULL;
    }
    zl_coap_random(ep, &ep->next_mid, sizeof ep->next_mid);
    if (cfg->metrics) {
        zl_metrics_register(cfg->metrics, ep_metric_defs, sizeof ep_metric_defs / sizeof ep_metric_defs[0], ep);
    }
    return ep;
}

/* Ends the zl_coap_send_con() exchanges, the only ones left in the by-MID
 * map once every token exchange is finished. */
static void cancel_messages(zl_coap_ep_t *ep) {
    while (ep->by_mid.count) {
        size_t b = 0;
        zl_hnode_t *n = zl_hmap_iter(&ep->by_mid, &b, NULL);
        zl_ep_exch_finish(ep, ZL_CONTAINER_OF(n, exch_t, by_mid), ZL_ERR_CANCELLED, NULL);
    }
}

void zl_coap_ep_destroy(zl_coap_ep_t *ep) {
    if (!ep) return;
    if (ep->deferred.next) zl_ep_deferred_drop_all(ep);
    if (ep->by_token.buckets) {
        /* A callback may cancel other exchanges or start new ones, so never hold
         * a "next" pointer across it: always finish the first remaining one. */
        while (ep->by_token.count) {
            size_t b = 0;
            zl_hnode_t *n = zl_hmap_iter(&ep->by_token, &b, NULL);
            while (n) {
                zl_ep_exch_finish(ep, ZL_CONTAINER_OF(n, exch_t, by_token), ZL_ERR_CANCELLED, NULL);
                n = zl_hmap_iter(&ep->by_token, &b, NULL); /* restarts at bucket b */
            }
        }
    }
    if (ep->by_mid.buckets) cancel_messages(ep);
    if (ep->asm_by_peer.buckets) {
        size_t b = 0;
        zl_hnode_t *n = zl_hmap_iter(&ep->asm_by_peer, &b, NULL);
        while (n) {
            zl_hnode_t *next = zl_hmap_iter(&ep->asm_by_peer, &b, n);
            zl_ep_asm_free(ep, ZL_CONTAINER_OF(n, assembly_t, node));
            n = next;
        }
    }
    while (ep->dd_head) {
        dedup_t *d = ep->dd_head;
        ep->dd_head = d->next;
        free(d);
    }
    if (ep->iob && ep->iob->owner == ep) { /* send what is still queued, then forget ep */
        if (ep->io.close) iob_flush(ep->iob);
        ep->iob->n_out = 0;
        ep->iob->owner = NULL;
    }
    if (ep->io.close) ep->io.close(ep->io.impl);
    if (ep->iob && ep->iob != ep->cfg.shared_io) zl_coap_iobuf_free(ep->iob);
    zl_hmap_free(&ep->by_token);
    zl_hmap_free(&ep->by_mid);
    zl_hmap_free(&ep->dedup);
    zl_hmap_free(&ep->asm_by_peer);
    zl_ep_held_free(ep);
    free(ep);
}

int zl_coap_ep_fd(const zl_coap_ep_t *ep) { return ep->io.fd; }
const zl_coap_addr_t *zl_coap_ep_local(const zl_coap_ep_t *ep) { return &ep->io.local; }
