/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos analytics`: parses the configuration and runs the role until
 * SIGINT/SIGTERM (or a fatal Kafka error). */
#include <signal.h>

#include "cmd/cmd.h"
#include "roles/analytics/analytics.h"
#include "common/log.h"

typedef struct {
    zl_cmd_log_conf_t log;
    zl_analytics_conf_t an;
} analytics_conf_t;

static const zl_conf_part_t parts[] = {
    ZL_CONF_PART(analytics_conf_t, log, zl_cmd_log_table),
    ZL_CONF_PART(analytics_conf_t, an, zl_analytics_conf_table),
    ZL_CONF_PART(analytics_conf_t, an.topics, zl_topics_conf_table),
    ZL_CONF_PART(analytics_conf_t, an.kafka, zl_kafka_brokers_conf_table),
    ZL_CONF_PART(analytics_conf_t, an.kafka, zl_kafka_conf_table),
    ZL_CONF_PART(analytics_conf_t, an.kafka, zl_kafka_producer_conf_table),
};
const zl_conf_cmd_t zl_analytics_conf = ZL_CONF_CMD("analytics", parts);

/* The one process-wide pointer: signal handlers cannot take a context. */
static zl_analytics_t *running;

static void on_signal(int sig) {
    (void)sig;
    if (running) zl_analytics_stop(running);
}

int zl_cmd_analytics(int argc, char **argv, char **envp) {
    int status;
    analytics_conf_t c = {0};
    zl_conf_t *conf = zl_cmd_setup(&zl_analytics_conf, &c, &c.log, argc, argv, envp, NULL, 0, NULL, &status);
    if (!conf) return status;
    c.an.kafka.props = conf;
    char err[512] = "";
    zl_analytics_t *a = zl_analytics_new(&c.an, err, sizeof err);
    if (!a) {
        ZL_ERROR("analytics", "cannot start: %s", err);
        zl_conf_destroy(conf);
        return 1;
    }
    running = a;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int rc = zl_analytics_run(a);
    running = NULL;
    zl_analytics_destroy(a);
    zl_conf_destroy(conf);
    return rc;
}
