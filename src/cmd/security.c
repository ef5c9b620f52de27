/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos security add|remove|list`: parses the configuration and the words,
 * then writes or reads the gateway's security topic (roles/tools). */
#include "cmd/cmd.h"
#include "roles/tools/tools.h"
#include "common/conf.h"

typedef struct {
    zl_cmd_log_conf_t log;
    zl_security_conf_t sec;
} security_conf_t;

static const zl_conf_part_t parts[] = {
    ZL_CONF_PART(security_conf_t, log, zl_cmd_log_table),
    ZL_CONF_PART(security_conf_t, sec.kafka, zl_kafka_brokers_conf_table),
    ZL_CONF_PART(security_conf_t, sec.kafka, zl_kafka_conf_table),
    ZL_CONF_PART(security_conf_t, sec.topics, zl_topics_conf_table),
    ZL_CONF_PART(security_conf_t, sec, zl_security_conf_table),
};
const zl_conf_cmd_t zl_security_conf = ZL_CONF_CMD("security", parts);

int zl_cmd_security(int argc, char **argv, char **envp) {
    const char *pos[4];
    int n_pos = 0, status;
    security_conf_t c = {0};
    zl_conf_t *conf = zl_cmd_setup(&zl_security_conf, &c, &c.log, argc, argv, envp, pos, 4, &n_pos, &status);
    if (!conf) return status;
    c.sec.kafka.props = conf;
    int rc = zl_security_run(&c.sec, pos, n_pos);
    zl_conf_destroy(conf);
    return rc;
}
