/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos bench`: parses the bench's configuration, including the device.*
 * properties of the fleet it starts (the simulator's table, read here so the
 * bench role needs nothing from roles/sim), and runs the benchmark. */
#include "cmd/cmd.h"
#include "roles/bench/bench.h"
#include "roles/sim/sim.h"
#include "common/conf.h"

typedef struct {
    zl_cmd_log_conf_t log;
    zl_bench_conf_t bench;
    zl_sim_conf_t fleet;
} bench_conf_t;

static const zl_conf_part_t parts[] = {
    ZL_CONF_PART(bench_conf_t, log, zl_cmd_log_table),
    ZL_CONF_PART(bench_conf_t, bench.kafka, zl_kafka_brokers_conf_table),
    ZL_CONF_PART(bench_conf_t, bench.kafka, zl_kafka_conf_table),
    ZL_CONF_PART(bench_conf_t, bench.kafka, zl_kafka_producer_conf_table),
    ZL_CONF_PART(bench_conf_t, bench.topics, zl_topics_conf_table),
    ZL_CONF_PART(bench_conf_t, fleet, zl_sim_fleet_conf_table),
    ZL_CONF_PART(bench_conf_t, bench, zl_bench_conf_table),
};
const zl_conf_cmd_t zl_bench_conf = ZL_CONF_CMD("bench", parts);

int zl_cmd_bench(int argc, char **argv, char **envp) {
    int status;
    bench_conf_t c = {0};
    zl_conf_t *conf = zl_cmd_setup(&zl_bench_conf, &c, &c.log, argc, argv, envp, NULL, 0, NULL, &status);
    if (!conf) return status;
    c.bench.kafka.props = conf;
    const zl_sim_conf_t *s = &c.fleet;
    c.bench.fleet = (zl_bench_fleet_t){
        .ep = s->ep, .server = s->server, .bind = s->bind, .count = s->count,
        /* a bench fleet does not update during the run unless asked to */
        .lifetime = zl_conf_is_set(conf, "device.lifetime") ? s->lifetime : 3600,
        .ramp = s->ramp, .notify_ms = s->notify_ms, .workers = s->workers, .notify_con = s->notify_con,
        .shared_socket = s->shared_socket};
    int rc = zl_bench_run(&c.bench);
    zl_conf_destroy(conf);
    return rc;
}
