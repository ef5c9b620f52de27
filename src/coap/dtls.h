/* SPDX-License-Identifier: Apache-2.0 */
/* DTLS 1.2 server transport for the CoAP endpoint (coap/transport.h), on
 * OpenSSL 3.0: it wraps a datagram io (zl_udp_open) and hands the endpoint
 * plaintext CoAP messages keyed by the peer's address, so neither the message
 * layer nor LwM2M know DTLS is there.
 *
 * Why OpenSSL and not mbedTLS 2.28: see docs/SECURITY.md (measured side by
 * side, bench/dtls-libs).  What it does:
 *  - a stateless cookie exchange (DTLSv1_listen, HMAC-SHA256 of the source
 *    address under a per-process secret) before any per-peer state exists, so
 *    a spoofed source gets one HelloVerifyRequest and costs nothing;
 *  - PSK (identities resolved by the owner's lookup callback) and X.509
 *    (a server certificate; client certificates checked against a CA, the
 *    subject CN becomes the identity);
 *  - session resumption by session ID from OpenSSL's server cache;
 *  - a bound on handshakes in progress and on sessions, handshake
 *    retransmission and timeout, idle expiry (zl_dtls_tick);
 *  - the authenticated identity of each address (zl_dtls_peer) and dropping
 *    every session of an identity when its credentials change.
 * No Connection ID: OpenSSL 3.0 has none.
 *
 * Thread: the owner's loop thread only. */
#ifndef ZL_COAP_DTLS_H
#define ZL_COAP_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coap/transport.h"
#include "common/metrics.h"

typedef struct zl_dtls zl_dtls_t;

typedef enum { ZL_DTLS_ID_NONE = 0, ZL_DTLS_ID_PSK, ZL_DTLS_ID_X509 } zl_dtls_id_kind_t;

/* The authenticated identity of an established session. */
typedef struct {
    zl_dtls_id_kind_t kind;
    const char *identity; /* PSK identity, or the client certificate's subject CN; NUL-terminated */
    uint64_t session;     /* unique per session in this process */
} zl_dtls_peer_t;

typedef struct {
    /* PSK key of identity into key (at most max bytes): its length, or -1 when
     * the identity is unknown (the handshake then fails).  Required for PSK. */
    int (*psk_lookup)(void *ctx, const char *identity, uint8_t *key, size_t max);
    /* optional: a session ended (closed by the peer, failed, expired, dropped);
     * identity as it was (NULL for a handshake that never completed). */
    void (*on_close)(void *ctx, const zl_coap_addr_t *peer, const char *identity);
    void *ctx;
    const char *cert_file; /* optional PEM chain: X.509 / ECDHE-ECDSA cipher suites */
    const char *key_file;
    const char *ca_file;   /* optional: client certificates must chain to it */
    const char *ciphers;   /* OpenSSL cipher list; NULL = the LwM2M suites (see dtls.c) */
    unsigned max_handshakes;  /* in progress at once; beyond it ClientHellos are dropped (default 1000) */
    unsigned max_sessions;    /* established + in progress (default 200000) */
    int handshake_timeout_ms; /* default 10000 */
    int idle_timeout_s;       /* a session with no datagram this long is freed (default 86400) */
    int mtu;                  /* default 1280 */
    zl_metrics_t *metrics;    /* optional: zeelos_dtls_* */
} zl_dtls_cfg_t;

/* Wraps inner (taken over in every case: closed on failure) into *io, which
 * the caller then passes to zl_coap_ep_new (which owns and closes it).  *out
 * is a borrowed handle for the calls below, valid until that endpoint is
 * destroyed.  errstr names the file or the OpenSSL error. */
zl_err_t zl_dtls_wrap(const zl_dtls_cfg_t *cfg, zl_coap_io_t *inner, zl_coap_io_t *io, zl_dtls_t **out,
                      char *errstr, size_t errstr_size);
/* The identity of the established session at addr, or NULL.  The pointers
 * stay valid until the session ends (no later than the next recv/tick). */
const zl_dtls_peer_t *zl_dtls_peer(zl_dtls_t *d, const zl_coap_addr_t *addr);
/* Ends (with a close_notify) every session authenticated as identity;
 * returns how many. */
unsigned zl_dtls_drop_identity(zl_dtls_t *d, const char *identity);
/* Handshake retransmissions and timeouts, idle expiry: call every ~100 ms.
 * Returns milliseconds until it needs to run again (at most 1000). */
int zl_dtls_tick(zl_dtls_t *d, int64_t now_ms);
unsigned zl_dtls_sessions(const zl_dtls_t *d);
unsigned zl_dtls_handshakes(const zl_dtls_t *d);

#endif
