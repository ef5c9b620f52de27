/* SPDX-License-Identifier: Apache-2.0 */
/* Property table of `zeelos sink` (data only; see sink.h). */
#include <stdint.h>
#include "roles/sink/sink.h"

static const zl_conf_prop_t props[] = {
    {.name = "sink.store", .type = ZL_CONF_ENUM, .def = "sqlite", .values = "sqlite|postgresql|influxdb",
     .aliases = "--store", ZL_CONF_FIELD(zl_sink_conf_t, store),
     .doc = "Where records go: `sqlite` (embedded, the default: readings, latest values and the asset model "
            "in the file `sink.sqlite.path`), `postgresql` (the same tables on a server, `sink.postgresql.url`) "
            "or `influxdb` (readings as InfluxDB 1.x points, `sink.influxdb.url`). One store per sink "
            "process; run one sink per store, each with its own `sink.group`."},
    {.name = "sink.topics", .type = ZL_CONF_STR,
     .def = "^iot\\..+\\.observations$,^iot\\..+\\.registrations$", .aliases = "--topics",
     ZL_CONF_FIELD(zl_sink_conf_t, topics),
     .doc = "Comma-separated topics to read: names, or regular expressions starting with `^` (every "
            "gateway's topics by default; topics created later are picked up within "
            "`kafka.topic.metadata.refresh.interval.ms`). A topic whose name ends in `.registrations` carries "
            "AvroRegistrationResponse records; every other topic AvroResponseObserve (or AvroResponse) "
            "records, e.g. an analytics output topic."},
    {.name = "sink.group", .type = ZL_CONF_STR, .def = "", .aliases = "--group",
     ZL_CONF_FIELD(zl_sink_conf_t, group),
     .doc = "Kafka consumer group; sinks with the same group share the partitions. Empty: "
            "`zeelos-sink-<sink.store>`."},
    {.name = "sink.sqlite.path", .type = ZL_CONF_STR, .def = "zeelos-sink.db",
     ZL_CONF_FIELD(zl_sink_conf_t, sqlite_path),
     .doc = "SQLite database file (`sink.store=sqlite`), created when missing, in WAL mode."},
    {.name = "sink.postgresql.url", .type = ZL_CONF_STR, .def = "postgresql://127.0.0.1:5432/zeelos",
     ZL_CONF_FIELD(zl_sink_conf_t, pg_url),
     .doc = "libpq connection string or URI of the PostgreSQL database (`sink.store=postgresql`). The "
            "tables are created when missing (docs/SINKS.md)."},
    {.name = "sink.influxdb.url", .type = ZL_CONF_STR, .def = "http://127.0.0.1:8086",
     ZL_CONF_FIELD(zl_sink_conf_t, influx_url),
     .doc = "Base URL of the InfluxDB 1.x HTTP API (`sink.store=influxdb`); user and password may be "
            "given in it (`http://user:pass@host:8086`)."},
    {.name = "sink.influxdb.database", .type = ZL_CONF_STR, .def = "zeelos",
     ZL_CONF_FIELD(zl_sink_conf_t, influx_db),
     .doc = "InfluxDB database, created at start-up when missing."},
    {.name = "sink.influxdb.retention.policy", .type = ZL_CONF_STR, .def = "",
     ZL_CONF_FIELD(zl_sink_conf_t, influx_rp),
     .doc = "Retention policy points are written to; empty: the database's default."},
    {.name = "sink.influxdb.measurement", .type = ZL_CONF_STR, .def = "resources",
     ZL_CONF_FIELD(zl_sink_conf_t, measurement),
     .doc = "InfluxDB measurement of every reading (the seed's name)."},
    {.name = "sink.batch.records", .type = ZL_CONF_INT, .def = "10000", .min = 1, .max = 1000000,
     ZL_CONF_FIELD(zl_sink_conf_t, batch_records),
     .doc = "A batch is written once it holds this many Kafka records..."},
    {.name = "sink.batch.linger.ms", .type = ZL_CONF_INT, .def = "200", .min = 0, .max = 60000,
     ZL_CONF_FIELD(zl_sink_conf_t, linger_ms),
     .doc = "...or once its first record has waited this long."},
    {.name = "sink.batch.max.inflight", .type = ZL_CONF_INT, .def = "32", .min = 2, .max = 10000,
     ZL_CONF_FIELD(zl_sink_conf_t, max_inflight),
     .doc = "Batches closed but not yet written; at this many (or at `sink.buffer.max.bytes`) the sink pauses "
            "its Kafka consumer, so a slow or unreachable store bounds the memory instead of growing it, and "
            "resumes once both are below half."},
    {.name = "sink.buffer.max.bytes", .type = ZL_CONF_INT, .def = "67108864", .min = 65536,
     .max = INT64_C(68719476736), ZL_CONF_FIELD(zl_sink_conf_t, buffer_bytes),
     .doc = "Bytes of Kafka records (keys and values) held in batches not yet written, at most: the pause "
            "threshold that bounds the sink's memory while the store is down or slow."},
    {.name = "sink.retry.backoff.ms", .type = ZL_CONF_INT, .def = "200", .min = 10, .max = 600000,
     ZL_CONF_FIELD(zl_sink_conf_t, backoff_ms),
     .doc = "First wait before writing a batch again after the store was unavailable; doubled after every "
            "failure up to `sink.retry.backoff.max.ms`. A batch is retried until it is written."},
    {.name = "sink.retry.backoff.max.ms", .type = ZL_CONF_INT, .def = "10000", .min = 10, .max = 3600000,
     ZL_CONF_FIELD(zl_sink_conf_t, backoff_max_ms),
     .doc = "Longest wait between two attempts to write a batch."},
    {.name = "sink.store.timeout.ms", .type = ZL_CONF_INT, .def = "30000", .min = 100, .max = 3600000,
     ZL_CONF_FIELD(zl_sink_conf_t, timeout_ms),
     .doc = "How long one write to the store (an HTTP request, a connection attempt) may take before it "
            "counts as failed and is retried."},
    {.name = "sink.drain.timeout.ms", .type = ZL_CONF_INT, .def = "10000", .min = 0, .max = 3600000,
     ZL_CONF_FIELD(zl_sink_conf_t, drain_ms),
     .doc = "On SIGTERM/SIGINT the sink stops fetching and writes the batches it holds (committing their "
            "offsets) for at most this long before it exits; a second signal exits at once. Whatever is left "
            "is read again by the next sink (never lost, never written twice)."},
    {.name = "sink.dlq.topic", .type = ZL_CONF_STR, .def = "zeelos.sink.dlq",
     ZL_CONF_FIELD(zl_sink_conf_t, dlq_topic),
     .doc = "Dead-letter topic: a record that can never be written (it does not decode, or a value does "
            "not fit the store) is copied here, key and value unchanged, with headers `zeelos.dlq.reason`, "
            "`zeelos.dlq.topic`, `zeelos.dlq.partition`, `zeelos.dlq.offset`, before its offset is committed."},
    {.name = "sink.models.dir", .type = ZL_CONF_STR, .def = "",
     ZL_CONF_FIELD(zl_sink_conf_t, models_dir),
     .doc = "Directory of OMA DDF XML object models added to the built-in ones for the asset model's "
            "object and resource definitions (as the gateway's `models.dir`)."},
    {.name = "sink.host", .type = ZL_CONF_STR, .def = "0.0.0.0", ZL_CONF_FIELD(zl_sink_conf_t, host),
     .doc = "Local address of the sink's HTTP endpoint (`/metrics`, `/healthz`, `/readyz`)."},
    {.name = "sink.port", .type = ZL_CONF_INT, .def = "9108", .min = 0, .max = 65535, .aliases = "--port",
     ZL_CONF_FIELD(zl_sink_conf_t, port),
     .doc = "TCP port of the sink's HTTP endpoint; 0 disables it."},
};

const zl_conf_table_t zl_sink_conf_table = ZL_CONF_TABLE("Sink", props);
