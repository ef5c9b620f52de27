/* SPDX-License-Identifier: Apache-2.0 */
/* Timer wheel: simulated time only (zl_wheel_run with chosen now_ms values). */
#include <stdlib.h>

#include "common/wheel.h"
#include "test.h"

static zl_wheel_t W;
static int64_t now;        /* the now_ms passed to the current zl_wheel_run */
static int order[64], n_order;
static int early;          /* fired before due */

typedef struct {
    zl_timer_t t;
    int id;
    int fired;
    int64_t fired_at;
    int64_t due;
    /* behaviours */
    int rearm_left;
    int64_t rearm_step;
    zl_timer_t *disarm_other;
    zl_timer_t *arm_other;
    int64_t arm_other_due;
} tm_t;

static void cb(zl_timer_t *t, void *ctx) {
    tm_t *x = ctx;
    CHECK(t == &x->t);
    CHECK(!t->armed); /* disarmed before the callback */
    x->fired++;
    x->fired_at = now;
    if (now < x->due) early++;
    if (n_order < 64) order[n_order++] = x->id;
    if (x->disarm_other) zl_timer_disarm(&W, x->disarm_other);
    if (x->arm_other) zl_timer_arm(&W, x->arm_other, x->arm_other_due);
    if (x->rearm_left > 0) {
        x->rearm_left--;
        x->due += x->rearm_step;
        zl_timer_arm(&W, &x->t, x->due);
    }
}

static void tm_init(tm_t *x, int id) {
    memset(x, 0, sizeof *x);
    x->id = id;
    zl_timer_init(&x->t, cb, x);
}

static void arm(tm_t *x, int64_t due) {
    x->due = due;
    zl_timer_arm(&W, &x->t, due);
}

static unsigned run(int64_t t) {
    now = t;
    return zl_wheel_run(&W, t);
}

static void reset(int64_t t0) {
    zl_wheel_init(&W, t0);
    now = t0;
    n_order = 0;
    early = 0;
}

static void test_order_not_early(void) {
    reset(1000);
    tm_t a, b, c, d;
    tm_init(&a, 1);
    tm_init(&b, 2);
    tm_init(&c, 3);
    tm_init(&d, 4);
    arm(&c, 1300);
    arm(&a, 1017); /* not on a tick boundary */
    arm(&d, 1301);
    arm(&b, 1100);
    CHECK_EQ_INT(W.armed, 4);
    /* step 1 ms at a time: each fires exactly when now reaches its due time */
    for (int64_t t = 1001; t <= 1400; t++) {
        run(t);
        CHECK(!(a.fired == 0 && t >= a.due + ZL_WHEEL_TICK_MS));
    }
    CHECK_EQ_INT(early, 0);
    CHECK_EQ_INT(n_order, 4);
    CHECK_EQ_INT(order[0], 1);
    CHECK_EQ_INT(order[1], 2);
    CHECK_EQ_INT(order[2], 3);
    CHECK_EQ_INT(order[3], 4);
    /* never early, and at most one tick late */
    tm_t *all[] = {&a, &b, &c, &d};
    for (int i = 0; i < 4; i++) {
        CHECK_EQ_INT(all[i]->fired, 1);
        CHECK(all[i]->fired_at >= all[i]->due);
        CHECK(all[i]->fired_at < all[i]->due + ZL_WHEEL_TICK_MS);
    }
    CHECK_EQ_INT(W.armed, 0);

    /* the precise edge: due 2017 (inside tick 252 = 2016..2023) must not fire
     * at 2016; it fires once its tick is passed, at most one tick late */
    reset(2000);
    tm_init(&a, 1);
    arm(&a, 2017);
    CHECK_EQ_INT(run(2016), 0);
    CHECK_EQ_INT(a.fired, 0);
    CHECK_EQ_INT(run(2017 + ZL_WHEEL_TICK_MS - 1), 1);
    CHECK_EQ_INT(a.fired, 1);
    /* on a tick boundary it fires exactly at due */
    tm_init(&a, 1);
    arm(&a, 2400);
    CHECK_EQ_INT(run(2399), 0);
    CHECK_EQ_INT(run(2400), 1);

    /* due in the past: fires on the next tick, not immediately in arm */
    reset(3000);
    tm_init(&a, 1);
    arm(&a, 10);
    CHECK_EQ_INT(a.fired, 0);
    CHECK_EQ_INT(run(3000), 0);
    CHECK_EQ_INT(run(3000 + ZL_WHEEL_TICK_MS), 1);

    /* one big jump fires everything due, in due order */
    reset(0);
    tm_t x[5];
    for (int i = 0; i < 5; i++) {
        tm_init(&x[i], i);
        arm(&x[i], 500 - 100 * i);
    }
    CHECK_EQ_INT(run(10000), 5);
    for (int i = 0; i < 5; i++) CHECK_EQ_INT(order[i], 4 - i);
}

static void test_rearm_disarm(void) {
    reset(0);
    tm_t p, q, r;
    tm_init(&p, 1);
    p.rearm_left = 3;
    p.rearm_step = 100;
    arm(&p, 100);
    for (int64_t t = 0; t <= 1000; t += 10) run(t);
    CHECK_EQ_INT(p.fired, 4); /* 100, 200, 300, 400 */
    CHECK_EQ_INT(early, 0);
    CHECK(!p.t.armed);

    /* re-arm from the callback into the same slot one turn later */
    reset(0);
    tm_init(&p, 1);
    p.rearm_left = 1;
    p.rearm_step = (int64_t)ZL_WHEEL_SLOTS * ZL_WHEEL_TICK_MS;
    arm(&p, 80);
    run(80);
    CHECK_EQ_INT(p.fired, 1);
    run(80 + p.rearm_step - 1);
    CHECK_EQ_INT(p.fired, 1);
    run(80 + p.rearm_step);
    CHECK_EQ_INT(p.fired, 2);

    /* q and r due in the same tick; q (first) disarms r: r must not fire */
    reset(0);
    tm_init(&q, 1);
    tm_init(&r, 2);
    arm(&q, 200);
    arm(&r, 201);
    q.disarm_other = &r.t;
    CHECK_EQ_INT(run(300), 1);
    CHECK_EQ_INT(q.fired, 1);
    CHECK_EQ_INT(r.fired, 0);
    CHECK(!r.t.armed);
    CHECK_EQ_INT(W.armed, 0);
    run(5000);
    CHECK_EQ_INT(r.fired, 0);

    /* q disarms r which is due later (still in its slot) */
    reset(0);
    tm_init(&q, 1);
    tm_init(&r, 2);
    arm(&q, 200);
    arm(&r, 400);
    q.disarm_other = &r.t;
    run(1000);
    CHECK_EQ_INT(r.fired, 0);

    /* q re-arms pending r further out: r fires once, at its new time */
    reset(0);
    tm_init(&q, 1);
    tm_init(&r, 2);
    arm(&q, 200);
    arm(&r, 200);
    q.arm_other = &r.t;
    q.arm_other_due = 600;
    r.due = 600;
    run(300);
    CHECK_EQ_INT(r.fired, 0);
    run(600);
    CHECK_EQ_INT(r.fired, 1);
    CHECK_EQ_INT(early, 0);

    /* disarm twice and disarm of an idle timer are harmless */
    tm_init(&q, 1);
    zl_timer_disarm(&W, &q.t);
    arm(&q, 1000);
    zl_timer_disarm(&W, &q.t);
    zl_timer_disarm(&W, &q.t);
    CHECK_EQ_INT(W.armed, 0);
    run(2000);
    CHECK_EQ_INT(q.fired, 0);
    /* arm twice = re-arm, counted once */
    arm(&q, 3000);
    arm(&q, 2500);
    CHECK_EQ_INT(W.armed, 1);
    run(2600);
    CHECK_EQ_INT(q.fired, 1);
    run(4000);
    CHECK_EQ_INT(q.fired, 1);
}

static void test_long_delays(void) {
    const int64_t turn = (int64_t)ZL_WHEEL_SLOTS * ZL_WHEEL_TICK_MS; /* 32768 ms */
    reset(100);
    tm_t a, b, c;
    tm_init(&a, 1);
    tm_init(&b, 2);
    tm_init(&c, 3);
    arm(&a, 100 + 3 * turn + 50);
    arm(&b, 100 + turn);       /* exactly one turn */
    arm(&c, 100 + 10 * turn + 7);
    /* walk in steps smaller than a turn */
    for (int64_t t = 100; t <= 100 + 11 * turn; t += 1000) {
        run(t);
        CHECK(!(a.fired && a.fired_at < a.due));
    }
    run(100 + 11 * turn);
    CHECK_EQ_INT(early, 0);
    CHECK_EQ_INT(a.fired, 1);
    CHECK_EQ_INT(b.fired, 1);
    CHECK_EQ_INT(c.fired, 1);
    CHECK_EQ_INT(n_order, 3);
    CHECK_EQ_INT(order[0], 2);
    CHECK_EQ_INT(order[1], 1);
    CHECK_EQ_INT(order[2], 3);

    /* not early across turns: one ms before due nothing, at due it fires */
    reset(0);
    tm_init(&a, 1);
    arm(&a, 5 * turn + 123);
    run(5 * turn + 122);
    CHECK_EQ_INT(a.fired, 0);
    run(5 * turn + 123 + ZL_WHEEL_TICK_MS - 1);
    CHECK_EQ_INT(a.fired, 1);

    /* one long stall (a single run covering several turns): every timer that
     * is due by then fires in that call, short ones included */
    reset(0);
    tm_init(&a, 1);
    tm_init(&b, 2);
    tm_init(&c, 3);
    arm(&a, 100);
    arm(&b, 3 * turn);
    arm(&c, 6 * turn); /* not yet due */
    CHECK_EQ_INT(run(3 * turn + 40), 2);
    CHECK_EQ_INT(a.fired, 1);
    CHECK_EQ_INT(b.fired, 1);
    CHECK_EQ_INT(c.fired, 0);
    run(6 * turn - 1);
    CHECK_EQ_INT(c.fired, 0);
    run(6 * turn);
    CHECK_EQ_INT(c.fired, 1);
    CHECK_EQ_INT(early, 0);

    /* stalls of every size around the turn boundaries */
    for (int64_t jump = turn - 16; jump <= 2 * turn + 16; jump += 8) {
        reset(0);
        tm_t t1, t2, t3;
        tm_init(&t1, 1);
        tm_init(&t2, 2);
        tm_init(&t3, 3);
        arm(&t1, 8);
        arm(&t2, jump);
        arm(&t3, jump + 8);
        run(jump);
        CHECK_EQ_INT(t1.fired, 1);
        CHECK_EQ_INT(t2.fired, 1);
        CHECK_EQ_INT(t3.fired, 0);
        run(jump + 8);
        CHECK_EQ_INT(t3.fired, 1);
        CHECK_EQ_INT(early, 0);
    }
}

static void test_timeout(void) {
    reset(1000);
    CHECK_EQ_INT(zl_wheel_timeout(&W, 1000, 500), 500);
    tm_t a;
    tm_init(&a, 1);
    arm(&a, 1100);
    int t = zl_wheel_timeout(&W, 1000, 1000);
    CHECK(t >= 100); /* waking then and running the wheel fires it */
    CHECK(t < 100 + ZL_WHEEL_TICK_MS);
    run(1000 + t);
    CHECK_EQ_INT(a.fired, 1);
    /* capped */
    arm(&a, 5000);
    CHECK_EQ_INT(zl_wheel_timeout(&W, now, 50), 50);
    /* beyond the scan limit: max */
    CHECK_EQ_INT(zl_wheel_timeout(&W, now, 100), 100);
    /* the loop may be late: never negative */
    arm(&a, now + 20);
    CHECK_EQ_INT(zl_wheel_timeout(&W, now + 5000, 1000), 0);
    zl_timer_disarm(&W, &a.t);
    CHECK_EQ_INT(zl_wheel_timeout(&W, now, 777), 777);
}

/* Many timers with random due times and a random walk of now: each fires
 * exactly once, never early, at most one tick late when now moves in steps. */
static void test_random(void) {
    enum { N = 2000 };
    reset(0);
    tm_t *x = calloc(N, sizeof *x);
    srand(7);
    for (int i = 0; i < N; i++) {
        tm_init(&x[i], i);
        arm(&x[i], rand() % 200000);
    }
    for (int i = 0; i < N; i += 3) zl_timer_disarm(&W, &x[i].t);
    int64_t t = 0;
    while (t < 210000) {
        t += rand() % 50;
        run(t);
    }
    for (int i = 0; i < N; i++) {
        if (i % 3 == 0) {
            CHECK_EQ_INT(x[i].fired, 0);
        } else {
            CHECK_EQ_INT(x[i].fired, 1);
            CHECK(x[i].fired_at < x[i].due + 50 + ZL_WHEEL_TICK_MS);
        }
    }
    CHECK_EQ_INT(early, 0);
    CHECK_EQ_INT(W.armed, 0);
    free(x);
}

int main(void) {
    test_order_not_early();
    test_rearm_disarm();
    test_long_delays();
    test_timeout();
    test_random();
    TEST_MAIN_END();
}
