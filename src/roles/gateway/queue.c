/* SPDX-License-Identifier: Apache-2.0 */
/* Queue mode (LwM2M binding with Q): a device that sleeps cannot be asked
 * anything, so management requests for it wait here until it next talks to us
 * (register or update), then go out in arrival order.
 *
 * Durability: a held request is written to SQLite (the raw Kafka value) and
 * only then is its Kafka offset released, so neither a gateway restart nor a
 * long sleep blocks the commits of other devices' requests.  Each held request
 * has a deadline (queue.request.ttl.ms); when it passes, the ticket is answered
 * with an error.  Sleeping and waking are published on the registrations topic
 * as UPDATE records whose attributes carry {"queue.state": "SLEEPING"|"AWAKE"}
 * (the zeelos AvroRegistrationKind enum has no symbols for them, and adding
 * symbols would break existing consumers). */
#include <stdlib.h>
#include <string.h>

#include "roles/gateway/gw_int.h"
#include "common/clock.h"
#include "common/log.h"

static void emit_state(zl_gw_t *gw, zl_reg_t *reg, const char *state) {
    zl_kv_t kv = {"queue.state", state};
    zl_reg_t upd = {0};
    upd.attrs = &kv;
    upd.n_attrs = 1;
    reg->last_up = zl_wall_ms();
    zl_ev_registration(gw, reg, ZL_REG_UPDATE, false, &upd);
}

static void unlink_held(zl_reg_t *reg, zl_mreq_t *m) {
    for (zl_mreq_t **pp = &reg->q_head; *pp; pp = &(*pp)->q_next)
        if (*pp == m) {
            *pp = m->q_next;
            if (reg->q_tail == m) {
                reg->q_tail = NULL;
                for (zl_mreq_t *t = reg->q_head; t; t = t->q_next) reg->q_tail = t;
            }
            break;
        }
    m->q_next = NULL;
}

static void on_ttl(zl_timer_t *t, void *ctx) {
    zl_mreq_t *m = ctx;
    zl_gw_t *gw = m->gw;
    (void)t;
    zl_reg_t *reg = zl_registry_by_ep(&gw->regs, m->req.ep);
    if (reg) unlink_held(reg, m);
    zl_store_del_queued(gw->store, m->q_id);
    zl_counter_inc(gw->m.queue_expired);
    zl_mgmt_fail(m, ZL_RC_INTERNAL_SERVER_ERROR,
                 "expired in queue: device '%s' did not wake up within %lld ms", m->req.ep,
                 (long long)gw->queue_ttl_ms);
}

static void append(zl_gw_t *gw, zl_reg_t *reg, zl_mreq_t *m, int64_t deadline_wall) {
    m->q_next = NULL;
    if (reg->q_tail) reg->q_tail->q_next = m; else reg->q_head = m;
    reg->q_tail = m;
    zl_timer_init(&m->ttl, on_ttl, m);
    int64_t left = deadline_wall - zl_wall_ms();
    zl_timer_arm(&gw->wheel, &m->ttl, zl_now_ms() + (left > 0 ? left : 0));
}

void zl_queue_hold(zl_gw_t *gw, zl_reg_t *reg, zl_mreq_t *m, const void *value, size_t len) {
    /* After a crash Kafka may hand us again a request we already hold (its
     * offset was stored but not yet committed): the ticket says so. */
    for (zl_mreq_t *h = reg->q_head; h; h = h->q_next)
        if (!strcmp(h->req.ticket, m->req.ticket)) {
            ZL_DEBUG("queue", "ticket '%s' for '%s' is already held", m->req.ticket, reg->ep);
            zl_consumer_done(gw->consumer, m->partition, m->offset);
            zl_mgmt_free(m);
            return;
        }
    int64_t deadline = zl_wall_ms() + gw->queue_ttl_ms;
    if (zl_store_put_queued(gw->store, m->req.ep, value, len, deadline, &m->q_id)) {
        /* not durable: keep the offset pinned instead (a restart replays it) */
        zl_counter_inc(gw->m.store_errors);
        m->q_id = -1;
    } else {
        zl_consumer_done(gw->consumer, m->partition, m->offset);
        m->partition = -1;
    }
    append(gw, reg, m, deadline);
    zl_counter_inc(gw->m.queued);
    ZL_INFO("queue", "'%s' sleeps: %s %s (ticket '%s') waits for it", reg->ep, zl_req_kind_name(m->req.kind),
            m->req.path, m->req.ticket);
}

static void on_sleep(zl_timer_t *t, void *ctx) {
    zl_reg_t *reg = ctx;
    zl_gw_t *gw = reg->registry->ctx;
    (void)t;
    reg->asleep = true;
    ZL_DEBUG("queue", "'%s' is asleep", reg->ep);
    emit_state(gw, reg, "SLEEPING");
}

/* Delivers the queue one timer tick after the device talked, so the answer
 * to its register/update leaves before our requests do. */
static void on_drain(zl_timer_t *t, void *ctx) {
    zl_reg_t *reg = ctx;
    zl_gw_t *gw = reg->registry->ctx;
    (void)t;
    zl_mreq_t *m;
    while (!reg->asleep && (m = reg->q_head)) {
        reg->q_head = m->q_next;
        if (!reg->q_head) reg->q_tail = NULL;
        m->q_next = NULL;
        zl_timer_disarm(&gw->wheel, &m->ttl);
        if (m->q_id >= 0) zl_store_del_queued(gw->store, m->q_id);
        zl_mgmt_dispatch(m, reg);
    }
}

void zl_queue_wake(zl_gw_t *gw, zl_reg_t *reg) {
    if (!reg->queue_mode) return;
    if (!reg->sleep_timer.cb) {
        zl_timer_init(&reg->sleep_timer, on_sleep, reg);
        zl_timer_init(&reg->drain_timer, on_drain, reg);
    }
    zl_timer_arm(&gw->wheel, &reg->sleep_timer, zl_now_ms() + gw->queue_awake_ms);
    if (reg->asleep) {
        reg->asleep = false;
        emit_state(gw, reg, "AWAKE");
    }
    if (reg->q_head) zl_timer_arm(&gw->wheel, &reg->drain_timer, zl_now_ms());
}

void zl_queue_drop(zl_gw_t *gw, zl_reg_t *reg, zl_reg_t *heir) {
    if (reg->sleep_timer.cb) {
        zl_timer_disarm(&gw->wheel, &reg->sleep_timer);
        zl_timer_disarm(&gw->wheel, &reg->drain_timer);
    }
    if (heir) {
        if (!reg->q_head) return;
        if (heir->q_tail) heir->q_tail->q_next = reg->q_head; else heir->q_head = reg->q_head;
        heir->q_tail = reg->q_tail;
        reg->q_head = reg->q_tail = NULL;
        return;
    }
    zl_mreq_t *m;
    while ((m = reg->q_head)) {
        reg->q_head = m->q_next;
        m->q_next = NULL;
        zl_timer_disarm(&gw->wheel, &m->ttl);
        if (m->q_id >= 0) zl_store_del_queued(gw->store, m->q_id);
        zl_mgmt_fail(m, ZL_RC_NOT_FOUND, "device '%s' de-registered before the request could be delivered",
                     reg->ep);
    }
    reg->q_tail = NULL;
}

static void restore_one(void *ctx, const zl_store_queued_t *q) {
    zl_gw_t *gw = ctx;
    char err[256];
    zl_mreq_t *m = zl_mgmt_new(gw, -1, 0);
    if (!m) return;
    m->q_id = q->id;
    if (zl_serde_decode_request(gw->serde, q->value, q->len, &m->req, err, sizeof err)) {
        ZL_ERROR("queue", "dropping unreadable queued request %lld for '%s': %s", (long long)q->id, q->ep, err);
        zl_store_del_queued(gw->store, q->id);
        zl_mgmt_free(m);
        return;
    }
    zl_tickets_live(gw, m); /* a delivery of its record again is the same request */
    zl_reg_t *reg = zl_registry_by_ep(&gw->regs, m->req.ep);
    if (!reg) {
        zl_store_del_queued(gw->store, q->id);
        zl_mgmt_fail(m, ZL_RC_NOT_FOUND, "No registration for this endpoint '%s'", m->req.ep);
        return;
    }
    append(gw, reg, m, q->deadline);
}

void zl_queue_restore(zl_gw_t *gw) {
    if (zl_store_load_queued(gw->store, restore_one, gw))
        ZL_ERROR("store", "cannot load queued requests: %s", zl_store_errmsg(gw->store));
}
