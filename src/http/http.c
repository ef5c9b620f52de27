/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP endpoint on libmicrohttpd.  Why thread-per-connection: route handlers
 * (a REST API) may wait for a loop thread or a device, and a Prometheus
 * scrape must not queue behind them; connections are capped so the thread
 * count stays bounded.  Request bodies are collected up to 1 MiB (larger ones
 * get 413 without being buffered).
 *
 * Loop routes: the connection thread moves the request into a refcounted
 * zl_http_call_t (one reference for the waiting connection, one for the
 * loop), posts it and waits on the call's condition variable; whichever side
 * lets go last frees it, so neither a slow loop nor a timed-out client can
 * leave the other with a dangling pointer. */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"

#if MHD_VERSION < 0x00097002
typedef int zl_mhd_result_t;
#else
typedef enum MHD_Result zl_mhd_result_t;
#endif

#define ZL_HTTP_MAX_BODY (1u << 20)
#define ZL_HTTP_MAX_ROUTES 32
/* Connection limits: a client that opens connections and sends nothing (or
 * half a request line) holds a thread each until the timeout, so the total
 * is capped, one address may hold at most a part of it, and idle
 * connections are closed after a few seconds; a probe from another address
 * always gets through. */
#define ZL_HTTP_MAX_CONN 256
#define ZL_HTTP_MAX_CONN_PER_IP 32
#define ZL_HTTP_IDLE_TIMEOUT_S 5

typedef struct {
    char *prefix;
    size_t len;
    zl_http_handler_t fn;        /* connection-thread route, or */
    zl_http_loop_handler_t lfn;  /* loop route (with loop) */
    zl_loop_t *loop;
    void *ctx;
} zl_route_t;

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
    const char *body;            /* req as a C string, "" when empty */
    zl_http_loop_handler_t fn;
    void *ctx;
};

struct zl_http {
    struct MHD_Daemon *d;
    zl_metrics_t *metrics;
    int port;
    pthread_mutex_t mu; /* routes, calls, stopping */
    zl_route_t routes[ZL_HTTP_MAX_ROUTES];
    int n_routes;
    zl_http_call_t calls; /* sentinel: connections waiting for a loop */
    bool stopping;
    zl_counter_t *c_refused;           /* NULL without metrics */
    _Atomic int64_t log_at_ms;         /* libmicrohttpd's messages: one a second */
    _Atomic uint64_t log_suppressed;
};

/* Per-request state between libmicrohttpd's access-handler calls. */
typedef struct {
    zl_buf_t body;
    bool too_large;
} zl_req_t;

/* libmicrohttpd's own messages (any of its threads).  A refused connection
 * is only reported here ("... reached ... connection limit ..."), so that is
 * where it is counted; lines are logged at most once a second, with the count
 * of those left out, so a flood of connections cannot flood the log.  (Its
 * per-address refusals are silent: those cannot be counted.) */
static void zl_mhd_log(void *cls, const char *fmt, va_list ap) {
    zl_http_t *h = cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t l = strlen(line);
    while (l && (line[l - 1] == '\n' || line[l - 1] == '\r')) line[--l] = 0;
    if (h->c_refused && strstr(line, "reached connection limit")) zl_counter_inc(h->c_refused);
    int64_t now = zl_now_ms(), last = atomic_load(&h->log_at_ms);
    if (last && now - last < 1000) {
        atomic_fetch_add(&h->log_suppressed, 1);
        return;
    }
    if (!atomic_compare_exchange_strong(&h->log_at_ms, &last, now)) {
        atomic_fetch_add(&h->log_suppressed, 1);
        return;
    }
    uint64_t dropped = atomic_exchange(&h->log_suppressed, 0);
    if (dropped) ZL_WARN("http", "%s (%llu similar messages in the last second not logged)", line,
                         (unsigned long long)dropped);
    else ZL_WARN("http", "%s", line);
}

static zl_mhd_result_t zl_reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
                                const void *data, size_t len, const char *allow) {
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    if (ctype) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    zl_mhd_result_t ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static zl_mhd_result_t zl_reply_json_error(struct MHD_Connection *conn, unsigned status,
                                           const char *msg, const char *allow) {
    char body[128];
    int n = snprintf(body, sizeof body, "{\"error\":\"%s\"}", msg);
    return zl_reply(conn, status, "application/json", body, (size_t)n, allow);
}

static bool zl_is_get(const char *method) {
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

static zl_mhd_result_t zl_serve_metrics(zl_http_t *h, struct MHD_Connection *conn) {
    zl_buf_t out;
    zl_buf_init(&out, 0);
    zl_err_t e = h->metrics ? zl_metrics_render(h->metrics, &out) : ZL_OK;
    zl_mhd_result_t ret;
    if (e)
        ret = zl_reply_json_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render metrics", NULL);
    else
        ret = zl_reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", out.data,
                       out.len, NULL);
    zl_buf_free(&out);
    return ret;
}

/* Longest registered prefix matching url, copied out under the lock. */
static bool zl_route_find(zl_http_t *h, const char *url, zl_route_t *out) {
    bool found = false;
    pthread_mutex_lock(&h->mu);
    for (int i = 0; i < h->n_routes; i++) {
        const zl_route_t *r = &h->routes[i];
        if (strncmp(url, r->prefix, r->len) == 0 && (!found || r->len > out->len)) {
            *out = *r;
            found = true;
        }
    }
    pthread_mutex_unlock(&h->mu);
    return found;
}

/* A handler's answer (either kind of route). */
static zl_mhd_result_t zl_answer(struct MHD_Connection *conn, const char *url, int status, const char *ctype,
                                 const zl_buf_t *body) {
    if (status < 100 || status > 599) {
        ZL_WARN("http", "handler for %s returned invalid status %d", url, status);
        return zl_reply_json_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error", NULL);
    }
    return zl_reply(conn, (unsigned)status, ctype ? ctype : "application/json", body->data, body->len, NULL);
}

/* ---- loop routes ---- */

static void zl_call_unref(zl_http_call_t *c) {
    pthread_mutex_lock(&c->mu);
    int left = --c->refs;
    pthread_mutex_unlock(&c->mu);
    if (left) return;
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c->method);
    free(c->url);
    zl_buf_free(&c->req);
    zl_buf_free(&c->reply);
    zl_buf_free(&c->args);
    free(c);
}

/* Loop thread: the handler, unless the connection already gave up. */
static void zl_call_run(void *ctx) {
    zl_http_call_t *c = ctx;
    pthread_mutex_lock(&c->mu);
    bool skip = c->given_up;
    pthread_mutex_unlock(&c->mu);
    if (skip) zl_call_unref(c);
    else c->fn(c->ctx, c);
}

const char *zl_http_call_method(const zl_http_call_t *c) { return c->method; }
const char *zl_http_call_url(const zl_http_call_t *c) { return c->url; }
const char *zl_http_call_body(const zl_http_call_t *c, size_t *len) {
    if (len) *len = c->req.len;
    return c->body;
}
zl_buf_t *zl_http_call_reply(zl_http_call_t *c) { return &c->reply; }

const char *zl_http_call_arg(const zl_http_call_t *c, const char *name) {
    const char *p = (const char *)c->args.data, *end = p + c->args.len;
    while (p && p < end) {
        const char *v = p + strlen(p) + 1;
        if (!strcmp(p, name)) return v;
        p = v + strlen(v) + 1;
    }
    return NULL;
}

/* MHD_get_connection_values iterator: one query argument into the call. */
static zl_mhd_result_t zl_collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    zl_buf_t *b = cls;
    (void)kind;
    if (!key) return MHD_YES;
    zl_buf_append(b, key, strlen(key) + 1);
    zl_buf_append(b, value ? value : "", strlen(value ? value : "") + 1);
    return MHD_YES;
}

void zl_http_call_done(zl_http_call_t *c, int status, const char *content_type) {
    pthread_mutex_lock(&c->mu);
    c->status = status;
    c->ctype = content_type;
    c->done = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    zl_call_unref(c);
}

static zl_http_call_t *zl_call_new(const char *method, const char *url, zl_req_t *req, const zl_route_t *r) {
    zl_http_call_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->method = strdup(method);
    c->url = strdup(url);
    c->req = req->body; /* moved: the connection's buffer is left empty */
    zl_buf_init(&req->body, 0);
    zl_buf_init(&c->reply, 0);
    zl_buf_init(&c->args, 0);
    c->body = c->req.len ? zl_buf_cstr(&c->req) : "";
    if (!c->method || !c->url || !c->body) {
        free(c->method);
        free(c->url);
        zl_buf_free(&c->req);
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cv, &ca);
    pthread_condattr_destroy(&ca);
    c->fn = r->lfn;
    c->ctx = r->ctx;
    c->refs = 2; /* this connection + the loop */
    return c;
}

static void zl_call_unlink(zl_http_t *h, zl_http_call_t *c) {
    pthread_mutex_lock(&h->mu);
    c->prev->next = c->next;
    c->next->prev = c->prev;
    pthread_mutex_unlock(&h->mu);
}

/* Connection thread: hands the request to the route's loop and waits for
 * the answer (or the timeout, or the server stopping). */
static zl_mhd_result_t zl_dispatch_loop(zl_http_t *h, struct MHD_Connection *conn, const char *url,
                                        const char *method, zl_req_t *req, const zl_route_t *r) {
    zl_http_call_t *c = zl_call_new(method, url, req, r);
    if (!c) return zl_reply_json_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, zl_collect_arg, &c->args);
    pthread_mutex_lock(&h->mu);
    bool stopping = h->stopping;
    if (!stopping) {
        c->next = h->calls.next;
        c->prev = &h->calls;
        h->calls.next->prev = c;
        h->calls.next = c;
    }
    pthread_mutex_unlock(&h->mu);
    if (stopping || zl_loop_post(r->loop, zl_call_run, c) != ZL_OK) {
        if (!stopping) zl_call_unlink(h, c);
        zl_call_unref(c); /* the loop's reference: never handed over */
        zl_call_unref(c);
        return zl_reply_json_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "busy, retry later", NULL);
    }
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += ZL_HTTP_LOOP_TIMEOUT_S;
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    while (!c->done && !c->cancelled && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&c->cv, &c->mu, &dl);
    bool done = c->done, cancelled = c->cancelled;
    if (!done) c->given_up = true;
    pthread_mutex_unlock(&c->mu);
    zl_call_unlink(h, c);
    zl_mhd_result_t ret;
    if (done) /* the loop let go of status, ctype and reply in zl_http_call_done */
        ret = zl_answer(conn, url, c->status, c->ctype, &c->reply);
    else if (cancelled)
        ret = zl_reply_json_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "server stopping", NULL);
    else
        ret = zl_reply_json_error(conn, MHD_HTTP_GATEWAY_TIMEOUT, "no answer in time", NULL);
    zl_call_unref(c);
    return ret;
}

static zl_mhd_result_t zl_dispatch(zl_http_t *h, struct MHD_Connection *conn, const char *url,
                                   const char *method, zl_req_t *req) {
    if (strcmp(url, "/metrics") == 0) {
        if (!zl_is_get(method))
            return zl_reply_json_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
                                       "GET, HEAD");
        return zl_serve_metrics(h, conn);
    }
    zl_route_t route = {0};
    bool routed = zl_route_find(h, url, &route);
    if (strcmp(url, "/healthz") == 0 && !(routed && !strcmp(route.prefix, "/healthz"))) {
        if (!zl_is_get(method))
            return zl_reply_json_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
                                       "GET, HEAD");
        return zl_reply(conn, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok", 2, NULL);
    }
    if (!routed) return zl_reply_json_error(conn, MHD_HTTP_NOT_FOUND, "not found", NULL);
    if (req->too_large)
        return zl_reply_json_error(conn, 413, "request body too large", NULL);
    if (route.loop) return zl_dispatch_loop(h, conn, url, method, req, &route);
    zl_buf_t body;
    zl_buf_init(&body, 0);
    const char *ctype = NULL;
    const char *req_body = req->body.len ? zl_buf_cstr(&req->body) : "";
    int status = route.fn(route.ctx, method, url, req_body ? req_body : "", req->body.len, &body, &ctype);
    zl_mhd_result_t ret = zl_answer(conn, url, status, ctype, &body);
    zl_buf_free(&body);
    return ret;
}

static zl_mhd_result_t zl_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls) {
    (void)version;
    zl_http_t *h = cls;
    zl_req_t *req = *con_cls;
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req) return MHD_NO;
        zl_buf_init(&req->body, ZL_HTTP_MAX_BODY);
        *con_cls = req;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > ZL_HTTP_MAX_BODY) {
            /* Refuse before reading the body; libmicrohttpd closes the connection. */
            req->too_large = true;
            return zl_reply_json_error(conn, 413, "request body too large",
                                       NULL);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!req->too_large && zl_buf_append(&req->body, upload_data, *upload_data_size) != ZL_OK) {
            req->too_large = true; /* keep draining, answer 413 at the end */
            zl_buf_free(&req->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    return zl_dispatch(h, conn, url, method, req);
}

static void zl_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls, (void)conn, (void)toe;
    zl_req_t *req = *con_cls;
    if (!req) return;
    zl_buf_free(&req->body);
    free(req);
    *con_cls = NULL;
}

/* Resolves host (numeric or name; "" / "0.0.0.0" = any IPv4) into ss. */
static int zl_resolve(const char *host, int port, struct sockaddr_storage *ss, socklen_t *sl) {
    memset(ss, 0, sizeof *ss);
    if (!host || !*host || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(INADDR_ANY);
        sin->sin_port = htons((uint16_t)port);
        *sl = sizeof *sin;
        return 0;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &ai);
    if (rc != 0) return rc;
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *sl = (socklen_t)ai->ai_addrlen;
    freeaddrinfo(ai);
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
    return 0;
}

/* libmicrohttpd does not report why it could not listen; reproduce the bind
 * to get an errno for the message. */
static int zl_probe_bind(const struct sockaddr_storage *ss, socklen_t sl) {
    int fd = socket(ss->ss_family, SOCK_STREAM, 0);
    if (fd < 0) return errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int err = 0;
    if (bind(fd, (const struct sockaddr *)ss, sl) != 0 || listen(fd, 1) != 0) err = errno;
    close(fd);
    return err;
}

zl_http_t *zl_http_start(const char *host, int port, zl_metrics_t *metrics, char *errstr,
                         size_t errstr_size) {
    if (errstr && errstr_size) errstr[0] = 0;
    if (port == 0) return NULL;
    const char *shown = (host && *host) ? host : "0.0.0.0";
    if (port < -1 || port > 65535) {
        if (errstr) snprintf(errstr, errstr_size, "HTTP port %d out of range", port);
        return NULL;
    }
    struct sockaddr_storage ss;
    socklen_t sl;
    int rc = zl_resolve(host, port < 0 ? 0 : port, &ss, &sl);
    if (rc != 0) {
        if (errstr)
            snprintf(errstr, errstr_size, "cannot listen on HTTP %s:%d: %s", shown, port, gai_strerror(rc));
        return NULL;
    }
    zl_http_t *h = calloc(1, sizeof *h);
    if (!h) {
        if (errstr) snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    h->metrics = metrics;
    if (metrics)
        h->c_refused = zl_metrics_counter(metrics, "zeelos_http_connections_refused_total", NULL,
                                          "HTTP connections refused because the total limit (256) was "
                                          "reached (libmicrohttpd does not report per-address refusals).");
    pthread_mutex_init(&h->mu, NULL);
    h->calls.next = h->calls.prev = &h->calls;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_ERROR_LOG | MHD_USE_POLL;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    h->d = MHD_start_daemon(flags, (uint16_t)(port < 0 ? 0 : port), NULL, NULL, zl_access, h,
                            MHD_OPTION_EXTERNAL_LOGGER, zl_mhd_log, h,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_NOTIFY_COMPLETED, zl_completed, h,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)ZL_HTTP_MAX_CONN,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)ZL_HTTP_MAX_CONN_PER_IP,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)ZL_HTTP_IDLE_TIMEOUT_S,
                            MHD_OPTION_END);
    if (!h->d) {
        int err = zl_probe_bind(&ss, sl);
        if (errstr)
            snprintf(errstr, errstr_size, "cannot listen on HTTP %s:%d: %s", shown, port,
                     err ? strerror(err) : "libmicrohttpd failed to start");
        pthread_mutex_destroy(&h->mu);
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = (di && di->port) ? (int)di->port : port;
    ZL_INFO("http", "listening on %s:%d", shown, h->port);
    return h;
}

int zl_http_port(const zl_http_t *h) { return h ? h->port : 0; }

static void zl_route_add(zl_http_t *h, const char *prefix, zl_route_t r) {
    pthread_mutex_lock(&h->mu);
    if (h->n_routes == ZL_HTTP_MAX_ROUTES) {
        pthread_mutex_unlock(&h->mu);
        ZL_ERROR("http", "too many routes, %s not added", prefix);
        return;
    }
    r.prefix = strdup(prefix);
    r.len = r.prefix ? strlen(r.prefix) : 0;
    if (r.prefix) h->routes[h->n_routes++] = r;
    pthread_mutex_unlock(&h->mu);
    if (!r.prefix) ZL_ERROR("http", "out of memory adding route %s", prefix);
}

void zl_http_route(zl_http_t *h, const char *prefix, zl_http_handler_t fn, void *ctx) {
    if (!h || !prefix || !fn) return;
    zl_route_add(h, prefix, (zl_route_t){.fn = fn, .ctx = ctx});
}

void zl_http_route_loop(zl_http_t *h, const char *prefix, zl_loop_t *loop, zl_http_loop_handler_t fn,
                        void *ctx) {
    if (!h || !prefix || !loop || !fn) return;
    zl_route_add(h, prefix, (zl_route_t){.lfn = fn, .loop = loop, .ctx = ctx});
}

void zl_http_stop(zl_http_t *h) {
    if (!h) return;
    /* release the connections waiting for a loop, so their threads can end */
    pthread_mutex_lock(&h->mu);
    h->stopping = true;
    for (zl_http_call_t *c = h->calls.next; c != &h->calls; c = c->next) {
        pthread_mutex_lock(&c->mu);
        c->cancelled = true;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
    }
    pthread_mutex_unlock(&h->mu);
    if (h->d) MHD_stop_daemon(h->d);
    for (int i = 0; i < h->n_routes; i++) free(h->routes[i].prefix);
    pthread_mutex_destroy(&h->mu);
    free(h);
}
