/* SPDX-License-Identifier: Apache-2.0 */
/* The shared event loop (see loop.h).  Hot path cost per turn: two clock
 * reads, one epoll_wait, one indirect call per ready fd, the wheel, the
 * hooks.  Nothing is allocated after zl_loop_new(): watches are the caller's,
 * the post queue is a fixed ring.
 *
 * Post queue: a ring under a mutex.  A poster writes the eventfd only when
 * `woken` was clear, so a burst of posts costs one write(2); the loop clears
 * `woken` after reading the eventfd and before draining, so a post that
 * misses the drain has set it again and written the eventfd for the next
 * turn. */
#include "common/loop.h"

#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"

_Static_assert(ZL_LOOP_IN == EPOLLIN && ZL_LOOP_OUT == EPOLLOUT && ZL_LOOP_ERR == EPOLLERR &&
                   ZL_LOOP_HUP == EPOLLHUP,
               "ZL_LOOP_* are the epoll bits");

#define EVENTS_PER_WAIT 256
#define DRAIN_BATCH 64

typedef struct {
    zl_loop_fn fn;
    void *ctx;
} post_t;

struct zl_loop {
    int epfd, wakefd;
    zl_loop_fd_t wake_watch;
    atomic_int stop, woken;
    /* the batch being dispatched, so a removed watch's pending event is dropped */
    struct epoll_event evs[EVENTS_PER_WAIT];
    int n_evs, i_ev;
    struct {
        zl_loop_fn fn;
        void *ctx;
    } hooks[ZL_LOOP_MAX_HOOKS];
    int n_hooks;
    pthread_mutex_t mu; /* posts */
    post_t *posts;
    size_t cap, head, count;
    zl_wheel_t *wheel; /* &own_wheel or the owner's */
    zl_wheel_t own_wheel;
};

static void wake_write(zl_loop_t *l) {
    uint64_t one = 1;
    if (write(l->wakefd, &one, sizeof one) < 0) {
        /* EAGAIN: the counter is saturated, the loop is awake anyway */
    }
}

/* Runs the posts queued when the drain starts; later ones run next turn. */
static void drain_posts(zl_loop_t *l) {
    post_t batch[DRAIN_BATCH];
    pthread_mutex_lock(&l->mu);
    size_t left = l->count;
    pthread_mutex_unlock(&l->mu);
    while (left) {
        size_t k = 0;
        pthread_mutex_lock(&l->mu);
        while (k < DRAIN_BATCH && k < left && l->count) {
            batch[k++] = l->posts[l->head];
            l->head = (l->head + 1) % l->cap;
            l->count--;
        }
        pthread_mutex_unlock(&l->mu);
        if (!k) break;
        for (size_t i = 0; i < k; i++) batch[i].fn(batch[i].ctx);
        left -= k;
    }
}

static void on_wake(void *ctx, uint32_t events) {
    zl_loop_t *l = ctx;
    (void)events;
    uint64_t v;
    if (read(l->wakefd, &v, sizeof v) < 0) {
        /* EAGAIN: nothing to clear */
    }
    /* after the read: a poster that sets woken from here on writes again */
    atomic_store(&l->woken, 0);
    drain_posts(l);
}

zl_loop_t *zl_loop_new(const zl_loop_cfg_t *cfg, char *errstr, size_t errstr_size) {
    zl_loop_cfg_t c = cfg ? *cfg : (zl_loop_cfg_t){0};
    /* the 160 KB wheel only when the owner brings none */
    zl_loop_t *l = calloc(1, c.wheel ? offsetof(zl_loop_t, own_wheel) : sizeof *l);
    if (!l) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    l->cap = c.post_capacity ? c.post_capacity : ZL_LOOP_POST_DEFAULT;
    l->posts = calloc(l->cap, sizeof *l->posts);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_mutex_init(&l->mu, NULL);
    if (c.wheel) {
        l->wheel = c.wheel;
    } else {
        l->wheel = &l->own_wheel;
        zl_wheel_init(l->wheel, zl_now_ms());
    }
    if (!l->posts || l->epfd < 0 || l->wakefd < 0 ||
        zl_loop_fd_add(l, &l->wake_watch, l->wakefd, ZL_LOOP_IN, on_wake, l)) {
        snprintf(errstr, errstr_size, "event loop: %s", l->posts ? strerror(errno) : "out of memory");
        zl_loop_destroy(l);
        return NULL;
    }
    return l;
}

void zl_loop_destroy(zl_loop_t *l) {
    if (!l) return;
    while (l->posts && l->count) drain_posts(l); /* no other thread posts any more */
    if (l->epfd >= 0) close(l->epfd);
    if (l->wakefd >= 0) close(l->wakefd);
    pthread_mutex_destroy(&l->mu);
    free(l->posts);
    free(l);
}

zl_wheel_t *zl_loop_wheel(zl_loop_t *l) { return l->wheel; }

zl_err_t zl_loop_fd_add(zl_loop_t *l, zl_loop_fd_t *w, int fd, uint32_t events, zl_loop_fd_cb cb,
                        void *ctx) {
    w->fd = fd;
    w->events = events;
    w->cb = cb;
    w->ctx = ctx;
    struct epoll_event ev = {.events = events, .data.ptr = w};
    return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) ? ZL_ERR_IO : ZL_OK;
}

zl_err_t zl_loop_fd_modify(zl_loop_t *l, zl_loop_fd_t *w, uint32_t events) {
    struct epoll_event ev = {.events = events, .data.ptr = w};
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev)) return ZL_ERR_IO;
    w->events = events;
    return ZL_OK;
}

void zl_loop_fd_remove(zl_loop_t *l, zl_loop_fd_t *w) {
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
    for (int i = l->i_ev + 1; i < l->n_evs; i++)
        if (l->evs[i].data.ptr == w) l->evs[i].data.ptr = NULL;
}

zl_err_t zl_loop_on_turn(zl_loop_t *l, zl_loop_fn fn, void *ctx) {
    if (l->n_hooks == ZL_LOOP_MAX_HOOKS) return ZL_ERR_FULL;
    l->hooks[l->n_hooks].fn = fn;
    l->hooks[l->n_hooks].ctx = ctx;
    l->n_hooks++;
    return ZL_OK;
}

zl_err_t zl_loop_post(zl_loop_t *l, zl_loop_fn fn, void *ctx) {
    pthread_mutex_lock(&l->mu);
    if (l->count == l->cap) {
        pthread_mutex_unlock(&l->mu);
        return ZL_ERR_FULL;
    }
    l->posts[(l->head + l->count) % l->cap] = (post_t){fn, ctx};
    l->count++;
    pthread_mutex_unlock(&l->mu);
    if (!atomic_exchange(&l->woken, 1)) wake_write(l);
    return ZL_OK;
}

void zl_loop_wake(zl_loop_t *l) { wake_write(l); }

void zl_loop_stop(zl_loop_t *l) {
    atomic_store(&l->stop, 1);
    wake_write(l);
}

int zl_loop_run_once(zl_loop_t *l) {
    int timeout = atomic_load_explicit(&l->stop, memory_order_relaxed)
                      ? 0
                      : zl_wheel_timeout(l->wheel, zl_now_ms(), ZL_LOOP_MAX_WAIT_MS);
    int n = epoll_wait(l->epfd, l->evs, EVENTS_PER_WAIT, timeout);
    if (n < 0) {
        if (errno != EINTR) return -1;
        n = 0;
    }
    l->n_evs = n;
    for (l->i_ev = 0; l->i_ev < l->n_evs; l->i_ev++) {
        zl_loop_fd_t *w = l->evs[l->i_ev].data.ptr;
        if (w) w->cb(w->ctx, l->evs[l->i_ev].events);
    }
    l->n_evs = l->i_ev = 0;
    zl_wheel_run(l->wheel, zl_now_ms());
    for (int i = 0; i < l->n_hooks; i++) l->hooks[i].fn(l->hooks[i].ctx);
    return n;
}

zl_err_t zl_loop_run(zl_loop_t *l) {
    while (!atomic_load_explicit(&l->stop, memory_order_relaxed)) {
        if (zl_loop_run_once(l) < 0) {
            ZL_ERROR("loop", "epoll_wait: %s", strerror(errno));
            return ZL_ERR_IO;
        }
    }
    atomic_store(&l->stop, 0); /* consumed: the loop may be run again */
    return ZL_OK;
}
