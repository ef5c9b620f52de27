/* SPDX-License-Identifier: Apache-2.0 */
/* The event loop every role runs on (gateway, simulator, and the roles to
 * come): one thread, epoll, the timer wheel, an eventfd wake-up and a post
 * queue through which other threads (librdkafka, libmicrohttpd) hand work to
 * the loop thread.  Why one loop for all: the ordering rules of a turn (state
 * committed before datagrams leave) and the hand-off from foreign threads are
 * written once, here, instead of once per role.
 *
 * One turn (zl_loop_run_once):
 *   1. epoll_wait, timeout = the next timer slot (at most ZL_LOOP_MAX_WAIT_MS;
 *      0 if a stop is pending);
 *   2. the callbacks of the ready fds, in epoll's order (the wake-up eventfd
 *      is one of them: it runs the posted functions);
 *   3. the due timers of the wheel;
 *   4. the turn hooks, in the order they were added.
 *
 * Threads: everything runs on the thread that calls zl_loop_run() ("the loop
 * thread") except zl_loop_post(), zl_loop_wake() and zl_loop_stop(), which any
 * thread may call, the last two also from a signal handler. */
#ifndef ZL_LOOP_H
#define ZL_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/wheel.h"

typedef struct zl_loop zl_loop_t;

/* Work for the loop thread (posts and turn hooks). */
typedef void (*zl_loop_fn)(void *ctx);

/* fd events (the epoll bit values, so no translation on the hot path). */
#define ZL_LOOP_IN 0x001u
#define ZL_LOOP_OUT 0x004u
#define ZL_LOOP_ERR 0x008u /* always reported, need not be asked for */
#define ZL_LOOP_HUP 0x010u /* always reported, need not be asked for */

#define ZL_LOOP_MAX_WAIT_MS 1000 /* longest sleep without a timer (a safety net) */
#define ZL_LOOP_MAX_HOOKS 8
#define ZL_LOOP_POST_DEFAULT 4096

/* events: what is ready (ZL_LOOP_* bits). */
typedef void (*zl_loop_fd_cb)(void *ctx, uint32_t events);

/* One watched descriptor.  The caller owns the memory (embed it in the
 * object the fd belongs to: no allocation per watch, none per event) and keeps
 * it alive and unmoved until zl_loop_fd_remove().  Fields are the loop's. */
typedef struct zl_loop_fd {
    int fd;
    uint32_t events;
    zl_loop_fd_cb cb;
    void *ctx;
} zl_loop_fd_t;

typedef struct {
    /* size of the post queue (0 = ZL_LOOP_POST_DEFAULT).  The queue is
     * bounded: a post into a full queue fails with ZL_ERR_FULL, so a stalled
     * loop pushes back on its producers instead of growing memory. */
    size_t post_capacity;
    /* the timer wheel to run (initialised, borrowed: it must outlive the
     * loop), for owners that embed theirs; NULL = the loop has its own. */
    zl_wheel_t *wheel;
} zl_loop_cfg_t;

/* cfg may be NULL (defaults). */
zl_loop_t *zl_loop_new(const zl_loop_cfg_t *cfg, char *errstr, size_t errstr_size);
/* Call after the loop thread has returned from zl_loop_run(), once no other
 * thread posts any more; watches need not be removed (the epoll set goes).
 * Functions still queued by zl_loop_post() are run here (on the calling
 * thread), so every accepted post runs exactly once: destroy the loop before
 * the state they use.  NULL is a no-op. */
void zl_loop_destroy(zl_loop_t *l);

/* The loop's timer wheel (its own or cfg.wheel): arm zl_timer_t's on it
 * (loop thread only).  Its address is stable for the loop's life. */
zl_wheel_t *zl_loop_wheel(zl_loop_t *l);

/* Watches fd for events (ZL_LOOP_IN and/or ZL_LOOP_OUT, level-triggered); cb
 * runs on the loop thread with ctx and the ready events.  Returns ZL_ERR_IO
 * (errno set) if epoll refuses the fd. */
zl_err_t zl_loop_fd_add(zl_loop_t *l, zl_loop_fd_t *w, int fd, uint32_t events, zl_loop_fd_cb cb, void *ctx);
zl_err_t zl_loop_fd_modify(zl_loop_t *l, zl_loop_fd_t *w, uint32_t events);
/* Stops watching (before closing the fd).  Safe from inside any callback,
 * including w's own: an event of w still pending in this turn is dropped. */
void zl_loop_fd_remove(zl_loop_t *l, zl_loop_fd_t *w);

/* Adds fn(ctx) to the end of every turn (after fd callbacks and timers);
 * hooks run in the order added.  ZL_ERR_FULL past ZL_LOOP_MAX_HOOKS. */
zl_err_t zl_loop_on_turn(zl_loop_t *l, zl_loop_fn fn, void *ctx);

/* Any thread: runs fn(ctx) on the loop thread, in a later turn, exactly once,
 * in post order (per posting thread).  ZL_OK, or ZL_ERR_FULL when the queue
 * holds post_capacity functions (fn will not run; ctx stays the caller's). */
zl_err_t zl_loop_post(zl_loop_t *l, zl_loop_fn fn, void *ctx);

/* Any thread or a signal handler: makes a sleeping epoll_wait return (the
 * turn then runs its timers and hooks). */
void zl_loop_wake(zl_loop_t *l);
/* Any thread or a signal handler: zl_loop_run() returns once the current
 * turn completes, hooks included (a sleeping loop wakes for it).  A stop
 * requested before zl_loop_run() makes it return without running a turn. */
void zl_loop_stop(zl_loop_t *l);

/* Runs turns until zl_loop_stop().  ZL_OK, or ZL_ERR_IO if epoll fails. */
zl_err_t zl_loop_run(zl_loop_t *l);
/* One turn (for loops embedded in a caller's own control flow, and tests).
 * Returns how many fd events it handled, or -1 if epoll failed. */
int zl_loop_run_once(zl_loop_t *l);

#endif
