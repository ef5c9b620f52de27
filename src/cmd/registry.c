/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos registry`: parses the registry's configuration and runs one
 * Schema Registry until SIGINT/SIGTERM. */
#include <signal.h>

#include "cmd/cmd.h"
#include "roles/registry/registry.h"
#include "common/log.h"

typedef struct {
    zl_cmd_log_conf_t log;
    zl_registry_conf_t sr;
} registry_conf_t;

static const zl_conf_part_t parts[] = {
    ZL_CONF_PART(registry_conf_t, log, zl_cmd_log_table),
    ZL_CONF_PART(registry_conf_t, sr, zl_registry_conf_table),
    ZL_CONF_PART(registry_conf_t, sr.kafka, zl_kafka_brokers_conf_table),
    ZL_CONF_PART(registry_conf_t, sr.kafka, zl_kafka_producer_conf_table),
};
const zl_conf_cmd_t zl_registry_conf = ZL_CONF_CMD("registry", parts);

/* The one process-wide pointer: signal handlers cannot take a context. */
static zl_registry_t *running;

static void on_signal(int sig) {
    (void)sig;
    if (running) zl_registry_stop(running);
}

int zl_cmd_registry(int argc, char **argv, char **envp) {
    int status;
    registry_conf_t c = {0};
    zl_conf_t *conf = zl_cmd_setup(&zl_registry_conf, &c, &c.log, argc, argv, envp, NULL, 0, NULL, &status);
    if (!conf) return status;
    c.sr.kafka.props = conf;
    char err[512] = "";
    zl_registry_t *sr = zl_registry_new(&c.sr, err, sizeof err);
    if (!sr) {
        ZL_ERROR("registry", "cannot start: %s", err);
        zl_conf_destroy(conf);
        return 1;
    }
    running = sr;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int rc = zl_registry_run(sr);
    running = NULL;
    zl_registry_destroy(sr);
    zl_conf_destroy(conf);
    return rc;
}
