/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos device`: one simulated LwM2M client or a fleet of them. */
#ifndef ZL_SIM_H
#define ZL_SIM_H

#include <stdbool.h>
#include "coap/coap_conf.h"
#include "common/conf.h"

typedef struct {
    zl_coap_conf_t coap; /* zl_coap_conf_table */
    /* zl_sim_fleet_conf_table (also read by `zeelos bench` for its fleet) */
    const char *ep;     /* endpoint name, or the prefix of a fleet's names; "" = random */
    const char *server; /* coap://host:port */
    const char *bind;   /* comma-separated local addresses, "" = wildcard */
    int count, lifetime, ramp, notify_ms, workers;
    bool notify_con;
    bool shared_socket; /* device.shared.socket: one socket per worker (swarm.c) */
    /* zl_sim_conf_table */
    int port; /* local port of device 0, 0 = ephemeral */
    bool bench;
} zl_sim_conf_t;

extern const zl_conf_table_t zl_sim_fleet_conf_table; /* "zeelos device": ep, device.* of a fleet */
extern const zl_conf_table_t zl_sim_conf_table;       /* "zeelos device": device.port, device.bench */

/* Runs the device (or fleet) until SIGINT/SIGTERM; conf's strings must stay
 * valid meanwhile.  Returns the exit status: 0, 1 failure, 2 bad settings. */
int zl_sim_run(const zl_sim_conf_t *conf);

#endif
