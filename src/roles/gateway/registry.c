/* SPDX-License-Identifier: Apache-2.0 */
/* Registrations in memory: three seeded hash maps and one timer each. */
#include "roles/gateway/registry.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"

static uint64_t str_hash(const zl_hmap_t *m, const char *s) { return zl_hash_bytes(m->seed, s, strlen(s)); }

static void on_timer(zl_timer_t *t, void *ctx) {
    zl_reg_t *reg = ctx;
    (void)t;
    zl_registry_t *r = reg->registry;
    r->on_expire(r->ctx, reg);
}

zl_err_t zl_registry_init(zl_registry_t *r, zl_wheel_t *wheel, void (*on_expire)(void *, zl_reg_t *),
                          void *ctx) {
    memset(r, 0, sizeof *r);
    r->wheel = wheel;
    r->on_expire = on_expire;
    r->ctx = ctx;
    if (zl_hmap_init(&r->by_ep, 1024) || zl_hmap_init(&r->by_id, 1024) || zl_hmap_init(&r->by_peer, 1024))
        return ZL_ERR_NOMEM;
    return ZL_OK;
}

void zl_registry_fini(zl_registry_t *r) {
    if (r->by_ep.buckets) {
        size_t b = 0;
        zl_hnode_t *n = zl_hmap_iter(&r->by_ep, &b, NULL);
        while (n) {
            zl_hnode_t *next = zl_hmap_iter(&r->by_ep, &b, n);
            zl_reg_t *reg = ZL_CONTAINER_OF(n, zl_reg_t, by_ep);
            zl_timer_disarm(r->wheel, &reg->expiry);
            zl_reg_free(reg);
            n = next;
        }
    }
    zl_hmap_free(&r->by_ep);
    zl_hmap_free(&r->by_id);
    zl_hmap_free(&r->by_peer);
}

size_t zl_registry_count(const zl_registry_t *r) { return r->by_ep.count; }

zl_reg_t *zl_registry_by_ep(const zl_registry_t *r, const char *ep) {
    for (zl_hnode_t *n = zl_hmap_first(&r->by_ep, str_hash(&r->by_ep, ep)); n; n = zl_hmap_next_same(n)) {
        zl_reg_t *reg = ZL_CONTAINER_OF(n, zl_reg_t, by_ep);
        if (!strcmp(reg->ep, ep)) return reg;
    }
    return NULL;
}

zl_reg_t *zl_registry_by_id(const zl_registry_t *r, const char *id) {
    for (zl_hnode_t *n = zl_hmap_first(&r->by_id, str_hash(&r->by_id, id)); n; n = zl_hmap_next_same(n)) {
        zl_reg_t *reg = ZL_CONTAINER_OF(n, zl_reg_t, by_id);
        if (!strcmp(reg->id, id)) return reg;
    }
    return NULL;
}

zl_reg_t *zl_registry_by_peer(const zl_registry_t *r, const zl_coap_addr_t *peer, bool secure) {
    uint64_t h = zl_coap_addr_hash(r->by_peer.seed, peer);
    for (zl_hnode_t *n = zl_hmap_first(&r->by_peer, h); n; n = zl_hmap_next_same(n)) {
        zl_reg_t *reg = ZL_CONTAINER_OF(n, zl_reg_t, by_peer);
        if (reg->secure == secure && zl_coap_addr_eq(&reg->peer, peer)) return reg;
    }
    return NULL;
}

void zl_registry_touch(zl_registry_t *r, zl_reg_t *reg) {
    int64_t remaining = reg->last_up + reg->lt * 1000 - zl_wall_ms();
    zl_timer_arm(r->wheel, &reg->expiry, zl_now_ms() + (remaining > 0 ? remaining : 0));
}

void zl_registry_set_peer(zl_registry_t *r, zl_reg_t *reg, const zl_coap_addr_t *peer) {
    if (reg->linked) zl_hmap_remove(&r->by_peer, &reg->by_peer);
    reg->peer = *peer;
    if (reg->linked) zl_hmap_insert(&r->by_peer, &reg->by_peer, zl_coap_addr_hash(r->by_peer.seed, peer));
}

void zl_registry_insert(zl_registry_t *r, zl_reg_t *reg) {
    reg->registry = r;
    zl_timer_init(&reg->expiry, on_timer, reg);
    zl_hmap_insert(&r->by_ep, &reg->by_ep, str_hash(&r->by_ep, reg->ep));
    zl_hmap_insert(&r->by_id, &reg->by_id, str_hash(&r->by_id, reg->id));
    zl_hmap_insert(&r->by_peer, &reg->by_peer, zl_coap_addr_hash(r->by_peer.seed, &reg->peer));
    reg->linked = true;
    zl_registry_touch(r, reg);
}

void zl_registry_unlink(zl_registry_t *r, zl_reg_t *reg) {
    if (reg->linked) {
        zl_timer_disarm(r->wheel, &reg->expiry);
        zl_hmap_remove(&r->by_ep, &reg->by_ep);
        zl_hmap_remove(&r->by_id, &reg->by_id);
        zl_hmap_remove(&r->by_peer, &reg->by_peer);
        reg->linked = false;
    }
    reg->dead = true;
    if (reg->pending == 0) zl_reg_free(reg);
}

zl_reg_t *zl_reg_new(void) { return calloc(1, sizeof(zl_reg_t)); }

void zl_reg_hold(zl_reg_t *reg) { reg->pending++; }

void zl_reg_release(zl_reg_t *reg) {
    if (--reg->pending == 0 && reg->dead) zl_reg_free(reg);
}

void zl_reg_free(zl_reg_t *reg) {
    if (!reg) return;
    free(reg->ep);
    free(reg->identity);
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
    for (size_t i = 0; i < links.n && !reg->root; i++)
        for (size_t k = 0; k < links.links[i].n_attrs; k++)
            if (!strcmp(links.links[i].attrs[k].name, "rt") && links.links[i].attrs[k].value &&
                !strcmp(links.links[i].attrs[k].value, "oma.lwm2m")) {
                reg->root = strdup(links.links[i].url);
                break;
            }
    if (!reg->root) reg->root = strdup("/");
    return ZL_OK;
}

const char *zl_bnd_check(const char *b) {
    static const char letters[] = "USTNQ";
    if (!*b) return "b is empty (LwM2M bindings are made of U, S, T, N and Q)";
    unsigned seen = 0;
    for (const char *c = b; *c; c++) {
        const char *at = strchr(letters, *c);
        if (!at) return "b holds a letter that is no LwM2M binding (U, S, T, N, Q)";
        unsigned bit = 1u << (at - letters);
        if (seen & bit) return "b repeats a binding letter";
        seen |= bit;
    }
    if (!(seen & 0xfu)) return "b has no transport (U, S, T or N), only Q";
    return NULL;
}

const char *zl_bnd_symbol(const char *b, bool q) {
    static const char *const sym[2][2][2] = {{{"U", "UQ"}, {"S", "SQ"}}, {{"U", "UQ"}, {"US", "UQS"}}};
    bool ip = strpbrk(b, "UTN") != NULL, sms = strchr(b, 'S') != NULL;
    q = q || strchr(b, 'Q') != NULL;
    return sym[ip && sms][sms][q];
}

static size_t add_formats(const char *v, int *out, size_t k, size_t cap) {
    while (v && *v && k < cap) {
        char *end;
        long cf = strtol(v, &end, 10);
        if (end == v) break;
        bool dup = false;
        for (size_t i = 0; i < k; i++) dup |= out[i] == cf;
        if (cf >= 0 && cf <= 65535 && !dup) out[k++] = (int)cf;
        v = end;
        while (*v == ' ' || *v == ',') v++;
    }
    return k;
}

size_t zl_reg_formats(const zl_reg_t *reg, int *out, size_t cap) {
    size_t k = 0;
    for (size_t i = 0; i < reg->links.n; i++) {
        const zl_link_t *l = &reg->links.links[i];
        bool root = !strcmp(l->url, "/") || (reg->root && !strcmp(l->url, reg->root));
        for (size_t a = 0; root && a < l->n_attrs; a++)
            if (!strcmp(l->attrs[a].name, "ct")) k = add_formats(l->attrs[a].value, out, k, cap);
    }
    for (size_t i = 0; i < reg->n_attrs; i++)
        if (!strcmp(reg->attrs[i].name, "ct")) k = add_formats(reg->attrs[i].value, out, k, cap);
    return k;
}
