/* SPDX-License-Identifier: Apache-2.0 */
/* The shared event loop: fd callbacks (add, modify, remove from inside a
 * callback), timers in order and never early, the order inside one turn (fd
 * callbacks, timers, hooks), posts from several threads each run exactly once
 * on the loop thread, the bounded post queue, stop from another thread and
 * before run.  Synchronisation is by events (posts, condition variables), never
 * by sleeping. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/loop.h"
#include "test.h"

/* ------------------------------------------------------------ fd watches */

typedef struct {
    int fd;
    int calls;
    uint32_t last;
    zl_loop_t *loop;
    zl_loop_fd_t *remove_other; /* removed from inside this callback */
    zl_loop_fd_t w;
} watch_t;

static void on_fd(void *ctx, uint32_t events) {
    watch_t *x = ctx;
    x->calls++;
    x->last = events;
    if (events & ZL_LOOP_IN) {
        char c;
        CHECK(read(x->fd, &c, 1) == 1);
    }
    if (x->remove_other) zl_loop_fd_remove(x->loop, x->remove_other);
}

static void test_fds(void) {
    char err[128];
    zl_loop_t *l = zl_loop_new(NULL, err, sizeof err);
    CHECK(l != NULL);
    int a[2], b[2];
    CHECK(pipe(a) == 0 && pipe(b) == 0);
    watch_t wa = {.fd = a[0], .loop = l}, wb = {.fd = b[0], .loop = l};
    CHECK(zl_loop_fd_add(l, &wa.w, a[0], ZL_LOOP_IN, on_fd, &wa) == ZL_OK);
    CHECK(zl_loop_fd_add(l, &wb.w, b[0], ZL_LOOP_IN, on_fd, &wb) == ZL_OK);
    CHECK(zl_loop_fd_add(l, &wb.w, -1, ZL_LOOP_IN, on_fd, &wb) == ZL_ERR_IO);

    CHECK(write(a[1], "x", 1) == 1);
    CHECK_EQ_INT(zl_loop_run_once(l), 1);
    CHECK_EQ_INT(wa.calls, 1);
    CHECK(wa.last & ZL_LOOP_IN);
    CHECK_EQ_INT(wb.calls, 0);

    /* both ready: whichever runs first removes the other, which must not run */
    wa.remove_other = &wb.w;
    wb.remove_other = &wa.w;
    CHECK(write(a[1], "x", 1) == 1 && write(b[1], "y", 1) == 1);
    CHECK_EQ_INT(zl_loop_run_once(l), 2);
    CHECK_EQ_INT(wa.calls + wb.calls, 2);
    zl_loop_fd_t *left = wa.calls == 2 ? &wa.w : &wb.w;
    watch_t *gone = wa.calls == 2 ? &wb : &wa;
    char c;
    CHECK(read(gone->fd, &c, 1) == 1); /* its byte was never read */
    zl_loop_fd_remove(l, left);

    /* modify: a pipe's write end is writable at once */
    watch_t ww = {.fd = a[1], .loop = l};
    CHECK(zl_loop_fd_add(l, &ww.w, a[1], 0, on_fd, &ww) == ZL_OK);
    zl_loop_wake(l); /* so the next turn does not wait */
    zl_loop_run_once(l);
    CHECK_EQ_INT(ww.calls, 0);
    CHECK(zl_loop_fd_modify(l, &ww.w, ZL_LOOP_OUT) == ZL_OK);
    CHECK(zl_loop_run_once(l) >= 1);
    CHECK_EQ_INT(ww.calls, 1);
    CHECK(ww.last & ZL_LOOP_OUT);
    zl_loop_fd_remove(l, &ww.w);

    zl_loop_destroy(l);
    close(a[0]), close(a[1]), close(b[0]), close(b[1]);
}

/* ------------------------------------------------- timers and turn order */

static char trace[8]; /* this turn's events; checked and reset by the last hook */
static int n_trace, turns_ok, turns_bad, turns_timer;
static void mark(char c) {
    if (n_trace < (int)sizeof trace - 1) trace[n_trace++] = c;
}

typedef struct {
    zl_timer_t t;
    int id;
    int64_t due, fired_at;
} tm_t;

static int fired[8], n_fired;

static void on_timer(zl_timer_t *t, void *ctx) {
    tm_t *x = ctx;
    (void)t;
    x->fired_at = zl_now_ms();
    fired[n_fired++] = x->id;
}

static void test_timers(void) {
    char err[128];
    /* the owner's wheel (the gateway embeds one) */
    static zl_wheel_t own;
    zl_wheel_init(&own, zl_now_ms());
    zl_loop_t *l = zl_loop_new(&(zl_loop_cfg_t){.wheel = &own}, err, sizeof err);
    zl_wheel_t *w = zl_loop_wheel(l);
    CHECK(w == &own);
    int64_t now = zl_now_ms();
    tm_t t[3] = {{.id = 3, .due = now + 60}, {.id = 1, .due = now + 20}, {.id = 2, .due = now + 40}};
    for (int i = 0; i < 3; i++) {
        zl_timer_init(&t[i].t, on_timer, &t[i]);
        zl_timer_arm(w, &t[i].t, t[i].due);
    }
    /* the epoll timeout follows the wheel: the turns wait for the timers */
    for (int turns = 0; n_fired < 3 && turns < 1000; turns++) zl_loop_run_once(l);
    CHECK_EQ_INT(n_fired, 3);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(fired[i], i + 1);
        CHECK(t[i].fired_at >= t[i].due);
    }
    zl_loop_destroy(l);
}

typedef struct {
    int fd;
    bool timer_done;
} order_t;

static void order_fd(void *ctx, uint32_t events) {
    order_t *o = ctx;
    (void)events;
    mark('F');
    if (o->timer_done) { /* level-triggered: fires every turn until read */
        char c;
        CHECK(read(o->fd, &c, 1) == 1);
    }
}
static void order_timer(zl_timer_t *t, void *ctx) {
    order_t *o = ctx;
    (void)t;
    mark('T');
    o->timer_done = true;
}
static void hook_a(void *ctx) { (void)ctx, mark('A'); }
static void hook_b(void *ctx) {
    (void)ctx;
    mark('B');
    trace[n_trace] = 0;
    /* every turn: the fd callback, the timer if due, then the hooks in order */
    turns_timer += !strcmp(trace, "FTAB");
    if (!strcmp(trace, "FAB") || !strcmp(trace, "FTAB") || !strcmp(trace, "AB")) turns_ok++;
    else turns_bad++, fprintf(stderr, "turn trace %s\n", trace);
    n_trace = 0;
}
static void noop(void *ctx) { (void)ctx; }

static void test_turn_order(void) {
    char err[128];
    zl_loop_t *l = zl_loop_new(NULL, err, sizeof err);
    int p[2];
    CHECK(pipe(p) == 0);
    order_t o = {.fd = p[0]};
    zl_loop_fd_t w;
    CHECK(zl_loop_fd_add(l, &w, p[0], ZL_LOOP_IN, order_fd, &o) == ZL_OK);
    CHECK(zl_loop_on_turn(l, hook_a, NULL) == ZL_OK);
    CHECK(zl_loop_on_turn(l, hook_b, NULL) == ZL_OK);
    zl_timer_t t;
    zl_timer_init(&t, order_timer, &o);
    zl_timer_arm(zl_loop_wheel(l), &t, zl_now_ms() + 10);
    CHECK(write(p[1], "x", 1) == 1);
    int turns = 0;
    for (; !o.timer_done; turns++) CHECK(zl_loop_run_once(l) == 1);
    CHECK_EQ_INT(turns_ok, turns); /* hooks ran once per turn, after fds and timers */
    CHECK_EQ_INT(turns_bad, 0);
    CHECK_EQ_INT(turns_timer, 1);
    /* no ready fd, no timer: the turn still runs the hooks once */
    zl_loop_fd_remove(l, &w);
    zl_loop_post(l, noop, NULL); /* so the turn does not wait */
    zl_loop_run_once(l);
    CHECK_EQ_INT(turns_ok, turns + 1);

    for (int i = 2; i < ZL_LOOP_MAX_HOOKS; i++) CHECK(zl_loop_on_turn(l, noop, NULL) == ZL_OK);
    CHECK(zl_loop_on_turn(l, noop, NULL) == ZL_ERR_FULL);
    zl_loop_destroy(l);
    close(p[0]), close(p[1]);
}

/* ------------------------------------------------------------------ posts */

#define THREADS 4
#define PER_THREAD 5000

typedef struct {
    zl_loop_t *loop;
    pthread_t loop_thread;
    int ran[THREADS][PER_THREAD];
    int next_seq[THREADS]; /* per thread, posts must run in order */
    int total, wrong_thread, out_of_order;
} posts_t;

typedef struct {
    posts_t *p;
    int thread, seq;
} item_t;

static item_t items[THREADS][PER_THREAD];

static void on_post(void *ctx) {
    item_t *it = ctx;
    posts_t *p = it->p;
    if (!pthread_equal(pthread_self(), p->loop_thread)) p->wrong_thread++;
    if (p->next_seq[it->thread] != it->seq) p->out_of_order++;
    p->next_seq[it->thread] = it->seq + 1;
    p->ran[it->thread][it->seq]++;
    if (++p->total == THREADS * PER_THREAD) zl_loop_stop(p->loop);
}

typedef struct {
    posts_t *p;
    int thread;
} poster_arg_t;

static void *poster(void *arg) {
    poster_arg_t *a = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        item_t *it = &items[a->thread][i];
        *it = (item_t){a->p, a->thread, i};
        /* a small queue: FULL happens, the poster retries (backpressure) */
        while (zl_loop_post(a->p->loop, on_post, it) == ZL_ERR_FULL) sched_yield();
    }
    return NULL;
}

static void test_posts(void) {
    char err[128];
    static posts_t p;
    p.loop = zl_loop_new(&(zl_loop_cfg_t){.post_capacity = 64}, err, sizeof err);
    p.loop_thread = pthread_self();
    pthread_t th[THREADS];
    poster_arg_t args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (poster_arg_t){&p, i};
        pthread_create(&th[i], NULL, poster, &args[i]);
    }
    CHECK(zl_loop_run(p.loop) == ZL_OK); /* returns when the last post stops it */
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    CHECK_EQ_INT(p.total, THREADS * PER_THREAD);
    CHECK_EQ_INT(p.wrong_thread, 0);
    CHECK_EQ_INT(p.out_of_order, 0);
    int bad = 0;
    for (int i = 0; i < THREADS; i++)
        for (int k = 0; k < PER_THREAD; k++) bad += p.ran[i][k] != 1;
    CHECK_EQ_INT(bad, 0);
    zl_loop_destroy(p.loop);
}

static int counted[8], n_counted;
static void count_post(void *ctx) { counted[n_counted++] = (int)(intptr_t)ctx; }

static void test_bounded(void) {
    char err[128];
    zl_loop_t *l = zl_loop_new(&(zl_loop_cfg_t){.post_capacity = 4}, err, sizeof err);
    for (int i = 0; i < 4; i++) CHECK(zl_loop_post(l, count_post, (void *)(intptr_t)i) == ZL_OK);
    CHECK(zl_loop_post(l, count_post, (void *)(intptr_t)9) == ZL_ERR_FULL);
    zl_loop_run_once(l);
    CHECK_EQ_INT(n_counted, 4);
    for (int i = 0; i < 4; i++) CHECK_EQ_INT(counted[i], i);
    /* room again; what is still queued at destroy runs there, exactly once */
    CHECK(zl_loop_post(l, count_post, (void *)(intptr_t)5) == ZL_OK);
    zl_loop_destroy(l);
    CHECK_EQ_INT(n_counted, 5);
    CHECK_EQ_INT(counted[4], 5);
}

/* ------------------------------------------------------------------- stop */

typedef struct {
    zl_loop_t *loop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool running;
} stopper_t;

static void note_running(void *ctx) {
    stopper_t *s = ctx;
    pthread_mutex_lock(&s->mu);
    s->running = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void *stopper(void *arg) {
    stopper_t *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->running) pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    zl_loop_stop(s->loop); /* the loop is (about to be) asleep: no timers armed */
    return NULL;
}

static int hook_runs;
static void count_hook(void *ctx) { (void)ctx, hook_runs++; }

static void test_stop(void) {
    char err[128];
    static stopper_t s = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    s.loop = zl_loop_new(NULL, err, sizeof err);
    CHECK(zl_loop_on_turn(s.loop, count_hook, NULL) == ZL_OK);
    /* before run: returns without a turn */
    zl_loop_stop(s.loop);
    CHECK(zl_loop_run(s.loop) == ZL_OK);
    CHECK_EQ_INT(hook_runs, 0);
    /* from another thread, once the loop runs */
    CHECK(zl_loop_post(s.loop, note_running, &s) == ZL_OK);
    pthread_t th;
    pthread_create(&th, NULL, stopper, &s);
    CHECK(zl_loop_run(s.loop) == ZL_OK);
    pthread_join(th, NULL);
    CHECK(s.running);
    CHECK(hook_runs >= 1);
    zl_loop_destroy(s.loop);
}

int main(void) {
    test_fds();
    test_timers();
    test_turn_order();
    test_posts();
    test_bounded();
    test_stop();
    TEST_MAIN_END();
}
