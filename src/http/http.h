/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP endpoint of every zeelos process (libmicrohttpd, its own thread):
 * GET /metrics (Prometheus), GET /healthz, and a router: routes registered by
 * the owner by path prefix (longest prefix wins).  Two kinds of route:
 *  - zl_http_route(): the handler runs on libmicrohttpd's connection thread
 *    and may only touch thread-safe state (metrics are atomic);
 *  - zl_http_route_loop(): the handler runs on a loop thread (common/loop.h),
 *    so it may read and change loop-owned state (registrations, observations)
 *    and answer at once or in a later turn (see below).
 * http/ is a leaf: it knows loops only through zl_loop_post(), never a role. */
#ifndef ZL_HTTP_H
#define ZL_HTTP_H

#include <stddef.h>
#include "common/metrics.h"
#include "common/buf.h"
#include "common/loop.h"

typedef struct zl_http zl_http_t;

/* A route handler fills body and content type; returns the HTTP status. */
typedef int (*zl_http_handler_t)(void *ctx, const char *method, const char *url,
                                 const char *req_body, size_t req_len,
                                 zl_buf_t *body, const char **content_type);

/* Starts serving on host:port (port 0 = disabled, returns NULL without error).
 * metrics may be NULL. */
zl_http_t *zl_http_start(const char *host, int port, zl_metrics_t *metrics,
                         char *errstr, size_t errstr_size);
/* Adds a handler for every URL starting with prefix. Call before traffic. */
void zl_http_route(zl_http_t *h, const char *prefix, zl_http_handler_t fn, void *ctx);
void zl_http_stop(zl_http_t *h);

/* ---- additions ---------------------------------------------------------- */
/* zl_http_start details: port -1 binds an ephemeral port (tests; read it back
 * with zl_http_port).  host "" / "0.0.0.0" = every IPv4 interface; names and
 * IPv6 literals are resolved.  Connections are served thread-per-connection
 * (at most 256, 32 per client address, closed after 5 s without traffic), so
 * handlers may run concurrently and may block.  GET /healthz answers "ok"
 * unless the owner routes "/healthz" itself.  A handler
 * that leaves *content_type NULL answers "application/json".  Request bodies
 * over 1 MiB get 413 before the handler runs; req_body is NUL-terminated. */
int zl_http_port(const zl_http_t *h); /* bound port; 0 for NULL */

/* ---- answering from a loop thread -------------------------------------- */
/* How a request reaches a loop: the connection's thread (libmicrohttpd runs
 * one per connection) copies the request into a zl_http_call_t, hands it to
 * the loop with zl_loop_post() and waits for the answer; on the loop thread
 * the route's handler reads the call and completes it with
 * zl_http_call_done(), in the same turn or a later one (e.g. once a device
 * answered).  That wait is this server's equivalent of libmicrohttpd's
 * suspend/resume: it parks one connection thread, never the loop.
 *
 * Answers without the handler: 503 if the loop's post queue is full or the
 * server is stopping (zl_http_stop() releases every waiting connection), 504
 * if the handler has not completed within ZL_HTTP_LOOP_TIMEOUT_S.  A call
 * that was given up before the loop reached it is dropped without running
 * the handler; one given up later is still completed by the handler (its
 * answer is then discarded), so the handler's contract never changes:
 * exactly one zl_http_call_done() per call it receives. */
#define ZL_HTTP_LOOP_TIMEOUT_S 30

typedef struct zl_http_call zl_http_call_t;

/* Runs on loop's thread. call is valid until zl_http_call_done(call, ...). */
typedef void (*zl_http_loop_handler_t)(void *ctx, zl_http_call_t *call);

/* Adds a route whose handler runs on loop's thread.  loop must outlive the
 * server (stop the server first, then destroy the loop). */
void zl_http_route_loop(zl_http_t *h, const char *prefix, zl_loop_t *loop, zl_http_loop_handler_t fn,
                        void *ctx);

/* The request (owned by the call): method, url, body (NUL-terminated, "" if
 * none; *len set when len is non-NULL). */
const char *zl_http_call_method(const zl_http_call_t *c);
const char *zl_http_call_url(const zl_http_call_t *c);
const char *zl_http_call_body(const zl_http_call_t *c, size_t *len);
/* The value of query argument name ("" for `?name`), NULL when absent;
 * owned by the call.  The URL above is the decoded path, without the query. */
const char *zl_http_call_arg(const zl_http_call_t *c, const char *name);
/* The response body, to fill before zl_http_call_done (owned by the call). */
zl_buf_t *zl_http_call_reply(zl_http_call_t *c);
/* Completes the call (loop thread, exactly once): status 100..599, content
 * type a string with static storage (NULL = "application/json").  c is gone
 * after the call. */
void zl_http_call_done(zl_http_call_t *c, int status, const char *content_type);

#endif
