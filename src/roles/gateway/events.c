/* SPDX-License-Identifier: Apache-2.0 */
/* Everything the gateway tells Kafka goes through here: registration events
 * (NEW/UPDATE/DELETE on topic.registrations) and responses/notifications.
 * Records are encoded into two scratch buffers owned by the gateway and copied
 * by librdkafka, so producing allocates nothing of ours. */
#include <string.h>

#include "roles/gateway/gw_int.h"
#include "common/clock.h"
#include "common/log.h"

static zl_err_t produce(zl_gw_t *gw, const char *topic, zl_dr_t *dr) {
    return zl_outbox_send(gw, topic, dr);
}

zl_err_t zl_ev_registration(zl_gw_t *gw, const zl_reg_t *reg, zl_reg_kind_t kind, bool expired,
                            const zl_reg_t *upd) {
    char host[64];
    zl_coap_addr_host(&reg->peer, host, sizeof host);
    zl_rec_registration_t r = {
        .kind = kind, .ep = reg->ep, .server_id = gw->id, .last_up = reg->last_up,
        .reg_id = reg->id, .address = host, .port = zl_coap_addr_port(&reg->peer),
        .expired = expired,
    };
    if (kind == ZL_REG_NEW) {
        r.reg_date = reg->reg_date;
        r.reg_addr = gw->local_host;
        r.reg_port = gw->local_port;
        r.ver = reg->ver;
        r.root = reg->root;
        r.has_lt = true;
        r.lt = reg->lt;
        r.sms = reg->sms;
        r.bnd = zl_bnd_symbol(reg->bnd, reg->queue_mode); /* the AvroBnd closest to it */
        r.binding = reg->bnd;                              /* zeelos 1.1: exactly as sent */
        r.links = &reg->links;
        r.attrs = reg->attrs;
        r.n_attrs = reg->n_attrs;
    } else if (kind == ZL_REG_UPDATE && upd) {
        r.has_lt = upd->lt > 0;
        r.lt = upd->lt;
        r.sms = upd->sms;
        r.bnd = upd->bnd[0] ? zl_bnd_symbol(upd->bnd, reg->queue_mode) : NULL;
        r.binding = upd->bnd[0] ? upd->bnd : NULL;
        r.links = upd->links_raw ? &upd->links : NULL;
        r.attrs = upd->attrs;
        r.n_attrs = upd->n_attrs;
    }
    zl_buf_reset(&gw->kbuf);
    zl_buf_reset(&gw->vbuf);
    zl_err_t e = zl_serde_key(gw->serde, gw->t_reg, reg->ep, &gw->kbuf);
    if (!e) e = zl_serde_registration(gw->serde, gw->t_reg, &r, &gw->vbuf);
    if (e) {
        ZL_ERROR("kafka", "cannot encode registration event for '%s': %s", reg->ep, zl_err2str(e));
        return e;
    }
    return produce(gw, gw->t_reg, NULL);
}

zl_err_t zl_ev_response(zl_gw_t *gw, const char *topic, const char *key_ep,
                        const zl_rec_response_t *r, zl_dr_t *dr) {
    zl_buf_reset(&gw->kbuf);
    zl_buf_reset(&gw->vbuf);
    zl_err_t e = zl_serde_key(gw->serde, topic, key_ep, &gw->kbuf);
    if (!e) e = zl_serde_response(gw->serde, topic, r, &gw->vbuf);
    if (e) {
        ZL_ERROR("kafka", "cannot encode response for '%s' %s (ticket %s): %s", r->ep, r->path,
                 r->ticket, zl_err2str(e));
        return e;
    }
    /* management answers are bounded (mgmt.c answers the overflow with an error) */
    if (topic == gw->t_rep && gw->kbuf.len + gw->vbuf.len > (size_t)gw->conf->mgmt_response_max)
        return ZL_ERR_TOO_LARGE;
    return produce(gw, topic, dr);
}
