/* SPDX-License-Identifier: Apache-2.0 */
/* The CoAP transport seam: addresses, datagrams and the datagram I/O an
 * endpoint is given (zl_coap_ep_cfg_t.io).  Why a seam: the message layer
 * (endpoint.c, block.c) only ever sees zl_coap_io_t, so a DTLS transport is a
 * new implementation of it (opened by the caller, passed in the config) and
 * touches neither the message layer nor LwM2M.  UDP is coap/udp.h.
 *
 * Ownership: whoever opens an io owns it until it is passed to
 * zl_coap_ep_new(), which takes it over in every case (on failure it is
 * closed there); the endpoint then closes it in zl_coap_ep_destroy(), after
 * sending what is still queued.  Thread: the endpoint's loop thread. */
#ifndef ZL_COAP_TRANSPORT_H
#define ZL_COAP_TRANSPORT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "common/err.h"
#include "common/hmap.h"

#define ZL_COAP_BATCH 64       /* datagrams per recv/send call */
#define ZL_COAP_MAX_DGRAM 1536 /* bytes per datagram buffer */

typedef struct {
    struct sockaddr_storage sa;
    socklen_t len;
} zl_coap_addr_t;

/* One datagram of a batch.  data points to a ZL_COAP_MAX_DGRAM buffer owned
 * by the batch (zl_coap_iobuf_t); truncated: it did not fit. */
typedef struct {
    uint8_t *data;
    size_t len;
    zl_coap_addr_t addr;
    bool truncated;
} zl_coap_dgram_t;

/* A datagram transport.  recv fills up to max datagrams of d (data, len,
 * addr, truncated) and returns how many (0 when drained, -1 on error), never
 * blocking; send transmits d[0..n) (a datagram that cannot go is dropped:
 * CoAP retransmits) and returns how many it handled; close releases impl and
 * the descriptor.  fd is what the loop polls for readability; local is the
 * bound address (port resolved when 0 was asked for). */
typedef struct {
    int (*recv)(void *impl, zl_coap_dgram_t *d, int max);
    int (*send)(void *impl, const zl_coap_dgram_t *d, int n);
    void (*close)(void *impl);
    /* optional (DTLS): the id of the security session peer's datagrams come
     * through now, 0 for none; the endpoint's duplicate cache does not match
     * a message of one session against another's (a new device on a reused
     * address and port must not get the previous one's cached answer) */
    uint64_t (*session)(void *impl, const zl_coap_addr_t *peer);
    /* optional: datagrams the kernel dropped on this socket since it was
     * opened because its receive buffer was full (SO_RXQ_OVFL), as of the
     * last recv */
    uint64_t (*drops)(void *impl);
    int fd;
    void *impl;
    zl_coap_addr_t local;
} zl_coap_io_t;

/* Address helpers.  eq and hash are on the per-datagram path: inline. */
static inline bool zl_coap_addr_eq(const zl_coap_addr_t *a, const zl_coap_addr_t *b) {
    if (a->sa.ss_family != b->sa.ss_family) return false;
    if (a->sa.ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)&a->sa, *y = (const void *)&b->sa;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)&a->sa, *y = (const void *)&b->sa;
    return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

static inline uint64_t zl_coap_addr_hash(uint64_t seed, const zl_coap_addr_t *a) {
    if (a->sa.ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)&a->sa;
        return zl_hash_u64(seed, (uint64_t)x->sin_addr.s_addr << 16 | x->sin_port);
    }
    const struct sockaddr_in6 *x = (const void *)&a->sa;
    return zl_hash_bytes(seed ^ x->sin6_port, &x->sin6_addr, 16);
}

/* transport.c */
/* "127.0.0.1" (host only) and port; returns host length. */
int zl_coap_addr_host(const zl_coap_addr_t *a, char *out, size_t out_size);
int zl_coap_addr_port(const zl_coap_addr_t *a);
/* Parses "host" + port into addr (numeric or resolved; "" = any). */
zl_err_t zl_coap_addr_parse(const char *host, int port, zl_coap_addr_t *out);

#endif
