/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos sink`: copies what gateways put on Kafka into a database - sensor
 * readings into InfluxDB 1.x, PostgreSQL or SQLite, and the device inventory
 * (the asset model) into PostgreSQL or SQLite - effectively once.
 *
 * A Kafka consumer group: run several with the same sink.group and they
 * share the partitions.  Records are batched on the loop thread and written
 * by one writer thread; offsets are committed to Kafka only after the store
 * acknowledged the batch, and the SQL stores also keep them in the same
 * transaction as the rows, so a crash replays instead of losing and the
 * replay is filtered (SQL) or overwrites the same points (InfluxDB).
 * docs/SINKS.md has the mappings, the tables and the guarantees. */
#ifndef ZL_ROLES_SINK_H
#define ZL_ROLES_SINK_H

#include "common/conf.h"
#include "kafka/kafka_conf.h"

typedef enum { ZL_SINK_SQLITE = 0, ZL_SINK_POSTGRESQL = 1, ZL_SINK_INFLUXDB = 2 } zl_sink_store_kind_t;

typedef struct {
    zl_kafka_conf_t kafka;      /* zl_kafka_brokers_conf_table, zl_kafka_conf_table, zl_kafka_producer_conf_table */
    const char *host;           /* sink.host */
    int port;                   /* sink.port */
    const char *topics;         /* sink.topics */
    const char *group;          /* sink.group ("" = zeelos-sink-<store>) */
    int store;                  /* sink.store: a zl_sink_store_kind_t */
    const char *sqlite_path;    /* sink.sqlite.path */
    const char *pg_url;         /* sink.postgresql.url */
    const char *influx_url;     /* sink.influxdb.url */
    const char *influx_db;      /* sink.influxdb.database */
    const char *influx_rp;      /* sink.influxdb.retention.policy */
    const char *measurement;    /* sink.influxdb.measurement */
    int64_t batch_records;      /* sink.batch.records */
    int64_t linger_ms;          /* sink.batch.linger.ms */
    int64_t max_inflight;       /* sink.batch.max.inflight */
    int64_t buffer_bytes;       /* sink.buffer.max.bytes */
    int64_t backoff_ms;         /* sink.retry.backoff.ms */
    int64_t backoff_max_ms;     /* sink.retry.backoff.max.ms */
    int64_t timeout_ms;         /* sink.store.timeout.ms */
    int64_t drain_ms;           /* sink.drain.timeout.ms */
    const char *dlq_topic;      /* sink.dlq.topic */
    const char *models_dir;     /* sink.models.dir */
} zl_sink_conf_t;

extern const zl_conf_table_t zl_sink_conf_table;

typedef struct zl_sink zl_sink_t;

/* Opens the store (creating its tables), the consumer and the HTTP endpoint.
 * conf must outlive the sink.  NULL + errstr. */
zl_sink_t *zl_sink_new(const zl_sink_conf_t *conf, char *errstr, size_t n);
/* Serves until zl_sink_stop(); returns the exit status. */
int zl_sink_run(zl_sink_t *s);
/* Async-signal-safe.  The first call drains (batches in flight are written,
 * up to sink.drain.timeout.ms), a second one stops at once. */
void zl_sink_stop(zl_sink_t *s);
void zl_sink_destroy(zl_sink_t *s);

#endif
