/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos device`: parses the simulator's configuration and runs the
 * simulated device or fleet (roles/sim). */
#include "cmd/cmd.h"
#include "roles/sim/sim.h"
#include "common/conf.h"

typedef struct {
    zl_cmd_log_conf_t log;
    zl_sim_conf_t sim;
} device_conf_t;

static const zl_conf_part_t parts[] = {
    ZL_CONF_PART(device_conf_t, log, zl_cmd_log_table),
    ZL_CONF_PART(device_conf_t, sim.coap, zl_coap_conf_table),
    ZL_CONF_PART(device_conf_t, sim, zl_sim_fleet_conf_table),
    ZL_CONF_PART(device_conf_t, sim, zl_sim_conf_table),
};
const zl_conf_cmd_t zl_device_conf = ZL_CONF_CMD("device", parts);

int zl_cmd_device(int argc, char **argv, char **envp) {
    int status;
    device_conf_t c = {0};
    zl_conf_t *conf = zl_cmd_setup(&zl_device_conf, &c, &c.log, argc, argv, envp, NULL, 0, NULL, &status);
    if (!conf) return status;
    int rc = zl_sim_run(&c.sim);
    zl_conf_destroy(conf);
    return rc;
}
