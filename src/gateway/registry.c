/* Registrations in memory. Three maps answer the three questions the gateway
 * asks: "which device is <ep>?" (management requests), "which registration is
 * /rd/<id>?" (updates) and "who is this address?" (later: Send, queue mode).
 * Each registration carries its own expiry timer on the loop's wheel, so an
 * update re-arms one timer instead of anything scanning the fleet. */
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_int.h"
#include "util/clock.h"
#include "util/log.h"

static uint64_t str_hash(const zl_hmap_t *m, const char *s) { return zl_hash_bytes(m->seed, s, strlen(s)); }

zl_err_t zl_reg_init(zl_gw_t *gw) {
    if (zl_hmap_init(&gw->by_ep, 1024) || zl_hmap_init(&gw->by_id, 1024) ||
        zl_hmap_init(&gw->by_peer, 1024))
        return ZL_ERR_NOMEM;
    return ZL_OK;
}

void zl_reg_fini(zl_gw_t *gw) {
    if (gw->by_ep.buckets) {
        size_t b = 0;
        zl_hnode_t *n = zl_hmap_iter(&gw->by_ep, &b, NULL);
        while (n) {
            zl_hnode_t *next = zl_hmap_iter(&gw->by_ep, &b, n);
            zl_reg_t *r = ZL_CONTAINER_OF(n, zl_reg_t, by_ep);
            zl_timer_disarm(&gw->wheel, &r->expiry);
            zl_reg_free(r);
            n = next;
        }
    }
    zl_hmap_free(&gw->by_ep);
    zl_hmap_free(&gw->by_id);
    zl_hmap_free(&gw->by_peer);
}

zl_reg_t *zl_reg_by_ep(zl_gw_t *gw, const char *ep) {
    for (zl_hnode_t *n = zl_hmap_first(&gw->by_ep, str_hash(&gw->by_ep, ep)); n; n = zl_hmap_next_same(n)) {
        zl_reg_t *r = ZL_CONTAINER_OF(n, zl_reg_t, by_ep);
        if (!strcmp(r->ep, ep)) return r;
    }
    return NULL;
}

zl_reg_t *zl_reg_by_id(zl_gw_t *gw, const char *id) {
    for (zl_hnode_t *n = zl_hmap_first(&gw->by_id, str_hash(&gw->by_id, id)); n; n = zl_hmap_next_same(n)) {
        zl_reg_t *r = ZL_CONTAINER_OF(n, zl_reg_t, by_id);
        if (!strcmp(r->id, id)) return r;
    }
    return NULL;
}

static void on_expiry(zl_timer_t *t, void *ctx) {
    zl_reg_t *reg = ctx;
    zl_gw_t *gw = reg->gw;
    (void)t;
    ZL_INFO("rd", "registration %s of '%s' expired (lifetime %lld s)", reg->id, reg->ep, (long long)reg->lt);
    zl_counter_inc(gw->m.reg_expired);
    reg->last_up = zl_wall_ms();
    zl_ev_registration(gw, reg, ZL_REG_DELETE, true, NULL);
    if (zl_store_del_reg(gw->store, reg->id)) zl_counter_inc(gw->m.store_errors);
    zl_reg_remove(gw, reg);
}

void zl_reg_arm_expiry(zl_gw_t *gw, zl_reg_t *reg) {
    int64_t remaining = reg->last_up + reg->lt * 1000 - zl_wall_ms();
    zl_timer_arm(&gw->wheel, &reg->expiry, zl_now_ms() + (remaining > 0 ? remaining : 0));
}

void zl_reg_set_peer(zl_gw_t *gw, zl_reg_t *reg, const zl_coap_addr_t *peer) {
    if (!reg->dead && reg->by_peer.hash) zl_hmap_remove(&gw->by_peer, &reg->by_peer);
    reg->peer = *peer;
    zl_hmap_insert(&gw->by_peer, &reg->by_peer, zl_coap_addr_hash(gw->by_peer.seed, peer) | 1);
}

void zl_reg_insert(zl_gw_t *gw, zl_reg_t *reg) {
    reg->gw = gw;
    zl_timer_init(&reg->expiry, on_expiry, reg);
    zl_hmap_insert(&gw->by_ep, &reg->by_ep, str_hash(&gw->by_ep, reg->ep));
    zl_hmap_insert(&gw->by_id, &reg->by_id, str_hash(&gw->by_id, reg->id));
    reg->by_peer.hash = 0;
    zl_reg_set_peer(gw, reg, &reg->peer);
    zl_reg_arm_expiry(gw, reg);
    zl_gauge_add(gw->m.registrations, 1);
}

void zl_reg_remove(zl_gw_t *gw, zl_reg_t *reg) {
    zl_obs_cancel(gw, reg, NULL);
    zl_timer_disarm(&gw->wheel, &reg->expiry);
    zl_hmap_remove(&gw->by_ep, &reg->by_ep);
    zl_hmap_remove(&gw->by_id, &reg->by_id);
    zl_hmap_remove(&gw->by_peer, &reg->by_peer);
    zl_gauge_add(gw->m.registrations, -1);
    reg->dead = true;
    if (reg->pending == 0) zl_reg_free(reg);
}

void zl_reg_release(zl_reg_t *reg) {
    if (--reg->pending == 0 && reg->dead) zl_reg_free(reg);
}

void zl_reg_free(zl_reg_t *reg) {
    if (!reg) return;
    free(reg->ep);
    free(reg->ver);
    free(reg->sms);
    free(reg->root);
    free(reg->links_raw);
    zl_links_clear(&reg->links);
    free(reg->attrs_raw);
    free(reg->attrs);
    free(reg->attrs_buf);
    free(reg);
}

zl_err_t zl_reg_set_attrs(zl_reg_t *reg, char *raw) {
    free(reg->attrs_raw);
    free(reg->attrs);
    free(reg->attrs_buf);
    reg->attrs_raw = raw;
    reg->attrs = NULL;
    reg->attrs_buf = NULL;
    reg->n_attrs = 0;
    if (!raw || !*raw) return ZL_OK;
    reg->attrs_buf = strdup(raw);
    size_t n = 1;
    for (const char *p = raw; *p; p++) n += *p == '&';
    reg->attrs = calloc(n, sizeof *reg->attrs);
    if (!reg->attrs_buf || !reg->attrs) return ZL_ERR_NOMEM;
    char *save = NULL;
    for (char *tok = strtok_r(reg->attrs_buf, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(tok, '=');
        if (eq) *eq = 0;
        reg->attrs[reg->n_attrs].name = tok;
        reg->attrs[reg->n_attrs].value = eq ? eq + 1 : NULL;
        reg->n_attrs++;
    }
    return ZL_OK;
}

zl_err_t zl_reg_set_links(zl_reg_t *reg, char *raw, char *errstr, size_t n) {
    zl_links_t links = {0};
    zl_err_t e = zl_link_parse(raw ? raw : "", raw ? strlen(raw) : 0, &links, errstr, n);
    if (e) {
        free(raw);
        return e;
    }
    zl_links_clear(&reg->links);
    free(reg->links_raw);
    reg->links = links;
    reg->links_raw = raw;
    /* LwM2M 1.0 §5.3.1: </path>;rt="oma.lwm2m" names an alternate root */
    free(reg->root);
    reg->root = NULL;
    for (size_t i = 0; i < links.n; i++)
        for (size_t k = 0; k < links.links[i].n_attrs; k++)
            if (!strcmp(links.links[i].attrs[k].name, "rt") && links.links[i].attrs[k].value &&
                !strcmp(links.links[i].attrs[k].value, "oma.lwm2m"))
                reg->root = strdup(links.links[i].url);
    if (!reg->root) reg->root = strdup("/");
    return ZL_OK;
}

zl_err_t zl_reg_persist(zl_gw_t *gw, const zl_reg_t *reg) {
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
    zl_reg_t *reg = calloc(1, sizeof *reg);
    if (!reg) return;
    snprintf(reg->id, sizeof reg->id, "%s", r->id);
    reg->ep = strdup(r->ep);
    reg->ver = strdup(r->ver ? r->ver : "1.0");
    reg->sms = r->sms ? strdup(r->sms) : NULL;
    snprintf(reg->bnd, sizeof reg->bnd, "%s", r->bnd ? r->bnd : "U");
    reg->lt = r->lt;
    reg->reg_date = r->reg_date;
    reg->last_up = r->last_up;
    if (zl_coap_addr_parse(r->address, r->port, &reg->peer) ||
        zl_reg_set_links(reg, strdup(r->links ? r->links : ""), err, sizeof err) ||
        zl_reg_set_attrs(reg, r->attrs ? strdup(r->attrs) : NULL)) {
        ZL_ERROR("store", "dropping unreadable stored registration %s of '%s'", r->id, r->ep);
        zl_reg_free(reg);
        return;
    }
    zl_reg_insert(gw, reg); /* an already-expired one fires on the first loop turn */
}

void zl_reg_restore(zl_gw_t *gw) {
    if (zl_store_load_regs(gw->store, restore_one, gw))
        ZL_ERROR("store", "cannot load registrations: %s", zl_store_errmsg(gw->store));
    ZL_INFO("rd", "restored %zu registration(s) from the store", gw->by_ep.count);
}
