/* SPDX-License-Identifier: Apache-2.0 */
/* CoAP message layer over real UDP sockets on 127.0.0.1: two endpoints in one
 * process sharing one timer wheel, plus raw UDP sockets that play a misbehaving
 * or hand-scripted peer.  A small poll loop drives everything with a bounded
 * wall time per step, so a broken endpoint fails a CHECK instead of hanging. */
#include <arpa/inet.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "coap/endpoint.h"
#include "coap/udp.h"
#include "common/metrics.h"
#include "common/clock.h"
#include "common/wheel.h"
#include "test.h"

static zl_wheel_t W;
static zl_coap_ep_t *eps[4];
static int n_eps;

static void ep_add(zl_coap_ep_t *ep) { eps[n_eps++] = ep; }
static void ep_del(zl_coap_ep_t *ep) {
    for (int i = 0; i < n_eps; i++)
        if (eps[i] == ep) {
            eps[i] = eps[--n_eps];
            break;
        }
    zl_coap_ep_destroy(ep);
}

static zl_coap_ep_t *ep_make(zl_coap_ep_cfg_t cfg) {
    char err[256] = "";
    zl_coap_ep_t *ep = NULL;
    /* the caller opens the transport; the endpoint takes it over */
    if (zl_udp_open("127.0.0.1", 0, cfg.shared_io ? 0 : 4 << 20, &cfg.io, err, sizeof err) == ZL_OK)
        ep = zl_coap_ep_new(&cfg, &W, err, sizeof err);
    if (!ep) fprintf(stderr, "ep_new: %s\n", err);
    CHECK(ep != NULL);
    if (ep) ep_add(ep);
    return ep;
}

/* One loop turn: flush, poll every endpoint (and extra_fd) for at most
 * max_wait ms, read, run the wheel, flush. */
static void turn(int extra_fd, int max_wait) {
    struct pollfd p[5];
    int n = 0;
    for (int i = 0; i < n_eps; i++) {
        zl_coap_ep_flush(eps[i]);
        p[n++] = (struct pollfd){.fd = zl_coap_ep_fd(eps[i]), .events = POLLIN};
    }
    if (extra_fd >= 0) p[n++] = (struct pollfd){.fd = extra_fd, .events = POLLIN};
    poll(p, (nfds_t)n, zl_wheel_timeout(&W, zl_now_ms(), max_wait));
    for (int i = 0; i < n_eps; i++) zl_coap_ep_read(eps[i], 4);
    zl_wheel_run(&W, zl_now_ms());
    for (int i = 0; i < n_eps; i++) zl_coap_ep_flush(eps[i]);
}

static void pump_for(int ms) {
    int64_t end = zl_now_ms() + ms;
    while (zl_now_ms() < end) turn(-1, 5);
}

static bool pump_until(const int *counter, int want, int ms) {
    int64_t end = zl_now_ms() + ms;
    while (*counter < want && zl_now_ms() < end) turn(-1, 5);
    return *counter >= want;
}

/* ------------------------------------------------------------ raw peer */

typedef struct {
    int fd;
    zl_coap_addr_t addr;
} raw_t;

static raw_t raw_open(void) {
    raw_t r;
    r.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(r.fd, (struct sockaddr *)&a, sizeof a) == 0);
    memset(&r.addr, 0, sizeof r.addr);
    r.addr.len = sizeof r.addr.sa;
    getsockname(r.fd, (struct sockaddr *)&r.addr.sa, &r.addr.len);
    return r;
}

static void raw_send(const raw_t *r, const zl_coap_addr_t *to, const void *p, size_t n) {
    CHECK(sendto(r->fd, p, n, 0, (const struct sockaddr *)&to->sa, to->len) == (ssize_t)n);
}

static void raw_send_msg(const raw_t *r, const zl_coap_addr_t *to, const zl_coap_msg_t *m) {
    uint8_t b[ZL_COAP_MAX_DGRAM];
    size_t n = zl_coap_serialize(m, b, sizeof b);
    CHECK(n > 0);
    raw_send(r, to, b, n);
}

/* Waits (pumping the endpoints) up to ms for a datagram on the raw socket.
 * Returns its length or -1. */
static ssize_t raw_recv(const raw_t *r, uint8_t *buf, size_t cap, int ms) {
    int64_t end = zl_now_ms() + ms;
    for (;;) {
        ssize_t n = recv(r->fd, buf, cap, MSG_DONTWAIT);
        if (n >= 0) return n;
        if (zl_now_ms() >= end) return -1;
        turn(r->fd, 5);
    }
}

/* Receives and parses one message; returns false on timeout/garbage. */
static bool raw_recv_msg(const raw_t *r, uint8_t *buf, zl_coap_msg_t *m, int ms) {
    ssize_t n = raw_recv(r, buf, ZL_COAP_MAX_DGRAM, ms);
    if (n < 0) return false;
    return zl_coap_parse(buf, (size_t)n, m) == ZL_OK;
}

/* Reply to m (same MID and token) as a piggybacked ACK. */
static void reply_init(zl_coap_msg_t *resp, const zl_coap_msg_t *req, uint8_t code) {
    zl_coap_init(resp, ZL_COAP_ACK, code, req->mid);
    resp->tkl = req->tkl;
    memcpy(resp->token, req->token, req->tkl);
}

/* ----------------------------------------------------------- recorders */

typedef struct {
    int calls;
    zl_err_t err;
    uint8_t code;
    uint8_t payload[4096];
    size_t plen;
    int64_t observe;
    /* optional hooks */
    zl_coap_ep_t *ep;
    uint8_t cancel_tok[8];
    bool cancel_on_call;
    bool request_on_call;
    const zl_coap_addr_t *peer;
    void *chain_ctx;
} rec_t;

static void rec_cb(void *ctx, zl_err_t err, const zl_coap_msg_t *resp) {
    rec_t *r = ctx;
    r->calls++;
    r->err = err;
    r->code = resp ? resp->code : 0;
    r->plen = 0;
    r->observe = resp ? zl_coap_opt_uint(resp, ZL_OPT_OBSERVE, -1) : -1;
    if (resp && resp->payload_len && resp->payload_len <= sizeof r->payload) {
        memcpy(r->payload, resp->payload, resp->payload_len);
        r->plen = resp->payload_len;
    }
    if (r->cancel_on_call) {
        r->cancel_on_call = false;
        zl_coap_cancel(r->ep, r->cancel_tok, 8);
    }
    if (r->request_on_call) {
        r->request_on_call = false;
        zl_coap_msg_t req;
        zl_coap_init(&req, 0, ZL_COAP_GET, 0);
        zl_coap_req_opts_t o = {.confirmable = true, .timeout_ms = 5000};
        CHECK_EQ_INT(zl_coap_request(r->ep, r->peer, &req, &o, rec_cb, r->chain_ctx, NULL), ZL_OK);
    }
}

typedef struct {
    int calls;
    uint8_t type, code;
    size_t plen;
    uint8_t payload[256];
    char path[64];
    bool saw_block1;
    zl_coap_addr_t peer;
} srv_t;

static void srv_cb(void *ctx, zl_coap_ep_t *ep, const zl_coap_addr_t *peer, const zl_coap_msg_t *req,
                   zl_coap_msg_t *resp) {
    srv_t *s = ctx;
    (void)ep;
    s->peer = *peer;
    s->calls++;
    s->type = req->type;
    s->code = req->code;
    s->plen = req->payload_len < sizeof s->payload ? req->payload_len : sizeof s->payload;
    if (s->plen) memcpy(s->payload, req->payload, s->plen);
    zl_coap_path_string(req, ZL_OPT_URI_PATH, s->path, sizeof s->path);
    s->saw_block1 = zl_coap_opt(req, ZL_OPT_BLOCK1) != NULL;
    if (req->code == ZL_COAP_POST) {
        resp->code = ZL_COAP_CHANGED;
        return;
    }
    if (strcmp(s->path, "/temperature") == 0) {
        resp->code = ZL_COAP_CONTENT;
        resp->payload = (const uint8_t *)"22.3 C";
        resp->payload_len = 6;
    }
}

static zl_err_t get(zl_coap_ep_t *c, const zl_coap_addr_t *to, const char *path, bool con, rec_t *r,
                    uint8_t tok[8]) {
    zl_coap_msg_t req;
    zl_coap_init(&req, 0, ZL_COAP_GET, 0);
    zl_coap_add_path(&req, ZL_OPT_URI_PATH, path);
    zl_coap_req_opts_t o = {.confirmable = con, .timeout_ms = 5000};
    return zl_coap_request(c, to, &req, &o, rec_cb, r, tok);
}

static const uint8_t get_temp[] = {0x42, 0x01, 0x7d, 0x34, 0x71, 0x23, 0xbb, 't', 'e', 'm', 'p',
                                   'e', 'r', 'a', 't', 'u', 'r', 'e'};

/* ------------------------------------------------------------- tests */

static zl_coap_ep_t *S, *C; /* server with srv_cb, client (ack timeout 100 ms, 2 retransmits) */
static srv_t srv;
static zl_metrics_t *M;

static void test_con_get(void) {
    rec_t r = {0};
    uint8_t tok[8];
    CHECK_EQ_INT(get(C, zl_coap_ep_local(S), "/temperature", true, &r, tok), ZL_OK);
    CHECK(pump_until(&r.calls, 1, 2000));
    CHECK_EQ_INT(r.calls, 1);
    CHECK_EQ_INT(r.err, ZL_OK);
    CHECK_EQ_INT(r.code, ZL_COAP_CONTENT);
    CHECK_EQ_INT(r.plen, 6);
    CHECK_MEM(r.payload, "22.3 C", 6);
    CHECK_EQ_INT(srv.type, ZL_COAP_CON);
    CHECK_STR(srv.path, "/temperature");
    /* the token is gone once answered */
    CHECK_EQ_INT(zl_coap_cancel(C, tok, 8), ZL_ERR_NOT_FOUND);
}

static void test_non_get(void) {
    rec_t r = {0};
    int before = srv.calls;
    CHECK_EQ_INT(get(C, zl_coap_ep_local(S), "temperature", false, &r, NULL), ZL_OK);
    CHECK(pump_until(&r.calls, 1, 2000));
    CHECK_EQ_INT(r.err, ZL_OK);
    CHECK_EQ_INT(r.code, ZL_COAP_CONTENT);
    CHECK_MEM(r.payload, "22.3 C", 6);
    CHECK_EQ_INT(srv.calls, before + 1);
    CHECK_EQ_INT(srv.type, ZL_COAP_NON);
}

static void test_default_404(void) {
    zl_coap_ep_t *s2 = ep_make((zl_coap_ep_cfg_t){0});
    rec_t r = {0};
    CHECK_EQ_INT(get(C, zl_coap_ep_local(s2), "/anything", true, &r, NULL), ZL_OK);
    CHECK(pump_until(&r.calls, 1, 2000));
    CHECK_EQ_INT(r.err, ZL_OK);
    CHECK_EQ_INT(r.code, ZL_COAP_NOT_FOUND);
    /* and a NON one */
    rec_t r2 = {0};
    CHECK_EQ_INT(get(C, zl_coap_ep_local(s2), "/x", false, &r2, NULL), ZL_OK);
    CHECK(pump_until(&r2.calls, 1, 2000));
    CHECK_EQ_INT(r2.code, ZL_COAP_NOT_FOUND);
    ep_del(s2);
}

static void test_duplicate(void) {
    raw_t raw = raw_open();
    int before = srv.calls;
    zl_counter_t *dup = zl_metrics_counter(M, "zeelos_coap_duplicates_total", NULL, "x");
    uint64_t dup0 = zl_counter_get(dup);
    uint8_t a[ZL_COAP_MAX_DGRAM], b[ZL_COAP_MAX_DGRAM];
    raw_send(&raw, zl_coap_ep_local(S), get_temp, sizeof get_temp);
    ssize_t na = raw_recv(&raw, a, sizeof a, 2000);
    raw_send(&raw, zl_coap_ep_local(S), get_temp, sizeof get_temp);
    ssize_t nb = raw_recv(&raw, b, sizeof b, 2000);
    CHECK(na > 0);
    CHECK_EQ_INT(nb, na);
    if (na > 0 && nb == na) CHECK_MEM(a, b, (size_t)na);
    CHECK_EQ_INT(srv.calls, before + 1);
    CHECK_EQ_INT(zl_counter_get(dup), dup0 + 1);
    zl_coap_msg_t m;
    CHECK_EQ_INT(zl_coap_parse(a, (size_t)na, &m), ZL_OK);
    CHECK_EQ_INT(m.type, ZL_COAP_ACK);
    CHECK_EQ_INT(m.mid, 0x7d34);
    CHECK_EQ_INT(m.code, ZL_COAP_CONTENT);
    CHECK_EQ_INT(m.tkl, 2);
    CHECK_MEM(m.payload, "22.3 C", 6);
    /* CoAP ping (empty CON) is answered with RST */
    static const uint8_t ping[] = {0x40, 0x00, 0x55, 0x66};
    raw_send(&raw, zl_coap_ep_local(S), ping, sizeof ping);
    CHECK_EQ_INT(raw_recv(&raw, a, sizeof a, 2000), 4);
    CHECK_MEM(a, "\x70\x00\x55\x66", 4);
    close(raw.fd);
}

/* The duplicate window ends after exchange_lifetime_ms: the same MID from the
 * same peer is then a new request, even if nothing else arrived meanwhile. */
static void test_dedup_expiry(void) {
    srv_t s = {0};
    zl_coap_ep_t *sx = ep_make((zl_coap_ep_cfg_t){.exchange_lifetime_ms = 150, .on_request = srv_cb, .ctx = &s});
    raw_t raw = raw_open();
    uint8_t a[ZL_COAP_MAX_DGRAM];
    raw_send(&raw, zl_coap_ep_local(sx), get_temp, sizeof get_temp);
    CHECK(raw_recv(&raw, a, sizeof a, 2000) > 0);
    raw_send(&raw, zl_coap_ep_local(sx), get_temp, sizeof get_temp); /* within the window */
    CHECK(raw_recv(&raw, a, sizeof a, 2000) > 0);
    CHECK_EQ_INT(s.calls, 1);
    pump_for(400);
    raw_send(&raw, zl_coap_ep_local(sx), get_temp, sizeof get_temp); /* window over */
    CHECK(raw_recv(&raw, a, sizeof a, 2000) > 0);
    CHECK_EQ_INT(s.calls, 2);
    close(raw.fd);
    ep_del(sx);
}

static void test_retransmission(void) {
    raw_t raw = raw_open();
    rec_t r = {0};
    uint8_t tok[8];
    zl_counter_t *retx = zl_metrics_counter(M, "zeelos_coap_retransmissions_total", NULL, "x");
    uint64_t retx0 = zl_counter_get(retx);
    /* Timing: measured from before the request, whose retransmission timer is
     * armed later and never fires early, the lower bound is exact whatever the
     * scheduling (a window between two receive times was not: one late wake-up
     * under ASan moved both ends).  The upper bound is only a sanity bound,
     * ten times ACK_TIMEOUT * 1.5; the sequence is checked by counts. */
    int64_t t0 = zl_now_ms();
    CHECK_EQ_INT(get(C, &raw.addr, "/slow", true, &r, tok), ZL_OK);
    uint8_t a[ZL_COAP_MAX_DGRAM], b[ZL_COAP_MAX_DGRAM];
    zl_coap_msg_t m1, m2;
    CHECK(raw_recv_msg(&raw, a, &m1, 2000)); /* ignored */
    CHECK_EQ_INT(zl_counter_get(retx), retx0); /* the first copy is no retransmission */
    CHECK(raw_recv_msg(&raw, b, &m2, 2000));
    int64_t dt = zl_now_ms() - t0;
    CHECK(dt >= 100);  /* ACK_TIMEOUT 100 ms (randomised up to 150) */
    CHECK(dt <= 1500);
    CHECK_EQ_INT(m1.type, ZL_COAP_CON);
    CHECK_EQ_INT(m2.mid, m1.mid);
    CHECK_EQ_INT(m2.tkl, 8);
    CHECK_MEM(m2.token, tok, 8);
    CHECK_MEM(m1.token, tok, 8);
    CHECK_EQ_INT(zl_counter_get(retx), retx0 + 1);
    zl_coap_msg_t resp;
    reply_init(&resp, &m2, ZL_COAP_CONTENT);
    resp.payload = (const uint8_t *)"late";
    resp.payload_len = 4;
    raw_send_msg(&raw, zl_coap_ep_local(C), &resp);
    CHECK(pump_until(&r.calls, 1, 2000));
    CHECK_EQ_INT(r.err, ZL_OK);
    CHECK_EQ_INT(r.plen, 4);
    CHECK_MEM(r.payload, "late", 4);
    /* no further retransmission after the answer */
    CHECK_EQ_INT(raw_recv(&raw, a, sizeof a, 400), -1);
    CHECK_EQ_INT(zl_counter_get(retx), retx0 + 1);
    close(raw.fd);
}

static void test_timeout(void) {
    raw_t raw = raw_open();
    rec_t r = {0};
    zl_counter_t *to = zl_metrics_counter(M, "zeelos_coap_timeouts_total", NULL, "x");
    uint64_t to0 = zl_counter_get(to);
    CHECK_EQ_INT(get(C, &raw.addr, "/void", true, &r, NULL), ZL_OK);
    int got = 0;
    uint8_t a[ZL_COAP_MAX_DGRAM];
    int64_t t0 = zl_now_ms();
    while (r.calls == 0 && zl_now_ms() - t0 < 3000) {
        if (raw_recv(&raw, a, sizeof a, 50) > 0) got++;
    }
    CHECK_EQ_INT(r.calls, 1);
    CHECK_EQ_INT(r.err, ZL_ERR_TIMEOUT);
    CHECK_EQ_INT(got, 3); /* first transmission + max_retransmit 2 */
    CHECK_EQ_INT(zl_counter_get(to), to0 + 1);
    /* request deadline (NON, no retransmission): timeout_ms */
    rec_t r2 = {0};
    zl_coap_msg_t req;
    zl_coap_init(&req, 0, ZL_COAP_GET, 0);
    zl_coap_req_opts_t o = {.confirmable = false, .timeout_ms = 150};
    CHECK_EQ_INT(zl_coap_request(C, &raw.addr, &req, &o, rec_cb, &r2, NULL), ZL_OK);
    CHECK(pump_until(&r2.calls, 1, 2000));
    CHECK_EQ_INT(r2.err, ZL_ERR_TIMEOUT);
    close(raw.fd);
}

static void test_rst(void) {
    raw_t raw = raw_open();
    rec_t r = {0};
    CHECK_EQ_INT(get(C, &raw.addr, "/rst", true, &r, NULL), ZL_OK);
    uint8_t a[ZL_COAP_MAX_DGRAM];
    zl_coap_msg_t m;
    CHECK(raw_recv_msg(&raw, a, &m, 2000));
    uint8_t rst[4] = {0x70, 0x00, (uint8_t)(m.mid >> 8), (uint8_t)m.mid};
    raw_send(&raw, zl_coap_ep_local(C), rst, 4);
    CHECK(pump_until(&r.calls, 1, 2000));
    CHECK_EQ_INT(r.err, ZL_ERR_RESET);
    /* no retransmission after RST */
    CHECK_EQ_INT(raw_recv(&raw, a, sizeof a, 300), -1);
    close(raw.fd);
}

static void notify(const raw_t *raw, uint8_t type, uint16_t mid, const uint8_t tok[8], uint32_t seq,
                   const char *payload) {
    zl_coap_msg_t n;
    uint8_t s[4];
    zl_coap_init(&n, type, ZL_COAP_CONTENT, mid);
    n.tkl = 8;
    memcpy(n.token, tok, 8);
    zl_coap_add_uint(&n, ZL_OPT_OBSERVE, seq, s);
    n.payload = (const uint8_t *)payload;
    n.payload_len = strlen(payload);
    raw_send_msg(raw, zl_coap_ep_local(C), &n);
}

static void test_observe(void) {
    raw_t raw = raw_open();
    rec_t r = {0};
    uint8_t tok[8];
    zl_coap_msg_t req;
    zl_coap_init(&req, 0, ZL_COAP_GET, 0);
    zl_coap_add_path(&req, ZL_OPT_URI_PATH, "/3303/0/5700");
    zl_coap_req_opts_t o = {.confirmable = true, .observe = true, .timeout_ms = 2000};
    CHECK_EQ_INT(zl_coap_request(C, &raw.addr, &req, &o, rec_cb, &r, tok), ZL_OK);
    uint8_t a[ZL_COAP_MAX_DGRAM];
    zl_coap_msg_t m;
    CHECK(raw_recv_msg(&raw, a, &m, 2000));
    CHECK_EQ_INT(zl_coap_opt_uint(&m, ZL_OPT_OBSERVE, -1), 0);
    CHECK_MEM(m.token, tok, 8);
    zl_coap_msg_t resp;
    uint8_t s[4];
    reply_init(&resp, &m, ZL_COAP_CONTENT);
    zl_coap_add_uint(&resp, ZL_OPT_OBSERVE, 1, s);
    resp.payload = (const uint8_t *)"1";
    resp.payload_len = 1;
    raw_send_msg(&raw, zl_coap_ep_local(C), &resp);
    CHECK(pump_until(&r.calls, 1, 2000));
    CHECK_EQ_INT(r.err, ZL_OK);
    CHECK_EQ_INT(r.observe, 1);

    notify(&raw, ZL_COAP_NON, 0x3001, tok, 2, "2");
    CHECK(pump_until(&r.calls, 2, 2000));
    CHECK_EQ_INT(r.plen, 1);
    CHECK_EQ_INT(r.payload[0], '2');
    /* a CON notification is ACKed */
    notify(&raw, ZL_COAP_CON, 0x3002, tok, 3, "3");
    CHECK_EQ_INT(raw_recv(&raw, a, sizeof a, 2000), 4);
    CHECK_MEM(a, "\x60\x00\x30\x02", 4);
    CHECK(pump_until(&r.calls, 3, 2000));
    CHECK_EQ_INT(r.payload[0], '3');
    /* stale sequence number: ignored */
    notify(&raw, ZL_COAP_NON, 0x3003, tok, 2, "old");
    pump_for(150);
    CHECK_EQ_INT(r.calls, 3);
    CHECK_EQ_INT(r.payload[0], '3');
    /* the request deadline (2 s) does not end a live observation */
    pump_for(2200);
    CHECK_EQ_INT(r.calls, 3);
    notify(&raw, ZL_COAP_NON, 0x3004, tok, 4, "4");
    CHECK(pump_until(&r.calls, 4, 2000));
    CHECK_EQ_INT(r.err, ZL_OK);
    /* passive cancel: the next notification is rejected with RST */
    CHECK_EQ_INT(zl_coap_cancel(C, tok, 8), ZL_OK);
    CHECK_EQ_INT(zl_coap_cancel(C, tok, 8), ZL_ERR_NOT_FOUND);
    notify(&raw, ZL_COAP_NON, 0x3005, tok, 5, "5");
    CHECK_EQ_INT(raw_recv(&raw, a, sizeof a, 2000), 4);
    CHECK_MEM(a, "\x70\x00\x30\x05", 4);
    CHECK_EQ_INT(r.calls, 4);
    close(raw.fd);
}

/* An observation re-attached after a restart accepts notifications for its token
 * only: a different token that happens to map to the same key must be rejected. */
static void test_observe_attach(void) {
    raw_t raw = raw_open();
    rec_t r = {0};
    const uint8_t t7[7] = {1, 2, 3, 4, 5, 6, 7};
    CHECK_EQ_INT(zl_coap_observe_attach(C, &raw.addr, t7, 7, rec_cb, &r, NULL, 0), ZL_OK);
    zl_coap_msg_t n;
    uint8_t s[4];
    zl_coap_init(&n, ZL_COAP_NON, ZL_COAP_CONTENT, 0x5001);
    n.tkl = 7;
    memcpy(n.token, t7, 7);
    zl_coap_add_uint(&n, ZL_OPT_OBSERVE, 9, s);
    raw_send_msg(&raw, zl_coap_ep_local(C), &n);
    CHECK(pump_until(&r.calls, 1, 2000));
    CHECK_EQ_INT(r.err, ZL_OK);
    /* 8-byte token t7 || 0xf0: distinct token, must not reach the observation */
    n.mid = 0x5002;
    n.tkl = 8;
    n.token[7] = 0xf0;
    n.opts[0].val = (const uint8_t *)"\x0a";
    n.opts[0].len = 1;
    raw_send_msg(&raw, zl_coap_ep_local(C), &n);
    uint8_t a[ZL_COAP_MAX_DGRAM];
    CHECK_EQ_INT(raw_recv(&raw, a, sizeof a, 1000), 4);
    CHECK_MEM(a, "\x70\x00\x50\x02", 4);
    CHECK_EQ_INT(r.calls, 1);
    CHECK_EQ_INT(zl_coap_cancel(C, t7, 7), ZL_OK);
    close(raw.fd);
}

/* Backpressure: while admit() says no, a CON notification is neither ACKed
 * nor delivered (and counted); its retransmission is taken once admit() says
 * yes again.  A NON notification cannot be pushed back: delivered. */
static bool admit_flag;
static bool admit_fn(void *ctx) {
    (void)ctx;
    return admit_flag;
}

static void test_admit(void) {
    zl_metrics_t *m = zl_metrics_new();
    zl_coap_ep_t *A = ep_make((zl_coap_ep_cfg_t){.metrics = m, .admit = admit_fn});
    raw_t raw = raw_open();
    rec_t r = {0};
    const uint8_t t[4] = {9, 8, 7, 6};
    admit_flag = true;
    CHECK_EQ_INT(zl_coap_observe_attach(A, &raw.addr, t, 4, rec_cb, &r, NULL, 0), ZL_OK);
    zl_coap_msg_t n, got;
    uint8_t s[4], a[ZL_COAP_MAX_DGRAM];
    zl_coap_init(&n, ZL_COAP_CON, ZL_COAP_CONTENT, 0x6001);
    n.tkl = 4;
    memcpy(n.token, t, 4);
    zl_coap_add_uint(&n, ZL_OPT_OBSERVE, 2, s);
    admit_flag = false;
    raw_send_msg(&raw, zl_coap_ep_local(A), &n);
    pump_for(50);
    CHECK(!raw_recv_msg(&raw, a, &got, 100)); /* no ACK */
    CHECK_EQ_INT(r.calls, 0);
    zl_buf_t txt;
    zl_buf_init(&txt, 0);
    CHECK_EQ_INT(zl_metrics_render(m, &txt), ZL_OK);
    CHECK(strstr(zl_buf_cstr(&txt), "zeelos_coap_notifications_shed_total 1\n") != NULL);
    zl_buf_free(&txt);
    admit_flag = true; /* the device retransmits the same message */
    raw_send_msg(&raw, zl_coap_ep_local(A), &n);
    CHECK(pump_until(&r.calls, 1, 2000));
    CHECK(raw_recv_msg(&raw, a, &got, 1000) && got.type == ZL_COAP_ACK && got.mid == 0x6001);
    /* NON while refusing: delivered (no ACK exists to withhold), nothing sent back */
    admit_flag = false;
    n.type = ZL_COAP_NON;
    n.mid = 0x6002;
    zl_coap_init(&n, ZL_COAP_NON, ZL_COAP_CONTENT, 0x6002);
    n.tkl = 4;
    memcpy(n.token, t, 4);
    zl_coap_add_uint(&n, ZL_OPT_OBSERVE, 3, s);
    raw_send_msg(&raw, zl_coap_ep_local(A), &n);
    CHECK(pump_until(&r.calls, 2, 2000));
    CHECK(!raw_recv_msg(&raw, a, &got, 100));
    CHECK_EQ_INT(zl_coap_cancel(A, t, 4), ZL_OK);
    close(raw.fd);
    ep_del(A);
    zl_metrics_destroy(m);
}

/* Held ACKs (held.c): the callback holds a CON notification's ACK; nothing
 * leaves until it is released, a retransmission meanwhile is neither ACKed
 * nor delivered, release(kept) sends the ACK; release(!kept) sends none and
 * the device's retransmission is delivered again (not taken as stale). */
typedef struct {
    rec_t r;
    bool hold;
    zl_coap_held_ack_t h;
    int held;
} hold_rec_t;

static void hold_cb(void *ctx, zl_err_t err, const zl_coap_msg_t *resp) {
    hold_rec_t *hr = ctx;
    rec_cb(&hr->r, err, resp);
    if (!hr->hold || !zl_coap_ep_hold_ack(C, &hr->h)) return;
    hr->held++;
    zl_coap_held_ack_t again;
    CHECK(!zl_coap_ep_hold_ack(C, &again)); /* once per notification */
}

static void test_held_ack(void) {
    raw_t raw = raw_open();
    hold_rec_t hr = {.hold = true};
    const uint8_t t[8] = {4, 4, 3, 3, 2, 2, 1, 1};
    zl_coap_held_ack_t none;
    CHECK(!zl_coap_ep_hold_ack(C, &none)); /* outside a notification callback */
    CHECK_EQ_INT(zl_coap_observe_attach(C, &raw.addr, t, 8, hold_cb, &hr, NULL, 0), ZL_OK);
    uint8_t a[ZL_COAP_MAX_DGRAM];
    zl_coap_msg_t got;
    notify(&raw, ZL_COAP_CON, 0x7001, t, 2, "2");
    CHECK(pump_until(&hr.r.calls, 1, 2000));
    CHECK_EQ_INT(hr.held, 1);
    CHECK_EQ_INT((int)zl_coap_ep_held_acks(C), 1);
    CHECK(!raw_recv_msg(&raw, a, &got, 100)); /* held: no ACK yet */
    notify(&raw, ZL_COAP_CON, 0x7001, t, 2, "2"); /* retransmission while held */
    pump_for(50);
    CHECK_EQ_INT(hr.r.calls, 1);
    CHECK(!raw_recv_msg(&raw, a, &got, 100));
    zl_coap_ep_release_ack(C, &hr.h, true);
    zl_coap_ep_flush(C);
    CHECK(raw_recv_msg(&raw, a, &got, 1000) && got.type == ZL_COAP_ACK && got.mid == 0x7001);
    CHECK_EQ_INT((int)zl_coap_ep_held_acks(C), 0);
    notify(&raw, ZL_COAP_CON, 0x7001, t, 2, "2"); /* the ACK was lost: ACKed at once, not delivered */
    CHECK(raw_recv_msg(&raw, a, &got, 1000) && got.type == ZL_COAP_ACK && got.mid == 0x7001);
    CHECK_EQ_INT(hr.r.calls, 1);
    /* not kept: no ACK, and the retransmission is delivered again */
    notify(&raw, ZL_COAP_CON, 0x7002, t, 3, "3");
    CHECK(pump_until(&hr.r.calls, 2, 2000));
    zl_coap_ep_release_ack(C, &hr.h, false);
    zl_coap_ep_flush(C);
    CHECK(!raw_recv_msg(&raw, a, &got, 100));
    hr.hold = false;
    notify(&raw, ZL_COAP_CON, 0x7002, t, 3, "3");
    CHECK(pump_until(&hr.r.calls, 3, 2000));
    CHECK_EQ_INT(hr.r.payload[0], '3');
    CHECK(raw_recv_msg(&raw, a, &got, 1000) && got.type == ZL_COAP_ACK && got.mid == 0x7002);
    /* a NON notification has no ACK to hold */
    hr.hold = true;
    notify(&raw, ZL_COAP_NON, 0x7003, t, 4, "4");
    CHECK(pump_until(&hr.r.calls, 4, 2000));
    CHECK_EQ_INT(hr.held, 2);
    /* held, then the observation ends: the release still sends the ACK */
    notify(&raw, ZL_COAP_CON, 0x7004, t, 5, "5");
    CHECK(pump_until(&hr.r.calls, 5, 2000));
    CHECK_EQ_INT(hr.held, 3);
    CHECK_EQ_INT(zl_coap_cancel(C, t, 8), ZL_OK);
    zl_coap_ep_release_ack(C, &hr.h, false); /* no observation to rewind: harmless */
    CHECK_EQ_INT((int)zl_coap_ep_held_acks(C), 0);
    close(raw.fd);
}

static void block1_send(const raw_t *raw, uint16_t mid, uint32_t num, bool more, const char *payload,
                        size_t len) {
    zl_coap_msg_t m;
    uint8_t s[4];
    zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_POST, mid);
    m.tkl = 1;
    m.token[0] = (uint8_t)mid;
    zl_coap_add_opt(&m, ZL_OPT_URI_PATH, "big", 3);
    zl_coap_block_t b = {.num = num, .more = more, .szx = 0};
    zl_coap_add_uint(&m, ZL_OPT_BLOCK1, zl_coap_block_encode(&b), s);
    m.payload = (const uint8_t *)payload;
    m.payload_len = len;
    raw_send_msg(raw, zl_coap_ep_local(S), &m);
}

static void test_block1(void) {
    raw_t raw = raw_open();
    static const char body[] = "0123456789abcdefGHIJKLMNOPQRSTUVwxyz!@#$"; /* 40 bytes */
    uint8_t a[ZL_COAP_MAX_DGRAM];
    zl_coap_msg_t m;
    zl_coap_block_t b;
    int before = srv.calls;

    block1_send(&raw, 0x4001, 0, true, body, 16);
    CHECK(raw_recv_msg(&raw, a, &m, 2000));
    CHECK_EQ_INT(m.code, ZL_COAP_CONTINUE);
    CHECK_EQ_INT(m.mid, 0x4001);
    CHECK_EQ_INT(zl_coap_get_block(&m, ZL_OPT_BLOCK1, &b), 1);
    CHECK_EQ_INT(b.num, 0);
    CHECK(b.more);
    block1_send(&raw, 0x4002, 1, true, body + 16, 16);
    CHECK(raw_recv_msg(&raw, a, &m, 2000));
    CHECK_EQ_INT(m.code, ZL_COAP_CONTINUE);
    CHECK_EQ_INT(zl_coap_get_block(&m, ZL_OPT_BLOCK1, &b), 1);
    CHECK_EQ_INT(b.num, 1);
    CHECK_EQ_INT(srv.calls, before);
    block1_send(&raw, 0x4003, 2, false, body + 32, 8);
    CHECK(raw_recv_msg(&raw, a, &m, 2000));
    CHECK_EQ_INT(m.code, ZL_COAP_CHANGED);
    CHECK_EQ_INT(zl_coap_get_block(&m, ZL_OPT_BLOCK1, &b), 1);
    CHECK_EQ_INT(b.num, 2);
    CHECK(!b.more);
    CHECK_EQ_INT(srv.calls, before + 1);
    CHECK_EQ_INT(srv.plen, 40);
    CHECK_MEM(srv.payload, body, 40);
    CHECK_STR(srv.path, "/big");
    CHECK(!srv.saw_block1);

    /* out of order: 0 then 2 */
    block1_send(&raw, 0x4010, 0, true, body, 16);
    CHECK(raw_recv_msg(&raw, a, &m, 2000));
    CHECK_EQ_INT(m.code, ZL_COAP_CONTINUE);
    block1_send(&raw, 0x4011, 2, false, body + 32, 8);
    CHECK(raw_recv_msg(&raw, a, &m, 2000));
    CHECK_EQ_INT(m.code, ZL_COAP_INCOMPLETE);
    /* a continuation without a start */
    block1_send(&raw, 0x4012, 1, true, body + 16, 16);
    CHECK(raw_recv_msg(&raw, a, &m, 2000));
    CHECK_EQ_INT(m.code, ZL_COAP_INCOMPLETE);
    /* more=1 with a short block */
    block1_send(&raw, 0x4013, 0, true, body, 10);
    CHECK(raw_recv_msg(&raw, a, &m, 2000));
    CHECK_EQ_INT(m.code, ZL_COAP_BAD_REQUEST);
    CHECK_EQ_INT(srv.calls, before + 1);
    close(raw.fd);
}

static void test_block2(void) {
    raw_t raw = raw_open();
    rec_t r = {0};
    uint8_t tok[8];
    CHECK_EQ_INT(get(C, &raw.addr, "/3/0", true, &r, tok), ZL_OK);
    uint8_t a[ZL_COAP_MAX_DGRAM];
    zl_coap_msg_t m;
    CHECK(raw_recv_msg(&raw, a, &m, 2000));
    zl_coap_block_t b;
    CHECK_EQ_INT(zl_coap_get_block(&m, ZL_OPT_BLOCK2, &b), 0);
    uint16_t mid1 = m.mid;
    zl_coap_msg_t resp;
    uint8_t s[4];
    reply_init(&resp, &m, ZL_COAP_CONTENT);
    b = (zl_coap_block_t){.num = 0, .more = true, .szx = 0};
    zl_coap_add_uint(&resp, ZL_OPT_BLOCK2, zl_coap_block_encode(&b), s);
    resp.payload = (const uint8_t *)"AAAAAAAAAAAAAAAA";
    resp.payload_len = 16;
    raw_send_msg(&raw, zl_coap_ep_local(C), &resp);

    CHECK(raw_recv_msg(&raw, a, &m, 2000));
    CHECK_EQ_INT(m.code, ZL_COAP_GET);
    CHECK(m.mid != mid1);
    CHECK_EQ_INT(zl_coap_get_block(&m, ZL_OPT_BLOCK2, &b), 1);
    CHECK_EQ_INT(b.num, 1);
    CHECK_EQ_INT(b.szx, 0);
    char path[32];
    zl_coap_path_string(&m, ZL_OPT_URI_PATH, path, sizeof path);
    CHECK_STR(path, "/3/0");
    CHECK_EQ_INT(r.calls, 0);
    reply_init(&resp, &m, ZL_COAP_CONTENT);
    b = (zl_coap_block_t){.num = 1, .more = false, .szx = 0};
    zl_coap_add_uint(&resp, ZL_OPT_BLOCK2, zl_coap_block_encode(&b), s);
    resp.payload = (const uint8_t *)"tail";
    resp.payload_len = 4;
    raw_send_msg(&raw, zl_coap_ep_local(C), &resp);
    CHECK(pump_until(&r.calls, 1, 2000));
    CHECK_EQ_INT(r.err, ZL_OK);
    CHECK_EQ_INT(r.plen, 20);
    CHECK_MEM(r.payload, "AAAAAAAAAAAAAAAAtail", 20);
    close(raw.fd);
}

/* The first block's piggybacked answer arrives twice (our CON was retransmitted
 * and the server answered both).  The duplicate carries the old MID: it must be
 * ignored, not abort or restart the transfer. */
static void test_block2_duplicate_first(void) {
    raw_t raw = raw_open();
    rec_t r = {0};
    CHECK_EQ_INT(get(C, &raw.addr, "/3/0", true, &r, NULL), ZL_OK);
    uint8_t a[ZL_COAP_MAX_DGRAM];
    zl_coap_msg_t m;
    CHECK(raw_recv_msg(&raw, a, &m, 2000));
    zl_coap_msg_t resp;
    uint8_t s[4];
    reply_init(&resp, &m, ZL_COAP_CONTENT);
    zl_coap_block_t b = {.num = 0, .more = true, .szx = 0};
    zl_coap_add_uint(&resp, ZL_OPT_BLOCK2, zl_coap_block_encode(&b), s);
    resp.payload = (const uint8_t *)"CCCCCCCCCCCCCCCC";
    resp.payload_len = 16;
    raw_send_msg(&raw, zl_coap_ep_local(C), &resp);
    zl_coap_msg_t f;
    uint8_t fb[ZL_COAP_MAX_DGRAM];
    CHECK(raw_recv_msg(&raw, fb, &f, 2000)); /* follow-up for block 1 */
    raw_send_msg(&raw, zl_coap_ep_local(C), &resp); /* the duplicate */
    /* no second follow-up: anything sent now is a retransmission of the first
     * (ACK timeout is 100 ms here) */
    zl_coap_msg_t x;
    while (raw_recv_msg(&raw, a, &x, 200)) CHECK_EQ_INT(x.mid, f.mid);
    CHECK_EQ_INT(r.calls, 0);
    reply_init(&resp, &f, ZL_COAP_CONTENT);
    b = (zl_coap_block_t){.num = 1, .more = false, .szx = 0};
    zl_coap_add_uint(&resp, ZL_OPT_BLOCK2, zl_coap_block_encode(&b), s);
    resp.payload = (const uint8_t *)"end";
    resp.payload_len = 3;
    raw_send_msg(&raw, zl_coap_ep_local(C), &resp);
    CHECK(pump_until(&r.calls, 1, 2000));
    CHECK_EQ_INT(r.err, ZL_OK);
    CHECK_EQ_INT(r.plen, 19);
    close(raw.fd);
}

/* Block1 upload (RFC 7959 §2.5): a 3000-byte PUT goes out in 1024-byte blocks
 * (Size1 on the first); the server lowers the size to 512 in its first
 * 2.31, the client continues from byte 512 in 512-byte blocks, and the
 * final 2.04 reaches the callback.  The bytes the server got are the bytes sent. */
static void test_block1_upload(void) {
    raw_t raw = raw_open();
    rec_t r = {0};
    static uint8_t big[3000], got[3000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7 + 3);
    zl_coap_msg_t req;
    zl_coap_init(&req, 0, ZL_COAP_PUT, 0);
    zl_coap_add_opt(&req, ZL_OPT_URI_PATH, "fw", 2);
    req.payload = big;
    req.payload_len = sizeof big;
    zl_coap_req_opts_t o = {.confirmable = true, .timeout_ms = 5000};
    CHECK_EQ_INT(zl_coap_request(C, &raw.addr, &req, &o, rec_cb, &r, NULL), ZL_OK);
    CHECK_EQ_INT(req.payload_len, sizeof big); /* the caller's message is left as it was */
    uint8_t a[ZL_COAP_MAX_DGRAM], s[4];
    zl_coap_msg_t m, resp;
    size_t have = 0;
    int blocks = 0;
    for (;;) {
        if (!raw_recv_msg(&raw, a, &m, 2000)) break;
        zl_coap_block_t b;
        CHECK_EQ_INT(zl_coap_get_block(&m, ZL_OPT_BLOCK1, &b), 1);
        size_t size = (size_t)1 << (b.szx + 4), off = b.num * size;
        CHECK_EQ_INT(blocks == 0 ? (int)b.szx : 5, (int)b.szx);
        CHECK_EQ_INT(off, have); /* in order, no gap, no overlap */
        if (blocks == 0) CHECK_EQ_INT(zl_coap_opt_uint(&m, ZL_OPT_SIZE1, -1), (int64_t)sizeof big);
        size_t keep = blocks == 0 ? 512 : m.payload_len; /* block 0 is accepted as 512 bytes */
        CHECK(off + keep <= sizeof got);
        if (off + keep > sizeof got) break;
        memcpy(got + off, m.payload, keep);
        have = off + keep;
        blocks++;
        reply_init(&resp, &m, b.more ? ZL_COAP_CONTINUE : ZL_COAP_CHANGED);
        zl_coap_block_t e = {.num = blocks == 1 ? 0 : b.num, .more = b.more, .szx = 5};
        zl_coap_add_uint(&resp, ZL_OPT_BLOCK1, zl_coap_block_encode(&e), s);
        raw_send_msg(&raw, zl_coap_ep_local(C), &resp);
        if (!b.more) break;
    }
    CHECK(pump_until(&r.calls, 1, 2000));
    CHECK_EQ_INT(r.err, ZL_OK);
    CHECK_EQ_INT(r.code, ZL_COAP_CHANGED);
    CHECK_EQ_INT(have, sizeof big);
    CHECK(memcmp(got, big, sizeof big) == 0);
    CHECK_EQ_INT(blocks, 6); /* 0..511 (of the first 1024), then 512-byte blocks 1..5 */
    close(raw.fd);
}

/* A request that fits one datagram but not once the Block2 option of the
 * follow-up is added: the exchange must end with an error, not crash. */
static void test_block2_followup_too_big(void) {
    raw_t raw = raw_open();
    rec_t r = {0};
    /* 12 (header, token) + 2 x 257 (Uri-Path of 255) + 1 + 1009 = 1536: exactly one datagram,
     * payload under the 1024 of Block1; the follow-up's Block2 option adds 2 bytes */
    static uint8_t big[1009], seg[255];
    memset(big, 'p', sizeof big);
    memset(seg, 's', sizeof seg);
    zl_coap_msg_t req;
    zl_coap_init(&req, 0, ZL_COAP_FETCH, 0);
    zl_coap_add_opt(&req, ZL_OPT_URI_PATH, seg, sizeof seg);
    zl_coap_add_opt(&req, ZL_OPT_URI_PATH, seg, sizeof seg);
    req.payload = big;
    req.payload_len = sizeof big;
    zl_coap_req_opts_t o = {.confirmable = true, .timeout_ms = 5000};
    CHECK_EQ_INT(zl_coap_request(C, &raw.addr, &req, &o, rec_cb, &r, NULL), ZL_OK);
    uint8_t a[ZL_COAP_MAX_DGRAM];
    zl_coap_msg_t m;
    CHECK(raw_recv_msg(&raw, a, &m, 2000));
    CHECK_EQ_INT(m.payload_len, sizeof big);
    zl_coap_msg_t resp;
    uint8_t s[4];
    reply_init(&resp, &m, ZL_COAP_CONTENT);
    zl_coap_block_t b = {.num = 0, .more = true, .szx = 0};
    zl_coap_add_uint(&resp, ZL_OPT_BLOCK2, zl_coap_block_encode(&b), s);
    resp.payload = (const uint8_t *)"AAAAAAAAAAAAAAAA";
    resp.payload_len = 16;
    raw_send_msg(&raw, zl_coap_ep_local(C), &resp);
    CHECK(pump_until(&r.calls, 1, 2000));
    CHECK_EQ_INT(r.calls, 1);
    CHECK(r.err != ZL_OK);
    close(raw.fd);
}

/* RFC 7959 §3.4 / RFC 7641: a block-wise notification. Only the first block
 * carries Observe; the follow-up answers do not.  The observation must stay. */
static void test_observe_block2(void) {
    raw_t raw = raw_open();
    rec_t r = {0};
    uint8_t tok[8];
    zl_coap_msg_t req;
    zl_coap_init(&req, 0, ZL_COAP_GET, 0);
    zl_coap_add_path(&req, ZL_OPT_URI_PATH, "/3/0");
    zl_coap_req_opts_t o = {.confirmable = true, .observe = true, .timeout_ms = 5000};
    CHECK_EQ_INT(zl_coap_request(C, &raw.addr, &req, &o, rec_cb, &r, tok), ZL_OK);
    uint8_t a[ZL_COAP_MAX_DGRAM];
    zl_coap_msg_t m;
    CHECK(raw_recv_msg(&raw, a, &m, 2000));
    zl_coap_msg_t resp;
    uint8_t s[4], s2[4];
    reply_init(&resp, &m, ZL_COAP_CONTENT);
    zl_coap_add_uint(&resp, ZL_OPT_OBSERVE, 7, s2);
    zl_coap_block_t b = {.num = 0, .more = true, .szx = 0};
    zl_coap_add_uint(&resp, ZL_OPT_BLOCK2, zl_coap_block_encode(&b), s);
    resp.payload = (const uint8_t *)"BBBBBBBBBBBBBBBB";
    resp.payload_len = 16;
    raw_send_msg(&raw, zl_coap_ep_local(C), &resp);
    CHECK(raw_recv_msg(&raw, a, &m, 2000));
    CHECK_EQ_INT(zl_coap_get_block(&m, ZL_OPT_BLOCK2, &b), 1);
    CHECK_EQ_INT(b.num, 1);
    CHECK(zl_coap_opt(&m, ZL_OPT_OBSERVE) == NULL);
    reply_init(&resp, &m, ZL_COAP_CONTENT);
    b = (zl_coap_block_t){.num = 1, .more = false, .szx = 0};
    zl_coap_add_uint(&resp, ZL_OPT_BLOCK2, zl_coap_block_encode(&b), s);
    resp.payload = (const uint8_t *)"end";
    resp.payload_len = 3;
    raw_send_msg(&raw, zl_coap_ep_local(C), &resp);
    CHECK(pump_until(&r.calls, 1, 2000));
    CHECK_EQ_INT(r.err, ZL_OK);
    CHECK_EQ_INT(r.plen, 19);
    /* still observing: a small notification is delivered, a stale one is not */
    notify(&raw, ZL_COAP_NON, 0x6001, tok, 8, "n8");
    CHECK(pump_until(&r.calls, 2, 1000));
    CHECK_EQ_INT(r.plen, 2);
    notify(&raw, ZL_COAP_NON, 0x6002, tok, 6, "n6");
    pump_for(150);
    CHECK_EQ_INT(r.calls, 2);
    CHECK_EQ_INT(zl_coap_cancel(C, tok, 8), ZL_OK);
    close(raw.fd);
}

static void test_malformed(void) {
    raw_t raw = raw_open();
    zl_counter_t *mal = zl_metrics_counter(M, "zeelos_coap_malformed_total", NULL, "x");
    uint64_t m0 = zl_counter_get(mal);
    uint8_t a[ZL_COAP_MAX_DGRAM];
    /* payload marker with nothing after: INVALID -> RST with its MID */
    static const uint8_t bad1[] = {0x40, 0x01, 0xab, 0xcd, 0xff};
    raw_send(&raw, zl_coap_ep_local(S), bad1, sizeof bad1);
    CHECK_EQ_INT(raw_recv(&raw, a, sizeof a, 2000), 4);
    CHECK_MEM(a, "\x70\x00\xab\xcd", 4);
    /* shorter than a header: silently dropped */
    raw_send(&raw, zl_coap_ep_local(S), "\x40\x01", 2);
    /* delta overflow */
    static const uint8_t bad2[] = {0x50, 0x01, 0x00, 0x02, 0xe0, 0xff, 0xff};
    raw_send(&raw, zl_coap_ep_local(S), bad2, sizeof bad2);
    CHECK_EQ_INT(raw_recv(&raw, a, sizeof a, 2000), 4);
    CHECK_MEM(a, "\x70\x00\x00\x02", 4);
    /* class 1 code (reserved) */
    static const uint8_t bad3[] = {0x40, 0x21, 0x00, 0x03};
    raw_send(&raw, zl_coap_ep_local(S), bad3, sizeof bad3);
    CHECK_EQ_INT(raw_recv(&raw, a, sizeof a, 2000), 4);
    CHECK_MEM(a, "\x70\x00\x00\x03", 4);
    /* an ACK that matches nothing: ignored, no RST */
    static const uint8_t stray[] = {0x60, 0x00, 0x77, 0x77};
    raw_send(&raw, zl_coap_ep_local(S), stray, sizeof stray);
    /* oversize CON request (> ZL_COAP_MAX_DGRAM, cut by the kernel): 4.13 with Size1 1024
     * (RFC 7959 §2.9.3), piggybacked on the ACK; counted as too large, not malformed */
    static uint8_t huge[3000];
    memcpy(huge, "\x40\x02\x00\x04\xff", 5);
    raw_send(&raw, zl_coap_ep_local(S), huge, sizeof huge);
    CHECK_EQ_INT(raw_recv(&raw, a, sizeof a, 2000), 8);
    CHECK_MEM(a, "\x60\x8d\x00\x04\xd2\x2f\x04\x00", 8);
    CHECK_EQ_INT(raw_recv(&raw, a, sizeof a, 200), -1);
    CHECK_EQ_INT(zl_counter_get(mal), m0 + 4);
    CHECK_EQ_INT(zl_counter_get(zl_metrics_counter(M, "zeelos_coap_too_large_total", NULL, NULL)), 1);
    /* still serving */
    raw_send(&raw, zl_coap_ep_local(S), get_temp, sizeof get_temp);
    zl_coap_msg_t m;
    CHECK(raw_recv_msg(&raw, a, &m, 2000));
    CHECK_EQ_INT(m.code, ZL_COAP_CONTENT);
    zl_buf_t out;
    zl_buf_init(&out, 0);
    zl_metrics_render(M, &out);
    CHECK(strstr(zl_buf_cstr(&out), "zeelos_coap_malformed_total") != NULL);
    zl_buf_free(&out);
    close(raw.fd);
}

/* Destroy cancels every outstanding exchange; a callback that cancels another
 * exchange or starts a new request meanwhile must not corrupt the walk. */
static void test_destroy_with_callbacks(void) {
    raw_t raw = raw_open();
    zl_coap_ep_t *c2 = ep_make((zl_coap_ep_cfg_t){.ack_timeout_ms = 1000});
    for (int round = 0; round < 20; round++) {
        if (!c2) c2 = ep_make((zl_coap_ep_cfg_t){.ack_timeout_ms = 1000});
        rec_t r1 = {0}, r2 = {0}, r3 = {0};
        uint8_t t1[8], t2[8];
        CHECK_EQ_INT(get(c2, &raw.addr, "/a", true, &r1, t1), ZL_OK);
        CHECK_EQ_INT(get(c2, &raw.addr, "/b", true, &r2, t2), ZL_OK);
        r1.ep = r2.ep = c2;
        memcpy(r1.cancel_tok, t2, 8);
        memcpy(r2.cancel_tok, t1, 8);
        r1.cancel_on_call = r2.cancel_on_call = true;
        r1.request_on_call = r2.request_on_call = false;
        if (round % 2) { /* half the rounds: also start a request from the callback */
            r1.cancel_on_call = r2.cancel_on_call = false;
            r1.request_on_call = true;
            r1.peer = &raw.addr;
            r1.chain_ctx = &r3;
        }
        ep_del(c2);
        c2 = NULL;
        if (round % 2) {
            CHECK_EQ_INT(r1.calls + r2.calls, 2);
            CHECK_EQ_INT(r3.calls, 1);
            CHECK_EQ_INT(r3.err, ZL_ERR_CANCELLED);
        } else {
            CHECK_EQ_INT(r1.calls + r2.calls, 1); /* the other was cancelled passively */
        }
        CHECK(r1.calls == 0 || r1.err == ZL_ERR_CANCELLED);
        CHECK(r2.calls == 0 || r2.err == ZL_ERR_CANCELLED);
    }
    close(raw.fd);
}

/* A callback that cancels a different live exchange, or starts a new request,
 * while a response is being delivered. */
static void test_callback_reentry(void) {
    raw_t raw = raw_open();
    rec_t r1 = {0}, r2 = {0}, r3 = {0};
    uint8_t t1[8], t2[8];
    CHECK_EQ_INT(get(C, &raw.addr, "/a", true, &r1, t1), ZL_OK);
    CHECK_EQ_INT(get(C, &raw.addr, "/b", true, &r2, t2), ZL_OK);
    r1.ep = C;
    memcpy(r1.cancel_tok, t2, 8);
    r1.cancel_on_call = true;
    r1.request_on_call = true;
    r1.peer = &raw.addr;
    r1.chain_ctx = &r3;
    uint8_t a[ZL_COAP_MAX_DGRAM], b[ZL_COAP_MAX_DGRAM];
    zl_coap_msg_t m1, m2;
    CHECK(raw_recv_msg(&raw, a, &m1, 2000));
    CHECK(raw_recv_msg(&raw, b, &m2, 2000));
    zl_coap_msg_t *first = memcmp(m1.token, t1, 8) == 0 ? &m1 : &m2;
    zl_coap_msg_t resp;
    reply_init(&resp, first, ZL_COAP_CONTENT);
    raw_send_msg(&raw, zl_coap_ep_local(C), &resp);
    CHECK(pump_until(&r1.calls, 1, 2000));
    CHECK_EQ_INT(r1.err, ZL_OK);
    CHECK_EQ_INT(zl_coap_cancel(C, t2, 8), ZL_ERR_NOT_FOUND);
    /* the chained request went out; answer it */
    zl_coap_msg_t m3;
    uint8_t c[ZL_COAP_MAX_DGRAM];
    bool got = false;
    for (int i = 0; i < 4 && !got; i++) {
        if (!raw_recv_msg(&raw, c, &m3, 1000)) break;
        got = m3.code == ZL_COAP_GET && memcmp(m3.token, t1, 8) && memcmp(m3.token, t2, 8);
    }
    CHECK(got);
    if (got) {
        reply_init(&resp, &m3, ZL_COAP_VALID);
        raw_send_msg(&raw, zl_coap_ep_local(C), &resp);
        CHECK(pump_until(&r3.calls, 1, 2000));
        CHECK_EQ_INT(r3.code, ZL_COAP_VALID);
    }
    CHECK_EQ_INT(r2.calls, 0);
    close(raw.fd);
}

/* Binding a port that another endpoint already uses must fail loudly. */
static void test_port_in_use(void) {
    char err[256] = "";
    zl_coap_io_t io;
    zl_err_t e = zl_udp_open("127.0.0.1", zl_coap_addr_port(zl_coap_ep_local(S)), 0, &io, err, sizeof err);
    CHECK(e == ZL_ERR_IO);
    if (e == ZL_OK) io.close(io.impl);
    else CHECK(strstr(err, "cannot bind") != NULL);
    /* no transport: refused */
    zl_coap_ep_cfg_t cfg = {0};
    CHECK(zl_coap_ep_new(&cfg, &W, err, sizeof err) == NULL);
}

/* Two endpoints sharing one iobuf, driven by this thread: requests queued
 * alternately by A and B must each leave on their own socket (the server sees
 * the right source port and answers reach the right endpoint, or the requests
 * time out), more than a batch in a row is fine, both receive requests and
 * answer as themselves, and destroying the owner of queued datagrams sends
 * them first. */
static void named_cb(void *ctx, zl_coap_ep_t *ep, const zl_coap_addr_t *peer, const zl_coap_msg_t *req,
                     zl_coap_msg_t *resp) {
    (void)ep;
    (void)peer;
    (void)req;
    resp->code = ZL_COAP_CONTENT;
    resp->payload = (const uint8_t *)ctx;
    resp->payload_len = 1;
}

static void test_shared_iobuf(void) {
    zl_coap_iobuf_t *io = zl_coap_iobuf_new();
    CHECK(io != NULL);
    if (!io) return;
    static char na[] = "A", nb[] = "B";
    zl_coap_ep_t *A = ep_make((zl_coap_ep_cfg_t){.shared_io = io, .on_request = named_cb, .ctx = na});
    zl_coap_ep_t *B = ep_make((zl_coap_ep_cfg_t){.shared_io = io, .on_request = named_cb, .ctx = nb});
    if (!A || !B) return;
    CHECK(zl_coap_addr_port(zl_coap_ep_local(A)) != zl_coap_addr_port(zl_coap_ep_local(B)));

    /* interleaved requests, no flush in between */
    enum { N = 40 };
    static rec_t r[N];
    memset(r, 0, sizeof r);
    for (int i = 0; i < N; i++)
        CHECK_EQ_INT(get(i % 2 ? B : A, zl_coap_ep_local(S), "/temperature", true, &r[i], NULL), ZL_OK);
    int64_t end = zl_now_ms() + 3000;
    int done = 0;
    while (done < N && zl_now_ms() < end) {
        turn(-1, 5);
        done = 0;
        for (int i = 0; i < N; i++) done += r[i].calls;
    }
    CHECK_EQ_INT(done, N);
    for (int i = 0; i < N; i++) {
        CHECK_EQ_INT(r[i].err, ZL_OK);
        CHECK_EQ_INT(r[i].code, ZL_COAP_CONTENT);
    }
    /* the server saw B's port last */
    CHECK_EQ_INT(zl_coap_addr_port(&srv.peer), zl_coap_addr_port(zl_coap_ep_local(B)));

    /* more than one batch from A, then one from B */
    int before = srv.calls;
    for (int i = 0; i < ZL_COAP_BATCH + 6; i++) {
        zl_coap_msg_t m;
        zl_coap_init(&m, ZL_COAP_NON, ZL_COAP_POST, 0);
        zl_coap_add_path(&m, ZL_OPT_URI_PATH, "/a");
        CHECK_EQ_INT(zl_coap_send(A, zl_coap_ep_local(S), &m), ZL_OK);
    }
    rec_t rb = {0};
    CHECK_EQ_INT(get(B, zl_coap_ep_local(S), "/temperature", true, &rb, NULL), ZL_OK);
    CHECK(pump_until(&rb.calls, 1, 2000));
    CHECK_EQ_INT(rb.code, ZL_COAP_CONTENT);
    pump_for(50);
    CHECK_EQ_INT(srv.calls, before + ZL_COAP_BATCH + 6 + 1);

    /* both receive: C asks A and B alternately, each answers as itself */
    rec_t ra[6] = {0};
    for (int i = 0; i < 6; i++)
        CHECK_EQ_INT(get(C, zl_coap_ep_local(i % 2 ? B : A), "/x", i < 3, &ra[i], NULL), ZL_OK);
    end = zl_now_ms() + 3000;
    done = 0;
    while (done < 6 && zl_now_ms() < end) {
        turn(-1, 5);
        done = 0;
        for (int i = 0; i < 6; i++) done += ra[i].calls;
    }
    CHECK_EQ_INT(done, 6);
    for (int i = 0; i < 6; i++) {
        CHECK_EQ_INT(ra[i].code, ZL_COAP_CONTENT);
        CHECK_EQ_INT(ra[i].plen, 1);
        CHECK_EQ_INT(ra[i].payload[0], i % 2 ? 'B' : 'A');
    }

    /* A owns the queue when it is destroyed: its datagram still leaves, and B
     * keeps working on the same iobuf */
    before = srv.calls;
    zl_coap_msg_t m;
    zl_coap_init(&m, ZL_COAP_NON, ZL_COAP_POST, 0);
    zl_coap_add_path(&m, ZL_OPT_URI_PATH, "/bye");
    CHECK_EQ_INT(zl_coap_send(A, zl_coap_ep_local(S), &m), ZL_OK);
    ep_del(A);
    pump_for(50);
    CHECK_EQ_INT(srv.calls, before + 1);
    CHECK_STR(srv.path, "/bye");
    rec_t rb2 = {0};
    CHECK_EQ_INT(get(B, zl_coap_ep_local(S), "/temperature", true, &rb2, NULL), ZL_OK);
    CHECK(pump_until(&rb2.calls, 1, 2000));
    CHECK_EQ_INT(rb2.code, ZL_COAP_CONTENT);
    ep_del(B);
    zl_coap_iobuf_free(io);
}

/* Deferred answers (what Send uses): a handler that answers later gets its CON
 * acknowledged with an empty ACK after ack_after_ms and answers with a separate
 * NON response; answered in time, the answer is piggybacked on the ACK.  A
 * retransmission meanwhile is absorbed. */
static zl_coap_deferred_t *deferred;
static void defer_cb(void *ctx, zl_coap_ep_t *ep, const zl_coap_addr_t *peer, const zl_coap_msg_t *req,
                     zl_coap_msg_t *resp) {
    (void)ctx;
    deferred = zl_coap_defer(ep, peer, req, resp, 150, NULL, NULL);
}

static void test_deferred(void) {
    zl_coap_ep_t *D = ep_make((zl_coap_ep_cfg_t){.on_request = defer_cb});
    raw_t raw = raw_open();
    uint8_t a[ZL_COAP_MAX_DGRAM];
    zl_coap_msg_t m;
    zl_coap_msg_t resp;

    /* late answer: empty ACK first, then a NON response carrying the token */
    deferred = NULL;
    raw_send(&raw, zl_coap_ep_local(D), get_temp, sizeof get_temp);
    pump_for(40);
    CHECK(deferred != NULL);
    raw_send(&raw, zl_coap_ep_local(D), get_temp, sizeof get_temp); /* retransmission: absorbed */
    CHECK(raw_recv_msg(&raw, a, &m, 1000));
    CHECK_EQ_INT(m.type, ZL_COAP_ACK);
    CHECK_EQ_INT(m.code, ZL_COAP_EMPTY);
    CHECK_EQ_INT(m.mid, 0x7d34);
    zl_coap_init(&resp, 0, ZL_COAP_CHANGED, 0);
    zl_coap_respond(D, deferred, &resp);
    zl_coap_ep_flush(D);
    CHECK(raw_recv_msg(&raw, a, &m, 1000));
    CHECK_EQ_INT(m.type, ZL_COAP_NON);
    CHECK_EQ_INT(m.code, ZL_COAP_CHANGED);
    CHECK_EQ_INT(m.tkl, 2);
    CHECK_MEM(m.token, "\x71\x23", 2);
    CHECK(!raw_recv_msg(&raw, a, &m, 200)); /* nothing else (the duplicate got no second answer) */

    /* answered in time: piggybacked */
    static const uint8_t get2[] = {0x42, 0x01, 0x7d, 0x35, 0x55, 0x66, 0xb1, 'x'};
    deferred = NULL;
    raw_send(&raw, zl_coap_ep_local(D), get2, sizeof get2);
    pump_for(20);
    CHECK(deferred != NULL);
    zl_coap_init(&resp, 0, ZL_COAP_CHANGED, 0);
    zl_coap_respond(D, deferred, &resp);
    zl_coap_ep_flush(D);
    CHECK(raw_recv_msg(&raw, a, &m, 1000));
    CHECK_EQ_INT(m.type, ZL_COAP_ACK);
    CHECK_EQ_INT(m.code, ZL_COAP_CHANGED);
    CHECK_EQ_INT(m.mid, 0x7d35);
    pump_for(250); /* the ack timer must not fire any more */
    CHECK(!raw_recv_msg(&raw, a, &m, 100));

    /* destroyed with an answer pending: freed, no crash (ASan checks the leak) */
    static const uint8_t get3[] = {0x42, 0x01, 0x7d, 0x36, 0x55, 0x67, 0xb1, 'x'};
    raw_send(&raw, zl_coap_ep_local(D), get3, sizeof get3);
    pump_for(20);
    close(raw.fd);
    ep_del(D);
}

/* ------------------------------------- CON messages that are not requests */

typedef struct {
    int calls;
    zl_err_t err;
    uint16_t mid;
    int retx;
} sent_t;

static void sent_cb(void *ctx, zl_err_t err, uint16_t mid, int retransmissions) {
    sent_t *s = ctx;
    s->calls++;
    s->err = err;
    s->mid = mid;
    s->retx = retransmissions;
}

static const uint8_t note_tok[4] = {0xaa, 0xbb, 0xcc, 0xdd};

/* A CON notification as a device sends it (2.05, the observer's token, Observe
 * seq); returns its MID. */
static uint16_t send_note(zl_coap_ep_t *ep, const zl_coap_addr_t *to, uint32_t seq, int timeout_ms, sent_t *s) {
    zl_coap_msg_t n;
    uint8_t o[4];
    zl_coap_init(&n, ZL_COAP_NON, ZL_COAP_CONTENT, 0);
    n.tkl = 4;
    memcpy(n.token, note_tok, 4);
    zl_coap_add_uint(&n, ZL_OPT_OBSERVE, seq, o);
    n.payload = (const uint8_t *)"21.5";
    n.payload_len = 4;
    CHECK_EQ_INT(zl_coap_send_con(ep, to, &n, timeout_ms, sent_cb, s), ZL_OK);
    CHECK_EQ_INT(n.type, ZL_COAP_CON);
    return n.mid;
}

static void raw_empty(const raw_t *r, const zl_coap_addr_t *to, uint8_t type, uint16_t mid) {
    uint8_t e[4] = {(uint8_t)(0x40 | type << 4), 0, (uint8_t)(mid >> 8), (uint8_t)mid};
    raw_send(r, to, e, 4);
}

/* The copy on the wire is the message: CON, 2.05, token and Observe kept. */
static void check_note(const zl_coap_msg_t *m, uint16_t mid, uint32_t seq) {
    CHECK_EQ_INT(m->type, ZL_COAP_CON);
    CHECK_EQ_INT(m->code, ZL_COAP_CONTENT);
    CHECK_EQ_INT(m->mid, mid);
    CHECK_EQ_INT(m->tkl, 4);
    CHECK_MEM(m->token, note_tok, 4);
    CHECK_EQ_INT(zl_coap_opt_uint(m, ZL_OPT_OBSERVE, -1), seq);
    CHECK_EQ_INT(m->payload_len, 4);
}

/* Retransmitted until the empty ACK with its MID from its peer; an ACK with
 * another MID, or from another peer, does not count; a late duplicate ACK
 * is only an unmatched datagram. */
static void test_send_con_ack(void) {
    raw_t raw = raw_open(), other = raw_open();
    zl_counter_t *unm = zl_metrics_counter(M, "zeelos_coap_unmatched_total", NULL, "x");
    sent_t s = {0};
    int64_t t0 = zl_now_ms(); /* before the send: exact lower bound (see test_retransmission) */
    uint16_t mid = send_note(C, &raw.addr, 7, 0, &s);
    uint8_t a[ZL_COAP_MAX_DGRAM], b[ZL_COAP_MAX_DGRAM];
    zl_coap_msg_t m1, m2;
    CHECK(raw_recv_msg(&raw, a, &m1, 2000));
    check_note(&m1, mid, 7);
    raw_empty(&raw, zl_coap_ep_local(C), ZL_COAP_ACK, (uint16_t)(mid + 1)); /* wrong MID */
    raw_empty(&other, zl_coap_ep_local(C), ZL_COAP_ACK, mid);               /* wrong peer */
    CHECK(raw_recv_msg(&raw, b, &m2, 2000)); /* so it is retransmitted */
    int64_t dt = zl_now_ms() - t0;
    CHECK(dt >= 100 && dt <= 1500); /* ACK_TIMEOUT .. x 1.5, sanity upper bound */
    check_note(&m2, mid, 7);
    CHECK_EQ_INT(s.calls, 0);
    raw_empty(&raw, zl_coap_ep_local(C), ZL_COAP_ACK, mid);
    CHECK(pump_until(&s.calls, 1, 2000));
    CHECK_EQ_INT(s.err, ZL_OK);
    CHECK_EQ_INT(s.mid, mid);
    CHECK_EQ_INT(s.retx, 1);
    CHECK_EQ_INT(raw_recv(&raw, a, sizeof a, 400), -1); /* retransmission stopped */
    uint64_t unm0 = zl_counter_get(unm);
    raw_empty(&raw, zl_coap_ep_local(C), ZL_COAP_ACK, mid); /* late duplicate */
    pump_for(50);
    CHECK_EQ_INT(s.calls, 1);
    CHECK_EQ_INT(zl_counter_get(unm), unm0 + 1);
    CHECK_EQ_INT(raw_recv(&raw, a, sizeof a, 200), -1); /* not answered */
    close(raw.fd);
    close(other.fd);
}

/* No ACK: MAX_RETRANSMIT (2) copies at doubling intervals, then ZL_ERR_TIMEOUT
 * after the last interval doubled once more; a late ACK then is harmless. */
static void test_send_con_timeout(void) {
    raw_t raw = raw_open();
    zl_counter_t *to = zl_metrics_counter(M, "zeelos_coap_timeouts_total", NULL, "x");
    zl_counter_t *retx = zl_metrics_counter(M, "zeelos_coap_retransmissions_total", NULL, "x");
    uint64_t to0 = zl_counter_get(to), retx0 = zl_counter_get(retx);
    sent_t s = {0};
    /* Times from before the send, the timers never firing early: copy k comes
     * at least ACK_TIMEOUT * (2^k - 1) after it (rto 100 ms, doubled at each
     * copy: 100, 300) and the timeout at least 100 + 200 + 400 ms after it.
     * Intervals between two receive times (the old check) flaked under ASan:
     * one late wake-up lengthened one interval and shortened the next. */
    int64_t t0 = zl_now_ms();
    uint16_t mid = send_note(C, &raw.addr, 8, 0, &s);
    uint8_t a[ZL_COAP_MAX_DGRAM];
    zl_coap_msg_t m;
    static const int64_t min_at[3] = {0, 100, 300};
    for (int i = 0; i < 3; i++) {
        CHECK(raw_recv_msg(&raw, a, &m, 2000));
        int64_t at = zl_now_ms() - t0;
        CHECK(at >= min_at[i]);
        CHECK(at <= min_at[i] * 3 / 2 + 1500); /* sanity bound */
        check_note(&m, mid, 8);
        CHECK_EQ_INT(zl_counter_get(retx), retx0 + (uint64_t)i); /* copy i is retransmission i */
    }
    CHECK_EQ_INT(s.calls, 0);
    CHECK(pump_until(&s.calls, 1, 2000));
    CHECK(zl_now_ms() - t0 >= 700); /* the last copy gets its doubled interval too */
    CHECK_EQ_INT(s.err, ZL_ERR_TIMEOUT);
    CHECK_EQ_INT(s.retx, 2);
    CHECK_EQ_INT(zl_counter_get(to), to0 + 1);
    CHECK_EQ_INT(zl_counter_get(retx), retx0 + 2);
    CHECK_EQ_INT(raw_recv(&raw, a, sizeof a, 300), -1); /* no fourth copy */
    raw_empty(&raw, zl_coap_ep_local(C), ZL_COAP_ACK, mid);
    pump_for(50);
    CHECK_EQ_INT(s.calls, 1);

    /* timeout_ms caps the exchange before the first retransmission */
    sent_t s2 = {0};
    send_note(C, &raw.addr, 9, 40, &s2);
    CHECK(pump_until(&s2.calls, 1, 2000));
    CHECK_EQ_INT(s2.err, ZL_ERR_TIMEOUT);
    CHECK_EQ_INT(s2.retx, 0);
    CHECK(raw_recv(&raw, a, sizeof a, 50) > 0);    /* the one copy */
    CHECK_EQ_INT(raw_recv(&raw, a, sizeof a, 300), -1);

    zl_coap_msg_t get_msg;
    zl_coap_init(&get_msg, 0, ZL_COAP_GET, 0); /* requests go through zl_coap_request */
    CHECK_EQ_INT(zl_coap_send_con(C, &raw.addr, &get_msg, 0, sent_cb, &s2), ZL_ERR_INVALID);
    close(raw.fd);
}

typedef struct {
    int calls;
    uint16_t mid;
    zl_coap_addr_t peer;
} rst_rec_t;

static void rst_hook(void *ctx, const zl_coap_addr_t *peer, uint16_t mid) {
    rst_rec_t *r = ctx;
    r->calls++;
    r->mid = mid;
    r->peer = *peer;
}

/* RST ends a CON message with ZL_ERR_RESET (not reported to on_rst: it
 * matched); an RST to a NON sent with zl_coap_send() reaches on_rst with its
 * MID; destroying the endpoint cancels a CON message in flight. */
static void test_send_con_rst(void) {
    rst_rec_t hook = {0};
    zl_coap_ep_t *H = ep_make((zl_coap_ep_cfg_t){.ack_timeout_ms = 100, .max_retransmit = 2,
                                                 .on_rst = rst_hook, .ctx = &hook});
    raw_t raw = raw_open();
    uint8_t a[ZL_COAP_MAX_DGRAM];
    zl_coap_msg_t m;
    sent_t s = {0};
    uint16_t mid = send_note(H, &raw.addr, 1, 0, &s);
    CHECK(raw_recv_msg(&raw, a, &m, 2000));
    raw_empty(&raw, zl_coap_ep_local(H), ZL_COAP_RST, mid);
    CHECK(pump_until(&s.calls, 1, 2000));
    CHECK_EQ_INT(s.err, ZL_ERR_RESET);
    CHECK_EQ_INT(s.retx, 0);
    CHECK_EQ_INT(hook.calls, 0);
    CHECK_EQ_INT(raw_recv(&raw, a, sizeof a, 300), -1); /* no retransmission after RST */

    zl_coap_msg_t n;
    zl_coap_init(&n, ZL_COAP_NON, ZL_COAP_CONTENT, 0);
    CHECK_EQ_INT(zl_coap_send(H, &raw.addr, &n), ZL_OK);
    CHECK(raw_recv_msg(&raw, a, &m, 2000));
    CHECK_EQ_INT(m.mid, n.mid);
    raw_empty(&raw, zl_coap_ep_local(H), ZL_COAP_RST, n.mid);
    CHECK(pump_until(&hook.calls, 1, 2000));
    CHECK_EQ_INT(hook.mid, n.mid);
    CHECK(zl_coap_addr_eq(&hook.peer, &raw.addr));

    sent_t s2 = {0};
    send_note(H, &raw.addr, 2, 0, &s2);
    ep_del(H);
    CHECK_EQ_INT(s2.calls, 1);
    CHECK_EQ_INT(s2.err, ZL_ERR_CANCELLED);
    close(raw.fd);
}

/* Incomplete Block1 uploads are capped in number and in bytes (any address can
 * start one): the least recently used is dropped, its next block gets 4.08. */
static void block1_expect(const raw_t *r, uint16_t mid, uint32_t num, const char *p, uint8_t code) {
    uint8_t a[ZL_COAP_MAX_DGRAM];
    zl_coap_msg_t m;
    block1_send(r, mid, num, true, p, 16);
    CHECK(raw_recv_msg(r, a, &m, 2000));
    CHECK_EQ_INT(m.code, code);
}

static void test_block1_caps(void) {
    static const char body[] = "0123456789abcdefGHIJKLMNOPQRSTUV";
    zl_coap_ep_t *saved = S;
    zl_metrics_t *m2 = zl_metrics_new();
    zl_counter_t *evicted = zl_metrics_counter(m2, "zeelos_coap_block_evicted_total", NULL, "x");
    raw_t r[3] = {raw_open(), raw_open(), raw_open()};

    /* at most 2 uploads: the third start drops the least recently used (r[0]) */
    S = ep_make((zl_coap_ep_cfg_t){.on_request = srv_cb, .ctx = &srv, .metrics = m2, .max_uploads = 2});
    block1_expect(&r[0], 0x5001, 0, body, ZL_COAP_CONTINUE);
    block1_expect(&r[1], 0x5002, 0, body, ZL_COAP_CONTINUE);
    block1_expect(&r[2], 0x5003, 0, body, ZL_COAP_CONTINUE);
    CHECK_EQ_INT(zl_counter_get(evicted), 1);
    block1_expect(&r[1], 0x5004, 1, body + 16, ZL_COAP_CONTINUE);
    block1_expect(&r[0], 0x5005, 1, body + 16, ZL_COAP_INCOMPLETE);
    ep_del(S);

    /* 48 bytes in all: the fourth block makes room by dropping the oldest other upload */
    S = ep_make((zl_coap_ep_cfg_t){.on_request = srv_cb, .ctx = &srv, .metrics = m2, .max_upload_bytes = 48});
    block1_expect(&r[0], 0x5011, 0, body, ZL_COAP_CONTINUE);
    block1_expect(&r[1], 0x5012, 0, body, ZL_COAP_CONTINUE);
    block1_expect(&r[2], 0x5013, 0, body, ZL_COAP_CONTINUE);
    CHECK_EQ_INT(zl_counter_get(evicted), 1);
    block1_expect(&r[2], 0x5014, 1, body + 16, ZL_COAP_CONTINUE);
    CHECK_EQ_INT(zl_counter_get(evicted), 2);
    block1_expect(&r[1], 0x5015, 1, body + 16, ZL_COAP_CONTINUE);
    block1_expect(&r[0], 0x5016, 1, body + 16, ZL_COAP_INCOMPLETE);
    ep_del(S);

    S = saved;
    for (int i = 0; i < 3; i++) close(r[i].fd);
    zl_metrics_destroy(m2);
}

int main(void) {
    zl_wheel_init(&W, zl_now_ms());
    M = zl_metrics_new();
    S = ep_make((zl_coap_ep_cfg_t){.on_request = srv_cb, .ctx = &srv, .metrics = M});
    C = ep_make((zl_coap_ep_cfg_t){.ack_timeout_ms = 100, .max_retransmit = 2, .metrics = M});
    if (!S || !C) TEST_MAIN_END();
    CHECK(zl_coap_addr_port(zl_coap_ep_local(S)) > 0);

    test_con_get();
    test_non_get();
    test_default_404();
    test_duplicate();
    test_dedup_expiry();
    test_retransmission();
    test_timeout();
    test_rst();
    test_observe();
    test_observe_attach();
    test_admit();
    test_held_ack();
    test_block1();
    test_block1_caps();
    test_block2();
    test_block2_duplicate_first();
    test_block2_followup_too_big();
    test_block1_upload();
    test_observe_block2();
    test_malformed();
    test_callback_reentry();
    test_destroy_with_callbacks();
    test_port_in_use();
    test_shared_iobuf();
    test_deferred();
    test_send_con_ack();
    test_send_con_timeout();
    test_send_con_rst();

    ep_del(C);
    ep_del(S);
    zl_metrics_destroy(M);
    TEST_MAIN_END();
}
