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
 * leave the other with a dangling pointer.  Call routes use the same call
 * object on the connection thread itself; the call object lives in
 * http_call.c, streams in http_stream.c, TLS start-up in http_tls.c. */
#include "http/http_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"

/* Connection limits: a client that opens connections and sends nothing (or
 * half a request line) holds a thread each until the timeout, so the total
 * is capped, one address may hold at most a part of it, and idle
 * connections are closed after a few seconds; a probe from another address
 * always gets through. */
#define ZL_HTTP_MAX_CONN 256
#define ZL_HTTP_MAX_CONN_PER_IP 32
#define ZL_HTTP_IDLE_TIMEOUT_S 5

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
    if (h->starting && !h->start_msg[0]) { /* the first says why: for zl_http_start_pem's error */
        size_t k = l < sizeof h->start_msg - 1 ? l : sizeof h->start_msg - 1;
        memcpy(h->start_msg, line, k);
        h->start_msg[k] = 0;
    }
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

void zl_http_headers_apply(struct MHD_Response *r, const zl_buf_t *rhdrs) {
    const char *p = rhdrs ? (const char *)rhdrs->data : NULL, *end = p ? p + rhdrs->len : NULL;
    while (p && p < end) {
        const char *v = p + strlen(p) + 1;
        if (MHD_add_response_header(r, p, v) != MHD_YES) ZL_WARN("http", "response header %s refused", p);
        p = v + strlen(v) + 1;
    }
    if (!rhdrs || !zl_http_pairs_find(rhdrs, "X-Content-Type-Options", true))
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
}

/* Every buffered answer: rhdrs are a handler's own headers (may be NULL); a
 * Content-Type among them wins over ctype. */
static zl_mhd_result_t zl_reply_hdrs(struct MHD_Connection *conn, unsigned status, const char *ctype,
                                     const void *data, size_t len, const char *allow, const zl_buf_t *rhdrs) {
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    zl_http_headers_apply(r, rhdrs);
    if (ctype && !(rhdrs && zl_http_pairs_find(rhdrs, MHD_HTTP_HEADER_CONTENT_TYPE, true)))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    zl_mhd_result_t ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static zl_mhd_result_t zl_reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
                                const void *data, size_t len, const char *allow) {
    return zl_reply_hdrs(conn, status, ctype, data, len, allow, NULL);
}

static zl_mhd_result_t zl_reply_json_error(struct MHD_Connection *conn, unsigned status,
                                           const char *msg, const char *allow) {
    /* one shape for every JSON error of every role: {"code": <word>, "message": <text>} */
    const char *code = status == 404 ? "not_found" : status == 405 ? "method_not_allowed" : status == 413 ? "too_large"
                     : status == 503 ? "unavailable" : status == 504 ? "timeout" : status == 400 ? "bad_request"
                                                                                    : "internal";
    char body[192];
    int n = snprintf(body, sizeof body, "{\"code\":\"%s\",\"message\":\"%s\"}", code, msg);
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
                                 const zl_buf_t *body, const zl_buf_t *rhdrs) {
    if (status < 100 || status > 599) {
        ZL_WARN("http", "handler for %s returned invalid status %d", url, status);
        return zl_reply_json_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error", NULL);
    }
    return zl_reply_hdrs(conn, (unsigned)status, ctype ? ctype : "application/json", body->data, body->len,
                         NULL, rhdrs);
}

/* ---- loop routes and call routes ---- */

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
    zl_http_call_t *c = zl_http_call_new(conn, method, url, &req->body, r);
    if (!c) return zl_reply_json_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL);
    pthread_mutex_lock(&h->mu);
    bool stopping = h->stopping;
    if (!stopping) {
        c->next = h->calls.next;
        c->prev = &h->calls;
        h->calls.next->prev = c;
        h->calls.next = c;
    }
    pthread_mutex_unlock(&h->mu);
    if (stopping || zl_loop_post(r->loop, zl_http_call_run, c) != ZL_OK) {
        if (!stopping) zl_call_unlink(h, c);
        zl_http_call_unref(c); /* the loop's reference: never handed over */
        zl_http_call_unref(c);
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
    if (done && c->stream) /* zl_http_call_stream */
        ret = zl_http_stream_serve(h, conn, c);
    else if (done) /* the loop let go of status, ctype and reply in zl_http_call_done */
        ret = zl_answer(conn, url, c->status, c->ctype, &c->reply, &c->rhdrs);
    else if (cancelled)
        ret = zl_reply_json_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "server stopping", NULL);
    else
        ret = zl_reply_json_error(conn, MHD_HTTP_GATEWAY_TIMEOUT, "no answer in time", NULL);
    zl_http_call_unref(c);
    return ret;
}

/* Connection thread: a call route's handler runs right here. */
static zl_mhd_result_t zl_dispatch_call(struct MHD_Connection *conn, const char *url, const char *method,
                                        zl_req_t *req, const zl_route_t *r) {
    zl_http_call_t *c = zl_http_call_new(conn, method, url, &req->body, r);
    if (!c) return zl_reply_json_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL);
    c->fn(c->ctx, c);
    pthread_mutex_lock(&c->mu);
    bool done = c->done;
    if (!done) c->given_up = true;
    pthread_mutex_unlock(&c->mu);
    zl_mhd_result_t ret;
    if (done) {
        ret = zl_answer(conn, url, c->status, c->ctype, &c->reply, &c->rhdrs);
    } else {
        ZL_ERROR("http", "handler for %s returned without completing the call", url);
        ret = zl_reply_json_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error", NULL);
    }
    zl_http_call_unref(c);
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
    zl_mhd_result_t refused;
    if ((h->need_cert || h->basic) && zl_http_guard(h, conn, method, &refused)) return refused;
    if (!routed) return zl_reply_json_error(conn, MHD_HTTP_NOT_FOUND, "not found", NULL);
    if (req->too_large)
        return zl_reply_json_error(conn, 413, "request body too large", NULL);
    if (route.kind == ZL_ROUTE_LOOP) return zl_dispatch_loop(h, conn, url, method, req, &route);
    if (route.kind == ZL_ROUTE_CALL) return zl_dispatch_call(conn, url, method, req, &route);
    zl_buf_t body;
    zl_buf_init(&body, 0);
    const char *ctype = NULL;
    const char *req_body = req->body.len ? zl_buf_cstr(&req->body) : "";
    int status = route.fn(route.ctx, method, url, req_body ? req_body : "", req->body.len, &body, &ctype);
    zl_mhd_result_t ret = zl_answer(conn, url, status, ctype, &body, NULL);
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

/* The PEM texts; the key is wiped before its memory goes back. */
static void zl_pem_free(char *cert, char *key) {
    free(cert);
    if (key) explicit_bzero(key, strlen(key));
    free(key);
}

zl_http_t *zl_http_start_pem(const char *host, int port, zl_metrics_t *metrics, char *cert_pem, char *key_pem,
                             char *ca_pem, const char *cert_file, const char *key_file, char *errstr,
                             size_t errstr_size) {
    if (errstr && errstr_size) errstr[0] = 0;
    const char *shown = (host && *host) ? host : "0.0.0.0";
    const char *proto = cert_pem ? "HTTPS" : "HTTP";
    if (port < -1 || port > 65535) {
        if (errstr) snprintf(errstr, errstr_size, "%s port %d out of range", proto, port);
        zl_pem_free(cert_pem, key_pem);
        free(ca_pem);
        return NULL;
    }
    struct sockaddr_storage ss;
    socklen_t sl;
    int rc = zl_resolve(host, port < 0 ? 0 : port, &ss, &sl);
    if (rc != 0) {
        if (errstr)
            snprintf(errstr, errstr_size, "cannot listen on %s %s:%d: %s", proto, shown, port, gai_strerror(rc));
        zl_pem_free(cert_pem, key_pem);
        free(ca_pem);
        return NULL;
    }
    zl_http_t *h = calloc(1, sizeof *h);
    if (!h) {
        if (errstr) snprintf(errstr, errstr_size, "out of memory");
        zl_pem_free(cert_pem, key_pem);
        free(ca_pem);
        return NULL;
    }
    h->cert_pem = cert_pem;
    h->key_pem = key_pem;
    h->tls = cert_pem != NULL;
    h->ca_pem = h->tls ? ca_pem : NULL;
    h->need_cert = h->ca_pem != NULL;
    if (!h->tls) free(ca_pem);
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
    if (h->tls) flags |= MHD_USE_TLS;
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, h->cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, h->key_pem},
        {h->ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, h->ca_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    if (!h->tls) tls_opts[0].option = MHD_OPTION_END;
    h->starting = true; /* the logger keeps libmicrohttpd's first message for the error */
    h->d = MHD_start_daemon(flags, (uint16_t)(port < 0 ? 0 : port), NULL, NULL, zl_access, h,
                            MHD_OPTION_EXTERNAL_LOGGER, zl_mhd_log, h,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_NOTIFY_COMPLETED, zl_completed, h,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)ZL_HTTP_MAX_CONN,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)ZL_HTTP_MAX_CONN_PER_IP,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)ZL_HTTP_IDLE_TIMEOUT_S,
                            MHD_OPTION_ARRAY, tls_opts,
                            MHD_OPTION_END);
    h->starting = false;
    if (!h->d) {
        int err = zl_probe_bind(&ss, sl);
        if (errstr && (err || !h->tls))
            snprintf(errstr, errstr_size, "cannot listen on %s %s:%d: %s", proto, shown, port,
                     err ? strerror(err) : "libmicrohttpd failed to start");
        else if (errstr)
            snprintf(errstr, errstr_size, "%s, %s: TLS certificate and key refused: %s", cert_file, key_file,
                     h->start_msg[0] ? h->start_msg : "libmicrohttpd failed to start");
        pthread_mutex_destroy(&h->mu);
        zl_pem_free(h->cert_pem, h->key_pem);
        free(h->ca_pem);
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = (di && di->port) ? (int)di->port : port;
    ZL_INFO("http", "listening on %s:%d%s", shown, h->port,
            h->need_cert ? " (TLS, client certificates required)" : h->tls ? " (TLS)" : "");
    return h;
}

zl_http_t *zl_http_start(const char *host, int port, zl_metrics_t *metrics, char *errstr,
                         size_t errstr_size) {
    if (errstr && errstr_size) errstr[0] = 0;
    if (port == 0) return NULL;
    return zl_http_start_pem(host, port, metrics, NULL, NULL, NULL, NULL, NULL, errstr, errstr_size);
}

bool zl_http_is_tls(const zl_http_t *h) { return h && h->tls; }

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
    zl_route_add(h, prefix, (zl_route_t){.kind = ZL_ROUTE_CONN, .fn = fn, .ctx = ctx});
}

void zl_http_route_loop(zl_http_t *h, const char *prefix, zl_loop_t *loop, zl_http_loop_handler_t fn,
                        void *ctx) {
    if (!h || !prefix || !loop || !fn) return;
    zl_route_add(h, prefix, (zl_route_t){.kind = ZL_ROUTE_LOOP, .lfn = fn, .loop = loop, .ctx = ctx});
}

void zl_http_route_call(zl_http_t *h, const char *prefix, zl_http_loop_handler_t fn, void *ctx) {
    if (!h || !prefix || !fn) return;
    zl_route_add(h, prefix, (zl_route_t){.kind = ZL_ROUTE_CALL, .lfn = fn, .ctx = ctx});
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
    zl_http_streams_cancel(h); /* and the ones serving a stream */
    pthread_mutex_unlock(&h->mu);
    /* joins every connection thread; streams' on_close are posted by then */
    if (h->d) MHD_stop_daemon(h->d);
    for (int i = 0; i < h->n_routes; i++) free(h->routes[i].prefix);
    pthread_mutex_destroy(&h->mu);
    zl_pem_free(h->cert_pem, h->key_pem);
    free(h->ca_pem);
    zl_http_basic_destroy(h->basic);
    free(h);
}
