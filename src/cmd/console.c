/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos console`: parses the configuration and runs the web UI and API
 * until SIGINT/SIGTERM. */
#include <signal.h>

#include "cmd/cmd.h"
#include "roles/console/console.h"
#include "common/log.h"

typedef struct {
    zl_cmd_log_conf_t log;
    zl_console_conf_t cn;
} console_conf_t;

static const zl_conf_part_t parts[] = {
    ZL_CONF_PART(console_conf_t, log, zl_cmd_log_table),
    ZL_CONF_PART(console_conf_t, cn, zl_console_conf_table),
    ZL_CONF_PART(console_conf_t, cn.kafka, zl_kafka_brokers_conf_table),
    ZL_CONF_PART(console_conf_t, cn.kafka, zl_kafka_conf_table),
    ZL_CONF_PART(console_conf_t, cn.kafka, zl_kafka_producer_conf_table),
};
const zl_conf_cmd_t zl_console_conf = ZL_CONF_CMD("console", parts);

/* The one process-wide pointer: signal handlers cannot take a context. */
static zl_console_t *running;

static void on_signal(int sig) {
    (void)sig;
    if (running) zl_console_stop(running);
}

int zl_cmd_console(int argc, char **argv, char **envp) {
    int status;
    console_conf_t c = {0};
    zl_conf_t *conf = zl_cmd_setup(&zl_console_conf, &c, &c.log, argc, argv, envp, NULL, 0, NULL, &status);
    if (!conf) return status;
    c.cn.kafka.props = conf;
    char err[512] = "";
    zl_console_t *cn = zl_console_new(&c.cn, err, sizeof err);
    if (!cn) {
        ZL_ERROR("console", "cannot start: %s", err);
        zl_conf_destroy(conf);
        return 1;
    }
    running = cn;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int rc = zl_console_run(cn);
    running = NULL;
    zl_console_destroy(cn);
    zl_conf_destroy(conf);
    return rc;
}
