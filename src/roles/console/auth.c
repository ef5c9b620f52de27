/* SPDX-License-Identifier: Apache-2.0 */
/* Users, tokens, one-time logins and sessions of `zeelos console`.
 *
 * Why PBKDF2-HMAC-SHA256 with 210,000 iterations: it is in OpenSSL (no new
 * dependency), OWASP's figure for it, and slow enough (~0.1 s here) that a
 * stolen users file is costly to attack while a login stays quick.  Tokens
 * are long random strings, so one SHA-256 suffices for them.  Every secret
 * is compared in constant time and never logged. */
#include "roles/console/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"

#define ITERATIONS 210000
#define SALT_LEN 16
#define HASH_LEN 32
#define MAX_SESSIONS 10000
#define MAX_LINE 1024

typedef struct {
    char name[64];
    zl_role_t role;
    unsigned iter;
    unsigned char salt[64], hash[HASH_LEN];
    size_t salt_len;
} user_t;

typedef struct {
    char name[64];
    zl_role_t role;
    unsigned char digest[SHA256_DIGEST_LENGTH];
} token_t;

typedef struct {
    char id[48], csrf[48], user[64];
    zl_role_t role;
    int64_t created, used;
    bool one_time; /* a one-time login not yet used (id is the token) */
    int64_t expires;
} session_t;

struct zl_auth {
    pthread_mutex_t mu;
    user_t *users;
    size_t n_users;
    token_t *tokens;
    size_t n_tokens;
    session_t *sessions; /* sessions and pending one-time logins */
    size_t n_sessions;
    int64_t ttl, idle;
};

const char *zl_role_name(zl_role_t r) {
    return r == ZL_ROLE_ADMIN ? "admin" : r == ZL_ROLE_VIEWER ? "viewer" : "none";
}

zl_role_t zl_role_parse(const char *s) {
    return !s ? ZL_ROLE_NONE : !strcmp(s, "admin") ? ZL_ROLE_ADMIN : !strcmp(s, "viewer") ? ZL_ROLE_VIEWER : ZL_ROLE_NONE;
}

/* ---- encodings --------------------------------------------------------- */

static size_t b64_encode(const unsigned char *p, size_t n, char *out) {
    return (size_t)EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

/* Decodes standard base64 with padding; -1 on error. */
static long b64_decode(const char *s, unsigned char *out, size_t cap) {
    size_t l = strlen(s);
    if (l == 0 || l % 4 || l / 4 * 3 > cap) return -1;
    int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)l);
    if (n < 0) return -1;
    if (l >= 1 && s[l - 1] == '=') n--;
    if (l >= 2 && s[l - 2] == '=') n--;
    return n;
}

/* n random bytes as base64url without padding into out (>= 4n/3+1). */
static bool random_text(size_t n, char *out, size_t cap) {
    unsigned char b[48];
    char tmp[80];
    if (n > sizeof b || cap < (n * 4 + 2) / 3 + 1 || RAND_bytes(b, (int)n) != 1) return false;
    size_t l = b64_encode(b, n, tmp);
    size_t j = 0;
    for (size_t i = 0; i < l && tmp[i] != '='; i++) out[j++] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
    out[j] = '\0';
    OPENSSL_cleanse(b, sizeof b);
    return true;
}

static bool name_ok(const char *s) {
    size_t l = strlen(s);
    if (l == 0 || l > 63) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("_.@-", *s)))
            return false;
    return true;
}

static bool pbkdf2(const char *pw, const unsigned char *salt, size_t salt_len, unsigned iter, unsigned char *out) {
    return PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, (int)salt_len, (int)iter, EVP_sha256(), HASH_LEN, out) == 1;
}

zl_err_t zl_auth_hash_password(const char *password, char *out, size_t out_size) {
    unsigned char salt[SALT_LEN], hash[HASH_LEN];
    char s64[64], h64[64];
    if (RAND_bytes(salt, sizeof salt) != 1 || !pbkdf2(password, salt, sizeof salt, ITERATIONS, hash))
        return ZL_ERR_IO;
    b64_encode(salt, sizeof salt, s64);
    b64_encode(hash, sizeof hash, h64);
    OPENSSL_cleanse(hash, sizeof hash);
    int k = snprintf(out, out_size, "$pbkdf2-sha256$%u$%s$%s", ITERATIONS, s64, h64);
    return k > 0 && (size_t)k < out_size ? ZL_OK : ZL_ERR_TOO_LARGE;
}

/* ---- files ---------------------------------------------------------------- */

/* "name:role:rest" of a line (modified in place). */
static const char *split_line(char *line, char **name, zl_role_t *role, char **rest) {
    line[strcspn(line, "\r\n")] = '\0';
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) return "expected name:role:secret";
    *c1 = *c2 = '\0';
    *name = line;
    *rest = c2 + 1;
    if (!name_ok(line)) return "user names are 1-63 of A-Z a-z 0-9 _ . @ -";
    if ((*role = zl_role_parse(c1 + 1)) == ZL_ROLE_NONE) return "the role must be admin or viewer";
    return NULL;
}

static const char *parse_hash(char *s, user_t *u) {
    /* $pbkdf2-sha256$<iter>$<salt>$<hash> */
    if (strncmp(s, "$pbkdf2-sha256$", 15)) return "the hash must be $pbkdf2-sha256$<iterations>$<salt>$<hash>";
    char *it = s + 15, *d1 = strchr(it, '$'), *d2 = d1 ? strchr(d1 + 1, '$') : NULL;
    if (!d2) return "the hash must be $pbkdf2-sha256$<iterations>$<salt>$<hash>";
    *d1 = *d2 = '\0';
    char *end;
    unsigned long iter = strtoul(it, &end, 10);
    if (*end || iter < 1000 || iter > 100000000) return "iterations must be 1000 to 100000000";
    long sl = b64_decode(d1 + 1, u->salt, sizeof u->salt);
    if (sl < 8) return "the salt must be base64 of at least 8 bytes";
    unsigned char h[64];
    if (b64_decode(d2 + 1, h, sizeof h) != HASH_LEN) return "the hash must be base64 of 32 bytes";
    memcpy(u->hash, h, HASH_LEN);
    u->salt_len = (size_t)sl;
    u->iter = (unsigned)iter;
    return NULL;
}

static int hexval(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static zl_err_t load(const char *file, bool users, zl_auth_t *a, char *errstr, size_t n) {
    FILE *f = fopen(file, "r");
    if (!f) {
        if (errno == ENOENT && users) return ZL_OK; /* no users yet */
        snprintf(errstr, n, "%s: %s", file, strerror(errno));
        return ZL_ERR_IO;
    }
    char line[MAX_LINE];
    unsigned no = 0;
    zl_err_t e = ZL_OK;
    while (!e && fgets(line, sizeof line, f)) {
        no++;
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '#' || *p == '\n' || *p == '\r' || !*p) continue;
        char *name, *rest;
        zl_role_t role = ZL_ROLE_NONE;
        const char *why = split_line(p, &name, &role, &rest);
        if (!why && users) {
            user_t u = {0};
            why = parse_hash(rest, &u);
            user_t *v = why ? NULL : realloc(a->users, (a->n_users + 1) * sizeof *v);
            if (!why && !v) why = "out of memory";
            if (!why) {
                snprintf(u.name, sizeof u.name, "%s", name);
                u.role = role;
                a->users = v;
                a->users[a->n_users++] = u;
            }
        } else if (!why) {
            token_t t = {0};
            if (strlen(rest) != 64) why = "the token digest must be 64 hex digits (sha256)";
            for (size_t i = 0; !why && i < 32; i++) {
                int hi = hexval(rest[2 * i]), lo = hexval(rest[2 * i + 1]);
                if (hi < 0 || lo < 0) why = "the token digest must be 64 hex digits (sha256)";
                else t.digest[i] = (unsigned char)(hi << 4 | lo);
            }
            token_t *v = why ? NULL : realloc(a->tokens, (a->n_tokens + 1) * sizeof *v);
            if (!why && !v) why = "out of memory";
            if (!why) {
                snprintf(t.name, sizeof t.name, "%s", name);
                t.role = role;
                a->tokens = v;
                a->tokens[a->n_tokens++] = t;
            }
        }
        if (why) {
            snprintf(errstr, n, "%s:%u: %s", file, no, why);
            e = ZL_ERR_INVALID;
        }
    }
    OPENSSL_cleanse(line, sizeof line);
    fclose(f);
    return e;
}

zl_auth_t *zl_auth_new(const zl_auth_conf_t *conf, char *errstr, size_t n) {
    zl_auth_t *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(errstr, n, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&a->mu, NULL);
    a->ttl = conf->session_ttl_ms;
    a->idle = conf->session_idle_ms;
    if ((conf->users_file && *conf->users_file && load(conf->users_file, true, a, errstr, n)) ||
        (conf->tokens_file && *conf->tokens_file && load(conf->tokens_file, false, a, errstr, n))) {
        zl_auth_destroy(a);
        return NULL;
    }
    return a;
}

void zl_auth_destroy(zl_auth_t *a) {
    if (!a) return;
    if (a->users) OPENSSL_cleanse(a->users, a->n_users * sizeof *a->users);
    if (a->sessions) OPENSSL_cleanse(a->sessions, a->n_sessions * sizeof *a->sessions);
    free(a->users);
    free(a->tokens);
    free(a->sessions);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

size_t zl_auth_principals(const zl_auth_t *a) { return a->n_users + a->n_tokens; }

/* ---- sessions (under mu) ---------------------------------------------------- */

static void expire(zl_auth_t *a, int64_t now) {
    size_t j = 0;
    for (size_t i = 0; i < a->n_sessions; i++) {
        session_t *s = &a->sessions[i];
        bool dead = now >= s->expires || (!s->one_time && now - s->used >= a->idle);
        if (!dead) a->sessions[j++] = *s;
    }
    a->n_sessions = j;
}

static session_t *add_session(zl_auth_t *a) {
    if (a->n_sessions == MAX_SESSIONS) { /* the oldest goes */
        memmove(a->sessions, a->sessions + 1, (a->n_sessions - 1) * sizeof *a->sessions);
        a->n_sessions--;
    }
    session_t *v = realloc(a->sessions, (a->n_sessions + 1) * sizeof *v);
    if (!v) return NULL;
    a->sessions = v;
    session_t *s = &a->sessions[a->n_sessions++];
    memset(s, 0, sizeof *s);
    return s;
}

static bool eq_secret(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    return la == lb && CRYPTO_memcmp(a, b, la) == 0;
}

zl_err_t zl_auth_one_time(zl_auth_t *a, int64_t ttl_ms, char *out, size_t out_size) {
    char tok[48];
    if (out_size < 44 || !random_text(32, tok, sizeof tok)) return ZL_ERR_INVALID;
    pthread_mutex_lock(&a->mu);
    session_t *s = add_session(a);
    if (s) {
        snprintf(s->id, sizeof s->id, "%s", tok);
        snprintf(s->user, sizeof s->user, "one-time-login");
        s->role = ZL_ROLE_ADMIN;
        s->one_time = true;
        s->created = s->used = zl_wall_ms(); /* the clock the callers' now_ms comes from */
        s->expires = s->created + ttl_ms;
    }
    pthread_mutex_unlock(&a->mu);
    if (!s) return ZL_ERR_NOMEM;
    snprintf(out, out_size, "%s", tok);
    return ZL_OK;
}

static void open_session(zl_auth_t *a, session_t *s, const char *user, zl_role_t role, int64_t now) {
    random_text(32, s->id, sizeof s->id);
    random_text(32, s->csrf, sizeof s->csrf);
    snprintf(s->user, sizeof s->user, "%s", user);
    s->role = role;
    s->one_time = false;
    s->created = s->used = now;
    s->expires = now + a->ttl;
}

static void fill(const session_t *s, zl_principal_t *p) {
    memset(p, 0, sizeof *p);
    snprintf(p->user, sizeof p->user, "%s", s->user);
    p->role = s->role;
    snprintf(p->csrf, sizeof p->csrf, "%s", s->csrf);
    p->expires_ms = s->expires;
}

zl_err_t zl_auth_login(zl_auth_t *a, const char *user, const char *password, const char *one_time,
                       int64_t now_ms, char *session_id, size_t sid_size, zl_principal_t *p) {
    if (one_time) {
        zl_err_t e = ZL_ERR_DENIED;
        pthread_mutex_lock(&a->mu);
        for (size_t i = 0; i < a->n_sessions; i++) {
            session_t *s = &a->sessions[i];
            if (!s->one_time || !eq_secret(s->id, one_time)) continue;
            if (now_ms < s->expires) {
                open_session(a, s, "one-time-login", ZL_ROLE_ADMIN, now_ms);
                snprintf(session_id, sid_size, "%s", s->id);
                fill(s, p);
                e = ZL_OK;
            }
            break;
        }
        pthread_mutex_unlock(&a->mu);
        return e;
    }
    if (!user || !password) return ZL_ERR_DENIED;
    /* the users table is read-only after load: the slow hash runs without the lock */
    const user_t *u = NULL;
    for (size_t i = 0; i < a->n_users; i++)
        if (!strcmp(a->users[i].name, user)) u = &a->users[i];
    static const unsigned char dummy_salt[SALT_LEN] = {0};
    unsigned char h[HASH_LEN];
    bool ok = u ? pbkdf2(password, u->salt, u->salt_len, u->iter, h) && CRYPTO_memcmp(h, u->hash, HASH_LEN) == 0
                : (pbkdf2(password, dummy_salt, sizeof dummy_salt, ITERATIONS, h), false);
    OPENSSL_cleanse(h, sizeof h);
    if (!ok) return ZL_ERR_DENIED;
    pthread_mutex_lock(&a->mu);
    expire(a, now_ms);
    session_t *s = add_session(a);
    if (s) {
        open_session(a, s, u->name, u->role, now_ms);
        snprintf(session_id, sid_size, "%s", s->id);
        fill(s, p);
    }
    pthread_mutex_unlock(&a->mu);
    return s ? ZL_OK : ZL_ERR_NOMEM;
}

void zl_auth_logout(zl_auth_t *a, const char *session_id) {
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < a->n_sessions; i++)
        if (!a->sessions[i].one_time && eq_secret(a->sessions[i].id, session_id)) {
            a->sessions[i] = a->sessions[--a->n_sessions];
            break;
        }
    pthread_mutex_unlock(&a->mu);
}

/* The value of zeelos_session in a Cookie header into out. */
static bool cookie_value(const char *h, char *out, size_t cap) {
    static const char key[] = "zeelos_session=";
    for (const char *c = h; c && (c = strstr(c, key)); c++) {
        if (c != h && c[-1] != ' ' && c[-1] != ';') continue;
        c += sizeof key - 1;
        size_t n = strcspn(c, "; ");
        if (n == 0 || n >= cap) return false;
        memcpy(out, c, n);
        out[n] = '\0';
        return true;
    }
    return false;
}

bool zl_auth_check(zl_auth_t *a, const char *cookie_header, const char *authorization, int64_t now_ms,
                   zl_principal_t *p) {
    if (authorization && !strncasecmp(authorization, "Bearer ", 7)) {
        const char *tok = authorization + 7;
        unsigned char d[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)tok, strlen(tok), d);
        const token_t *found = NULL;
        for (size_t i = 0; i < a->n_tokens; i++)
            if (CRYPTO_memcmp(d, a->tokens[i].digest, sizeof d) == 0) found = &a->tokens[i];
        if (!found) return false;
        memset(p, 0, sizeof *p);
        snprintf(p->user, sizeof p->user, "%s", found->name);
        p->role = found->role;
        p->bearer = true;
        return true;
    }
    char sid[64];
    if (!cookie_header || !cookie_value(cookie_header, sid, sizeof sid)) return false;
    bool ok = false;
    pthread_mutex_lock(&a->mu);
    expire(a, now_ms);
    for (size_t i = 0; i < a->n_sessions; i++) {
        session_t *s = &a->sessions[i];
        if (s->one_time || !eq_secret(s->id, sid)) continue;
        s->used = now_ms;
        fill(s, p);
        ok = true;
        break;
    }
    pthread_mutex_unlock(&a->mu);
    return ok;
}

bool zl_auth_csrf_ok(const zl_principal_t *p, const char *csrf_header) {
    if (p->bearer) return true;
    return csrf_header && *p->csrf && eq_secret(p->csrf, csrf_header);
}

/* ---- the users file ---------------------------------------------------------- */

/* Rewrites file without user's line, plus line (if not NULL). */
static zl_err_t rewrite(const char *file, const char *user, const char *line, bool *found, char *errstr, size_t n) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", file);
    FILE *in = fopen(file, "r");
    if (!in && errno != ENOENT) {
        snprintf(errstr, n, "%s: %s", file, strerror(errno));
        return ZL_ERR_IO;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!out) {
        snprintf(errstr, n, "%s: %s", tmp, strerror(errno));
        if (fd >= 0) close(fd);
        if (in) fclose(in);
        return ZL_ERR_IO;
    }
    char buf[MAX_LINE];
    size_t ul = strlen(user);
    *found = false;
    while (in && fgets(buf, sizeof buf, in)) {
        if (!strncmp(buf, user, ul) && buf[ul] == ':') {
            *found = true;
            continue;
        }
        fputs(buf, out);
    }
    if (in) fclose(in);
    if (line) fprintf(out, "%s\n", line);
    OPENSSL_cleanse(buf, sizeof buf);
    if (fflush(out) || fsync(fileno(out)) || fclose(out) || rename(tmp, file)) {
        snprintf(errstr, n, "cannot write %s: %s", file, strerror(errno));
        unlink(tmp);
        return ZL_ERR_IO;
    }
    return ZL_OK;
}

zl_err_t zl_auth_file_set(const char *file, const char *user, zl_role_t role, const char *password, char *errstr,
                          size_t n) {
    if (!name_ok(user)) {
        snprintf(errstr, n, "user names are 1-63 of A-Z a-z 0-9 _ . @ -");
        return ZL_ERR_INVALID;
    }
    if (role == ZL_ROLE_NONE || !password || !*password) {
        snprintf(errstr, n, role == ZL_ROLE_NONE ? "the role must be admin or viewer" : "empty password");
        return ZL_ERR_INVALID;
    }
    char hash[256], line[400];
    if (zl_auth_hash_password(password, hash, sizeof hash)) {
        snprintf(errstr, n, "cannot hash the password");
        return ZL_ERR_IO;
    }
    snprintf(line, sizeof line, "%s:%s:%s", user, zl_role_name(role), hash);
    bool found;
    return rewrite(file, user, line, &found, errstr, n);
}

zl_err_t zl_auth_file_remove(const char *file, const char *user, char *errstr, size_t n) {
    bool found = false;
    zl_err_t e = rewrite(file, user, NULL, &found, errstr, n);
    if (!e && !found) {
        snprintf(errstr, n, "%s: no user %s", file, user);
        return ZL_ERR_NOT_FOUND;
    }
    return e;
}

zl_err_t zl_auth_file_list(const char *file, FILE *out, char *errstr, size_t n) {
    zl_auth_conf_t c = {.users_file = file, .session_ttl_ms = 1, .session_idle_ms = 1};
    zl_auth_t *a = zl_auth_new(&c, errstr, n);
    if (!a) return ZL_ERR_INVALID;
    for (size_t i = 0; i < a->n_users; i++) fprintf(out, "%s %s\n", a->users[i].name, zl_role_name(a->users[i].role));
    zl_auth_destroy(a);
    return ZL_OK;
}
