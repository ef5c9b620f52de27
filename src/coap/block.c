/* SPDX-License-Identifier: Apache-2.0 */
/* Block-wise transfers (RFC 7959) of the CoAP message layer:
 *   Block1 out: a request too big for a datagram goes in 1024-byte blocks
 *     (Size1 on the first), following the server's smaller size if it asks;
 *   Block2 in:  a response or notification in blocks is fetched on a child
 *     exchange with its own token (§3.4) and delivered once assembled;
 *   Block1 in:  a request in blocks is reassembled per peer (2.31 Continue,
 *     4.08 out of order, 4.13 over max_body).
 * Split from endpoint.c so each file reads on its own; both share ep_int.h. */
#include <stdlib.h>
#include <string.h>

#include "coap/ep_int.h"
#include "common/clock.h"

/* Sends the Block1 block of x->tx that starts at byte off, blocks of 2^(szx+4)
 * bytes, as a new message of the exchange (same token, fresh MID).  base is
 * the request the blocks are cut from (x->dgram: the previous block). */
zl_err_t zl_ep_block1_send(zl_coap_ep_t *ep, exch_t *x, size_t off, unsigned szx) {
    zl_coap_msg_t req;
    uint8_t copy[ZL_COAP_MAX_DGRAM], b1[4], s1[4];
    if (zl_ep_resend_view(x, &req, copy, ZL_OPT_BLOCK1, ZL_OPT_SIZE1)) return ZL_ERR_INVALID;
    size_t size = (size_t)1 << (szx + 4), n = x->tx_len - off < size ? x->tx_len - off : size;
    zl_coap_block_t b = {.num = (uint32_t)(off / size), .more = off + n < x->tx_len, .szx = (uint8_t)szx};
    zl_coap_add_uint(&req, ZL_OPT_BLOCK1, zl_coap_block_encode(&b), b1);
    if (off == 0) zl_coap_add_uint(&req, ZL_OPT_SIZE1, (uint32_t)x->tx_len, s1); /* RFC 7959 §4 */
    req.payload = x->tx + off;
    req.payload_len = n;
    return zl_ep_exch_transmit(ep, x, &req);
}

/* Keeps req (without payload) as the template zl_ep_block1_send() cuts blocks into. */
zl_err_t zl_ep_block1_template(exch_t *x, const zl_coap_msg_t *req) {
    uint8_t buf[ZL_COAP_MAX_DGRAM];
    size_t n = zl_coap_serialize(req, buf, sizeof buf);
    if (!n) return ZL_ERR_TOO_LARGE;
    if (!(x->dgram = malloc(n))) return ZL_ERR_NOMEM;
    memcpy(x->dgram, buf, n);
    x->dlen = n;
    return ZL_OK;
}

/* A 2.31 Continue for a Block1 upload: the next block, in the size the
 * server asked for (§2.5: it may lower SZX; blocks are renumbered from the
 * byte offset).  Returns false when this is not such an answer. */
bool zl_ep_block1_continue(zl_coap_ep_t *ep, exch_t *x, const zl_coap_msg_t *m) {
    zl_coap_block_t e;
    if (!x->tx || m->code != ZL_COAP_CONTINUE || zl_coap_get_block(m, ZL_OPT_BLOCK1, &e) != 1) return false;
    unsigned szx = e.szx < BLOCK1_SZX ? e.szx : BLOCK1_SZX;
    size_t off = ((size_t)e.num + 1) << (szx + 4);
    zl_err_t err = off < x->tx_len ? zl_ep_block1_send(ep, x, off, szx) : ZL_ERR_INVALID;
    if (err) zl_ep_exch_finish(ep, x, err, NULL);
    return true;
}

/* The body of x is complete: rebuild the first block's response around it. */
static void deliver_assembled(zl_coap_ep_t *ep, exch_t *x) {
    zl_coap_msg_t full;
    uint8_t s1[4], s2[4];
    zl_coap_init(&full, ZL_COAP_ACK, x->blk_code, x->mid);
    full.tkl = x->tkl;
    memcpy(full.token, &x->token, x->tkl); /* zl_ep_token_key keeps the bytes in the low part */
    if (x->blk_obs) zl_coap_add_uint(&full, ZL_OPT_OBSERVE, x->blk_seq, s1);
    if (x->blk_cf >= 0) zl_coap_add_uint(&full, ZL_OPT_CONTENT_FORMAT, (uint32_t)x->blk_cf, s2);
    zl_buf_t body = x->body; /* the callback may free x: detach the body first */
    zl_buf_init(&x->body, ep->cfg.max_body);
    full.payload = body.data;
    full.payload_len = body.len;
    zl_ep_deliver(ep, x, &full, x->blk_obs, x->blk_seq);
    zl_buf_free(&body);
}

/* A follow-up fetch failed (timeout, RST, shutdown). */
static void on_child_error(void *ctx, zl_err_t err, const zl_coap_msg_t *resp) {
    exch_t *c = ctx;
    (void)resp;
    exch_t *p = zl_ep_find_key(c->ep, c->parent_token, c->parent_tkl);
    if (!p || p->blk_gen != c->parent_gen) return;
    zl_buf_reset(&p->body);
    if (!p->observing) zl_ep_exch_finish(c->ep, p, err, NULL);
}

/* Asks for block num of the body x is assembling, on child exchange c (new
 * token on the first call). */
static zl_err_t blk_request(zl_coap_ep_t *ep, exch_t *x, exch_t *c, const zl_coap_block_t *want) {
    zl_coap_msg_t req;
    uint8_t copy[ZL_COAP_MAX_DGRAM];
    if (zl_ep_resend_view(x, &req, copy, ZL_OPT_BLOCK2, ZL_OPT_OBSERVE)) return ZL_ERR_INVALID;
    req.type = ZL_COAP_CON;
    req.tkl = 8;
    memcpy(req.token, &c->token, 8);
    uint8_t s[4];
    zl_coap_add_uint(&req, ZL_OPT_BLOCK2, zl_coap_block_encode(want), s);
    return zl_ep_exch_transmit(ep, c, &req);
}

void zl_ep_blk_start(zl_coap_ep_t *ep, exch_t *x, const zl_coap_msg_t *m, const zl_coap_block_t *b2) {
    int64_t bseq = zl_coap_opt_uint(m, ZL_OPT_OBSERVE, -1);
    x->blk_gen++;
    x->blk_obs = x->observe && bseq >= 0 && (m->code >> 5) == 2;
    x->blk_seq = bseq >= 0 ? (uint32_t)bseq : 0;
    x->blk_code = m->code;
    x->blk_cf = zl_coap_opt_uint(m, ZL_OPT_CONTENT_FORMAT, -1);
    zl_buf_reset(&x->body);
    zl_err_t e = zl_buf_append(&x->body, m->payload, m->payload_len);
    exch_t *c = e ? NULL : zl_ep_exch_new(ep, &x->peer, on_child_error, NULL);
    if (!e && !c) e = ZL_ERR_NOMEM;
    if (!e) {
        c->ctx = c;
        c->is_child = true;
        c->confirmable = true;
        c->parent_token = x->token;
        c->parent_tkl = x->tkl;
        c->parent_gen = x->blk_gen;
        c->tkl = 8;
        do zl_coap_random(ep, &c->token, 8);
        while (zl_ep_find_key(ep, c->token, 8));
        zl_coap_block_t want = {.num = 1, .more = false, .szx = b2->szx};
        e = blk_request(ep, x, c, &want);
        if (!e) {
            zl_hmap_insert(&ep->by_token, &c->by_token, zl_hash_u64(ep->by_token.seed, c->token));
            zl_timer_arm(ep->wheel, &c->deadline, zl_now_ms() + (x->timeout_ms > 0 ? x->timeout_ms : 60000));
        } else {
            zl_ep_exch_free(ep, c);
        }
    }
    if (e) {
        zl_buf_reset(&x->body);
        if (!x->observing) zl_ep_exch_finish(ep, x, e, NULL);
    }
}

/* A block answered on a child exchange. */
void zl_ep_child_response(zl_coap_ep_t *ep, exch_t *c, const zl_coap_msg_t *m) {
    exch_t *p = zl_ep_find_key(ep, c->parent_token, c->parent_tkl);
    if (!p || p->blk_gen != c->parent_gen) { /* parent gone or a newer notification started */
        zl_ep_exch_free(ep, c);
        return;
    }
    zl_coap_block_t b2;
    zl_err_t e = ZL_OK;
    if (zl_coap_get_block(m, ZL_OPT_BLOCK2, &b2) != 1 || (m->code >> 5) != 2 ||
        (size_t)b2.num * ((size_t)16 << b2.szx) != p->body.len)
        e = ZL_ERR_INVALID;
    else if (zl_buf_append(&p->body, m->payload, m->payload_len) != ZL_OK)
        e = ZL_ERR_TOO_LARGE;
    else if (b2.more) {
        zl_coap_block_t want = {.num = b2.num + 1, .more = false, .szx = b2.szx};
        e = blk_request(ep, p, c, &want);
        if (!e) return;
    }
    zl_ep_exch_free(ep, c);
    if (e) {
        zl_buf_reset(&p->body);
        if (!p->observing) zl_ep_exch_finish(ep, p, e, NULL);
        return;
    }
    deliver_assembled(ep, p);
}

static void lru_unlink(zl_coap_ep_t *ep, assembly_t *a) {
    if (a->lru_prev) a->lru_prev->lru_next = a->lru_next;
    else ep->lru_head = a->lru_next;
    if (a->lru_next) a->lru_next->lru_prev = a->lru_prev;
    else ep->lru_tail = a->lru_prev;
    a->lru_prev = a->lru_next = NULL;
}

static void lru_push(zl_coap_ep_t *ep, assembly_t *a) {
    a->lru_prev = ep->lru_tail;
    a->lru_next = NULL;
    if (ep->lru_tail) ep->lru_tail->lru_next = a;
    else ep->lru_head = a;
    ep->lru_tail = a;
}

void zl_ep_asm_free(zl_coap_ep_t *ep, assembly_t *a) {
    zl_timer_disarm(ep->wheel, &a->expiry);
    zl_hmap_remove(&ep->asm_by_peer, &a->node);
    lru_unlink(ep, a);
    ep->asm_bytes -= a->body.len;
    zl_buf_free(&a->body);
    free(a);
}

static void on_asm_expiry(zl_timer_t *t, void *ctx) {
    assembly_t *a = ctx;
    (void)t;
    zl_ep_asm_free(a->ep, a);
}

static assembly_t *asm_find(zl_coap_ep_t *ep, const zl_coap_addr_t *from) {
    uint64_t h = zl_coap_addr_hash(ep->asm_by_peer.seed, from);
    for (zl_hnode_t *n = zl_hmap_first(&ep->asm_by_peer, h); n; n = zl_hmap_next_same(n)) {
        assembly_t *a = ZL_CONTAINER_OF(n, assembly_t, node);
        if (zl_coap_addr_eq(&a->peer, from)) return a;
    }
    return NULL;
}

/* Makes room for `more` bytes and, when adding an upload, one more upload:
 * drops the least recently used ones other than keep (counted). */
static void asm_make_room(zl_coap_ep_t *ep, assembly_t *keep, size_t more, bool new_upload) {
    while (ep->lru_head) {
        bool over_n = new_upload && ep->asm_by_peer.count >= ep->cfg.max_uploads;
        bool over_b = ep->asm_bytes + more > ep->cfg.max_upload_bytes;
        if (!over_n && !over_b) return;
        assembly_t *victim = ep->lru_head == keep ? keep->lru_next : ep->lru_head;
        if (!victim) return;
        C_INC(ep->c_blk_evicted);
        zl_ep_asm_free(ep, victim);
    }
}

/* Returns 1 when the request is complete (body in *full), 0 when a 2.31 or an
 * error response has been prepared in resp. */
int zl_ep_block1_step(zl_coap_ep_t *ep, const zl_coap_addr_t *from, const zl_coap_msg_t *req,
                       const zl_coap_block_t *b1, zl_coap_msg_t *resp, uint8_t scratch[4],
                       zl_buf_t **full, assembly_t **done) {
    assembly_t *a = asm_find(ep, from);
    if (b1->num == 0) {
        if (a) zl_ep_asm_free(ep, a);
        asm_make_room(ep, NULL, req->payload_len, true);
        a = calloc(1, sizeof *a);
        if (!a) { resp->code = ZL_COAP_SERVICE_UNAVAILABLE; return 0; }
        a->peer = *from;
        a->ep = ep;
        zl_buf_init(&a->body, ep->cfg.max_body);
        zl_timer_init(&a->expiry, on_asm_expiry, a);
        zl_hmap_insert(&ep->asm_by_peer, &a->node, zl_coap_addr_hash(ep->asm_by_peer.seed, from));
        lru_push(ep, a);
    } else if (!a || a->next_num != b1->num || a->szx != b1->szx) {
        resp->code = ZL_COAP_INCOMPLETE;
        if (a) zl_ep_asm_free(ep, a);
        return 0;
    }
    a->szx = b1->szx;
    if (b1->more && req->payload_len != ((size_t)16 << b1->szx)) {
        resp->code = ZL_COAP_BAD_REQUEST;
        zl_ep_asm_free(ep, a);
        return 0;
    }
    asm_make_room(ep, a, req->payload_len, false);
    if (ep->asm_bytes + req->payload_len > ep->cfg.max_upload_bytes ||
        zl_buf_append(&a->body, req->payload, req->payload_len) != ZL_OK) {
        resp->code = ZL_COAP_TOO_LARGE;
        zl_ep_asm_free(ep, a);
        return 0;
    }
    ep->asm_bytes += req->payload_len;
    lru_unlink(ep, a); /* most recently used */
    lru_push(ep, a);
    a->next_num = b1->num + 1;
    zl_coap_block_t echo = *b1;
    zl_coap_add_uint(resp, ZL_OPT_BLOCK1, zl_coap_block_encode(&echo), scratch);
    if (b1->more) {
        resp->code = ZL_COAP_CONTINUE;
        zl_timer_arm(ep->wheel, &a->expiry, zl_now_ms() + ep->cfg.exchange_lifetime_ms);
        return 0;
    }
    *full = &a->body;
    *done = a;
    return 1;
}
