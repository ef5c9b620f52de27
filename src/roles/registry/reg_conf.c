/* SPDX-License-Identifier: Apache-2.0 */
/* Property table of `zeelos registry` (data only; see registry.h). */
#include <stdint.h>

#include "roles/registry/registry.h"

static const zl_conf_prop_t props[] = {
    {.name = "registry.host", .type = ZL_CONF_STR, .def = "0.0.0.0",
     ZL_CONF_FIELD(zl_registry_conf_t, host),
     .doc = "Local address of the registry's HTTP endpoint: the REST API, `/metrics` and `/healthz`. "
            "`0.0.0.0` listens on every IPv4 interface."},
    {.name = "registry.port", .type = ZL_CONF_INT, .def = "8081", .min = 1, .max = 65535,
     .aliases = "--port", ZL_CONF_FIELD(zl_registry_conf_t, port),
     .doc = "TCP port of the registry's HTTP endpoint (Confluent's default, 8081)."},
    {.name = "registry.topic", .type = ZL_CONF_STR, .def = "_schemas",
     .aliases = "--topic", ZL_CONF_FIELD(zl_registry_conf_t, topic),
     .doc = "The Kafka topic that holds the registry's state, in the record format of Confluent's "
            "`kafkastore.topic`. Created at start-up when missing, with one partition and "
            "`cleanup.policy=compact`. Every registry instance reading the same topic serves the same "
            "schemas; replicating the topic replicates the registry."},
    {.name = "registry.compatibility", .type = ZL_CONF_ENUM, .def = "BACKWARD",
     .values = "NONE|BACKWARD|BACKWARD_TRANSITIVE|FORWARD|FORWARD_TRANSITIVE|FULL|FULL_TRANSITIVE",
     ZL_CONF_FIELD(zl_registry_conf_t, compatibility),
     .doc = "Compatibility level of subjects that have none of their own while the global level was never "
            "set through `PUT /config` (Confluent's `schema.compatibility.level`)."},
    {.name = "registry.id.first", .type = ZL_CONF_INT, .def = "1", .min = 1, .max = INT32_MAX,
     ZL_CONF_FIELD(zl_registry_conf_t, first_id),
     .doc = "First schema id of this registry's range: a new schema gets one more than the highest id in "
            "`registry.id.first`..`registry.id.last`, or this. Sites whose registries import each other's "
            "topics (`registry.import.topics`) take disjoint ranges, so an id means one schema everywhere "
            "(docs/REGISTRY.md)."},
    {.name = "registry.id.last", .type = ZL_CONF_INT, .def = "2147483647", .min = 1, .max = INT32_MAX,
     ZL_CONF_FIELD(zl_registry_conf_t, last_id),
     .doc = "Last schema id of this registry's range; registering a new schema fails with 50001 once the "
            "range is used up."},
    {.name = "registry.import.topics", .type = ZL_CONF_STR, .def = "",
     ZL_CONF_FIELD(zl_registry_conf_t, import_topics),
     .doc = "Comma-separated state topics of other registries (e.g. `_schemas.edge1`, replicated to this "
            "cluster by MirrorMaker 2) read besides `registry.topic`: their schemas, subjects and versions "
            "are served here as this registry's own, so records replicated from another site decode with "
            "the local registry. Written only by their own registries; created empty when missing."},
    {.name = "registry.write.timeout.ms", .type = ZL_CONF_INT, .def = "10000", .min = 100, .max = 600000,
     ZL_CONF_FIELD(zl_registry_conf_t, write_timeout_ms),
     .doc = "How long a write (a registration, deletion or setting) waits for Kafka to take its record and "
            "for the registry to read it back before it is answered with error 50002."},
    {.name = "registry.init.timeout.ms", .type = ZL_CONF_INT, .def = "60000", .min = 1000, .max = 3600000,
     ZL_CONF_FIELD(zl_registry_conf_t, init_timeout_ms),
     .doc = "How long the registry may take to read its topic to the end at start-up before it gives up. "
            "Nothing is served before."},
    {.name = "registry.tls.cert", .type = ZL_CONF_STR, .def = "",
     ZL_CONF_FIELD(zl_registry_conf_t, tls_cert),
     .doc = "PEM certificate (chain) of the registry's endpoint: set with `registry.tls.key`, the REST API, "
            "`/metrics` and `/healthz` are served over HTTPS only. Clients then use an `https://` "
            "`schema.registry.url` (with `schema.registry.ssl.ca.location` when the CA is not in the system "
            "trust store)."},
    {.name = "registry.tls.key", .type = ZL_CONF_STR, .def = "",
     ZL_CONF_FIELD(zl_registry_conf_t, tls_key),
     .doc = "PEM private key (unencrypted) of `registry.tls.cert`; keep it mode 0600."},
    {.name = "registry.tls.ca", .type = ZL_CONF_STR, .def = "",
     ZL_CONF_FIELD(zl_registry_conf_t, tls_ca),
     .doc = "PEM CA certificate(s): every request except `GET /metrics` and `GET /healthz` needs a client "
            "certificate signed by one of them, else 403 (the TLS handshake only requests one, so probes "
            "without a certificate still reach `/metrics` and `/healthz`). Needs `registry.tls.cert`. Clients "
            "set `schema.registry.ssl.certificate.location` and `schema.registry.ssl.key.location`."},
    {.name = "registry.auth.users", .type = ZL_CONF_STR, .def = "",
     ZL_CONF_FIELD(zl_registry_conf_t, auth_users),
     .doc = "Users file for HTTP basic authentication: lines `name:hash` (or the console's "
            "`name:role:hash`, so `zeelos console-user` can write it), hash "
            "`$pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>`. Every request that changes state "
            "(POST, PUT, DELETE) then needs a user's credentials, else 401; reads stay open unless "
            "`registry.auth.reads`; `/metrics` and `/healthz` always stay open. Applies besides "
            "`registry.tls.ca` (both are checked when both are set). Clients set "
            "`schema.registry.basic.auth.user.info`. Use it with `registry.tls.cert`: basic auth over plain "
            "HTTP sends passwords in clear text (a warning is logged)."},
    {.name = "registry.auth.reads", .type = ZL_CONF_BOOL, .def = "false",
     ZL_CONF_FIELD(zl_registry_conf_t, auth_reads),
     .doc = "With `registry.auth.users`: GET and HEAD requests (schemas, subjects, config) need credentials "
            "too. Off by default: schemas are not secret, and every consumer reads them."},
};
const zl_conf_table_t zl_registry_conf_table = ZL_CONF_TABLE("Schema Registry", props);
