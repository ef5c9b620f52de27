/* SPDX-License-Identifier: Apache-2.0 */
/* Timer wheel: ticks of ZL_WHEEL_TICK_MS, ZL_WHEEL_SLOTS slots. A timer lands in
 * slot (due_tick % SLOTS) with rounds = how many full turns remain. Processing
 * a tick walks only that slot, so cost is proportional to due timers plus the
 * (rare) long timers sharing the slot. */
#include "common/wheel.h"

#include <stddef.h>

static int64_t tick_of(int64_t ms) { return ms / ZL_WHEEL_TICK_MS; }
/* The tick a timer due at ms goes to: rounded up, so that zl_wheel_run(now),
 * which processes ticks up to tick_of(now), never fires it before ms. */
static int64_t due_tick_of(int64_t ms) {
    int64_t t = ms / ZL_WHEEL_TICK_MS;
    return ms % ZL_WHEEL_TICK_MS > 0 ? t + 1 : t;
}

void zl_wheel_init(zl_wheel_t *w, int64_t now_ms) {
    for (int i = 0; i < ZL_WHEEL_SLOTS; i++) w->slots[i].next = w->slots[i].prev = &w->slots[i];
    w->now_tick = tick_of(now_ms);
    w->armed = 0;
}

void zl_timer_init(zl_timer_t *t, zl_timer_cb cb, void *ctx) {
    t->next = t->prev = NULL;
    t->armed = false;
    t->cb = cb;
    t->ctx = ctx;
    t->due_ms = 0;
    t->rounds = 0;
}

void zl_timer_disarm(zl_wheel_t *w, zl_timer_t *t) {
    if (!t->armed) return;
    t->prev->next = t->next;
    t->next->prev = t->prev;
    t->next = t->prev = NULL;
    t->armed = false;
    w->armed--;
}

void zl_timer_arm(zl_wheel_t *w, zl_timer_t *t, int64_t due_ms) {
    zl_timer_disarm(w, t);
    int64_t tick = due_tick_of(due_ms);
    if (tick <= w->now_tick) tick = w->now_tick + 1; /* never in the past: next tick */
    int64_t delta = tick - w->now_tick;
    t->rounds = (uint32_t)((delta - 1) / ZL_WHEEL_SLOTS);
    t->due_ms = due_ms;
    zl_timer_t *s = &w->slots[tick % ZL_WHEEL_SLOTS];
    t->next = s;
    t->prev = s->prev;
    s->prev->next = t;
    s->prev = t;
    t->armed = true;
    w->armed++;
}

unsigned zl_wheel_run(zl_wheel_t *w, int64_t now_ms) {
    unsigned fired = 0;
    int64_t target = tick_of(now_ms);
    while (w->now_tick < target) {
        w->now_tick++;
        /* Long stall: skip whole turns, charging each timer the skipped rounds, but
         * leave at least one full turn to walk so that every slot is visited and
         * timers that fell due inside the skipped turns fire in this call. */
        int64_t turns = (target - w->now_tick + 1) / ZL_WHEEL_SLOTS - 1;
        if (turns > 0) {
            for (int i = 0; i < ZL_WHEEL_SLOTS; i++)
                for (zl_timer_t *t = w->slots[i].next; t != &w->slots[i]; t = t->next)
                    t->rounds = t->rounds > turns ? t->rounds - (uint32_t)turns : 0;
            w->now_tick += turns * ZL_WHEEL_SLOTS;
        }
        /* Move due timers to a local pending list first, so callbacks may arm,
         * disarm or free any timer (a disarmed pending timer does not fire). */
        zl_timer_t pending = {.next = &pending, .prev = &pending};
        zl_timer_t *s = &w->slots[w->now_tick % ZL_WHEEL_SLOTS];
        for (zl_timer_t *t = s->next, *next; t != s; t = next) {
            next = t->next;
            if (t->rounds) {
                t->rounds--;
                continue;
            }
            t->prev->next = t->next;
            t->next->prev = t->prev;
            t->next = &pending;
            t->prev = pending.prev;
            pending.prev->next = t;
            pending.prev = t;
        }
        while (pending.next != &pending) {
            zl_timer_t *t = pending.next;
            zl_timer_disarm(w, t);
            fired++;
            t->cb(t, t->ctx);
        }
    }
    return fired;
}

int zl_wheel_timeout(const zl_wheel_t *w, int64_t now_ms, int max_ms) {
    if (w->armed == 0) return max_ms;
    /* Find the first non-empty slot ahead (bounded scan); sleeping until then
     * keeps an idle gateway with thousands of armed expiry timers quiet. */
    int64_t limit = max_ms / ZL_WHEEL_TICK_MS + 1;
    for (int64_t k = 1; k <= limit && k <= ZL_WHEEL_SLOTS; k++) {
        const zl_timer_t *s = &w->slots[(w->now_tick + k) % ZL_WHEEL_SLOTS];
        if (s->next != s) {
            int64_t d = (w->now_tick + k) * ZL_WHEEL_TICK_MS - now_ms;
            return d < 0 ? 0 : (int)(d > max_ms ? max_ms : d);
        }
    }
    return max_ms;
}
