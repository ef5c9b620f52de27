/* SPDX-License-Identifier: Apache-2.0 */
/* The call object: one request as a handler sees it (loop routes and
 * connection-thread call routes alike).  Why everything is copied in at
 * creation (arguments, headers, cookies, the peer's address): a loop
 * handler runs on another thread, possibly turns later, and libmicrohttpd's
 * connection may only be touched from its own thread while the request is
 * in progress; a copy is the only view that is safe from anywhere. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "http/http_int.h"

const char *zl_http_pairs_find(const zl_buf_t *b, const char *name, bool icase) {
    const char *p = (const char *)b->data, *end = p + b->len;
    while (p && p < end) {
        const char *v = p + strlen(p) + 1;
        if (icase ? !strcasecmp(p, name) : !strcmp(p, name)) return v;
        p = v + strlen(v) + 1;
    }
    return NULL;
}

static zl_err_t zl_pairs_add(zl_buf_t *b, const char *name, const char *value) {
    size_t ln = strlen(name) + 1, lv = strlen(value) + 1;
    zl_err_t e = zl_buf_reserve(b, ln + lv);
    if (e) return e;
    zl_buf_append(b, name, ln);
    return zl_buf_append(b, value, lv);
}

/* MHD_get_connection_values iterator: one argument/header/cookie into the
 * buffer passed as cls. */
static zl_mhd_result_t zl_collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    if (key) zl_pairs_add(cls, key, value ? value : "");
    return MHD_YES;
}

/* The client's address as text; IPv4-mapped IPv6 shown as IPv4, so one
 * client has one spelling whatever the listening socket's family. */
static void zl_peer_format(struct MHD_Connection *conn, char *out, size_t n) {
    out[0] = 0;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr) return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)n);
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)n);
        else inet_ntop(AF_INET6, a, out, (socklen_t)n);
    }
}

static void zl_call_free(zl_http_call_t *c) {
    free(c->method);
    free(c->url);
    zl_buf_free(&c->req);
    zl_buf_free(&c->reply);
    zl_buf_free(&c->args);
    zl_buf_free(&c->headers);
    zl_buf_free(&c->cookies);
    zl_buf_free(&c->rhdrs);
    free(c);
}

zl_http_call_t *zl_http_call_new(struct MHD_Connection *conn, const char *method, const char *url,
                                 zl_buf_t *body, const zl_route_t *r) {
    zl_http_call_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->method = strdup(method);
    c->url = strdup(url);
    c->req = *body; /* moved: the connection's buffer is left empty */
    zl_buf_init(body, 0);
    zl_buf_init(&c->reply, 0);
    zl_buf_init(&c->args, 0);
    zl_buf_init(&c->headers, 0);
    zl_buf_init(&c->cookies, 0);
    zl_buf_init(&c->rhdrs, 0);
    c->body = c->req.len ? zl_buf_cstr(&c->req) : "";
    if (!c->method || !c->url || !c->body) {
        zl_call_free(c);
        return NULL;
    }
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, zl_collect, &c->args);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, zl_collect, &c->headers);
    MHD_get_connection_values(conn, MHD_COOKIE_KIND, zl_collect, &c->cookies);
    zl_peer_format(conn, c->peer, sizeof c->peer);
    pthread_mutex_init(&c->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cv, &ca);
    pthread_condattr_destroy(&ca);
    c->fn = r->lfn;
    c->ctx = r->ctx;
    c->loop = r->kind == ZL_ROUTE_LOOP ? r->loop : NULL;
    c->refs = 2; /* the connection + the handler */
    return c;
}

void zl_http_call_unref(zl_http_call_t *c) {
    pthread_mutex_lock(&c->mu);
    int left = --c->refs;
    pthread_mutex_unlock(&c->mu);
    if (left) return;
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    zl_call_free(c);
}

void zl_http_call_run(void *ctx) {
    zl_http_call_t *c = ctx;
    pthread_mutex_lock(&c->mu);
    bool skip = c->given_up;
    pthread_mutex_unlock(&c->mu);
    if (skip) zl_http_call_unref(c);
    else c->fn(c->ctx, c);
}

const char *zl_http_call_method(const zl_http_call_t *c) { return c->method; }
const char *zl_http_call_url(const zl_http_call_t *c) { return c->url; }
const char *zl_http_call_body(const zl_http_call_t *c, size_t *len) {
    if (len) *len = c->req.len;
    return c->body;
}
zl_buf_t *zl_http_call_reply(zl_http_call_t *c) { return &c->reply; }
const char *zl_http_call_peer(const zl_http_call_t *c) { return c->peer; }

const char *zl_http_call_arg(const zl_http_call_t *c, const char *name) {
    return zl_http_pairs_find(&c->args, name, false);
}

const char *zl_http_call_header(const zl_http_call_t *c, const char *name) {
    return name ? zl_http_pairs_find(&c->headers, name, true) : NULL;
}

const char *zl_http_call_cookie(const zl_http_call_t *c, const char *name) {
    return name ? zl_http_pairs_find(&c->cookies, name, false) : NULL;
}

/* RFC 9110 token: what a header name may be made of. */
static bool zl_is_token(const char *s) {
    if (!*s) return false;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (!isalnum(ch) && !strchr("!#$%&'*+-.^_`|~", ch)) return false;
    }
    return true;
}

zl_err_t zl_http_call_set_header(zl_http_call_t *c, const char *name, const char *value) {
    if (!c || !name || !value || !zl_is_token(name) || strpbrk(value, "\r\n")) return ZL_ERR_INVALID;
    if (!strcasecmp(name, "Content-Length") || !strcasecmp(name, "Transfer-Encoding")) return ZL_ERR_INVALID;
    return zl_pairs_add(&c->rhdrs, name, value);
}

void zl_http_call_done(zl_http_call_t *c, int status, const char *content_type) {
    pthread_mutex_lock(&c->mu);
    c->status = status;
    c->ctype = content_type;
    c->done = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    zl_http_call_unref(c);
}
