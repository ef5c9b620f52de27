/* bench_openssl.c -- OpenSSL 3.0 as a DTLS 1.2 server, in-memory transport.
 * Why: zeelos must pick a DTLS library for its LwM2M server; this measures
 * OpenSSL's server-side cost for the LwM2M suites (PSK-AES128-CCM8,
 * ECDHE-ECDSA-AES128-CCM8) with the cookie exchange an internet-facing server
 * needs, session-ID resumption, per-record cost and per-session memory.
 * Client and server share one thread over bench_common.h's datagram queues
 * (a custom datagram BIO), so no sockets/kernel time is measured. */
#include "bench_common.h"
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>

/* ---- datagram BIO over the queues ---- */
static BIO_METHOD *qmeth;
static int qb_write(BIO *b, const char *buf, int n)
{
    end_t *e = BIO_get_data(b); BIO_clear_retry_flags(b);
    dgq_push(e->tx, (const unsigned char *)buf, (size_t)n);
    return n;
}
static int qb_read(BIO *b, char *buf, int n)
{
    end_t *e = BIO_get_data(b); BIO_clear_retry_flags(b);
    int r = dgq_pop(e->rx, (unsigned char *)buf, (size_t)n);
    if (r < 0) { BIO_set_retry_read(b); return -1; }
    return r;
}
static long qb_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b; (void)num; (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU: case BIO_CTRL_DGRAM_GET_FALLBACK_MTU: return 1400;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: return 28;
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT: return 1;
    default: return 0;
    }
}
static int qb_create(BIO *b) { BIO_set_init(b, 1); return 1; }
static BIO *qbio(end_t *e) { BIO *b = BIO_new(qmeth); BIO_set_data(b, e); return b; }

/* ---- cookie (stateless HMAC over the peer "address") ---- */
static unsigned char cookie_key[32];
static int cookie_gen(SSL *s, unsigned char *c, unsigned int *len)
{
    uintptr_t peer = (uintptr_t)SSL_get_app_data(s);   /* stands in for ip:port */
    return HMAC(EVP_sha256(), cookie_key, sizeof cookie_key,
                (unsigned char *)&peer, sizeof peer, c, len) != NULL;
}
static int cookie_ver(SSL *s, const unsigned char *c, unsigned int len)
{
    unsigned char e[EVP_MAX_MD_SIZE]; unsigned int el = 0;
    return cookie_gen(s, e, &el) && el == len && CRYPTO_memcmp(e, c, len) == 0;
}

/* ---- PSK ---- */
static unsigned int psk_srv(SSL *s, const char *id, unsigned char *psk, unsigned int max)
{
    (void)s;
    if (strcmp(id, PSK_ID) || max < sizeof PSK) return 0;
    memcpy(psk, PSK, sizeof PSK); return sizeof PSK;
}
static unsigned int psk_cli(SSL *s, const char *hint, char *id, unsigned int maxid,
                            unsigned char *psk, unsigned int max)
{
    (void)s; (void)hint; (void)max;
    snprintf(id, maxid, "%s", PSK_ID); memcpy(psk, PSK, sizeof PSK); return sizeof PSK;
}

static void die(const char *what) { fprintf(stderr, "openssl: %s\n", what); ERR_print_errors_fp(stderr); exit(1); }

enum { M_PSK, M_CERT, M_MUTUAL };
static SSL_CTX *mk_ctx(int server, int mode, int cache, int release)
{
    SSL_CTX *x = SSL_CTX_new(server ? DTLS_server_method() : DTLS_client_method());
    if (!x) die("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(x, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(x, DTLS1_2_VERSION);
    if (!SSL_CTX_set_cipher_list(x, mode == M_PSK ? "PSK-AES128-CCM8" : "ECDHE-ECDSA-AES128-CCM8"))
        die("cipher list");
    if (!SSL_CTX_set1_groups_list(x, "P-256")) die("groups");
    SSL_CTX_set_options(x, SSL_OP_NO_TICKET); /* resume by session ID; MTU from qb_ctrl */
    if (release) SSL_CTX_set_mode(x, SSL_MODE_RELEASE_BUFFERS);
    else SSL_CTX_clear_mode(x, SSL_MODE_RELEASE_BUFFERS);
    if (server) {
        SSL_CTX_set_options(x, SSL_OP_COOKIE_EXCHANGE);
        SSL_CTX_set_cookie_generate_cb(x, cookie_gen);
        SSL_CTX_set_cookie_verify_cb(x, cookie_ver);
        SSL_CTX_set_session_id_context(x, (const unsigned char *)"zeelos", 6);
        SSL_CTX_set_session_cache_mode(x, cache ? SSL_SESS_CACHE_SERVER : SSL_SESS_CACHE_OFF);
        if (mode == M_PSK) SSL_CTX_set_psk_server_callback(x, psk_srv);
        else {
            if (SSL_CTX_use_certificate_file(x, "srv.crt", SSL_FILETYPE_PEM) != 1 ||
                SSL_CTX_use_PrivateKey_file(x, "srv.key", SSL_FILETYPE_PEM) != 1) die("srv cert");
        }
        if (mode == M_MUTUAL) {
            SSL_CTX_set_verify(x, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
            if (SSL_CTX_load_verify_locations(x, "cli.crt", NULL) != 1) die("verify locations");
        }
    } else {
        SSL_CTX_set_verify(x, SSL_VERIFY_NONE, NULL);
        if (mode == M_PSK) SSL_CTX_set_psk_client_callback(x, psk_cli);
        if (mode == M_MUTUAL &&
            (SSL_CTX_use_certificate_file(x, "cli.crt", SSL_FILETYPE_PEM) != 1 ||
             SSL_CTX_use_PrivateKey_file(x, "cli.key", SSL_FILETYPE_PEM) != 1)) die("cli cert");
    }
    return x;
}

/* One full/abbreviated handshake incl. HelloVerifyRequest round trip.
 * Server work (SSL_new, DTLSv1_listen, SSL_accept) is timed into g_srv_cpu. */
static uintptr_t peer_ctr;
static int do_hs(SSL_CTX *sctx, SSL_CTX *cctx, SSL_SESSION *sess, SSL **os, SSL **oc)
{
    dgq_reset();
    SSL *c = SSL_new(cctx); BIO *cb = qbio(&CLI_END); SSL_set_bio(c, cb, cb);
    if (sess) SSL_set_session(c, sess);
    SSL_set_connect_state(c);
    double t0 = TCPU();
    SSL *s = SSL_new(sctx); BIO *sb = qbio(&SRV_END); SSL_set_bio(s, sb, sb);
    SSL_set_app_data(s, (void *)++peer_ctr);
    BIO_ADDR *addr = BIO_ADDR_new();
    g_srv_cpu += TCPU() - t0;
    int listened = 0, cd = 0, sd = 0, r, ok = 0;
    for (int i = 0; i < 50 && !(cd && sd); i++) {
        if (!cd) {
            r = SSL_do_handshake(c);
            if (r == 1) cd = 1;
            else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ) goto out;
        }
        if (!sd) {
            int err = SSL_ERROR_WANT_READ;
            t0 = TCPU();
            if (!listened) {
                r = DTLSv1_listen(s, addr);
                if (r == 1) { listened = 1; r = SSL_accept(s); if (r != 1) err = SSL_get_error(s, r); }
                else if (r < 0) err = SSL_ERROR_SSL;
            } else {
                r = SSL_accept(s); if (r != 1) err = SSL_get_error(s, r);
            }
            g_srv_cpu += TCPU() - t0;
            if (listened && r == 1) sd = 1;
            else if (err != SSL_ERROR_WANT_READ) goto out;
        }
    }
    ok = cd && sd;
out:
    t0 = TCPU(); BIO_ADDR_free(addr); g_srv_cpu += TCPU() - t0;
    if (!ok) { ERR_print_errors_fp(stderr); SSL_free(c); SSL_free(s); return -1; }
    if (sess && !SSL_session_reused(s)) { fprintf(stderr, "not resumed\n"); return -1; }
    *os = s; *oc = c;
    return 0;
}

struct sc { SSL_CTX *s, *c; SSL_SESSION *sess; };
static int hs_once(void *arg)
{
    struct sc *a = arg; SSL *s, *c;
    if (do_hs(a->s, a->c, a->sess, &s, &c)) return -1;
    SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN); SSL_free(c);
    /* Quiet close: without it SSL_free() evicts the session from the cache. */
    double t0 = TCPU(); SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(s); g_srv_cpu += TCPU() - t0;
    return 0;
}

static void exchange(SSL *s, SSL *c)   /* one 64-byte record each way */
{
    unsigned char buf[512];
    if (SSL_write(c, NOTIF, 64) != 64 || SSL_read(s, buf, sizeof buf) != 64 ||
        SSL_write(s, NOTIF, 64) != 64 || SSL_read(c, buf, sizeof buf) != 64) die("exchange");
}

static void bench_records(SSL_CTX *sctx, SSL_CTX *cctx)
{
    SSL *s, *c; unsigned char buf[512];
    if (do_hs(sctx, cctx, NULL, &s, &c)) die("hs for records");
    double enc = 0, dec = 0, w0 = WALL(); long n = 0;
    while (WALL() - w0 < bench_secs) {
        for (int i = 0; i < 32; i++) if (SSL_write(c, NOTIF, 64) != 64) die("cw");
        double t0 = TCPU();
        for (int i = 0; i < 32; i++) if (SSL_read(s, buf, sizeof buf) != 64) die("sr");
        double t1 = TCPU();
        for (int i = 0; i < 32; i++) if (SSL_write(s, NOTIF, 64) != 64) die("sw");
        double t2 = TCPU();
        for (int i = 0; i < 32; i++) if (SSL_read(c, buf, sizeof buf) != 64) die("cr");
        dec += t1 - t0; enc += t2 - t1; n += 32;
    }
    report("record64.server_encrypt_us", enc / n * 1e6, "us/rec");
    report("record64.server_decrypt_us", dec / n * 1e6, "us/rec");
    SSL_free(c); SSL_free(s);
}

static void bench_mem(const char *name, int release, int cache)
{
    SSL_CTX *sx = mk_ctx(1, M_PSK, cache, release), *cx = mk_ctx(0, M_PSK, 0, release);
    SSL **keep = calloc(MEM_SESSIONS, sizeof *keep);
    for (int i = 0; i < 3; i++) { SSL *s, *c; if (do_hs(sx, cx, NULL, &s, &c)) die("mem warm"); exchange(s, c); SSL_free(c); SSL_free(s); }
    size_t before = heap_used();
    for (int i = 0; i < MEM_SESSIONS; i++) {
        SSL *c; if (do_hs(sx, cx, NULL, &keep[i], &c)) die("mem hs");
        exchange(keep[i], c); SSL_free(c);
    }
    size_t after = heap_used();
    report_mem(name, before, after, MEM_SESSIONS);
    for (int i = 0; i < MEM_SESSIONS; i++) SSL_free(keep[i]);
    free(keep); SSL_CTX_free(sx); SSL_CTX_free(cx);
}

int main(int argc, char **argv)
{
    char lib[64];
    snprintf(lib, sizeof lib, "openssl-%s", OpenSSL_version(OPENSSL_VERSION_STRING));
    g_lib = lib;
    if (argc > 1) bench_secs = atof(argv[1]);
    qmeth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "dgq");
    BIO_meth_set_write(qmeth, qb_write); BIO_meth_set_read(qmeth, qb_read);
    BIO_meth_set_ctrl(qmeth, qb_ctrl); BIO_meth_set_create(qmeth, qb_create);
    RAND_bytes(cookie_key, sizeof cookie_key);

    struct sc psk = { mk_ctx(1, M_PSK, 1, 1), mk_ctx(0, M_PSK, 0, 1), NULL };
    run_hs("psk_ccm8_full", hs_once, &psk);

    struct sc ecc = { mk_ctx(1, M_CERT, 1, 1), mk_ctx(0, M_CERT, 0, 1), NULL };
    run_hs("ecdhe_ecdsa_ccm8_full", hs_once, &ecc);
    struct sc mut = { mk_ctx(1, M_MUTUAL, 1, 1), mk_ctx(0, M_MUTUAL, 0, 1), NULL };
    run_hs("ecdhe_ecdsa_ccm8_mutual", hs_once, &mut);

    SSL *s, *c;   /* resumption: one full handshake, then resume its session ID */
    if (do_hs(psk.s, psk.c, NULL, &s, &c)) die("resume seed");
    SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    psk.sess = SSL_get1_session(c); SSL_free(c);
    SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN); SSL_free(s);
    run_hs("psk_ccm8_resume", hs_once, &psk);
    SSL_SESSION_free(psk.sess); psk.sess = NULL;

    bench_records(psk.s, psk.c);
    bench_mem("mem_psk.release_buffers_off", 0, 0);
    bench_mem("mem_psk.release_buffers_on", 1, 0);
    bench_mem("mem_psk.release_buffers_on+session_cache", 1, 1);
    return 0;
}
