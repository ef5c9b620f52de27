/* The HTTP endpoint of every zeelos process (libmicrohttpd, its own thread):
 * GET /metrics (Prometheus), GET /healthz, and routes registered by the owner
 * (the gateway adds its REST API later).  Handlers run on libmicrohttpd's
 * thread; they must only touch thread-safe state (metrics are atomic). */
#ifndef ZL_HTTP_H
#define ZL_HTTP_H

#include <stddef.h>
#include "common/metrics.h"
#include "common/buf.h"

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
 * (at most 64), so handlers may run concurrently and may block.  A handler
 * that leaves *content_type NULL answers "application/json".  Request bodies
 * over 1 MiB get 413 before the handler runs; req_body is NUL-terminated. */
int zl_http_port(const zl_http_t *h); /* bound port; 0 for NULL */

#endif
