/* SPDX-License-Identifier: Apache-2.0 */
/* Who may use the console: users (salted PBKDF2-SHA256 hashes in a users
 * file), API tokens (SHA-256 of the token in a tokens file), a one-time
 * login, and the sessions they open (cookie id + CSRF token).  No default
 * password exists: without users or tokens, the console prints a one-time
 * login instead.
 *
 * Threads: every call is thread-safe (one mutex inside); login hashes run on
 * the caller's thread (an HTTP connection thread, never the loop). */
#ifndef ZL_CONSOLE_AUTH_H
#define ZL_CONSOLE_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "common/err.h"

typedef enum { ZL_ROLE_NONE = 0, ZL_ROLE_VIEWER = 1, ZL_ROLE_ADMIN = 2 } zl_role_t;

const char *zl_role_name(zl_role_t r);      /* "viewer", "admin", "none" */
zl_role_t zl_role_parse(const char *s);     /* ZL_ROLE_NONE if unknown */

typedef struct zl_auth zl_auth_t;

typedef struct {
    const char *users_file;    /* may be NULL/"" (no users) */
    const char *tokens_file;   /* may be NULL/"" */
    int64_t session_ttl_ms;    /* absolute lifetime */
    int64_t session_idle_ms;   /* idle lifetime */
} zl_auth_conf_t;

/* Loads both files (a missing users file = no users; a missing tokens file
 * that is named is an error; a malformed line fails with errstr
 * "file:line: why").  Users lines are name:role:hash, tokens lines
 * name:role:<64 hex digits: sha256 of the token>; names are 1-63 of
 * A-Z a-z 0-9 _ . @ -, roles admin or viewer, lines starting with # and
 * blank lines are skipped.  Both lifetimes must be > 0.  NULL + errstr. */
zl_auth_t *zl_auth_new(const zl_auth_conf_t *conf, char *errstr, size_t n);
void zl_auth_destroy(zl_auth_t *a);

/* Users plus tokens loaded. */
size_t zl_auth_principals(const zl_auth_t *a);

/* Creates a one-time login token (admin, valid once, for ttl_ms from
 * zl_wall_ms(), the clock of the callers' now_ms) and writes it,
 * NUL-terminated, into out (at least 44 bytes: 43 base64url characters).
 * Several may be pending at once. */
zl_err_t zl_auth_one_time(zl_auth_t *a, int64_t ttl_ms, char *out, size_t out_size);
/* The same, valid from now_ms (tests). */
zl_err_t zl_auth_one_time_at(zl_auth_t *a, int64_t now_ms, int64_t ttl_ms, char *out, size_t out_size);

/* What an authenticated request is. */
typedef struct {
    char user[64];
    zl_role_t role;
    char csrf[48];        /* the session's CSRF token; "" for bearer tokens */
    int64_t expires_ms;   /* session: absolute expiry; 0 for bearer tokens */
    bool bearer;          /* true: Authorization: Bearer (no CSRF check) */
} zl_principal_t;

/* Checks a password (constant-time compare, same cost for unknown users) or,
 * when one_time is not NULL, a one-time token (user and password ignored;
 * the principal's user is "one-time-login", role admin; the token is spent)
 * and opens a session: session_id gets the cookie value (43 base64url
 * characters, NUL-terminated; sid_size at least 48), *p the principal.
 * ZL_ERR_DENIED when refused (same code for an unknown user, a wrong
 * password, an unknown, used or expired token), ZL_ERR_INVALID for bad
 * buffers.  At most 10000 sessions: beyond, the oldest one goes. */
zl_err_t zl_auth_login(zl_auth_t *a, const char *user, const char *password, const char *one_time,
                       int64_t now_ms, char *session_id, size_t sid_size, zl_principal_t *p);
/* Closes a session (no-op if unknown). */
void zl_auth_logout(zl_auth_t *a, const char *session_id);

/* Authenticates a request from its headers: cookie header value (may be
 * NULL) carrying zeelos_session=<id>, or authorization header value (may
 * be NULL) "Bearer <token>" (when present, only the bearer token counts).
 * Drops expired sessions (idle or absolute) and refreshes the found one's
 * idle timer.  false when neither authenticates. */
bool zl_auth_check(zl_auth_t *a, const char *cookie_header, const char *authorization, int64_t now_ms,
                   zl_principal_t *p);

/* True when the request may change state: bearer principals always; cookie
 * sessions only when csrf_header equals the session's token (constant time). */
bool zl_auth_csrf_ok(const zl_principal_t *p, const char *csrf_header);

/* The zeelos_session value among the "; "-separated cookies of a Cookie
 * header value (may be NULL) into out (NUL-terminated); false if absent,
 * empty or longer than cap - 1. */
bool zl_auth_cookie_session(const char *cookie_header, char *out, size_t cap);

/* ---- users file management (zeelos console-user) ---------------------- */
/* "$pbkdf2-sha256$<iter>$<salt b64>$<hash b64>" for password: 210000
 * iterations, 16-byte random salt, standard base64 (about 92 characters;
 * out_size 128 is plenty). */
zl_err_t zl_auth_hash_password(const char *password, char *out, size_t out_size);
/* nbytes (1-64) random bytes as base64url without padding into out (at least
 * (4 * nbytes + 2) / 3 + 1 bytes). */
zl_err_t zl_auth_random_token(size_t nbytes, char *out, size_t out_size);
/* True for a valid user name (1-63 of A-Z a-z 0-9 _ . @ -). */
bool zl_auth_name_ok(const char *name);
/* Adds or replaces user in file (created 0600 if missing, with its directory
 * (one level, 0700); other lines are kept verbatim; written to a temporary
 * file in the same directory, mode 0600, and renamed). */
zl_err_t zl_auth_file_set(const char *file, const char *user, zl_role_t role, const char *password,
                          char *errstr, size_t n);
/* Removes user (same rewrite); ZL_ERR_NOT_FOUND if absent or no file. */
zl_err_t zl_auth_file_remove(const char *file, const char *user, char *errstr, size_t n);
/* Prints "name role\n" per user of file (never the hashes); a missing file
 * prints nothing; a malformed one fails like zl_auth_new. */
zl_err_t zl_auth_file_list(const char *file, FILE *out, char *errstr, size_t n);

#endif
