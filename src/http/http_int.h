/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by the files of src/http (not for other layers): the
 * server and call structures and the functions one file offers another.
 * Why a private header: the server (http.c), the call object (http_call.c),
 * streams (http_stream.c) and TLS start-up (http_tls.c) are split to keep
 * each file readable, but they work on the same two structures. */
#ifndef ZL_HTTP_INT_H
#define ZL_HTTP_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

#if MHD_VERSION < 0x00097002
typedef int zl_mhd_result_t;
#else
typedef enum MHD_Result zl_mhd_result_t;
#endif

#define ZL_HTTP_MAX_BODY (1u << 20)
#define ZL_HTTP_MAX_ROUTES 32

typedef enum { ZL_ROUTE_CONN, ZL_ROUTE_LOOP, ZL_ROUTE_CALL } zl_route_kind_t;

typedef struct {
    char *prefix;
    size_t len;
    zl_route_kind_t kind;
    zl_http_handler_t fn;        /* ZL_ROUTE_CONN */
    zl_http_loop_handler_t lfn;  /* ZL_ROUTE_LOOP (with loop) and ZL_ROUTE_CALL */
    zl_loop_t *loop;
    void *ctx;
} zl_route_t;

/* One request handed to a handler.  Refcounted: one reference for the
 * connection thread, one for the handler (released by zl_http_call_done or
 * zl_http_call_stream); the last to let go frees it.  The request fields are
 * written before the call is shared and only read afterwards; the answer
 * (status, ctype, reply, rhdrs, stream) is the handler's until done is set
 * under mu, the connection's afterwards. */
struct zl_http_call {
    zl_http_call_t *next, *prev; /* the server's waiting calls (under its mu) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;                    /* under mu */
    bool done, cancelled, given_up;
    int status;
    const char *ctype;
    char *method, *url;
    zl_buf_t req, reply;
    zl_buf_t args;               /* query arguments: name NUL value NUL ... (decoded) */
    zl_buf_t headers;            /* request headers, same layout */
    zl_buf_t cookies;            /* request cookies, same layout */
    zl_buf_t rhdrs;              /* response headers, same layout */
    char peer[64];
    const char *body;            /* req as a C string, "" when empty */
    zl_http_loop_handler_t fn;
    void *ctx;
    zl_loop_t *loop;             /* NULL on a call route */
    zl_http_stream_t *stream;    /* set by zl_http_call_stream (with done) */
};

struct zl_http {
    struct MHD_Daemon *d;
    zl_metrics_t *metrics;
    int port;
    bool tls;
    char *cert_pem, *key_pem;    /* kept for the daemon's life; key wiped on free */
    char *ca_pem;                /* trust CA of client certificates (NULL: none asked) */
    bool need_cert;              /* requests need a verified client certificate */
    zl_http_basic_t *basic;      /* basic auth (NULL: none); set before traffic */
    pthread_mutex_t mu;          /* routes, calls, streams, stopping */
    zl_route_t routes[ZL_HTTP_MAX_ROUTES];
    int n_routes;
    zl_http_call_t calls;        /* sentinel: connections waiting for a loop */
    zl_http_stream_t *streams;   /* streams being served (http_stream.c) */
    bool stopping;
    zl_counter_t *c_refused;     /* NULL without metrics */
    _Atomic int64_t log_at_ms;   /* libmicrohttpd's messages: one a second */
    _Atomic uint64_t log_suppressed;
    _Atomic bool starting;       /* MHD_start_daemon running: keep its last message */
    char start_msg[256];
};

/* ---- http.c ---- */
/* Starts the daemon; takes ownership of cert_pem / key_pem (both NULL for
 * plain HTTP) and ca_pem (NULL: no client certificates) whatever the
 * outcome; cert_file / key_file name them in errors. */
zl_http_t *zl_http_start_pem(const char *host, int port, zl_metrics_t *metrics, char *cert_pem, char *key_pem,
                             char *ca_pem, const char *cert_file, const char *key_file, char *errstr,
                             size_t errstr_size);
/* Adds the handler's headers (rhdrs layout, may be NULL) and the ones every
 * response gets (nosniff). */
void zl_http_headers_apply(struct MHD_Response *r, const zl_buf_t *rhdrs);

/* ---- http_call.c ---- */
/* Connection thread: a call for the request on conn (body moved out of
 * *body), refs 2.  NULL when out of memory. */
zl_http_call_t *zl_http_call_new(struct MHD_Connection *conn, const char *method, const char *url,
                                 zl_buf_t *body, const zl_route_t *r);
void zl_http_call_unref(zl_http_call_t *c);
/* Loop thread (posted): runs the handler unless the connection gave up. */
void zl_http_call_run(void *ctx);
/* Value of name in a name NUL value NUL ... buffer. */
const char *zl_http_pairs_find(const zl_buf_t *b, const char *name, bool icase);

/* ---- http_auth.c ---- */
/* Connection thread, before a route runs: true when the request is refused
 * (client certificate or basic auth missing or wrong; *ret is the queued
 * answer), false when it may go on. */
bool zl_http_guard(zl_http_t *h, struct MHD_Connection *conn, const char *method, zl_mhd_result_t *ret);
void zl_http_basic_destroy(zl_http_basic_t *b);

/* ---- http_stream.c ---- */
/* Connection thread: answers with c's stream (c->stream, taken). */
zl_mhd_result_t zl_http_stream_serve(zl_http_t *h, struct MHD_Connection *conn, zl_http_call_t *c);
/* h->mu held, h->stopping set: wakes every stream so its thread ends. */
void zl_http_streams_cancel(zl_http_t *h);

#endif
