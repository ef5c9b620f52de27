/* HTTP endpoint on libmicrohttpd.  Why thread-per-connection: route handlers
 * added later (the gateway's REST API) may block while waiting for a device,
 * and a Prometheus scrape must not queue behind them; connections are capped
 * so the thread count stays bounded.  Request bodies are collected up to
 * 1 MiB (larger ones get 413 without being buffered). */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"

#if MHD_VERSION < 0x00097002
typedef int zl_mhd_result_t;
#else
typedef enum MHD_Result zl_mhd_result_t;
#endif

#define ZL_HTTP_MAX_BODY (1u << 20)
#define ZL_HTTP_MAX_ROUTES 32
#define ZL_HTTP_MAX_CONN 64

typedef struct {
    char *prefix;
    size_t len;
    zl_http_handler_t fn;
    void *ctx;
} zl_route_t;

struct zl_http {
    struct MHD_Daemon *d;
    zl_metrics_t *metrics;
    int port;
    pthread_mutex_t mu; /* routes */
    zl_route_t routes[ZL_HTTP_MAX_ROUTES];
    int n_routes;
};

/* Per-request state between libmicrohttpd's access-handler calls. */
typedef struct {
    zl_buf_t body;
    bool too_large;
} zl_req_t;

static void zl_mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t l = strlen(line);
    while (l && (line[l - 1] == '\n' || line[l - 1] == '\r')) line[--l] = 0;
    ZL_WARN("http", "%s", line);
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

static zl_mhd_result_t zl_dispatch(zl_http_t *h, struct MHD_Connection *conn, const char *url,
                                   const char *method, zl_req_t *req) {
    if (strcmp(url, "/metrics") == 0) {
        if (!zl_is_get(method))
            return zl_reply_json_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
                                       "GET, HEAD");
        return zl_serve_metrics(h, conn);
    }
    if (strcmp(url, "/healthz") == 0) {
        if (!zl_is_get(method))
            return zl_reply_json_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
                                       "GET, HEAD");
        return zl_reply(conn, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok", 2, NULL);
    }
    zl_route_t route = {0};
    if (!zl_route_find(h, url, &route))
        return zl_reply_json_error(conn, MHD_HTTP_NOT_FOUND, "not found", NULL);
    if (req->too_large)
        return zl_reply_json_error(conn, 413, "request body too large", NULL);
    zl_buf_t body;
    zl_buf_init(&body, 0);
    const char *ctype = NULL;
    const char *req_body = req->body.len ? zl_buf_cstr(&req->body) : "";
    int status = route.fn(route.ctx, method, url, req_body ? req_body : "", req->body.len, &body, &ctype);
    zl_mhd_result_t ret;
    if (status < 100 || status > 599) {
        ZL_WARN("http", "handler for %s returned invalid status %d", url, status);
        ret = zl_reply_json_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error", NULL);
    } else {
        ret = zl_reply(conn, (unsigned)status, ctype ? ctype : "application/json", body.data,
                       body.len, NULL);
    }
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
    pthread_mutex_init(&h->mu, NULL);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_ERROR_LOG | MHD_USE_POLL;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    h->d = MHD_start_daemon(flags, (uint16_t)(port < 0 ? 0 : port), NULL, NULL, zl_access, h,
                            MHD_OPTION_EXTERNAL_LOGGER, zl_mhd_log, NULL,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_NOTIFY_COMPLETED, zl_completed, h,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)ZL_HTTP_MAX_CONN,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
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

void zl_http_route(zl_http_t *h, const char *prefix, zl_http_handler_t fn, void *ctx) {
    if (!h || !prefix || !fn) return;
    pthread_mutex_lock(&h->mu);
    if (h->n_routes == ZL_HTTP_MAX_ROUTES) {
        pthread_mutex_unlock(&h->mu);
        ZL_ERROR("http", "too many routes, %s not added", prefix);
        return;
    }
    char *p = strdup(prefix);
    if (p) {
        h->routes[h->n_routes++] = (zl_route_t){p, strlen(p), fn, ctx};
    }
    pthread_mutex_unlock(&h->mu);
    if (!p) ZL_ERROR("http", "out of memory adding route %s", prefix);
}

void zl_http_stop(zl_http_t *h) {
    if (!h) return;
    if (h->d) MHD_stop_daemon(h->d);
    for (int i = 0; i < h->n_routes; i++) free(h->routes[i].prefix);
    pthread_mutex_destroy(&h->mu);
    free(h);
}
