/* SPDX-License-Identifier: Apache-2.0 */
/* The console's authentication (roles/console/auth.c): password hashes
 * (format, round trip, a file written by another tool with other
 * iterations), refused logins (wrong password, unknown user), malformed
 * users and tokens files (line numbers), bearer tokens, the CSRF check,
 * sessions (idle and absolute expiry with explicit clocks, logout, the
 * bounded table), one-time logins (single use, expiry, several pending),
 * Cookie header parsing, users file set/remove/list (0600, other lines kept)
 * and the `zeelos console-user` command (stdin password, --generate). */
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "common/clock.h"
#include "roles/console/auth.h"
#include "test.h"

static char dir[256];

static const char *path(const char *name) {
    static char p[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void write_file(const char *file, const char *text) {
    FILE *f = fopen(file, "w");
    if (!GUARD(f)) return;
    fputs(text, f);
    fclose(f);
}

static char *read_all(const char *file) {
    FILE *f = fopen(file, "r");
    if (!f) return NULL;
    static char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static bool starts(const char *s, const char *prefix) { return !strncmp(s, prefix, strlen(prefix)); }

static void sha256_hex(const char *s, char *out) {
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)s, strlen(s), d);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

static zl_auth_t *open_auth(const char *users, const char *tokens, int64_t ttl, int64_t idle) {
    char err[512] = "";
    zl_auth_conf_t c = {.users_file = users, .tokens_file = tokens, .session_ttl_ms = ttl, .session_idle_ms = idle};
    zl_auth_t *a = zl_auth_new(&c, err, sizeof err);
    if (!a) fprintf(stderr, "zl_auth_new: %s\n", err);
    return a;
}

static void test_roles(void) {
    CHECK_STR(zl_role_name(ZL_ROLE_ADMIN), "admin");
    CHECK_STR(zl_role_name(ZL_ROLE_VIEWER), "viewer");
    CHECK_STR(zl_role_name(ZL_ROLE_NONE), "none");
    CHECK_EQ_INT(zl_role_parse("admin"), ZL_ROLE_ADMIN);
    CHECK_EQ_INT(zl_role_parse("viewer"), ZL_ROLE_VIEWER);
    CHECK_EQ_INT(zl_role_parse("Admin"), ZL_ROLE_NONE);
    CHECK_EQ_INT(zl_role_parse(NULL), ZL_ROLE_NONE);
    CHECK(zl_auth_name_ok("alice.b-c_d@example.org"));
    CHECK(!zl_auth_name_ok(""));
    CHECK(!zl_auth_name_ok("al ice"));
    CHECK(!zl_auth_name_ok("a:b"));
    char n64[65];
    memset(n64, 'a', 64);
    n64[64] = '\0';
    CHECK(!zl_auth_name_ok(n64));
    n64[63] = '\0';
    CHECK(zl_auth_name_ok(n64));
}

static void test_hash_format(void) {
    char h1[128], h2[128];
    CHECK_EQ_INT(zl_auth_hash_password("correct horse", h1, sizeof h1), ZL_OK);
    CHECK_EQ_INT(zl_auth_hash_password("correct horse", h2, sizeof h2), ZL_OK);
    CHECK(!strncmp(h1, "$pbkdf2-sha256$210000$", 22));
    CHECK(strcmp(h1, h2) != 0); /* fresh salt */
    const char *salt = h1 + 22, *d = strchr(salt, '$');
    if (GUARD(d)) {
        CHECK_EQ_INT(d - salt, 24);        /* 16 bytes */
        CHECK_EQ_INT(strlen(d + 1), 44);   /* 32 bytes */
    }
    CHECK_EQ_INT(zl_auth_hash_password("x", h1, 40), ZL_ERR_TOO_LARGE);

    char t[100];
    CHECK_EQ_INT(zl_auth_random_token(32, t, sizeof t), ZL_OK);
    CHECK_EQ_INT(strlen(t), 43);
    CHECK_EQ_INT(strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
    CHECK_EQ_INT(zl_auth_random_token(18, t, sizeof t), ZL_OK);
    CHECK_EQ_INT(strlen(t), 24);
    CHECK_EQ_INT(zl_auth_random_token(32, t, 43), ZL_ERR_INVALID);
}

/* A users file written by hand / another tool: any iteration count and
 * salt length the format allows. */
static void test_foreign_hash(void) {
    unsigned char salt[12] = "saltsaltsalt", h[32];
    PKCS5_PBKDF2_HMAC("pa:ss w0rd", 10, salt, sizeof salt, 1000, EVP_sha256(), 32, h);
    char s64[32], h64[48], line[256];
    EVP_EncodeBlock((unsigned char *)s64, salt, sizeof salt);
    EVP_EncodeBlock((unsigned char *)h64, h, sizeof h);
    snprintf(line, sizeof line, "# made elsewhere\n  carol:viewer:$pbkdf2-sha256$1000$%s$%s  \r\n", s64, h64);
    write_file(path("foreign"), line);
    zl_auth_t *a = open_auth(path("foreign"), NULL, 60000, 60000);
    if (!GUARD(a)) return;
    CHECK_EQ_INT(zl_auth_principals(a), 1);
    char sid[64];
    zl_principal_t p;
    CHECK_EQ_INT(zl_auth_login(a, "carol", "pa:ss w0rd", NULL, 1000, sid, sizeof sid, &p), ZL_OK);
    CHECK_STR(p.user, "carol");
    CHECK_EQ_INT(p.role, ZL_ROLE_VIEWER);
    CHECK_EQ_INT(zl_auth_login(a, "carol", "pa:ss w0rd ", NULL, 1000, sid, sizeof sid, &p), ZL_ERR_DENIED);
    zl_auth_destroy(a);
}

static void test_login(void) {
    char err[512] = "", line[256], hash[128];
    const char *users = path("users");
    unlink(users);
    CHECK_EQ_INT(zl_auth_file_set(users, "alice", ZL_ROLE_ADMIN, "s3cret!", err, sizeof err), ZL_OK);
    CHECK_EQ_INT(zl_auth_hash_password("bobs password", hash, sizeof hash), ZL_OK);
    snprintf(line, sizeof line, "bob:viewer:%s\n", hash);
    FILE *f = fopen(users, "a");
    if (GUARD(f)) {
        fputs(line, f);
        fclose(f);
    }
    zl_auth_t *a = open_auth(users, NULL, 3600000, 600000);
    if (!GUARD(a)) return;
    CHECK_EQ_INT(zl_auth_principals(a), 2);

    char sid[48], sid2[48];
    zl_principal_t p, q;
    int64_t now = 1700000000000;
    CHECK_EQ_INT(zl_auth_login(a, "alice", "s3cret!", NULL, now, sid, sizeof sid, &p), ZL_OK);
    CHECK_EQ_INT(strlen(sid), 43);
    CHECK_STR(p.user, "alice");
    CHECK_EQ_INT(p.role, ZL_ROLE_ADMIN);
    CHECK_EQ_INT(strlen(p.csrf), 43);
    CHECK(strcmp(p.csrf, sid) != 0);
    CHECK_EQ_INT(p.expires_ms, now + 3600000);
    CHECK(!p.bearer);

    CHECK_EQ_INT(zl_auth_login(a, "bob", "bobs password", NULL, now, sid2, sizeof sid2, &q), ZL_OK);
    CHECK_EQ_INT(q.role, ZL_ROLE_VIEWER);
    CHECK(strcmp(sid, sid2) != 0);
    CHECK(strcmp(p.csrf, q.csrf) != 0);

    /* refused: same code for all */
    zl_principal_t r;
    char sid3[48] = "unchanged";
    CHECK_EQ_INT(zl_auth_login(a, "alice", "s3cret", NULL, now, sid3, sizeof sid3, &r), ZL_ERR_DENIED);
    CHECK_STR(sid3, "");
    CHECK_EQ_INT(zl_auth_login(a, "alice", "", NULL, now, sid3, sizeof sid3, &r), ZL_ERR_DENIED);
    CHECK_EQ_INT(zl_auth_login(a, "alice", "bobs password", NULL, now, sid3, sizeof sid3, &r), ZL_ERR_DENIED);
    CHECK_EQ_INT(zl_auth_login(a, "mallory", "s3cret!", NULL, now, sid3, sizeof sid3, &r), ZL_ERR_DENIED);
    CHECK_EQ_INT(zl_auth_login(a, "alice", NULL, NULL, now, sid3, sizeof sid3, &r), ZL_ERR_DENIED);
    CHECK_EQ_INT(zl_auth_login(a, NULL, "s3cret!", NULL, now, sid3, sizeof sid3, &r), ZL_ERR_DENIED);
    CHECK_EQ_INT(zl_auth_login(a, "alice", "s3cret!", NULL, now, sid3, 20, &r), ZL_ERR_INVALID);

    /* the cookie, among others */
    char cookie[256];
    snprintf(cookie, sizeof cookie, "theme=dark; zeelos_session=%s; lang=en", sid);
    CHECK(zl_auth_check(a, cookie, NULL, now + 1, &r));
    CHECK_STR(r.user, "alice");
    CHECK_STR(r.csrf, p.csrf);
    CHECK_EQ_INT(r.expires_ms, p.expires_ms);
    snprintf(cookie, sizeof cookie, "zeelos_session=%s", sid2);
    CHECK(zl_auth_check(a, cookie, NULL, now + 1, &r));
    CHECK_STR(r.user, "bob");
    snprintf(cookie, sizeof cookie, "xzeelos_session=%s", sid2);
    CHECK(!zl_auth_check(a, cookie, NULL, now + 1, &r));
    snprintf(cookie, sizeof cookie, "zeelos_session=%.42s", sid2);
    CHECK(!zl_auth_check(a, cookie, NULL, now + 1, &r));
    CHECK(!zl_auth_check(a, NULL, NULL, now + 1, &r));
    CHECK(!zl_auth_check(a, "zeelos_session=", NULL, now + 1, &r));

    /* CSRF */
    CHECK(zl_auth_csrf_ok(&p, p.csrf));
    CHECK(!zl_auth_csrf_ok(&p, q.csrf));
    CHECK(!zl_auth_csrf_ok(&p, NULL));
    CHECK(!zl_auth_csrf_ok(&p, ""));
    char shorter[48];
    snprintf(shorter, sizeof shorter, "%.42s", p.csrf);
    CHECK(!zl_auth_csrf_ok(&p, shorter));
    zl_principal_t none = {0};
    CHECK(!zl_auth_csrf_ok(&none, ""));

    /* logout ends only that session */
    zl_auth_logout(a, sid);
    snprintf(cookie, sizeof cookie, "zeelos_session=%s", sid);
    CHECK(!zl_auth_check(a, cookie, NULL, now + 2, &r));
    snprintf(cookie, sizeof cookie, "zeelos_session=%s", sid2);
    CHECK(zl_auth_check(a, cookie, NULL, now + 2, &r));
    zl_auth_logout(a, "nonexistent");
    zl_auth_logout(a, NULL);
    zl_auth_destroy(a);
}

static void test_session_expiry(void) {
    char err[256];
    const char *users = path("users-exp");
    unlink(users);
    CHECK_EQ_INT(zl_auth_file_set(users, "ann", ZL_ROLE_VIEWER, "pw", err, sizeof err), ZL_OK);
    zl_auth_t *a = open_auth(users, NULL, 10000, 3000); /* 10 s absolute, 3 s idle */
    if (!GUARD(a)) return;
    char sid[48], cookie[128];
    zl_principal_t p;
    int64_t t0 = 5000;

    /* idle: each request restarts the idle timer */
    CHECK_EQ_INT(zl_auth_login(a, "ann", "pw", NULL, t0, sid, sizeof sid, &p), ZL_OK);
    snprintf(cookie, sizeof cookie, "zeelos_session=%s", sid);
    CHECK(zl_auth_check(a, cookie, NULL, t0 + 2999, &p));
    CHECK(zl_auth_check(a, cookie, NULL, t0 + 5998, &p));
    CHECK(!zl_auth_check(a, cookie, NULL, t0 + 5998 + 3000, &p));
    CHECK(!zl_auth_check(a, cookie, NULL, t0 + 5998 + 1, &p)); /* gone for good */

    /* absolute: used all the time, it still ends at t0 + ttl */
    CHECK_EQ_INT(zl_auth_login(a, "ann", "pw", NULL, t0, sid, sizeof sid, &p), ZL_OK);
    snprintf(cookie, sizeof cookie, "zeelos_session=%s", sid);
    for (int64_t t = t0 + 2000; t < t0 + 10000; t += 2000) CHECK(zl_auth_check(a, cookie, NULL, t, &p));
    CHECK(zl_auth_check(a, cookie, NULL, t0 + 9999, &p));
    CHECK_EQ_INT(p.expires_ms, t0 + 10000);
    CHECK(!zl_auth_check(a, cookie, NULL, t0 + 10000, &p));
    zl_auth_destroy(a);
}

static void test_one_time(void) {
    zl_auth_t *a = open_auth(NULL, "", 60000, 60000);
    if (!GUARD(a)) return;
    CHECK_EQ_INT(zl_auth_principals(a), 0);
    int64_t now = 1000000;
    char t1[44], t2[64], t3[64], sid[48], cookie[128];
    zl_principal_t p;
    CHECK_EQ_INT(zl_auth_one_time_at(a, now, 900000, t1, sizeof t1), ZL_OK);
    CHECK_EQ_INT(strlen(t1), 43);
    CHECK_EQ_INT(zl_auth_one_time_at(a, now, 900000, t2, sizeof t2), ZL_OK);
    CHECK_EQ_INT(zl_auth_one_time_at(a, now, 1000, t3, sizeof t3), ZL_OK);
    CHECK(strcmp(t1, t2) != 0);
    CHECK_EQ_INT(zl_auth_one_time_at(a, now, 1000, t3, 43), ZL_ERR_INVALID);

    /* a pending token is no session */
    snprintf(cookie, sizeof cookie, "zeelos_session=%s", t1);
    CHECK(!zl_auth_check(a, cookie, NULL, now, &p));

    CHECK_EQ_INT(zl_auth_login(a, NULL, NULL, t2, now + 10, sid, sizeof sid, &p), ZL_OK);
    CHECK_STR(p.user, "one-time-login");
    CHECK_EQ_INT(p.role, ZL_ROLE_ADMIN);
    CHECK_EQ_INT(strlen(p.csrf), 43);
    CHECK(strcmp(sid, t2) != 0);
    CHECK_EQ_INT(zl_auth_login(a, NULL, NULL, t2, now + 20, sid, sizeof sid, &p), ZL_ERR_DENIED); /* used */
    snprintf(cookie, sizeof cookie, "zeelos_session=%s", t2);
    CHECK(!zl_auth_check(a, cookie, NULL, now + 20, &p));
    /* the other is still there; the session opened works */
    char sid1[48];
    CHECK_EQ_INT(zl_auth_login(a, "ignored", "ignored", t1, now + 30, sid1, sizeof sid1, &p), ZL_OK);
    snprintf(cookie, sizeof cookie, "a=b; zeelos_session=%s", sid1);
    CHECK(zl_auth_check(a, cookie, NULL, now + 40, &p));
    CHECK_STR(p.user, "one-time-login");
    CHECK_EQ_INT(zl_auth_login(a, NULL, NULL, t1, now + 50, sid, sizeof sid, &p), ZL_ERR_DENIED);
    /* expired, wrong, empty */
    CHECK_EQ_INT(zl_auth_login(a, NULL, NULL, t3, now + 1000, sid, sizeof sid, &p), ZL_ERR_DENIED);
    CHECK_EQ_INT(zl_auth_login(a, NULL, NULL, "nope", now, sid, sizeof sid, &p), ZL_ERR_DENIED);
    CHECK_EQ_INT(zl_auth_login(a, NULL, NULL, "", now, sid, sizeof sid, &p), ZL_ERR_DENIED);

    /* the wall-clock variant */
    char t4[64];
    CHECK_EQ_INT(zl_auth_one_time(a, 60000, t4, sizeof t4), ZL_OK);
    CHECK_EQ_INT(zl_auth_login(a, NULL, NULL, t4, zl_wall_ms(), sid, sizeof sid, &p), ZL_OK);
    zl_auth_destroy(a);
}

/* 10000 entries at most; the oldest session goes first, pending one-time
 * logins only when nothing else is left. */
static void test_bounded(void) {
    char err[256];
    const char *users = path("users-bound");
    unlink(users);
    CHECK_EQ_INT(zl_auth_file_set(users, "u", ZL_ROLE_VIEWER, "pw", err, sizeof err), ZL_OK);
    zl_auth_t *a = open_auth(users, NULL, 3600000, 3600000);
    if (!GUARD(a)) return;
    int64_t now = 1000;
    char sid[48], cookie[128], first[64], tok[64], last[64];
    zl_principal_t p;
    CHECK_EQ_INT(zl_auth_login(a, "u", "pw", NULL, now, sid, sizeof sid, &p), ZL_OK);
    snprintf(cookie, sizeof cookie, "zeelos_session=%s", sid);
    int bad = 0;
    for (int i = 0; i < 9999; i++)
        if (zl_auth_one_time_at(a, now + 1 + i, 3600000, i ? tok : first, 64)) bad++;
    CHECK_EQ_INT(bad, 0);
    CHECK(zl_auth_check(a, cookie, NULL, now + 20000, &p)); /* 10000 entries: still there */
    CHECK_EQ_INT(zl_auth_one_time_at(a, now + 20001, 3600000, last, sizeof last), ZL_OK);
    CHECK(!zl_auth_check(a, cookie, NULL, now + 20002, &p)); /* the session went first */
    CHECK_EQ_INT(zl_auth_one_time_at(a, now + 20003, 3600000, tok, sizeof tok), ZL_OK);
    CHECK_EQ_INT(zl_auth_login(a, NULL, NULL, first, now + 20004, sid, sizeof sid, &p), ZL_ERR_DENIED);
    CHECK_EQ_INT(zl_auth_login(a, NULL, NULL, last, now + 20005, sid, sizeof sid, &p), ZL_OK);
    zl_auth_destroy(a);
}

static void test_bearer(void) {
    char h1[65], h2[65], text[512];
    sha256_hex("token-one-0123456789", h1);
    sha256_hex("token-two-abcdefghij", h2);
    for (char *c = h2; *c; c++)
        if (*c >= 'a' && *c <= 'f') *c = (char)(*c - 'a' + 'A'); /* upper case hex is fine */
    snprintf(text, sizeof text, "# CI\nci:viewer:%s\n\nops:admin:%s\nops:admin:%s\n", h1, h2, h1);
    write_file(path("tokens"), text);
    zl_auth_t *a = open_auth(path("none-such-users"), path("tokens"), 60000, 60000);
    if (!GUARD(a)) return;
    CHECK_EQ_INT(zl_auth_principals(a), 3);
    zl_principal_t p;
    CHECK(zl_auth_check(a, NULL, "Bearer token-two-abcdefghij", 0, &p));
    CHECK_STR(p.user, "ops");
    CHECK_EQ_INT(p.role, ZL_ROLE_ADMIN);
    CHECK(p.bearer);
    CHECK_STR(p.csrf, "");
    CHECK_EQ_INT(p.expires_ms, 0);
    CHECK(zl_auth_csrf_ok(&p, NULL));
    CHECK(zl_auth_check(a, "zeelos_session=zzz", "bearer token-one-0123456789", 0, &p));
    CHECK(p.bearer);
    CHECK_EQ_INT(p.role, ZL_ROLE_ADMIN); /* the same token listed twice: the last line wins */
    CHECK(!zl_auth_check(a, NULL, "Bearer token-one-012345678", 0, &p));
    CHECK(!zl_auth_check(a, NULL, "Bearer ", 0, &p));
    CHECK(!zl_auth_check(a, NULL, "Basic dG9rZW4=", 0, &p));
    CHECK(!zl_auth_check(a, NULL, "token-one-0123456789", 0, &p));
    char sid[48];
    CHECK_EQ_INT(zl_auth_login(a, "ci", "token-one-0123456789", NULL, 0, sid, sizeof sid, &p), ZL_ERR_DENIED);
    zl_auth_destroy(a);
}

static void expect_bad(const char *name, bool users, const char *text, const char *want) {
    char err[512] = "", wantfull[600];
    const char *f = path(name);
    write_file(f, text);
    zl_auth_conf_t c = {.users_file = users ? f : NULL, .tokens_file = users ? NULL : f, .session_ttl_ms = 1,
                        .session_idle_ms = 1};
    zl_auth_t *a = zl_auth_new(&c, err, sizeof err);
    CHECK(a == NULL);
    zl_auth_destroy(a);
    snprintf(wantfull, sizeof wantfull, "%s:%s", f, want);
    if (strncmp(err, wantfull, strlen(wantfull))) {
        CHECK_STR(err, wantfull);
    } else {
        CHECK(1);
    }
    if (users) {
        FILE *out = tmpfile();
        CHECK_EQ_INT(zl_auth_file_list(f, out, err, sizeof err), ZL_ERR_INVALID);
        if (out) fclose(out);
    }
}

static void test_malformed(void) {
    char hash[128], good[256], text[1024];
    CHECK_EQ_INT(zl_auth_hash_password("pw", hash, sizeof hash), ZL_OK);
    snprintf(good, sizeof good, "ok:admin:%s\n", hash);
    const char *salt = hash + 22, *h = strchr(salt, '$') + 1;
    int sl = (int)(h - 1 - salt);

#define BAD(line3, want)                                                                                           \
    do {                                                                                                           \
        snprintf(text, sizeof text, "# users\n%s%s\n", good, line3);                                               \
        expect_bad("bad", true, text, want);                                                                       \
    } while (0)
    char l[512];
    BAD("nocolons", "3: expected name:role:secret");
    BAD("a:admin", "3: expected name:role:secret");
    snprintf(l, sizeof l, "b@d name:admin:%s", hash);
    BAD(l, "3: user names");
    snprintf(l, sizeof l, ":admin:%s", hash);
    BAD(l, "3: user names");
    snprintf(l, sizeof l, "eve:root:%s", hash);
    BAD(l, "3: the role must be admin or viewer");
    snprintf(l, sizeof l, "eve:admin:%s", "plaintext");
    BAD(l, "3: the hash must be");
    snprintf(l, sizeof l, "eve:admin:$pbkdf2-sha1$1000$%.*s$%s", sl, salt, h);
    BAD(l, "3: the hash must be");
    snprintf(l, sizeof l, "eve:admin:$pbkdf2-sha256$10$%.*s$%s", sl, salt, h);
    BAD(l, "3: the iterations");
    snprintf(l, sizeof l, "eve:admin:$pbkdf2-sha256$-5000$%.*s$%s", sl, salt, h);
    BAD(l, "3: the iterations");
    snprintf(l, sizeof l, "eve:admin:$pbkdf2-sha256$$%.*s$%s", sl, salt, h);
    BAD(l, "3: the iterations");
    snprintf(l, sizeof l, "eve:admin:$pbkdf2-sha256$1000$!!!!$%s", h);
    BAD(l, "3: the salt");
    snprintf(l, sizeof l, "eve:admin:$pbkdf2-sha256$1000$%.*s$AAAA", sl, salt);
    BAD(l, "3: the hash must be base64 of 32 bytes");
    snprintf(l, sizeof l, "eve:admin:$pbkdf2-sha256$1000$%.*s$%s$extra", sl, salt, h);
    BAD(l, "3: the hash must be");
    snprintf(l, sizeof l, "ok:viewer:%s", hash);
    BAD(l, "3: user listed twice");
#undef BAD
    char longl[6000];
    memset(longl, 'x', sizeof longl - 1);
    longl[sizeof longl - 1] = '\0';
    snprintf(text, sizeof text, "%s", good);
    char *big = malloc(strlen(good) + sizeof longl + 2);
    if (GUARD(big)) {
        sprintf(big, "%s%s\n", good, longl);
        expect_bad("bad", true, big, "2: line too long");
        free(big);
    }

    char hx[65];
    sha256_hex("t", hx);
    snprintf(text, sizeof text, "a:viewer:%s\n\n\n#\nb:viewer:%.63s\n", hx, hx);
    expect_bad("badtok", false, text, "5: the token digest");
    snprintf(text, sizeof text, "a:viewer:%.63sg\n", hx);
    expect_bad("badtok", false, text, "1: the token digest");
    snprintf(text, sizeof text, "a:nobody:%s\n", hx);
    expect_bad("badtok", false, text, "1: the role");

    /* a missing users file is no users; a missing tokens file named explicitly is an error */
    char err[512] = "";
    zl_auth_conf_t c = {.users_file = path("missing"), .session_ttl_ms = 1, .session_idle_ms = 1};
    zl_auth_t *a = zl_auth_new(&c, err, sizeof err);
    if (GUARD(a)) CHECK_EQ_INT(zl_auth_principals(a), 0);
    zl_auth_destroy(a);
    c = (zl_auth_conf_t){.tokens_file = path("missing"), .session_ttl_ms = 1, .session_idle_ms = 1};
    CHECK(zl_auth_new(&c, err, sizeof err) == NULL);
    CHECK(strstr(err, "missing") != NULL);
    c = (zl_auth_conf_t){.session_ttl_ms = 0, .session_idle_ms = 1};
    CHECK(zl_auth_new(&c, err, sizeof err) == NULL);
}

static void test_cookie_parse(void) {
    char v[48];
    CHECK(zl_auth_cookie_session("zeelos_session=abc", v, sizeof v));
    CHECK_STR(v, "abc");
    CHECK(zl_auth_cookie_session("a=1; zeelos_session=abc; b=2", v, sizeof v));
    CHECK_STR(v, "abc");
    CHECK(zl_auth_cookie_session("a=1;zeelos_session=x-_y", v, sizeof v));
    CHECK_STR(v, "x-_y");
    CHECK(zl_auth_cookie_session("other=zeelos_session=no; zeelos_session=yes ", v, sizeof v));
    CHECK_STR(v, "yes");
    CHECK(zl_auth_cookie_session("my_zeelos_session=no; zeelos_session=yes; zeelos_session=later", v, sizeof v));
    CHECK_STR(v, "yes");
    CHECK(!zl_auth_cookie_session("my_zeelos_session=no", v, sizeof v));
    CHECK(!zl_auth_cookie_session("zeelos_session=; a=b", v, sizeof v));
    CHECK(!zl_auth_cookie_session("zeelos_sessionx=1", v, sizeof v));
    CHECK(!zl_auth_cookie_session("", v, sizeof v));
    CHECK(!zl_auth_cookie_session(NULL, v, sizeof v));
    CHECK(!zl_auth_cookie_session("zeelos_session=0123456789", v, 10)); /* too long for out */
    CHECK(zl_auth_cookie_session("zeelos_session=012345678", v, 10));
}

static void test_file_ops(void) {
    char err[512] = "", f[512];
    snprintf(f, sizeof f, "%s", path("sub/users")); /* the directory is created */
    CHECK_EQ_INT(zl_auth_file_remove(f, "x", err, sizeof err), ZL_ERR_NOT_FOUND);
    CHECK_EQ_INT(zl_auth_file_set(f, "alice", ZL_ROLE_ADMIN, "pw-one-secret", err, sizeof err), ZL_OK);
    struct stat st;
    if (GUARD(stat(f, &st) == 0)) CHECK_EQ_INT(st.st_mode & 0777, 0600);
    if (GUARD(stat(path("sub"), &st) == 0)) CHECK_EQ_INT(st.st_mode & 0777, 0700);

    /* hand-written lines, one without its end of line */
    char *cur = read_all(f), text[4096];
    if (!GUARD(cur)) return;
    snprintf(text, sizeof text, "# console users\n\n%s#  keep me:as:I am\n# no newline at the end", cur);
    write_file(f, text);
    chmod(f, 0644);
    CHECK_EQ_INT(zl_auth_file_set(f, "bob", ZL_ROLE_VIEWER, "pw-two-secret", err, sizeof err), ZL_OK);
    CHECK_EQ_INT(zl_auth_file_set(f, "carol", ZL_ROLE_VIEWER, "pw-three-secret", err, sizeof err), ZL_OK);
    CHECK_EQ_INT(zl_auth_file_set(f, "alice", ZL_ROLE_VIEWER, "pw-four-secret", err, sizeof err), ZL_OK); /* replaced */
    if (GUARD(stat(f, &st) == 0)) CHECK_EQ_INT(st.st_mode & 0777, 0600);
    cur = read_all(f);
    if (GUARD(cur)) {
        CHECK(starts(cur, "# console users\n\n#  keep me:as:I am\n# no newline at the end\nbob:viewer:$pbkdf2-sha256$"));
        CHECK(strstr(cur, "secret") == NULL); /* no password in the file */
    }

    FILE *out = tmpfile();
    if (GUARD(out)) {
        CHECK_EQ_INT(zl_auth_file_list(f, out, err, sizeof err), ZL_OK);
        rewind(out);
        char buf[256] = "";
        size_t n = fread(buf, 1, sizeof buf - 1, out);
        buf[n] = '\0';
        CHECK_STR(buf, "bob viewer\ncarol viewer\nalice viewer\n");
        fclose(out);
    }

    zl_auth_t *a = open_auth(f, NULL, 60000, 60000);
    char sid[48];
    zl_principal_t p;
    if (GUARD(a)) {
        CHECK_EQ_INT(zl_auth_principals(a), 3);
        CHECK_EQ_INT(zl_auth_login(a, "alice", "pw-one-secret", NULL, 0, sid, sizeof sid, &p), ZL_ERR_DENIED);
        CHECK_EQ_INT(zl_auth_login(a, "alice", "pw-four-secret", NULL, 0, sid, sizeof sid, &p), ZL_OK);
        CHECK_EQ_INT(p.role, ZL_ROLE_VIEWER);
        zl_auth_destroy(a);
    }

    CHECK_EQ_INT(zl_auth_file_remove(f, "bob", err, sizeof err), ZL_OK);
    CHECK_EQ_INT(zl_auth_file_remove(f, "bob", err, sizeof err), ZL_ERR_NOT_FOUND);
    CHECK(strstr(err, "bob") != NULL);
    CHECK_EQ_INT(zl_auth_file_remove(f, "bo", err, sizeof err), ZL_ERR_NOT_FOUND); /* no prefix match */
    cur = read_all(f);
    if (GUARD(cur)) {
        CHECK(starts(cur, "# console users\n\n#  keep me:as:I am\n# no newline at the end\ncarol:viewer:"));
        CHECK(strstr(cur, "bob") == NULL);
    }

    /* refused arguments leave the file alone */
    CHECK_EQ_INT(zl_auth_file_set(f, "bad name", ZL_ROLE_ADMIN, "x", err, sizeof err), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_auth_file_set(f, "x", ZL_ROLE_NONE, "x", err, sizeof err), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_auth_file_set(f, "x", ZL_ROLE_ADMIN, "", err, sizeof err), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_auth_file_set(path("no/such/dir/users"), "x", ZL_ROLE_ADMIN, "x", err, sizeof err), ZL_ERR_IO);

    /* no temporary files left behind */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s/sub' | wc -l) -eq 1", dir);
    CHECK_EQ_INT(system(cmd), 0);

    out = tmpfile();
    if (GUARD(out)) {
        CHECK_EQ_INT(zl_auth_file_list(path("missing-list"), out, err, sizeof err), ZL_OK);
        CHECK_EQ_INT(ftell(out), 0);
        fclose(out);
    }
}

/* Runs `zeelos console-user` with stdin from text; its stdout into out. */
static int run_cmd(const char *const *args, const char *text, char *out, size_t cap) {
    char *argv[12];
    int argc = 0;
    for (; args[argc]; argc++) argv[argc] = (char *)args[argc];
    argv[argc] = NULL;
    write_file(path("stdin"), text);
    fflush(stdout);
    int in = open(path("stdin"), O_RDONLY), o = open(path("stdout"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int save_in = dup(0), save_out = dup(1);
    __fpurge(stdin);
    clearerr(stdin);
    dup2(in, 0);
    dup2(o, 1);
    int rc = zl_cmd_console_user(argc, argv, NULL);
    fflush(stdout);
    __fpurge(stdin);
    dup2(save_in, 0);
    dup2(save_out, 1);
    close(in);
    close(o);
    close(save_in);
    close(save_out);
    clearerr(stdin);
    const char *r = read_all(path("stdout"));
    snprintf(out, cap, "%s", r ? r : "");
    return rc;
}

static void test_command(void) {
    char out[512], f[512];
    snprintf(f, sizeof f, "%s", path("cmd-users"));
    unlink(f);
    CHECK_EQ_INT(run_cmd((const char *[]){"console-user", "add", "dora", "--role", "admin", "--file", f, NULL},
                         "from stdin\nsecond line\n", out, sizeof out), 0);
    CHECK_STR(out, "");
    CHECK_EQ_INT(run_cmd((const char *[]){"console-user", "add", "ed", "--generate", "--file", f, NULL}, "", out,
                         sizeof out), 0);
    CHECK_EQ_INT(strlen(out), 25); /* 18 bytes base64url + "\n" */
    char gen[32];
    snprintf(gen, sizeof gen, "%.24s", out);
    CHECK_EQ_INT(run_cmd((const char *[]){"console-user", "list", "--file", f, NULL}, "", out, sizeof out), 0);
    CHECK_STR(out, "dora admin\ned viewer\n");
    zl_auth_t *a = open_auth(f, NULL, 60000, 60000);
    char sid[48];
    zl_principal_t p;
    if (GUARD(a)) {
        CHECK_EQ_INT(zl_auth_login(a, "dora", "from stdin", NULL, 0, sid, sizeof sid, &p), ZL_OK);
        CHECK_EQ_INT(p.role, ZL_ROLE_ADMIN);
        CHECK_EQ_INT(zl_auth_login(a, "ed", gen, NULL, 0, sid, sizeof sid, &p), ZL_OK);
        zl_auth_destroy(a);
    }
    CHECK_EQ_INT(run_cmd((const char *[]){"console-user", "remove", "ed", "--file", f, NULL}, "", out, sizeof out), 0);
    CHECK_EQ_INT(run_cmd((const char *[]){"console-user", "remove", "ed", "--file", f, NULL}, "", out, sizeof out), 1);
    CHECK_EQ_INT(run_cmd((const char *[]){"console-user", "add", "x", "--file", f, NULL}, "", out, sizeof out), 2);
    CHECK_EQ_INT(run_cmd((const char *[]){"console-user", "add", "x", "--role", "root", "--file", f, NULL}, "pw\n",
                         out, sizeof out), 2);
    CHECK_EQ_INT(run_cmd((const char *[]){"console-user", "frob", NULL}, "", out, sizeof out), 2);
    CHECK_EQ_INT(run_cmd((const char *[]){"console-user", "list", "extra", NULL}, "", out, sizeof out), 2);
    setenv("ZEELOS_CONSOLE_USERS", f, 1);
    CHECK_EQ_INT(run_cmd((const char *[]){"console-user", "list", NULL}, "", out, sizeof out), 0);
    CHECK_STR(out, "dora admin\n");
    unsetenv("ZEELOS_CONSOLE_USERS");
    /* else where the console looks */
    unsetenv("ZEELOS_CONSOLE_USERS_FILE");
    setenv("ZEELOS_CONSOLE_STATE_DIR", path("state"), 1);
    CHECK_EQ_INT(run_cmd((const char *[]){"console-user", "add", "fay", NULL}, "pw\n", out, sizeof out), 0);
    CHECK(access(path("state/users"), R_OK) == 0);
    setenv("ZEELOS_CONSOLE_USERS_FILE", f, 1);
    CHECK_EQ_INT(run_cmd((const char *[]){"console-user", "list", NULL}, "", out, sizeof out), 0);
    CHECK_STR(out, "dora admin\n");
    unsetenv("ZEELOS_CONSOLE_USERS_FILE");
    unsetenv("ZEELOS_CONSOLE_STATE_DIR");
}

int main(void) {
    snprintf(dir, sizeof dir, "%s/zl-auth-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_roles();
    test_hash_format();
    test_foreign_hash();
    test_login();
    test_session_expiry();
    test_one_time();
    test_bounded();
    test_bearer();
    test_malformed();
    test_cookie_parse();
    test_file_ops();
    test_command();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) fprintf(stderr, "cannot remove %s\n", dir);
    TEST_MAIN_END();
}
