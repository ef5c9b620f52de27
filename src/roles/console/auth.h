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

/* Loads both files (a missing users file = no users; a malformed line fails
 * with errstr "file:line: why").  NULL + errstr. */
zl_auth_t *zl_auth_new(const zl_auth_conf_t *conf, char *errstr, size_t n);
void zl_auth_destroy(zl_auth_t *a);

/* Users plus tokens loaded. */
size_t zl_auth_principals(const zl_auth_t *a);

/* Creates a one-time login token (admin, valid once, for ttl_ms) and writes
 * it, NUL-terminated, into out (at least 44 bytes). */
zl_err_t zl_auth_one_time(zl_auth_t *a, int64_t ttl_ms, char *out, size_t out_size);

/* What an authenticated request is. */
typedef struct {
    char user[64];
    zl_role_t role;
    char csrf[48];        /* the session's CSRF token; "" for bearer tokens */
    int64_t expires_ms;   /* session: absolute expiry; 0 for bearer tokens */
    bool bearer;          /* true: Authorization: Bearer (no CSRF check) */
} zl_principal_t;

/* Checks a password (constant-time compare, same cost for unknown users) or
 * a one-time token (user == NULL) and opens a session: *session_id gets
 * the cookie value (NUL-terminated, at least 48 bytes), *p the principal.
 * ZL_ERR_AUTH (or the project's closest code) when refused. */
zl_err_t zl_auth_login(zl_auth_t *a, const char *user, const char *password, const char *one_time,
                       int64_t now_ms, char *session_id, size_t sid_size, zl_principal_t *p);
/* Closes a session (no-op if unknown). */
void zl_auth_logout(zl_auth_t *a, const char *session_id);

/* Authenticates a request from its headers: cookie header value (may be
 * NULL) carrying zeelos_session=<id>, or authorization header value (may
 * be NULL) "Bearer <token>".  Refreshes the session's idle timer.  false when
 * neither authenticates. */
bool zl_auth_check(zl_auth_t *a, const char *cookie_header, const char *authorization, int64_t now_ms,
                   zl_principal_t *p);

/* True when the request may change state: bearer principals always; cookie
 * sessions only when csrf_header equals the session's token (constant time). */
bool zl_auth_csrf_ok(const zl_principal_t *p, const char *csrf_header);

/* ---- users file management (zeelos console-user) ---------------------- */
/* "$pbkdf2-sha256$<iter>$<salt b64>$<hash b64>" for password, fresh salt. */
zl_err_t zl_auth_hash_password(const char *password, char *out, size_t out_size);
/* Adds or replaces user in file (created 0600 if missing; written to a
 * temporary file and renamed). */
zl_err_t zl_auth_file_set(const char *file, const char *user, zl_role_t role, const char *password,
                          char *errstr, size_t n);
/* Removes user; ZL_ERR_NOT_FOUND if absent. */
zl_err_t zl_auth_file_remove(const char *file, const char *user, char *errstr, size_t n);
/* Prints "name role" per user of file (never the hashes). */
zl_err_t zl_auth_file_list(const char *file, FILE *out, char *errstr, size_t n);

#endif
