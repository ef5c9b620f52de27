/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway's own property tables (data only; see gateway.h).  The
 * CoAP, HTTP, Kafka and topic settings come from those modules' tables. */
#include <stdint.h>

#include "roles/gateway/gateway.h"

static const zl_conf_prop_t general[] = {
    {.name = "data.dir", .type = ZL_CONF_STR, .def = "./zeelos-data",
     ZL_CONF_FIELD(zl_gw_conf_t, data_dir),
     .doc = "Directory of the gateway's SQLite store, the state that outlives a restart."},
    {.name = "models.dir", .type = ZL_CONF_STR, .def = "",
     ZL_CONF_FIELD(zl_gw_conf_t, models_dir),
     .doc = "Directory of OMA DDF XML object definitions (every `*.xml`) loaded at start-up; objects "
            "there override the built-in ones with the same id. Empty: built-in models only. A file "
            "that cannot be read or parsed stops the start-up with `file:line:column` and the reason. "
            "Limits: 1 MiB per file, 4096 objects; DTD entities and external references are refused."},
};
const zl_conf_table_t zl_gw_conf_table = ZL_CONF_TABLE("General", general);

static const zl_conf_prop_t coap[] = {
    {.name = "coap.host", .type = ZL_CONF_STR, .def = "0.0.0.0",
     ZL_CONF_FIELD(zl_gw_conf_t, coap_host),
     .doc = "Local address of the gateway's CoAP UDP socket. `0.0.0.0` listens on every IPv4 "
            "interface."},
    {.name = "coap.port", .type = ZL_CONF_INT, .def = "5683", .min = 0, .max = 65535,
     ZL_CONF_FIELD(zl_gw_conf_t, coap_port),
     .doc = "UDP port of the gateway's LwM2M server; devices register at `coap://<host>:<port>/rd`. "
            "0 lets the operating system pick a free port."},
    {.name = "coap.read.coalesce.us", .type = ZL_CONF_INT, .def = "0", .min = 0, .max = 10000,
     ZL_CONF_FIELD(zl_gw_conf_t, read_coalesce_us),
     .doc = "After a loop turn that read fewer than 32 datagrams, pause this long before the next wait, "
            "so that at low rates one wake-up serves several datagrams: less CPU per notification, "
            "at the price of up to this much added latency (for every fd the loop serves). 0: off."},
    {.name = "coap.socket.buffer", .type = ZL_CONF_INT, .def = "33554432", .min = 65536, .max = 1073741824,
     ZL_CONF_FIELD(zl_gw_conf_t, socket_buffer),
     .doc = "Receive (and send) buffer of the gateway's CoAP and coaps sockets, in bytes. It holds the "
            "datagrams that arrive while the loop thread is busy or not scheduled: 32 MiB is about "
            "250 ms of 100,000 small notifications/s. The gateway asks with `SO_RCVBUFFORCE` where it may "
            "(root or `CAP_NET_ADMIN`); otherwise the kernel caps it at `net.core.rmem_max` (often 208 KiB; "
            "raise it with `sysctl -w net.core.rmem_max=33554432`) and the gateway says so at start. "
            "Datagrams dropped for lack of room are counted in `zeelos_coap_socket_drops_total`."},
    {.name = "coap.request.timeout.ms", .type = ZL_CONF_INT, .def = "60000", .min = 1, .max = 86400000,
     ZL_CONF_FIELD(zl_gw_conf_t, request_timeout_ms),
     .doc = "How long the gateway waits for a device to answer a management request, in milliseconds. "
            "The clock starts when the request is sent to the device and covers retransmissions and "
            "every block of a block-wise transfer; when it expires the gateway publishes an error "
            "response (TIMEOUT) on `topic.management.rep`."},
};
const zl_conf_table_t zl_gw_coap_conf_table = ZL_CONF_TABLE("CoAP / LwM2M server", coap);

static const zl_conf_prop_t kafka[] = {
    {.name = "kafka.queue.buffering.max.kbytes", .type = ZL_CONF_KAFKA, .def = "65536",
     .doc = "Memory cap of the producer queue in KiB (librdkafka `queue.buffering.max.kbytes`; its own "
            "default is 1 GiB). The gateway turns device data away above 80 % of it (or of "
            "`kafka.queue.buffering.max.messages`) and accepts it again below 60 %: device requests get "
            "5.03 with Max-Age `backpressure.retry.s`, confirmable notifications are left "
            "unacknowledged so the device retransmits them (see docs/KAFKA.md)."},
    {.name = "kafka.message.timeout.ms", .type = ZL_CONF_KAFKA, .def = "0",
     .doc = "How long librdkafka keeps trying to deliver a record (librdkafka `message.timeout.ms`; its "
            "own default is 300000). 0, the gateway's default: until it is delivered. A record that "
            "times out after it was sent may have been written by the broker, and the spool, which "
            "replays it, would then duplicate it; with no timeout, records sent when the broker went "
            "away are delivered once by the idempotent producer when it is back, while what waits "
            "unsent goes to the spool (`spool.after.ms`, the queue's watermark)."},
    {.name = "backpressure.retry.s", .type = ZL_CONF_INT, .def = "5", .min = 1, .max = 3600,
     ZL_CONF_FIELD(zl_gw_conf_t, retry_after_s),
     .doc = "Max-Age, in seconds, of the 5.03 answers given to devices while Kafka is behind: how long "
            "a device should wait before it tries again."},
    {.name = "management.response.max.bytes", .type = ZL_CONF_INT, .def = "900000", .min = 4096,
     .max = 104857600, ZL_CONF_FIELD(zl_gw_conf_t, mgmt_response_max),
     .doc = "Largest management answer (key + value bytes) the gateway publishes. A bigger one (a read "
            "of a large object) would be refused by the broker (`message.max.bytes`, 1 MB by default) "
            "and the requester would wait forever: it is replaced by a REQUEST_ENTITY_TOO_LARGE answer "
            "saying how big it was, counted in `zeelos_mgmt_responses_too_large_total`. Keep it below "
            "the broker's and the topic's `max.message.bytes`."},
    {.name = "management.ticket.retention.ms", .type = ZL_CONF_INT, .def = "3600000", .min = 60000,
     .max = INT32_MAX, ZL_CONF_FIELD(zl_gw_conf_t, ticket_retention_ms),
     .doc = "How long the gateway remembers a management ticket (and its answer) in its store, so a "
            "request Kafka delivers again after a crash or a consumer restart is not executed twice: "
            "its answer is replayed instead (a request cut off by a crash before its answer is "
            "answered UNKNOWN, not re-executed). It must exceed the time a consumed request can stay "
            "uncommitted (offsets are committed every few seconds while the broker is reachable)."},
    {.name = "topic.create.timeout.ms", .type = ZL_CONF_INT, .def = "10000", .min = 0, .max = 600000,
     ZL_CONF_FIELD(zl_gw_conf_t, topic_create_timeout_ms),
     .doc = "How long the start-up waits for the broker to create the four topics (Admin API "
            "CreateTopics), so consumers can subscribe before the first record. A broker that refuses "
            "or does not answer in time is logged and the gateway starts anyway (topics may still be "
            "auto-created). 0: do not create topics."},
};
const zl_conf_table_t zl_gw_kafka_conf_table = ZL_CONF_TABLE("Kafka and Schema Registry", kafka);

static const zl_conf_prop_t registrations[] = {
    {.name = "registration.lifetime.default", .type = ZL_CONF_INT, .def = "86400", .min = 1, .max = INT32_MAX,
     ZL_CONF_FIELD(zl_gw_conf_t, default_lifetime_s),
     .doc = "Registration lifetime, in seconds, assumed when a device registers without the `lt` "
            "parameter (LwM2M default 86400). A registration not updated within its lifetime "
            "expires."},
    {.name = "registration.expiry.sweep.ms", .type = ZL_CONF_INT, .def = "1000", .min = 10, .max = 3600000,
     .doc = "Upper bound, in milliseconds, on how late an expiry may be noticed. The gateway keeps one "
            "timer per registration on its timer wheel (8 ms ticks), so expiries fire within one tick "
            "of lastUp + lifetime whatever this value; kept for configuration compatibility."},
    {.name = "registration.takeover", .type = ZL_CONF_ENUM, .def = "refuse",
     .values = "refuse|replace", ZL_CONF_FIELD(zl_gw_conf_t, registration_takeover),
     .doc = "What a Register of an endpoint name that is registered from another host does. `refuse`: "
            "4.03 Forbidden, counted in `zeelos_refused_registration_total{reason=\"takeover\"}` (plain CoAP "
            "cannot tell the owner from an impostor; the device gets the name back once the old "
            "registration expires or is de-registered). `replace`: the new registration replaces the old "
            "one, logged and counted in `zeelos_registration_takeovers_total`. A Register from the same "
            "host (a rebooted device on a new port) always replaces. Update and De-register are accepted "
            "only from the exact address that registered."},
    {.name = "observe.cancel", .type = ZL_CONF_ENUM, .def = "active",
     .values = "active|passive", ZL_CONF_FIELD(zl_gw_conf_t, observe_cancel),
     .doc = "How an observeCancel request ends an observation. `active`: the gateway re-sends the "
            "observation's GET with Observe: 1 (RFC 7641 §3.6), so the device stops at once; "
            "`passive`: the gateway forgets the token and answers the device's next notification with "
            "RST. Observations restored after a restart, and sleeping queue-mode devices, are always "
            "cancelled passively."},
    {.name = "observe.reobserve.ms", .type = ZL_CONF_INT, .def = "120000", .min = 1000, .max = 86400000,
     ZL_CONF_FIELD(zl_gw_conf_t, reobserve_ms),
     .doc = "An observation one of whose confirmable notifications the gateway left unacknowledged (Kafka "
            "and the spool could not take it), and that has delivered nothing for this many "
            "milliseconds since, is registered again: the observe GET is re-sent with Observe: 0 and the "
            "same token, since a device that gave up retransmitting (~93 s with CoAP's defaults) drops "
            "the observation (RFC 7641 section 4.5). A device that refuses or does not answer ends the "
            "observation. Counted in `zeelos_observations_reestablished_total`; queue-mode devices are "
            "left alone."},
    {.name = "queue.awake.ms", .type = ZL_CONF_INT, .def = "93000", .min = 1000, .max = 86400000,
     ZL_CONF_FIELD(zl_gw_conf_t, queue_awake_ms),
     .doc = "Queue mode (binding with Q): how long, in milliseconds, a device counts as awake after it "
            "last registered or updated (LwM2M's default is MAX_TRANSMIT_WAIT, 93 s). Requests for a "
            "sleeping device wait until it wakes up."},
    {.name = "queue.request.ttl.ms", .type = ZL_CONF_INT, .def = "86400000", .min = 1000, .max = INT32_MAX,
     ZL_CONF_FIELD(zl_gw_conf_t, queue_ttl_ms),
     .doc = "Queue mode: how long, in milliseconds, a management request may wait for its sleeping "
            "device. When it passes, the ticket is answered INTERNAL_SERVER_ERROR \"expired in queue\". "
            "Waiting requests are kept in the SQLite store and survive a restart."},
};
const zl_conf_table_t zl_gw_reg_conf_table = ZL_CONF_TABLE("Registrations", registrations);

static const zl_conf_prop_t spool[] = {
    {.name = "spool.enabled", .type = ZL_CONF_BOOL, .def = "true", ZL_CONF_FIELD(zl_gw_conf_t, spool_enabled),
     .doc = "Keep on disk what Kafka cannot take: the records the producer has not sent yet once it "
            "has had no delivery report for `spool.after.ms` or its queue passed its high watermark, "
            "records whose delivery failed, and then every new record while the spool holds any, so "
            "order is kept per endpoint. They are replayed in order, with "
            "their original timestamps, once the broker takes records again, and removed as Kafka "
            "acknowledges them. `false`: device data is turned away under backpressure (5.03, "
            "unacknowledged CON notifications) and NON notifications the producer cannot queue are lost "
            "(counted). See docs/RELIABILITY.md."},
    {.name = "spool.after.ms", .type = ZL_CONF_INT, .def = "10000", .min = 100, .max = 86400000,
     ZL_CONF_FIELD(zl_gw_conf_t, spool_after_ms),
     .doc = "How long the producer may go without any delivery report while it holds records before "
            "the records it has not sent yet are moved to the spool (so a gateway crash during a "
            "broker outage loses nothing), in milliseconds. The producer queue passing its high "
            "watermark moves them at once."},
    {.name = "spool.dir", .type = ZL_CONF_STR, .def = "${data.dir}/spool", ZL_CONF_FIELD(zl_gw_conf_t, spool_dir),
     .doc = "Directory of the spool's segment files and its cursor (the first record Kafka has not "
            "acknowledged). Created if missing; what an earlier run left there is replayed first."},
    {.name = "spool.max.bytes", .type = ZL_CONF_INT, .def = "1073741824", .min = 1048576, .max = INT64_MAX,
     ZL_CONF_FIELD(zl_gw_conf_t, spool_max_bytes),
     .doc = "Size cap of the spool on disk, in bytes. What happens beyond it is `spool.overflow`; a disk "
            "that fills up first is treated the same way."},
    {.name = "spool.segment.bytes", .type = ZL_CONF_INT, .def = "16777216", .min = 4096, .max = INT32_MAX,
     ZL_CONF_FIELD(zl_gw_conf_t, spool_segment_bytes),
     .doc = "A new segment file starts once the current one has this many bytes; a segment is deleted "
            "once Kafka acknowledged all its records (and is the unit `drop-oldest` drops)."},
    {.name = "spool.overflow", .type = ZL_CONF_ENUM, .def = "refuse", .values = "refuse|drop-oldest",
     ZL_CONF_FIELD(zl_gw_conf_t, spool_overflow),
     .doc = "When the spool is full (or the disk refuses a write): `refuse` keeps what is spooled and "
            "turns new device data away (5.03 + Max-Age `backpressure.retry.s`, CON notifications left "
            "unacknowledged; NON notifications are lost), counted in `zeelos_spool_refused_total`; "
            "`drop-oldest` deletes the oldest segment to make room, its records counted in "
            "`zeelos_spool_dropped_total`."},
    {.name = "spool.replay.window", .type = ZL_CONF_INT, .def = "1000", .min = 1, .max = 1000000,
     ZL_CONF_FIELD(zl_gw_conf_t, spool_window),
     .doc = "Records replayed from the spool and not yet acknowledged by Kafka, at most. A failed "
            "delivery stops the replay; once the window is empty it starts again (after 1 s) from the "
            "first unacknowledged record, skipping those Kafka acknowledged meanwhile."},
};
const zl_conf_table_t zl_gw_spool_conf_table = ZL_CONF_TABLE("Spool", spool);

static const zl_conf_prop_t dtls[] = {
    {.name = "coaps.port", .type = ZL_CONF_INT, .def = "5684", .min = -1, .max = 65535,
     ZL_CONF_FIELD(zl_gw_conf_t, coaps_port),
     .doc = "UDP port of the LwM2M server over DTLS 1.2 (`coaps://<coap.host>:<port>`); -1 turns it "
            "off, 0 lets the operating system pick one. PSK needs nothing else; certificate cipher "
            "suites need `dtls.cert` and `dtls.key`. See docs/SECURITY.md."},
    {.name = "dtls.cert", .type = ZL_CONF_STR, .def = "", ZL_CONF_FIELD(zl_gw_conf_t, dtls_cert),
     .doc = "PEM certificate chain of the gateway's DTLS server (ECDSA P-256 for the LwM2M "
            "ECDHE-ECDSA suites). Empty: PSK only."},
    {.name = "dtls.key", .type = ZL_CONF_STR, .def = "", ZL_CONF_FIELD(zl_gw_conf_t, dtls_key),
     .doc = "PEM private key of `dtls.cert` (kept readable by the gateway only)."},
    {.name = "dtls.ca", .type = ZL_CONF_STR, .def = "", ZL_CONF_FIELD(zl_gw_conf_t, dtls_ca),
     .doc = "PEM CA certificates that device certificates must chain to. When set, a certificate "
            "handshake without a valid client certificate fails; the subject CN of a device "
            "certificate is its identity and must equal its endpoint name."},
    {.name = "dtls.ciphers", .type = ZL_CONF_STR, .def = "", ZL_CONF_FIELD(zl_gw_conf_t, dtls_ciphers),
     .doc = "OpenSSL cipher list for DTLS. Empty: the LwM2M suites (PSK-AES128-CCM8, "
            "ECDHE-ECDSA-AES128-CCM8) and their AES-128 GCM/CCM/CBC-SHA256 variants."},
    {.name = "dtls.max.handshakes", .type = ZL_CONF_INT, .def = "1000", .min = 1, .max = 1000000,
     ZL_CONF_FIELD(zl_gw_conf_t, dtls_max_handshakes),
     .doc = "DTLS handshakes in progress at once (after the cookie exchange); ClientHellos beyond it "
            "are dropped and counted in `zeelos_dtls_refused_total`: a flood cannot take the memory."},
    {.name = "dtls.max.sessions", .type = ZL_CONF_INT, .def = "200000", .min = 1, .max = 10000000,
     ZL_CONF_FIELD(zl_gw_conf_t, dtls_max_sessions),
     .doc = "DTLS sessions at once (established and in handshake)."},
    {.name = "dtls.handshake.timeout.ms", .type = ZL_CONF_INT, .def = "10000", .min = 100, .max = 600000,
     ZL_CONF_FIELD(zl_gw_conf_t, dtls_handshake_timeout_ms),
     .doc = "A handshake not finished in this time is abandoned (its flights are retransmitted "
            "meanwhile, RFC 6347 4.2.4)."},
    {.name = "dtls.idle.timeout.s", .type = ZL_CONF_INT, .def = "86400", .min = 1, .max = 31536000,
     ZL_CONF_FIELD(zl_gw_conf_t, dtls_idle_timeout_s),
     .doc = "A DTLS session with no datagram for this long is closed and freed; the device "
            "resumes or handshakes again when it next talks (queue-mode devices sleep long: keep "
            "it above their lifetime)."},
    {.name = "security.topic", .type = ZL_CONF_STR, .def = "iot.${id}.security",
     ZL_CONF_FIELD(zl_gw_conf_t, security_topic),
     .doc = "Compacted topic of device credentials (key: endpoint name; value: JSON, see "
            "docs/SECURITY.md; a tombstone removes them), written by `zeelos security`. The gateway "
            "reads it from the start, follows it and keeps a copy in its store; a change closes the "
            "DTLS sessions and removes the registration made under the old credentials. Empty: "
            "credentials from the store only."},
};
const zl_conf_table_t zl_gw_dtls_conf_table = ZL_CONF_TABLE("DTLS and device credentials", dtls);
