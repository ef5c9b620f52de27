/* SPDX-License-Identifier: Apache-2.0 */
/* Minimal Confluent Schema Registry REST client (libcurl), enough for the
 * serde: register a schema under a subject, fetch a schema by id.  Works
 * against Confluent SR and Apicurio's ccompat API (base URL including any
 * prefix, e.g. http://host:8080/apis/ccompat/v7).  Blocking; call at setup or
 * on a schema-cache miss only.  Timeouts: connect 5 s, total 10 s. */
#ifndef ZL_SR_H
#define ZL_SR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

typedef struct zl_sr zl_sr_t;

/* How to reach the registry.  url is required; the rest may be NULL/"":
 * ca (PEM file of the CA that signed the registry's certificate; default:
 * the system's trust store), cert + key (PEM client certificate and its
 * unencrypted key, for a registry that asks for one), userinfo
 * ("user:password", HTTP basic auth on every request; Confluent's
 * basic.auth.user.info).  Copied by zl_sr_new_opts; never logged. */
typedef struct {
    const char *url;
    const char *ca, *cert, *key;
    const char *userinfo;
} zl_sr_opts_t;

zl_sr_t *zl_sr_new(const char *url, char *errstr, size_t n);
/* The same with TLS and authentication options (cert without key or key
 * without cert is an error). */
zl_sr_t *zl_sr_new_opts(const zl_sr_opts_t *o, char *errstr, size_t n);
/* sr's options (its own copies, valid while sr lives). */
const zl_sr_opts_t *zl_sr_opts(const zl_sr_t *sr);
void zl_sr_destroy(zl_sr_t *sr);

/* While *flag is true, transfers of sr abort (ZL_ERR_IO) at curl's next
 * progress check (about once a second, and at once on data): lets a thread
 * blocked in a fetch be stopped.  flag must outlive sr. */
void zl_sr_set_abort(zl_sr_t *sr, const atomic_bool *flag);

/* POST {url}/subjects/{subject}/versions {"schema": text} -> {"id": N}.
 * Errors: ZL_ERR_IO (transport), ZL_ERR_SCHEMA (registry refused; errstr has
 * the HTTP status, error_code and message). */
zl_err_t zl_sr_register(zl_sr_t *sr, const char *subject, const char *schema_text, int32_t *id,
                        char *errstr, size_t n);

/* GET {url}/schemas/ids/{id} -> *schema_text (malloc'd, caller frees).
 * ZL_ERR_NOT_FOUND when the registry answers 404. */
zl_err_t zl_sr_fetch(zl_sr_t *sr, int32_t id, char **schema_text, char *errstr, size_t n);

/* ---- asynchronous fetches (the gateway's loop must never block on HTTP) --
 *
 * A worker thread with its own client performs fetches by id in the order
 * they were asked for; each result is queued and the fd becomes readable.
 * The owner thread (one thread) calls fetch, fd and result; the worker only
 * touches the two queues (under a mutex) and its own zl_sr_t. */
typedef struct zl_sr_async zl_sr_async_t;

/* Starts the worker. */
zl_sr_async_t *zl_sr_async_new(const char *url, char *errstr, size_t n);
/* The same with zl_sr_new_opts's options. */
zl_sr_async_t *zl_sr_async_new_opts(const zl_sr_opts_t *o, char *errstr, size_t n);
/* Aborts a fetch in progress, joins the worker, drops unread results. */
void zl_sr_async_destroy(zl_sr_async_t *a);
/* Asks for schema id (ZL_ERR_NOMEM only). */
zl_err_t zl_sr_async_fetch(zl_sr_async_t *a, int32_t id);
/* Readable (eventfd) while results wait. */
int zl_sr_async_fd(const zl_sr_async_t *a);
/* Pops one finished fetch: false when none is left.  *e is what zl_sr_fetch
 * returned; *text (ZL_OK only) is malloc'd and the caller's to free; errstr
 * gets the reason of a failure. */
bool zl_sr_async_result(zl_sr_async_t *a, int32_t *id, zl_err_t *e, char **text, char *errstr, size_t n);

#endif
