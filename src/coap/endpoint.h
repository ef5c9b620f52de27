/* SPDX-License-Identifier: Apache-2.0 */
/* The CoAP message layer (RFC 7252 §4, RFC 7641 client side, RFC 7959) over a
 * datagram transport: one socket, any number of peers, O(1) work per datagram.
 *
 *  - incoming requests: duplicate detection by (peer, MID) with the cached
 *    response replayed, Block1 reassembly (2.31 Continue), then the request
 *    callback builds a piggybacked (CON) or NON response synchronously;
 *  - outgoing requests: random 8-byte tokens, CON retransmission with
 *    randomised exponential backoff, matching of ACK/RST by MID and of
 *    responses by token (and peer), automatic Block2 follow-up for large
 *    responses, a deadline per request, and observations that keep the token
 *    alive for notifications (unknown tokens are answered with RST, which is
 *    how a passively cancelled observation ends on the device side);
 *  - outgoing confirmable messages that are not requests (a device's CON
 *    notifications): the same retransmission, matched by (peer, MID) only,
 *    and RSTs that match nothing reported to the owner (on_rst), so a device
 *    learns that its NON notifications are rejected;
 *  - I/O is batched: recvmmsg of up to ZL_COAP_BATCH datagrams per wakeup and
 *    an outgoing queue flushed with one sendmmsg (zl_coap_ep_flush()).  The
 *    batch buffers (~200 KB) are per endpoint unless the owner passes a
 *    shared zl_coap_iobuf_t, which is how a simulator runs tens of thousands
 *    of endpoints (one socket each) at a few KB apiece.
 *
 * The endpoint does not own an event loop: the owner polls zl_coap_ep_fd(),
 * calls zl_coap_ep_read() when readable and zl_coap_ep_flush() after each loop
 * turn; timers run on the owner's wheel.  Every callback runs on that loop
 * thread.  The datagram I/O is a zl_coap_io_t the owner opens and passes in
 * the config (coap/transport.h), so DTLS can replace UDP without touching
 * this file or the LwM2M layer. */
#ifndef ZL_COAP_ENDPOINT_H
#define ZL_COAP_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include "coap/msg.h"
#include "coap/transport.h"
#include "common/metrics.h"
#include "common/wheel.h"

typedef struct zl_coap_ep zl_coap_ep_t;

/* Receive batch + send queue (ZL_COAP_BATCH datagrams each way).  An endpoint
 * created without one allocates its own.  One iobuf may be shared by many
 * endpoints that are all driven by the same thread: the send queue remembers
 * which endpoint filled it and is flushed (on that endpoint's socket) as soon
 * as another endpoint enqueues, so datagrams never leave on the wrong socket
 * and per-endpoint order is kept.  zl_coap_ep_read() must not be called from
 * inside a callback of an endpoint sharing the same iobuf. */
typedef struct zl_coap_iobuf zl_coap_iobuf_t;

zl_coap_iobuf_t *zl_coap_iobuf_new(void);
/* Sends whatever is queued (on the endpoint that queued it). */
void zl_coap_iobuf_flush(zl_coap_iobuf_t *b);
/* Every endpoint using b must be destroyed first. */
void zl_coap_iobuf_free(zl_coap_iobuf_t *b);

/* Incoming request. resp arrives initialised (type/mid/token set, code 4.04);
 * the handler sets code, options and payload. Everything resp points to must
 * stay valid until the handler returns (the response is serialised right after). */
typedef void (*zl_coap_req_cb)(void *ctx, zl_coap_ep_t *ep, const zl_coap_addr_t *peer,
                               const zl_coap_msg_t *req, zl_coap_msg_t *resp);

/* Outcome of an outgoing request: err == ZL_OK with resp, or an error
 * (ZL_ERR_TIMEOUT, ZL_ERR_RESET, ZL_ERR_CANCELLED, ZL_ERR_TOO_LARGE) and
 * resp == NULL.  For observations it runs once per notification; a final
 * call has err != ZL_OK or a non-2.xx code, after which the token is gone.
 * resp and its payload are valid only during the call. */
typedef void (*zl_coap_resp_cb)(void *ctx, zl_err_t err, const zl_coap_msg_t *resp);

typedef struct {
    zl_coap_io_t io;           /* the transport, opened by the caller (e.g. zl_udp_open);
                                  taken over by zl_coap_ep_new (see transport.h) */
    int ack_timeout_ms;        /* RFC 7252 ACK_TIMEOUT, default 2000 */
    int max_retransmit;        /* default 4 */
    int exchange_lifetime_ms;  /* duplicate window, default 247000 */
    unsigned max_dedup;        /* duplicate cache entries, default 65536 */
    size_t max_body;           /* Block1/Block2 reassembly cap, default 65536 */
    /* Incomplete Block1 uploads (one per peer address, any sender can start
     * one): at most this many at once and this many bytes in all; beyond
     * either, the least recently used upload is dropped (its next block gets
     * 4.08).  Defaults 1024 and 16 MiB. */
    unsigned max_uploads;
    size_t max_upload_bytes;
    zl_metrics_t *metrics;     /* optional: exports zeelos_coap_* counters */
    zl_coap_req_cb on_request; /* NULL = answer every request 4.04 */
    void *ctx;
    /* optional backpressure: asked before a CON notification of an
     * established observation is acknowledged and delivered.  false = leave
     * it unacknowledged (the device retransmits it after its backoff, RFC 7252
     * §4.2), counted in zeelos_coap_notifications_shed_total.  NON
     * notifications cannot be pushed back and are always delivered. */
    bool (*admit)(void *ctx);
    /* optional: a CON notification was left unacknowledged by admit; obs_ctx is
     * the ctx of its observation's callback.  A device that gives up on it
     * drops the observation (RFC 7641 §4.5): the owner may re-establish it
     * later (zl_coap_reobserve). */
    void (*on_shed)(void *ctx, void *obs_ctx);
    /* optional: an RST that matched no exchange (peer and MID).  RSTs answer
     * messages the endpoint does not track, such as NON notifications sent with
     * zl_coap_send(): this is how a device learns that the server forgot an
     * observation (RFC 7641 §3.6) and maps the MID back to it. */
    void (*on_rst)(void *ctx, const zl_coap_addr_t *peer, uint16_t mid);
    /* optional: called before queued datagrams leave in the middle of a turn
     * (the send batch is full), so an owner whose answers imply persisted
     * state commits it first; the end-of-turn zl_coap_ep_flush() does not
     * call it (the owner commits before it flushes). */
    void (*before_send)(void *ctx);
    zl_coap_iobuf_t *shared_io; /* optional: batch buffers shared with other endpoints
                                   of the same thread (see zl_coap_iobuf_t); also
                                   starts the hash maps small */
} zl_coap_ep_cfg_t;

/* Takes over cfg->io in every case: on failure (NULL, errstr set) it is
 * already closed; otherwise zl_coap_ep_destroy() closes it.  wheel: the
 * owner's loop wheel (zl_loop_wheel()), borrowed. */
zl_coap_ep_t *zl_coap_ep_new(const zl_coap_ep_cfg_t *cfg, zl_wheel_t *wheel, char *errstr,
                             size_t errstr_size);
/* Outstanding callbacks get ZL_ERR_CANCELLED; queued datagrams are sent;
 * then the transport is closed. */
void zl_coap_ep_destroy(zl_coap_ep_t *ep);
int zl_coap_ep_fd(const zl_coap_ep_t *ep);
/* Local address actually bound (port resolved for port 0). */
const zl_coap_addr_t *zl_coap_ep_local(const zl_coap_ep_t *ep);

/* Drains the socket (bounded: at most `budget` batches). Returns datagrams read. */
int zl_coap_ep_read(zl_coap_ep_t *ep, int budget);
/* Called from a notification callback: the notification could not be kept
 * (the gateway's spool is full, the disk refused it).  A confirmable one is
 * then left unacknowledged, so the device sends it again, and the observation
 * does not count it as seen; counted in zeelos_coap_notifications_shed_total. */
void zl_coap_ep_refuse_notification(zl_coap_ep_t *ep);
/* A confirmable notification's ACK, held until its owner knows the data is
 * safe (the gateway: Kafka acknowledged the record, or the spool has it on
 * disk).  A value the caller keeps; the endpoint keeps its own record of it, so
 * a retransmission that arrives meanwhile is not acknowledged early. */
typedef struct zl_coap_held_ack {
    zl_coap_addr_t peer;
    uint64_t token; /* the observation's token key */
    uint32_t seq;   /* the notification's Observe number */
    uint16_t mid;
    uint8_t tkl;
} zl_coap_held_ack_t;
/* Called from a notification callback: if the notification being delivered is
 * a confirmable one whose ACK the endpoint would send now, it is held instead
 * and *out describes it; returns false otherwise (NON, block-wise, or not
 * inside a notification callback).  Every true return must be followed by
 * exactly one zl_coap_ep_release_ack(). */
bool zl_coap_ep_hold_ack(zl_coap_ep_t *ep, zl_coap_held_ack_t *out);
/* kept: the ACK leaves with the next flush.  !kept: no ACK, and the
 * observation forgets it saw this notification (if nothing newer came since),
 * so the device's retransmission is delivered again.  Safe to call after the
 * observation ended. */
void zl_coap_ep_release_ack(zl_coap_ep_t *ep, const zl_coap_held_ack_t *h, bool kept);
/* ACKs held now (for tests and metrics). */
size_t zl_coap_ep_held_acks(const zl_coap_ep_t *ep);
/* zl_now_ns() when the datagram batch being handled was read from the
 * socket: callbacks use it to measure the time spent since reception. */
uint64_t zl_coap_ep_rx_ns(const zl_coap_ep_t *ep);
/* Sends every queued datagram (with a shared iobuf: everything queued in it). */
void zl_coap_ep_flush(zl_coap_ep_t *ep);

typedef struct {
    bool confirmable;     /* CON (retransmitted) or NON */
    bool observe;         /* adds Observe: 0 and keeps the token for notifications */
    int timeout_ms;       /* deadline for the (first) response */
} zl_coap_req_opts_t;

/* Sends a request to peer. req: code, options, payload (borrowed, serialised
 * before return); type, MID and token are assigned here. The token is written
 * to token_out (8 bytes). Returns ZL_OK or an error (the callback is then not
 * called). */
zl_err_t zl_coap_request(zl_coap_ep_t *ep, const zl_coap_addr_t *peer, zl_coap_msg_t *req,
                         const zl_coap_req_opts_t *opts, zl_coap_resp_cb cb, void *ctx,
                         uint8_t token_out[8]);
/* The serialized request a live exchange last sent (the observe request of an
 * observation), borrowed until the exchange changes; ZL_ERR_NOT_FOUND if none.
 * Persisted with an observation, it lets zl_coap_observe_attach() restore
 * active cancel and Block2 follow-ups after a restart. */
zl_err_t zl_coap_exchange_request(zl_coap_ep_t *ep, const uint8_t *token, uint8_t tkl, const uint8_t **req,
                                  size_t *len);
/* Re-creates the token state of an observation that existed before a restart,
 * so its notifications are accepted again.  req/len: the observe request it
 * was started with (copied; NULL when unknown: then it can only be cancelled
 * passively and cannot fetch Block2 follow-ups). */
zl_err_t zl_coap_observe_attach(zl_coap_ep_t *ep, const zl_coap_addr_t *peer,
                                const uint8_t *token, uint8_t tkl, zl_coap_resp_cb cb, void *ctx,
                                const uint8_t *req, size_t len);
/* Changes the callback of a live exchange/observation (e.g. once an observe
 * request is answered, notifications go to the observation's handler). */
zl_err_t zl_coap_rebind(zl_coap_ep_t *ep, const uint8_t *token, uint8_t tkl, zl_coap_resp_cb cb,
                        void *ctx);
/* Active cancel (RFC 7641 §3.6): re-sends the observation's GET with Observe: 1
 * and the same token, so the device stops at once; the exchange then ends with
 * the device's answer (or a timeout), reported to cb (may be NULL). Returns
 * ZL_ERR_NOT_FOUND for an unknown token and ZL_ERR_UNSUPPORTED for an
 * observation restored after a restart (its request is not known: cancel it
 * passively). */
zl_err_t zl_coap_observe_cancel(zl_coap_ep_t *ep, const uint8_t *token, uint8_t tkl, int timeout_ms,
                                zl_coap_resp_cb cb, void *ctx);
/* Re-registers an observation (RFC 7641 §3.3.1): re-sends its GET with
 * Observe: 0 and the same token, so a device that dropped it (it gave up on
 * an unacknowledged CON notification) observes again.  The answer arrives as a
 * notification on the observation's callback; an error answer or no answer
 * within timeout_ms ends the observation with that error, on the callback.
 * ZL_ERR_NOT_FOUND / ZL_ERR_UNSUPPORTED as for zl_coap_observe_cancel(). */
zl_err_t zl_coap_reobserve(zl_coap_ep_t *ep, const uint8_t *token, uint8_t tkl, int timeout_ms);
/* Forgets an exchange or observation without calling its callback (passive
 * cancel). Returns ZL_ERR_NOT_FOUND if the token is unknown. */
zl_err_t zl_coap_cancel(zl_coap_ep_t *ep, const uint8_t *token, uint8_t tkl);

/* Deferred answers: a request handler that can only answer later (e.g. once
 * Kafka acknowledged what the request carried) calls zl_coap_defer() and
 * leaves resp alone.  A CON request is then acknowledged with an empty ACK
 * after ack_after_ms (so the client stops retransmitting) unless the answer
 * came first, in which case it is piggybacked.  Retransmissions of the request
 * meanwhile are absorbed by the duplicate cache.  zl_coap_respond() sends the
 * answer (piggybacked, or as a separate NON response) and frees d.  If the
 * endpoint is destroyed first, d is freed and on_drop (if set) is called. */
typedef struct zl_coap_deferred zl_coap_deferred_t;
zl_coap_deferred_t *zl_coap_defer(zl_coap_ep_t *ep, const zl_coap_addr_t *peer, const zl_coap_msg_t *req,
                                  zl_coap_msg_t *resp, int ack_after_ms,
                                  void (*on_drop)(void *ctx), void *ctx);
/* resp: code, options, payload (borrowed, serialised here); type/MID/token are set here. */
void zl_coap_respond(zl_coap_ep_t *ep, zl_coap_deferred_t *d, zl_coap_msg_t *resp);

/* Sends a message outside any exchange (e.g. a NON notification from a
 * device). MID is assigned unless msg->mid is non-zero. */
zl_err_t zl_coap_send(zl_coap_ep_t *ep, const zl_coap_addr_t *peer, zl_coap_msg_t *msg);

/* Outcome of zl_coap_send_con(): ZL_OK (empty ACK), ZL_ERR_RESET (RST),
 * ZL_ERR_TIMEOUT (MAX_RETRANSMIT exhausted, or timeout_ms passed) or
 * ZL_ERR_CANCELLED (endpoint destroyed: do not send on it from here).  mid
 * is the message's MID, retransmissions how many copies were re-sent. */
typedef void (*zl_coap_sent_cb)(void *ctx, zl_err_t err, uint16_t mid, int retransmissions);

/* Sends a confirmable message that is not a request, e.g. a CON notification
 * (2.05 with the observation's token and an Observe option): retransmitted
 * like a CON request (RFC 7252 §4.2: ACK_TIMEOUT with the random factor,
 * doubling, MAX_RETRANSMIT) until an empty ACK or RST with its MID arrives
 * from peer.  Matching is by (peer, MID) only; the token is the caller's and
 * never registered.  The MID is assigned here and written to msg->mid; type
 * is set to CON.  timeout_ms > 0 caps the whole exchange, 0 leaves it to the
 * retransmissions (MAX_TRANSMIT_WAIT).  Returns ZL_OK or an error (cb is then
 * not called).  State only while unacknowledged: one exchange plus the
 * serialised datagram. */
zl_err_t zl_coap_send_con(zl_coap_ep_t *ep, const zl_coap_addr_t *peer, zl_coap_msg_t *msg, int timeout_ms,
                          zl_coap_sent_cb cb, void *ctx);

/* Random bytes from the kernel CSPRNG (tokens, registration ids). */
void zl_coap_random(zl_coap_ep_t *ep, void *out, size_t n);

#endif
