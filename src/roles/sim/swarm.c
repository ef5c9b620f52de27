/* SPDX-License-Identifier: Apache-2.0 */
/* device.shared.socket: all the devices of a fleet worker on ONE UDP socket,
 * so a fleet can offer 150,000+ notifications/s from a fraction of a core.
 *
 * Why: with one socket and one endpoint per device, every notification is a
 * node tree, an encoding, a serialisation and a sendmmsg of one datagram
 * (the shared iobuf flushes whenever the next datagram is another device's):
 * ~5 us each.  Here:
 *
 *  - device g has its own source address, 127.1.0.1 + g (all of 127/8 is
 *    local on Linux), and the worker's port; the socket is bound to
 *    0.0.0.0:port, each datagram names its source with an IP_PKTINFO control
 *    message (ipi_spec_dst), and IP_PKTINFO on receive says which device a
 *    datagram from the gateway is for.  The gateway tells devices apart by
 *    address and port, so they are distinct devices to it;
 *  - each device keeps its ordinary CoAP endpoint (coap/endpoint.c: dedup,
 *    retransmission, tokens) over a transport of ours (zl_swarm_io): its
 *    send appends to the worker's batch, its recv hands over the one datagram
 *    the socket callback is delivering.  Registration, updates, reads,
 *    writes, discover and the observe GET therefore behave exactly as in the
 *    one-socket-per-device mode (device.c, fleet.c);
 *  - a NON notification of an observation whose format writes numbers as
 *    fixed-width float64 is a datagram device.c serialised once when the
 *    observation started (prepare_template); zl_swarm_notify() copies it into
 *    the batch and rewrites MID, Observe number and the doubles in place: no
 *    allocation, no formatting;
 *  - the batch (up to TX_MAX datagrams) leaves with one sendmmsg when full and
 *    at the end of every loop turn, so the notifications of all the devices
 *    whose timers fired in a turn go together.
 *
 * MIDs: fast notifications take their MIDs from a per-device counter that
 * jumps over the window of MIDs the device's endpoint uses (it numbers its own
 * messages consecutively and we see every one it sends), so the gateway's
 * duplicate detection never confuses a notification with a request. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "roles/sim/sim_int.h"
#include "common/clock.h"

#define TX_MAX 256 /* datagrams per sendmmsg */
#define RX_MAX 64  /* datagrams per recvmmsg */
#define EP_MID_GAP 64 /* MIDs after the endpoint's latest that fast notifications leave to it */
#define ADDR_BASE 0x7f010000u /* 127.1.0.0 */
#define PKTINFO_SPACE CMSG_SPACE(sizeof(struct in_pktinfo))

struct zl_swarm {
    fleet_t *f;
    int fd;
    zl_timer_t t_sweep;
    int next;      /* the device the sweep changes next */
    int64_t cycle; /* when the sweep's current round started (ms) */
    int n_out;
    long send_errors;
    /* the datagram being delivered to one device's endpoint (its recv) */
    device_t *rx_dev;
    const uint8_t *rx_data;
    size_t rx_len;
    zl_coap_addr_t rx_from;
    struct mmsghdr tx[TX_MAX];
    struct iovec tx_iov[TX_MAX];
    struct sockaddr_in tx_to[TX_MAX];
    union {
        char buf[PKTINFO_SPACE];
        struct cmsghdr align;
    } tx_cmsg[TX_MAX];
    uint8_t tx_buf[TX_MAX][ZL_COAP_MAX_DGRAM];
    struct mmsghdr rx[RX_MAX];
    struct iovec rx_iov[RX_MAX];
    struct sockaddr_in rx_from_sa[RX_MAX];
    union {
        char buf[PKTINFO_SPACE + 64];
        struct cmsghdr align;
    } rx_cmsg[RX_MAX];
    uint8_t rx_buf[RX_MAX][ZL_COAP_MAX_DGRAM];
};

uint32_t zl_swarm_ip(int g) {
    return ADDR_BASE + (uint32_t)(g / 254) * 256u + 1u + (uint32_t)(g % 254);
}

/* The global index of the device at address ip, -1 if none of ours. */
static int ip_index(uint32_t ip) {
    if (ip < ADDR_BASE + 1) return -1;
    uint32_t off = ip - ADDR_BASE, host = off & 0xff;
    if (host == 0 || host == 255) return -1;
    return (int)((off >> 8) * 254 + host - 1);
}

/* ------------------------------------------------------------ send side */

void zl_swarm_flush(zl_swarm_t *s) {
    int done = 0;
    while (done < s->n_out) {
        int k = sendmmsg(s->fd, s->tx + done, (unsigned)(s->n_out - done), 0);
        if (k > 0) {
            done += k;
            continue;
        }
        if (k < 0 && errno == EINTR) continue;
        /* EAGAIN (send buffer full) or an error of the first datagram: drop
         * it (CoAP retransmits what matters) and go on with the rest */
        if (s->send_errors++ < 3) /* the first few, then only counted */
            ZL_WARN("device", "shared socket: sendmmsg: %s (datagram dropped)", k < 0 ? strerror(errno) : "nothing sent");
        done++;
    }
    s->n_out = 0;
}

/* A slot of the batch for a datagram of n bytes from src to `to` (copied
 * from p); returns its buffer, or NULL if it is not an IPv4 address. */
static uint8_t *enqueue(zl_swarm_t *s, uint32_t src, const zl_coap_addr_t *to, const uint8_t *p, size_t n) {
    if (to->sa.ss_family != AF_INET || n > ZL_COAP_MAX_DGRAM) return NULL;
    if (s->n_out == TX_MAX) zl_swarm_flush(s);
    int i = s->n_out++;
    memcpy(&s->tx_to[i], &to->sa, sizeof s->tx_to[i]);
    struct in_pktinfo *pi = (struct in_pktinfo *)CMSG_DATA((struct cmsghdr *)s->tx_cmsg[i].buf);
    pi->ipi_spec_dst.s_addr = htonl(src);
    s->tx_iov[i].iov_len = n;
    memcpy(s->tx_buf[i], p, n);
    return s->tx_buf[i];
}

static uint16_t next_mid(device_t *d) {
    uint16_t m = d->fast_mid++;
    if ((uint16_t)(m - d->ep_mid) < EP_MID_GAP) { /* the endpoint's next MIDs: jump over them */
        m = (uint16_t)(d->ep_mid + EP_MID_GAP);
        d->fast_mid = (uint16_t)(m + 1);
    }
    return m;
}

static void put_be64(uint8_t *p, double v) {
    uint64_t b;
    memcpy(&b, &v, 8);
    b = __builtin_bswap64(b);
    memcpy(p, &b, 8);
}

bool zl_swarm_notify(device_t *d, observer_t *o, uint16_t *mid) {
    zl_swarm_t *s = d->fleet->swarm;
    if (!s || !o->tpl) return false;
    uint8_t *p = enqueue(s, d->ip, &o->peer, o->tpl, o->tpl_len);
    if (!p) return false;
    uint16_t m = next_mid(d);
    p[2] = (uint8_t)(m >> 8);
    p[3] = (uint8_t)m;
    uint32_t seq = ++o->seq;
    if (seq > 0xffffff) o->seq = seq = 0x10000; /* a step forward in RFC 7641's 24-bit order */
    uint8_t *obs = p + 4 + o->tkl + 1;
    obs[0] = (uint8_t)(seq >> 16);
    obs[1] = (uint8_t)(seq >> 8);
    obs[2] = (uint8_t)seq;
    double v[3];
    zl_dev_3303_values(d, o->path.ids[1], v);
    for (int k = 0; k < 3; k++)
        if (o->off_val[k]) put_be64(p + o->off_val[k], v[k]);
    *mid = m;
    return true;
}

/* ----------------------------------------------------------------- sweep */

/* Every device whose turn has come since the last run, in index order: the
 * devices' memory is walked sequentially (prefetched) and their notifications
 * fill the batch back to back.  A sweep more than a round late skips the lost
 * rounds, as a device's own timer re-armed late would. */
static void on_sweep(zl_timer_t *t, void *ctx) {
    zl_swarm_t *s = ctx;
    fleet_t *f = s->f;
    if (f->stopping || f->n <= 0) return;
    int64_t now = zl_now_ms(), period = f->notify_ms, due;
    if (now - s->cycle > 2 * period) s->cycle += (now - s->cycle - period) / period * period;
    for (;;) {
        if (s->next >= f->n) {
            s->next = 0;
            s->cycle += period;
        }
        due = s->cycle + (int64_t)s->next * period / f->n;
        if (due > now) break;
        zl_dev_tick(&f->devs[s->next++], 0);
    }
    zl_timer_arm(&f->wheel, t, due);
}

void zl_swarm_start(zl_swarm_t *s, int64_t now_ms) {
    s->cycle = now_ms;
    s->next = 0;
    zl_timer_arm(&s->f->wheel, &s->t_sweep, now_ms + 1);
}

/* ------------------------------------------------- a device's transport */

static int io_recv(void *impl, zl_coap_dgram_t *d, int max) {
    device_t *dev = impl;
    zl_swarm_t *s = dev->fleet->swarm;
    if (max < 1 || s->rx_dev != dev) return 0;
    s->rx_dev = NULL;
    memcpy(d[0].data, s->rx_data, s->rx_len);
    d[0].len = s->rx_len;
    d[0].addr = s->rx_from;
    d[0].truncated = false;
    return 1;
}

static int io_send(void *impl, const zl_coap_dgram_t *d, int n) {
    device_t *dev = impl;
    zl_swarm_t *s = dev->fleet->swarm;
    for (int i = 0; i < n; i++) {
        uint8_t type = d[i].len >= 4 ? (uint8_t)(d[i].data[0] >> 4 & 3) : ZL_COAP_ACK;
        if (type == ZL_COAP_CON || type == ZL_COAP_NON) /* a MID of its own: keep clear of it */
            dev->ep_mid = (uint16_t)(d[i].data[2] << 8 | d[i].data[3]);
        enqueue(s, dev->ip, &d[i].addr, d[i].data, d[i].len);
    }
    return n;
}

static void io_close(void *impl) {
    (void)impl; /* the socket is the swarm's */
}

void zl_swarm_io(zl_swarm_t *s, device_t *d, zl_coap_io_t *io) {
    memset(io, 0, sizeof *io);
    io->recv = io_recv;
    io->send = io_send;
    io->close = io_close; /* set, so the endpoint flushes what it queued when destroyed */
    io->fd = s->fd;
    io->impl = d;
    struct sockaddr_in *a = (struct sockaddr_in *)&io->local.sa;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(d->ip);
    struct sockaddr_in bound;
    socklen_t len = sizeof bound;
    if (getsockname(s->fd, (struct sockaddr *)&bound, &len) == 0) a->sin_port = bound.sin_port;
    io->local.len = sizeof *a;
    d->fast_mid = (uint16_t)rand();
    d->ep_mid = (uint16_t)(d->fast_mid + 0x8000);
}

/* ---------------------------------------------------------- receive side */

void zl_swarm_on_readable(void *ctx, uint32_t events) {
    zl_swarm_t *s = ctx;
    fleet_t *f = s->f;
    (void)events;
    for (int batch = 0; batch < 8; batch++) {
        for (int i = 0; i < RX_MAX; i++) {
            s->rx[i].msg_hdr.msg_namelen = sizeof s->rx_from_sa[i];
            s->rx[i].msg_hdr.msg_controllen = sizeof s->rx_cmsg[i].buf;
        }
        int n = recvmmsg(s->fd, s->rx, RX_MAX, MSG_DONTWAIT, NULL);
        if (n <= 0) return;
        for (int i = 0; i < n; i++) {
            struct msghdr *h = &s->rx[i].msg_hdr;
            uint32_t dst = 0;
            for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
                if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
                    dst = ntohl(((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr.s_addr);
            int g = ip_index(dst) - f->first;
            if (g < 0 || g >= f->n || !f->devs[g].ep || (h->msg_flags & MSG_TRUNC)) continue;
            device_t *d = &f->devs[g];
            memset(&s->rx_from, 0, sizeof s->rx_from);
            memcpy(&s->rx_from.sa, &s->rx_from_sa[i], sizeof s->rx_from_sa[i]);
            s->rx_from.len = sizeof s->rx_from_sa[i];
            s->rx_dev = d;
            s->rx_data = s->rx_buf[i];
            s->rx_len = s->rx[i].msg_len;
            zl_coap_ep_read(d->ep, 1);
            s->rx_dev = NULL;
        }
        if (n < RX_MAX) return;
    }
}

/* ------------------------------------------------------------- lifecycle */

zl_swarm_t *zl_swarm_new(fleet_t *f, char *err, size_t err_size) {
    zl_swarm_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    s->f = f;
    zl_timer_init(&s->t_sweep, on_sweep, s);
    s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1, buf = 8 << 20;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (s->fd < 0 || setsockopt(s->fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) ||
        bind(s->fd, (struct sockaddr *)&a, sizeof a)) {
        snprintf(err, err_size, "shared socket: %s", strerror(errno));
        if (s->fd >= 0) close(s->fd);
        free(s);
        return NULL;
    }
    /* best effort: bursts of registrations and reads come in at once */
    if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf))
        setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    if (setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf))
        setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    for (int i = 0; i < TX_MAX; i++) { /* fixed parts of every slot */
        s->tx_iov[i].iov_base = s->tx_buf[i];
        struct msghdr *h = &s->tx[i].msg_hdr;
        h->msg_name = &s->tx_to[i];
        h->msg_namelen = sizeof s->tx_to[i];
        h->msg_iov = &s->tx_iov[i];
        h->msg_iovlen = 1;
        h->msg_control = s->tx_cmsg[i].buf;
        h->msg_controllen = PKTINFO_SPACE;
        struct cmsghdr *c = CMSG_FIRSTHDR(h);
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    }
    for (int i = 0; i < RX_MAX; i++) {
        s->rx_iov[i].iov_base = s->rx_buf[i];
        s->rx_iov[i].iov_len = ZL_COAP_MAX_DGRAM;
        struct msghdr *h = &s->rx[i].msg_hdr;
        h->msg_name = &s->rx_from_sa[i];
        h->msg_iov = &s->rx_iov[i];
        h->msg_iovlen = 1;
        h->msg_control = s->rx_cmsg[i].buf;
    }
    return s;
}

void zl_swarm_free(zl_swarm_t *s) {
    if (!s) return;
    zl_timer_disarm(&s->f->wheel, &s->t_sweep);
    zl_swarm_flush(s);
    close(s->fd);
    free(s);
}

int zl_swarm_fd(const zl_swarm_t *s) { return s->fd; }
