/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos bench`: drives a bench-mode fleet against a gateway and measures it through Kafka. */
#ifndef ZL_BENCH_H
#define ZL_BENCH_H

#include <stdbool.h>
#include "common/conf.h"
#include "kafka/kafka_conf.h"

/* The fleet `zeelos bench` starts (`zeelos device --device-bench ...`). */
typedef struct {
    const char *ep;     /* name prefix, "" = "bench" */
    const char *server; /* coap://host:port */
    const char *bind;   /* "" = none */
    int count, lifetime, ramp, notify_ms, workers;
    bool notify_con;
    bool shared_socket; /* device.shared.socket */
} zl_bench_fleet_t;

typedef struct {
    zl_kafka_conf_t kafka;   /* zl_kafka_brokers_conf_table, zl_kafka_conf_table, zl_kafka_producer_conf_table */
    zl_topics_conf_t topics; /* zl_topics_conf_table */
    zl_bench_fleet_t fleet;  /* filled by the command from the device.* properties */
    /* zl_bench_conf_table */
    int duration_s, mgmt_rate, mgmt_s, gateway_pid, drain_ms;
    bool start_fleet;
    const char *out; /* "" = no JSON file */
    const char *consume_topic; /* bench.consume.topic: "" = the full benchmark */
} zl_bench_conf_t;

extern const zl_conf_table_t zl_bench_conf_table; /* "zeelos bench" */

/* Runs the benchmark (table to stdout, JSON to conf->out); the exit status.
 * May add kafka.fetch.wait.max.ms and kafka.fetch.queue.backoff.ms to
 * conf->kafka.props.  With bench.consume.topic set: the consume-only mode. */
int zl_bench_run(const zl_bench_conf_t *conf);

#endif
