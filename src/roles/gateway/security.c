/* SPDX-License-Identifier: Apache-2.0 */
/* Device credentials and the rule that binds them to endpoint names, as
 * Leshan does: an endpoint with credentials on record registers only over
 * DTLS, with the PSK identity on record or a client certificate whose CN is
 * the endpoint name; one without registers only over plain CoAP.  Why here
 * and not in coap/: the DTLS layer only proves who a peer is; which endpoint
 * that identity may speak for is the LwM2M server's business.
 *
 * Where credentials come from: the compacted topic `security.topic` (one
 * record per endpoint, a tombstone removes it; `zeelos security` writes it,
 * so the cloud can provision edges), copied into the SQLite store so the
 * gateway starts with them while Kafka is away.  A change drops the DTLS
 * sessions of the old identity and the endpoint's registration, so nothing
 * keeps speaking under credentials that are gone.  Keys are never logged. */
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "roles/gateway/gw_int.h"
#include "common/clock.h"
#include "common/log.h"

struct zl_sec_entry {
    zl_hnode_t by_ep, by_psk;
    char *ep, *identity; /* identity: the PSK identity, or the endpoint name for X.509 */
    zl_dtls_id_kind_t kind;
    uint8_t key[ZL_SEC_MAX_KEY];
    size_t key_len;
};

static uint64_t str_hash(const zl_hmap_t *m, const char *s) { return zl_hash_bytes(m->seed, s, strlen(s)); }

static zl_sec_entry_t *by_ep(const zl_gw_t *gw, const char *ep) {
    for (zl_hnode_t *n = zl_hmap_first(&gw->sec_by_ep, str_hash(&gw->sec_by_ep, ep)); n; n = zl_hmap_next_same(n)) {
        zl_sec_entry_t *e = ZL_CONTAINER_OF(n, zl_sec_entry_t, by_ep);
        if (!strcmp(e->ep, ep)) return e;
    }
    return NULL;
}

static zl_sec_entry_t *by_psk(const zl_gw_t *gw, const char *id) {
    for (zl_hnode_t *n = zl_hmap_first(&gw->sec_by_psk, str_hash(&gw->sec_by_psk, id)); n; n = zl_hmap_next_same(n)) {
        zl_sec_entry_t *e = ZL_CONTAINER_OF(n, zl_sec_entry_t, by_psk);
        if (!strcmp(e->identity, id)) return e;
    }
    return NULL;
}

static void entry_free(zl_sec_entry_t *e) {
    if (!e) return;
    OPENSSL_cleanse(e->key, sizeof e->key);
    free(e->ep);
    free(e->identity);
    free(e);
}

static zl_err_t sec_parse(const char *ep, const char *value, zl_sec_entry_t **out, char *err, size_t n) {
    json_error_t je;
    json_t *j = json_loads(value, JSON_REJECT_DUPLICATES, &je);
    zl_sec_entry_t *e = calloc(1, sizeof *e);
    const char *why = NULL;
    if (!e) why = "out of memory";
    else if (!j || !json_is_object(j)) why = "not a JSON object";
    json_t *psk = j ? json_object_get(j, "psk") : NULL, *x509 = j ? json_object_get(j, "x509") : NULL;
    if (!why && !!psk == !!(x509 && json_is_true(x509))) why = "exactly one of \"psk\" and \"x509\": true is needed";
    if (!why && psk) {
        const char *id = json_string_value(json_object_get(psk, "identity"));
        const char *hex = json_string_value(json_object_get(psk, "key"));
        if (!id || !*id || strlen(id) > 128) why = "psk.identity must be a string of 1-128 bytes";
        else if (!hex || OPENSSL_hexstr2buf_ex(e->key, sizeof e->key, &e->key_len, hex, '\0') != 1 ||
                 !e->key_len)
            why = "psk.key must be 1-64 bytes in hexadecimal";
        ERR_clear_error(); /* a refused key leaves its reason on OpenSSL's queue */
        if (!why) {
            e->kind = ZL_DTLS_ID_PSK;
            e->identity = strdup(id);
        }
    } else if (!why) {
        e->kind = ZL_DTLS_ID_X509;
        e->identity = strdup(ep);
    }
    const char *jep = j ? json_string_value(json_object_get(j, "endpoint")) : NULL;
    if (!why && jep && strcmp(jep, ep)) why = "\"endpoint\" differs from the record's key";
    if (!why && (!e->identity || !(e->ep = strdup(ep)))) why = "out of memory";
    json_decref(j);
    if (why) {
        snprintf(err, n, "%s", why);
        entry_free(e);
        return ZL_ERR_INVALID;
    }
    *out = e;
    return ZL_OK;
}

/* The endpoint's registration, if its transport or identity no longer
 * matches its credentials, is removed (announced like an expiry). */
static void drop_old(zl_gw_t *gw, const char *ep, const char *old_identity) {
    if (old_identity && gw->dtls) {
        unsigned k = zl_dtls_drop_identity(gw->dtls, old_identity);
        if (k) ZL_INFO("security", "credentials of '%s' changed: %u DTLS session(s) closed", ep, k);
    }
    zl_reg_t *reg = zl_registry_by_ep(&gw->regs, ep);
    if (reg && (reg->secure || by_ep(gw, ep))) {
        ZL_INFO("security", "registration %s of '%s' removed: its credentials changed", reg->id, ep);
        zl_gw_reg_drop(gw, reg);
    }
}

static void entry_unlink(zl_gw_t *gw, zl_sec_entry_t *e) {
    zl_hmap_remove(&gw->sec_by_ep, &e->by_ep);
    if (e->kind == ZL_DTLS_ID_PSK) zl_hmap_remove(&gw->sec_by_psk, &e->by_psk);
}

zl_err_t zl_sec_apply(zl_gw_t *gw, const char *ep, const char *value, bool live, char *err, size_t n) {
    zl_sec_entry_t *e = NULL;
    if (value && sec_parse(ep, value, &e, err, n)) return ZL_ERR_INVALID;
    if (e && e->kind == ZL_DTLS_ID_PSK) {
        zl_sec_entry_t *other = by_psk(gw, e->identity);
        if (other && strcmp(other->ep, ep)) {
            snprintf(err, n, "PSK identity is already used by endpoint '%s'", other->ep);
            entry_free(e);
            return ZL_ERR_INVALID;
        }
    }
    zl_sec_entry_t *old = by_ep(gw, ep);
    char *old_id = old ? old->identity : NULL;
    if (old) entry_unlink(gw, old);
    if (e) {
        zl_hmap_insert(&gw->sec_by_ep, &e->by_ep, str_hash(&gw->sec_by_ep, ep));
        if (e->kind == ZL_DTLS_ID_PSK) zl_hmap_insert(&gw->sec_by_psk, &e->by_psk, str_hash(&gw->sec_by_psk, e->identity));
    }
    if (live) {
        zl_err_t se = value ? zl_store_put_security(gw->store, ep, value) : zl_store_del_security(gw->store, ep);
        if (se) zl_counter_inc(gw->m.store_errors);
        drop_old(gw, ep, old_id);
        ZL_INFO("security", "%s '%s'%s%s", !e ? "credentials removed for" : old ? "credentials replaced for"
                : "credentials added for", ep, e ? ": " : "",
                e ? (e->kind == ZL_DTLS_ID_PSK ? "PSK" : "X.509 (CN = endpoint name)") : "");
    }
    zl_gauge_set(gw->m.credentials, (int64_t)gw->sec_by_ep.count);
    entry_free(old);
    return ZL_OK;
}

int zl_sec_psk(void *ctx, const char *identity, uint8_t *key, size_t max) {
    zl_gw_t *gw = ctx;
    zl_sec_entry_t *e = by_psk(gw, identity);
    if (!e || e->key_len > max) {
        zl_counter_inc(gw->m.sec_unknown);
        return -1;
    }
    memcpy(key, e->key, e->key_len);
    return (int)e->key_len;
}

const char *zl_sec_check(zl_gw_t *gw, const char *ep, const zl_gw_via_t *via) {
    zl_sec_entry_t *e = by_ep(gw, ep);
    if (!via || !via->secure)
        return e ? "credentials are on record for this endpoint: it must register over DTLS (coaps)" : NULL;
    const zl_dtls_peer_t *who = via->who;
    if (!e) return "no credentials on record for this endpoint";
    if (!who || who->kind != e->kind) return "the DTLS session was not authenticated the way this endpoint's credentials say";
    if (strcmp(who->identity, e->identity))
        return e->kind == ZL_DTLS_ID_PSK ? "the PSK identity of the session is not this endpoint's"
                                         : "the certificate's CN is not the endpoint name";
    return NULL;
}

const char *zl_sec_identity(const zl_gw_t *gw, const char *ep) {
    zl_sec_entry_t *e = by_ep(gw, ep);
    return e ? e->identity : NULL;
}

bool zl_sec_same(const zl_reg_t *reg, const zl_gw_via_t *via) {
    if (reg->secure != (via && via->secure)) return false;
    return !reg->secure || (via->who && reg->identity && !strcmp(reg->identity, via->who->identity));
}

bool zl_sec_peer_ok(zl_gw_t *gw, const zl_reg_t *reg) {
    if (!reg->secure) return true;
    const zl_dtls_peer_t *p = gw->dtls ? zl_dtls_peer(gw->dtls, &reg->peer) : NULL;
    return p && reg->identity && !strcmp(p->identity, reg->identity);
}

static void load_one(void *ctx, const char *ep, const char *value) {
    zl_gw_t *gw = ctx;
    char err[160];
    if (zl_sec_apply(gw, ep, value, false, err, sizeof err))
        ZL_ERROR("security", "stored credentials of '%s' unreadable: %s", ep, err);
}

/* A record of the security topic (key = endpoint name, value = JSON, NULL = removed). */
static void on_record(void *ctx, const zl_kmsg_t *m) {
    zl_gw_t *gw = ctx;
    char ep[RD_MAX_EP + 1], err[160];
    if (!m->key || !m->key_len || m->key_len > RD_MAX_EP) {
        ZL_WARN("security", "%s record at offset %lld without a usable key (the endpoint name): ignored",
                gw->conf->security_topic, (long long)m->offset);
        return;
    }
    memcpy(ep, m->key, m->key_len);
    ep[m->key_len] = 0;
    char *value = m->value ? strndup((const char *)m->value, m->value_len) : NULL;
    if ((m->value && !value) || zl_sec_apply(gw, ep, value, true, err, sizeof err)) {
        zl_counter_inc(gw->m.sec_invalid);
        ZL_WARN("security", "%s record at offset %lld for '%s' refused: %s", gw->conf->security_topic,
                (long long)m->offset, ep, value ? err : "out of memory");
    }
    free(value);
}

zl_err_t zl_sec_init(zl_gw_t *gw, char *errstr, size_t n) {
    if (zl_hmap_init(&gw->sec_by_ep, 64) || zl_hmap_init(&gw->sec_by_psk, 64)) {
        snprintf(errstr, n, "out of memory");
        return ZL_ERR_NOMEM;
    }
    zl_store_load_security(gw->store, load_one, gw);
    ZL_INFO("security", "%zu endpoint(s) with credentials in the store", gw->sec_by_ep.count);
    const char *t = gw->conf->security_topic;
    if (!t || !*t) return ZL_OK;
    char terr[256];
    if (zl_producer_ensure_log(gw->producer, t, 10000, terr, sizeof terr))
        ZL_WARN("security", "%s; continuing", terr);
    gw->sec_log = zl_logreader_new(gw->conf->kafka.props, t, on_record, gw, 10000, terr, sizeof terr);
    if (!gw->sec_log) {
        ZL_WARN("security", "not following %s (%s): credentials from the store only until a restart", t, terr);
        return ZL_OK;
    }
    /* start-up: what the topic holds before devices are served (bounded: the
     * store's copy stands in while Kafka is slow or away) */
    int64_t deadline = zl_now_ms() + 5000;
    while (!zl_logreader_at_end(gw->sec_log) && zl_now_ms() < deadline)
        if (!zl_logreader_serve(gw->sec_log, 1024)) usleep(10 * 1000);
    if (!zl_logreader_at_end(gw->sec_log))
        ZL_WARN("security", "%s not read to its end within 5 s: following it while serving", t);
    return ZL_OK;
}

void zl_sec_serve(zl_gw_t *gw) {
    if (gw->sec_log) zl_logreader_serve(gw->sec_log, 256);
}

static void entry_node_free(zl_hnode_t *n, void *ctx) {
    (void)ctx;
    entry_free(ZL_CONTAINER_OF(n, zl_sec_entry_t, by_ep));
}

void zl_sec_free(zl_gw_t *gw) {
    if (gw->sec_log) zl_logreader_destroy(gw->sec_log);
    gw->sec_log = NULL;
    zl_hmap_destroy(&gw->sec_by_ep, entry_node_free, NULL);
    zl_hmap_free(&gw->sec_by_psk);
}
