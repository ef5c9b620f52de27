/* SPDX-License-Identifier: Apache-2.0 */
/* Every record the gateway publishes passes here, so that none is lost when
 * Kafka is away: straight to the producer while it keeps up; into the
 * on-disk spool (store/spool.h) when it does not — its delivery failed, its
 * queue is over the high watermark, or the spool already holds records (so
 * per-endpoint order is kept: nothing overtakes what waits on disk).  The
 * spool is replayed in order, original timestamps kept, as Kafka takes
 * records again; each is removed once Kafka acknowledged it.
 *
 * A zl_dr_t given with a spooled record is answered ZL_OK at the end of the
 * loop turn, after the spool's fsync: a Send is acknowledged to the device,
 * a management answer releases its offset, once the disk has them.
 *
 * Without a spool (spool.enabled=false) a full producer queue turns device
 * data away (5.03, unacknowledged CON), which the device repeats; a
 * management answer has nobody to repeat it, so it waits in memory, in
 * order, and goes out as soon as the queue has room. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "roles/gateway/gw_int.h"
#include "common/array.h"
#include "common/clock.h"

#define REPLAY_RETRY_MS 1000
#define IO_FULL_MS 1000 /* after a refused write the spool counts as full this long */

typedef struct {
    zl_dr_t dr;
    zl_gw_t *gw;
    uint64_t seq;
} replay_t;

static void update_gauges(zl_gw_t *gw) {
    zl_gauge_set(gw->m.spool_records, (int64_t)zl_spool_pending(gw->spool));
    zl_gauge_set(gw->m.spool_bytes, (int64_t)zl_spool_bytes(gw->spool));
}

/* Appends one record; on success dr (if any) is answered after the turn's fsync. */
static zl_err_t spool_put(zl_gw_t *gw, zl_spool_rec_t *rec, zl_dr_t *dr) {
    zl_err_t e = zl_spool_append(gw->spool, rec);
    if (e == ZL_ERR_FULL && gw->conf->spool_overflow == 1) {
        uint64_t lost = zl_spool_drop_oldest(gw->spool);
        zl_counter_add(gw->m.spool_dropped, lost);
        unsigned long long more = 0;
        if (zl_log_limit(&gw->spool_log, 1, &more))
            ZL_WARN("spool", "full (spool.max.bytes %" PRId64 "): dropped the oldest segment, %" PRIu64
                    " records never delivered (zeelos_spool_dropped_total; %llu more not logged)",
                    gw->conf->spool_max_bytes, lost, more);
        e = zl_spool_append(gw->spool, rec);
    }
    if (e) {
        if (e == ZL_ERR_IO) {
            zl_counter_inc(gw->m.spool_errors);
            gw->spool_io_failed_ms = zl_now_ms();
            gw->spool_io_full = true;
            gw->spool_full_bytes = zl_spool_bytes(gw->spool);
        }
        zl_counter_inc(gw->m.spool_refused);
        unsigned long long more = 0;
        if (zl_log_limit(&gw->spool_log, 1, &more))
            ZL_ERROR("spool", "cannot keep a record for %s: %s (zeelos_spool_refused_total; %llu more not "
                     "logged)", rec->topic, e == ZL_ERR_IO ? zl_spool_errmsg(gw->spool) : zl_err2str(e), more);
        return e == ZL_ERR_IO ? ZL_ERR_FULL : e;
    }
    zl_counter_inc(gw->m.spool_appended);
    gw->spool_io_full = false;
    if (dr) {
        if (ZL_ARRAY_RESERVE(&gw->spool_drs, &gw->cap_spool_drs, gw->n_spool_drs + 1, 64) == ZL_OK)
            gw->spool_drs[gw->n_spool_drs++] = dr;
        else
            dr->cb(dr, ZL_OK, NULL); /* on disk, not yet synced: answered without waiting */
    }
    return ZL_OK;
}

static void on_replayed(zl_dr_t *dr, zl_err_t err, const char *reason) {
    replay_t *r = (replay_t *)dr;
    zl_gw_t *gw = r->gw;
    gw->replay_outstanding--;
    if (err == ZL_OK) {
        zl_spool_ack(gw->spool, r->seq);
        zl_counter_inc(gw->m.spool_replayed);
    } else if (!gw->replay_failed) {
        /* the younger replayed records still queued are withdrawn too: delivered
         * now, they would overtake this one when it is replayed again */
        gw->replay_failed = true;
        zl_producer_purge(gw->producer);
        ZL_WARN("spool", "replay of record %" PRIu64 " failed (%s): replay resumes from the first record "
                "Kafka has not acknowledged", r->seq, reason ? reason : zl_err2str(err));
    }
    free(r);
}

/* Producer failure hook: a record Kafka did not take goes to the spool. */
static bool on_failure(void *ctx, const zl_precord_t *pr, zl_dr_t *dr) {
    zl_gw_t *gw = ctx;
    if (dr && dr->cb == on_replayed) return false; /* still in the spool */
    /* the first record to fail: the younger ones still queued follow it to disk
     * now (in this same serve), before anything newer is spooled */
    if (!zl_spool_pending(gw->spool)) zl_producer_purge(gw->producer);
    if (pr->maybe_written) zl_counter_inc(gw->m.spool_maybe_dup); /* replaying it may duplicate it */
    zl_spool_rec_t rec = {.ts_ms = pr->ts_ms ? pr->ts_ms : zl_wall_ms(), .topic = pr->topic, .key = pr->key,
                          .key_len = pr->key_len, .value = pr->value, .value_len = pr->value_len};
    return spool_put(gw, &rec, dr) == ZL_OK;
}

/* health.c: -1 off, 0 empty, 1 holding records, 2 full (turning data away). */
static int spool_state(void *ctx) {
    zl_gw_t *gw = ctx;
    if (zl_outbox_congested(gw)) return 2;
    /* the disk refused the last write and nothing has been freed since (writes are
     * only tried again once a second: between tries the spool is still full) */
    if (gw->spool_io_full && zl_spool_bytes(gw->spool) >= gw->spool_full_bytes) return 2;
    return zl_spool_pending(gw->spool) ? 1 : 0;
}

zl_err_t zl_outbox_init(zl_gw_t *gw, char *errstr, size_t n) {
    const zl_gw_conf_t *c = gw->conf;
    if (!c->spool_enabled) {
        ZL_INFO("spool", "off (spool.enabled=false): records the producer cannot deliver are lost, counted");
        return ZL_OK;
    }
    zl_spool_cfg_t sc = {.dir = c->spool_dir, .max_bytes = (uint64_t)c->spool_max_bytes,
                         .segment_bytes = (uint64_t)c->spool_segment_bytes, .window = c->spool_window};
    gw->spool = zl_spool_open(&sc, errstr, n);
    if (!gw->spool) return ZL_ERR_IO;
    zl_producer_on_failure(gw->producer, on_failure, gw);
    gw->health.spool_state = spool_state;
    gw->health.spool_ctx = gw;
    update_gauges(gw);
    ZL_INFO("spool", "%s: %" PRIu64 " record(s) from an earlier run to replay (%" PRIu64 " bytes), cap %" PRId64
            " bytes, overflow %s", c->spool_dir, zl_spool_pending(gw->spool), zl_spool_bytes(gw->spool),
            c->spool_max_bytes, c->spool_overflow ? "drop-oldest" : "refuse");
    return ZL_OK;
}

/* A management answer the producer had no room for (no spool); key and value follow. */
struct zl_waiting {
    struct zl_waiting *next;
    const char *topic; /* one of gw's topic names */
    zl_dr_t *dr;
    int64_t ts_ms;
    size_t klen, vlen;
    uint8_t data[];
};

static zl_err_t wait_for_room(zl_gw_t *gw, const char *topic, zl_dr_t *dr) {
    struct zl_waiting *w = malloc(sizeof *w + gw->kbuf.len + gw->vbuf.len);
    if (!w) return ZL_ERR_NOMEM;
    *w = (struct zl_waiting){.topic = topic, .dr = dr, .ts_ms = zl_wall_ms(), .klen = gw->kbuf.len,
                             .vlen = gw->vbuf.len};
    if (w->klen) memcpy(w->data, gw->kbuf.data, w->klen);
    if (w->vlen) memcpy(w->data + w->klen, gw->vbuf.data, w->vlen);
    if (gw->wait_tail) gw->wait_tail->next = w;
    else gw->wait_head = w;
    gw->wait_tail = w;
    zl_gauge_add(gw->m.answers_waiting, 1);
    return ZL_OK;
}

/* Sends waiting answers, oldest first, while the producer takes them. */
static void send_waiting(zl_gw_t *gw) {
    struct zl_waiting *w;
    while ((w = gw->wait_head) != NULL && !zl_producer_congested(gw->producer)) {
        zl_err_t e = zl_producer_send_raw(gw->producer, w->topic, w->data, w->klen, w->data + w->klen, w->vlen,
                                          w->ts_ms, w->dr);
        if (e == ZL_ERR_FULL) return;
        gw->wait_head = w->next;
        if (!gw->wait_head) gw->wait_tail = NULL;
        zl_gauge_add(gw->m.answers_waiting, -1);
        if (e) w->dr->cb(w->dr, e, "the producer refused it");
        free(w);
    }
}

zl_err_t zl_outbox_send(zl_gw_t *gw, const char *topic, zl_dr_t *dr) {
    if (!gw->spool && topic == gw->t_rep && dr) {
        if (gw->wait_head) return wait_for_room(gw, topic, dr); /* behind the ones already waiting */
        zl_err_t e = zl_producer_send(gw->producer, topic, &gw->kbuf, &gw->vbuf, dr);
        return e == ZL_ERR_FULL ? wait_for_room(gw, topic, dr) : e;
    }
    bool to_disk = gw->spool && (zl_spool_pending(gw->spool) || zl_producer_congested(gw->producer));
    if (!to_disk) {
        zl_err_t e = zl_producer_send(gw->producer, topic, &gw->kbuf, &gw->vbuf, dr);
        if (e != ZL_ERR_FULL || !gw->spool) return e;
    }
    if (!zl_spool_pending(gw->spool)) {
        /* spooling starts: what waits in the producer's queue goes first, so
         * nothing younger reaches the spool (and Kafka) before it */
        zl_buf_t k = gw->kbuf, v = gw->vbuf; /* reports may encode records of their own */
        zl_buf_init(&gw->kbuf, 0);
        zl_buf_init(&gw->vbuf, 0);
        zl_producer_purge(gw->producer);
        zl_producer_serve(gw->producer);
        zl_buf_free(&gw->kbuf);
        zl_buf_free(&gw->vbuf);
        gw->kbuf = k;
        gw->vbuf = v;
    }
    zl_spool_rec_t rec = {.ts_ms = zl_wall_ms(), .topic = topic, .key = gw->kbuf.data, .key_len = gw->kbuf.len,
                          .value = gw->vbuf.data, .value_len = gw->vbuf.len};
    return spool_put(gw, &rec, dr);
}

bool zl_outbox_congested(zl_gw_t *gw) {
    if (!gw->spool) return zl_producer_congested(gw->producer);
    if (zl_now_ms() - gw->spool_io_failed_ms < IO_FULL_MS) return true; /* the disk refuses */
    if (gw->conf->spool_overflow == 1) return false;                    /* drop-oldest always takes */
    return zl_spool_bytes(gw->spool) >= (uint64_t)gw->conf->spool_max_bytes / 10 * 9;
}

void zl_outbox_turn(void *ctx) {
    zl_gw_t *gw = ctx;
    if (!gw->spool) return;
    if (zl_spool_sync(gw->spool)) {
        zl_counter_inc(gw->m.spool_errors);
        unsigned long long more = 0;
        if (zl_log_limit(&gw->spool_log, 1, &more))
            ZL_ERROR("spool", "%s (zeelos_spool_errors_total; %llu more not logged)", zl_spool_errmsg(gw->spool),
                     more);
    }
    /* the records these answer are on disk now; callbacks may spool more, answered next turn */
    size_t n = gw->n_spool_drs;
    for (size_t i = 0; i < n; i++) gw->spool_drs[i]->cb(gw->spool_drs[i], ZL_OK, NULL);
    if (n) {
        memmove(gw->spool_drs, gw->spool_drs + n, (gw->n_spool_drs - n) * sizeof *gw->spool_drs);
        gw->n_spool_drs -= n;
    }
    update_gauges(gw);
}

void zl_outbox_replay(zl_gw_t *gw) {
    if (!gw->spool) {
        send_waiting(gw);
        return;
    }
    int64_t now = zl_now_ms();
    if (!zl_spool_pending(gw->spool) && zl_producer_stalled_ms(gw->producer) >= gw->conf->spool_after_ms &&
        now - gw->stall_purge_ms >= gw->conf->spool_after_ms) { /* once per spool.after.ms at most */
        gw->stall_purge_ms = now;
        /* no word from Kafka for spool.after.ms: what waits unsent goes to disk (what was sent
         * stays with librdkafka, whose idempotent retries deliver it once) */
        ZL_WARN("spool", "no delivery report for %" PRId64 " ms with %d record(s) in the producer: the "
                "unsent ones go to the spool", zl_producer_stalled_ms(gw->producer),
                zl_producer_outq(gw->producer));
        zl_producer_purge(gw->producer);
        zl_producer_serve(gw->producer);
    }
    if (gw->replay_failed) {
        if (gw->replay_outstanding) return; /* rewind once nothing replayed is pending */
        zl_spool_rewind(gw->spool);
        gw->replay_failed = false;
        gw->replay_after_ms = now + REPLAY_RETRY_MS;
    }
    if (now < gw->replay_after_ms) return;
    zl_spool_rec_t rec;
    while (!zl_producer_congested(gw->producer)) {
        zl_err_t e = zl_spool_next(gw->spool, &rec);
        if (e == ZL_ERR_NOT_FOUND || e == ZL_ERR_FULL) break;
        replay_t *r = e ? NULL : malloc(sizeof *r);
        if (!r) {
            if (e) {
                zl_counter_inc(gw->m.spool_errors);
                ZL_ERROR("spool", "replay: %s", e == ZL_ERR_IO ? zl_spool_errmsg(gw->spool) : zl_err2str(e));
            }
            gw->replay_failed = true; /* rewinds and retries in a second */
            break;
        }
        *r = (replay_t){.dr = {.cb = on_replayed}, .gw = gw, .seq = rec.seq};
        if (zl_producer_send_raw(gw->producer, rec.topic, rec.key, rec.key_len, rec.value, rec.value_len,
                                 rec.ts_ms, &r->dr) != ZL_OK) {
            free(r);
            gw->replay_failed = true;
            break;
        }
        gw->replay_outstanding++;
    }
}

void zl_outbox_fini(zl_gw_t *gw) {
    size_t n = 0;
    for (struct zl_waiting *w = gw->wait_head, *next; w; w = next, n++) {
        next = w->next;
        w->dr->cb(w->dr, ZL_ERR_CANCELLED, NULL); /* not sent: its request is served again at the next start */
        free(w);
    }
    gw->wait_head = gw->wait_tail = NULL;
    if (n) ZL_INFO("mgmt", "%zu answer(s) never reached the producer; their requests are served again at the "
                   "next start", n);
    if (!gw->spool) return;
    zl_outbox_turn(gw);
    if (zl_spool_pending(gw->spool))
        ZL_INFO("spool", "%" PRIu64 " record(s) stay in %s for the next start", zl_spool_pending(gw->spool),
                gw->conf->spool_dir);
    zl_spool_close(gw->spool);
    gw->spool = NULL;
    free(gw->spool_drs);
}
