/* `zeelos device`: virtual LwM2M device(s) for demos and tests.
 *
 * Each device has its own CoAP endpoint (own UDP port), registers with the
 * gateway, sends an update at 90 % of its lifetime (like Leshan clients) and
 * serves: Device (3/0) and two Temperature sensors (3303/0 moving every 1 s on
 * a rising trend, 3303/1 every 2 s on a sine, like the seed's demo client),
 * with Read (text/plain for one resource, TLV otherwise), Write, Execute,
 * Discover and Observe (NON notifications on every change).  SIGINT/SIGTERM
 * de-register cleanly.  All devices share one epoll loop and one timer wheel. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/common.h"
#include "coap/endpoint.h"
#include "lwm2m/content.h"
#include "lwm2m/path.h"
#include "util/clock.h"
#include "util/log.h"

#define MAX_OBSERVERS 16

typedef struct {
    zl_coap_addr_t peer;
    uint8_t token[8], tkl;
    zl_path_t path;
    int accept;
    uint32_t seq;
    bool used;
} observer_t;

typedef struct device device_t;

typedef struct {
    volatile int stop;
    zl_wheel_t wheel;
    zl_coap_addr_t server;
    int lifetime;
    device_t *devs;
    int n;
    int registered;
} fleet_t;

struct device {
    fleet_t *fleet;
    zl_coap_ep_t *ep;
    char name[80];
    char location[64]; /* "/rd/<id>", empty until registered */
    double temp[2], tmin[2], tmax[2];
    long tick[2];
    char utc_offset[16], timezone[32];
    observer_t obs[MAX_OBSERVERS];
    zl_timer_t t_update, t_sensor0, t_sensor1;
    bool deregistering;
};

static fleet_t *running_fleet;

static void on_signal(int sig) {
    (void)sig;
    if (running_fleet) running_fleet->stop = 1;
}

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
    if (oid == 3 && iid == 0) {
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
        add_float(inst, 5700, round(d->temp[iid] * 100) / 100);
        add_float(inst, 5601, d->tmin[iid]);
        add_float(inst, 5602, d->tmax[iid]);
        add_str(inst, 5701, "cel");
    }
    return inst;
}

/* Returns a node for path (caller frees) or NULL with *code set. */
static zl_node_t *read_path(device_t *d, const zl_path_t *p, uint8_t *code) {
    *code = ZL_COAP_NOT_FOUND;
    if (p->len == 0) return NULL;
    if (p->len == 1) {
        uint16_t ids[2];
        int n = 0;
        if (p->ids[0] == 3) ids[n++] = 0;
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

static void notify(device_t *d, uint16_t oid, uint16_t iid) {
    for (int i = 0; i < MAX_OBSERVERS; i++) {
        observer_t *o = &d->obs[i];
        if (!o->used || o->path.ids[0] != oid || (o->path.len >= 2 && o->path.ids[1] != iid)) continue;
        uint8_t code;
        zl_node_t *node = read_path(d, &o->path, &code);
        if (!node) continue;
        zl_buf_t body;
        zl_buf_init(&body, 0);
        int cf;
        if (encode(node, &o->path, o->accept, &body, &cf) == ZL_OK) {
            zl_coap_msg_t m;
            zl_coap_init(&m, ZL_COAP_NON, ZL_COAP_CONTENT, 0);
            m.tkl = o->tkl;
            memcpy(m.token, o->token, o->tkl);
            uint8_t s1[4], s2[4];
            zl_coap_add_uint(&m, ZL_OPT_OBSERVE, ++o->seq & 0xffffff, s1);
            zl_coap_add_uint(&m, ZL_OPT_CONTENT_FORMAT, (uint32_t)cf, s2);
            m.payload = body.data;
            m.payload_len = body.len;
            zl_coap_send(d->ep, &o->peer, &m);
        }
        zl_buf_free(&body);
        zl_node_free(node);
    }
}

static void on_sensor(zl_timer_t *t, void *ctx) {
    device_t *d = ctx;
    int i = t == &d->t_sensor0 ? 0 : 1;
    long k = ++d->tick[i];
    /* instance 0: slow upward trend with small noise; instance 1: sine wave */
    d->temp[i] = i == 0 ? 20.0 + 0.35 * (double)(k % 250) + 0.3 * sin((double)k * 1.7)
                        : 150.0 + 150.0 * sin((double)k * 2 * M_PI / 400.0);
    zl_timer_arm(&d->fleet->wheel, t, zl_now_ms() + (i == 0 ? 1000 : 2000));
    notify(d, 3303, (uint16_t)i);
}

/* ---------------------------------------------------------- server side */

static void handle(void *ctx, zl_coap_ep_t *ep, const zl_coap_addr_t *peer, const zl_coap_msg_t *req,
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
    if (req->code == ZL_COAP_GET && accept == ZL_CF_LINK) { /* Discover */
        zl_node_t *node = read_path(d, &p, &code);
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
        zl_node_t *node = read_path(d, &p, &code);
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
        if (obs == 0 || obs == 1) {
            int free_slot = -1;
            for (int i = 0; i < MAX_OBSERVERS; i++) {
                observer_t *o = &d->obs[i];
                if (o->used && o->tkl == req->tkl && !memcmp(o->token, req->token, req->tkl)) o->used = false;
                if (!d->obs[i].used && free_slot < 0) free_slot = i;
            }
            if (obs == 0 && free_slot >= 0) {
                observer_t *o = &d->obs[free_slot];
                *o = (observer_t){.peer = *peer, .tkl = req->tkl, .path = p, .accept = (int)accept, .used = true};
                memcpy(o->token, req->token, req->tkl);
                zl_coap_add_uint(resp, ZL_OPT_OBSERVE, 0, s2);
            }
        }
        return;
    }
    if (req->code == ZL_COAP_PUT && p.len == 3 && p.ids[0] == 3 && p.ids[1] == 0 &&
        (p.ids[2] == 14 || p.ids[2] == 15)) {
        char *dst = p.ids[2] == 14 ? d->utc_offset : d->timezone;
        size_t cap = p.ids[2] == 14 ? sizeof d->utc_offset : sizeof d->timezone;
        zl_node_t *node = NULL;
        int64_t cf = zl_coap_opt_uint(req, ZL_OPT_CONTENT_FORMAT, ZL_CF_TEXT);
        if (zl_content_decode((int)cf, req->payload ? req->payload : (const uint8_t *)"", req->payload_len,
                              &p, &node, err, sizeof err) || !node || node->value.len >= cap) {
            zl_node_free(node);
            resp->code = ZL_COAP_BAD_REQUEST;
            return;
        }
        memcpy(dst, node->value.bytes, node->value.len);
        dst[node->value.len] = 0;
        zl_node_free(node);
        resp->code = ZL_COAP_CHANGED;
        ZL_INFO("device", "%s: /3/0/%u written: '%s'", d->name, p.ids[2], dst);
        return;
    }
    if (req->code == ZL_COAP_POST && p.len == 3 &&
        ((p.ids[0] == 3 && p.ids[1] == 0 && (p.ids[2] == 4 || p.ids[2] == 5 || p.ids[2] == 12)) ||
         (p.ids[0] == 3303 && p.ids[1] <= 1 && p.ids[2] == 5605))) {
        if (p.ids[0] == 3303) d->tmin[p.ids[1]] = d->tmax[p.ids[1]] = d->temp[p.ids[1]];
        ZL_INFO("device", "%s: executed %s (args '%.*s')", d->name, pbuf, (int)req->payload_len,
                req->payload ? (const char *)req->payload : "");
        resp->code = ZL_COAP_CHANGED;
        return;
    }
    uint8_t c;
    zl_node_t *exists = read_path(d, &p, &c);
    resp->code = exists ? ZL_COAP_METHOD_NOT_ALLOWED : ZL_COAP_NOT_FOUND;
    zl_node_free(exists);
}

/* ---------------------------------------------------------- client side */

static void send_update(device_t *d);

static void on_update_timer(zl_timer_t *t, void *ctx) {
    (void)t;
    send_update(ctx);
}

static void arm_update(device_t *d) {
    zl_timer_arm(&d->fleet->wheel, &d->t_update, zl_now_ms() + (int64_t)d->fleet->lifetime * 900);
}

static void on_registered(void *ctx, zl_err_t err, const zl_coap_msg_t *resp) {
    device_t *d = ctx;
    char cs[6];
    if (err || resp->code != ZL_COAP_CREATED) {
        ZL_WARN("device", "%s: registration failed: %s; retrying in 5 s", d->name,
                err ? zl_err2str(err) : zl_coap_code_str(resp->code, cs));
        d->location[0] = 0;
        zl_timer_arm(&d->fleet->wheel, &d->t_update, zl_now_ms() + 5000);
        return;
    }
    if (zl_coap_path_string(resp, ZL_OPT_LOCATION_PATH, d->location, sizeof d->location)) d->location[0] = 0;
    d->fleet->registered++;
    ZL_INFO("device", "%s registered at %s", d->name, d->location);
    arm_update(d);
}

static void send_register(device_t *d) {
    fleet_t *f = d->fleet;
    zl_coap_msg_t m;
    zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_POST, 0);
    char q_ep[100], q_lt[32];
    snprintf(q_ep, sizeof q_ep, "ep=%s", d->name);
    snprintf(q_lt, sizeof q_lt, "lt=%d", f->lifetime);
    static const char links[] = "</1/0>,</3/0>,</3303/0>,</3303/1>";
    uint8_t s1[4];
    zl_coap_add_path(&m, ZL_OPT_URI_PATH, "rd");
    zl_coap_add_uint(&m, ZL_OPT_CONTENT_FORMAT, ZL_CF_LINK, s1);
    zl_coap_add_opt(&m, ZL_OPT_URI_QUERY, q_ep, strlen(q_ep));
    zl_coap_add_opt(&m, ZL_OPT_URI_QUERY, q_lt, strlen(q_lt));
    zl_coap_add_opt(&m, ZL_OPT_URI_QUERY, "lwm2m=1.0", 9);
    zl_coap_add_opt(&m, ZL_OPT_URI_QUERY, "b=U", 3);
    m.payload = (const uint8_t *)links;
    m.payload_len = sizeof links - 1;
    zl_coap_req_opts_t o = {.confirmable = true, .timeout_ms = 30000};
    if (zl_coap_request(d->ep, &f->server, &m, &o, on_registered, d, NULL))
        zl_timer_arm(&f->wheel, &d->t_update, zl_now_ms() + 5000);
}

static void on_updated(void *ctx, zl_err_t err, const zl_coap_msg_t *resp) {
    device_t *d = ctx;
    if (!err && resp->code == ZL_COAP_CHANGED) {
        arm_update(d);
        return;
    }
    char cs[6];
    ZL_WARN("device", "%s: update failed (%s): registering again", d->name,
            err ? zl_err2str(err) : zl_coap_code_str(resp->code, cs));
    d->location[0] = 0;
    d->fleet->registered--;
    send_register(d);
}

static void send_update(device_t *d) {
    if (!d->location[0]) {
        send_register(d);
        return;
    }
    zl_coap_msg_t m;
    zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_POST, 0);
    zl_coap_add_path(&m, ZL_OPT_URI_PATH, d->location);
    zl_coap_req_opts_t o = {.confirmable = true, .timeout_ms = 30000};
    if (zl_coap_request(d->ep, &d->fleet->server, &m, &o, on_updated, d, NULL)) arm_update(d);
}

static void on_deregistered(void *ctx, zl_err_t err, const zl_coap_msg_t *resp) {
    device_t *d = ctx;
    d->fleet->registered--;
    d->location[0] = 0;
    ZL_INFO("device", "%s de-registered (%s)", d->name, err ? zl_err2str(err) : "ok");
}

static void send_deregister(device_t *d) {
    if (!d->location[0]) return;
    zl_coap_msg_t m;
    zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_DELETE, 0);
    zl_coap_add_path(&m, ZL_OPT_URI_PATH, d->location);
    zl_coap_req_opts_t o = {.confirmable = true, .timeout_ms = 3000};
    zl_coap_request(d->ep, &d->fleet->server, &m, &o, on_deregistered, d, NULL);
}

/* ------------------------------------------------------------------ main */

static int parse_server(const char *uri, zl_coap_addr_t *out) {
    const char *p = uri;
    if (!strncmp(p, "coap://", 7)) p += 7;
    char host[128];
    int port = 5683;
    const char *colon = strrchr(p, ':');
    if (p[0] == '[') { /* [v6]:port */
        const char *rb = strchr(p, ']');
        if (!rb) return -1;
        snprintf(host, sizeof host, "%.*s", (int)(rb - p - 1), p + 1);
        if (rb[1] == ':') port = atoi(rb + 2);
    } else if (colon) {
        snprintf(host, sizeof host, "%.*s", (int)(colon - p), p);
        port = atoi(colon + 1);
    } else {
        snprintf(host, sizeof host, "%s", p);
    }
    return zl_coap_addr_parse(host, port, out) == ZL_OK ? 0 : -1;
}

int zl_cmd_device(int argc, char **argv, char **envp) {
    int status;
    zl_conf_t *conf = zl_cmd_setup("device", argc, argv, envp, NULL, 0, NULL, &status);
    if (!conf) return status;
    fleet_t f = {0};
    f.lifetime = (int)zl_conf_int(conf, "device.lifetime");
    f.n = (int)zl_conf_int(conf, "device.count");
    zl_wheel_init(&f.wheel, zl_now_ms());
    if (parse_server(zl_conf_str(conf, "device.server"), &f.server)) {
        fprintf(stderr, "zeelos device: invalid --server '%s' (expected coap://host:port)\n",
                zl_conf_str(conf, "device.server"));
        zl_conf_destroy(conf);
        return 2;
    }
    f.devs = calloc((size_t)f.n, sizeof *f.devs);
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    const char *ep_name = zl_conf_str(conf, "ep");
    int base_port = (int)zl_conf_int(conf, "device.port");
    int rc = 0;
    for (int i = 0; i < f.n; i++) {
        device_t *d = &f.devs[i];
        d->fleet = &f;
        char err[256];
        zl_coap_ep_cfg_t cc = {.host = f.server.sa.ss_family == AF_INET6 ? "::" : "0.0.0.0",
                               .port = base_port ? base_port + i : 0,
                               .ack_timeout_ms = (int)zl_conf_int(conf, "coap.ack.timeout.ms"),
                               .max_retransmit = (int)zl_conf_int(conf, "coap.max.retransmit"),
                               .on_request = handle, .ctx = d};
        d->ep = zl_coap_ep_new(&cc, &f.wheel, err, sizeof err);
        if (!d->ep) {
            fprintf(stderr, "zeelos device: %s\n", err);
            rc = 1;
            f.n = i;
            break;
        }
        if (*ep_name && f.n == 1) snprintf(d->name, sizeof d->name, "%s", ep_name);
        else if (*ep_name) snprintf(d->name, sizeof d->name, "%s-%d", ep_name, i);
        else {
            uint8_t r[16];
            zl_coap_random(d->ep, r, sizeof r);
            for (int k = 0; k < 16; k++) snprintf(d->name + 2 * k, 3, "%02x", r[k]);
        }
        snprintf(d->utc_offset, sizeof d->utc_offset, "+00:00");
        snprintf(d->timezone, sizeof d->timezone, "UTC");
        d->temp[0] = 20.0;
        d->temp[1] = 150.0;
        d->tmin[0] = d->tmin[1] = d->tmax[0] = d->tmax[1] = 20.0;
        zl_timer_init(&d->t_update, on_update_timer, d);
        zl_timer_init(&d->t_sensor0, on_sensor, d);
        zl_timer_init(&d->t_sensor1, on_sensor, d);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(epfd, EPOLL_CTL_ADD, zl_coap_ep_fd(d->ep), &ev);
        send_register(d);
        zl_timer_arm(&f.wheel, &d->t_sensor0, zl_now_ms() + 2000);
        zl_timer_arm(&f.wheel, &d->t_sensor1, zl_now_ms() + 2000);
        zl_coap_ep_flush(d->ep);
    }
    running_fleet = &f;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int64_t stop_deadline = 0;
    while (rc == 0) {
        if (f.stop && !stop_deadline) {
            for (int i = 0; i < f.n; i++) {
                zl_timer_disarm(&f.wheel, &f.devs[i].t_update);
                zl_timer_disarm(&f.wheel, &f.devs[i].t_sensor0);
                zl_timer_disarm(&f.wheel, &f.devs[i].t_sensor1);
                send_deregister(&f.devs[i]);
                zl_coap_ep_flush(f.devs[i].ep);
            }
            stop_deadline = zl_now_ms() + 3500;
        }
        if (stop_deadline && (f.registered <= 0 || zl_now_ms() > stop_deadline)) break;
        struct epoll_event evs[64];
        int n = epoll_wait(epfd, evs, 64, zl_wheel_timeout(&f.wheel, zl_now_ms(), 200));
        for (int i = 0; i < n; i++) zl_coap_ep_read(f.devs[evs[i].data.u32].ep, 4);
        zl_wheel_run(&f.wheel, zl_now_ms());
        for (int i = 0; i < f.n; i++) zl_coap_ep_flush(f.devs[i].ep);
    }
    running_fleet = NULL;
    for (int i = 0; i < f.n; i++) {
        zl_timer_disarm(&f.wheel, &f.devs[i].t_update);
        zl_timer_disarm(&f.wheel, &f.devs[i].t_sensor0);
        zl_timer_disarm(&f.wheel, &f.devs[i].t_sensor1);
        zl_coap_ep_destroy(f.devs[i].ep);
    }
    close(epfd);
    free(f.devs);
    zl_conf_destroy(conf);
    return rc;
}
