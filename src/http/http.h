/* The HTTP endpoint of every zeelos process (libmicrohttpd, its own thread):
 * GET /metrics (Prometheus), GET /healthz, and routes registered by the owner
 * (the gateway adds its REST API later).  Handlers run on libmicrohttpd's
 * thread; they must only touch thread-safe state (metrics are atomic). */
#ifndef ZL_HTTP_H
#define ZL_HTTP_H

#include <stddef.h>
#include "http/metrics.h"
#include "util/buf.h"

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

#endif
