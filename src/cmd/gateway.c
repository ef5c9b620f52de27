/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos gateway`: parses the gateway's configuration and runs one gateway
 * until SIGINT/SIGTERM. */
#include <signal.h>
#include <stdio.h>

#include "cmd/gateway.h"
#include "common/conf.h"
#include "common/log.h"

typedef zl_cmd_gateway_conf_t gateway_conf_t;

static const zl_conf_part_t parts[] = {
    ZL_CONF_PART(gateway_conf_t, log, zl_cmd_log_table),
    ZL_CONF_PART(gateway_conf_t, gw, zl_gw_conf_table),
    ZL_CONF_PART(gateway_conf_t, gw, zl_gw_coap_conf_table),
    ZL_CONF_PART(gateway_conf_t, gw.coap, zl_coap_conf_table),
    ZL_CONF_PART(gateway_conf_t, gw.http, zl_http_conf_table),
    ZL_CONF_PART(gateway_conf_t, gw.kafka, zl_kafka_brokers_conf_table),
    ZL_CONF_PART(gateway_conf_t, gw.kafka, zl_kafka_conf_table),
    ZL_CONF_PART(gateway_conf_t, gw.kafka, zl_kafka_producer_conf_table),
    ZL_CONF_PART(gateway_conf_t, gw, zl_gw_kafka_conf_table),
    ZL_CONF_PART(gateway_conf_t, gw.topics, zl_topics_conf_table),
    ZL_CONF_PART(gateway_conf_t, gw, zl_gw_reg_conf_table),
    ZL_CONF_PART(gateway_conf_t, gw, zl_gw_spool_conf_table),
    ZL_CONF_PART(gateway_conf_t, gw, zl_gw_dtls_conf_table),
};
const zl_conf_cmd_t zl_gateway_conf = ZL_CONF_CMD("gateway", parts);

/* The one process-wide pointer: signal handlers cannot take a context. */
static zl_gw_t *running_gw;

static void on_signal(int sig) {
    (void)sig;
    if (running_gw) zl_gw_stop(running_gw);
}

int zl_cmd_gateway(int argc, char **argv, char **envp) {
    int status;
    gateway_conf_t c = {0};
    zl_conf_t *conf = zl_cmd_setup(&zl_gateway_conf, &c, &c.log, argc, argv, envp, NULL, 0, NULL, &status);
    if (!conf) return status;
    c.gw.kafka.props = conf;
    char err[512] = "";
    zl_gw_t *gw = zl_gw_new(&c.gw, err, sizeof err);
    if (!gw) {
        ZL_ERROR("gateway", "cannot start: %s", err);
        zl_conf_destroy(conf);
        return 1;
    }
    running_gw = gw;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int rc = zl_gw_run(gw);
    running_gw = NULL;
    zl_gw_destroy(gw);
    zl_conf_destroy(conf);
    return rc;
}
