/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the DTLS glue (coap/dtls.c) behind its datagram seam: the input is a
 * sequence of datagrams from four peer addresses, fed through a fake socket,
 * with whatever the glue answers collected.  One flag lets an input echo the
 * cookie the glue last handed that address, so the fuzzer gets past the
 * stateless exchange into OpenSSL's handshake with our BIO, the session map,
 * the bounds and the expiry (driven by zl_dtls_tick) instead of stopping at
 * a cookie it can never guess.  Input: repeated [flags+addr:1][len:2][bytes]. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coap/dtls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const uint8_t *p;
    size_t n;
    uint8_t cookie[4][32];
    bool have[4];
    unsigned sent;
} feed_t;

static void addr_of(int i, zl_coap_addr_t *a) {
    memset(a, 0, sizeof *a);
    struct sockaddr_in *s = (struct sockaddr_in *)&a->sa;
    s->sin_family = AF_INET;
    s->sin_port = htons((uint16_t)(40000 + i));
    s->sin_addr.s_addr = htonl(0x7f000001);
    a->len = sizeof *s;
}

static int addr_index(const zl_coap_addr_t *a) {
    return ntohs(((const struct sockaddr_in *)&a->sa)->sin_port) - 40000;
}

/* One datagram per call, so every datagram is read on its own turn. */
static int fake_recv(void *impl, zl_coap_dgram_t *d, int max) {
    feed_t *f = impl;
    if (max < 1 || f->n < 3) return 0;
    uint8_t flags = f->p[0];
    size_t len = (size_t)f->p[1] << 8 | f->p[2];
    f->p += 3, f->n -= 3;
    if (len > f->n) len = f->n;
    if (len > ZL_COAP_MAX_DGRAM) len = ZL_COAP_MAX_DGRAM;
    int i = flags & 3;
    memcpy(d[0].data, f->p, len);
    d[0].len = len;
    d[0].truncated = false;
    addr_of(i, &d[0].addr);
    f->p += len, f->n -= len;
    /* flag 0x80: echo this address's last cookie into a ClientHello's cookie field */
    if ((flags & 0x80) && f->have[i] && len >= 61) {
        size_t at = 60 + (size_t)d[0].data[59];
        if (at + 33 <= len && d[0].data[at] == 32) memcpy(d[0].data + at + 1, f->cookie[i], 32);
    }
    return 1;
}

static int fake_send(void *impl, const zl_coap_dgram_t *d, int n) {
    feed_t *f = impl;
    for (int k = 0; k < n; k++) {
        const uint8_t *p = d[k].data;
        int i = addr_index(&d[k].addr);
        f->sent++;
        /* a HelloVerifyRequest: keep its cookie for that address */
        if (i >= 0 && i < 4 && d[k].len >= 28 + 32 && p[0] == 22 && p[13] == 3 && p[27] == 32) {
            memcpy(f->cookie[i], p + 28, 32);
            f->have[i] = true;
        }
    }
    return n;
}

static void fake_close(void *impl) { (void)impl; }

static int psk(void *ctx, const char *identity, uint8_t *key, size_t max) {
    (void)ctx;
    if (strcmp(identity, "fuzz") || max < 4) return -1;
    memcpy(key, "fuzz", 4);
    return 4;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    feed_t f = {.p = data, .n = size};
    zl_coap_io_t inner = {.recv = fake_recv, .send = fake_send, .close = fake_close, .fd = -1, .impl = &f};
    zl_coap_io_t io;
    zl_dtls_t *d = NULL;
    char err[256];
    zl_dtls_cfg_t cfg = {.psk_lookup = psk, .max_handshakes = 2, .max_sessions = 3, .handshake_timeout_ms = 1};
    if (zl_dtls_wrap(&cfg, &inner, &io, &d, err, sizeof err) != ZL_OK) abort();
    static uint8_t bufs[ZL_COAP_BATCH][ZL_COAP_MAX_DGRAM];
    zl_coap_dgram_t in[ZL_COAP_BATCH];
    for (int i = 0; i < ZL_COAP_BATCH; i++) in[i].data = bufs[i];
    int64_t now = 0;
    while (f.n >= 3) {
        int k = io.recv(io.impl, in, ZL_COAP_BATCH);
        if (k < 0 || k > ZL_COAP_BATCH) abort();
        for (int j = 0; j < k; j++) {
            if (in[j].len > ZL_COAP_MAX_DGRAM) abort();
            io.send(io.impl, &in[j], 1); /* echo decrypted CoAP back through the session */
            const zl_dtls_peer_t *p = zl_dtls_peer(d, &in[j].addr);
            if (!p || !p->identity) abort(); /* records only come from established sessions */
        }
        zl_coap_addr_t a;
        addr_of((int)(f.sent & 3), &a);
        zl_dtls_peer(d, &a);
        if (zl_dtls_sessions(d) > 3 || zl_dtls_handshakes(d) > 2) abort();
        zl_dtls_tick(d, now += 5000); /* every handshake outlives its timeout here */
    }
    zl_dtls_drop_identity(d, "fuzz");
    io.close(io.impl);
    return 0;
}
