/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos sink`: parses the sink's configuration and runs it until
 * SIGINT/SIGTERM. */
#include <signal.h>

#include "cmd/cmd.h"
#include "roles/sink/sink.h"
#include "common/log.h"

typedef struct {
    zl_cmd_log_conf_t log;
    zl_sink_conf_t sink;
} sink_conf_t;

static const zl_conf_part_t parts[] = {
    ZL_CONF_PART(sink_conf_t, log, zl_cmd_log_table),
    ZL_CONF_PART(sink_conf_t, sink, zl_sink_conf_table),
    ZL_CONF_PART(sink_conf_t, sink.kafka, zl_kafka_brokers_conf_table),
    ZL_CONF_PART(sink_conf_t, sink.kafka, zl_kafka_conf_table),
    ZL_CONF_PART(sink_conf_t, sink.kafka, zl_kafka_producer_conf_table),
};
const zl_conf_cmd_t zl_sink_conf = ZL_CONF_CMD("sink", parts);

/* The one process-wide pointer: signal handlers cannot take a context. */
static zl_sink_t *running;

static void on_signal(int sig) {
    (void)sig;
    if (running) zl_sink_stop(running);
}

int zl_cmd_sink(int argc, char **argv, char **envp) {
    int status;
    sink_conf_t c = {0};
    zl_conf_t *conf = zl_cmd_setup(&zl_sink_conf, &c, &c.log, argc, argv, envp, NULL, 0, NULL, &status);
    if (!conf) return status;
    c.sink.kafka.props = conf;
    char err[512] = "";
    zl_sink_t *s = zl_sink_new(&c.sink, err, sizeof err);
    if (!s) {
        ZL_ERROR("sink", "cannot start: %s", err);
        zl_conf_destroy(conf);
        return 1;
    }
    running = s;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int rc = zl_sink_run(s);
    running = NULL;
    zl_sink_destroy(s);
    zl_conf_destroy(conf);
    return rc;
}
