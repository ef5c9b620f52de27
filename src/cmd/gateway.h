/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos gateway`'s configuration: the gateway role's struct plus log.level,
 * bound by zl_gateway_conf.  Public so that the component tests
 * (tests/unit/gw_harness.c) configure a gateway exactly as the command does. */
#ifndef ZL_CMD_GATEWAY_H
#define ZL_CMD_GATEWAY_H

#include "cmd/cmd.h"
#include "roles/gateway/gateway.h"

typedef struct {
    zl_cmd_log_conf_t log;
    zl_gw_conf_t gw;
} zl_cmd_gateway_conf_t;

#endif
