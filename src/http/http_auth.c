/* SPDX-License-Identifier: Apache-2.0 */
/* Access control of a whole server, applied on the connection thread before
 * any route runs (GET /metrics and GET /healthz stay open): a client
 * certificate signed by the server's trust CA (zl_http_start_tls_ca) and/or
 * HTTP basic authentication against a users file (zl_http_require_basic).
 * Why here and not in a role: the checks need the GnuTLS session of the
 * connection and a password hash that must not run on a loop thread; a
 * route handler sees neither.  Why PBKDF2-SHA256 hashes in the console's
 * "$pbkdf2-sha256$<iter>$<salt>$<hash>" form: OpenSSL has it, and a line
 * written by `zeelos console-user` (name:role:hash) is accepted as is.
 * Verified credentials are remembered as the SHA-256 of the Authorization
 * header (at most ZL_BASIC_CACHE of them), so a client that sends the same
 * header on every request pays the hash once.  Passwords are never logged. */
#include "http/http_int.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"

#define ZL_BASIC_NAME_MAX 64
#define ZL_BASIC_SALT_MAX 64
#define ZL_BASIC_HASH_MAX 64
#define ZL_BASIC_CACHE 16
#define ZL_BASIC_MAX_ITER 10000000u

typedef struct {
    char name[ZL_BASIC_NAME_MAX];
    unsigned iter;
    unsigned char salt[ZL_BASIC_SALT_MAX], hash[ZL_BASIC_HASH_MAX];
    size_t salt_len, hash_len;
} zl_basic_user_t;

struct zl_http_basic {
    zl_basic_user_t *users;
    size_t n_users;
    bool reads_too;
    pthread_mutex_t mu; /* cache */
    unsigned char cache[ZL_BASIC_CACHE][32];
    bool cached[ZL_BASIC_CACHE];
    size_t next;
};

/* Standard base64 (with padding) into out; -1 when malformed or too long. */
static int zl_b64_decode(const char *in, size_t len, unsigned char *out, size_t cap) {
    if (len == 0 || len % 4 || len / 4 * 3 > cap + 2) return -1;
    unsigned char tmp[256];
    if (len / 4 * 3 > sizeof tmp) return -1;
    int k = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)len);
    if (k < 0) return -1;
    if (in[len - 1] == '=') k--;
    if (in[len - 2] == '=') k--;
    if ((size_t)k > cap) {
        OPENSSL_cleanse(tmp, sizeof tmp);
        return -1;
    }
    memcpy(out, tmp, (size_t)k);
    OPENSSL_cleanse(tmp, sizeof tmp);
    return k;
}

/* Parses "$pbkdf2-sha256$<iter>$<salt b64>$<hash b64>" into u; NULL or why not. */
static const char *zl_basic_parse_hash(const char *s, zl_basic_user_t *u) {
    static const char *const fmt = "the hash must be $pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>";
    if (strncmp(s, "$pbkdf2-sha256$", 15)) return fmt;
    s += 15;
    char *end;
    errno = 0;
    unsigned long it = strtoul(s, &end, 10);
    if (errno || end == s || *end != '$' || it < 1 || it > ZL_BASIC_MAX_ITER) return fmt;
    u->iter = (unsigned)it;
    const char *salt = end + 1, *d = strchr(salt, '$');
    if (!d) return fmt;
    int k = zl_b64_decode(salt, (size_t)(d - salt), u->salt, sizeof u->salt);
    if (k < 8) return "the salt must be 8 to 64 bytes, base64";
    u->salt_len = (size_t)k;
    k = zl_b64_decode(d + 1, strlen(d + 1), u->hash, sizeof u->hash);
    if (k < 16) return "the hash must be 16 to 64 bytes, base64";
    u->hash_len = (size_t)k;
    return NULL;
}

static void zl_basic_free(zl_http_basic_t *b) {
    if (!b) return;
    if (b->users) OPENSSL_cleanse(b->users, b->n_users * sizeof *b->users);
    free(b->users);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

/* Reads the users file: name:hash or name:role:hash lines, # comments. */
static zl_http_basic_t *zl_basic_load(const char *file, char *errstr, size_t n) {
    FILE *f = fopen(file, "r");
    if (!f) {
        snprintf(errstr, n, "%s: cannot read users file: %s", file, strerror(errno));
        return NULL;
    }
    zl_http_basic_t *b = calloc(1, sizeof *b);
    if (!b) {
        fclose(f);
        snprintf(errstr, n, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&b->mu, NULL);
    char line[1024];
    int lineno = 0;
    const char *why = NULL;
    while (!why && fgets(line, sizeof line, f)) {
        lineno++;
        size_t l = strlen(line);
        if (l == sizeof line - 1 && line[l - 1] != '\n') {
            why = "line too long";
            break;
        }
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' ')) line[--l] = 0;
        if (!l || line[0] == '#') continue;
        char *c1 = strchr(line, ':'), *c2 = strrchr(line, ':');
        if (!c1) {
            why = "expected name:hash (or name:role:hash)";
            break;
        }
        zl_basic_user_t u = {0};
        size_t nl = (size_t)(c1 - line);
        if (nl == 0 || nl >= sizeof u.name) {
            why = "the user name must be 1 to 63 characters";
            break;
        }
        memcpy(u.name, line, nl);
        if ((why = zl_basic_parse_hash(c2 + 1, &u))) break;
        for (size_t i = 0; i < b->n_users && !why; i++)
            if (!strcmp(b->users[i].name, u.name)) why = "user listed twice";
        zl_basic_user_t *v = why ? NULL : realloc(b->users, (b->n_users + 1) * sizeof *v);
        if (!why && !v) why = "out of memory";
        if (v) {
            b->users = v;
            b->users[b->n_users++] = u;
        }
        OPENSSL_cleanse(&u, sizeof u);
    }
    OPENSSL_cleanse(line, sizeof line);
    fclose(f);
    if (!why && b->n_users == 0) {
        snprintf(errstr, n, "%s: no users", file);
        zl_basic_free(b);
        return NULL;
    }
    if (why) {
        snprintf(errstr, n, "%s:%d: %s", file, lineno, why);
        zl_basic_free(b);
        return NULL;
    }
    return b;
}

zl_err_t zl_http_require_basic(zl_http_t *h, const char *users_file, bool reads_too, char *errstr, size_t n) {
    if (!h || !users_file || !*users_file) {
        snprintf(errstr, n, "basic authentication needs a users file");
        return ZL_ERR_INVALID;
    }
    zl_http_basic_t *b = zl_basic_load(users_file, errstr, n);
    if (!b) return ZL_ERR_INVALID;
    b->reads_too = reads_too;
    zl_basic_free(h->basic);
    h->basic = b;
    return ZL_OK;
}

void zl_http_basic_destroy(zl_http_basic_t *b) { zl_basic_free(b); }

/* True when authorization ("Basic <base64 user:password>") names a user of b
 * with the right password.  Unknown users cost one hash too. */
static bool zl_basic_check(zl_http_basic_t *b, const char *authorization) {
    if (!authorization || strncasecmp(authorization, "Basic ", 6)) return false;
    const char *cred = authorization + 6;
    while (*cred == ' ') cred++;
    size_t clen = strlen(cred);
    if (clen == 0 || clen > 340) return false;
    unsigned char digest[32];
    unsigned dlen = 0;
    if (!EVP_Digest(authorization, strlen(authorization), digest, &dlen, EVP_sha256(), NULL)) return false;
    bool ok = false;
    pthread_mutex_lock(&b->mu);
    for (size_t i = 0; i < ZL_BASIC_CACHE && !ok; i++)
        ok = b->cached[i] && !CRYPTO_memcmp(b->cache[i], digest, sizeof digest);
    pthread_mutex_unlock(&b->mu);
    if (ok) return true;
    unsigned char plain[256];
    int k = zl_b64_decode(cred, clen, plain, sizeof plain - 1);
    if (k <= 0) return false;
    plain[k] = 0;
    char *colon = memchr(plain, ':', (size_t)k);
    if (!colon) {
        OPENSSL_cleanse(plain, sizeof plain);
        return false;
    }
    *colon = 0;
    const char *pw = colon + 1;
    const zl_basic_user_t *u = &b->users[0];
    bool known = false;
    for (size_t i = 0; i < b->n_users; i++)
        if (!strcmp(b->users[i].name, (const char *)plain)) {
            u = &b->users[i];
            known = true;
        }
    unsigned char got[ZL_BASIC_HASH_MAX];
    ok = PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), u->salt, (int)u->salt_len, (int)u->iter, EVP_sha256(),
                           (int)u->hash_len, got) == 1 &&
         !CRYPTO_memcmp(got, u->hash, u->hash_len) && known;
    OPENSSL_cleanse(plain, sizeof plain);
    OPENSSL_cleanse(got, sizeof got);
    if (ok) {
        pthread_mutex_lock(&b->mu);
        memcpy(b->cache[b->next], digest, sizeof digest);
        b->cached[b->next] = true;
        b->next = (b->next + 1) % ZL_BASIC_CACHE;
        pthread_mutex_unlock(&b->mu);
    }
    return ok;
}

/* True when the connection's TLS peer sent a certificate that verifies
 * against the server's trust CA; why gets the reason otherwise. */
static bool zl_peer_cert_ok(struct MHD_Connection *conn, const char **why) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !ci->tls_session) {
        *why = "no TLS session";
        return false;
    }
    gnutls_session_t s = (gnutls_session_t)ci->tls_session;
    unsigned n = 0;
    if (!gnutls_certificate_get_peers(s, &n) || n == 0) {
        *why = "a client certificate is required";
        return false;
    }
    unsigned status = 0;
    int rc = gnutls_certificate_verify_peers2(s, &status);
    if (rc < 0 || status != 0) {
        *why = "the client certificate is not signed by a trusted CA, or has expired";
        return false;
    }
    return true;
}

static zl_mhd_result_t zl_guard_reply(struct MHD_Connection *conn, unsigned status, const char *code,
                                      const char *msg, bool challenge) {
    char body[256];
    int k = snprintf(body, sizeof body, "{\"code\":\"%s\",\"message\":\"%s\"}", code, msg);
    struct MHD_Response *r = MHD_create_response_from_buffer((size_t)k, body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    zl_http_headers_apply(r, NULL);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (challenge) MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"zeelos\", charset=\"UTF-8\"");
    zl_mhd_result_t ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

bool zl_http_guard(zl_http_t *h, struct MHD_Connection *conn, const char *method, zl_mhd_result_t *ret) {
    const char *why = NULL;
    if (h->need_cert && !zl_peer_cert_ok(conn, &why)) {
        *ret = zl_guard_reply(conn, MHD_HTTP_FORBIDDEN, "forbidden", why, false);
        return true;
    }
    if (!h->basic) return false;
    bool read = !strcmp(method, "GET") || !strcmp(method, "HEAD") || !strcmp(method, "OPTIONS");
    if (read && !h->basic->reads_too) return false;
    const char *authz = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (zl_basic_check(h->basic, authz)) return false;
    *ret = zl_guard_reply(conn, MHD_HTTP_UNAUTHORIZED, "unauthorized",
                          authz ? "wrong user or password" : "authentication required", true);
    return true;
}
