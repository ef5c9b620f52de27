/* SPDX-License-Identifier: Apache-2.0 */
/* The sink's writer thread: decodes each batch and writes it to the store
 * as one unit, retrying until it is written.
 *
 * Why a thread: every store call blocks (libpq, libcurl, SQLite, and the
 * registry fetch of an unknown schema id), and the loop must keep serving
 * Kafka (heartbeats, pause) and /metrics meanwhile.  The loop hands batches
 * over through a mutex-protected list; results come back through
 * zl_loop_post.
 *
 * Order of a batch: begin, decode and add every record the store does not
 * already hold, commit with the positions.  A record that cannot be read, or
 * a value the store cannot hold, is a dead letter: the unit is rolled back,
 * the loop produces the dead letters, and only once they are delivered is
 * the unit written again without them - so a committed position never
 * covers a record that is nowhere.  A store that is unavailable makes the writer wait (doubling
 * backoff) and replay the unit; one that refuses the unit makes it write the
 * records one by one and dead-letter the refused one. */
#include "roles/sink/sink_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/clock.h"
#include "common/log.h"

struct sink_writer {
    const zl_sink_conf_t *c;
    char *group;
    zl_loop_t *loop;
    sink_writer_cbs_t cbs;
    void *ctx;
    pthread_t th;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sink_batch_t *head, *tail; /* queued batches (mu) */
    sink_batch_t *abandoned;   /* given up at shutdown: freed by destroy, after the loop's posts ran */
    bool stop;                 /* (mu) */
    sink_batch_t *dead_batch;  /* waiting for its dead letters (mu) */
    int dead_result;           /* -1 waiting, 0 failed, 1 delivered (mu) */
    /* the thread's own */
    zl_serde_t *serde;
    sink_store_t *st;
    bool store_down;
    int64_t down_since_ms;
    uint64_t attempts;
    zl_observe_t obs;
    zl_registration_t reg;
    zl_counter_t *c_written, *c_dead, *c_skipped, *c_points, *c_batches, *c_unavail, *c_refused;
    zl_histogram_t *h_write;
};

/* ---- waiting ------------------------------------------------------------- */

/* Sleeps ms unless a stop comes first; false when stopping. */
static bool nap(sink_writer_t *w, int64_t ms) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&w->mu);
    while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &ts) != ETIMEDOUT) {
    }
    bool ok = !w->stop;
    pthread_mutex_unlock(&w->mu);
    return ok;
}

static void post(sink_writer_t *w, void (*fn)(void *), void *arg) {
    while (zl_loop_post(w->loop, fn, arg) == ZL_ERR_FULL) nanosleep(&(struct timespec){0, 1000000}, NULL);
}

typedef struct {
    sink_writer_t *w;
    bool up;
} state_msg_t;

static void state_tramp(void *arg) {
    state_msg_t *m = arg;
    m->w->cbs.store_state(m->w->ctx, m->up);
    free(m);
}

/* The store failed (IO): logged once per outage, then the backoff. */
static bool unavailable(sink_writer_t *w, int64_t *backoff, const char *errstr) {
    zl_counter_inc(w->c_unavail);
    w->attempts++;
    if (!w->store_down) {
        w->store_down = true;
        w->down_since_ms = zl_now_ms();
        ZL_ERROR("sink", "%s unavailable: %s; consumption paused once %lld batches wait, retrying every "
                 "%lld..%lld ms (zeelos_sink_store_up 0)", w->st ? w->st->ops->name : "store", errstr,
                 (long long)w->c->max_inflight, (long long)w->c->backoff_ms, (long long)w->c->backoff_max_ms);
        state_msg_t *m = malloc(sizeof *m);
        if (m) {
            *m = (state_msg_t){w, false};
            post(w, state_tramp, m);
        }
    }
    bool ok = nap(w, *backoff);
    *backoff = *backoff * 2 > w->c->backoff_max_ms ? w->c->backoff_max_ms : *backoff * 2;
    return ok;
}

static void available(sink_writer_t *w) {
    if (!w->store_down) return;
    w->store_down = false;
    ZL_INFO("sink", "%s available again after %.1f s and %llu failed attempt(s)", w->st->ops->name,
            (double)(zl_now_ms() - w->down_since_ms) / 1000.0, (unsigned long long)w->attempts);
    w->attempts = 0;
    state_msg_t *m = malloc(sizeof *m);
    if (m) {
        *m = (state_msg_t){w, true};
        post(w, state_tramp, m);
    }
}

/* ---- decoding ------------------------------------------------------------ */

static zl_err_t decode(sink_writer_t *w, const sink_batch_t *b, const sink_rec_t *r, char *why, size_t n) {
    const uint8_t *v = sink_rec_value(b, r);
    if (!r->has_value) {
        snprintf(why, n, "no value (a tombstone)");
        return ZL_ERR_INVALID;
    }
    if (b->topics[r->topic].kind == SINK_T_REGISTRATION)
        return zl_serde_decode_registration(w->serde, v, r->val_len, &w->reg, why, n);
    return zl_serde_decode_observe(w->serde, v, r->val_len, &w->obs, why, n);
}

static void mark_dead(sink_rec_t *r, const char *why) {
    free(r->why);
    r->why = strdup(why);
    r->dead = true;
}

/* Step 2: the loop produces the dead letters; waits for their delivery. */
static void dead_tramp(void *arg) {
    sink_batch_t *b = arg;
    sink_writer_t *w = b->owner;
    w->cbs.dead_letters(w->ctx, b);
}

static bool deliver_dead(sink_writer_t *w, sink_batch_t *b) {
    int64_t backoff = w->c->backoff_ms;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        w->dead_batch = b;
        w->dead_result = -1;
        pthread_mutex_unlock(&w->mu);
        post(w, dead_tramp, b);
        pthread_mutex_lock(&w->mu);
        while (!w->stop && w->dead_result < 0) pthread_cond_wait(&w->cv, &w->mu);
        int res = w->dead_result;
        bool stop = w->stop;
        w->dead_batch = NULL;
        pthread_mutex_unlock(&w->mu);
        if (stop) return false;
        if (res == 1) return true;
        ZL_WARN("sink", "dead letters of a batch not delivered to %s; retrying", w->c->dlq_topic);
        if (!nap(w, backoff)) return false;
        backoff = backoff * 2 > w->c->backoff_max_ms ? w->c->backoff_max_ms : backoff * 2;
    }
}

void sink_writer_dead_done(sink_writer_t *w, sink_batch_t *b, bool ok) {
    pthread_mutex_lock(&w->mu);
    if (w->dead_batch == b) {
        w->dead_result = ok ? 1 : 0;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
}

/* ---- writing ------------------------------------------------------------- */

/* One unit: records [from, to) of b with positions pos.  Counts into b.
 * Decoding happens here, once per record: a record that cannot be read or
 * does not fit the store is marked dead and *dead set - the unit is then
 * rolled back (ZL_ERR_CANCELLED) so its dead letters can be delivered before
 * it is written again without them.  ZL_ERR_IO also for a registry outage. */
static zl_err_t write_unit(sink_writer_t *w, sink_batch_t *b, size_t from, size_t to, const zl_sub_pos_t *pos,
                           size_t n_pos, char *errstr, size_t n) {
    const sink_store_ops_t *ops = w->st->ops;
    int64_t next[n_pos ? n_pos : 1];
    zl_err_t e = ops->begin(w->st, pos, n_pos, next, errstr, n);
    if (e) return e;
    uint64_t written = 0, skipped = 0, points = 0;
    bool dead = false;
    for (size_t i = from; i < to && !e; i++) {
        sink_rec_t *r = &b->recs[i];
        bool have = false;
        for (size_t k = 0; k < n_pos; k++)
            /* positions name topics by the batch's own strings: a pointer says which */
            if (pos[k].partition == r->partition && pos[k].topic == sink_rec_topic(b, r) && r->offset < next[k])
                have = true;
        if (r->dead || have) {
            skipped += !r->dead;
            continue;
        }
        char why[400];
        bool reg = b->topics[r->topic].kind == SINK_T_REGISTRATION;
        zl_err_t d = decode(w, b, r, why, sizeof why);
        if (d == ZL_ERR_IO) {
            snprintf(errstr, n, "schema registry: %s", why);
            e = ZL_ERR_IO;
            break;
        }
        if (!d && !reg && ops->fits && !ops->fits(w->st, &w->obs, why, sizeof why)) d = ZL_ERR_INVALID;
        if (d) {
            mark_dead(r, why);
            dead = true;
            continue;
        }
        if (dead) continue; /* rolled back anyway: only look for more dead letters */
        if (reg) {
            if (!ops->add_registration) {
                skipped++;
                continue;
            }
            e = ops->add_registration(w->st, b, r, &w->reg, errstr, n);
        } else {
            e = ops->add_observe(w->st, b, r, &w->obs, errstr, n);
            points += w->obs.n_points;
        }
        written++;
    }
    if (!e && dead) e = ZL_ERR_CANCELLED;
    if (!e) e = ops->commit(w->st, pos, n_pos, errstr, n);
    if (e) {
        ops->abort(w->st);
        return e;
    }
    b->written += written;
    b->skipped += skipped;
    b->points += points;
    return ZL_OK;
}

/* Refused as a whole: record by record, each with its own position. */
static bool write_one_by_one(sink_writer_t *w, sink_batch_t *b) {
    char errstr[512];
    for (size_t i = 0; i < b->n; i++) {
        sink_rec_t *r = &b->recs[i];
        zl_sub_pos_t pos = {sink_rec_topic(b, r), r->partition, r->offset + 1};
        int64_t backoff = w->c->backoff_ms;
        for (;;) {
            zl_err_t e = write_unit(w, b, i, i + 1, &pos, 1, errstr, sizeof errstr);
            if (e == ZL_OK) break;
            if (e == ZL_ERR_CANCELLED) { /* unreadable: a dead letter, then only its position */
                if (!deliver_dead(w, b)) return false;
                continue;
            }
            if (e == ZL_ERR_INVALID && !r->dead) {
                zl_counter_inc(w->c_refused);
                ZL_WARN("sink", "%s refused %s[%d]@%lld: %s; sending it to %s", w->st->ops->name,
                        sink_rec_topic(b, r), (int)r->partition, (long long)r->offset, errstr, w->c->dlq_topic);
                mark_dead(r, errstr);
                if (!deliver_dead(w, b)) return false;
                continue; /* now only its position */
            }
            if (!unavailable(w, &backoff, errstr)) return false;
        }
    }
    return true;
}

/* Returns false when abandoned (shutdown). */
/* Opens the store, waiting for it as long as it takes; false when stopping. */
static bool open_store(sink_writer_t *w) {
    char errstr[512];
    int64_t backoff = w->c->backoff_ms;
    while (!w->st) {
        zl_err_t e = w->c->store == ZL_SINK_INFLUXDB ? sink_influx_open(w->c, &w->st, errstr, sizeof errstr)
                                                     : sink_sql_open(w->c, w->group, &w->st, errstr, sizeof errstr);
        if (e && e != ZL_ERR_IO) {
            ZL_ERROR("sink", "cannot open the store: %s (retrying every %lld ms)", errstr,
                     (long long)w->c->backoff_max_ms);
            if (!nap(w, w->c->backoff_max_ms)) return false;
        } else if (e && !unavailable(w, &backoff, errstr)) {
            return false;
        }
    }
    available(w);
    return true;
}

static bool write_batch(sink_writer_t *w, sink_batch_t *b) {
    char errstr[512];
    int64_t backoff = w->c->backoff_ms;
    for (;;) {
        zl_err_t e;
        if (!open_store(w)) return false;
        uint64_t t0 = zl_now_ns();
        e = write_unit(w, b, 0, b->n, b->pos, b->n_pos, errstr, sizeof errstr);
        if (e == ZL_ERR_CANCELLED) { /* dead letters found: delivered first, then the rest */
            if (!deliver_dead(w, b)) return false;
            continue;
        }
        if (e == ZL_OK) {
            zl_histogram_observe(w->h_write, (double)(zl_now_ns() - t0) / 1e9);
            available(w);
            return true;
        }
        if (e == ZL_ERR_INVALID) {
            zl_counter_inc(w->c_refused);
            ZL_WARN("sink", "%s refused a batch of %zu records: %s; writing them one by one", w->st->ops->name,
                    b->n, errstr);
            b->written = b->skipped = b->points = 0;
            bool ok = write_one_by_one(w, b);
            if (ok) available(w);
            return ok;
        }
        if (!unavailable(w, &backoff, errstr)) return false;
    }
}

static void done_tramp(void *arg) {
    sink_batch_t *b = arg;
    sink_writer_t *w = b->owner;
    w->cbs.done(w->ctx, b);
}

static void *writer_main(void *arg) {
    sink_writer_t *w = arg;
    open_store(w); /* at once: the tables exist and the store's state shows before any record comes */
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->stop && !w->head) pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop) {
            pthread_mutex_unlock(&w->mu);
            break;
        }
        sink_batch_t *b = w->head;
        w->head = b->next;
        if (!w->head) w->tail = NULL;
        b->next = NULL;
        pthread_mutex_unlock(&w->mu);
        if (!write_batch(w, b)) { /* shutdown: not committed, replayed after the restart */
            b->next = w->abandoned;
            w->abandoned = b;
            break;
        }
        size_t dead = 0;
        for (size_t i = 0; i < b->n; i++) dead += b->recs[i].dead;
        zl_counter_add(w->c_written, b->written);
        zl_counter_add(w->c_skipped, b->skipped);
        zl_counter_add(w->c_dead, dead);
        zl_counter_add(w->c_points, b->points);
        zl_counter_inc(w->c_batches);
        post(w, done_tramp, b);
    }
    return NULL;
}

/* ---- life ---------------------------------------------------------------- */

sink_writer_t *sink_writer_new(const zl_sink_conf_t *c, const char *group, zl_loop_t *loop, zl_metrics_t *m,
                               const sink_writer_cbs_t *cbs, void *ctx, char *errstr, size_t n) {
    sink_writer_t *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->c = c;
    w->loop = loop;
    w->cbs = *cbs;
    w->ctx = ctx;
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    const char *rec = "zeelos_sink_records_total";
    w->c_written = zl_metrics_counter(m, rec, "result=\"written\"",
                                      "Kafka records handled: written to the store, sent to the dead-letter topic, or "
                                      "skipped (already stored, or nothing for this store).");
    w->c_dead = zl_metrics_counter(m, rec, "result=\"dead\"", NULL);
    w->c_skipped = zl_metrics_counter(m, rec, "result=\"skipped\"", NULL);
    w->c_points = zl_metrics_counter(m, "zeelos_sink_points_total", NULL,
                                     "Readings written: InfluxDB points or zeelos_readings rows.");
    w->c_batches = zl_metrics_counter(m, "zeelos_sink_batches_total", NULL, "Batches written.");
    w->c_unavail = zl_metrics_counter(m, "zeelos_sink_write_failures_total", "reason=\"unavailable\"",
                                      "Writes that failed: the store (or the schema registry) was unavailable, or "
                                      "the store refused the data.");
    w->c_refused = zl_metrics_counter(m, "zeelos_sink_write_failures_total", "reason=\"refused\"", NULL);
    static const double bounds[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};
    w->h_write = zl_metrics_histogram(m, "zeelos_sink_write_seconds", "Time to write one batch to the store.", bounds,
                                      (int)(sizeof bounds / sizeof bounds[0]));
    if (!(w->group = strdup(group)) ||
        !(w->serde = zl_serde_new_kc(c->kafka.format, &c->kafka, errstr, n)))
        goto fail;
    if (pthread_create(&w->th, NULL, writer_main, w)) {
        snprintf(errstr, n, "cannot start the writer thread");
        goto fail;
    }
    w->started = true;
    return w;
fail:
    sink_writer_destroy(w);
    return NULL;
}

void sink_writer_push(sink_writer_t *w, sink_batch_t *b) {
    b->owner = w;
    pthread_mutex_lock(&w->mu);
    b->next = NULL;
    if (w->tail) w->tail->next = b;
    else w->head = b;
    w->tail = b;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void free_list(sink_batch_t *b) {
    while (b) {
        sink_batch_t *next = b->next;
        sink_batch_free(b);
        b = next;
    }
}

void sink_writer_stop(sink_writer_t *w) {
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (w->started) pthread_join(w->th, NULL);
    w->started = false;
}

void sink_writer_destroy(sink_writer_t *w) {
    if (!w) return;
    sink_writer_stop(w);
    free_list(w->head);
    free_list(w->abandoned);
    if (w->st) w->st->ops->close(w->st);
    zl_serde_destroy(w->serde);
    zl_observe_free(&w->obs);
    zl_registration_free(&w->reg);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w->group);
    free(w);
}

void sink_batch_free(sink_batch_t *b) {
    if (!b) return;
    for (size_t i = 0; i < b->n; i++) free(b->recs[i].why);
    for (size_t i = 0; i < b->n_topics; i++) free(b->topics[i].name);
    free(b->topics);
    free(b->recs);
    free(b->pos);
    zl_buf_free(&b->data);
    free(b);
}
