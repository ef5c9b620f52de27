/* dtls_load: a DTLS 1.2 (PSK) LwM2M load generator for the gateway's coaps port.
 *
 * Why our own tool: the benchmarks need thousands of devices doing real
 * cookie-exchange handshakes, registrations, resumptions and registration
 * updates from one small process, with exact counts and CPU figures, and the
 * foreign LwM2M clients (Leshan, Wakaama) spend a thread or a JVM per device.
 * Tests use foreign peers; benchmarks may use this. Single-threaded: epoll, one
 * connected UDP socket per device, OpenSSL's dgram BIO, a scan of the devices
 * in flight for DTLS/CoAP retransmit timers. Keys: sha256(endpoint)[0..16]
 * (provision.py writes the same). One JSON line on stdout at the end. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { M_HANDSHAKE, M_RESUME, M_NOTIFY, M_HOLD };
enum { S_IDLE, S_HS, S_REG, S_EST, S_UPD, S_DONE, S_DEAD };
enum { F_HS, F_HS_TIMEOUT, F_TIMEOUT, F_COAP, F_IO, F_NFAIL };
/* handshake: an alert or a local error; handshake_timeout: no answer to the flight (also what a wrong PSK
 * gives: the server drops the Finished it cannot decrypt, silently, as DTLS does with bad records) */
static const char *fail_name[] = {"handshake", "handshake_timeout", "timeout", "coap_error", "io"};

typedef struct {
    int fd, state, idx_inflight, tries;
    SSL *ssl;
    SSL_SESSION *sess;
    double t_start, t_deadline, t_retx;
    uint16_t mid;
    uint32_t token;
    unsigned char msg[512];
    int msg_len;
    char loc[64];
} device_t;

static struct {
    int mode, n, c, plain, keep, no_reg, wrong_key, gw_pid, lt, duration, port, timeout_s;
    double rate;
    const char *host, *prefix, *cipher, *cert, *key;
} o = {.mode = M_HANDSHAKE, .n = 200, .c = 200, .lt = 300, .duration = 10, .port = 5684, .timeout_s = 30,
       .host = "127.0.0.1", .prefix = "d", .cipher = "PSK-AES128-CCM8"};

static device_t *devs;
static int *inflight, n_inflight, ep_fd;
static SSL_CTX *ctx;
static BIO_ADDR *peer_addr;
static struct sockaddr_in peer_sa;
static long ok, failed, fails[F_NFAIL], resumed, next_start, finished, coap_codes[256];
static double *lat;
static long n_lat, cap_lat;
static int phase_keep; /* established devices stay open (hold, notify setup) */

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
static double cpu_self(void) {
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}
static double gw_cpu(void) { /* utime + stime of the gateway, seconds */
    char p[64], buf[2048];
    snprintf(p, sizeof p, "/proc/%d/stat", o.gw_pid);
    FILE *f = fopen(p, "r");
    if (!f) return -1;
    size_t k = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[k] = 0;
    char *s = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (!s || sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
    return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}
static long gw_rss_kb(void) {
    char p[64], line[256];
    long kb = -1;
    snprintf(p, sizeof p, "/proc/%d/status", o.gw_pid);
    FILE *f = fopen(p, "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kb = atol(line + 6);
    fclose(f);
    return kb;
}

static void ep_name(int i, char *out, size_t n) { snprintf(out, n, "%s-%d", o.prefix, i); }

static unsigned psk_cb(SSL *ssl, const char *hint, char *id, unsigned max_id, unsigned char *psk, unsigned max_psk) {
    (void)hint;
    device_t *d = SSL_get_app_data(ssl);
    char ep[128];
    ep_name((int)(d - devs), ep, sizeof ep);
    unsigned char h[32];
    if (strlen(ep) + 1 > max_id || max_psk < 16) return 0;
    strcpy(id, ep);
    SHA256((const unsigned char *)ep, strlen(ep), h);
    if (o.wrong_key) h[0] ^= 0xff;
    memcpy(psk, h, 16);
    return 16;
}

/* ---- CoAP: just enough to register, update and read the answer */
static unsigned char *put_opt(unsigned char *p, int *last, int num, const void *v, int len) {
    int delta = num - *last;
    *last = num;
    unsigned char *h = p++;
    int dn = delta < 13 ? delta : 13, ln = len < 13 ? len : (len < 269 ? 13 : 14);
    *h = (unsigned char)(dn << 4);
    if (delta >= 13) *p++ = (unsigned char)(delta - 13);
    *h |= (unsigned char)ln;
    if (ln == 13) *p++ = (unsigned char)(len - 13);
    else if (ln == 14) { *p++ = (unsigned char)((len - 269) >> 8); *p++ = (unsigned char)(len - 269); }
    memcpy(p, v, (size_t)len);
    return p + len;
}

static void build_req(device_t *d, int update) {
    unsigned char *p = d->msg;
    int last = 0;
    char q[200];
    d->mid++;
    d->token = (uint32_t)random();
    *p++ = 0x44; /* ver 1, CON, TKL 4 */
    *p++ = 0x02; /* POST */
    *p++ = (unsigned char)(d->mid >> 8);
    *p++ = (unsigned char)d->mid;
    memcpy(p, &d->token, 4);
    p += 4;
    p = put_opt(p, &last, 11, "rd", 2);
    if (update) {
        p = put_opt(p, &last, 11, d->loc, (int)strlen(d->loc));
    } else {
        unsigned char cf = 40;
        char ep[128];
        ep_name((int)(d - devs), ep, sizeof ep);
        p = put_opt(p, &last, 12, &cf, 1);
        int k = snprintf(q, sizeof q, "ep=%s", ep);
        p = put_opt(p, &last, 15, q, k);
        k = snprintf(q, sizeof q, "lt=%d", o.lt);
        p = put_opt(p, &last, 15, q, k);
        p = put_opt(p, &last, 15, "lwm2m=1.1", 9);
        p = put_opt(p, &last, 15, "b=U", 3);
        *p++ = 0xff;
        memcpy(p, "</3/0>", 6);
        p += 6;
    }
    d->msg_len = (int)(p - d->msg);
}

/* The answer to d's request: its code, or -1 when it is not (and Location-Path into d->loc). */
static int parse_resp(device_t *d, const unsigned char *b, int n, int *con_mid) {
    *con_mid = -1;
    if (n < 4 || (b[0] >> 6) != 1) return -1;
    int type = (b[0] >> 4) & 3, tkl = b[0] & 15, code = b[1];
    uint16_t mid = (uint16_t)(b[2] << 8 | b[3]);
    if (type == 0) *con_mid = mid; /* a separate response: needs our ACK */
    /* our MID in an ACK but not our token: the gateway's duplicate cache answered with the response to an
     * earlier request of that MID from this address:port (an earlier device on a reused port) */
    if (type == 2 && code && mid == d->mid && (tkl != 4 || n < 8 || memcmp(b + 4, &d->token, 4))) return -2;
    if (code == 0 || tkl != 4 || n < 4 + tkl || memcmp(b + 4, &d->token, 4)) return -1;
    const unsigned char *p = b + 4 + tkl, *e = b + n;
    int num = 0;
    char loc[64] = "";
    while (p < e && *p != 0xff) {
        int dl = *p >> 4, ln = *p & 15;
        p++;
        if (dl == 13) dl = 13 + *p++;
        else if (dl == 14) { dl = 269 + (p[0] << 8 | p[1]); p += 2; }
        if (ln == 13) ln = 13 + *p++;
        else if (ln == 14) { ln = 269 + (p[0] << 8 | p[1]); p += 2; }
        if (dl == 15 || ln == 15 || p + ln > e) return -1;
        num += dl;
        if (num == 8 && !(ln == 2 && !memcmp(p, "rd", 2)) && ln < (int)sizeof loc) {
            memcpy(loc, p, (size_t)ln);
            loc[ln] = 0;
        }
        p += ln;
    }
    if (code == 0x41 && loc[0]) snprintf(d->loc, sizeof d->loc, "%s", loc);
    return code;
}

/* ---- device lifecycle */
static void inflight_add(device_t *d) {
    d->idx_inflight = n_inflight;
    inflight[n_inflight++] = (int)(d - devs);
}
static void inflight_del(device_t *d) {
    if (d->idx_inflight < 0) return;
    int last = inflight[--n_inflight];
    inflight[d->idx_inflight] = last;
    devs[last].idx_inflight = d->idx_inflight;
    d->idx_inflight = -1;
}

static void dev_close(device_t *d, int notify) {
    if (d->ssl) {
        if (notify) SSL_shutdown(d->ssl); /* close_notify: the gateway frees the session now, and keeps it resumable */
        SSL_free(d->ssl);
        d->ssl = NULL;
    }
    if (d->fd >= 0) close(d->fd);
    d->fd = -1;
    ERR_clear_error();
}

static void record_lat(double s) {
    if (n_lat == cap_lat) {
        cap_lat = cap_lat ? cap_lat * 2 : 4096;
        lat = realloc(lat, (size_t)cap_lat * sizeof *lat);
    }
    lat[n_lat++] = s;
}

static void dev_fail(device_t *d, int why) {
    static const char *st[] = {"idle", "handshake", "register", "established", "update", "done", "dead"};
    struct sockaddr_in me = {0};
    socklen_t ml = sizeof me;
    if (failed < 10) { /* the first few, to find them in the gateway's log */
        if (d->fd >= 0) getsockname(d->fd, (struct sockaddr *)&me, &ml);
        fprintf(stderr, "failed: %s-%d (local port %d) in %s after %.2f s: %s\n", o.prefix, (int)(d - devs),
                ntohs(me.sin_port), st[d->state], now() - d->t_start, fail_name[why]);
    }
    inflight_del(d);
    fails[why]++;
    failed++;
    finished++;
    dev_close(d, 0);
    d->state = S_DEAD;
}

static void dev_ok(device_t *d) {
    inflight_del(d);
    ok++;
    finished++;
    record_lat(now() - d->t_start);
    if (d->ssl && SSL_session_reused(d->ssl)) resumed++;
    if (o.mode == M_RESUME && d->ssl && !d->sess) d->sess = SSL_get1_session(d->ssl);
    if (phase_keep) d->state = S_EST;
    else {
        dev_close(d, 1);
        d->state = S_DONE;
    }
}

static int dev_send(device_t *d) {
    int r = d->ssl ? SSL_write(d->ssl, d->msg, d->msg_len) : (int)send(d->fd, d->msg, (size_t)d->msg_len, 0);
    d->t_retx = now() + 2.0 * (1 << d->tries);
    return r > 0;
}

static void send_register(device_t *d) {
    if (o.no_reg) { dev_ok(d); return; }
    build_req(d, 0);
    d->state = S_REG;
    d->tries = 0;
    if (!dev_send(d)) dev_fail(d, F_IO);
}

static void drive_hs(device_t *d) {
    int r = SSL_do_handshake(d->ssl);
    if (r == 1) { send_register(d); return; }
    int e = SSL_get_error(d->ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) dev_fail(d, e == SSL_ERROR_SYSCALL ? F_IO : F_HS);
}

static void dev_start(device_t *d) {
    d->idx_inflight = -1;
    d->t_start = now();
    d->t_deadline = d->t_start + o.timeout_s;
    d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (d->fd < 0 || connect(d->fd, (struct sockaddr *)&peer_sa, sizeof peer_sa) < 0) {
        perror("socket/connect");
        dev_fail(d, F_IO);
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)(d - devs)};
    epoll_ctl(ep_fd, EPOLL_CTL_ADD, d->fd, &ev);
    inflight_add(d);
    d->mid = (uint16_t)random();
    if (o.plain) { send_register(d); return; }
    d->ssl = SSL_new(ctx);
    BIO *bio = BIO_new_dgram(d->fd, BIO_NOCLOSE);
    BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, peer_addr);
    SSL_set_bio(d->ssl, bio, bio);
    SSL_set_app_data(d->ssl, d);
    SSL_set_options(d->ssl, SSL_OP_NO_QUERY_MTU);
    DTLS_set_link_mtu(d->ssl, 1400);
    if (d->sess) {
        SSL_set_session(d->ssl, d->sess);
        SSL_SESSION_free(d->sess);
        d->sess = NULL;
    }
    SSL_set_connect_state(d->ssl);
    d->state = S_HS;
    drive_hs(d);
}

static long upd_answered, upd_failed, upd_lost, upd_sent, closed_by_peer, stale_replays;

static void on_coap(device_t *d, const unsigned char *b, int n) {
    int con_mid, code = parse_resp(d, b, n, &con_mid);
    if (con_mid >= 0) { /* ACK a CON from the gateway (separate response or a request we do not serve) */
        unsigned char ack[4] = {0x60, 0, (unsigned char)(con_mid >> 8), (unsigned char)con_mid};
        if (code == -1) ack[0] = 0x70; /* RST what we do not expect */
        if (d->ssl) SSL_write(d->ssl, ack, 4); else send(d->fd, ack, 4, 0);
    }
    if (code == -2 && (d->state == S_REG || d->state == S_UPD)) { /* stale replay: ask again with a new MID */
        stale_replays++;
        int upd = d->state == S_UPD;
        build_req(d, upd);
        if (!upd) d->tries = 0;
        dev_send(d);
        return;
    }
    if (code < 0) return;
    if (d->state == S_REG) {
        coap_codes[code]++;
        if (code == 0x41) dev_ok(d);
        else dev_fail(d, F_COAP);
    } else if (d->state == S_UPD) {
        coap_codes[code]++;
        inflight_del(d);
        d->state = S_EST;
        if (code == 0x44) { upd_answered++; record_lat(now() - d->t_start); }
        else upd_failed++;
    }
}

static void dev_readable(device_t *d) {
    unsigned char buf[2048];
    for (;;) {
        if (d->fd < 0 || d->state == S_DEAD || d->state == S_DONE) return;
        if (d->state == S_HS) {
            drive_hs(d);
            if (d->state == S_HS || !d->ssl) return;
            continue; /* application data may follow the Finished in the same read */
        }
        int r;
        if (d->ssl) {
            r = SSL_read(d->ssl, buf, sizeof buf);
            if (r <= 0) {
                int e = SSL_get_error(d->ssl, r);
                if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
                closed_by_peer++;
                if (d->state == S_REG || d->state == S_UPD) dev_fail(d, F_IO);
                else { dev_close(d, 0); d->state = S_DEAD; }
                return;
            }
        } else {
            r = (int)recv(d->fd, buf, sizeof buf, 0);
            if (r < 0) {
                if (errno != EAGAIN && (d->state == S_REG || d->state == S_UPD)) dev_fail(d, F_IO);
                return;
            }
        }
        on_coap(d, buf, r);
    }
}

/* Timers of the devices in flight: DTLS retransmits, CoAP retransmits, deadlines. */
static double tick(double t) {
    double next = t + 0.05;
    for (int k = n_inflight - 1; k >= 0; k--) {
        if (k >= n_inflight) continue;
        device_t *d = &devs[inflight[k]];
        if (t >= d->t_deadline) {
            if (d->state == S_UPD) { inflight_del(d); d->state = S_EST; upd_lost++; }
            else dev_fail(d, d->state == S_HS ? F_HS_TIMEOUT : F_TIMEOUT);
            continue;
        }
        if (d->state == S_HS) {
            if (DTLSv1_handle_timeout(d->ssl) < 0) { dev_fail(d, F_HS_TIMEOUT); continue; } /* retransmits exhausted */
            struct timeval tv;
            if (DTLSv1_get_timeout(d->ssl, &tv)) {
                double w = t + tv.tv_sec + tv.tv_usec / 1e6;
                if (w < next) next = w;
            }
        } else if (d->state == S_REG) {
            if (t >= d->t_retx) {
                if (++d->tries > 4) { dev_fail(d, F_TIMEOUT); continue; }
                dev_send(d);
            }
            if (d->t_retx < next) next = d->t_retx;
        }
        if (d->t_deadline < next) next = d->t_deadline;
    }
    return next;
}

static void poll_once(double until) {
    struct epoll_event ev[256];
    double w = until - now();
    int ms = w <= 0 ? 0 : (int)(w * 1000) + 1; /* rounding up: no busy loop while waiting for a timer */
    if (ms > 50) ms = 50;
    int k = epoll_wait(ep_fd, ev, 256, ms);
    for (int i = 0; i < k; i++) dev_readable(&devs[ev[i].data.u32]);
}

/* Runs devices [0,n) through handshake (+ registration), c at a time. */
static double run_round(void) {
    double t0 = now();
    next_start = finished = ok = failed = resumed = n_lat = 0;
    memset(fails, 0, sizeof fails);
    for (int i = 0; i < o.n; i++)
        if (devs[i].state == S_DONE || devs[i].state == S_IDLE) devs[i].state = S_IDLE;
        else if (devs[i].state != S_EST) devs[i].state = S_DEAD;
    long todo = 0;
    for (int i = 0; i < o.n; i++) todo += devs[i].state == S_IDLE;
    while (finished < todo) {
        while (n_inflight < o.c && next_start < o.n) {
            device_t *d = &devs[next_start++];
            if (d->state == S_IDLE) dev_start(d);
        }
        poll_once(tick(now()));
    }
    return now() - t0;
}

/* Registration updates on the established devices for o.duration seconds, o.rate/s (0: as fast as the window allows). */
static double run_updates(void) {
    double t0 = now(), last = t0, tokens = 0;
    int rr = 0;
    n_lat = 0;
    while (now() - t0 < o.duration) {
        double t = now();
        tokens += o.rate > 0 ? o.rate * (t - last) : 1e9;
        if (o.rate > 0 && tokens > o.rate) tokens = o.rate; /* no bursts after a stall beyond one second */
        last = t;
        for (int scanned = 0; tokens >= 1 && n_inflight < o.c && scanned < o.n; scanned++) {
            device_t *d = &devs[rr];
            rr = (rr + 1) % o.n;
            if (d->state != S_EST || !d->loc[0]) continue;
            build_req(d, 1);
            d->state = S_UPD;
            d->t_start = t;
            d->t_deadline = t + 5;
            inflight_add(d);
            if (!dev_send(d)) { inflight_del(d); d->state = S_EST; upd_failed++; continue; }
            upd_sent++;
            tokens -= 1;
        }
        double nx = tick(now());
        if (o.rate > 0 && n_inflight < o.c) { /* until the next token */
            double tk = now() + (1 - tokens) / o.rate;
            if (tk < nx) nx = tk;
        } else if (n_inflight < o.c) nx = now(); /* closed loop: straight back to sending */
        poll_once(nx);
    }
    double secs = now() - t0;
    double end = now() + 5;
    while (n_inflight > 0 && now() < end) poll_once(tick(now())); /* answers still on the way count, not in rate */
    return secs;
}

static int cmp_d(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
static double pct(double p) {
    if (!n_lat) return 0;
    qsort(lat, (size_t)n_lat, sizeof *lat, cmp_d);
    return lat[(long)(p * (n_lat - 1))] * 1000;
}

static void usage(void) {
    fprintf(stderr,
            "usage: dtls_load --mode handshake|resume|notify|hold [--host H] [--port P] [--n N] [-c K]\n"
            "  [--prefix d] [--plain] [--no-register] [--wrong-key] [--lt 300] [--timeout 30]\n"
            "  [--duration 10] [--rate R] [--hold-s S] [--cipher PSK-AES128-CCM8] [--gw-pid PID]\n"
            "  [--cert client.pem --key client.key] (with --cipher ECDHE-ECDSA-AES128-CCM8)\n"
            "  --port: the coaps port, or with --plain the coap port (plain UDP, endpoints without credentials)\n");
    exit(2);
}

int main(int argc, char **argv) {
    int hold_s = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (!strcmp(a, name) && v && ++i)
        if (ARG("--mode")) {
            o.mode = !strcmp(v, "handshake") ? M_HANDSHAKE : !strcmp(v, "resume") ? M_RESUME
                   : !strcmp(v, "notify") || !strcmp(v, "update") ? M_NOTIFY : !strcmp(v, "hold") ? M_HOLD : -1;
            if (o.mode < 0) usage();
        } else if (ARG("--host")) o.host = v;
        else if (ARG("--port")) o.port = atoi(v);
        else if (ARG("--n")) o.n = atoi(v);
        else if (ARG("-c") || ARG("--concurrency")) o.c = atoi(v);
        else if (ARG("--prefix")) o.prefix = v;
        else if (ARG("--lt")) o.lt = atoi(v);
        else if (ARG("--timeout")) o.timeout_s = atoi(v);
        else if (ARG("--duration")) o.duration = atoi(v);
        else if (ARG("--rate")) o.rate = atof(v);
        else if (ARG("--hold-s")) hold_s = atoi(v);
        else if (ARG("--cipher")) o.cipher = v;
        else if (ARG("--cert")) o.cert = v; /* certificate handshakes: a client certificate (PEM) */
        else if (ARG("--key")) o.key = v;
        else if (ARG("--gw-pid")) o.gw_pid = atoi(v);
        else if (!strcmp(a, "--plain")) o.plain = 1;
        else if (!strcmp(a, "--no-register")) o.no_reg = 1;
        else if (!strcmp(a, "--wrong-key")) o.wrong_key = 1;
        else usage();
    }
    if (o.n <= 0 || o.c <= 0 || (o.plain && o.mode == M_RESUME)) usage();
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl)) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }
    srandom((unsigned)getpid() ^ (unsigned)time(NULL));
    peer_sa.sin_family = AF_INET;
    peer_sa.sin_port = htons((uint16_t)o.port);
    if (inet_pton(AF_INET, o.host, &peer_sa.sin_addr) != 1) { fprintf(stderr, "bad --host (IPv4)\n"); return 2; }
    peer_addr = BIO_ADDR_new();
    BIO_ADDR_rawmake(peer_addr, AF_INET, &peer_sa.sin_addr, 4, peer_sa.sin_port);
    ctx = SSL_CTX_new(DTLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
    if (!SSL_CTX_set_cipher_list(ctx, o.cipher)) { fprintf(stderr, "bad --cipher %s\n", o.cipher); return 2; }
    SSL_CTX_set_psk_client_callback(ctx, psk_cb);
    if (o.cert && (SSL_CTX_use_certificate_chain_file(ctx, o.cert) != 1 ||
                   SSL_CTX_use_PrivateKey_file(ctx, o.key ? o.key : o.cert, SSL_FILETYPE_PEM) != 1)) {
        fprintf(stderr, "cannot load --cert %s / --key %s\n", o.cert, o.key ? o.key : o.cert);
        return 2;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* the gateway's certificate is not checked here */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    devs = calloc((size_t)o.n, sizeof *devs);
    inflight = calloc((size_t)o.n, sizeof *inflight);
    for (int i = 0; i < o.n; i++) devs[i].fd = -1, devs[i].idx_inflight = -1;
    ep_fd = epoll_create1(EPOLL_CLOEXEC);

    static const char *mname[] = {"handshake", "resume", "notify", "hold"};
    char extra[1024] = "";
    long rss0 = o.gw_pid ? gw_rss_kb() : -1, rss1 = -1;
    double g0 = o.gw_pid ? gw_cpu() : 0, c0 = cpu_self(), secs, per_s;
    long rok, rfail;
    if (o.mode == M_RESUME) { /* first round: full handshakes, sessions kept for the second */
        double s1 = run_round();
        snprintf(extra, sizeof extra, ",\"round1\":{\"seconds\":%.3f,\"ok\":%ld,\"failed\":%ld,\"failures\":{\"handshake\":%ld,\"handshake_timeout\":%ld,\"timeout\":%ld},\"per_s\":%.1f}",
                 s1, ok, failed, fails[F_HS], fails[F_HS_TIMEOUT], fails[F_TIMEOUT], s1 > 0 ? ok / s1 : 0);
        g0 = o.gw_pid ? gw_cpu() : 0;
        c0 = cpu_self();
    }
    phase_keep = o.mode == M_NOTIFY || o.mode == M_HOLD;
    secs = run_round();
    rok = ok, rfail = failed;
    per_s = secs > 0 ? ok / secs : 0;
    double p50 = pct(0.5), p99 = pct(0.99);
    if (o.mode == M_HOLD) {
        sleep((unsigned)hold_s); /* let the gateway settle (Kafka batches, buffers) before reading RSS */
        rss1 = o.gw_pid ? gw_rss_kb() : -1;
        if (rss0 > 0 && rss1 > 0 && ok)
            snprintf(extra, sizeof extra, ",\"gw_rss_per_session_bytes\":%.0f", (rss1 - rss0) * 1024.0 / ok);
    }
    if (o.mode == M_NOTIFY) {
        snprintf(extra, sizeof extra, ",\"setup\":{\"seconds\":%.3f,\"ok\":%ld,\"failed\":%ld,\"per_s\":%.1f}", secs,
                 ok, failed, per_s);
        g0 = o.gw_pid ? gw_cpu() : 0;
        c0 = cpu_self();
        secs = run_updates();
        p50 = pct(0.5), p99 = pct(0.99);
        per_s = upd_answered / secs;
        size_t k = strlen(extra);
        snprintf(extra + k, sizeof extra - k,
                 ",\"target_rate\":%.0f,\"sent\":%ld,\"answered\":%ld,\"refused\":%ld,\"lost\":%ld,\"duration_s\":%d",
                 o.rate, upd_sent, upd_answered, upd_failed, upd_lost, o.duration);
    }
    double cpu = cpu_self() - c0, gcpu = o.gw_pid ? gw_cpu() - g0 : -1;
    if (o.mode != M_HOLD && o.gw_pid) rss1 = gw_rss_kb();
    /* close what is still open (close_notify, so the gateway drops the sessions at once) */
    for (int i = 0; i < o.n; i++)
        if (devs[i].fd >= 0) dev_close(&devs[i], 1);
    char fj[256] = "", cj[512] = "";
    for (int f = 0, k = 0; f < F_NFAIL; f++)
        if (fails[f]) k += snprintf(fj + k, sizeof fj - (size_t)k, "%s\"%s\":%ld", k ? "," : "", fail_name[f], fails[f]);
    for (int c = 0, k = 0; c < 256; c++)
        if (coap_codes[c] && k < 480)
            k += snprintf(cj + k, sizeof cj - (size_t)k, "%s\"%d.%02d\":%ld", k ? "," : "", c >> 5, c & 31, coap_codes[c]);
    printf("{\"mode\":\"%s\",\"transport\":\"%s\",\"n\":%d,\"concurrency\":%d,\"seconds\":%.3f,\"ok\":%ld,"
           "\"failed\":%ld,\"failures\":{%s},\"per_s\":%.1f,\"resumed\":%ld,\"lat_ms_p50\":%.2f,\"lat_ms_p99\":%.2f,"
           "\"coap_codes\":{%s},\"closed_by_peer\":%ld,\"stale_dup_replays\":%ld,\"client_cpu_s\":%.2f",
           mname[o.mode], o.plain ? "udp" : "dtls", o.n, o.c, secs, rok, rfail, fj, per_s, resumed, p50, p99, cj,
           closed_by_peer, stale_replays, cpu);
    if (o.gw_pid) printf(",\"gw_pid\":%d,\"gw_cpu_s\":%.2f,\"gw_rss_kb_before\":%ld,\"gw_rss_kb_after\":%ld", o.gw_pid,
                         gcpu, rss0, rss1);
    printf("%s}\n", extra);
    return rfail && !rok ? 1 : 0;
}
