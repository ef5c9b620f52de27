/* SPDX-License-Identifier: Apache-2.0 */
/* Users, tokens, one-time logins and sessions of `zeelos console`.
 *
 * Why PBKDF2-HMAC-SHA256 with 210,000 iterations: it is in OpenSSL (no new
 * dependency), OWASP's figure for it, and slow enough (~0.1 s here) that a
 * stolen users file is costly to attack while a login stays quick.  Tokens
 * are long random strings, so one SHA-256 suffices for them.  Every secret
 * is compared in constant time and never logged (this file logs nothing).
 *
 * State: the users and tokens tables are read-only after zl_auth_new, so the
 * slow hash of a login runs without the lock; the sessions table (sessions
 * and pending one-time logins) is guarded by mu. */
#include "roles/console/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"

#define ITERATIONS 210000
#define MIN_ITERATIONS 1000
#define MAX_ITERATIONS 10000000
#define SALT_LEN 16
#define HASH_LEN 32
#define SECRET_BYTES 32 /* session ids, CSRF tokens, one-time logins: 43 base64url characters */
#define MAX_SESSIONS 10000
#define MAX_LINE 4096
#define ONE_TIME_USER "one-time-login"
#define COOKIE_NAME "zeelos_session"

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
    bool one_time;   /* a one-time login not yet used (id is the token) */
    int64_t created; /* ms */
    int64_t used;    /* last request, ms (idle timer) */
    int64_t expires; /* absolute expiry, ms */
} session_t;

struct zl_auth {
    pthread_mutex_t mu;
    user_t *users; /* read-only after load */
    size_t n_users;
    token_t *tokens; /* read-only after load */
    size_t n_tokens;
    session_t *sessions; /* under mu: sessions and pending one-time logins */
    size_t n_sessions, cap_sessions;
    int64_t ttl, idle;
};

const char *zl_role_name(zl_role_t r) {
    return r == ZL_ROLE_ADMIN ? "admin" : r == ZL_ROLE_VIEWER ? "viewer" : "none";
}

zl_role_t zl_role_parse(const char *s) {
    return !s ? ZL_ROLE_NONE : !strcmp(s, "admin") ? ZL_ROLE_ADMIN : !strcmp(s, "viewer") ? ZL_ROLE_VIEWER : ZL_ROLE_NONE;
}

/* ---- encodings ------------------------------------------------------------ */

static size_t b64_encode(const unsigned char *p, size_t n, char *out) {
    return (size_t)EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

/* Decodes standard base64 with padding into out (cap bytes); -1 on error. */
static long b64_decode(const char *s, unsigned char *out, size_t cap) {
    size_t l = strlen(s);
    if (l == 0 || l % 4 || l / 4 * 3 > cap) return -1;
    for (size_t i = 0; i < l; i++) /* EVP_DecodeBlock would skip blanks */
        if (s[i] == ' ' || s[i] == '\t') return -1;
    int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)l);
    if (n < 0) return -1;
    if (s[l - 1] == '=') n--;
    if (s[l - 2] == '=') n--;
    return n;
}

zl_err_t zl_auth_random_token(size_t nbytes, char *out, size_t out_size) {
    unsigned char b[64];
    char tmp[100];
    if (nbytes == 0 || nbytes > sizeof b || out_size < (nbytes * 4 + 2) / 3 + 1) return ZL_ERR_INVALID;
    if (RAND_bytes(b, (int)nbytes) != 1) return ZL_ERR_IO;
    size_t l = b64_encode(b, nbytes, tmp), j = 0;
    for (size_t i = 0; i < l && tmp[i] != '='; i++) out[j++] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
    out[j] = '\0';
    OPENSSL_cleanse(b, sizeof b);
    OPENSSL_cleanse(tmp, sizeof tmp);
    return ZL_OK;
}

bool zl_auth_name_ok(const char *s) {
    size_t l = s ? strlen(s) : 0;
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
    char s64[32], h64[48];
    if (!password) return ZL_ERR_INVALID;
    if (RAND_bytes(salt, sizeof salt) != 1 || !pbkdf2(password, salt, sizeof salt, ITERATIONS, hash))
        return ZL_ERR_IO;
    b64_encode(salt, sizeof salt, s64);
    b64_encode(hash, sizeof hash, h64);
    OPENSSL_cleanse(hash, sizeof hash);
    int k = snprintf(out, out_size, "$pbkdf2-sha256$%u$%s$%s", ITERATIONS, s64, h64);
    OPENSSL_cleanse(h64, sizeof h64);
    if (k > 0 && (size_t)k < out_size) return ZL_OK;
    if (out && out_size) OPENSSL_cleanse(out, out_size);
    return ZL_ERR_TOO_LARGE;
}

/* ---- files ------------------------------------------------------------------ */

/* "name:role:rest" of a line (NUL-terminated, modified in place); NULL or why not. */
static const char *split_line(char *line, char **name, zl_role_t *role, char **rest) {
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) return "expected name:role:secret";
    *c1 = *c2 = '\0';
    *name = line;
    *rest = c2 + 1;
    if (!zl_auth_name_ok(line)) return "user names are 1-63 of A-Z a-z 0-9 _ . @ -";
    if ((*role = zl_role_parse(c1 + 1)) == ZL_ROLE_NONE) return "the role must be admin or viewer";
    return NULL;
}

#define HASH_FORMAT "the hash must be $pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>"

static const char *parse_hash(char *s, user_t *u) {
    if (strncmp(s, "$pbkdf2-sha256$", 15)) return HASH_FORMAT;
    char *it = s + 15, *d1 = strchr(it, '$'), *d2 = d1 ? strchr(d1 + 1, '$') : NULL;
    if (!d2 || strchr(d2 + 1, '$')) return HASH_FORMAT;
    *d1 = *d2 = '\0';
    char *end;
    errno = 0;
    unsigned long iter = strtoul(it, &end, 10);
    if (!*it || *end || *it < '0' || *it > '9' || errno || iter < MIN_ITERATIONS || iter > MAX_ITERATIONS)
        return "the iterations must be 1000 to 10000000";
    long sl = b64_decode(d1 + 1, u->salt, sizeof u->salt);
    if (sl < 8) return "the salt must be base64 of 8 to 48 bytes";
    unsigned char h[66];
    if (b64_decode(d2 + 1, h, sizeof h) != HASH_LEN) return "the hash must be base64 of 32 bytes";
    memcpy(u->hash, h, HASH_LEN);
    OPENSSL_cleanse(h, sizeof h);
    u->salt_len = (size_t)sl;
    u->iter = (unsigned)iter;
    return NULL;
}

static const char *parse_digest(const char *s, unsigned char *d) {
    size_t n = 0;
    bool ok = strlen(s) == 2 * SHA256_DIGEST_LENGTH &&
              OPENSSL_hexstr2buf_ex(d, SHA256_DIGEST_LENGTH, &n, s, '\0') == 1 && n == SHA256_DIGEST_LENGTH;
    ERR_clear_error();
    return ok ? NULL : "the token digest must be 64 hex digits (sha256 of the token)";
}

/* A line without its end of line and leading blanks; NULL for comments and
 * blank lines. */
static char *content(char *line) {
    line[strcspn(line, "\r\n")] = '\0';
    while (*line == ' ' || *line == '\t') line++;
    size_t l = strlen(line);
    while (l && (line[l - 1] == ' ' || line[l - 1] == '\t')) line[--l] = '\0';
    return *line && *line != '#' ? line : NULL;
}

/* Reads a users (users=true) or tokens file into a's tables.  A missing users
 * file is no users; a missing tokens file (named explicitly) is an error. */
static zl_err_t load(const char *file, bool users, zl_auth_t *a, char *errstr, size_t n) {
    FILE *f = fopen(file, "re");
    if (!f) {
        if (errno == ENOENT && users) return ZL_OK;
        return zl_err_fmt(errstr, n, ZL_ERR_IO, "%s: %s", file, strerror(errno));
    }
    char line[MAX_LINE];
    unsigned no = 0;
    const char *why = NULL;
    while (!why && fgets(line, sizeof line, f)) {
        no++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n' && !feof(f)) {
            why = "line too long";
            break;
        }
        char *p = content(line), *name, *rest;
        if (!p) continue;
        zl_role_t role = ZL_ROLE_NONE;
        if ((why = split_line(p, &name, &role, &rest))) break;
        if (users) {
            user_t u = {0};
            if ((why = parse_hash(rest, &u))) break;
            for (size_t i = 0; i < a->n_users && !why; i++)
                if (!strcmp(a->users[i].name, name)) why = "user listed twice";
            user_t *v = why ? NULL : realloc(a->users, (a->n_users + 1) * sizeof *v);
            if (!why && !v) why = "out of memory";
            if (why) break;
            snprintf(u.name, sizeof u.name, "%s", name);
            u.role = role;
            a->users = v;
            a->users[a->n_users++] = u;
            OPENSSL_cleanse(&u, sizeof u);
        } else { /* a name may have several tokens */
            token_t t = {0};
            if ((why = parse_digest(rest, t.digest))) break;
            token_t *v = realloc(a->tokens, (a->n_tokens + 1) * sizeof *v);
            if (!v) {
                why = "out of memory";
                break;
            }
            snprintf(t.name, sizeof t.name, "%s", name);
            t.role = role;
            a->tokens = v;
            a->tokens[a->n_tokens++] = t;
        }
    }
    bool rerr = !why && ferror(f);
    OPENSSL_cleanse(line, sizeof line);
    fclose(f);
    if (why) return zl_err_fmt(errstr, n, ZL_ERR_INVALID, "%s:%u: %s", file, no, why);
    if (rerr) return zl_err_fmt(errstr, n, ZL_ERR_IO, "%s: read error", file);
    return ZL_OK;
}

static void free_tables(zl_auth_t *a) {
    if (a->users) OPENSSL_cleanse(a->users, a->n_users * sizeof *a->users);
    if (a->tokens) OPENSSL_cleanse(a->tokens, a->n_tokens * sizeof *a->tokens);
    free(a->users);
    free(a->tokens);
    a->users = NULL;
    a->tokens = NULL;
    a->n_users = a->n_tokens = 0;
}

zl_auth_t *zl_auth_new(const zl_auth_conf_t *conf, char *errstr, size_t n) {
    if (!conf) {
        zl_err_fmt(errstr, n, ZL_ERR_INVALID, "no auth configuration");
        return NULL;
    }
    if (conf->session_ttl_ms <= 0 || conf->session_idle_ms <= 0) {
        zl_err_fmt(errstr, n, ZL_ERR_INVALID, "the session lifetimes must be positive");
        return NULL;
    }
    zl_auth_t *a = calloc(1, sizeof *a);
    if (!a) {
        zl_err_fmt(errstr, n, ZL_ERR_NOMEM, "out of memory");
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
    free_tables(a);
    if (a->sessions) OPENSSL_cleanse(a->sessions, a->cap_sessions * sizeof *a->sessions);
    free(a->sessions);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

size_t zl_auth_principals(const zl_auth_t *a) { return a->n_users + a->n_tokens; }

/* ---- sessions (under mu) ---------------------------------------------------- */

static void drop(zl_auth_t *a, size_t i) {
    a->sessions[i] = a->sessions[--a->n_sessions];
    OPENSSL_cleanse(&a->sessions[a->n_sessions], sizeof *a->sessions);
}

static void expire(zl_auth_t *a, int64_t now) {
    for (size_t i = a->n_sessions; i-- > 0;) {
        const session_t *s = &a->sessions[i];
        if (now >= s->expires || (!s->one_time && now - s->used >= a->idle)) drop(a, i);
    }
}

/* A zeroed slot; when the table is full, the oldest session goes (a pending
 * one-time login only when nothing else is left). */
static session_t *add_session(zl_auth_t *a) {
    if (a->n_sessions >= MAX_SESSIONS) {
        size_t old = SIZE_MAX;
        for (size_t i = 0; i < a->n_sessions; i++) {
            const session_t *s = &a->sessions[i];
            if (old == SIZE_MAX || (a->sessions[old].one_time && !s->one_time) ||
                (a->sessions[old].one_time == s->one_time && s->created < a->sessions[old].created))
                old = i;
        }
        drop(a, old);
    }
    if (a->n_sessions == a->cap_sessions) {
        size_t cap = a->cap_sessions ? a->cap_sessions * 2 : 16;
        if (cap > MAX_SESSIONS) cap = MAX_SESSIONS;
        session_t *v = realloc(a->sessions, cap * sizeof *v);
        if (!v) return NULL;
        a->sessions = v;
        a->cap_sessions = cap;
    }
    session_t *s = &a->sessions[a->n_sessions++];
    memset(s, 0, sizeof *s);
    return s;
}

static bool eq_secret(const char *x, const char *y) {
    size_t lx = strlen(x), ly = strlen(y);
    return lx == ly && CRYPTO_memcmp(x, y, lx) == 0;
}

/* The session (not a pending one-time login) with this id, or NULL. */
static session_t *find_session(zl_auth_t *a, const char *id) {
    for (size_t i = 0; i < a->n_sessions; i++)
        if (!a->sessions[i].one_time && eq_secret(a->sessions[i].id, id)) return &a->sessions[i];
    return NULL;
}

zl_err_t zl_auth_one_time_at(zl_auth_t *a, int64_t now_ms, int64_t ttl_ms, char *out, size_t out_size) {
    char tok[48];
    if (!out || out_size < 44 || ttl_ms <= 0) return ZL_ERR_INVALID;
    zl_err_t e = zl_auth_random_token(SECRET_BYTES, tok, sizeof tok);
    if (e) return e;
    pthread_mutex_lock(&a->mu);
    session_t *s = add_session(a);
    if (s) {
        memcpy(s->id, tok, sizeof s->id);
        snprintf(s->user, sizeof s->user, ONE_TIME_USER);
        s->role = ZL_ROLE_ADMIN;
        s->one_time = true;
        s->created = s->used = now_ms;
        s->expires = now_ms + ttl_ms;
    }
    pthread_mutex_unlock(&a->mu);
    if (s) snprintf(out, out_size, "%s", tok);
    OPENSSL_cleanse(tok, sizeof tok);
    return s ? ZL_OK : ZL_ERR_NOMEM;
}

zl_err_t zl_auth_one_time(zl_auth_t *a, int64_t ttl_ms, char *out, size_t out_size) {
    return zl_auth_one_time_at(a, zl_wall_ms(), ttl_ms, out, out_size);
}

/* Fills s as a fresh session (new id and CSRF token). */
static bool open_session(zl_auth_t *a, session_t *s, const char *user, zl_role_t role, int64_t now) {
    if (zl_auth_random_token(SECRET_BYTES, s->id, sizeof s->id) || zl_auth_random_token(SECRET_BYTES, s->csrf, sizeof s->csrf))
        return false;
    snprintf(s->user, sizeof s->user, "%s", user);
    s->role = role;
    s->one_time = false;
    s->created = s->used = now;
    s->expires = now + a->ttl;
    return true;
}

static void fill(const session_t *s, zl_principal_t *p) {
    memset(p, 0, sizeof *p);
    snprintf(p->user, sizeof p->user, "%s", s->user);
    p->role = s->role;
    snprintf(p->csrf, sizeof p->csrf, "%s", s->csrf);
    p->expires_ms = s->expires;
}

static zl_err_t login_one_time(zl_auth_t *a, const char *token, int64_t now, char *sid, size_t sid_size,
                               zl_principal_t *p) {
    zl_err_t e = ZL_ERR_DENIED;
    pthread_mutex_lock(&a->mu);
    expire(a, now);
    for (size_t i = 0; i < a->n_sessions; i++) {
        session_t *s = &a->sessions[i];
        if (!s->one_time || !eq_secret(s->id, token)) continue;
        /* the slot becomes the session: the token is gone either way */
        if (!open_session(a, s, ONE_TIME_USER, ZL_ROLE_ADMIN, now)) {
            drop(a, i);
            e = ZL_ERR_IO;
        } else {
            snprintf(sid, sid_size, "%s", s->id);
            fill(s, p);
            e = ZL_OK;
        }
        break;
    }
    pthread_mutex_unlock(&a->mu);
    return e;
}

zl_err_t zl_auth_login(zl_auth_t *a, const char *user, const char *password, const char *one_time,
                       int64_t now_ms, char *session_id, size_t sid_size, zl_principal_t *p) {
    if (!session_id || sid_size < 44 || !p) return ZL_ERR_INVALID;
    *session_id = '\0';
    if (one_time) return login_one_time(a, one_time, now_ms, session_id, sid_size, p);
    if (!user || !password) return ZL_ERR_DENIED;
    /* the users table is read-only after load: the slow hash runs without the
     * lock, and an unknown name costs one hash of a dummy too */
    const user_t *u = NULL;
    for (size_t i = 0; i < a->n_users; i++)
        if (!strcmp(a->users[i].name, user)) u = &a->users[i];
    static const unsigned char dummy_salt[SALT_LEN] = {0x7a, 0x65, 0x65, 0x6c, 0x6f, 0x73};
    unsigned char h[HASH_LEN];
    bool ok = u ? pbkdf2(password, u->salt, u->salt_len, u->iter, h) && CRYPTO_memcmp(h, u->hash, HASH_LEN) == 0
                : (pbkdf2(password, dummy_salt, sizeof dummy_salt, ITERATIONS, h), false);
    OPENSSL_cleanse(h, sizeof h);
    if (!ok) return ZL_ERR_DENIED;
    zl_err_t e = ZL_OK;
    pthread_mutex_lock(&a->mu);
    expire(a, now_ms);
    session_t *s = add_session(a);
    if (!s) {
        e = ZL_ERR_NOMEM;
    } else if (!open_session(a, s, u->name, u->role, now_ms)) {
        drop(a, a->n_sessions - 1);
        e = ZL_ERR_IO;
    } else {
        snprintf(session_id, sid_size, "%s", s->id);
        fill(s, p);
    }
    pthread_mutex_unlock(&a->mu);
    return e;
}

void zl_auth_logout(zl_auth_t *a, const char *session_id) {
    if (!session_id || !*session_id) return;
    pthread_mutex_lock(&a->mu);
    session_t *s = find_session(a, session_id);
    if (s) drop(a, (size_t)(s - a->sessions));
    pthread_mutex_unlock(&a->mu);
}

bool zl_auth_cookie_session(const char *h, char *out, size_t cap) {
    static const char key[] = COOKIE_NAME "=";
    if (!out || !cap) return false;
    *out = '\0';
    for (const char *c = h; c && *c;) {
        c += strspn(c, " \t;");
        size_t n = strcspn(c, ";");
        if (!strncmp(c, key, sizeof key - 1)) {
            const char *v = c + sizeof key - 1;
            size_t l = n - (sizeof key - 1);
            while (l && (v[l - 1] == ' ' || v[l - 1] == '\t')) l--;
            if (l == 0 || l >= cap) return false;
            memcpy(out, v, l);
            out[l] = '\0';
            return true;
        }
        c += n;
    }
    return false;
}

static bool check_bearer(const zl_auth_t *a, const char *tok, zl_principal_t *p) {
    while (*tok == ' ') tok++;
    size_t l = strlen(tok);
    while (l && (tok[l - 1] == ' ' || tok[l - 1] == '\t')) l--;
    if (!l) return false;
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)tok, l, d);
    const token_t *found = NULL;
    for (size_t i = 0; i < a->n_tokens; i++) /* no early exit */
        if (CRYPTO_memcmp(d, a->tokens[i].digest, sizeof d) == 0) found = &a->tokens[i];
    OPENSSL_cleanse(d, sizeof d);
    if (!found) return false;
    memset(p, 0, sizeof *p);
    snprintf(p->user, sizeof p->user, "%s", found->name);
    p->role = found->role;
    p->bearer = true;
    return true;
}

bool zl_auth_check(zl_auth_t *a, const char *cookie_header, const char *authorization, int64_t now_ms,
                   zl_principal_t *p) {
    if (!p) return false;
    if (authorization && !strncasecmp(authorization, "Bearer ", 7)) return check_bearer(a, authorization + 7, p);
    char sid[64];
    if (!zl_auth_cookie_session(cookie_header, sid, sizeof sid)) return false;
    pthread_mutex_lock(&a->mu);
    expire(a, now_ms);
    session_t *s = find_session(a, sid);
    if (s) {
        s->used = now_ms;
        fill(s, p);
    }
    pthread_mutex_unlock(&a->mu);
    OPENSSL_cleanse(sid, sizeof sid);
    return s != NULL;
}

bool zl_auth_csrf_ok(const zl_principal_t *p, const char *csrf_header) {
    if (!p || p->role == ZL_ROLE_NONE) return false;
    if (p->bearer) return true;
    return csrf_header && *p->csrf && eq_secret(p->csrf, csrf_header);
}

/* ---- the users file ------------------------------------------------------------ */

/* True when line (as in the file) is user's entry. */
static bool is_user_line(const char *line, const char *user) {
    while (*line == ' ' || *line == '\t') line++;
    size_t ul = strlen(user);
    return !strncmp(line, user, ul) && line[ul] == ':';
}

/* Rewrites file without user's line, adding line (if not NULL) at the end:
 * other lines are copied as they are, into a temporary file (0600) in the
 * same directory renamed over file.  A missing directory (one level) is
 * created 0700. */
static zl_err_t rewrite(const char *file, const char *user, const char *line, bool *found, char *errstr, size_t n) {
    *found = false;
    size_t fl = strlen(file);
    if (!fl || fl > 4000) return zl_err_fmt(errstr, n, ZL_ERR_INVALID, "bad users file name");
    char dir[4100], tmp[4100], copy[4100];
    memcpy(copy, file, fl + 1);
    snprintf(dir, sizeof dir, "%s", dirname(copy));
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", file);
    FILE *in = fopen(file, "re");
    if (!in && errno != ENOENT) return zl_err_fmt(errstr, n, ZL_ERR_IO, "%s: %s", file, strerror(errno));
    if (!in && mkdir(dir, 0700) && errno != EEXIST)
        return zl_err_fmt(errstr, n, ZL_ERR_IO, "%s: %s", dir, strerror(errno));
    int fd = mkstemp(tmp); /* 0600 */
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!out) {
        zl_err_t e = zl_err_fmt(errstr, n, ZL_ERR_IO, "%s: %s", fd >= 0 ? tmp : file, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        if (in) fclose(in);
        return e;
    }
    char *buf = NULL;
    size_t bcap = 0;
    ssize_t got;
    bool nl = true, rerr = false;
    while (in && (got = getline(&buf, &bcap, in)) > 0) {
        if (is_user_line(buf, user)) {
            *found = true;
            continue;
        }
        fwrite(buf, 1, (size_t)got, out);
        nl = buf[got - 1] == '\n';
    }
    if (in) {
        rerr = ferror(in);
        fclose(in);
    }
    if (buf) OPENSSL_cleanse(buf, bcap);
    free(buf);
    if (!line && !*found && !rerr) { /* nothing to remove: the file stays as it is */
        fclose(out);
        unlink(tmp);
        return ZL_OK;
    }
    if (line) fprintf(out, "%s%s\n", nl ? "" : "\n", line);
    bool werr = fflush(out) || fsync(fileno(out));
    if (fclose(out)) werr = true;
    if (rerr || werr || rename(tmp, file)) {
        zl_err_t e = zl_err_fmt(errstr, n, ZL_ERR_IO, "cannot %s %s: %s", rerr ? "read" : "write", file,
                                rerr ? "read error" : strerror(errno));
        unlink(tmp);
        return e;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* the rename survives a crash */
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return ZL_OK;
}

zl_err_t zl_auth_file_set(const char *file, const char *user, zl_role_t role, const char *password, char *errstr,
                          size_t n) {
    if (!file || !*file) return zl_err_fmt(errstr, n, ZL_ERR_INVALID, "no users file");
    if (!zl_auth_name_ok(user))
        return zl_err_fmt(errstr, n, ZL_ERR_INVALID, "user names are 1-63 of A-Z a-z 0-9 _ . @ -");
    if (role != ZL_ROLE_ADMIN && role != ZL_ROLE_VIEWER)
        return zl_err_fmt(errstr, n, ZL_ERR_INVALID, "the role must be admin or viewer");
    if (!password || !*password) return zl_err_fmt(errstr, n, ZL_ERR_INVALID, "empty password");
    char hash[128], line[256];
    if (zl_auth_hash_password(password, hash, sizeof hash))
        return zl_err_fmt(errstr, n, ZL_ERR_IO, "cannot hash the password");
    snprintf(line, sizeof line, "%s:%s:%s", user, zl_role_name(role), hash);
    bool found;
    zl_err_t e = rewrite(file, user, line, &found, errstr, n);
    OPENSSL_cleanse(hash, sizeof hash);
    OPENSSL_cleanse(line, sizeof line);
    return e;
}

zl_err_t zl_auth_file_remove(const char *file, const char *user, char *errstr, size_t n) {
    if (!file || !*file) return zl_err_fmt(errstr, n, ZL_ERR_INVALID, "no users file");
    if (!zl_auth_name_ok(user))
        return zl_err_fmt(errstr, n, ZL_ERR_INVALID, "user names are 1-63 of A-Z a-z 0-9 _ . @ -");
    if (access(file, F_OK)) return zl_err_fmt(errstr, n, ZL_ERR_NOT_FOUND, "%s: no user %s", file, user);
    bool found = false;
    zl_err_t e = rewrite(file, user, NULL, &found, errstr, n);
    if (!e && !found) return zl_err_fmt(errstr, n, ZL_ERR_NOT_FOUND, "%s: no user %s", file, user);
    return e;
}

zl_err_t zl_auth_file_list(const char *file, FILE *out, char *errstr, size_t n) {
    if (!file || !*file) return zl_err_fmt(errstr, n, ZL_ERR_INVALID, "no users file");
    zl_auth_t a = {0};
    zl_err_t e = load(file, true, &a, errstr, n);
    for (size_t i = 0; !e && i < a.n_users; i++) fprintf(out, "%s %s\n", a.users[i].name, zl_role_name(a.users[i].role));
    free_tables(&a);
    return e;
}
