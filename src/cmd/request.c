/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos request [options] KIND PATH [ARG]`: parses the configuration and
 * the positional words, then sends the request (roles/tools). */
#include "cmd/cmd.h"
#include "roles/tools/tools.h"
#include "common/conf.h"

typedef struct {
    zl_cmd_log_conf_t log;
    zl_request_conf_t req;
} request_conf_t;

static const zl_conf_part_t parts[] = {
    ZL_CONF_PART(request_conf_t, log, zl_cmd_log_table),
    ZL_CONF_PART(request_conf_t, req.kafka, zl_kafka_conf_table),
    ZL_CONF_PART(request_conf_t, req.kafka, zl_kafka_producer_conf_table),
    ZL_CONF_PART(request_conf_t, req.topics, zl_topics_conf_table),
    ZL_CONF_PART(request_conf_t, req, zl_request_conf_table),
};
const zl_conf_cmd_t zl_request_conf = ZL_CONF_CMD("request", parts);

int zl_cmd_request(int argc, char **argv, char **envp) {
    const char *pos[4];
    int n_pos = 0, status;
    request_conf_t c = {0};
    zl_conf_t *conf = zl_cmd_setup(&zl_request_conf, &c, &c.log, argc, argv, envp, pos, 4, &n_pos, &status);
    if (!conf) return status;
    c.req.kafka.props = conf;
    int rc = zl_request_run(&c.req, pos, n_pos);
    zl_conf_destroy(conf);
    return rc;
}
