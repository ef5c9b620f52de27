/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP endpoint of every zeelos process (libmicrohttpd, its own thread):
 * GET /metrics (Prometheus), GET /healthz, and a router: routes registered by
 * the owner by path prefix (longest prefix wins).  Two kinds of route:
 *  - zl_http_route(): the handler runs on libmicrohttpd's connection thread
 *    and may only touch thread-safe state (metrics are atomic);
 *  - zl_http_route_loop(): the handler runs on a loop thread (common/loop.h),
 *    so it may read and change loop-owned state (registrations, observations)
 *    and answer at once or in a later turn (see below).
 *  - zl_http_route_call(): the handler gets the same zl_http_call_t as a loop
 *    route but runs on the connection thread (slow work off the loop: static
 *    files, password hashing).
 * A loop route may also turn its call into a Server-Sent Events stream.
 * http/ is a leaf: it knows loops only through zl_loop_post(), never a role.
 * Every response carries X-Content-Type-Options: nosniff. */
#ifndef ZL_HTTP_H
#define ZL_HTTP_H

#include <stddef.h>
#include "common/metrics.h"
#include "common/buf.h"
#include "common/loop.h"

#include <stdbool.h>

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

/* Runs on loop's thread (zl_http_route_loop) or on the connection's thread
 * (zl_http_route_call).  call is valid until zl_http_call_done(call, ...) or,
 * loop routes only, zl_http_call_stream(call, ...). */
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
/* Completes the call (the handler's thread, or any thread for a loop call
 * completed later; exactly once): status 100..599, content type a string
 * with static storage (NULL = "application/json").  c is gone after the
 * call. */
void zl_http_call_done(zl_http_call_t *c, int status, const char *content_type);

/* ---- request headers, peer, response headers ---------------------------- */
/* Request header name (case-insensitive), NULL when absent; the first one when
 * it is repeated.  Copied into the call when it is made (owned by the call),
 * so it may be read on the loop thread. */
const char *zl_http_call_header(const zl_http_call_t *c, const char *name);
/* Cookie name from the request's Cookie header(s) (case-sensitive), NULL
 * when absent; owned by the call. */
const char *zl_http_call_cookie(const zl_http_call_t *c, const char *name);
/* The client's address, "127.0.0.1" / "2001:db8::1" (IPv4-mapped IPv6
 * addresses are shown as IPv4); "" if unknown.  Owned by the call. */
const char *zl_http_call_peer(const zl_http_call_t *c);
/* Adds a response header (name and value copied), before zl_http_call_done
 * or zl_http_call_stream; several with one name are sent as several lines
 * (two Set-Cookie).  A Content-Type set here replaces the one given to
 * zl_http_call_done.  ZL_ERR_INVALID for a name that is not an HTTP token, a
 * value holding CR, LF or NUL, or Content-Length / Transfer-Encoding (the
 * server's own); ZL_ERR_NOMEM.  Headers are dropped when the server answers
 * instead of the handler (500 for an invalid status, 503, 504). */
zl_err_t zl_http_call_set_header(zl_http_call_t *c, const char *name, const char *value);

/* ---- routes on the connection thread ------------------------------------ */
/* Adds a route whose handler runs on the connection's thread with a call
 * (every zl_http_call_* accessor works, zl_http_call_stream does not) and
 * must complete it with zl_http_call_done before returning; a handler that
 * returns without doing so gets a 500 (and the call is leaked until it is
 * completed).  Handlers run concurrently (one per connection): ctx must be
 * thread-safe.  Routes of all kinds share one prefix table. */
void zl_http_route_call(zl_http_t *h, const char *prefix, zl_http_loop_handler_t fn, void *ctx);

/* ---- Server-Sent Events streams ----------------------------------------- */
/* A loop route may answer with a stream instead of zl_http_call_done: the
 * connection thread then sends status 200 with the headers set so far plus
 * Content-Type content_type (NULL = "text/event-stream"), Cache-Control:
 * no-cache and X-Accel-Buffering: no, and afterwards, chunked, whatever the
 * owner (the loop that received the call) writes.  Each stream holds one
 * connection thread and one of the server's connection slots (256 in all,
 * 32 per client address) for its whole life.  When nothing was sent for
 * ZL_HTTP_STREAM_KEEPALIVE_S the server sends ": keepalive\n\n" itself (an
 * SSE comment) so proxies and browsers keep the connection.  The 5 s idle
 * timeout does not apply to a stream; a client that takes no byte for 60 s
 * (it stopped reading) is dropped, which ends the stream like a disconnect. */
#define ZL_HTTP_STREAM_KEEPALIVE_S 15
#define ZL_HTTP_STREAM_MAX_BUFFER (1u << 20) /* bytes written, not yet sent */

typedef struct zl_http_stream zl_http_stream_t;

/* Loop thread, loop routes only.  Consumes the call (c is gone afterwards,
 * also on NULL).  Returns NULL when the client is already gone (the
 * connection gave up waiting: 503/504 was sent), on a call route (which is
 * answered 500) or when out of memory (500).  on_close(ctx, s) is posted to
 * this loop exactly once when the connection ends (client disconnected,
 * write error, server stopping) unless the owner closed the stream first;
 * s is invalid once on_close returns. */
zl_http_stream_t *zl_http_call_stream(zl_http_call_t *c, const char *content_type,
                                      void (*on_close)(void *ctx, zl_http_stream_t *s), void *ctx);
/* Loop thread: queues len bytes (copied) for the client.  ZL_OK;
 * ZL_ERR_FULL when more than ZL_HTTP_STREAM_MAX_BUFFER bytes would be
 * waiting (the client does not keep up: nothing was queued, the owner should
 * close the stream); ZL_ERR_CANCELLED when the connection has ended (on_close
 * is on its way); ZL_ERR_NOMEM. */
zl_err_t zl_http_stream_write(zl_http_stream_t *s, const void *data, size_t len);
/* Loop thread: the owner ends the stream (what was written is still sent,
 * then the response ends); s is invalid afterwards and on_close will not
 * run.  Not to be called from or after on_close. */
void zl_http_stream_close(zl_http_stream_t *s);

/* ---- TLS ---------------------------------------------------------------- */
/* zl_http_start serving HTTPS: cert_pem_file holds the certificate (chain)
 * and key_pem_file its unencrypted private key, both PEM, read once here.
 * On failure errstr names the file at fault ("<file>: cannot read TLS
 * certificate: No such file or directory", "<file>: no PEM private key"), or
 * both when libmicrohttpd/GnuTLS refuses the pair; a caller may prefix its
 * configuration key.  port 0 returns NULL without error, as zl_http_start. */
zl_http_t *zl_http_start_tls(const char *host, int port, zl_metrics_t *metrics, const char *cert_pem_file,
                             const char *key_pem_file, char *errstr, size_t errstr_size);
/* Whether h serves HTTPS (false for NULL). */
bool zl_http_is_tls(const zl_http_t *h);

/* ---- client certificates and basic authentication ------------------------ */
/* zl_http_start_tls that also asks every client for a certificate and
 * requires one signed by a CA of ca_pem_file (PEM; NULL/"" = no client
 * certificates, the same as zl_http_start_tls).  The TLS handshake itself
 * accepts clients without one (GnuTLS only requests it), so GET /metrics and
 * GET /healthz stay reachable; every other request without a verified
 * certificate is answered 403 {"code":"forbidden",...}. */
zl_http_t *zl_http_start_tls_ca(const char *host, int port, zl_metrics_t *metrics, const char *cert_pem_file,
                                const char *key_pem_file, const char *ca_pem_file, char *errstr,
                                size_t errstr_size);

typedef struct zl_http_basic zl_http_basic_t;

/* Before traffic: requests that change state (every method but GET, HEAD and
 * OPTIONS; those too when reads_too) need HTTP basic authentication by a
 * user of users_file, else 401 with WWW-Authenticate: Basic (GET /metrics
 * and /healthz stay open).  users_file lines: name:hash or name:role:hash
 * (the console's users file), hash $pbkdf2-sha256$<iter>$<salt b64>$<hash
 * b64>; # comments.  Read once here; ZL_ERR_INVALID with errstr
 * "file:line: why" (never a password or hash). */
zl_err_t zl_http_require_basic(zl_http_t *h, const char *users_file, bool reads_too, char *errstr, size_t n);

#endif
