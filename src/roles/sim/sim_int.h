/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by the files of roles/sim (not an API): a device's state
 * (device.c: its objects, observers and CoAP server side) and the fleet that
 * runs it (fleet.c: registration lifecycle, workers, the loop). */
#ifndef ZL_SIM_INT_H
#define ZL_SIM_INT_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "roles/sim/device.h"
#include "coap/endpoint.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/wheel.h"

#define MAX_OBSERVERS 16
#define OBS_MIDS 4 /* recent notification MIDs per observer an RST is matched against */
#define REG_WINDOW 256        /* outstanding (de-)registrations per worker */
#define DEVS_PER_WORKER 15000 /* default split: sockets per process */
#define STATUS_MS 5000

typedef struct {
    zl_coap_addr_t peer;
    uint8_t token[8], tkl;
    zl_path_t path;
    int accept;
    uint32_t seq;
    zl_path_t *paths; /* Observe-Composite: the paths its FETCH named (path is "/"), else NULL */
    uint16_t n_paths;
    uint16_t mids[OBS_MIDS]; /* MIDs of its latest notifications (ring) */
    uint8_t mid_next, n_mids;
    bool con_busy;  /* a CON notification (MID con_mid) awaits its ACK */
    bool con_again; /* ... and the state changed since: notify once it is acknowledged */
    uint16_t con_mid;
    /* device.shared.socket: the notification datagram precomputed when the
     * observation started (NULL: built the ordinary way each time); the
     * Observe value (3 bytes) is at tpl[4 + tkl + 1], the doubles 5700, 5601,
     * 5602 at off_val[k] (0: not in it) */
    uint8_t *tpl;
    uint16_t tpl_len, off_val[3];
} observer_t;

/* Counters of one worker, in memory shared with the parent (MAP_SHARED). */
typedef struct {
    _Atomic long registered; /* currently registered */
    _Atomic long registrations, updates, notifications, deregistrations;
    _Atomic long errors, timeouts;
    _Atomic long notif_retx, notif_timeouts; /* CON notification retransmissions, timed-out CONs */
    _Atomic long obs_reset;                  /* observers the server removed with an RST */
    _Atomic int done; /* worker finished (its last numbers are final) */
    char pad[64];
} fleet_stats_t;

#define ST_ADD(f, field, v) atomic_fetch_add_explicit(&(f)->st->field, (v), memory_order_relaxed)
#define ST_GET(s, field) atomic_load_explicit(&(s)->field, memory_order_relaxed)

typedef struct {
    volatile sig_atomic_t stop;
    zl_loop_t *loop;       /* runs on wheel */
    zl_timer_t t_ramp, t_status, t_deadline;
    bool print;            /* this worker prints the status line */
    zl_wheel_t wheel;
    zl_coap_iobuf_t *iob;
    zl_coap_addr_t server;
    int lifetime, notify_ms;
    bool bench;            /* device.bench: 3303/0 = send time (epoch us) + sequence */
    bool notify_con;       /* device.notify.con: CON notifications */
    device_t *devs;
    int n, total;          /* devices of this worker, of the whole fleet */
    int first;             /* global index of devs[0] */
    double ramp;           /* registrations per second for this worker, 0 = unlimited */
    int64_t start_ms;
    int next_reg, reg_inflight;
    bool stopping;
    int next_dereg, dereg_inflight;
    int warnings;          /* per-device failures logged at WARN (then DEBUG) */
    fleet_stats_t *st;
    struct zl_swarm *swarm; /* device.shared.socket: the worker's one socket, else NULL */
} fleet_t;

struct device {
    fleet_t *fleet;
    zl_coap_ep_t *ep;
    char name[80];
    char location[64]; /* "/rd/<id>", empty until registered */
    double temp[2], tmin[2], tmax[2];
    long tick[2];
    double bench_seq; /* device.bench: changes of 3303/0 so far */
    char utc_offset[16], timezone[32];
    observer_t *obs; /* grown on demand: most devices have none or a few */
    uint8_t n_obs, cap_obs;
    bool registering, deregistering;
    zl_timer_t t_update, t_sensor0, t_sensor1;
    zl_loop_fd_t w; /* its socket in the worker's loop */
    /* device.shared.socket: its source address (host order), the next MID of
     * a fast notification and the last MID its endpoint used (kept apart) */
    uint32_t ip;
    uint16_t fast_mid, ep_mid;
};

/* A failure of one device: always counted, logged at WARN for a single
 * device and for the first few of a fleet, at DEBUG after that. */
#define DEV_FAIL(d, ...)                                                        \
    do {                                                                        \
        fleet_t *f_ = (d)->fleet;                                               \
        ST_ADD(f_, errors, 1);                                                  \
        if (f_->total == 1 || f_->warnings++ < 5) ZL_WARN("device", __VA_ARGS__); \
        else ZL_DEBUG("device", __VA_ARGS__);                                   \
    } while (0)

/* ---- device.c, for the fleet */

/* The CoAP server side of a device (the endpoint's on_request). */
void zl_dev_handle(void *ctx, zl_coap_ep_t *ep, const zl_coap_addr_t *peer, const zl_coap_msg_t *req,
                   zl_coap_msg_t *resp);
/* An RST for one of its notifications (the endpoint's on_rst): reactive cancel. */
void zl_dev_on_rst(void *ctx, const zl_coap_addr_t *peer, uint16_t mid);
/* The sensor timers t_sensor0/t_sensor1: the temperatures move and observers hear it. */
void zl_dev_on_sensor(zl_timer_t *t, void *ctx);
/* One change of 3303/i (the body of a sensor timer, without re-arming it). */
void zl_dev_tick(device_t *d, int i);
/* Frees every observer (the device is going away). */
void zl_dev_drop_observers(device_t *d);
/* The doubles of 3303/iid now: 5700, 5601, 5602 (what a Read returns). */
void zl_dev_3303_values(device_t *d, uint16_t iid, double v[3]);

/* ---- swarm.c: device.shared.socket, one UDP socket for a worker's devices */

typedef struct zl_swarm zl_swarm_t;
/* Opens the worker's socket (0.0.0.0, an ephemeral port); NULL with err set. */
zl_swarm_t *zl_swarm_new(fleet_t *f, char *err, size_t err_size);
/* Closes the socket; the endpoints of the devices must be destroyed first. */
void zl_swarm_free(zl_swarm_t *s);
int zl_swarm_fd(const zl_swarm_t *s);
/* The loop callback of the socket: datagrams go to the endpoint of the device
 * they were addressed to. */
void zl_swarm_on_readable(void *ctx, uint32_t events);
/* Sends every queued datagram (end of turn). */
void zl_swarm_flush(zl_swarm_t *s);
/* Starts the sweep that changes 3303/0 of every device once per notify_ms,
 * device i at phase i * notify_ms / n (instead of a timer per device). */
void zl_swarm_start(zl_swarm_t *s, int64_t now_ms);
/* The address of global device g: 127.1.0.1 + g, skipping .0 and .255 (host order). */
uint32_t zl_swarm_ip(int g);
/* Fills io with device d's transport over the shared socket (source d->ip). */
void zl_swarm_io(zl_swarm_t *s, device_t *d, zl_coap_io_t *io);
/* Queues o's precomputed notification with a fresh MID, Observe number and
 * the current values; false if o has none (send it the ordinary way). */
bool zl_swarm_notify(device_t *d, observer_t *o, uint16_t *mid);

#endif
