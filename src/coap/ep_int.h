/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by the files of the CoAP message layer (endpoint.c: exchanges,
 * duplicate cache, requests in, lifecycle; block.c: block-wise transfers;
 * defer.c: deferred answers).  Not a
 * public API: only src/coap/ includes it.  Everything runs on the endpoint's loop
 * thread. */
#ifndef ZL_COAP_EP_INT_H
#define ZL_COAP_EP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "coap/endpoint.h"
#include "common/buf.h"
#include "common/hmap.h"
#include "common/wheel.h"

#define C_INC(c) do { if (c) zl_counter_inc(c); } while (0)
#define C_ADD(c, n) do { if (c) zl_counter_add(c, n); } while (0)

typedef struct exch {
    zl_hnode_t by_token, by_mid;
    bool in_mid_map;
    zl_coap_addr_t peer;
    uint64_t token;
    uint16_t mid;
    uint8_t *dgram; /* serialised request, for retransmission and Block2 follow-ups */
    size_t dlen;
    int retries_left;
    int rto_ms;
    bool confirmable, acked, observe, observing;
    uint32_t obs_seq;
    int64_t obs_time;
    bool blk_obs;     /* the Block2 transfer in progress is a notification */
    uint32_t blk_seq; /* its Observe number (only the first block carries it) */
    uint8_t blk_code; /* code of the first block */
    int64_t blk_cf;   /* its Content-Format, -1 when absent */
    uint32_t blk_gen; /* bumped by every block 0, so a stale follow-up is recognised */
    /* Block2 follow-up fetches run as child exchanges with their own token
     * (RFC 7959 §3.4: reusing an observation's token would replace it) */
    bool got_piggy;   /* a piggybacked answer was processed: later ACKs are duplicates */
    bool is_child;
    uint64_t parent_token;
    uint8_t parent_tkl;
    uint32_t parent_gen;
    uint8_t tkl;      /* token length: token_key() alone is not injective */
    bool is_msg;      /* zl_coap_send_con(): no token, done on ACK/RST, sent_cb */
    int timeout_ms;
    zl_timer_t retx, deadline;
    zl_coap_resp_cb cb;
    zl_coap_sent_cb sent_cb;
    void *ctx;
    zl_buf_t body; /* Block2 reassembly */
    uint8_t *tx;   /* Block1 upload (RFC 7959 §2.5): the whole payload, owned */
    size_t tx_len;
    zl_coap_ep_t *ep;
} exch_t;

#define BLOCK1_SZX 6 /* 1024-byte blocks for payloads that do not fit a datagram */

typedef struct dedup {
    zl_hnode_t node;
    struct dedup *next; /* FIFO */
    zl_coap_addr_t peer;
    uint64_t session; /* the transport's security session (zl_coap_io_t.session), 0: none */
    uint16_t mid;
    int64_t at;
    uint16_t len; /* cached response (0 = none yet) */
    uint8_t data[];
} dedup_t;

typedef struct assembly {
    zl_hnode_t node;
    struct assembly *lru_prev, *lru_next; /* least recently used first */
    zl_coap_addr_t peer;
    zl_buf_t body;
    uint32_t next_num;
    uint8_t szx;
    zl_timer_t expiry;
    zl_coap_ep_t *ep;
} assembly_t;

struct zl_coap_iobuf {
    zl_coap_ep_t *owner; /* endpoint whose datagrams are queued in out[] */
    int n_out;
    /* receive batch */
    zl_coap_dgram_t in[ZL_COAP_BATCH];
    uint8_t in_data[ZL_COAP_BATCH][ZL_COAP_MAX_DGRAM];
    /* send queue */
    zl_coap_dgram_t out[ZL_COAP_BATCH];
    uint8_t out_data[ZL_COAP_BATCH][ZL_COAP_MAX_DGRAM];
};

struct zl_coap_deferred {
    zl_coap_deferred_t *next, *prev; /* the endpoint's list, for destroy */
    zl_coap_ep_t *ep;
    zl_coap_addr_t peer;
    uint16_t mid;
    uint8_t type, tkl, token[ZL_COAP_MAX_TOKEN];
    bool acked;
    zl_timer_t ack_timer;
    void (*on_drop)(void *ctx);
    void *ctx;
};

struct zl_coap_ep {
    zl_coap_ep_cfg_t cfg;
    zl_coap_deferred_t deferred; /* list sentinel */
    zl_coap_deferred_t *deferring; /* set by zl_coap_defer() during a handler */
    zl_coap_iobuf_t *iob; /* cfg.shared_io or owned */
    zl_coap_io_t io;
    zl_wheel_t *wheel;
    zl_hmap_t by_token, by_mid, dedup, asm_by_peer;
    dedup_t *dd_head, *dd_tail;
    uint16_t next_mid;
    uint8_t rnd[256];
    size_t rnd_pos;
    zl_counter_t *c_rx, *c_tx, *c_malformed, *c_dup, *c_retx, *c_timeout, *c_rst_sent,
        *c_unmatched, *c_shed, *c_too_large, *c_blk_evicted, *c_stale, *c_sock_drops;
    uint64_t sock_drops;     /* the transport's count as of the last batch */
    int64_t drops_logged_ms; /* last time a kernel drop was logged */
    bool refused; /* set by zl_coap_ep_refuse_notification() during a notification callback */
    /* ACKs of CON notifications held by zl_coap_ep_hold_ack() (held.c); the map
     * is created on first use, so a simulated device pays nothing for it */
    zl_hmap_t held;
    const zl_coap_held_ack_t *ackable; /* the notification being delivered, if its ACK may be held */
    bool held_now;                     /* its owner held it */
    assembly_t *lru_head, *lru_tail; /* incomplete Block1 uploads */
    size_t asm_bytes;                /* their bodies, in all */
    uint64_t rx_ns; /* when the batch being handled was read (zl_now_ns) */
};

static inline uint16_t zl_ep_new_mid(zl_coap_ep_t *ep) { return ep->next_mid++; }

/* endpoint.c */
/* Queues a datagram for the next flush (copied). */
void zl_ep_enqueue(zl_coap_ep_t *ep, const zl_coap_addr_t *to, const uint8_t *p, size_t n);
void zl_ep_send_empty(zl_coap_ep_t *ep, const zl_coap_addr_t *to, uint8_t type, uint16_t mid);
zl_err_t zl_ep_exch_transmit(zl_coap_ep_t *ep, exch_t *x, zl_coap_msg_t *req);
void zl_ep_exch_finish(zl_coap_ep_t *ep, exch_t *x, zl_err_t err, const zl_coap_msg_t *resp);
exch_t *zl_ep_exch_new(zl_coap_ep_t *ep, const zl_coap_addr_t *peer, zl_coap_resp_cb cb, void *ctx);
exch_t *zl_ep_find_key(zl_coap_ep_t *ep, uint64_t key, uint8_t tkl);
/* held.c: is an ACK for (peer, mid) held?  Frees every held record (destroy). */
bool zl_ep_ack_is_held(const zl_coap_ep_t *ep, const zl_coap_addr_t *peer, uint16_t mid);
void zl_ep_held_free(zl_coap_ep_t *ep);
void zl_ep_deliver(zl_coap_ep_t *ep, exch_t *x, const zl_coap_msg_t *m, bool is_notification, uint32_t seq);
int zl_ep_resend_view(const exch_t *x, zl_coap_msg_t *req, uint8_t copy[ZL_COAP_MAX_DGRAM], uint16_t drop_a, uint16_t drop_b);
uint64_t zl_ep_token_key(const uint8_t *t, uint8_t tkl);
void zl_ep_exch_free(zl_coap_ep_t *ep, exch_t *x);

/* defer.c */
void zl_ep_deferred_drop_all(zl_coap_ep_t *ep);

/* block.c */
zl_err_t zl_ep_block1_send(zl_coap_ep_t *ep, exch_t *x, size_t off, unsigned szx);
zl_err_t zl_ep_block1_template(exch_t *x, const zl_coap_msg_t *req);
bool zl_ep_block1_continue(zl_coap_ep_t *ep, exch_t *x, const zl_coap_msg_t *m);
void zl_ep_blk_start(zl_coap_ep_t *ep, exch_t *x, const zl_coap_msg_t *m, const zl_coap_block_t *b2);
void zl_ep_child_response(zl_coap_ep_t *ep, exch_t *c, const zl_coap_msg_t *m);
void zl_ep_asm_free(zl_coap_ep_t *ep, assembly_t *a);
int zl_ep_block1_step(zl_coap_ep_t *ep, const zl_coap_addr_t *from, const zl_coap_msg_t *req, const zl_coap_block_t *b1, zl_coap_msg_t *resp, uint8_t scratch[4], zl_buf_t **full, assembly_t **done);

#endif
