/* SPDX-License-Identifier: Apache-2.0 */
/* Hashed timer wheel: O(1) arm, disarm and per-tick expiry.
 *
 * One wheel per event loop.  Timers are intrusive (embed a zl_timer_t);
 * resolution is ZL_WHEEL_TICK_MS, the wheel spans ZL_WHEEL_SLOTS ticks and
 * longer delays wrap around with a rounds counter.  Expired timers are
 * disarmed before their callback runs, so a callback may re-arm itself.
 * Thread: the loop thread only. */
#ifndef ZL_WHEEL_H
#define ZL_WHEEL_H

#include <stdbool.h>
#include <stdint.h>

#define ZL_WHEEL_TICK_MS 8
#define ZL_WHEEL_SLOTS 4096

typedef struct zl_timer zl_timer_t;
typedef void (*zl_timer_cb)(zl_timer_t *t, void *ctx);

struct zl_timer {
    zl_timer_t *next, *prev; /* slot list; prev == NULL && !armed when idle */
    int64_t due_ms;
    uint32_t rounds;
    bool armed;
    zl_timer_cb cb;
    void *ctx;
};

typedef struct {
    zl_timer_t slots[ZL_WHEEL_SLOTS]; /* sentinels */
    int64_t now_tick;                 /* last processed tick */
    uint64_t armed;
} zl_wheel_t;

void zl_wheel_init(zl_wheel_t *w, int64_t now_ms);
void zl_timer_init(zl_timer_t *t, zl_timer_cb cb, void *ctx);
/* Arms (or re-arms) t to fire at due_ms (monotonic ms). */
void zl_timer_arm(zl_wheel_t *w, zl_timer_t *t, int64_t due_ms);
void zl_timer_disarm(zl_wheel_t *w, zl_timer_t *t);
/* Fires every timer whose tick has passed: a timer due at due_ms fires in the
 * first run with now_ms >= due_ms rounded up to a tick boundary (never early,
 * at most one tick late). Returns how many fired. */
unsigned zl_wheel_run(zl_wheel_t *w, int64_t now_ms);
/* Milliseconds until the next slot that holds a timer, capped at max_ms. */
int zl_wheel_timeout(const zl_wheel_t *w, int64_t now_ms, int max_ms);

#endif
