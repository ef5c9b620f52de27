/* The property table (data only; see conf_int.h and conf.c).  To add a
 * property: one entry here, then ZL_NPROPS in conf_int.h, then `make docs`. */
#include "common/conf_int.h"

#include <stdint.h>

static const zl_prop_t props[] = {
    /* General */
    {"id", ZL_PT_STR, "edge1", 0, 0, NULL, "--gw", ZL_CMD_GRT, S_GEN,
     "Gateway id: the LwM2M server's `serverId` and the `<id>` of the default topic names "
     "`iot.<id>.*` (see Topics). `zeelos request` and `zeelos tail` use it to find the topics "
     "of the gateway they talk to. Must be unique among the gateways sharing a Kafka "
     "cluster."},
    {"ep", ZL_PT_STR, "", 0, 0, NULL, NULL, ZL_CMD_DB | ZL_CMD_REQUEST, S_GEN,
     "Endpoint (device) name. `zeelos request`: the device the request is sent to (required). "
     "`zeelos device`: the endpoint name the simulated device registers with, or the name prefix "
     "when `device.count` > 1. Empty: `zeelos device` generates a random 32-hex-digit name per "
     "device, like the seed demo client. `zeelos bench`: the fleet's name prefix (empty: `bench`)."},
    {"log.level", ZL_PT_ENUM, "info", 0, 0, "error|warn|info|debug", NULL, ZL_CMD_ALL, S_GEN,
     "Lowest severity of the log lines written to stderr."},
    {"data.dir", ZL_PT_STR, "./zeelos-data", 0, 0, NULL, NULL, ZL_CMD_GATEWAY, S_GEN,
     "Directory of the gateway's SQLite store, the state that outlives a restart."},
    {"models.dir", ZL_PT_STR, "", 0, 0, NULL, NULL, ZL_CMD_GATEWAY, S_GEN,
     "Directory of OMA DDF XML object definitions (every `*.xml`) loaded at start-up; objects "
     "there override the built-in ones with the same id. Empty: built-in models only. A file "
     "that cannot be read or parsed stops the start-up with `file:line:column` and the reason. "
     "Limits: 1 MiB per file, 4096 objects; DTD entities and external references are refused."},

    /* CoAP */
    {"coap.host", ZL_PT_STR, "0.0.0.0", 0, 0, NULL, NULL, ZL_CMD_GATEWAY, S_COAP,
     "Local address of the gateway's CoAP UDP socket. `0.0.0.0` listens on every IPv4 "
     "interface."},
    {"coap.port", ZL_PT_INT, "5683", 0, 65535, NULL, NULL, ZL_CMD_GATEWAY, S_COAP,
     "UDP port of the gateway's LwM2M server; devices register at `coap://<host>:<port>/rd`. "
     "0 lets the operating system pick a free port."},
    {"coap.ack.timeout.ms", ZL_PT_INT, "2000", 100, 60000, NULL, NULL,
     ZL_CMD_GATEWAY | ZL_CMD_DEVICE, S_COAP,
     "Initial retransmission timeout of confirmable CoAP messages, in milliseconds (RFC 7252 "
     "ACK_TIMEOUT). The first wait is chosen at random between 1 and 1.5 times this value and "
     "doubles with each retransmission."},
    {"coap.max.retransmit", ZL_PT_INT, "4", 0, 20, NULL, NULL, ZL_CMD_GATEWAY | ZL_CMD_DEVICE,
     S_COAP,
     "Retransmissions of a confirmable CoAP message before the peer counts as unreachable (RFC "
     "7252 MAX_RETRANSMIT). With the defaults the sender gives up at most about 93 s after the "
     "first transmission (RFC 7252 MAX_TRANSMIT_WAIT = 2 s × (2^5 − 1) × 1.5)."},
    {"coap.request.timeout.ms", ZL_PT_INT, "60000", 1, 86400000, NULL, NULL, ZL_CMD_GATEWAY,
     S_COAP,
     "How long the gateway waits for a device to answer a management request, in milliseconds. "
     "The clock starts when the request is sent to the device and covers retransmissions and "
     "every block of a block-wise transfer; when it expires the gateway publishes an error "
     "response (TIMEOUT) on `topic.management.rep`."},
    {"coap.max.payload", ZL_PT_INT, "65536", 1024, 16777216, NULL, NULL,
     ZL_CMD_GATEWAY | ZL_CMD_DEVICE, S_COAP,
     "Largest CoAP body, in bytes, reassembled from a block-wise transfer (RFC 7959 Block1 / "
     "Block2). A larger transfer is aborted with 4.13 Request Entity Too Large."},

    /* HTTP */
    {"http.host", ZL_PT_STR, "0.0.0.0", 0, 0, NULL, NULL, ZL_CMD_GATEWAY, S_HTTP,
     "Local address of the HTTP endpoint (`/metrics`, `/healthz`). `0.0.0.0` listens on every "
     "IPv4 interface."},
    {"http.port", ZL_PT_INT, "8080", 0, 65535, NULL, NULL, ZL_CMD_GATEWAY, S_HTTP,
     "TCP port of the HTTP endpoint serving Prometheus metrics on `/metrics` and a liveness "
     "probe on `/healthz`. 0 disables the endpoint."},

    /* Kafka & Schema Registry */
    {"kafka.bootstrap.servers", ZL_PT_KAFKA, "127.0.0.1:9092", 0, 0, NULL, "--kafka", ZL_CMD_GRT,
     S_KAFKA,
     "Initial Kafka brokers, as a comma-separated `host:port` list (librdkafka "
     "`bootstrap.servers`)."},
    {"kafka.enable.idempotence", ZL_PT_KAFKA, "true", 0, 0, NULL, NULL,
     ZL_CMD_GATEWAY | ZL_CMD_REQUEST, S_KAFKA,
     "Idempotent producer (librdkafka `enable.idempotence`). Retries never duplicate or reorder "
     "the records of a partition, so the events of one device stay in order."},
    {"kafka.acks", ZL_PT_KAFKA, "all", 0, 0, NULL, NULL, ZL_CMD_GATEWAY | ZL_CMD_REQUEST, S_KAFKA,
     "Producer acknowledgements (librdkafka `acks`). `all`: a record counts as delivered once "
     "every in-sync replica has it."},
    {"kafka.partitioner", ZL_PT_KAFKA, "murmur2_random", 0, 0, NULL, NULL,
     ZL_CMD_GATEWAY | ZL_CMD_REQUEST, S_KAFKA,
     "Partitioner (librdkafka `partitioner`). `murmur2_random` hashes the record key (the "
     "endpoint name) like the Java client, so every record of a device lands on the same "
     "partition as a Java/Kafka Streams producer would choose; records without a key go to a "
     "random partition."},
    {"kafka.linger.ms", ZL_PT_KAFKA, "5", 0, 0, NULL, NULL, ZL_CMD_GATEWAY | ZL_CMD_REQUEST,
     S_KAFKA,
     "How long the producer waits to fill a batch before sending it, in milliseconds "
     "(librdkafka `linger.ms`)."},
    {"kafka.queue.buffering.max.kbytes", ZL_PT_KAFKA, "65536", 0, 0, NULL, NULL, ZL_CMD_GATEWAY, S_KAFKA,
     "Memory cap of the producer queue in KiB (librdkafka `queue.buffering.max.kbytes`; its own "
     "default is 1 GiB). The gateway turns device data away above 80 % of it (or of "
     "`kafka.queue.buffering.max.messages`) and accepts it again below 60 %: device requests get "
     "5.03 with Max-Age `backpressure.retry.s`, confirmable notifications are left "
     "unacknowledged so the device retransmits them (see docs/KAFKA.md)."},
    {"backpressure.retry.s", ZL_PT_INT, "5", 1, 3600, NULL, NULL, ZL_CMD_GATEWAY, S_KAFKA,
     "Max-Age, in seconds, of the 5.03 answers given to devices while Kafka is behind: how long "
     "a device should wait before it tries again."},
    {"schema.registry.url", ZL_PT_STR, "http://127.0.0.1:8081", 0, 0, NULL, "--schema-registry",
     ZL_CMD_GRT, S_KAFKA,
     "Base URL of the Confluent-compatible Schema Registry that stores the Avro schemas of the "
     "topics. Only used with `format=avro`."},
    {"format", ZL_PT_ENUM, "avro", 0, 0, "avro|json", NULL, ZL_CMD_GRT, S_KAFKA,
     "Encoding of Kafka record values. `avro`: Confluent wire format (magic byte 0, 4-byte "
     "big-endian schema id, Avro binary body) with the schemas registered in "
     "`schema.registry.url`; `json`: one JSON object per record, no registry. `zeelos request` "
     "and `zeelos tail` must use the gateway's format."},

    /* Topics */
    {"topic.registrations", ZL_PT_STR, "iot.${id}.registrations", 0, 0, NULL, NULL, ZL_CMD_GRT,
     S_TOPIC,
     "Topic of registration events (register, update, deregister, expiry). The record key is "
     "the endpoint name."},
    {"topic.observations", ZL_PT_STR, "iot.${id}.observations", 0, 0, NULL, NULL, ZL_CMD_GRT,
     S_TOPIC,
     "Topic of values reported by devices (observe notifications). The record key is the "
     "endpoint name."},
    {"topic.management.req", ZL_PT_STR, "iot.${id}.management.req", 0, 0, NULL, NULL, ZL_CMD_GRT,
     S_TOPIC,
     "Topic of management requests (read, write, execute, observe, ...) the gateway consumes "
     "and forwards to the device named by the record key. `zeelos request` produces here."},
    {"topic.management.rep", ZL_PT_STR, "iot.${id}.management.rep", 0, 0, NULL, NULL, ZL_CMD_GRT,
     S_TOPIC,
     "Topic of management responses, correlated with their request by `ticket`. The gateway "
     "produces here; `zeelos request` waits here for its answer."},

    /* Registrations */
    {"registration.lifetime.default", ZL_PT_INT, "86400", 1, INT32_MAX, NULL, NULL,
     ZL_CMD_GATEWAY, S_REG,
     "Registration lifetime, in seconds, assumed when a device registers without the `lt` "
     "parameter (LwM2M default 86400). A registration not updated within its lifetime "
     "expires."},
    {"registration.expiry.sweep.ms", ZL_PT_INT, "1000", 10, 3600000, NULL, NULL, ZL_CMD_GATEWAY,
     S_REG,
     "Upper bound, in milliseconds, on how late an expiry may be noticed. The gateway keeps one "
     "timer per registration on its timer wheel (8 ms ticks), so expiries fire within one tick "
     "of lastUp + lifetime whatever this value; kept for configuration compatibility."},
    {"observe.cancel", ZL_PT_ENUM, "active", 0, 0, "active|passive", NULL, ZL_CMD_GATEWAY, S_REG,
     "How an observeCancel request ends an observation. `active`: the gateway re-sends the "
     "observation's GET with Observe: 1 (RFC 7641 §3.6), so the device stops at once; "
     "`passive`: the gateway forgets the token and answers the device's next notification with "
     "RST. Observations restored after a restart, and sleeping queue-mode devices, are always "
     "cancelled passively."},
    {"queue.awake.ms", ZL_PT_INT, "93000", 1000, 86400000, NULL, NULL, ZL_CMD_GATEWAY, S_REG,
     "Queue mode (binding with Q): how long, in milliseconds, a device counts as awake after it "
     "last registered or updated (LwM2M's default is MAX_TRANSMIT_WAIT, 93 s). Requests for a "
     "sleeping device wait until it wakes up."},
    {"queue.request.ttl.ms", ZL_PT_INT, "86400000", 1000, INT32_MAX, NULL, NULL, ZL_CMD_GATEWAY, S_REG,
     "Queue mode: how long, in milliseconds, a management request may wait for its sleeping "
     "device. When it passes, the ticket is answered INTERNAL_SERVER_ERROR \"expired in queue\". "
     "Waiting requests are kept in the SQLite store and survive a restart."},

    /* zeelos device */
    {"device.server", ZL_PT_STR, "coap://127.0.0.1:5683", 0, 0, NULL, "--server", ZL_CMD_DB,
     S_DEV, "LwM2M server URI the simulated devices register with (`coap://host:port`)."},
    {"device.count", ZL_PT_INT, "1", 1, 100000, NULL, "--count", ZL_CMD_DB, S_DEV,
     "Number of simulated devices (independent LwM2M clients, each with its own endpoint name "
     "and UDP source port). A fleet prints a status line to stderr every 5 s: registered, "
     "updates, notifications sent, errors."},
    {"device.lifetime", ZL_PT_INT, "30", 1, INT32_MAX, NULL, NULL, ZL_CMD_DB, S_DEV,
     "Registration lifetime, in seconds, the simulated devices announce (`lt`). They send a "
     "registration update before it elapses."},
    {"device.port", ZL_PT_INT, "0", 0, 65535, NULL, NULL, ZL_CMD_DEVICE, S_DEV,
     "Local UDP port of the device socket (device `i` uses `device.port` + `i`). 0: a free "
     "(ephemeral) port chosen by the operating system."},
    {"device.ramp", ZL_PT_INT, "0", 0, 10000000, NULL, NULL, ZL_CMD_DB, S_DEV,
     "Registration ramp of a fleet: new registrations per second over all workers. 0: as fast "
     "as possible. Either way at most 256 registrations per worker are outstanding at a time, "
     "so a slow server is not flooded with retransmissions."},
    {"device.notify.ms", ZL_PT_INT, "1000", 10, 86400000, NULL, NULL, ZL_CMD_DB, S_DEV,
     "How often, in milliseconds, each simulated device's temperature `/3303/0/5700` changes "
     "(and is notified to its observers); `/3303/1` changes at twice this period. The first "
     "change of each device is at a random phase so a fleet does not tick in lockstep."},
    {"device.notify.con", ZL_PT_BOOL, "false", 0, 0, NULL, NULL, ZL_CMD_DB, S_DEV,
     "Send notifications as confirmable (CON) messages, retransmitted until the server "
     "acknowledges them, instead of NON. Retransmission follows `coap.ack.timeout.ms` and "
     "`coap.max.retransmit`, so a gateway under backpressure can hold notifications back "
     "without losing them (`zeelos bench` passes the option to its fleet). At most one "
     "CON notification per observation is in flight; changes meanwhile are not queued: once it "
     "is acknowledged the then-current state is sent (RFC 7641 §4.5.2). One never acknowledged "
     "ends the observation. Either type answered with RST ends it too (the server forgot it). "
     "The fleet status line adds retransmissions, CON notifications timed out and observations "
     "reset by the server."},
    {"device.workers", ZL_PT_INT, "0", 0, 64, NULL, NULL, ZL_CMD_DB, S_DEV,
     "Worker processes a fleet is split over (each with its own event loop, timer wheel and "
     "slice of the devices; one UDP socket per device). 0: `ceil(device.count / 15000)`, which "
     "keeps every worker under a 20,000 open-file limit. Each worker raises its soft "
     "`RLIMIT_NOFILE` to the hard limit and refuses to start if its slice does not fit."},
    {"device.bind", ZL_PT_STR, "", 0, 0, NULL, NULL, ZL_CMD_DB, S_DEV,
     "Comma-separated local addresses the devices' sockets are bound to, assigned round-robin "
     "(device `i` uses address `i mod n`), e.g. `127.0.0.1,127.0.0.2,127.0.0.3`. Empty: the "
     "wildcard address of the server's family (for a server on 127.0.0.1 that is the same as "
     "`127.0.0.1`). Every device needs its own source port and an address has only the "
     "ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`, 28,232 ports by default) to "
     "give, so more than 25,000 devices per address is refused with an error: add addresses "
     "(any 127.0.0.x works on Linux loopback) for bigger fleets."},

    {"device.bench", ZL_PT_BOOL, "false", 0, 0, NULL, NULL, ZL_CMD_DEVICE, S_DEV,
     "Benchmark mode (set by `zeelos bench` for the fleet it starts): `/3303/0/5700` carries the "
     "time the notification is sent, in microseconds since the epoch (a FLOAT: doubles hold "
     "integers up to 2^53 exactly), and `/3303/0/5601` a per-device sequence number that grows "
     "by one with every change of `/3303/0`, every `device.notify.ms`; `/3303/1` does not "
     "change."},

    /* zeelos bench */
    {"bench.duration.s", ZL_PT_INT, "30", 1, 86400, NULL, "--duration", ZL_CMD_BENCH, S_BENCH,
     "How long `zeelos bench` measures notifications, in seconds, once every device is "
     "observed."},
    {"bench.mgmt.rate", ZL_PT_INT, "1000", 0, 1000000, NULL, "--mgmt-rate", ZL_CMD_BENCH, S_BENCH,
     "Target rate of the management phase: reads of `/3/0/0` per second, produced to "
     "`topic.management.req` round-robin over the fleet. 0 skips the phase."},
    {"bench.mgmt.s", ZL_PT_INT, "10", 1, 3600, NULL, "--mgmt-duration", ZL_CMD_BENCH, S_BENCH,
     "Length of the management phase, in seconds."},
    {"bench.fleet", ZL_PT_BOOL, "true", 0, 0, NULL, "--fleet", ZL_CMD_BENCH, S_BENCH,
     "Start the fleet (`zeelos device --device-bench` with the `device.*` options) and stop it "
     "at the end. `--no-fleet`: attach to a running bench-mode fleet named `<ep>-<i>`, `i` < "
     "`device.count` (its registrations are then not measured)."},
    {"bench.gateway.pid", ZL_PT_INT, "0", 0, INT32_MAX, NULL, "--gateway-pid", ZL_CMD_BENCH, S_BENCH,
     "Process id of the gateway whose CPU time and RSS `zeelos bench` samples every second from "
     "`/proc/<pid>/stat` and `/proc/<pid>/status`. 0: not sampled."},
    {"bench.out", ZL_PT_STR, "", 0, 0, NULL, "--out", ZL_CMD_BENCH, S_BENCH,
     "File the results are written to as JSON (the table always goes to stdout). Empty: none."},
    {"bench.drain.ms", ZL_PT_INT, "3000", 0, 600000, NULL, NULL, ZL_CMD_BENCH, S_BENCH,
     "After the measurement window, how long `zeelos bench` keeps consuming so late records "
     "still close their sequence gaps, in milliseconds."},

    /* zeelos request */
    {"ticket", ZL_PT_STR, "", 0, 0, NULL, NULL, ZL_CMD_REQUEST, S_REQ,
     "Correlation id of the management request, echoed in its response on "
     "`topic.management.rep`. Empty: a random ticket is generated."},
    {"request.wait.ms", ZL_PT_INT, "30000", 1, 86400000, NULL, "--timeout-ms", ZL_CMD_REQUEST,
     S_REQ,
     "How long `zeelos request` waits for the response, in milliseconds, before it exits with an "
     "error. If it is shorter than the gateway's `coap.request.timeout.ms`, a slow device makes "
     "the command give up although the gateway later publishes a response."},
    {"type", ZL_PT_ENUM, "STRING", 0, 0, "STRING|INTEGER|FLOAT|BOOLEAN|OPAQUE|TIME|OBJLNK", NULL,
     ZL_CMD_REQUEST, S_REQ,
     "LwM2M data type of the value given to a write request. The value argument is converted "
     "to this type before it is sent."},
    {"mode", ZL_PT_ENUM, "REPLACE", 0, 0, "REPLACE|UPDATE", NULL, ZL_CMD_REQUEST, S_REQ,
     "Write mode. `REPLACE` (CoAP PUT) replaces the whole object instance or resource; `UPDATE` "
     "(CoAP POST) changes only the resources given (LwM2M partial update)."},
    {"depth", ZL_PT_INT, "-1", -1, 3, NULL, NULL, ZL_CMD_REQUEST, S_REQ,
     "Discover depth (LwM2M 1.2, 0-3) sent as the zeelos 1.1 `payload.depth`. -1: none (the "
     "device's default)."},
    {"content.format", ZL_PT_INT, "-1", -1, 65535, NULL, "--cf", ZL_CMD_REQUEST, S_REQ,
     "CoAP content format number for the request (zeelos 1.1 `payload.contentFormatCode`), e.g. "
     "110 SenML JSON, 112 SenML CBOR, 11544 LwM2M CBOR. -1: TLV, or for composite requests "
     "(several comma-separated paths) SenML CBOR."},

    /* zeelos tail */
    {"tail.from.beginning", ZL_PT_BOOL, "false", 0, 0, NULL, "--from-beginning", ZL_CMD_TAIL,
     S_TAIL,
     "Start at the earliest retained record of every partition instead of printing only records "
     "that arrive after the start."},
    {"tail.max.messages", ZL_PT_INT, "0", 0, INT64_MAX, NULL, "--max-messages", ZL_CMD_TAIL, S_TAIL,
     "Exit after printing this many records. 0: run until interrupted."},
};

_Static_assert(sizeof props / sizeof props[0] == ZL_NPROPS, "ZL_NPROPS in conf_int.h");
const zl_prop_t *const zl_props = props;

const char *const zl_sections[10] = {S_GEN, S_COAP, S_HTTP, S_KAFKA, S_TOPIC,
                                     S_REG, S_DEV,  S_REQ,  S_TAIL, S_BENCH};

const zl_cmd_t zl_cmds[5] = {{ZL_CMD_GATEWAY, "gateway"},
               {ZL_CMD_DEVICE, "device"},
               {ZL_CMD_REQUEST, "request"},
               {ZL_CMD_TAIL, "tail"},
               {ZL_CMD_BENCH, "bench"}};
