/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos tail [options] [TOPIC...]`: parses the configuration and the topic
 * words, then follows the topics (roles/tools). */
#include "cmd/cmd.h"
#include "roles/tools/tools.h"
#include "common/conf.h"

typedef struct {
    zl_cmd_log_conf_t log;
    zl_tail_conf_t tail;
} tail_conf_t;

static const zl_conf_part_t parts[] = {
    ZL_CONF_PART(tail_conf_t, log, zl_cmd_log_table),
    ZL_CONF_PART(tail_conf_t, tail.kafka, zl_kafka_brokers_conf_table),
    ZL_CONF_PART(tail_conf_t, tail.kafka, zl_kafka_conf_table),
    ZL_CONF_PART(tail_conf_t, tail.topics, zl_topics_conf_table),
    ZL_CONF_PART(tail_conf_t, tail, zl_tail_conf_table),
};
const zl_conf_cmd_t zl_tail_conf = ZL_CONF_CMD("tail", parts);

int zl_cmd_tail(int argc, char **argv, char **envp) {
    const char *pos[16];
    int n_pos = 0, status;
    tail_conf_t c = {0};
    zl_conf_t *conf = zl_cmd_setup(&zl_tail_conf, &c, &c.log, argc, argv, envp, pos, 16, &n_pos, &status);
    if (!conf) return status;
    c.tail.kafka.props = conf;
    int rc = zl_tail_run(&c.tail, pos, n_pos);
    zl_conf_destroy(conf);
    return rc;
}
