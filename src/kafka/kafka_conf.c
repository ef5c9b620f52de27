/* SPDX-License-Identifier: Apache-2.0 */
/* Property tables of kafka_conf.h (data only). */
#include "kafka/kafka_conf.h"

static const zl_conf_prop_t broker_props[] = {
    {.name = "kafka.bootstrap.servers", .type = ZL_CONF_KAFKA, .def = "127.0.0.1:9092",
     .aliases = "--kafka", ZL_CONF_FIELD(zl_kafka_conf_t, bootstrap_servers),
     .doc = "Initial Kafka brokers, as a comma-separated `host:port` list (librdkafka "
            "`bootstrap.servers`)."},
};
const zl_conf_table_t zl_kafka_brokers_conf_table = ZL_CONF_TABLE("Kafka and Schema Registry", broker_props);

static const zl_conf_prop_t kafka_props[] = {
    {.name = "schema.registry.url", .type = ZL_CONF_STR, .def = "http://127.0.0.1:8081",
     .aliases = "--schema-registry", ZL_CONF_FIELD(zl_kafka_conf_t, registry_url),
     .doc = "Base URL of the Confluent-compatible Schema Registry that stores the Avro schemas of the "
            "topics. Only used with `format=avro`. `https://` URLs are verified against the system's "
            "trust store or `schema.registry.ssl.ca.location`."},
    {.name = "schema.registry.ssl.ca.location", .type = ZL_CONF_STR, .def = "",
     ZL_CONF_FIELD(zl_kafka_conf_t, registry_ca),
     .doc = "PEM file of the CA certificate(s) that an `https://` `schema.registry.url` must be signed by. "
            "Empty: the system's trust store."},
    {.name = "schema.registry.ssl.certificate.location", .type = ZL_CONF_STR, .def = "",
     ZL_CONF_FIELD(zl_kafka_conf_t, registry_cert),
     .doc = "PEM client certificate presented to the Schema Registry over HTTPS (for a registry that "
            "requires one, e.g. `zeelos registry` with `registry.tls.ca`). Needs "
            "`schema.registry.ssl.key.location`."},
    {.name = "schema.registry.ssl.key.location", .type = ZL_CONF_STR, .def = "",
     ZL_CONF_FIELD(zl_kafka_conf_t, registry_key),
     .doc = "PEM private key (unencrypted) of `schema.registry.ssl.certificate.location`."},
    {.name = "schema.registry.basic.auth.user.info", .type = ZL_CONF_STR, .def = "",
     ZL_CONF_FIELD(zl_kafka_conf_t, registry_userinfo),
     .doc = "`user:password` sent to the Schema Registry with HTTP basic authentication on every request "
            "(Confluent's `basic.auth.user.info`). Prefer the environment variable or a configuration "
            "file over the command line, which other local users can read; never logged."},
    {.name = "format", .type = ZL_CONF_ENUM, .def = "avro",
     .values = "avro|json", ZL_CONF_FIELD(zl_kafka_conf_t, format),
     .doc = "Encoding of Kafka record values. `avro`: Confluent wire format (magic byte 0, 4-byte "
            "big-endian schema id, Avro binary body) with the schemas registered in "
            "`schema.registry.url`; `json`: one JSON object per record, no registry. `zeelos request` "
            "and `zeelos tail` must use the gateway's format."},
};
zl_sr_opts_t zl_kafka_sr_opts(const zl_kafka_conf_t *kc) {
    return (zl_sr_opts_t){.url = kc->registry_url, .ca = kc->registry_ca, .cert = kc->registry_cert,
                          .key = kc->registry_key, .userinfo = kc->registry_userinfo};
}

const zl_conf_table_t zl_kafka_conf_table = ZL_CONF_TABLE("Kafka and Schema Registry", kafka_props);

static const zl_conf_prop_t producer_props[] = {
    {.name = "kafka.enable.idempotence", .type = ZL_CONF_KAFKA, .def = "true",
     .doc = "Idempotent producer (librdkafka `enable.idempotence`). Retries never duplicate or reorder "
            "the records of a partition, so the events of one device stay in order."},
    {.name = "kafka.acks", .type = ZL_CONF_KAFKA, .def = "all",
     .doc = "Producer acknowledgements (librdkafka `acks`). `all`: a record counts as delivered once "
            "every in-sync replica has it."},
    {.name = "kafka.partitioner", .type = ZL_CONF_KAFKA, .def = "murmur2_random",
     .doc = "Partitioner (librdkafka `partitioner`). `murmur2_random` hashes the record key (the "
            "endpoint name) like the Java client, so every record of a device lands on the same "
            "partition as a Java/Kafka Streams producer would choose; records without a key go to a "
            "random partition."},
    {.name = "kafka.linger.ms", .type = ZL_CONF_KAFKA, .def = "5",
     .doc = "How long the producer waits to fill a batch before sending it, in milliseconds "
            "(librdkafka `linger.ms`)."},
};
const zl_conf_table_t zl_kafka_producer_conf_table = ZL_CONF_TABLE("Kafka and Schema Registry", producer_props);

static const zl_conf_prop_t topics_props[] = {
    {.name = "id", .type = ZL_CONF_STR, .def = "edge1",
     .aliases = "--gw", ZL_CONF_FIELD(zl_topics_conf_t, id),
     .doc = "Gateway id: the LwM2M server's `serverId` and the `<id>` of the default topic names "
            "`iot.<id>.*` (below). `zeelos request`, `zeelos tail` and `zeelos bench` use it to find the "
            "topics of the gateway they talk to. Must be unique among the gateways sharing a Kafka "
            "cluster."},
    {.name = "topic.registrations", .type = ZL_CONF_STR, .def = "iot.${id}.registrations",
     ZL_CONF_FIELD(zl_topics_conf_t, registrations),
     .doc = "Topic of registration events (register, update, deregister, expiry). The record key is "
            "the endpoint name."},
    {.name = "topic.observations", .type = ZL_CONF_STR, .def = "iot.${id}.observations",
     ZL_CONF_FIELD(zl_topics_conf_t, observations),
     .doc = "Topic of values reported by devices (observe notifications). The record key is the "
            "endpoint name."},
    {.name = "topic.management.req", .type = ZL_CONF_STR, .def = "iot.${id}.management.req",
     ZL_CONF_FIELD(zl_topics_conf_t, mgmt_req),
     .doc = "Topic of management requests (read, write, execute, observe, ...) the gateway consumes "
            "and forwards to the device named by the record key. `zeelos request` produces here."},
    {.name = "topic.management.rep", .type = ZL_CONF_STR, .def = "iot.${id}.management.rep",
     ZL_CONF_FIELD(zl_topics_conf_t, mgmt_rep),
     .doc = "Topic of management responses, correlated with their request by `ticket`. The gateway "
            "produces here; `zeelos request` waits here for its answer."},
};
const zl_conf_table_t zl_topics_conf_table = ZL_CONF_TABLE("Topics", topics_props);
