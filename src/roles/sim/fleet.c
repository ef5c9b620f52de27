/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos device`: the fleet that runs simulated devices (device.c) for
 * demos, tests and load.  Each device has its own CoAP endpoint (own UDP
 * port), registers with the gateway, sends an update at 90 % of its lifetime
 * (like Leshan clients) and de-registers cleanly on SIGINT/SIGTERM.
 *
 * Fleets (--count N, up to 100,000): the devices are split over
 * device.workers forked processes (a process may hold only so many sockets);
 * each worker runs one event loop (common/loop.h) and one timer wheel for its
 * slice, and all its endpoints share one zl_coap_iobuf_t, so a device costs
 * its CoAP state and a socket (~2 KB), not 200 KB of batch buffers.
 * Registrations go out at device.ramp per second with at most REG_WINDOW
 * outstanding per worker; de-registrations at shutdown use the same window.
 * The parent forwards SIGINT/SIGTERM and prints the fleet's status line from
 * counters the workers keep in shared memory. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "roles/sim/sim.h"
#include "roles/sim/sim_int.h"
#include "coap/endpoint.h"
#include "coap/udp.h"
#include "lwm2m/content.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/loop.h"

static fleet_t *running_fleet;

static void on_signal(int sig) {
    (void)sig;
    if (running_fleet) {
        running_fleet->stop = 1;
        zl_loop_wake(running_fleet->loop);
    }
}

/* ---------------------------------------------------------- client side */

static void send_update(device_t *d);
static void send_register(device_t *d);
static void send_deregister(device_t *d);

static void on_update_timer(zl_timer_t *t, void *ctx) {
    (void)t;
    send_update(ctx);
}

/* Update at 90 % of the lifetime, up to 5 % earlier at random so a fleet that
 * registered in a burst does not update in one. */
static void arm_update(device_t *d) {
    fleet_t *f = d->fleet;
    int64_t at = (int64_t)f->lifetime * 900;
    if (f->total > 1) {
        uint32_t r;
        zl_coap_random(d->ep, &r, sizeof r);
        at -= (int64_t)(r % ((uint32_t)f->lifetime * 50u + 1u));
    }
    zl_timer_arm(&f->wheel, &d->t_update, zl_now_ms() + at);
}

static void on_registered(void *ctx, zl_err_t err, const zl_coap_msg_t *resp) {
    device_t *d = ctx;
    fleet_t *f = d->fleet;
    char cs[6];
    d->registering = false;
    f->reg_inflight--;
    if (err || resp->code != ZL_COAP_CREATED) {
        if (err == ZL_ERR_TIMEOUT) ST_ADD(f, timeouts, 1);
        d->location[0] = 0;
        if (err == ZL_ERR_CANCELLED) return; /* shutting down */
        DEV_FAIL(d, "%s: registration failed: %s; retrying in 5 s", d->name,
                 err ? zl_err2str(err) : zl_coap_code_str(resp->code, cs));
        if (!f->stopping) zl_timer_arm(&f->wheel, &d->t_update, zl_now_ms() + 5000);
        return;
    }
    if (zl_coap_path_string(resp, ZL_OPT_LOCATION_PATH, d->location, sizeof d->location)) d->location[0] = 0;
    ST_ADD(f, registered, 1);
    ST_ADD(f, registrations, 1);
    if (f->total == 1) ZL_INFO("device", "%s registered at %s", d->name, d->location);
    else ZL_DEBUG("device", "%s registered at %s", d->name, d->location);
    if (f->stopping) send_deregister(d); /* answered after the stop: leave right away */
    else arm_update(d);
}

static void send_register(device_t *d) {
    fleet_t *f = d->fleet;
    if (d->registering) return;
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
    zl_coap_add_opt(&m, ZL_OPT_URI_QUERY, "lwm2m=1.1", 9); /* composite operations */
    zl_coap_add_opt(&m, ZL_OPT_URI_QUERY, "b=U", 3);
    m.payload = (const uint8_t *)links;
    m.payload_len = sizeof links - 1;
    zl_coap_req_opts_t o = {.confirmable = true, .timeout_ms = 30000};
    if (zl_coap_request(d->ep, &f->server, &m, &o, on_registered, d, NULL)) {
        DEV_FAIL(d, "%s: cannot send the registration; retrying in 5 s", d->name);
        zl_timer_arm(&f->wheel, &d->t_update, zl_now_ms() + 5000);
        return;
    }
    d->registering = true;
    f->reg_inflight++;
}

static void on_updated(void *ctx, zl_err_t err, const zl_coap_msg_t *resp) {
    device_t *d = ctx;
    fleet_t *f = d->fleet;
    if (err == ZL_ERR_CANCELLED || d->deregistering) return;
    if (!err && resp->code == ZL_COAP_CHANGED) {
        ST_ADD(f, updates, 1);
        if (f->stopping) send_deregister(d);
        else arm_update(d);
        return;
    }
    if (err == ZL_ERR_TIMEOUT) ST_ADD(f, timeouts, 1);
    char cs[6];
    DEV_FAIL(d, "%s: update failed (%s): registering again", d->name,
             err ? zl_err2str(err) : zl_coap_code_str(resp->code, cs));
    d->location[0] = 0;
    ST_ADD(f, registered, -1);
    if (!f->stopping) send_register(d);
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
    if (zl_coap_request(d->ep, &d->fleet->server, &m, &o, on_updated, d, NULL)) {
        DEV_FAIL(d, "%s: cannot send the update", d->name);
        arm_update(d);
    }
}

static void on_deregistered(void *ctx, zl_err_t err, const zl_coap_msg_t *resp) {
    device_t *d = ctx;
    fleet_t *f = d->fleet;
    char cs[6];
    f->dereg_inflight--;
    ST_ADD(f, registered, -1);
    d->location[0] = 0;
    if (err || (resp->code >> 5) != 2) {
        if (err == ZL_ERR_TIMEOUT) ST_ADD(f, timeouts, 1);
        if (err != ZL_ERR_CANCELLED)
            DEV_FAIL(d, "%s: de-registration failed: %s", d->name,
                     err ? zl_err2str(err) : zl_coap_code_str(resp->code, cs));
        return;
    }
    ST_ADD(f, deregistrations, 1);
    if (f->total == 1) ZL_INFO("device", "%s de-registered (ok)", d->name);
}

static void send_deregister(device_t *d) {
    fleet_t *f = d->fleet;
    if (!d->location[0] || d->deregistering) return;
    zl_coap_msg_t m;
    zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_DELETE, 0);
    zl_coap_add_path(&m, ZL_OPT_URI_PATH, d->location);
    zl_coap_req_opts_t o = {.confirmable = true, .timeout_ms = f->total > 1000 ? 10000 : 3000};
    if (zl_coap_request(d->ep, &f->server, &m, &o, on_deregistered, d, NULL) == ZL_OK) {
        f->dereg_inflight++;
        d->deregistering = true;
    }
}

/* Starts the registrations the ramp allows by now (and the window admits);
 * at shutdown, the de-registrations the window admits. Runs every loop turn. */
static void fleet_pump(fleet_t *f) {
    if (f->stopping) {
        while (f->next_dereg < f->n && f->dereg_inflight < REG_WINDOW) {
            device_t *d = &f->devs[f->next_dereg++];
            if (!d->registering) send_deregister(d); /* a pending one leaves when answered */
        }
        return;
    }
    int allowed = f->n;
    if (f->ramp > 0) {
        double a = f->ramp * (double)(zl_now_ms() - f->start_ms) / 1000.0 + 1.0;
        if (a < allowed) allowed = (int)a;
    }
    while (f->next_reg < allowed && f->reg_inflight < REG_WINDOW) send_register(&f->devs[f->next_reg++]);
}

/* One line for the whole fleet, from every worker's counters. */
static void print_status(fleet_stats_t *st, int n_st, int total, int64_t t0, bool final) {
    long reg = 0, regs = 0, upd = 0, notif = 0, dereg = 0, errs = 0, tmo = 0, retx = 0, ntmo = 0, rst = 0;
    for (int i = 0; i < n_st; i++) {
        reg += ST_GET(&st[i], registered);
        regs += ST_GET(&st[i], registrations);
        upd += ST_GET(&st[i], updates);
        notif += ST_GET(&st[i], notifications);
        dereg += ST_GET(&st[i], deregistrations);
        errs += ST_GET(&st[i], errors);
        tmo += ST_GET(&st[i], timeouts);
        retx += ST_GET(&st[i], notif_retx);
        ntmo += ST_GET(&st[i], notif_timeouts);
        rst += ST_GET(&st[i], obs_reset);
    }
    fprintf(stderr,
            "zeelos device: %s%llds registered %ld/%d (registrations %ld, updates %ld, notifications "
            "sent %ld, de-registrations %ld, errors %ld of which timeouts %ld); notification "
            "retransmissions %ld, CON notifications timed out %ld, observations reset by the server %ld\n",
            final ? "final " : "", (long long)((zl_now_ms() - t0) / 1000), reg, total, regs, upd, notif,
            dereg, errs, tmo, retx, ntmo, rst);
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

typedef struct {
    const zl_sim_conf_t *conf;
    zl_coap_addr_t server;
    const char *ep_name;
    char **binds; /* device i binds binds[i % n_binds] */
    int n_binds;
    int base_port;
    int total, workers;
    fleet_stats_t *st; /* workers entries */
    bool print; /* this process prints the status line (single worker) */
} fleet_cfg_t;

/* ---- the worker's loop: one fd watch per device, timers, two turn hooks ---- */

static void on_dev_fd(void *ctx, uint32_t events) {
    device_t *d = ctx;
    (void)events;
    zl_coap_ep_read(d->ep, 4);
}

static void on_status(zl_timer_t *t, void *ctx) {
    fleet_t *f = ctx;
    print_status(f->st, 1, f->total, f->start_ms, false);
    zl_timer_arm(&f->wheel, t, zl_now_ms() + STATUS_MS);
}

static void on_stop_deadline(zl_timer_t *t, void *ctx) {
    fleet_t *f = ctx;
    (void)t;
    zl_loop_stop(f->loop);
}

static void on_ramp(zl_timer_t *t, void *ctx) {
    (void)t, (void)ctx; /* only wakes the loop: fleet_turn() pumps */
}

/* Turn hook 1: a stop asked for starts the de-registrations; the pump starts
 * what the ramp and the window allow; the loop ends once every device left
 * (or the stop deadline passed). */
static void fleet_turn(void *ctx) {
    fleet_t *f = ctx;
    if (f->stop && !f->stopping) {
        f->stopping = true;
        for (int i = 0; i < f->n; i++) {
            zl_timer_disarm(&f->wheel, &f->devs[i].t_update);
            zl_timer_disarm(&f->wheel, &f->devs[i].t_sensor0);
            zl_timer_disarm(&f->wheel, &f->devs[i].t_sensor1);
        }
        zl_timer_disarm(&f->wheel, &f->t_ramp);
        /* enough for the window to drain the whole slice a few times over */
        zl_timer_arm(&f->wheel, &f->t_deadline, zl_now_ms() + (f->n > 1000 ? 5000 + f->n / 2 : 3500));
    }
    fleet_pump(f);
    if (f->stopping && f->next_dereg >= f->n && f->dereg_inflight <= 0 && f->reg_inflight <= 0)
        zl_loop_stop(f->loop);
    else if (f->next_reg < f->n && !f->stopping && !f->t_ramp.armed) /* the ramp is on: pump every 10 ms */
        zl_timer_arm(&f->wheel, &f->t_ramp, zl_now_ms() + 10);
}

/* Turn hook 2: every datagram the turn queued, in one go. */
static void fleet_flush(void *ctx) {
    fleet_t *f = ctx;
    zl_coap_iobuf_flush(f->iob);
    if (f->swarm) zl_swarm_flush(f->swarm); /* what the endpoints and fast notifications queued */
}

/* Runs devices [first, first + n) of the fleet until SIGINT/SIGTERM. */
static int run_worker(const fleet_cfg_t *fc, int w, int first, int n) {
    const zl_sim_conf_t *conf = fc->conf;
    fleet_t f = {0};
    f.lifetime = conf->lifetime;
    f.notify_ms = conf->notify_ms;
    f.bench = conf->bench;
    f.notify_con = conf->notify_con;
    f.server = fc->server;
    f.total = fc->total;
    f.first = first;
    f.n = n;
    f.st = &fc->st[w];
    f.ramp = (double)conf->ramp * n / (fc->total > 0 ? fc->total : 1);
    f.print = fc->print;
    zl_wheel_init(&f.wheel, zl_now_ms());
    f.iob = zl_coap_iobuf_new();
    f.devs = calloc((size_t)(n > 0 ? n : 1), sizeof *f.devs);
    char lerr[128];
    f.loop = zl_loop_new(&(zl_loop_cfg_t){.wheel = &f.wheel}, lerr, sizeof lerr);
    if (!f.iob || !f.devs || !f.loop || zl_loop_on_turn(f.loop, fleet_turn, &f) ||
        zl_loop_on_turn(f.loop, fleet_flush, &f)) {
        fprintf(stderr, "zeelos device: out of memory or descriptors\n");
        zl_coap_iobuf_free(f.iob);
        free(f.devs);
        zl_loop_destroy(f.loop);
        return 1;
    }
    zl_loop_fd_t swarm_w;
    if (conf->shared_socket) {
        if (!(f.swarm = zl_swarm_new(&f, lerr, sizeof lerr)) ||
            zl_loop_fd_add(f.loop, &swarm_w, zl_swarm_fd(f.swarm), ZL_LOOP_IN, zl_swarm_on_readable, f.swarm)) {
            fprintf(stderr, "zeelos device: %s\n", f.swarm ? strerror(errno) : lerr);
            zl_swarm_free(f.swarm);
            zl_coap_iobuf_free(f.iob);
            free(f.devs);
            zl_loop_destroy(f.loop);
            return 1;
        }
    }
    zl_timer_init(&f.t_ramp, on_ramp, &f);
    zl_timer_init(&f.t_status, on_status, &f);
    zl_timer_init(&f.t_deadline, on_stop_deadline, &f);
    int width = 1;
    for (int k = fc->total - 1; k >= 10; k /= 10) width++;
    int rc = 0;
    for (int i = 0; i < f.n; i++) {
        device_t *d = &f.devs[i];
        int g = first + i;
        d->fleet = &f;
        char err[256];
        const char *bind = fc->binds[g % fc->n_binds];
        zl_coap_ep_cfg_t cc = {.ack_timeout_ms = conf->coap.ack_timeout_ms,
                               .max_retransmit = conf->coap.max_retransmit,
                               .on_request = zl_dev_handle, .on_rst = zl_dev_on_rst, .ctx = d,
                               /* one device's socket needs no 200 KB of batch buffers;
                                  the loop flushes f.iob, so every device must use it */
                               .shared_io = f.iob};
        /* the device opens its socket (kernel-default buffers); the endpoint owns it;
           device.shared.socket: a transport over the worker's socket, from its own address */
        if (f.swarm) {
            d->ip = zl_swarm_ip(g);
            zl_swarm_io(f.swarm, d, &cc.io);
            d->ep = zl_coap_ep_new(&cc, &f.wheel, err, sizeof err);
        } else {
            d->ep = zl_udp_open(bind, fc->base_port ? fc->base_port + g : 0, 0, &cc.io, err, sizeof err) == ZL_OK
                        ? zl_coap_ep_new(&cc, &f.wheel, err, sizeof err)
                        : NULL;
        }
        if (!d->ep) {
            fprintf(stderr, "zeelos device: device %d of %d (bind %s): %s%s\n", g, fc->total, bind, err,
                    strstr(err, "in use") || strstr(err, "open files")
                        ? " (out of ports or descriptors: add --device-bind addresses or --device-workers)"
                        : "");
            rc = 1;
            f.n = i;
            break;
        }
        if (*fc->ep_name && fc->total == 1) snprintf(d->name, sizeof d->name, "%s", fc->ep_name);
        else if (*fc->ep_name) snprintf(d->name, sizeof d->name, "%s-%0*d", fc->ep_name, width, g);
        else {
            uint8_t r[16];
            zl_coap_random(d->ep, r, sizeof r);
            for (int k = 0; k < 16; k++) snprintf(d->name + 2 * k, 3, "%02x", r[k]);
        }
        snprintf(d->utc_offset, sizeof d->utc_offset, "+00:00");
        snprintf(d->timezone, sizeof d->timezone, "UTC");
        d->temp[0] = 20.0;
        d->temp[1] = 150.0;
        d->tmin[0] = d->tmax[0] = d->temp[0];
        d->tmin[1] = d->tmax[1] = d->temp[1];
        zl_timer_init(&d->t_update, on_update_timer, d);
        zl_timer_init(&d->t_sensor0, zl_dev_on_sensor, d);
        zl_timer_init(&d->t_sensor1, zl_dev_on_sensor, d);
        if (!f.swarm && zl_loop_fd_add(f.loop, &d->w, zl_coap_ep_fd(d->ep), ZL_LOOP_IN, on_dev_fd, d)) {
            fprintf(stderr, "zeelos device: device %d of %d: epoll: %s\n", g, fc->total, strerror(errno));
            rc = 1;
            f.n = i + 1;
            break;
        }
        /* first change at a random phase (a single device keeps the seed's 2 s) */
        uint32_t ph[2] = {0, 0};
        if (fc->total > 1) zl_coap_random(d->ep, ph, sizeof ph);
        int64_t now = zl_now_ms();
        if (!f.swarm) /* device.shared.socket: the swarm's sweep changes 3303/0 */
            zl_timer_arm(&f.wheel, &d->t_sensor0,
                         now + (fc->total > 1 ? ph[0] % (uint32_t)f.notify_ms : 2000));
        if (!f.bench) /* bench: only 3303/0 changes */
            zl_timer_arm(&f.wheel, &d->t_sensor1,
                         now + (fc->total > 1 ? ph[1] % (uint32_t)(2 * f.notify_ms) : 2000));
    }
    running_fleet = &f;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, SIGINT);
    sigaddset(&unblock, SIGTERM);
    sigprocmask(SIG_UNBLOCK, &unblock, NULL);

    f.start_ms = zl_now_ms();
    if (f.swarm && rc == 0) zl_swarm_start(f.swarm, f.start_ms);
    if (f.print) zl_timer_arm(&f.wheel, &f.t_status, f.start_ms + STATUS_MS);
    zl_loop_wake(f.loop); /* the first turn pumps at once */
    if (rc == 0 && zl_loop_run(f.loop) != ZL_OK) rc = 1;
    running_fleet = NULL;
    zl_loop_destroy(f.loop); /* before the sockets: the epoll set goes at once */
    f.loop = NULL;
    for (int i = 0; i < f.n; i++) {
        zl_timer_disarm(&f.wheel, &f.devs[i].t_update);
        zl_timer_disarm(&f.wheel, &f.devs[i].t_sensor0);
        zl_timer_disarm(&f.wheel, &f.devs[i].t_sensor1);
        zl_coap_ep_destroy(f.devs[i].ep);
        zl_dev_drop_observers(&f.devs[i]);
    }
    zl_swarm_free(f.swarm); /* after the endpoints: sends what they queued last */
    if (fc->print) print_status(fc->st, 1, fc->total, f.start_ms, true);
    atomic_store(&f.st->done, 1);
    zl_coap_iobuf_free(f.iob);
    free(f.devs);
    return rc;
}

/* Usable ephemeral ports per local address. */
static int ephemeral_ports(void) {
    FILE *fp = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    int lo = 32768, hi = 60999;
    if (fp) {
        if (fscanf(fp, "%d %d", &lo, &hi) != 2) lo = 32768, hi = 60999;
        fclose(fp);
    }
    return hi >= lo ? hi - lo + 1 : 0;
}

static volatile sig_atomic_t parent_sig;
static void on_parent_signal(int sig) { parent_sig = sig; }

/* Checks the server, the device ports and the local addresses of the fleet;
 * fills fc->server, binds (pointing into *bind_copy, which the caller frees)
 * and n_binds.  -1 after printing why. */
static int plan_addresses(fleet_cfg_t *fc, char **bind_copy) {
    const zl_sim_conf_t *conf = fc->conf;
    if (parse_server(conf->server, &fc->server)) {
        fprintf(stderr, "zeelos device: invalid --server '%s' (expected coap://host:port)\n", conf->server);
        return -1;
    }
    if (fc->base_port && fc->base_port + fc->total - 1 > 65535) {
        fprintf(stderr, "zeelos device: --device-port %d + %d devices runs past port 65535\n", fc->base_port,
                fc->total);
        return -1;
    }
    if (conf->shared_socket) { /* sources in 127/8: only a server on loopback can answer them */
        const struct sockaddr_in *sa = (const void *)&fc->server.sa;
        if (fc->server.sa.ss_family != AF_INET || (ntohl(sa->sin_addr.s_addr) >> 24) != 127) {
            fprintf(stderr, "zeelos device: --device-shared-socket needs a server on 127.0.0.0/8 (the "
                            "devices' addresses are there), not '%s'\n", conf->server);
            return -1;
        }
        if (*conf->bind || fc->base_port) {
            fprintf(stderr, "zeelos device: --device-bind and --device-port do not apply with "
                            "--device-shared-socket\n");
            return -1;
        }
        fc->binds = calloc(1, sizeof *fc->binds);
        if (!fc->binds) return -1;
        fc->binds[fc->n_binds++] = "127.1.0.1";
        return 0;
    }
    *bind_copy = strdup(conf->bind);
    fc->binds = calloc(strlen(conf->bind) / 2 + 2, sizeof *fc->binds);
    if (!*bind_copy || !fc->binds) return -1;
    for (char *save = NULL, *tok = strtok_r(*bind_copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        zl_coap_addr_t a;
        if (zl_coap_addr_parse(tok, 0, &a) != ZL_OK || a.sa.ss_family != fc->server.sa.ss_family) {
            fprintf(stderr, "zeelos device: --device-bind '%s' is not a local address of the server's "
                            "family\n", tok);
            return -1;
        }
        fc->binds[fc->n_binds++] = tok;
    }
    if (!fc->n_binds) fc->binds[fc->n_binds++] = fc->server.sa.ss_family == AF_INET6 ? "::" : "0.0.0.0";
    int ports = ephemeral_ports(), per_addr_max = ports * 9 / 10;
    if (per_addr_max > 25000) per_addr_max = 25000;
    int per_addr = (fc->total + fc->n_binds - 1) / fc->n_binds;
    if (!fc->base_port && per_addr > per_addr_max) {
        fprintf(stderr,
                "zeelos device: %d devices over %d local address(es) is %d source ports per address, "
                "but the ephemeral port range has %d ports (at most %d devices per address are "
                "allowed): spread the fleet with --device-bind 127.0.0.1,127.0.0.2,... (needs at "
                "least %d addresses)\n",
                fc->total, fc->n_binds, per_addr, ports, per_addr_max,
                (fc->total + per_addr_max - 1) / per_addr_max);
        return -1;
    }
    return 0;
}

/* Chooses fc->workers and raises RLIMIT_NOFILE so every worker's slice of
 * devices fits; -1 after printing why. */
static int plan_workers(fleet_cfg_t *fc) {
    fc->workers = fc->conf->workers;
    if (fc->workers <= 0) /* one socket per worker in device.shared.socket mode: one worker */
        fc->workers = fc->conf->shared_socket ? 1 : (fc->total + DEVS_PER_WORKER - 1) / DEVS_PER_WORKER;
    if (fc->workers > fc->total) fc->workers = fc->total;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int slice = (fc->total + fc->workers - 1) / fc->workers;
    if (fc->conf->shared_socket) return 0; /* no descriptor per device */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (rlim_t)slice + 32 > rl.rlim_cur) {
        fprintf(stderr,
                "zeelos device: %d devices per worker need %d open files but the limit is %llu: use "
                "--device-workers %llu or more\n",
                slice, slice + 32, (unsigned long long)rl.rlim_cur,
                (unsigned long long)((fc->total + (rl.rlim_cur - 32) - 1) / (rl.rlim_cur - 32)));
        return -1;
    }
    return 0;
}

/* Forks one process per worker and supervises them: forwards SIGINT/SIGTERM,
 * stops the whole fleet when one worker fails, prints the status line.
 * Called with SIGINT/SIGTERM blocked (old: the mask to restore). */
static int run_workers(const fleet_cfg_t *fc, const sigset_t *old) {
    ZL_INFO("device", "fleet of %d devices: %d workers, %d local address(es)", fc->total, fc->workers,
            fc->n_binds);
    pid_t *pids = calloc((size_t)fc->workers, sizeof *pids);
    if (!pids) {
        sigprocmask(SIG_SETMASK, old, NULL);
        return 2;
    }
    fflush(stdout);
    fflush(stderr);
    int started = 0;
    pid_t parent = getpid();
    for (int w = 0; w < fc->workers; w++) {
        int first = (int)((long)fc->total * w / fc->workers), last = (int)((long)fc->total * (w + 1) / fc->workers);
        pid_t pid = fork();
        if (pid == 0) {
            /* a parent killed without the chance to forward still stops (and
             * de-registers) its workers: SIGTERM stays pending until handled */
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() != parent) raise(SIGTERM);
            int wrc = run_worker(fc, w, first, last - first);
            fflush(stderr);
            _exit(wrc);
        }
        if (pid < 0) {
            fprintf(stderr, "zeelos device: fork: %s\n", strerror(errno));
            break;
        }
        pids[started++] = pid;
    }
    struct sigaction sa = {.sa_handler = on_parent_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigprocmask(SIG_SETMASK, old, NULL);
    int rc = started == fc->workers ? 0 : 1;
    if (started < fc->workers) parent_sig = SIGTERM; /* stop the ones that did start */
    int64_t t0 = zl_now_ms(), next_status = t0 + STATUS_MS;
    int alive = started, forwarded = 0;
    while (alive > 0) {
        if (parent_sig && !forwarded) {
            for (int i = 0; i < started; i++)
                if (pids[i] > 0) kill(pids[i], parent_sig);
            forwarded = 1;
        }
        int ws;
        pid_t p = waitpid(-1, &ws, WNOHANG);
        if (p > 0) {
            for (int i = 0; i < started; i++)
                if (pids[i] == p) {
                    pids[i] = 0;
                    alive--;
                    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
                        fprintf(stderr, "zeelos device: worker %d %s %d\n", i,
                                WIFEXITED(ws) ? "exited with" : "killed by signal",
                                WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws));
                        rc = 1;
                        if (!parent_sig) parent_sig = SIGTERM; /* a broken fleet stops as a whole */
                    }
                }
            continue;
        }
        if (p < 0 && errno != EINTR) break;
        if (zl_now_ms() >= next_status) {
            print_status(fc->st, fc->workers, fc->total, t0, false);
            next_status += STATUS_MS;
        }
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    print_status(fc->st, fc->workers, fc->total, t0, true);
    free(pids);
    return rc;
}

int zl_sim_run(const zl_sim_conf_t *conf) {
    fleet_cfg_t fc = {.conf = conf, .ep_name = conf->ep, .total = conf->count, .base_port = conf->port};
    int rc = 2;
    char *bind_copy = NULL;
    if (plan_addresses(&fc, &bind_copy) || plan_workers(&fc)) goto out;
    fc.st = mmap(NULL, (size_t)fc.workers * sizeof *fc.st, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (fc.st == MAP_FAILED) {
        fc.st = NULL;
        fprintf(stderr, "zeelos device: mmap: %s\n", strerror(errno));
        goto out;
    }
    /* SIGINT/SIGTERM stay blocked until each process has its handler */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    if (fc.workers == 1) {
        fc.print = fc.total > 1;
        rc = run_worker(&fc, 0, 0, fc.total);
        sigprocmask(SIG_SETMASK, &old, NULL);
    } else {
        rc = run_workers(&fc, &old);
    }
out:
    if (fc.st) munmap(fc.st, (size_t)fc.workers * sizeof *fc.st);
    free(fc.binds);
    free(bind_copy);
    return rc;
}
