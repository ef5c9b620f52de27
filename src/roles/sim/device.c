/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos device`, one simulated LwM2M client: what it holds and how it
 * answers.  LwM2M Server (1/0), Device (3/0) and two Temperature sensors
 * (3303/0 moving every device.notify.ms (1 s) on a rising trend, 3303/1 at
 * twice that on a sine, like the seed's demo client), with Read (text/plain
 * for one resource, TLV otherwise), Write, Execute, Discover and Observe (a
 * notification on every change), and Read-/Write-/Observe-Composite
 * (device_composite.c).  Registration and the fleet that runs devices are
 * in fleet.c.
 *
 * Notifications are NON, or CON with device.notify.con (so a gateway under
 * backpressure can leave them unacknowledged and get them again, RFC 7252
 * §4.2).  CON: at most one per observer in flight (RFC 7641 §4.5.2); a change
 * meanwhile is not queued but marks the observer, and when the pending one
 * is acknowledged the then-current state goes out, so the newest state always
 * arrives and nothing older than it piles up.  A CON that times out removes
 * the observer (RFC 7641 §4.5).  Either type answered with RST removes it too
 * (reactive cancel, §3.6): a CON's RST ends its exchange, a NON's RST comes
 * from the endpoint's on_rst hook with only the MID, matched against the
 * last OBS_MIDS MIDs each observer sent. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "roles/sim/sim_int.h"
#include "lwm2m/content.h"
#include "lwm2m/path.h"
#include "common/array.h"
#include "common/clock.h"

/* ------------------------------------------------------------ data model */

static void add_str(zl_node_t *inst, uint16_t rid, const char *s) {
    zl_node_t *r = zl_node_add_child(inst, ZL_N_RESOURCE, rid);
    if (r) zl_value_set_bytes(&r->value, ZL_T_STRING, s, strlen(s));
}

static void add_int(zl_node_t *inst, uint16_t rid, zl_type_t t, int64_t v) {
    zl_node_t *r = zl_node_add_child(inst, ZL_N_RESOURCE, rid);
    if (r) {
        r->value.type = t;
        r->value.u.i = v;
    }
}

static void add_float(zl_node_t *inst, uint16_t rid, double v) {
    zl_node_t *r = zl_node_add_child(inst, ZL_N_RESOURCE, rid);
    if (r) {
        r->value.type = ZL_T_FLOAT;
        r->value.u.f = v;
    }
}

/* Builds object instance oid/iid; NULL if it does not exist. */
static zl_node_t *build_instance(device_t *d, uint16_t oid, uint16_t iid) {
    zl_node_t *inst = NULL;
    if (oid == 1 && iid == 0) { /* LwM2M Server: what the registration announced */
        inst = zl_node_new(ZL_N_INSTANCE, 0);
        if (!inst) return NULL;
        add_int(inst, 0, ZL_T_INTEGER, 1);                  /* Short Server ID */
        add_int(inst, 1, ZL_T_INTEGER, d->fleet->lifetime); /* Lifetime */
        zl_node_t *r = zl_node_add_child(inst, ZL_N_RESOURCE, 6); /* Notification Storing */
        if (r) {
            r->value.type = ZL_T_BOOLEAN;
            r->value.u.b = false;
        }
        add_str(inst, 7, "U");                              /* Binding */
    } else if (oid == 3 && iid == 0) {
        inst = zl_node_new(ZL_N_INSTANCE, 0);
        if (!inst) return NULL;
        add_str(inst, 0, "zeelos");
        add_str(inst, 1, "zeelos virtual device");
        add_str(inst, 2, d->name);
        add_str(inst, 3, "1.0.0");
        add_int(inst, 9, ZL_T_INTEGER, 80 + (zl_wall_ms() / 60000) % 20);
        add_int(inst, 10, ZL_T_INTEGER, 512);
        zl_node_t *ec = zl_node_add_child(inst, ZL_N_MULTI, 11);
        if (ec) {
            zl_node_t *ri = zl_node_add_child(ec, ZL_N_RES_INSTANCE, 0);
            if (ri) {
                ri->value.type = ZL_T_INTEGER;
                ri->value.u.i = 0;
            }
        }
        add_int(inst, 13, ZL_T_TIME, zl_wall_ms() / 1000);
        add_str(inst, 14, d->utc_offset);
        add_str(inst, 15, d->timezone);
        add_str(inst, 16, "U");
        add_str(inst, 17, "Demo");
        add_str(inst, 18, "1.0.1");
        add_str(inst, 19, "1.0.2");
        add_int(inst, 21, ZL_T_INTEGER, 1024);
    } else if (oid == 3303 && iid <= 1) {
        inst = zl_node_new(ZL_N_INSTANCE, iid);
        if (!inst) return NULL;
        double v[3];
        zl_dev_3303_values(d, iid, v);
        add_float(inst, 5700, v[0]);
        add_float(inst, 5601, v[1]);
        add_float(inst, 5602, v[2]);
        add_str(inst, 5701, "cel");
    }
    return inst;
}

void zl_dev_3303_values(device_t *d, uint16_t iid, double v[3]) {
    if (d->fleet->bench && iid == 0) { /* send time in epoch us, sequence number */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        v[0] = (double)((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
        v[1] = d->bench_seq;
    } else {
        v[0] = round(d->temp[iid] * 100) / 100;
        v[1] = d->tmin[iid];
    }
    v[2] = d->tmax[iid];
}

/* Returns a node for path (caller frees) or NULL with *code set. */
zl_node_t *zl_dev_read(device_t *d, const zl_path_t *p, uint8_t *code) {
    *code = ZL_COAP_NOT_FOUND;
    if (p->len == 0) return NULL;
    if (p->len == 1) {
        uint16_t ids[2];
        int n = 0;
        if (p->ids[0] == 1 || p->ids[0] == 3) ids[n++] = 0;
        if (p->ids[0] == 3303) ids[n++] = 0, ids[n++] = 1;
        if (!n) return NULL;
        zl_node_t *obj = zl_node_new(ZL_N_OBJECT, p->ids[0]);
        for (int i = 0; obj && i < n; i++) {
            zl_node_t *inst = build_instance(d, p->ids[0], ids[i]);
            zl_node_t *slot = inst ? zl_node_add_child(obj, ZL_N_INSTANCE, ids[i]) : NULL;
            if (slot) {
                *slot = *inst; /* move */
                free(inst);
            } else {
                zl_node_free(inst);
            }
        }
        return obj;
    }
    zl_node_t *inst = build_instance(d, p->ids[0], p->ids[1]);
    if (!inst || p->len == 2) return inst;
    zl_node_t *res = zl_node_child(inst, p->ids[2]);
    zl_node_t *out = NULL;
    if (res && p->len == 3) {
        out = zl_node_new(res->kind, res->id);
        if (out) {
            *out = *res;
            memset(res, 0, sizeof *res); /* moved */
        }
    } else if (res && p->len == 4 && res->kind == ZL_N_MULTI) {
        zl_node_t *ri = zl_node_child(res, p->ids[3]);
        if (ri && (out = zl_node_new(ZL_N_RES_INSTANCE, ri->id))) {
            *out = *ri;
            memset(ri, 0, sizeof *ri);
        }
    }
    zl_node_free(inst);
    return out;
}

static zl_err_t encode(const zl_node_t *node, const zl_path_t *p, int accept, zl_buf_t *out, int *cf) {
    if (accept < 0) accept = (p->len >= 3 && node->kind != ZL_N_MULTI) ? ZL_CF_TEXT : ZL_CF_TLV;
    *cf = accept;
    return zl_content_encode(accept, node, p, out);
}

/* ----------------------------------------------------------- observation */

bool zl_dev_paths_touch(const zl_path_t *paths, size_t n, uint16_t oid, uint16_t iid) {
    for (size_t i = 0; i < n; i++)
        if (paths[i].len >= 1 && paths[i].ids[0] == oid && (paths[i].len < 2 || paths[i].ids[1] == iid))
            return true;
    return false;
}

/* What o is sent now (encoded into body, format in *cf); false if nothing. */
static bool observed_payload(device_t *d, const observer_t *o, zl_buf_t *body, int *cf) {
    if (o->paths) {
        *cf = o->accept;
        return zl_dev_composite_encode(d, o->paths, o->n_paths, o->accept, body) == ZL_OK;
    }
    uint8_t code;
    zl_node_t *node = zl_dev_read(d, &o->path, &code);
    bool ok = node && encode(node, &o->path, o->accept, body, cf) == ZL_OK;
    zl_node_free(node);
    return ok;
}

static void drop_observer(device_t *d, int i) {
    free(d->obs[i].paths);
    free(d->obs[i].tpl);
    d->obs[i] = d->obs[--d->n_obs];
}

void zl_dev_drop_observers(device_t *d) {
    while (d->n_obs) drop_observer(d, 0);
    free(d->obs);
    d->obs = NULL;
    d->cap_obs = 0;
}

/* The server does not want observer i any more: RST (reset) or a CON
 * notification it never acknowledged. */
static void lose_observer(device_t *d, int i, bool reset) {
    fleet_t *f = d->fleet;
    char ps[64];
    zl_path_format(&d->obs[i].path, ps, sizeof ps);
    const char *why = reset ? "the server answered with RST" : "a CON notification was never acknowledged";
    if (f->total == 1) ZL_INFO("device", "%s: stopped notifying %s: %s", d->name, ps, why);
    else ZL_DEBUG("device", "%s: stopped notifying %s: %s", d->name, ps, why);
    if (reset) ST_ADD(f, obs_reset, 1);
    drop_observer(d, i);
}

static void remember_mid(observer_t *o, uint16_t mid) {
    o->mids[o->mid_next] = mid;
    o->mid_next = (uint8_t)((o->mid_next + 1) % OBS_MIDS);
    if (o->n_mids < OBS_MIDS) o->n_mids++;
}

static bool sent_recently(const observer_t *o, uint16_t mid) {
    for (int k = 0; k < o->n_mids; k++)
        if (o->mids[k] == mid) return true;
    return false;
}

static void on_note_done(void *ctx, zl_err_t err, uint16_t mid, int retransmissions);

/* Sends o's current state (NON, or CON retransmitted until acknowledged). */
static void send_notification(device_t *d, observer_t *o) {
    uint16_t fast_mid;
    if (o->tpl && zl_swarm_notify(d, o, &fast_mid)) { /* device.shared.socket: precomputed */
        ST_ADD(d->fleet, notifications, 1);
        remember_mid(o, fast_mid);
        return;
    }
    zl_buf_t body;
    zl_buf_init(&body, 0);
    int cf;
    if (observed_payload(d, o, &body, &cf)) {
        zl_coap_msg_t m;
        zl_coap_init(&m, ZL_COAP_NON, ZL_COAP_CONTENT, 0);
        m.tkl = o->tkl;
        memcpy(m.token, o->token, o->tkl);
        uint8_t s1[4], s2[4];
        zl_coap_add_uint(&m, ZL_OPT_OBSERVE, ++o->seq & 0xffffff, s1);
        zl_coap_add_uint(&m, ZL_OPT_CONTENT_FORMAT, (uint32_t)cf, s2);
        m.payload = body.data;
        m.payload_len = body.len;
        bool con = d->fleet->notify_con;
        if ((con ? zl_coap_send_con(d->ep, &o->peer, &m, 0, on_note_done, d)
                 : zl_coap_send(d->ep, &o->peer, &m)) == ZL_OK) {
            ST_ADD(d->fleet, notifications, 1);
            remember_mid(o, m.mid);
            o->con_busy = con;
            o->con_mid = m.mid;
        }
    }
    zl_buf_free(&body);
}

void zl_dev_notify(device_t *d, uint16_t oid, uint16_t iid) {
    for (int i = 0; i < d->n_obs; i++) {
        observer_t *o = &d->obs[i];
        if (!zl_dev_paths_touch(o->paths ? o->paths : &o->path, o->paths ? o->n_paths : 1, oid, iid)) continue;
        if (o->con_busy) o->con_again = true; /* sent once the pending one is acknowledged */
        else send_notification(d, o);
    }
}

/* A CON notification ended (see zl_coap_sent_cb). */
static void on_note_done(void *ctx, zl_err_t err, uint16_t mid, int retransmissions) {
    device_t *d = ctx;
    fleet_t *f = d->fleet;
    if (retransmissions) ST_ADD(f, notif_retx, retransmissions);
    if (err == ZL_ERR_TIMEOUT) ST_ADD(f, notif_timeouts, 1);
    if (err == ZL_ERR_CANCELLED) return; /* the endpoint is going away */
    int i = 0;
    while (i < d->n_obs && !(d->obs[i].con_busy && d->obs[i].con_mid == mid)) i++;
    if (i == d->n_obs) return; /* its observer was cancelled meanwhile */
    observer_t *o = &d->obs[i];
    o->con_busy = false;
    if (err) {
        lose_observer(d, i, err == ZL_ERR_RESET);
    } else if (o->con_again && !f->stopping) {
        o->con_again = false;
        send_notification(d, o);
    }
}

/* An RST the endpoint could not match: the answer to a NON notification of
 * an observation the server no longer has (RFC 7641 §3.6). */
void zl_dev_on_rst(void *ctx, const zl_coap_addr_t *peer, uint16_t mid) {
    device_t *d = ctx;
    for (int i = 0; i < d->n_obs; i++)
        if (sent_recently(&d->obs[i], mid) && zl_coap_addr_eq(&d->obs[i].peer, peer)) {
            lose_observer(d, i, true);
            return;
        }
}

/* device.shared.socket: o's NON notification serialised once, with the
 * doubles it carries set to sentinels whose 8 big-endian bytes are then looked
 * for: a format that writes them as fixed-width float64 (TLV, CBOR: a
 * sentinel is never exact as a float32) gets a template that zl_swarm_notify()
 * patches; any other (text, JSON) finds nothing and keeps the ordinary path.
 * The Observe value is written as 3 bytes, numbers from 0x10000 up. */
static void prepare_template(device_t *d, observer_t *o) {
    static const uint16_t rids[3] = {5700, 5601, 5602};
    static const double sentinel[3] = {-1.2345678901234567e-301, -2.3456789012345678e-302,
                                       -3.4567890123456789e-303};
    const zl_path_t *p = &o->path;
    if (o->paths || p->len < 2 || p->len > 3 || p->ids[0] != 3303 || p->ids[1] > 1) return;
    uint8_t code;
    zl_node_t *node = zl_dev_read(d, p, &code);
    if (!node) return;
    bool want[3] = {false, false, false};
    for (int k = 0; k < 3; k++) {
        zl_node_t *r = p->len == 3 ? (node->id == rids[k] ? node : NULL) : zl_node_child(node, rids[k]);
        if (r && r->value.type == ZL_T_FLOAT) r->value.u.f = sentinel[k], want[k] = true;
    }
    zl_buf_t body;
    zl_buf_init(&body, 0);
    int cf;
    uint8_t dg[ZL_COAP_MAX_DGRAM];
    size_t n = 0;
    if (encode(node, p, o->accept, &body, &cf) == ZL_OK) {
        zl_coap_msg_t m;
        zl_coap_init(&m, ZL_COAP_NON, ZL_COAP_CONTENT, 0);
        m.tkl = o->tkl;
        memcpy(m.token, o->token, o->tkl);
        static const uint8_t obs3[3] = {1, 0, 0};
        uint8_t s1[4];
        zl_coap_add_opt(&m, ZL_OPT_OBSERVE, obs3, 3);
        zl_coap_add_uint(&m, ZL_OPT_CONTENT_FORMAT, (uint32_t)cf, s1);
        m.payload = body.data;
        m.payload_len = body.len;
        n = zl_coap_serialize(&m, dg, sizeof dg);
    }
    zl_node_free(node);
    zl_buf_free(&body);
    if (n < 4u + o->tkl + 4 || dg[4 + o->tkl] != 0x63) return; /* Observe: delta 6, length 3 */
    uint16_t off[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        if (!want[k]) continue;
        uint64_t bits;
        memcpy(&bits, &sentinel[k], 8);
        uint8_t be[8];
        for (int j = 0; j < 8; j++) be[j] = (uint8_t)(bits >> (56 - 8 * j));
        for (size_t at = 4; at + 8 <= n && !off[k]; at++)
            if (!memcmp(dg + at, be, 8)) off[k] = (uint16_t)at;
        if (!off[k]) return; /* not a fixed-width double: the ordinary path */
    }
    if (!(o->tpl = malloc(n))) return;
    memcpy(o->tpl, dg, n);
    o->tpl_len = (uint16_t)n;
    memcpy(o->off_val, off, sizeof off);
    o->seq = 0xffff; /* the first notification is 0x10000: always 3 bytes */
}

_Static_assert(MAX_OBSERVERS <= 128 && (MAX_OBSERVERS & (MAX_OBSERVERS - 1)) == 0,
               "observer capacity doubles from 2 and must fit cap_obs (uint8_t)");

/* Room for one more observer (the array grows on demand, up to MAX_OBSERVERS). */
static bool observer_room(device_t *d) {
    if (d->n_obs >= MAX_OBSERVERS) return false;
    /* cap_obs is a uint8_t to keep device_t small; doubling from 2 stops at
     * MAX_OBSERVERS (a power of two), which fits. */
    size_t cap = d->cap_obs;
    if (ZL_ARRAY_RESERVE(&d->obs, &cap, (size_t)d->n_obs + 1, 2)) return false;
    d->cap_obs = (uint8_t)cap;
    return true;
}

bool zl_dev_observe(device_t *d, const zl_coap_addr_t *peer, const zl_coap_msg_t *req, int64_t obs,
                    const zl_path_t *p, int accept, zl_path_t *paths, size_t n_paths) {
    if (obs == 0 || obs == 1) {
        for (int i = 0; i < d->n_obs; i++) { /* same token: replaced or cancelled */
            observer_t *o = &d->obs[i];
            if (o->tkl == req->tkl && !memcmp(o->token, req->token, req->tkl)) drop_observer(d, i--);
        }
    }
    if (obs != 0 || !observer_room(d)) {
        free(paths);
        return false;
    }
    observer_t *o = &d->obs[d->n_obs++];
    *o = (observer_t){.peer = *peer, .tkl = req->tkl, .path = *p, .accept = accept,
                      .paths = paths, .n_paths = (uint16_t)n_paths};
    memcpy(o->token, req->token, req->tkl);
    if (d->fleet->swarm && !d->fleet->notify_con) prepare_template(d, o);
    return true;
}

void zl_dev_on_sensor(zl_timer_t *t, void *ctx) {
    device_t *d = ctx;
    int i = t == &d->t_sensor0 ? 0 : 1;
    zl_timer_arm(&d->fleet->wheel, t, zl_now_ms() + (int64_t)d->fleet->notify_ms * (i + 1));
    zl_dev_tick(d, i);
}

void zl_dev_tick(device_t *d, int i) {
    long k = ++d->tick[i];
    if (i == 0) d->bench_seq++;
    /* instance 0: slow upward trend with small noise; instance 1: sine wave */
    d->temp[i] = i == 0 ? 20.0 + 0.35 * (double)(k % 250) + 0.3 * sin((double)k * 1.7)
                        : 150.0 + 150.0 * sin((double)k * 2 * M_PI / 400.0);
    double shown = round(d->temp[i] * 100) / 100; /* what 5700 reports */
    if (shown < d->tmin[i]) d->tmin[i] = shown;   /* 5601/5602: min/max measured since reset */
    if (shown > d->tmax[i]) d->tmax[i] = shown;
    if (d->n_obs) zl_dev_notify(d, 3303, (uint16_t)i);
}

/* ---------------------------------------------------------- server side */

/* The string a writable resource is kept in: /3/0/14 (UTC offset), /3/0/15 (timezone). */
static char *writable(device_t *d, const zl_path_t *p, size_t *cap) {
    if (p->len != 3 || p->ids[0] != 3 || p->ids[1] != 0) return NULL;
    if (p->ids[2] == 14) return *cap = sizeof d->utc_offset, d->utc_offset;
    if (p->ids[2] == 15) return *cap = sizeof d->timezone, d->timezone;
    return NULL;
}

uint8_t zl_dev_write_check(device_t *d, const zl_path_t *p, const zl_value_t *v) {
    size_t cap;
    if (!writable(d, p, &cap)) {
        uint8_t code;
        zl_node_t *node = zl_dev_read(d, p, &code);
        bool exists = node != NULL;
        zl_node_free(node);
        return exists ? ZL_COAP_METHOD_NOT_ALLOWED : ZL_COAP_NOT_FOUND;
    }
    return v && (v->type != ZL_T_STRING || v->len >= cap) ? ZL_COAP_BAD_REQUEST : 0;
}

void zl_dev_write(device_t *d, const zl_path_t *p, const zl_value_t *v) {
    size_t cap;
    char *dst = writable(d, p, &cap);
    if (!dst || v->len >= cap) return;
    if (v->len) memcpy(dst, v->bytes, v->len);
    dst[v->len] = 0;
    ZL_INFO("device", "%s: /3/0/%u written: '%s'", d->name, p->ids[2], dst);
}

/* Write (PUT) of one resource. */
static void write_one(device_t *d, const zl_path_t *p, const zl_coap_msg_t *req, zl_coap_msg_t *resp) {
    zl_node_t *node = NULL;
    char err[96];
    uint8_t code = zl_dev_write_check(d, p, NULL);
    int64_t cf = zl_coap_opt_uint(req, ZL_OPT_CONTENT_FORMAT, ZL_CF_TEXT);
    if (!code && (zl_content_decode((int)cf, req->payload ? req->payload : (const uint8_t *)"",
                                    req->payload_len, p, NULL, &node, err, sizeof err) ||
                  !node || node->kind != ZL_N_RESOURCE))
        code = ZL_COAP_BAD_REQUEST;
    if (!code) code = zl_dev_write_check(d, p, &node->value);
    if (!code) {
        zl_dev_write(d, p, &node->value);
        zl_dev_notify(d, p->ids[0], p->ids[1]);
    }
    zl_node_free(node);
    resp->code = code ? code : ZL_COAP_CHANGED;
}

void zl_dev_handle(void *ctx, zl_coap_ep_t *ep, const zl_coap_addr_t *peer, const zl_coap_msg_t *req,
                   zl_coap_msg_t *resp) {
    device_t *d = ctx;
    static _Thread_local char pbuf[128];
    static _Thread_local zl_buf_t body;
    static _Thread_local uint8_t s1[4], s2[4];
    zl_buf_reset(&body);
    zl_path_t p;
    char err[96];
    if (zl_coap_path_string(req, ZL_OPT_URI_PATH, pbuf, sizeof pbuf) ||
        zl_path_parse(pbuf[0] ? pbuf : "/", &p, err, sizeof err)) {
        resp->code = ZL_COAP_NOT_FOUND;
        return;
    }
    int64_t accept = zl_coap_opt_uint(req, ZL_OPT_ACCEPT, -1);
    int64_t obs = zl_coap_opt_uint(req, ZL_OPT_OBSERVE, -1);
    uint8_t code;
    if (p.len == 0 && req->code == ZL_COAP_FETCH) { /* Read- or Observe-Composite */
        zl_dev_fetch(d, peer, req, resp, &body);
        return;
    }
    if (p.len == 0 && req->code == ZL_COAP_IPATCH) { /* Write-Composite */
        zl_dev_ipatch(d, req, resp, &body);
        return;
    }
    if (req->code == ZL_COAP_GET && accept == ZL_CF_LINK) { /* Discover */
        zl_node_t *node = zl_dev_read(d, &p, &code);
        if (!node) {
            resp->code = code;
            return;
        }
        char base[64];
        zl_path_format(&p, base, sizeof base);
        zl_buf_printf(&body, "<%s>", base);
        if (node->kind == ZL_N_INSTANCE)
            for (size_t i = 0; i < node->n_children; i++)
                zl_buf_printf(&body, ",<%s/%u>", base, node->children[i].id);
        zl_node_free(node);
        resp->code = ZL_COAP_CONTENT;
        zl_coap_add_uint(resp, ZL_OPT_CONTENT_FORMAT, ZL_CF_LINK, s1);
        resp->payload = body.data;
        resp->payload_len = body.len;
        return;
    }
    if (req->code == ZL_COAP_GET) {
        zl_node_t *node = zl_dev_read(d, &p, &code);
        if (!node) {
            resp->code = code;
            return;
        }
        int cf;
        if (encode(node, &p, (int)accept, &body, &cf) != ZL_OK) {
            zl_node_free(node);
            resp->code = ZL_COAP_NOT_ACCEPTABLE;
            return;
        }
        zl_node_free(node);
        resp->code = ZL_COAP_CONTENT;
        zl_coap_add_uint(resp, ZL_OPT_CONTENT_FORMAT, (uint32_t)cf, s1);
        resp->payload = body.data;
        resp->payload_len = body.len;
        if (zl_dev_observe(d, peer, req, obs, &p, (int)accept, NULL, 0))
            zl_coap_add_uint(resp, ZL_OPT_OBSERVE, 0, s2);
        return;
    }
    if (req->code == ZL_COAP_PUT) {
        write_one(d, &p, req, resp);
        return;
    }
    if (req->code == ZL_COAP_POST && p.len == 3 &&
        ((p.ids[0] == 3 && p.ids[1] == 0 && (p.ids[2] == 4 || p.ids[2] == 5 || p.ids[2] == 12)) ||
         (p.ids[0] == 3303 && p.ids[1] <= 1 && p.ids[2] == 5605))) {
        if (p.ids[0] == 3303) {
            d->tmin[p.ids[1]] = d->tmax[p.ids[1]] = d->temp[p.ids[1]];
            zl_dev_notify(d, 3303, p.ids[1]); /* min and max changed */
        }
        ZL_INFO("device", "%s: executed %s (args '%.*s')", d->name, pbuf, (int)req->payload_len,
                req->payload ? (const char *)req->payload : "");
        resp->code = ZL_COAP_CHANGED;
        return;
    }
    uint8_t c;
    zl_node_t *exists = zl_dev_read(d, &p, &c);
    resp->code = exists ? ZL_COAP_METHOD_NOT_ALLOWED : ZL_COAP_NOT_FOUND;
    zl_node_free(exists);
}
