/* SPDX-License-Identifier: Apache-2.0 */
/* At most one execution per management ticket, across restarts.
 *
 * Kafka delivers a request again when its offset was not committed before a
 * crash (or when the consumer was recreated), so "at-least-once" used to mean
 * an Execute or a Write could reach the device twice.  Each ticket now has a
 * row in the store:
 *   - INFLIGHT, written in the turn the request is admitted; the turn's
 *     commit runs before any datagram leaves, so the row is on disk before the
 *     device can see the request;
 *   - DONE with the answer record (key and value exactly as produced).
 * A request whose ticket is DONE gets the stored answer again (not sent to
 * the device); one whose ticket is live in this process (a second delivery
 * of a record still being served) is folded into the first; one whose ticket
 * is INFLIGHT but not live was cut off by a crash: the device may or may not
 * have executed it, so it is answered UNKNOWN instead of being sent again.
 * Rows expire after management.ticket.retention.ms. */
#include <stdlib.h>
#include <string.h>

#include "roles/gateway/gw_int.h"
#include "common/clock.h"
#include "common/log.h"

#define EXPIRE_EVERY_MS (10 * 60 * 1000)

static uint64_t ticket_hash(const zl_gw_t *gw, const char *t) {
    return zl_hash_bytes(gw->tickets_live.seed, t, strlen(t));
}

static zl_mreq_t *live_find(zl_gw_t *gw, const char *t) {
    for (zl_hnode_t *n = zl_hmap_first(&gw->tickets_live, ticket_hash(gw, t)); n; n = zl_hmap_next_same(n)) {
        zl_mreq_t *m = ZL_CONTAINER_OF(n, zl_mreq_t, live_node);
        if (!strcmp(m->req.ticket, t)) return m;
    }
    return NULL;
}

void zl_tickets_live(zl_gw_t *gw, zl_mreq_t *m) {
    if (m->live || !m->req.ticket) return;
    if (zl_hmap_insert(&gw->tickets_live, &m->live_node, ticket_hash(gw, m->req.ticket)) == ZL_OK) m->live = true;
}

void zl_tickets_release(zl_gw_t *gw, zl_mreq_t *m) {
    if (!m->live) return;
    zl_hmap_remove(&gw->tickets_live, &m->live_node);
    m->live = false;
    /* a second delivery of the same record waited for this answer */
    if (m->alias_partition >= 0) zl_consumer_done(gw->consumer, m->alias_partition, m->alias_offset);
}

/* The delivery of a replayed answer releases the request's offset. */
typedef struct {
    zl_dr_t dr;
    zl_gw_t *gw;
    int32_t partition;
    int64_t offset;
} replay_t;

static void on_replayed(zl_dr_t *dr, zl_err_t err, const char *reason) {
    replay_t *r = (replay_t *)dr;
    if (err) ZL_ERROR("mgmt", "replayed answer not delivered (%s)", reason ? reason : zl_err2str(err));
    if (r->partition >= 0) zl_consumer_done(r->gw->consumer, r->partition, r->offset);
    free(r);
}

static bool replay(zl_gw_t *gw, zl_mreq_t *m) {
    replay_t *r = calloc(1, sizeof *r);
    if (!r) return false;
    *r = (replay_t){.dr.cb = on_replayed, .gw = gw, .partition = m->partition, .offset = m->offset};
    if (zl_outbox_send(gw, gw->t_rep, &r->dr) != ZL_OK) {
        free(r);
        return false;
    }
    return true;
}

bool zl_tickets_admit(zl_gw_t *gw, zl_mreq_t *m) {
    const char *t = m->req.ticket;
    zl_mreq_t *first = live_find(gw, t);
    if (first) {
        zl_counter_inc(gw->m.mgmt_dup_skipped);
        ZL_INFO("mgmt", "ticket '%s' delivered again while being served: answered once", t);
        if (first->alias_partition < 0 && m->partition >= 0) {
            first->alias_partition = m->partition;
            first->alias_offset = m->offset;
        } else if (m->partition >= 0) {
            zl_consumer_done(gw->consumer, m->partition, m->offset);
        }
        zl_mgmt_free(m);
        return false;
    }
    int state = 0;
    zl_err_t e = zl_store_get_ticket(gw->store, t, &state, &gw->kbuf, &gw->vbuf);
    if (e == ZL_OK && state == ZL_TICKET_DONE && gw->vbuf.len) {
        if (!replay(gw, m)) return true; /* cannot replay now: left uncommitted below */
        zl_counter_inc(gw->m.mgmt_replayed);
        ZL_INFO("mgmt", "ticket '%s' already answered: answer replayed, request not executed again", t);
        zl_mgmt_free(m);
        return false;
    }
    if (e == ZL_OK) {
        zl_counter_inc(gw->m.mgmt_interrupted);
        zl_tickets_live(gw, m);
        zl_mgmt_fail(m, ZL_RC_UNKNOWN,
                     "interrupted by a gateway restart before it was answered; not executed again (the device "
                     "may or may not have done it)");
        return false;
    }
    if (e != ZL_ERR_NOT_FOUND || zl_store_put_ticket(gw->store, t, ZL_TICKET_INFLIGHT, zl_wall_ms(), NULL, 0,
                                                     NULL, 0)) {
        zl_counter_inc(gw->m.store_errors);
        ZL_ERROR("store", "ticket '%s': %s (served without the at-most-once record)", t, zl_store_errmsg(gw->store));
    }
    zl_tickets_live(gw, m);
    return true;
}

void zl_tickets_answered(zl_gw_t *gw, const zl_mreq_t *m) {
    if (!m->live) return;
    if (zl_store_put_ticket(gw->store, m->req.ticket, ZL_TICKET_DONE, zl_wall_ms(), gw->kbuf.data, gw->kbuf.len,
                            gw->vbuf.data, gw->vbuf.len)) {
        zl_counter_inc(gw->m.store_errors);
        ZL_ERROR("store", "ticket '%s': cannot keep its answer: %s", m->req.ticket, zl_store_errmsg(gw->store));
    }
}

static void on_expire(zl_timer_t *t, void *ctx) {
    zl_gw_t *gw = ctx;
    if (zl_store_expire_tickets(gw->store, zl_wall_ms() - gw->conf->ticket_retention_ms))
        zl_counter_inc(gw->m.store_errors);
    zl_timer_arm(&gw->wheel, t, zl_now_ms() + EXPIRE_EVERY_MS);
}

zl_err_t zl_tickets_init(zl_gw_t *gw) {
    if (zl_hmap_init(&gw->tickets_live, 64)) return ZL_ERR_NOMEM;
    zl_timer_init(&gw->t_tickets, on_expire, gw);
    zl_timer_arm(&gw->wheel, &gw->t_tickets, zl_now_ms() + 1000);
    return ZL_OK;
}

void zl_tickets_fini(zl_gw_t *gw) { zl_hmap_free(&gw->tickets_live); }
