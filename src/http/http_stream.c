/* SPDX-License-Identifier: Apache-2.0 */
/* Server-Sent Events streams: a loop route's call turned into a response
 * that the owner (the loop) keeps writing to.
 *
 * Why the connection thread blocks in libmicrohttpd's content reader: in
 * thread-per-connection mode that is allowed and costs nothing but the
 * thread the connection has anyway, where suspend/resume would need a
 * second hand-off per chunk.  The reader sleeps in poll() on an eventfd
 * (written by the owner's write and close, and by zl_http_stop) and on the
 * socket for a hang-up (POLLRDHUP, not POLLIN: a client that sends bytes
 * must not make it spin), so a client that leaves is noticed at once, not
 * at the next keepalive.
 *
 * Lifetime: two references, the owner's (released by zl_http_stream_close,
 * or after on_close ran) and the connection's (released when libmicrohttpd
 * frees the response, which is how the end of the connection is learnt,
 * whatever ended it).  on_close is decided under the stream's lock at that
 * moment, so it is posted exactly once and never after the owner closed.
 *
 * Flow control: the owner's bytes wait in a buffer of at most
 * ZL_HTTP_STREAM_MAX_BUFFER; past that zl_http_stream_write says
 * ZL_ERR_FULL.  The connection's idle timeout is raised, not removed, for a
 * stream: a healthy stream sends at least every keepalive, so only a client
 * that takes nothing for ZL_HTTP_STREAM_STALL_S is cut off (otherwise a
 * client that stops reading would hold its thread for ever). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "http/http_int.h"

#define ZL_HTTP_STREAM_STALL_S 60  /* no byte taken by the client for this long: dropped */
#define ZL_HTTP_STREAM_BLOCK (16u * 1024)
#define ZL_HTTP_STREAM_POST_TRIES 100 /* 10 ms apart: on_close waits for a full loop queue */

static const char zl_keepalive[] = ": keepalive\n\n";

struct zl_http_stream {
    zl_http_stream_t *next, *prev; /* h->streams, under h->mu, while being served */
    zl_http_t *h;                  /* set while linked */
    pthread_mutex_t mu;            /* everything below but the constants */
    int refs;
    zl_buf_t out;                  /* written, not yet sent: out.data[off .. out.len) */
    size_t off;
    bool owner_closed;             /* zl_http_stream_close was called */
    bool conn_gone;                /* libmicrohttpd let go of the response */
    bool cancelled;                /* the server is stopping */
    bool close_lost;               /* on_close could not be posted: the owner releases */
    int efd;                       /* eventfd waking the reader */
    int sock;                      /* the connection's socket (polled for hang-up), -1 unknown */
    int64_t sent_ms;               /* connection thread only: last bytes handed over */
    zl_loop_t *loop;
    void (*on_close)(void *ctx, zl_http_stream_t *s);
    void *ctx;
    char *ctype;
};

static void zl_stream_unref(zl_http_stream_t *s) {
    pthread_mutex_lock(&s->mu);
    int left = --s->refs;
    pthread_mutex_unlock(&s->mu);
    if (left) return;
    pthread_mutex_destroy(&s->mu);
    close(s->efd);
    zl_buf_free(&s->out);
    free(s->ctype);
    free(s);
}

static void zl_stream_wake(zl_http_stream_t *s) {
    uint64_t one = 1;
    ssize_t n = write(s->efd, &one, sizeof one); /* EAGAIN: already awake */
    (void)n;
}

zl_http_stream_t *zl_http_call_stream(zl_http_call_t *c, const char *content_type,
                                      void (*on_close)(void *ctx, zl_http_stream_t *s), void *ctx) {
    if (!c) return NULL;
    if (!c->loop || !on_close) {
        ZL_ERROR("http", "%s: a stream needs a loop route and on_close", c->url);
        zl_http_call_done(c, 500, NULL);
        return NULL;
    }
    zl_http_stream_t *s = calloc(1, sizeof *s);
    if (s) s->ctype = strdup(content_type ? content_type : "text/event-stream");
    if (s) s->efd = s->ctype ? eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) : -1;
    if (!s || s->efd < 0) {
        ZL_ERROR("http", "%s: cannot create a stream: %s", c->url, s ? strerror(errno) : "out of memory");
        if (s) free(s->ctype);
        free(s);
        zl_http_call_done(c, 500, NULL);
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    zl_buf_init(&s->out, 0);
    s->refs = 2; /* the owner + the connection */
    s->sock = -1;
    s->loop = c->loop;
    s->on_close = on_close;
    s->ctx = ctx;
    pthread_mutex_lock(&c->mu);
    bool gone = c->given_up;
    if (!gone) {
        c->stream = s;
        c->status = 200;
        c->done = true;
        pthread_cond_signal(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    zl_http_call_unref(c);
    if (gone) { /* the connection answered 503/504 already; nobody to stream to */
        s->refs = 1;
        zl_stream_unref(s);
        return NULL;
    }
    return s;
}

/* Loop thread (posted): the owner learns the connection ended. */
static void zl_stream_closed(void *ctx) {
    zl_http_stream_t *s = ctx;
    pthread_mutex_lock(&s->mu);
    bool closed = s->owner_closed; /* closed by the owner since the post: no on_close */
    pthread_mutex_unlock(&s->mu);
    if (!closed) s->on_close(s->ctx, s);
    zl_stream_unref(s); /* the owner's reference, which the post carried */
}

/* Any libmicrohttpd thread: the response is freed, the connection side
 * lets go (client gone, write error, end of stream, server stopping). */
static void zl_stream_release(void *cls) {
    zl_http_stream_t *s = cls;
    zl_http_t *h = s->h;
    if (h) {
        pthread_mutex_lock(&h->mu);
        if (s->prev) s->prev->next = s->next;
        else h->streams = s->next;
        if (s->next) s->next->prev = s->prev;
        pthread_mutex_unlock(&h->mu);
        s->h = NULL;
    }
    pthread_mutex_lock(&s->mu);
    s->conn_gone = true;
    bool notify = !s->owner_closed;
    pthread_mutex_unlock(&s->mu);
    bool posted = false;
    for (int i = 0; notify && i < ZL_HTTP_STREAM_POST_TRIES && !posted; i++) {
        posted = zl_loop_post(s->loop, zl_stream_closed, s) == ZL_OK;
        if (!posted) nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    }
    if (notify && !posted) {
        ZL_ERROR("http", "stream closed but its loop's queue stays full: on_close not delivered");
        pthread_mutex_lock(&s->mu);
        bool release = s->owner_closed; /* closed meanwhile, counting on the post */
        if (!release) s->close_lost = true;
        pthread_mutex_unlock(&s->mu);
        if (release) zl_stream_unref(s);
    }
    zl_stream_unref(s);
}

/* libmicrohttpd's content reader (connection thread): the next bytes,
 * waiting for them as long as it takes. */
static ssize_t zl_stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    zl_http_stream_t *s = cls;
    (void)pos;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        size_t avail = s->out.len - s->off;
        if (avail) {
            size_t n = avail < max ? avail : max;
            memcpy(buf, s->out.data + s->off, n);
            s->off += n;
            if (s->off == s->out.len) s->off = s->out.len = 0;
            pthread_mutex_unlock(&s->mu);
            s->sent_ms = zl_now_ms();
            return (ssize_t)n;
        }
        bool end = s->owner_closed, cancelled = s->cancelled;
        int64_t wait = s->sent_ms + ZL_HTTP_STREAM_KEEPALIVE_S * 1000 - zl_now_ms();
        if (!end && !cancelled && wait <= 0) /* sent like the owner's bytes, outside the cap */
            zl_buf_append(&s->out, zl_keepalive, sizeof zl_keepalive - 1);
        pthread_mutex_unlock(&s->mu);
        /* a regular end for the server stopping and (below) for a client
         * that hung up too: END_WITH_ERROR would make libmicrohttpd log a
         * warning for every SSE client that leaves */
        if (end || cancelled) return MHD_CONTENT_READER_END_OF_STREAM;
        if (wait <= 0) continue;
        struct pollfd p[2] = {{.fd = s->efd, .events = POLLIN}, {.fd = s->sock, .events = POLLRDHUP}};
        int rc = poll(p, s->sock >= 0 ? 2 : 1, (int)wait);
        if (rc < 0 && errno != EINTR) return MHD_CONTENT_READER_END_WITH_ERROR;
        if (rc > 0 && (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
            return MHD_CONTENT_READER_END_OF_STREAM; /* the client hung up */
        if (rc > 0 && (p[0].revents & POLLIN)) {
            uint64_t v;
            ssize_t n = read(s->efd, &v, sizeof v);
            (void)n;
        }
    }
}

zl_mhd_result_t zl_http_stream_serve(zl_http_t *h, struct MHD_Connection *conn, zl_http_call_t *c) {
    zl_http_stream_t *s = c->stream;
    c->stream = NULL;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    s->sock = ci ? ci->connect_fd : -1;
    s->sent_ms = zl_now_ms();
    pthread_mutex_lock(&h->mu);
    s->h = h;
    s->prev = NULL;
    s->next = h->streams;
    if (h->streams) h->streams->prev = s;
    h->streams = s;
    if (h->stopping) { /* zl_http_stop's cancel ran before this stream was linked */
        pthread_mutex_lock(&s->mu);
        s->cancelled = true;
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_unlock(&h->mu);
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, ZL_HTTP_STREAM_BLOCK,
                                                               zl_stream_read, s, zl_stream_release);
    if (!r) {
        zl_stream_release(s);
        return MHD_NO;
    }
    zl_http_headers_apply(r, &c->rhdrs);
    if (!zl_http_pairs_find(&c->rhdrs, MHD_HTTP_HEADER_CONTENT_TYPE, true))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, s->ctype);
    if (!zl_http_pairs_find(&c->rhdrs, MHD_HTTP_HEADER_CACHE_CONTROL, true))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)ZL_HTTP_STREAM_STALL_S);
    zl_mhd_result_t ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r); /* the connection holds it; zl_stream_release runs when it is done */
    return ret;
}

void zl_http_streams_cancel(zl_http_t *h) {
    for (zl_http_stream_t *s = h->streams; s; s = s->next) {
        pthread_mutex_lock(&s->mu);
        s->cancelled = true;
        pthread_mutex_unlock(&s->mu);
        zl_stream_wake(s);
    }
}

zl_err_t zl_http_stream_write(zl_http_stream_t *s, const void *data, size_t len) {
    if (!s || (!data && len)) return ZL_ERR_INVALID;
    pthread_mutex_lock(&s->mu);
    zl_err_t e = ZL_OK;
    if (s->conn_gone || s->cancelled) {
        e = ZL_ERR_CANCELLED;
    } else if (len > ZL_HTTP_STREAM_MAX_BUFFER - (s->out.len - s->off)) {
        e = ZL_ERR_FULL;
    } else if (len) {
        if (s->off && s->off >= s->out.len / 2) { /* compact now and then, not on every write */
            memmove(s->out.data, s->out.data + s->off, s->out.len - s->off);
            s->out.len -= s->off;
            s->off = 0;
        }
        e = zl_buf_append(&s->out, data, len);
    }
    pthread_mutex_unlock(&s->mu);
    if (e == ZL_OK && len) zl_stream_wake(s);
    return e;
}

void zl_http_stream_close(zl_http_stream_t *s) {
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    s->owner_closed = true;
    /* once the connection is gone, the posted on_close carries the owner's
     * reference (and releases it without calling on_close) */
    bool release = !s->conn_gone || s->close_lost;
    pthread_mutex_unlock(&s->mu);
    zl_stream_wake(s);
    if (release) zl_stream_unref(s);
}
