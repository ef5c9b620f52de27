/* SPDX-License-Identifier: Apache-2.0 */
/* UDP datagram I/O. Batching is the point: one recvmmsg/sendmmsg system call
 * moves up to ZL_COAP_BATCH datagrams, which is what keeps per-datagram cost
 * flat when thousands of devices talk at once. */
#include "coap/udp.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Only the descriptor lives per socket: the mmsghdr/iovec arrays are built on
 * the stack for each call (they are rewritten every call anyway), so a socket
 * costs a few bytes of heap, not 5 KB. */
typedef struct {
    int fd;
    uint32_t drops; /* the kernel's count (SO_RXQ_OVFL), as last seen */
} udp_t;

/* Room for the SO_RXQ_OVFL control message the kernel attaches to a
 * datagram once the socket has dropped any. */
#define CTL_SIZE CMSG_SPACE(sizeof(uint32_t))

static int udp_recv(void *impl, zl_coap_dgram_t *d, int max) {
    udp_t *u = impl;
    struct mmsghdr msgs[ZL_COAP_BATCH];
    struct iovec iov[ZL_COAP_BATCH];
    union {
        char buf[CTL_SIZE];
        struct cmsghdr align;
    } ctl[ZL_COAP_BATCH];
    if (max > ZL_COAP_BATCH) max = ZL_COAP_BATCH;
    for (int i = 0; i < max; i++) {
        iov[i].iov_base = d[i].data;
        iov[i].iov_len = ZL_COAP_MAX_DGRAM;
        memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &d[i].addr.sa;
        msgs[i].msg_hdr.msg_namelen = sizeof d[i].addr.sa;
        msgs[i].msg_hdr.msg_control = ctl[i].buf;
        msgs[i].msg_hdr.msg_controllen = sizeof ctl[i].buf;
    }
    int n = recvmmsg(u->fd, msgs, (unsigned)max, MSG_DONTWAIT, NULL);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    for (int i = 0; i < n; i++) {
        d[i].len = msgs[i].msg_len;
        d[i].addr.len = msgs[i].msg_hdr.msg_namelen;
        d[i].truncated = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
        if (msgs[i].msg_hdr.msg_controllen) { /* only once the socket has dropped something */
            for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
                    uint32_t v;
                    memcpy(&v, CMSG_DATA(c), sizeof v);
                    if (v - u->drops < 0x80000000u) u->drops = v; /* wraps at 2^32 */
                }
        }
    }
    return n;
}

static uint64_t udp_drops(void *impl) { return ((udp_t *)impl)->drops; }

static int udp_send(void *impl, const zl_coap_dgram_t *d, int n) {
    udp_t *u = impl;
    struct mmsghdr msgs[ZL_COAP_BATCH];
    struct iovec iov[ZL_COAP_BATCH];
    int sent = 0;
    while (sent < n) {
        int k = n - sent > ZL_COAP_BATCH ? ZL_COAP_BATCH : n - sent;
        for (int i = 0; i < k; i++) {
            const zl_coap_dgram_t *g = &d[sent + i];
            iov[i].iov_base = g->data;
            iov[i].iov_len = g->len;
            memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = (void *)&g->addr.sa;
            msgs[i].msg_hdr.msg_namelen = g->addr.len;
        }
        int r = sendmmsg(u->fd, msgs, (unsigned)k, MSG_DONTWAIT);
        if (r < 0) {
            if (errno == EINTR) continue;
            /* A failed datagram (e.g. EAGAIN, ECONNREFUSED from ICMP) is dropped;
             * CoAP's retransmission is the recovery. Skip it and go on. */
            sent++;
            continue;
        }
        sent += r > 0 ? r : 1;
    }
    return sent;
}

static void udp_close(void *impl) {
    udp_t *u = impl;
    if (u->fd >= 0) close(u->fd);
    free(u);
}

int zl_udp_rcvbuf(int fd) {
    int v = 0;
    socklen_t l = sizeof v;
    return getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &l) ? -1 : v / 2; /* the kernel reports twice the payload room */
}

zl_err_t zl_udp_open(const char *host, int port, int sock_buf, zl_coap_io_t *io, char *errstr,
                     size_t errstr_size) {
    zl_coap_addr_t a;
    if (zl_coap_addr_parse(host, port, &a) != ZL_OK) {
        snprintf(errstr, errstr_size, "cannot resolve CoAP bind address '%s'", host);
        return ZL_ERR_INVALID;
    }
    int fd = socket(a.sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(errstr, errstr_size, "socket: %s", strerror(errno));
        return ZL_ERR_IO;
    }
    /* No SO_REUSEADDR: on UDP it lets a second process bind the same port and
     * silently split the traffic; UDP has no TIME_WAIT that would need it. */
    if (sock_buf > 0) {
        /* FORCE goes past net.core.rmem_max/wmem_max where we may
         * (CAP_NET_ADMIN); elsewhere the kernel caps the plain option there */
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sock_buf, sizeof sock_buf))
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sock_buf, sizeof sock_buf);
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sock_buf, sizeof sock_buf))
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sock_buf, sizeof sock_buf);
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one); /* drops counted: udp_drops() */
    if (bind(fd, (struct sockaddr *)&a.sa, a.len) < 0) {
        snprintf(errstr, errstr_size, "cannot bind CoAP to %s:%d: %s", host, port, strerror(errno));
        close(fd);
        return ZL_ERR_IO;
    }
    zl_coap_addr_t bound = {.len = sizeof bound.sa};
    getsockname(fd, (struct sockaddr *)&bound.sa, &bound.len);
    udp_t *u = calloc(1, sizeof *u);
    if (!u) {
        close(fd);
        snprintf(errstr, errstr_size, "out of memory");
        return ZL_ERR_NOMEM;
    }
    u->fd = fd;
    io->recv = udp_recv;
    io->send = udp_send;
    io->close = udp_close;
    io->session = NULL; /* no security sessions on plain UDP */
    io->drops = udp_drops;
    io->fd = fd;
    io->impl = u;
    io->local = bound;
    return ZL_OK;
}
