/* SPDX-License-Identifier: Apache-2.0 */
/* The analytics processor: its own thread consumes observation records,
 * aggregates their values per job and input partition (window.h), writes
 * closed windows to the output topics and changed windows to the changelog,
 * and commits all of it with the consumed offsets as one Kafka transaction
 * every analytics.commit.interval.ms (kafka/txn.h).
 *
 * Why a thread of its own and not the loop: transactional commits and
 * changelog restores block on the broker (librdkafka has no asynchronous
 * transaction API), and /metrics must keep answering meanwhile. */
#include "roles/analytics/analytics_int.h"
#include "roles/analytics/window.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kafka/serde.h"
#include "kafka/txn.h"
#include "lwm2m/node.h"
#include "common/clock.h"
#include "common/log.h"

#define POLL_MAX 10000
#define GROUP_MAX 1024

/* One input partition: the state of every job aggregating its records.  A
 * partition of a job's repartition topic is a task of that job alone. */
typedef struct {
    char *topic;
    int32_t partition;
    an_state_t **states; /* [n jobs], NULL for a job that does not aggregate here */
    bool *forward;       /* [n jobs]: re-key this topic's values to the job's repartition topic */
    int repart_of;       /* the job whose repartition topic this is, -1 for an input topic */
} an_task_t;

struct an_proc {
    const zl_analytics_conf_t *conf;
    an_jobs_t jobs;
    zl_serde_t *serde;
    zl_txn_t *txn;
    zl_loop_t *loop;
    zl_loop_fn done;
    void *done_ctx;
    char changelog[300];
    int changelog_parts;
    an_task_t **tasks;
    size_t n_tasks;
    an_task_t *last; /* the task of the previous record: consecutive records mostly share it */
    const char *last_name; /* its topic name pointer as the Kafka layer gave it (stable per topic) */
    zl_observe_t obs;
    zl_buf_t key, val;
    char group[GROUP_MAX];
    pthread_t thread;
    bool started;
    atomic_int stop;
    atomic_int partitions;
    int status;
    zl_log_limit_t undecodable_limit;
    zl_counter_t *c_records, *c_values, *c_not_numeric, *c_undecodable, *c_late, *c_final, *c_updates,
        *c_restored, *c_bad_state;
    zl_gauge_t *g_windows;
};

/* ---- tasks --------------------------------------------------------------- */

static void task_free(an_proc_t *p, an_task_t *t) {
    if (!t) return;
    for (size_t i = 0; i < p->jobs.n; i++) an_state_free(t->states[i]);
    free(t->states);
    free(t->forward);
    free(t->topic);
    free(t);
}

static an_task_t *task_find(an_proc_t *p, const char *topic, int32_t partition) {
    if (p->last && p->last->partition == partition && p->last_name == topic) return p->last;
    for (size_t i = 0; i < p->n_tasks; i++)
        if (p->tasks[i]->partition == partition && !strcmp(p->tasks[i]->topic, topic)) {
            p->last_name = topic;
            return p->last = p->tasks[i];
        }
    return NULL;
}

static size_t windows_open(const an_proc_t *p) {
    size_t n = 0;
    for (size_t i = 0; i < p->n_tasks; i++)
        for (size_t k = 0; k < p->jobs.n; k++)
            if (p->tasks[i]->states[k]) n += an_state_windows(p->tasks[i]->states[k]);
    return n;
}

typedef struct {
    an_proc_t *p;
    an_task_t *t;
    size_t restored;
} restore_ctx_t;

static void on_log_record(void *ctx, const zl_kmsg_t *m) {
    restore_ctx_t *r = ctx;
    if (!m->key) return;
    for (size_t k = 0; k < r->p->jobs.n; k++) {
        an_state_t *s = r->t->states[k];
        bool bad = false;
        if (s && an_state_restore(s, r->p->jobs.jobs[k].name, r->t->topic, r->t->partition, m->key, m->key_len,
                                  m->value, m->value_len, &bad)) {
            if (bad) zl_counter_inc(r->p->c_bad_state);
            r->restored++;
            return;
        }
    }
}

static void on_assigned(void *ctx, const char *topic, int32_t partition) {
    an_proc_t *p = ctx;
    an_task_t *t = calloc(1, sizeof *t);
    an_task_t **tasks = realloc(p->tasks, (p->n_tasks + 1) * sizeof *tasks);
    if (tasks) p->tasks = tasks;
    if (!t || !tasks || !(t->topic = strdup(topic)) || !(t->states = calloc(p->jobs.n, sizeof *t->states)) ||
        !(t->forward = calloc(p->jobs.n, sizeof *t->forward))) {
        ZL_ERROR("analytics", "out of memory taking %s [%d]; stopping", topic, (int)partition);
        if (t) task_free(p, t);
        atomic_store(&p->stop, 2);
        return;
    }
    t->partition = partition;
    t->repart_of = -1;
    for (size_t k = 0; k < p->jobs.n; k++) {
        const char *rt = p->jobs.jobs[k].repartition;
        if (rt && !strcmp(rt, topic)) t->repart_of = (int)k;
    }
    for (size_t k = 0; k < p->jobs.n; k++) {
        const an_job_t *j = &p->jobs.jobs[k];
        bool aggregate = t->repart_of >= 0 ? t->repart_of == (int)k : an_job_reads(j, topic) && !j->repartition;
        t->forward[k] = t->repart_of < 0 && j->repartition && an_job_reads(j, topic);
        if (aggregate && !(t->states[k] = an_state_new(j))) {
            ZL_ERROR("analytics", "out of memory taking %s [%d]; stopping", topic, (int)partition);
            task_free(p, t);
            atomic_store(&p->stop, 2);
            return;
        }
    }
    p->tasks[p->n_tasks++] = t;
    int64_t t0 = zl_now_ms();
    restore_ctx_t r = {p, t, 0};
    char err[512];
    zl_err_t e = zl_txn_read_log(p->txn, p->changelog, partition % p->changelog_parts, on_log_record, &r,
                                 (int)p->conf->restore_ms, err, sizeof err);
    if (e) { /* processing without its state would write wrong results: stop, commit nothing more */
        ZL_ERROR("analytics", "cannot restore the state of %s [%d]: %s; stopping", topic, (int)partition, err);
        atomic_store(&p->stop, 2);
        p->tasks[--p->n_tasks] = NULL;
        task_free(p, t);
        return;
    }
    size_t windows = 0;
    for (size_t k = 0; k < p->jobs.n; k++)
        if (t->states[k]) windows += an_state_windows(t->states[k]);
    zl_counter_add(p->c_restored, windows);
    zl_gauge_set(p->g_windows, (int64_t)windows_open(p));
    atomic_fetch_add(&p->partitions, 1);
    ZL_INFO("analytics", "%s [%d]: %zu open window(s) restored from %zu changelog record(s) in %lld ms", topic,
            (int)partition, windows, r.restored, (long long)(zl_now_ms() - t0));
}

static void on_revoked(void *ctx, const char *topic, int32_t partition) {
    an_proc_t *p = ctx;
    for (size_t i = 0; i < p->n_tasks; i++)
        if (p->tasks[i]->partition == partition && !strcmp(p->tasks[i]->topic, topic)) {
            if (p->last == p->tasks[i]) p->last = NULL;
            task_free(p, p->tasks[i]);
            p->tasks[i] = p->tasks[--p->n_tasks];
            atomic_fetch_sub(&p->partitions, 1);
            break;
        }
    zl_gauge_set(p->g_windows, (int64_t)windows_open(p));
}

/* ---- output -------------------------------------------------------------- */

static zl_err_t encode_result(an_proc_t *p, const an_job_t *j, const an_win_t *w, bool final) {
    zl_buf_t *k = &p->key, *v = &p->val;
    k->len = v->len = 0;
    zl_err_t e = zl_serde_window_key(p->serde, j->output, w->group, w->start, k);
    if (e) return e;
    if (j->out == AN_OUT_AGGREGATE) {
        zl_rec_aggregate_t a = {.job = j->name, .group = w->group, .start = w->start, .end = w->end,
                                .count = w->count, .last_ts = w->last_ts, .min = w->min, .max = w->max,
                                .sum = w->sum, .mean = w->sum / (double)w->count, .last = w->last, .final = final};
        return zl_serde_aggregate(p->serde, j->output, &a, v);
    }
    const an_maxrec_t *m = w->maxrec;
    char path[600];
    snprintf(path, sizeof path, "%s-max", m->path);
    const char *id = strrchr(m->path, '/');
    zl_node_t node = {.kind = ZL_N_RESOURCE, .id = (uint16_t)(id ? strtoul(id + 1, NULL, 10) : 0),
                      .value = {.type = ZL_T_FLOAT, .u.f = w->max}};
    zl_rec_response_t r = {.ticket = m->ticket, .server_id = m->server_id, .ep = m->ep, .path = path,
                           .observation_id = m->obs_id, .timestamp = m->ts, .code = ZL_RC_CONTENT,
                           .kind = ZL_RK_OBSERVE, .body = ZL_BODY_READ, .content = &node, .content_path = path};
    return zl_serde_response(p->serde, j->output, &r, v);
}

static void print_result(const an_job_t *j, const an_win_t *w, bool final) {
    if (j->out == AN_OUT_MAX_RECORD)
        printf("[%s]: [%s@%lld/%lld], %.17g%s\n", j->print_label, w->group, (long long)w->start, (long long)w->end,
               w->max, final ? "" : " (update)");
    else
        printf("[%s]: [%s@%lld/%lld], %lld%s\n", j->print_label, w->group, (long long)w->start, (long long)w->end,
               (long long)w->count, final ? "" : " (update)");
}

static void produce_result(an_proc_t *p, const an_job_t *j, const an_win_t *w, bool final) {
    zl_err_t e = encode_result(p, j, w, final);
    if (!e)
        e = zl_txn_produce(p->txn, j->output, -1, p->key.data, p->key.len, p->val.data, p->val.len,
                           final ? w->end - 1 : w->last_ts);
    if (e) { /* the transaction must not commit without this record: stop before the next commit */
        ZL_ERROR("analytics", "job %s: cannot write the window %s@%lld: %s; stopping (the transaction is not "
                 "committed, a restart processes it again)", j->name, w->group, (long long)w->start, zl_err2str(e));
        atomic_store(&p->stop, 2);
        return;
    }
    zl_counter_inc(final ? p->c_final : p->c_updates);
    if (p->conf->print) print_result(j, w, final);
}

typedef struct {
    an_proc_t *p;
    an_task_t *t;
    const an_job_t *j;
} emit_ctx_t;

static void log_put(an_proc_t *p, an_task_t *t, const an_job_t *j, const an_win_t *w, bool tombstone) {
    p->key.len = p->val.len = 0;
    zl_err_t e = an_log_window_key(&p->key, j->name, t->topic, t->partition, w);
    if (!e && !tombstone) e = an_log_window_value(&p->val, w);
    if (!e)
        e = zl_txn_produce(p->txn, p->changelog, t->partition % p->changelog_parts, p->key.data, p->key.len,
                           tombstone ? NULL : p->val.data, p->val.len, 0);
    if (e) {
        ZL_ERROR("analytics", "cannot write the changelog: %s; stopping", zl_err2str(e));
        atomic_store(&p->stop, 2);
    }
}

static void on_closed(void *ctx, an_win_t *w) {
    emit_ctx_t *c = ctx;
    produce_result(c->p, c->j, w, true);
    if (w->logged) log_put(c->p, c->t, c->j, w, true);
}

static void on_dirty(void *ctx, an_win_t *w) {
    emit_ctx_t *c = ctx;
    log_put(c->p, c->t, c->j, w, false);
    if (c->j->emit_updates) produce_result(c->p, c->j, w, false);
}

/* ops.flush: the changed state (and early results) into the transaction. */
static zl_err_t on_flush(void *ctx) {
    an_proc_t *p = ctx;
    for (size_t i = 0; i < p->n_tasks; i++) {
        an_task_t *t = p->tasks[i];
        for (size_t k = 0; k < p->jobs.n; k++) {
            if (!t->states[k]) continue;
            emit_ctx_t c = {p, t, &p->jobs.jobs[k]};
            bool st_changed = false;
            an_state_flush(t->states[k], on_dirty, &c, &st_changed);
            if (!st_changed) continue;
            p->key.len = p->val.len = 0;
            zl_err_t e = an_log_time_key(&p->key, c.j->name, t->topic, t->partition);
            if (!e) e = an_log_time_value(&p->val, an_state_stream_time(t->states[k]));
            if (!e)
                e = zl_txn_produce(p->txn, p->changelog, t->partition % p->changelog_parts, p->key.data, p->key.len,
                                   p->val.data, p->val.len, 0);
            if (e) return e;
        }
    }
    zl_gauge_set(p->g_windows, (int64_t)windows_open(p));
    return atomic_load(&p->stop) == 2 ? ZL_ERR_KAFKA : ZL_OK;
}

/* ---- records ------------------------------------------------------------- */

static bool numeric(const zl_point_t *pt, double *v) {
    if (pt->kind == ZL_PV_DOUBLE) *v = pt->d;
    else if (pt->kind == ZL_PV_LONG) *v = (double)pt->l;
    else return false;
    return true;
}

/* Aggregates one value into the job's state of task t (and emits what closes). */
static bool aggregate(an_proc_t *p, an_task_t *t, size_t k, const an_value_t *v) {
    int late = an_state_add(t->states[k], v);
    if (late < 0) {
        ZL_ERROR("analytics", "out of memory aggregating; stopping");
        atomic_store(&p->stop, 2);
        return false;
    }
    if (late) zl_counter_add(p->c_late, (uint64_t)late);
    return true;
}

static void close_windows(an_proc_t *p, an_task_t *t, size_t k) {
    emit_ctx_t c = {p, t, &p->jobs.jobs[k]};
    an_state_close(t->states[k], on_closed, &c);
}

/* A value re-keyed to a repartition topic: key = the group, value = 1,
 * time (8), value (8), then for max-record jobs the reading's ticket,
 * observation id, server id, endpoint and path (2-byte length each). */
static void forward(an_proc_t *p, const an_job_t *j, const an_value_t *v) {
    zl_buf_t *b = &p->val;
    b->len = 0;
    uint64_t f[2] = {(uint64_t)v->ts, 0};
    memcpy(&f[1], &v->v, sizeof v->v);
    zl_err_t e = zl_buf_putc(b, 1);
    for (int i = 0; i < 2 && !e; i++)
        for (int k = 7; k >= 0 && !e; k--) e = zl_buf_putc(b, (uint8_t)(f[i] >> (8 * k)));
    if (!e && j->out == AN_OUT_MAX_RECORD) {
        const char *str[5] = {v->rec->ticket, v->rec->observation_id, v->rec->server_id, v->rec->ep, v->path};
        for (int i = 0; i < 5 && !e; i++) {
            size_t l = strlen(str[i] ? str[i] : "");
            if (l > 65535) l = 65535;
            if (!(e = zl_buf_putc(b, (uint8_t)(l >> 8))) && !(e = zl_buf_putc(b, (uint8_t)l)))
                e = zl_buf_append(b, str[i] ? str[i] : "", l);
        }
    }
    if (!e) e = zl_txn_produce(p->txn, j->repartition, -1, v->group, v->group_len, b->data, b->len, v->ts);
    if (e) {
        ZL_ERROR("analytics", "job %s: cannot re-key a value to %s: %s; stopping", j->name, j->repartition,
                 zl_err2str(e));
        atomic_store(&p->stop, 2);
    }
}

/* A record of a repartition topic (see forward). */
static void on_repartitioned(an_proc_t *p, an_task_t *t, const zl_kmsg_t *m) {
    size_t k = (size_t)t->repart_of;
    const an_job_t *j = &p->jobs.jobs[k];
    const uint8_t *d = m->value;
    size_t n = m->value_len;
    if (!m->key || m->key_len >= GROUP_MAX || n < 17 || d[0] != 1) {
        zl_counter_inc(p->c_undecodable);
        return;
    }
    uint64_t f[2] = {0, 0};
    for (int i = 0; i < 2; i++)
        for (int b = 0; b < 8; b++) f[i] = f[i] << 8 | d[1 + 8 * i + b];
    memcpy(p->group, m->key, m->key_len);
    p->group[m->key_len] = '\0';
    an_value_t v = {.group = p->group, .group_len = m->key_len, .ts = (int64_t)f[0], .rec = &p->obs, .path = ""};
    memcpy(&v.v, &f[1], sizeof v.v);
    if (j->out == AN_OUT_MAX_RECORD) { /* the reading's ids, NUL-terminated copies in the arena */
        zl_observe_t *o = &p->obs;
        if (o->arena_cap < n + 8) {
            char *a = realloc(o->arena, n + 8);
            if (!a) return;
            o->arena = a;
            o->arena_cap = n + 8;
        }
        const char **dst[5] = {&o->ticket, &o->observation_id, &o->server_id, &o->ep, &v.path};
        size_t at = 17, used = 0;
        for (int i = 0; i < 5; i++) {
            size_t l = at + 2 <= n ? (size_t)d[at] << 8 | d[at + 1] : 0;
            if (at + 2 + l > n) {
                zl_counter_inc(p->c_undecodable);
                return;
            }
            memcpy(o->arena + used, d + at + 2, l);
            o->arena[used + l] = '\0';
            *dst[i] = o->arena + used;
            used += l + 1;
            at += 2 + l;
        }
    }
    if (aggregate(p, t, k, &v)) close_windows(p, t, k);
}

static void on_record(void *ctx, const zl_kmsg_t *m) {
    an_proc_t *p = ctx;
    zl_counter_inc(p->c_records);
    an_task_t *t = task_find(p, m->topic, m->partition);
    /* no task: its restore failed (stopping without a commit); no value: a tombstone */
    if (!t || !m->value || atomic_load(&p->stop) == 2) return;
    if (t->repart_of >= 0) {
        on_repartitioned(p, t, m);
        return;
    }
    char err[512];
    zl_err_t e;
    for (int wait_ms = 100; (e = zl_serde_decode_observe(p->serde, m->value, m->value_len, &p->obs, err, sizeof err)) ==
                            ZL_ERR_IO && !atomic_load(&p->stop);
         wait_ms = wait_ms < 5000 ? wait_ms * 2 : wait_ms) {
        unsigned long long suppressed = 0;
        if (zl_log_limit(&p->undecodable_limit, 1, &suppressed))
            ZL_WARN("analytics", "%s [%d] offset %lld: %s; waiting for the schema registry", m->topic,
                    (int)m->partition, (long long)m->offset, err);
        usleep((useconds_t)wait_ms * 1000);
    }
    if (e) {
        if (e != ZL_ERR_IO) {
            zl_counter_inc(p->c_undecodable);
            unsigned long long suppressed = 0;
            if (zl_log_limit(&p->undecodable_limit, 1, &suppressed))
                ZL_WARN("analytics", "%s [%d] offset %lld skipped: %s (counted in "
                        "zeelos_analytics_records_skipped_total)", m->topic, (int)m->partition, (long long)m->offset,
                        err);
        } else { /* stopping while the registry is away: this record is not done, commit nothing more */
            atomic_store(&p->stop, 2);
        }
        return;
    }
    const zl_observe_t *o = &p->obs;
    size_t numeric_values = 0;
    for (size_t i = 0; i < o->n_points; i++) {
        double d;
        if (numeric(&o->points[i], &d)) numeric_values++;
    }
    zl_counter_add(p->c_values, numeric_values);
    if (numeric_values < o->n_points) zl_counter_add(p->c_not_numeric, o->n_points - numeric_values);
    for (size_t k = 0; k < p->jobs.n; k++) {
        if (!t->states[k] && !t->forward[k]) continue;
        const an_job_t *j = &p->jobs.jobs[k];
        int64_t ts = j->record_time ? m->timestamp : o->timestamp;
        bool any = false;
        for (size_t i = 0; i < o->n_points; i++) {
            const zl_point_t *pt = &o->points[i];
            an_value_t v = {.group = p->group, .ts = ts, .rec = o, .path = pt->path};
            if (!numeric(pt, &v.v) || !an_job_match(j, pt->path)) continue;
            if ((v.group_len = an_job_group_key(j, o, pt, p->group, sizeof p->group)) == (size_t)-1) continue;
            if (t->forward[k]) forward(p, j, &v);
            else if (!aggregate(p, t, k, &v)) return;
            any = true;
        }
        if (any && t->states[k]) close_windows(p, t, k);
    }
}

/* ---- the thread ---------------------------------------------------------- */

static void *run(void *arg) {
    an_proc_t *p = arg;
    char err[512];
    int64_t next_commit = zl_now_ms() + p->conf->commit_ms;
    p->status = 0;
    while (!atomic_load(&p->stop)) {
        int64_t now = zl_now_ms();
        int wait = next_commit > now ? (int)(next_commit - now) : 0;
        zl_err_t e = zl_txn_poll(p->txn, wait > 100 ? 100 : wait, POLL_MAX, err, sizeof err);
        if (!e && atomic_load(&p->stop) != 2 && zl_now_ms() >= next_commit) {
            e = zl_txn_commit(p->txn, err, sizeof err);
            if (e == ZL_ERR_CANCELLED) e = ZL_OK; /* aborted and rewound: processing continues */
            next_commit = zl_now_ms() + p->conf->commit_ms;
        }
        if (e) {
            ZL_ERROR("analytics", "stopping: %s", err);
            p->status = 1;
            break;
        }
    }
    if (atomic_load(&p->stop) == 2) p->status = 1; /* the open transaction is left to abort */
    else if (!p->status && zl_txn_commit(p->txn, err, sizeof err) == ZL_ERR_KAFKA) p->status = 1;
    fflush(stdout);
    zl_loop_post(p->loop, p->done, p->done_ctx);
    return NULL;
}

zl_err_t an_proc_start(an_proc_t *p, char *errstr, size_t n) {
    if (pthread_create(&p->thread, NULL, run, p)) {
        snprintf(errstr, n, "cannot start the processor thread");
        return ZL_ERR_NOMEM;
    }
    p->started = true;
    return ZL_OK;
}

void an_proc_stop(an_proc_t *p) {
    int zero = 0;
    atomic_compare_exchange_strong(&p->stop, &zero, 1);
}

int an_proc_partitions(const an_proc_t *p) { return atomic_load(&p->partitions); }

/* ---- set-up -------------------------------------------------------------- */

static zl_err_t setup_topics(an_proc_t *p, const char *app_id, char *errstr, size_t n) {
    snprintf(p->changelog, sizeof p->changelog, "%s-windows-changelog", app_id);
    int parts = (int)p->conf->changelog_parts;
    for (size_t k = 0; k < p->jobs.n; k++) {
        an_job_t *j = &p->jobs.jobs[k];
        zl_val_type_t type = j->out == AN_OUT_MAX_RECORD ? ZL_VAL_OBSERVE : ZL_VAL_AGGREGATE;
        zl_err_t e;
        if ((e = zl_txn_ensure_topic(p->txn, j->output, -1, false, errstr, n)) ||
            (e = zl_serde_register_topic(p->serde, j->output, type, errstr, n)))
            return e;
        for (size_t i = 0; !p->conf->changelog_parts && i < j->n_inputs; i++) {
            if (j->inputs[i].is_regex) continue;
            /* an input that does not exist yet is created as the gateway would (broker defaults) */
            if ((e = zl_txn_ensure_topic(p->txn, j->inputs[i].text, -1, false, errstr, n))) return e;
            int c = zl_txn_partitions(p->txn, j->inputs[i].text, errstr, n);
            if (c < 0) return ZL_ERR_KAFKA;
            if (c > parts) parts = c;
        }
    }
    if (parts <= 0) parts = 1;
    zl_err_t e = zl_txn_ensure_topic(p->txn, p->changelog, parts, true, errstr, n);
    if (e) return e;
    for (size_t k = 0; k < p->jobs.n; k++) {
        an_job_t *j = &p->jobs.jobs[k];
        if (!an_job_needs_repartition(j)) continue;
        char topic[512];
        snprintf(topic, sizeof topic, "%s-%s-repartition", app_id, j->name);
        if (!(j->repartition = strdup(topic))) return ZL_ERR_NOMEM;
        if ((e = zl_txn_ensure_topic(p->txn, topic, parts, false, errstr, n))) return e;
    }
    /* the partition count decides where each task's state is: the topic's, not ours */
    if ((p->changelog_parts = zl_txn_partitions(p->txn, p->changelog, errstr, n)) <= 0) return ZL_ERR_KAFKA;
    return ZL_OK;
}

an_proc_t *an_proc_new(const zl_analytics_conf_t *conf, an_jobs_t *jobs, const char *app_id, const char *txn_id,
                       zl_metrics_t *m, zl_loop_t *loop, zl_loop_fn done, void *ctx, char *errstr, size_t n) {
    an_proc_t *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(errstr, n, "out of memory");
        an_jobs_free(jobs);
        return NULL;
    }
    p->conf = conf;
    p->jobs = *jobs;
    memset(jobs, 0, sizeof *jobs);
    p->loop = loop;
    p->done = done;
    p->done_ctx = ctx;
    zl_buf_init(&p->key, 0);
    zl_buf_init(&p->val, 0);
    p->c_records = zl_metrics_counter(m, "zeelos_analytics_records_total", NULL, "Input records processed.");
    p->c_values = zl_metrics_counter(m, "zeelos_analytics_values_total", NULL,
                                     "Numeric values found in the input records (before the jobs' filters).");
    p->c_not_numeric = zl_metrics_counter(m, "zeelos_analytics_values_skipped_total", "reason=\"not_numeric\"",
                                          "Values no job can aggregate (strings, booleans, opaque).");
    p->c_undecodable = zl_metrics_counter(m, "zeelos_analytics_records_skipped_total", "reason=\"undecodable\"",
                                          "Input records skipped because they do not decode.");
    p->c_late = zl_metrics_counter(m, "zeelos_analytics_late_total", NULL,
                                   "Values dropped for a window that had already closed (once per value and window).");
    p->c_final = zl_metrics_counter(m, "zeelos_analytics_results_total", "kind=\"final\"",
                                    "Window results written to the output topics.");
    p->c_updates = zl_metrics_counter(m, "zeelos_analytics_results_total", "kind=\"update\"", NULL);
    p->c_restored = zl_metrics_counter(m, "zeelos_analytics_restored_windows_total", NULL,
                                       "Open windows read back from the changelog when partitions were assigned.");
    p->c_bad_state = zl_metrics_counter(m, "zeelos_analytics_changelog_errors_total", NULL,
                                        "Changelog records that did not decode (ignored while restoring).");
    p->g_windows = zl_metrics_gauge(m, "zeelos_analytics_windows_open", NULL, "Windows held in memory.");
    zl_txn_ops_t ops = {.assigned = on_assigned, .revoked = on_revoked, .flush = on_flush};
    char *topics = NULL;
    if (!(p->serde = zl_serde_new_kc((zl_format_t)conf->kafka.format, &conf->kafka, errstr, n)) ||
        !(p->txn = zl_txn_new(conf->kafka.props, app_id, txn_id, "zeelos_analytics", m, &ops, on_record, p, errstr,
                              n)) ||
        setup_topics(p, app_id, errstr, n))
        goto fail;
    if (!(topics = an_jobs_topics(&p->jobs))) {
        snprintf(errstr, n, "out of memory");
        goto fail;
    }
    if (zl_txn_subscribe(p->txn, topics, errstr, n)) goto fail;
    ZL_INFO("analytics", "application %s (transactional id %s): %zu job(s) reading %s, changelog %s (%d partitions)",
            app_id, txn_id, p->jobs.n, topics, p->changelog, p->changelog_parts);
    free(topics);
    return p;
fail:
    free(topics);
    an_proc_destroy(p);
    return NULL;
}

int an_proc_destroy(an_proc_t *p) {
    if (!p) return 0;
    if (p->started) pthread_join(p->thread, NULL);
    zl_txn_destroy(p->txn); /* revokes: the tasks go */
    for (size_t i = 0; i < p->n_tasks; i++) task_free(p, p->tasks[i]);
    free(p->tasks);
    zl_observe_free(&p->obs);
    zl_serde_destroy(p->serde);
    zl_buf_free(&p->key);
    zl_buf_free(&p->val);
    an_jobs_free(&p->jobs);
    int status = p->status;
    free(p);
    return status;
}
