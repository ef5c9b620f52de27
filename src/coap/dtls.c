/* SPDX-License-Identifier: Apache-2.0 */
/* DTLS 1.2 server glue (coap/dtls.h).  Why it looks like this: OpenSSL does
 * the protocol; this file only moves datagrams between the socket and one SSL
 * object per peer address, through a BIO of our own that reads the datagram
 * at hand and queues every record OpenSSL writes as a datagram of its own (no
 * memory BIO: it would glue a flight's datagrams together).  Per-peer state
 * exists only after the peer has echoed a cookie (DTLSv1_listen on a spare
 * SSL object, which then becomes that peer's session). */
#include "coap/dtls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/hmap.h"
#include "common/log.h"

#define DEFAULT_CIPHERS                                                                                        \
    "PSK-AES128-CCM8:PSK-AES128-CCM:PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA256:ECDHE-PSK-AES128-CBC-SHA256:" \
    "ECDHE-ECDSA-AES128-CCM8:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-CBC-SHA256:"                    \
    "ECDHE-RSA-AES128-GCM-SHA256"
#define OUT_MAX 2048     /* largest record datagram we queue (handshake fragments fit the MTU) */
#define IDLE_SWEEP 2048  /* sessions looked at per tick for idle expiry */

typedef struct sess sess_t;
struct sess {
    zl_hnode_t node;
    zl_coap_addr_t addr;
    SSL *ssl;
    struct zl_dtls *d;
    const uint8_t *in; /* the datagram BIO_read returns next (borrowed, one call) */
    size_t in_len;
    bool established, in_map;
    sess_t *hs_prev, *hs_next; /* handshakes in progress */
    int64_t started_ms, last_ms;
    zl_dtls_peer_t peer;
    char *identity; /* owned; peer.identity points here */
};

struct zl_dtls {
    zl_coap_io_t inner;
    zl_dtls_cfg_t cfg;
    SSL_CTX *ctx;
    BIO_METHOD *bio;
    zl_hmap_t by_addr;
    sess_t *listener; /* spare SSL object for the next cookie exchange */
    BIO_ADDR *client;
    sess_t *hs_head;
    unsigned n_hs, n_sess;
    uint64_t next_id;
    uint8_t secret[32];
    size_t sweep_bucket;
    /* ciphertext in, records out */
    zl_coap_dgram_t cin[ZL_COAP_BATCH];
    uint8_t cbuf[ZL_COAP_BATCH][ZL_COAP_MAX_DGRAM];
    zl_coap_dgram_t out[ZL_COAP_BATCH];
    uint8_t obuf[ZL_COAP_BATCH][OUT_MAX];
    int n_out;
    struct {
        zl_counter_t *hs_ok, *hs_failed, *hs_timeout, *resumed, *challenged, *busy, *no_session, *closed,
            *dropped_out, *records_in, *records_out, *replaced;
        zl_gauge_t *sessions, *handshakes;
    } m;
};

/* ---------------------------------------------------------------- datagrams out */

static void out_flush(zl_dtls_t *d) {
    if (d->n_out) d->inner.send(d->inner.impl, d->out, d->n_out);
    d->n_out = 0;
}

static void out_push(zl_dtls_t *d, const zl_coap_addr_t *to, const void *p, size_t n) {
    if (n > OUT_MAX) {
        zl_counter_inc(d->m.dropped_out);
        return;
    }
    if (d->n_out == ZL_COAP_BATCH) out_flush(d);
    zl_coap_dgram_t *g = &d->out[d->n_out++];
    memcpy(g->data, p, n);
    g->len = n;
    g->addr = *to;
}

/* ---------------------------------------------------------------- the BIO */

static int bio_read(BIO *b, char *buf, int len) {
    sess_t *s = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (!s->in) {
        BIO_set_retry_read(b);
        return -1;
    }
    size_t n = s->in_len < (size_t)len ? s->in_len : (size_t)len;
    memcpy(buf, s->in, n);
    s->in = NULL;
    return (int)n;
}

static int bio_write(BIO *b, const char *buf, int len) {
    sess_t *s = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    out_push(s->d, &s->addr, buf, (size_t)len);
    return len;
}

static long bio_ctrl(BIO *b, int cmd, long larg, void *parg) {
    sess_t *s = BIO_get_data(b);
    (void)larg, (void)parg;
    switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_PENDING: return s && s->in ? (long)s->in_len : 0;
    case BIO_CTRL_WPENDING: return 0;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU: return s ? s->d->cfg.mtu : 1280;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: return s && s->addr.sa.ss_family == AF_INET6 ? 48 : 28;
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT: return 1;
    default: return 0;
    }
}

static int bio_create(BIO *b) {
    BIO_set_init(b, 1);
    return 1;
}

/* ---------------------------------------------------------------- sessions */

static uint64_t addr_hash(const zl_dtls_t *d, const zl_coap_addr_t *a) {
    return zl_coap_addr_hash(d->by_addr.seed, a);
}

static sess_t *find(const zl_dtls_t *d, const zl_coap_addr_t *a) {
    for (zl_hnode_t *n = zl_hmap_first(&d->by_addr, addr_hash(d, a)); n; n = zl_hmap_next_same(n)) {
        sess_t *s = ZL_CONTAINER_OF(n, sess_t, node);
        if (zl_coap_addr_eq(&s->addr, a)) return s;
    }
    return NULL;
}

/* A fresh SSL object wired to its own BIO; NULL when out of memory. */
static sess_t *sess_new(zl_dtls_t *d) {
    sess_t *s = calloc(1, sizeof *s);
    BIO *b = s ? BIO_new(d->bio) : NULL;
    SSL *ssl = b ? SSL_new(d->ctx) : NULL;
    if (!ssl) {
        if (b) BIO_free(b);
        free(s);
        return NULL;
    }
    s->d = d;
    s->ssl = ssl;
    BIO_set_data(b, s);
    SSL_set_bio(ssl, b, b);
    SSL_set_app_data(ssl, s);
    SSL_set_options(ssl, SSL_OP_COOKIE_EXCHANGE | SSL_OP_NO_QUERY_MTU);
    SSL_set_mtu(ssl, d->cfg.mtu - 48);
    /* records never exceed the MTU: a 16 KiB write buffer per session would be waste */
    SSL_set_max_send_fragment(ssl, (long)d->cfg.mtu);
    return s;
}

static void hs_unlink(zl_dtls_t *d, sess_t *s) {
    if (s->hs_prev) s->hs_prev->hs_next = s->hs_next;
    else if (d->hs_head == s) d->hs_head = s->hs_next;
    else return; /* not in the list */
    if (s->hs_next) s->hs_next->hs_prev = s->hs_prev;
    s->hs_prev = s->hs_next = NULL;
    d->n_hs--;
    zl_gauge_set(d->m.handshakes, d->n_hs);
}

/* Ends s: close_notify first when polite (a drop, not a failure). */
static void sess_free(zl_dtls_t *d, sess_t *s, bool polite) {
    if (polite && s->established) SSL_shutdown(s->ssl);
    hs_unlink(d, s);
    if (s->in_map) {
        zl_hmap_remove(&d->by_addr, &s->node);
        d->n_sess--;
        zl_gauge_set(d->m.sessions, d->n_sess);
        zl_counter_inc(d->m.closed);
        if (d->cfg.on_close) d->cfg.on_close(d->cfg.ctx, &s->addr, s->established ? s->identity : NULL);
    }
    SSL_free(s->ssl);
    free(s->identity);
    free(s);
    ERR_clear_error();
}

/* The handshake completed: record who the peer proved to be. */
static void sess_established(zl_dtls_t *d, sess_t *s) {
    char cn[256] = "";
    const char *id = NULL;
    s->peer.kind = ZL_DTLS_ID_NONE;
    if ((id = SSL_get_psk_identity(s->ssl)) != NULL) {
        s->peer.kind = ZL_DTLS_ID_PSK;
    } else {
        X509 *c = SSL_get0_peer_certificate(s->ssl);
        if (c && X509_NAME_get_text_by_NID(X509_get_subject_name(c), NID_commonName, cn, sizeof cn) > 0) {
            s->peer.kind = ZL_DTLS_ID_X509;
            id = cn;
        }
    }
    s->identity = strdup(id ? id : "");
    s->peer.identity = s->identity ? s->identity : "";
    s->peer.session = ++d->next_id;
    s->established = true;
    hs_unlink(d, s);
    zl_counter_inc(d->m.hs_ok);
    if (SSL_session_reused(s->ssl)) zl_counter_inc(d->m.resumed);
}

/* Runs the handshake on what arrived; false when the session failed (freed). */
static bool drive_handshake(zl_dtls_t *d, sess_t *s) {
    int r = SSL_do_handshake(s->ssl);
    if (r == 1) {
        sess_established(d, s);
        return true;
    }
    int e = SSL_get_error(s->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return true;
    char host[64];
    zl_coap_addr_host(&s->addr, host, sizeof host);
    ZL_DEBUG("dtls", "handshake with %s:%d failed: %s", host, zl_coap_addr_port(&s->addr),
             ERR_reason_error_string(ERR_peek_last_error()) ? ERR_reason_error_string(ERR_peek_last_error())
                                                            : "protocol error");
    zl_counter_inc(d->m.hs_failed);
    sess_free(d, s, false);
    return false;
}

/* A DTLS 1.2/1.0 handshake record of epoch 0 carrying a ClientHello. */
static bool is_client_hello(const uint8_t *p, size_t n) {
    return n >= 25 && p[0] == 22 && p[1] == 0xfe && (p[2] == 0xfd || p[2] == 0xff) && p[3] == 0 && p[4] == 0 &&
           p[13] == 1;
}

/* A ClientHello without a cookie: a client starting over (rebooted, or
 * given up on a handshake), not a retransmission within one. */
static bool hello_starts_over(const uint8_t *p, size_t n) {
    if (n < 61) return false;
    size_t at = 60 + (size_t)p[59]; /* record 13 + handshake 12 + version 2 + random 32, then session id */
    return at < n && p[at] == 0;
}

/* A ClientHello from an address: the cookie exchange on the spare SSL object;
 * once the peer echoes a valid cookie, the spare becomes its session
 * (replacing old, the session a rebooted peer left behind). */
static void on_hello(zl_dtls_t *d, const zl_coap_dgram_t *g, sess_t *old) {
    if (!d->listener && !(d->listener = sess_new(d))) return;
    sess_t *l = d->listener;
    l->addr = g->addr;
    l->in = g->data;
    l->in_len = g->len;
    int r = DTLSv1_listen(l->ssl, d->client);
    l->in = NULL;
    if (r <= 0) {
        if (r < 0) { /* the object is unusable after a fatal error */
            sess_free(d, l, false);
            d->listener = NULL;
        } else {
            zl_counter_inc(d->m.challenged);
        }
        ERR_clear_error();
        return;
    }
    d->listener = NULL;
    /* the bound applies once the peer proved its address: the challenge itself costs nothing */
    if (!old && (d->n_hs >= d->cfg.max_handshakes || d->n_sess >= d->cfg.max_sessions)) {
        zl_counter_inc(d->m.busy);
        sess_free(d, l, false);
        return;
    }
    if (old) {
        zl_counter_inc(d->m.replaced);
        sess_free(d, old, false);
    }
    l->started_ms = l->last_ms = zl_now_ms();
    if (zl_hmap_insert(&d->by_addr, &l->node, addr_hash(d, &l->addr)) != ZL_OK) {
        sess_free(d, l, false);
        return;
    }
    l->in_map = true;
    d->n_sess++;
    l->hs_next = d->hs_head;
    if (d->hs_head) d->hs_head->hs_prev = l;
    d->hs_head = l;
    d->n_hs++;
    zl_gauge_set(d->m.sessions, d->n_sess);
    zl_gauge_set(d->m.handshakes, d->n_hs);
    drive_handshake(d, l);
}

/* One datagram in; plaintext records go to dst[*k..max). */
static void on_datagram(zl_dtls_t *d, const zl_coap_dgram_t *g, zl_coap_dgram_t *dst, int *k, int max) {
    if (g->truncated) return;
    sess_t *s = find(d, &g->addr);
    bool hello = is_client_hello(g->data, g->len);
    if (!s || (hello && (s->established || hello_starts_over(g->data, g->len)))) {
        if (hello) on_hello(d, g, s);
        else zl_counter_inc(d->m.no_session);
        return;
    }
    s->in = g->data;
    s->in_len = g->len;
    s->last_ms = zl_now_ms();
    if (!s->established && !drive_handshake(d, s)) return;
    while (s->established) {
        uint8_t spill[ZL_COAP_MAX_DGRAM];
        uint8_t *buf = *k < max ? dst[*k].data : spill; /* no slot left: read and drop */
        int n = SSL_read(s->ssl, buf, ZL_COAP_MAX_DGRAM);
        if (n > 0) {
            zl_counter_inc(d->m.records_in);
            if (buf == spill) continue;
            dst[*k].len = (size_t)n;
            dst[*k].addr = g->addr;
            dst[*k].truncated = false;
            (*k)++;
            continue;
        }
        int e = SSL_get_error(s->ssl, n);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
        sess_free(d, s, e == SSL_ERROR_ZERO_RETURN); /* close_notify (answered) or a fatal alert */
        return;
    }
    s->in = NULL;
    ERR_clear_error();
}

/* ---------------------------------------------------------------- the io */

static int dtls_recv(void *impl, zl_coap_dgram_t *dst, int max) {
    zl_dtls_t *d = impl;
    int k = 0;
    while (k < max) {
        int want = max - k;
        int n = d->inner.recv(d->inner.impl, d->cin, want);
        if (n < 0) return k ? k : -1;
        for (int i = 0; i < n; i++) on_datagram(d, &d->cin[i], dst, &k, max);
        if (n < want) break;
    }
    out_flush(d);
    return k;
}

static int dtls_send(void *impl, const zl_coap_dgram_t *g, int n) {
    zl_dtls_t *d = impl;
    for (int i = 0; i < n; i++) {
        sess_t *s = find(d, &g[i].addr);
        if (!s || !s->established) {
            zl_counter_inc(d->m.no_session); /* CoAP retransmits, or the device handshakes again */
            continue;
        }
        if (SSL_write(s->ssl, g[i].data, (int)g[i].len) > 0) zl_counter_inc(d->m.records_out);
        ERR_clear_error();
    }
    out_flush(d);
    return n;
}

static uint64_t dtls_session(void *impl, const zl_coap_addr_t *peer) {
    const zl_dtls_peer_t *p = zl_dtls_peer(impl, peer);
    return p ? p->session : 0;
}

static void dtls_close(void *impl) {
    zl_dtls_t *d = impl;
    size_t b = 0;
    zl_hnode_t *n = zl_hmap_iter(&d->by_addr, &b, NULL);
    while (n) {
        zl_hnode_t *next = zl_hmap_iter(&d->by_addr, &b, n);
        sess_free(d, ZL_CONTAINER_OF(n, sess_t, node), true);
        n = next;
    }
    out_flush(d);
    if (d->listener) sess_free(d, d->listener, false);
    zl_hmap_free(&d->by_addr);
    BIO_ADDR_free(d->client);
    BIO_meth_free(d->bio);
    SSL_CTX_free(d->ctx);
    if (d->inner.close) d->inner.close(d->inner.impl);
    OPENSSL_cleanse(d->secret, sizeof d->secret);
    free(d);
}

/* ---------------------------------------------------------------- callbacks */

static size_t addr_bytes(const zl_coap_addr_t *a, uint8_t out[18]) {
    if (a->sa.ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)&a->sa;
        memcpy(out, &x->sin_port, 2);
        memcpy(out + 2, &x->sin_addr, 4);
        return 6;
    }
    const struct sockaddr_in6 *x = (const void *)&a->sa;
    memcpy(out, &x->sin6_port, 2);
    memcpy(out + 2, &x->sin6_addr, 16);
    return 18;
}

static int cookie_make(SSL *ssl, unsigned char *cookie, unsigned int *len) {
    sess_t *s = SSL_get_app_data(ssl);
    uint8_t a[18];
    size_t n = addr_bytes(&s->addr, a);
    return HMAC(EVP_sha256(), s->d->secret, sizeof s->d->secret, a, n, cookie, len) != NULL;
}

static int cookie_check(SSL *ssl, const unsigned char *cookie, unsigned int len) {
    unsigned char want[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    return cookie_make(ssl, want, &n) && len == n && CRYPTO_memcmp(want, cookie, n) == 0;
}

static unsigned int psk_server(SSL *ssl, const char *identity, unsigned char *psk, unsigned int max) {
    sess_t *s = SSL_get_app_data(ssl);
    if (!identity || !s->d->cfg.psk_lookup) return 0;
    int n = s->d->cfg.psk_lookup(s->d->cfg.ctx, identity, psk, max);
    return n > 0 ? (unsigned)n : 0;
}

/* ---------------------------------------------------------------- setup */

static zl_err_t ssl_fail(const char *what, char *errstr, size_t n) {
    unsigned long e = ERR_get_error();
    snprintf(errstr, n, "dtls: %s: %s", what, e ? ERR_error_string(e, NULL) : "failed");
    ERR_clear_error();
    return ZL_ERR_INVALID;
}

static zl_err_t ctx_init(zl_dtls_t *d, char *errstr, size_t n) {
    const zl_dtls_cfg_t *c = &d->cfg;
    if (!(d->ctx = SSL_CTX_new(DTLS_server_method()))) return ssl_fail("SSL_CTX_new", errstr, n);
    SSL_CTX_set_min_proto_version(d->ctx, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(d->ctx, DTLS1_2_VERSION);
    if (!SSL_CTX_set_cipher_list(d->ctx, c->ciphers ? c->ciphers : DEFAULT_CIPHERS))
        return ssl_fail("cipher list", errstr, n);
    SSL_CTX_set_cookie_generate_cb(d->ctx, cookie_make);
    SSL_CTX_set_cookie_verify_cb(d->ctx, cookie_check);
    if (c->psk_lookup) SSL_CTX_set_psk_server_callback(d->ctx, psk_server);
    SSL_CTX_set_session_cache_mode(d->ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(d->ctx, 100000);
    SSL_CTX_set_session_id_context(d->ctx, (const unsigned char *)"zeelos-coaps", 12);
    SSL_CTX_set_mode(d->ctx, SSL_MODE_RELEASE_BUFFERS);
    if (c->cert_file && c->cert_file[0]) {
        if (SSL_CTX_use_certificate_chain_file(d->ctx, c->cert_file) != 1)
            return ssl_fail(c->cert_file, errstr, n);
        if (SSL_CTX_use_PrivateKey_file(d->ctx, c->key_file ? c->key_file : "", SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(d->ctx) != 1)
            return ssl_fail(c->key_file && c->key_file[0] ? c->key_file : "coaps key (none given)", errstr, n);
    }
    if (c->ca_file && c->ca_file[0]) {
        if (SSL_CTX_load_verify_locations(d->ctx, c->ca_file, NULL) != 1) return ssl_fail(c->ca_file, errstr, n);
        /* PSK suites never request a certificate, so this binds certificate clients only */
        SSL_CTX_set_verify(d->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    d->bio = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "zeelos-dtls");
    if (!d->bio || !BIO_meth_set_write(d->bio, bio_write) || !BIO_meth_set_read(d->bio, bio_read) ||
        !BIO_meth_set_ctrl(d->bio, bio_ctrl) || !BIO_meth_set_create(d->bio, bio_create) ||
        !(d->client = BIO_ADDR_new()) || RAND_bytes(d->secret, sizeof d->secret) != 1)
        return ssl_fail("setup", errstr, n);
    return ZL_OK;
}

static void metrics_init(zl_dtls_t *d) {
    zl_metrics_t *m = d->cfg.metrics;
    if (!m) return;
#define C(f, name, lab, help) d->m.f = zl_metrics_counter(m, name, lab, help)
    C(hs_ok, "zeelos_dtls_handshakes_total", "result=\"ok\"", "DTLS handshakes by outcome.");
    C(hs_failed, "zeelos_dtls_handshakes_total", "result=\"failed\"", "DTLS handshakes by outcome.");
    C(hs_timeout, "zeelos_dtls_handshakes_total", "result=\"timeout\"", "DTLS handshakes by outcome.");
    C(resumed, "zeelos_dtls_resumed_total", NULL, "Handshakes that resumed a cached session (abbreviated).");
    C(challenged, "zeelos_dtls_hello_verify_total", NULL,
      "ClientHellos answered with a cookie challenge (or dropped) before any state was kept.");
    C(busy, "zeelos_dtls_refused_total", NULL,
      "ClientHellos dropped because dtls.max.handshakes or dtls.max.sessions was reached.");
    C(no_session, "zeelos_dtls_no_session_total", NULL,
      "Datagrams from or to an address without a DTLS session (dropped).");
    C(closed, "zeelos_dtls_closed_total", NULL, "DTLS sessions ended (closed, failed, expired or dropped).");
    C(dropped_out, "zeelos_dtls_oversize_total", NULL, "Outgoing DTLS datagrams too large to send (dropped).");
    C(records_in, "zeelos_dtls_records_total", "dir=\"in\"", "Application records decrypted / encrypted.");
    C(records_out, "zeelos_dtls_records_total", "dir=\"out\"", "Application records decrypted / encrypted.");
    C(replaced, "zeelos_dtls_replaced_total", NULL,
      "Sessions replaced by a new handshake from the same address (a rebooted device).");
#undef C
    d->m.sessions = zl_metrics_gauge(m, "zeelos_dtls_sessions", NULL, "DTLS sessions (established + in handshake).");
    d->m.handshakes = zl_metrics_gauge(m, "zeelos_dtls_handshakes_in_progress", NULL, "DTLS handshakes in progress.");
}

/* The kernel's drops of the UDP socket underneath. */
static uint64_t dtls_drops(void *impl) {
    zl_dtls_t *d = impl;
    return d->inner.drops ? d->inner.drops(d->inner.impl) : 0;
}

zl_err_t zl_dtls_wrap(const zl_dtls_cfg_t *cfg, zl_coap_io_t *inner, zl_coap_io_t *io, zl_dtls_t **out,
                      char *errstr, size_t n) {
    zl_dtls_t *d = calloc(1, sizeof *d);
    if (!d) {
        inner->close(inner->impl);
        snprintf(errstr, n, "out of memory");
        return ZL_ERR_NOMEM;
    }
    d->inner = *inner;
    d->cfg = *cfg;
    if (!d->cfg.max_handshakes) d->cfg.max_handshakes = 1000;
    if (!d->cfg.max_sessions) d->cfg.max_sessions = 200000;
    if (d->cfg.handshake_timeout_ms <= 0) d->cfg.handshake_timeout_ms = 10000;
    if (d->cfg.idle_timeout_s <= 0) d->cfg.idle_timeout_s = 86400;
    if (d->cfg.mtu < 256) d->cfg.mtu = 1280;
    for (int i = 0; i < ZL_COAP_BATCH; i++) {
        d->cin[i].data = d->cbuf[i];
        d->out[i].data = d->obuf[i];
    }
    zl_err_t e = zl_hmap_init(&d->by_addr, 1024);
    if (e == ZL_OK) e = ctx_init(d, errstr, n);
    if (e != ZL_OK) {
        if (e == ZL_ERR_NOMEM) snprintf(errstr, n, "out of memory");
        dtls_close(d);
        return e;
    }
    metrics_init(d);
    *io = (zl_coap_io_t){.recv = dtls_recv, .send = dtls_send, .close = dtls_close, .session = dtls_session,
                         .drops = dtls_drops, .fd = inner->fd, .impl = d, .local = inner->local};
    *out = d;
    return ZL_OK;
}

const zl_dtls_peer_t *zl_dtls_peer(zl_dtls_t *d, const zl_coap_addr_t *addr) {
    sess_t *s = find(d, addr);
    return s && s->established ? &s->peer : NULL;
}

unsigned zl_dtls_drop_identity(zl_dtls_t *d, const char *identity) {
    unsigned k = 0;
    size_t b = 0;
    zl_hnode_t *n = zl_hmap_iter(&d->by_addr, &b, NULL);
    while (n) {
        zl_hnode_t *next = zl_hmap_iter(&d->by_addr, &b, n);
        sess_t *s = ZL_CONTAINER_OF(n, sess_t, node);
        if (s->established && !strcmp(s->peer.identity, identity)) {
            sess_free(d, s, true);
            k++;
        }
        n = next;
    }
    out_flush(d);
    return k;
}

int zl_dtls_tick(zl_dtls_t *d, int64_t now) {
    for (sess_t *s = d->hs_head, *next; s; s = next) {
        next = s->hs_next;
        if (now - s->started_ms > d->cfg.handshake_timeout_ms) {
            zl_counter_inc(d->m.hs_timeout);
            sess_free(d, s, false);
        } else if (DTLSv1_handle_timeout(s->ssl) < 0) {
            zl_counter_inc(d->m.hs_failed);
            sess_free(d, s, false);
        }
    }
    /* idle expiry: a slice of the buckets per tick (removal never resizes the map) */
    int64_t idle_ms = (int64_t)d->cfg.idle_timeout_s * 1000;
    size_t nb = d->by_addr.n_buckets;
    for (int i = 0; i < IDLE_SWEEP && nb; i++) {
        zl_hnode_t *n = d->by_addr.buckets[d->sweep_bucket++ & (nb - 1)];
        while (n) {
            zl_hnode_t *next = n->next;
            sess_t *s = ZL_CONTAINER_OF(n, sess_t, node);
            if (s->established && now - s->last_ms > idle_ms) sess_free(d, s, true);
            n = next;
        }
    }
    out_flush(d);
    return d->n_hs ? 100 : 1000;
}

unsigned zl_dtls_sessions(const zl_dtls_t *d) { return d->n_sess; }
unsigned zl_dtls_handshakes(const zl_dtls_t *d) { return d->n_hs; }
