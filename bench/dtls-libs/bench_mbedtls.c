/* bench_mbedtls.c -- mbedTLS 2.28 (Debian 12 build) as a DTLS 1.2 server.
 * Why: counterpart of bench_openssl.c for zeelos' DTLS library choice; same
 * scenarios (PSK-AES128-CCM8 and ECDHE-ECDSA-AES128-CCM8 with the
 * HelloVerifyRequest cookie exchange, session-ID resumption, 64-byte record
 * cost, per-session heap) over the same in-memory datagram queues, so only
 * the library's CPU and malloc use are measured. */
#include "bench_common.h"
#include <mbedtls/version.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cookie.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/pk.h>
#include <mbedtls/error.h>

static mbedtls_entropy_context ent;
static mbedtls_ctr_drbg_context drbg;
static mbedtls_ssl_cookie_ctx cookie;
static mbedtls_x509_crt srv_crt, cli_crt;
static mbedtls_pk_context srv_key, cli_key;

static void die(const char *what, int rc)
{
    char b[200]; mbedtls_strerror(rc, b, sizeof b);
    fprintf(stderr, "mbedtls: %s: -0x%04x %s\n", what, -rc, b); exit(1);
}

/* ---- transport + timer callbacks ---- */
static int q_send(void *ctx, const unsigned char *buf, size_t len)
{
    end_t *e = ctx; dgq_push(e->tx, buf, len); return (int)len;
}
static int q_recv(void *ctx, unsigned char *buf, size_t len)
{
    end_t *e = ctx; int r = dgq_pop(e->rx, buf, len);
    return r < 0 ? MBEDTLS_ERR_SSL_WANT_READ : r;
}
/* No loss in memory, so the retransmission timer never fires. */
static void t_set(void *d, uint32_t int_ms, uint32_t fin_ms) { (void)int_ms; *(int *)d = fin_ms != 0; }
static int t_get(void *d) { return *(int *)d ? 0 : -1; }

typedef struct { mbedtls_ssl_context ssl; int tmr; } conn_t;
static conn_t *conn_new(const mbedtls_ssl_config *cf, end_t *e)
{
    conn_t *k = calloc(1, sizeof *k);
    mbedtls_ssl_init(&k->ssl);
    int rc = mbedtls_ssl_setup(&k->ssl, cf); if (rc) die("ssl_setup", rc);
    mbedtls_ssl_set_bio(&k->ssl, e, q_send, q_recv, NULL);
    mbedtls_ssl_set_timer_cb(&k->ssl, &k->tmr, t_set, t_get);
    mbedtls_ssl_set_mtu(&k->ssl, 1400);
    return k;
}
static void conn_free(conn_t *k) { mbedtls_ssl_free(&k->ssl); free(k); }

/* ---- PSK lookup on the server, session cache with hit counter ---- */
static int psk_cb(void *p, mbedtls_ssl_context *ssl, const unsigned char *id, size_t n)
{
    (void)p;
    if (n != strlen(PSK_ID) || memcmp(id, PSK_ID, n)) return -1;
    return mbedtls_ssl_set_hs_psk(ssl, PSK, sizeof PSK);
}
static long cache_hits;
static int cache_get(void *c, mbedtls_ssl_session *s)
{
    int r = mbedtls_ssl_cache_get(c, s); if (r == 0) cache_hits++; return r;
}
static int cache_set(void *c, const mbedtls_ssl_session *s) { return mbedtls_ssl_cache_set(c, s); }

enum { M_PSK, M_CERT, M_MUTUAL };
static const int PSK_CS[] = { MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8, 0 };
static const int ECC_CS[] = { MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, 0 };
static const mbedtls_ecp_group_id CURVES[] = { MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_NONE };

static mbedtls_ssl_config *mk_conf(int server, int mode, mbedtls_ssl_cache_context *cache)
{
    mbedtls_ssl_config *c = calloc(1, sizeof *c);
    mbedtls_ssl_config_init(c);
    int rc = mbedtls_ssl_config_defaults(c, server ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
                                         MBEDTLS_SSL_TRANSPORT_DATAGRAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc) die("config_defaults", rc);
    mbedtls_ssl_conf_rng(c, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ssl_conf_min_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_ciphersuites(c, mode == M_PSK ? PSK_CS : ECC_CS);
    mbedtls_ssl_conf_curves(c, CURVES);
    mbedtls_ssl_conf_session_tickets(c, MBEDTLS_SSL_SESSION_TICKETS_DISABLED); /* resume by ID */
    mbedtls_ssl_conf_authmode(c, MBEDTLS_SSL_VERIFY_NONE);
    if (server) {
        mbedtls_ssl_conf_dtls_cookies(c, mbedtls_ssl_cookie_write, mbedtls_ssl_cookie_check, &cookie);
        if (cache) mbedtls_ssl_conf_session_cache(c, cache, cache_get, cache_set);
        if (mode == M_PSK) mbedtls_ssl_conf_psk_cb(c, psk_cb, NULL);
        else if ((rc = mbedtls_ssl_conf_own_cert(c, &srv_crt, &srv_key))) die("own_cert", rc);
        if (mode == M_MUTUAL) {
            mbedtls_ssl_conf_authmode(c, MBEDTLS_SSL_VERIFY_REQUIRED);
            mbedtls_ssl_conf_ca_chain(c, &cli_crt, NULL);
        }
    } else {
        if (mode == M_PSK &&
            (rc = mbedtls_ssl_conf_psk(c, PSK, sizeof PSK, (const unsigned char *)PSK_ID, strlen(PSK_ID))))
            die("conf_psk", rc);
        if (mode == M_MUTUAL && (rc = mbedtls_ssl_conf_own_cert(c, &cli_crt, &cli_key))) die("cli cert", rc);
    }
    return c;
}

/* One handshake incl. HelloVerifyRequest round trip; server work timed. */
static uint64_t peer_ctr;
static int do_hs(const mbedtls_ssl_config *sc, const mbedtls_ssl_config *cc,
                 const mbedtls_ssl_session *sess, conn_t **os, conn_t **oc)
{
    dgq_reset();
    conn_t *c = conn_new(cc, &CLI_END);
    if (sess) mbedtls_ssl_set_session(&c->ssl, sess);
    uint64_t peer = ++peer_ctr;       /* stands in for the client's ip:port */
    double t0 = TCPU();
    conn_t *s = conn_new(sc, &SRV_END);
    mbedtls_ssl_set_client_transport_id(&s->ssl, (unsigned char *)&peer, sizeof peer);
    g_srv_cpu += TCPU() - t0;
    int cd = 0, sd = 0, r;
    for (int i = 0; i < 50 && !(cd && sd); i++) {
        if (!cd) {
            r = mbedtls_ssl_handshake(&c->ssl);
            if (r == 0) cd = 1;
            else if (r != MBEDTLS_ERR_SSL_WANT_READ) { fprintf(stderr, "client -0x%04x\n", -r); goto fail; }
        }
        if (!sd) {
            t0 = TCPU();
            r = mbedtls_ssl_handshake(&s->ssl);
            if (r == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED) {  /* documented server pattern */
                mbedtls_ssl_session_reset(&s->ssl);
                mbedtls_ssl_set_client_transport_id(&s->ssl, (unsigned char *)&peer, sizeof peer);
                r = MBEDTLS_ERR_SSL_WANT_READ;
            }
            g_srv_cpu += TCPU() - t0;
            if (r == 0) sd = 1;
            else if (r != MBEDTLS_ERR_SSL_WANT_READ) { fprintf(stderr, "server -0x%04x\n", -r); goto fail; }
        }
    }
    if (cd && sd) { *os = s; *oc = c; return 0; }
fail:
    conn_free(c); conn_free(s); return -1;
}

struct sc { mbedtls_ssl_config *s, *c; mbedtls_ssl_session *sess; };
static int hs_once(void *arg)
{
    struct sc *a = arg; conn_t *s, *c;
    long hits = cache_hits;
    if (do_hs(a->s, a->c, a->sess, &s, &c)) return -1;
    conn_free(c);
    double t0 = TCPU(); conn_free(s); g_srv_cpu += TCPU() - t0;
    if (a->sess && cache_hits != hits + 1) { fprintf(stderr, "not resumed\n"); return -1; }
    return 0;
}

static void exchange(conn_t *s, conn_t *c)   /* one 64-byte record each way */
{
    unsigned char buf[512];
    if (mbedtls_ssl_write(&c->ssl, NOTIF, 64) != 64 || mbedtls_ssl_read(&s->ssl, buf, sizeof buf) != 64 ||
        mbedtls_ssl_write(&s->ssl, NOTIF, 64) != 64 || mbedtls_ssl_read(&c->ssl, buf, sizeof buf) != 64)
        die("exchange", 0);
}

static void bench_records(struct sc *a)
{
    conn_t *s, *c; unsigned char buf[512];
    if (do_hs(a->s, a->c, NULL, &s, &c)) die("hs for records", 0);
    double enc = 0, dec = 0, w0 = WALL(); long n = 0;
    while (WALL() - w0 < bench_secs) {
        for (int i = 0; i < 32; i++) if (mbedtls_ssl_write(&c->ssl, NOTIF, 64) != 64) die("cw", 0);
        double t0 = TCPU();
        for (int i = 0; i < 32; i++) if (mbedtls_ssl_read(&s->ssl, buf, sizeof buf) != 64) die("sr", 0);
        double t1 = TCPU();
        for (int i = 0; i < 32; i++) if (mbedtls_ssl_write(&s->ssl, NOTIF, 64) != 64) die("sw", 0);
        double t2 = TCPU();
        for (int i = 0; i < 32; i++) if (mbedtls_ssl_read(&c->ssl, buf, sizeof buf) != 64) die("cr", 0);
        dec += t1 - t0; enc += t2 - t1; n += 32;
    }
    report("record64.server_encrypt_us", enc / n * 1e6, "us/rec");
    report("record64.server_decrypt_us", dec / n * 1e6, "us/rec");
    conn_free(c); conn_free(s);
}

static void bench_mem(const char *name, int use_cache)
{
    mbedtls_ssl_cache_context cache;
    mbedtls_ssl_cache_init(&cache);
    mbedtls_ssl_cache_set_max_entries(&cache, MEM_SESSIONS + 10);
    mbedtls_ssl_config *sx = mk_conf(1, M_PSK, use_cache ? &cache : NULL), *cx = mk_conf(0, M_PSK, NULL);
    conn_t **keep = calloc(MEM_SESSIONS, sizeof *keep), *c, *s;
    for (int i = 0; i < 3; i++) { if (do_hs(sx, cx, NULL, &s, &c)) die("mem warm", 0); exchange(s, c); conn_free(c); conn_free(s); }
    mbedtls_ssl_cache_free(&cache);  /* drop warm-up entries; struct stays usable */
    mbedtls_ssl_cache_init(&cache); mbedtls_ssl_cache_set_max_entries(&cache, MEM_SESSIONS + 10);
    size_t before = heap_used();
    for (int i = 0; i < MEM_SESSIONS; i++) {
        if (do_hs(sx, cx, NULL, &keep[i], &c)) die("mem hs", 0);
        exchange(keep[i], c); conn_free(c);
    }
    size_t after = heap_used();
    report_mem(name, before, after, MEM_SESSIONS);
    for (int i = 0; i < MEM_SESSIONS; i++) conn_free(keep[i]);
    free(keep); mbedtls_ssl_cache_free(&cache);
    mbedtls_ssl_config_free(sx); mbedtls_ssl_config_free(cx); free(sx); free(cx);
}

int main(int argc, char **argv)
{
    char lib[64];
    snprintf(lib, sizeof lib, "mbedtls-%s", MBEDTLS_VERSION_STRING);
    g_lib = lib;
    if (argc > 1) bench_secs = atof(argv[1]);
    int rc;
    mbedtls_entropy_init(&ent); mbedtls_ctr_drbg_init(&drbg);
    if ((rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, (const unsigned char *)"zeelos", 6)))
        die("drbg", rc);
    mbedtls_ssl_cookie_init(&cookie);
    if ((rc = mbedtls_ssl_cookie_setup(&cookie, mbedtls_ctr_drbg_random, &drbg))) die("cookie", rc);
    mbedtls_x509_crt_init(&srv_crt); mbedtls_x509_crt_init(&cli_crt);
    mbedtls_pk_init(&srv_key); mbedtls_pk_init(&cli_key);
    if ((rc = mbedtls_x509_crt_parse_file(&srv_crt, "srv.crt")) ||
        (rc = mbedtls_x509_crt_parse_file(&cli_crt, "cli.crt")) ||
        (rc = mbedtls_pk_parse_keyfile(&srv_key, "srv.key", NULL)) ||
        (rc = mbedtls_pk_parse_keyfile(&cli_key, "cli.key", NULL))) die("load certs/keys", rc);

    mbedtls_ssl_cache_context cache;   /* library default size (50 entries) */
    mbedtls_ssl_cache_init(&cache);
    struct sc psk = { mk_conf(1, M_PSK, &cache), mk_conf(0, M_PSK, NULL), NULL };
    run_hs("psk_ccm8_full", hs_once, &psk);

    struct sc ecc = { mk_conf(1, M_CERT, &cache), mk_conf(0, M_CERT, NULL), NULL };
    run_hs("ecdhe_ecdsa_ccm8_full", hs_once, &ecc);
    struct sc mut = { mk_conf(1, M_MUTUAL, &cache), mk_conf(0, M_MUTUAL, NULL), NULL };
    run_hs("ecdhe_ecdsa_ccm8_mutual", hs_once, &mut);

    conn_t *s, *c;   /* resumption: one full handshake, then resume its session ID */
    mbedtls_ssl_session sess; mbedtls_ssl_session_init(&sess);
    if (do_hs(psk.s, psk.c, NULL, &s, &c)) die("resume seed", 0);
    if ((rc = mbedtls_ssl_get_session(&c->ssl, &sess))) die("get_session", rc);
    conn_free(c); conn_free(s);
    psk.sess = &sess;
    run_hs("psk_ccm8_resume", hs_once, &psk);
    psk.sess = NULL; mbedtls_ssl_session_free(&sess);

    bench_records(&psk);
    bench_mem("mem_psk.in16k_out16k", 0);
    bench_mem("mem_psk.in16k_out16k+session_cache", 1);
    return 0;
}
