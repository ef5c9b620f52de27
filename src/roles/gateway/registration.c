/* SPDX-License-Identifier: Apache-2.0 */
/* What happens to a registration beyond the registry's maps: it is counted,
 * persisted, announced on Kafka when it expires, its observations are
 * cancelled when it goes, and it is restored from SQLite at start-up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roles/gateway/gw_int.h"
#include "common/clock.h"
#include "common/log.h"

static void on_expire(void *ctx, zl_reg_t *reg) {
    zl_gw_t *gw = ctx;
    ZL_INFO("rd", "registration %s of '%s' expired (lifetime %lld s)", reg->id, reg->ep, (long long)reg->lt);
    zl_counter_inc(gw->m.reg_expired);
    zl_gw_reg_drop(gw, reg);
}

void zl_gw_reg_drop(zl_gw_t *gw, zl_reg_t *reg) {
    reg->last_up = zl_wall_ms();
    zl_ev_registration(gw, reg, ZL_REG_DELETE, true, NULL);
    if (zl_store_del_reg(gw->store, reg->id)) zl_counter_inc(gw->m.store_errors);
    zl_gw_reg_remove(gw, reg);
}

zl_err_t zl_gw_regs_init(zl_gw_t *gw) { return zl_registry_init(&gw->regs, &gw->wheel, on_expire, gw); }

void zl_gw_reg_add(zl_gw_t *gw, zl_reg_t *reg) {
    zl_registry_insert(&gw->regs, reg);
    zl_gauge_add(gw->m.registrations, 1);
}

void zl_gw_reg_remove(zl_gw_t *gw, zl_reg_t *reg) {
    zl_obs_cancel(gw, reg, NULL);
    zl_queue_drop(gw, reg, NULL);
    zl_registry_unlink(&gw->regs, reg);
    zl_gauge_add(gw->m.registrations, -1);
}

zl_err_t zl_gw_reg_persist(zl_gw_t *gw, const zl_reg_t *reg) {
    char host[64];
    zl_coap_addr_host(&reg->peer, host, sizeof host);
    zl_store_reg_t r = {reg->id, reg->ep, reg->ver, reg->bnd, reg->sms, host, reg->links_raw,
                        reg->root, reg->attrs_raw, zl_coap_addr_port(&reg->peer), reg->lt,
                        reg->reg_date, reg->last_up};
    zl_err_t e = zl_store_put_reg(gw->store, &r);
    if (e) {
        zl_counter_inc(gw->m.store_errors);
        ZL_ERROR("store", "cannot persist registration %s of '%s': %s", reg->id, reg->ep,
                 zl_store_errmsg(gw->store));
    }
    return e;
}

static void restore_one(void *ctx, const zl_store_reg_t *r) {
    zl_gw_t *gw = ctx;
    char err[128];
    zl_reg_t *reg = zl_reg_new();
    if (!reg) return;
    snprintf(reg->id, sizeof reg->id, "%s", r->id);
    reg->ep = strdup(r->ep);
    reg->ver = strdup(r->ver ? r->ver : "1.0");
    reg->sms = r->sms ? strdup(r->sms) : NULL;
    snprintf(reg->bnd, sizeof reg->bnd, "%s", r->bnd ? r->bnd : "U");
    reg->lt = r->lt;
    reg->reg_date = r->reg_date;
    reg->last_up = r->last_up;
    /* an endpoint with credentials registers only over DTLS (security.c), so
     * the transport and identity follow from the credentials, loaded first */
    const char *identity = reg->ep ? zl_sec_identity(gw, reg->ep) : NULL;
    reg->secure = identity != NULL;
    if (!reg->ep || (identity && !(reg->identity = strdup(identity))) || !reg->ver ||
        zl_coap_addr_parse(r->address, r->port, &reg->peer) ||
        zl_reg_set_links(reg, strdup(r->links ? r->links : ""), err, sizeof err) ||
        zl_reg_set_attrs(reg, r->attrs ? strdup(r->attrs) : NULL)) {
        ZL_ERROR("store", "dropping unreadable stored registration %s of '%s'", r->id, r->ep);
        zl_reg_free(reg);
        return;
    }
    reg->queue_mode = strchr(reg->bnd, 'Q') != NULL;
    for (size_t i = 0; i < reg->n_attrs; i++)
        if (!strcmp(reg->attrs[i].name, "Q")) reg->queue_mode = true;
    reg->asleep = reg->queue_mode; /* until it next talks to us */
    zl_gw_reg_add(gw, reg); /* one whose lifetime passed while we were down expires on the first turn */
}

void zl_gw_reg_restore(zl_gw_t *gw) {
    if (zl_store_load_regs(gw->store, restore_one, gw))
        ZL_ERROR("store", "cannot load registrations: %s", zl_store_errmsg(gw->store));
    ZL_INFO("rd", "restored %zu registration(s) from the store", zl_registry_count(&gw->regs));
}
