/* Configuration.  Why one static table: the flag, environment variable, file
 * key, --help line and docs/CONFIGURATION.md row of a property are all derived
 * from one entry, so they cannot drift apart (test_conf fails when the
 * committed Markdown differs from what the table generates).  Values live in
 * the zl_conf_t handle; string values may reference other properties as
 * ${name}, resolved after every change so getters stay const and cheap.
 * kafka.* keys are passed through verbatim to librdkafka, which validates
 * them; the table only carries zeelos' defaults for a few of them. */
#include "util/conf.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/log.h"

typedef enum {
    ZL_PT_STR,
    ZL_PT_INT,
    ZL_PT_BOOL,
    ZL_PT_ENUM,
    ZL_PT_KAFKA, /* kafka.* passthrough key with a zeelos default */
} zl_ptype_t;

enum { ZL_CMD_GATEWAY = 1, ZL_CMD_DEVICE = 2, ZL_CMD_REQUEST = 4, ZL_CMD_TAIL = 8, ZL_CMD_BENCH = 16,
       ZL_CMD_ALL = 31 };
#define ZL_CMD_GRT (ZL_CMD_GATEWAY | ZL_CMD_REQUEST | ZL_CMD_TAIL | ZL_CMD_BENCH)
#define ZL_CMD_DB (ZL_CMD_DEVICE | ZL_CMD_BENCH)

typedef struct {
    const char *name;
    zl_ptype_t type;
    const char *def;
    int64_t min, max;    /* ZL_PT_INT only */
    const char *values;  /* ZL_PT_ENUM: allowed values, '|' separated, canonical spelling */
    const char *aliases; /* extra flags, ' ' separated ("--gw") */
    unsigned cmds;       /* ZL_CMD_* bits: which commands read it */
    const char *section;
    const char *doc; /* first sentence = --help text; Markdown backticks allowed */
} zl_prop_t;

#define S_GEN "General"
#define S_COAP "CoAP / LwM2M server"
#define S_HTTP "HTTP endpoint"
#define S_KAFKA "Kafka and Schema Registry"
#define S_TOPIC "Topics"
#define S_REG "Registrations"
#define S_DEV "zeelos device"
#define S_REQ "zeelos request"
#define S_TAIL "zeelos tail"
#define S_BENCH "zeelos bench"

static const zl_prop_t zl_props[] = {
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

#define ZL_NPROPS (sizeof zl_props / sizeof zl_props[0])
#define ZL_CONF_MAX_FILE (1u << 20) /* a properties file is small; stops /dev/zero */

static const char *const zl_sections[] = {S_GEN,   S_COAP, S_HTTP, S_KAFKA, S_TOPIC,
                                          S_REG,   S_DEV,  S_REQ,  S_TAIL, S_BENCH};
static const struct {
    unsigned bit;
    const char *name;
} zl_cmds[] = {{ZL_CMD_GATEWAY, "gateway"},
               {ZL_CMD_DEVICE, "device"},
               {ZL_CMD_REQUEST, "request"},
               {ZL_CMD_TAIL, "tail"},
               {ZL_CMD_BENCH, "bench"}};

typedef struct {
    char *key; /* full key, "kafka.acks" */
    char *value;
} zl_kv_t;

struct zl_conf {
    char *raw[ZL_NPROPS];   /* canonical text as set (NULL for ZL_PT_KAFKA) */
    char *exp[ZL_NPROPS];   /* ${name} references resolved */
    int64_t num[ZL_NPROPS]; /* INT value, BOOL 0/1, ENUM index */
    bool set[ZL_NPROPS];    /* set by a file, env or flag */
    bool help;
    zl_kv_t *kafka;
    size_t n_kafka, cap_kafka;
};

/* ---- small helpers ------------------------------------------------------- */

static void zl_msg(char *errstr, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void zl_msg(char *errstr, size_t n, const char *fmt, ...) {
    if (!errstr || !n) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, n, fmt, ap);
    va_end(ap);
}

/* Prefixes errstr in place: "<prefix><errstr>". */
static void zl_msg_prefix(char *errstr, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void zl_msg_prefix(char *errstr, size_t n, const char *fmt, ...) {
    if (!errstr || !n) return;
    char *old = strdup(errstr);
    char pre[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    snprintf(errstr, n, "%s%s", pre, old ? old : "");
    free(old);
}

static int zl_prop_find(const char *name) {
    for (size_t i = 0; i < ZL_NPROPS; i++)
        if (strcmp(zl_props[i].name, name) == 0) return (int)i;
    return -1;
}

static int zl_prop_find_n(const char *name, size_t len) {
    for (size_t i = 0; i < ZL_NPROPS; i++)
        if (strlen(zl_props[i].name) == len && memcmp(zl_props[i].name, name, len) == 0) return (int)i;
    return -1;
}

/* "--coap-port" for coap.port. */
static void zl_prop_flag(const zl_prop_t *p, char *out, size_t n) {
    snprintf(out, n, "--%s", p->name);
    for (char *s = out + 2; *s; s++)
        if (*s == '.') *s = '-';
}

/* "ZEELOS_COAP_PORT" for coap.port. */
static void zl_prop_env(const zl_prop_t *p, char *out, size_t n) {
    snprintf(out, n, "ZEELOS_%s", p->name);
    for (char *s = out; *s; s++)
        *s = (*s == '.' || *s == '-') ? '_' : (char)toupper((unsigned char)*s);
}

/* Finds the property whose flag or alias equals flag[0..len). */
static int zl_flag_find(const char *flag, size_t len) {
    char f[128];
    for (size_t i = 0; i < ZL_NPROPS; i++) {
        zl_prop_flag(&zl_props[i], f, sizeof f);
        if (strlen(f) == len && memcmp(f, flag, len) == 0) return (int)i;
        const char *a = zl_props[i].aliases;
        while (a && *a) {
            size_t al = strcspn(a, " ");
            if (al == len && memcmp(a, flag, len) == 0) return (int)i;
            a += al;
            while (*a == ' ') a++;
        }
    }
    return -1;
}

static const char *zl_trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    size_t l = strlen(s);
    while (l && isspace((unsigned char)s[l - 1])) s[--l] = 0;
    return s;
}

/* ---- kafka passthrough ----------------------------------------------------- */

static bool zl_kafka_key_ok(const char *key) {
    if (strncmp(key, "kafka.", 6) != 0 || !key[6]) return false;
    for (const char *s = key + 6; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-') return false;
    return true;
}

static zl_err_t zl_kafka_put(zl_conf_t *c, const char *key, const char *value) {
    char *v = strdup(value);
    if (!v) return ZL_ERR_NOMEM;
    for (size_t i = 0; i < c->n_kafka; i++)
        if (strcmp(c->kafka[i].key, key) == 0) {
            free(c->kafka[i].value);
            c->kafka[i].value = v;
            return ZL_OK;
        }
    if (c->n_kafka == c->cap_kafka) {
        size_t cap = c->cap_kafka ? c->cap_kafka * 2 : 16;
        zl_kv_t *k = realloc(c->kafka, cap * sizeof *k);
        if (!k) {
            free(v);
            return ZL_ERR_NOMEM;
        }
        c->kafka = k;
        c->cap_kafka = cap;
    }
    char *k = strdup(key);
    if (!k) {
        free(v);
        return ZL_ERR_NOMEM;
    }
    c->kafka[c->n_kafka].key = k;
    c->kafka[c->n_kafka].value = v;
    c->n_kafka++;
    return ZL_OK;
}

/* ---- ${name} expansion ------------------------------------------------------- */

/* Appends the expansion of raw[i] to *out (malloc'd; *len used, *cap allocated). */
static zl_err_t zl_expand_into(const zl_conf_t *c, size_t i, int depth, char **out, size_t *len,
                               size_t *cap, char *msg, size_t n) {
    if (depth > 8) {
        zl_msg(msg, n, "reference cycle through '${%s}'", zl_props[i].name);
        return ZL_ERR_INVALID;
    }
    const char *s = c->raw[i] ? c->raw[i] : "";
    while (*s) {
        if (s[0] == '$' && s[1] == '{') {
            const char *end = strchr(s + 2, '}');
            if (!end) {
                zl_msg(msg, n, "unterminated '${' in '%s'", c->raw[i]);
                return ZL_ERR_INVALID;
            }
            int ref = zl_prop_find_n(s + 2, (size_t)(end - s - 2));
            if (ref < 0 || zl_props[ref].type == ZL_PT_KAFKA) {
                zl_msg(msg, n, "unknown property '%.*s' referenced in '%s'", (int)(end - s - 2),
                       s + 2, c->raw[i]);
                return ZL_ERR_INVALID;
            }
            zl_err_t e = zl_expand_into(c, (size_t)ref, depth + 1, out, len, cap, msg, n);
            if (e) return e;
            s = end + 1;
            continue;
        }
        const char *nx = strstr(s + 1, "${");
        size_t plen = nx ? (size_t)(nx - s) : strlen(s);
        if (*len + plen + 1 > *cap) {
            size_t nc = (*len + plen + 1) * 2;
            char *r = realloc(*out, nc);
            if (!r) return ZL_ERR_NOMEM;
            *out = r;
            *cap = nc;
        }
        memcpy(*out + *len, s, plen);
        *len += plen;
        (*out)[*len] = 0;
        s += plen;
    }
    return ZL_OK;
}

/* Recomputes exp[] for every string property; all or nothing. */
static zl_err_t zl_expand_all(zl_conf_t *c, char *msg, size_t n) {
    char *fresh[ZL_NPROPS] = {0};
    zl_err_t e = ZL_OK;
    for (size_t i = 0; i < ZL_NPROPS && !e; i++) {
        if (zl_props[i].type == ZL_PT_KAFKA) continue;
        if (zl_props[i].type != ZL_PT_STR) {
            fresh[i] = strdup(c->raw[i]);
            if (!fresh[i]) e = ZL_ERR_NOMEM;
            continue;
        }
        size_t len = 0, cap = 16;
        fresh[i] = malloc(cap);
        if (!fresh[i]) {
            e = ZL_ERR_NOMEM;
            break;
        }
        fresh[i][0] = 0;
        e = zl_expand_into(c, i, 0, &fresh[i], &len, &cap, msg, n);
    }
    for (size_t i = 0; i < ZL_NPROPS; i++) {
        if (e) {
            free(fresh[i]);
        } else if (zl_props[i].type != ZL_PT_KAFKA) {
            free(c->exp[i]);
            c->exp[i] = fresh[i];
        }
    }
    if (e == ZL_ERR_NOMEM) zl_msg(msg, n, "out of memory");
    return e;
}

/* ---- value parsing ----------------------------------------------------------- */

static bool zl_parse_bool(const char *v, bool *out) {
    static const char *const t[] = {"true", "yes", "on", "1"}, *const f[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, t[i]) == 0) return *out = true, true;
        if (strcasecmp(v, f[i]) == 0) return *out = false, true;
    }
    return false;
}

/* Index of v in "a|b|c" (case-insensitive), canonical spelling copied to canon. */
static int zl_parse_enum(const char *values, const char *v, char *canon, size_t n) {
    int idx = 0;
    for (const char *a = values; *a; idx++) {
        size_t l = strcspn(a, "|");
        if (strlen(v) == l && strncasecmp(a, v, l) == 0) {
            snprintf(canon, n, "%.*s", (int)l, a);
            return idx;
        }
        a += l;
        if (*a == '|') a++;
    }
    return -1;
}

/* "avro, json" */
static void zl_enum_list(const char *values, char *out, size_t n) {
    size_t o = 0;
    out[0] = 0;
    for (const char *a = values; *a && o + 1 < n; a++) {
        int w = (*a == '|') ? snprintf(out + o, n - o, ", ") : snprintf(out + o, n - o, "%c", *a);
        if (w < 0 || (size_t)w >= n - o) break;
        o += (size_t)w;
    }
}

/* Validates and stores value for table property i; msg names no property. */
static zl_err_t zl_set_prop(zl_conf_t *c, size_t i, const char *value, char *msg, size_t n) {
    const zl_prop_t *p = &zl_props[i];
    char canon[64];
    const char *store = value;
    int64_t num = 0;
    switch (p->type) {
    case ZL_PT_KAFKA:
        c->set[i] = true;
        return zl_kafka_put(c, p->name, value);
    case ZL_PT_STR:
        break;
    case ZL_PT_INT: {
        char *tmp = strdup(value);
        if (!tmp) return ZL_ERR_NOMEM;
        const char *t = zl_trim(tmp);
        char *end = NULL;
        errno = 0;
        long long v = strtoll(t, &end, 10);
        bool ok = *t && end && !*end;
        bool range = errno == ERANGE;
        free(tmp);
        if (!ok) {
            zl_msg(msg, n, "'%s' is not an integer", value);
            return ZL_ERR_INVALID;
        }
        if (range || v < p->min || v > p->max) {
            zl_msg(msg, n, "%s is out of range [%" PRId64 ", %" PRId64 "]", value, p->min, p->max);
            return ZL_ERR_INVALID;
        }
        num = v;
        snprintf(canon, sizeof canon, "%lld", v);
        store = canon;
        break;
    }
    case ZL_PT_BOOL: {
        bool b;
        if (!zl_parse_bool(value, &b)) {
            zl_msg(msg, n, "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)", value);
            return ZL_ERR_INVALID;
        }
        num = b;
        store = b ? "true" : "false";
        break;
    }
    case ZL_PT_ENUM: {
        int idx = zl_parse_enum(p->values, value, canon, sizeof canon);
        if (idx < 0) {
            char list[256];
            zl_enum_list(p->values, list, sizeof list);
            zl_msg(msg, n, "'%s' is not one of: %s", value, list);
            return ZL_ERR_INVALID;
        }
        num = idx;
        store = canon;
        break;
    }
    }
    char *nv = strdup(store);
    if (!nv) return ZL_ERR_NOMEM;
    char *old = c->raw[i];
    c->raw[i] = nv;
    zl_err_t e = zl_expand_all(c, msg, n);
    if (e) {
        c->raw[i] = old;
        free(nv);
        char dummy[8];
        zl_expand_all(c, dummy, sizeof dummy);
        return e;
    }
    free(old);
    c->num[i] = num;
    c->set[i] = true;
    return ZL_OK;
}

/* ---- public API ---------------------------------------------------------------- */

zl_conf_t *zl_conf_new(void) {
    zl_conf_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    char msg[256];
    for (size_t i = 0; i < ZL_NPROPS; i++) {
        if (zl_props[i].type == ZL_PT_KAFKA) {
            if (zl_kafka_put(c, zl_props[i].name, zl_props[i].def)) goto fail;
            continue;
        }
        c->raw[i] = strdup(zl_props[i].def);
        if (!c->raw[i]) goto fail;
    }
    if (zl_expand_all(c, msg, sizeof msg)) goto fail;
    /* Parse the defaults through the setter so num[] is right (and the
     * table is self-checked: a bad default fails every zl_conf_new). */
    for (size_t i = 0; i < ZL_NPROPS; i++) {
        if (zl_props[i].type == ZL_PT_KAFKA || zl_props[i].type == ZL_PT_STR) continue;
        if (zl_set_prop(c, i, zl_props[i].def, msg, sizeof msg)) {
            ZL_ERROR("conf", "bad default for %s: %s", zl_props[i].name, msg);
            goto fail;
        }
        c->set[i] = false;
    }
    return c;
fail:
    zl_conf_destroy(c);
    return NULL;
}

void zl_conf_destroy(zl_conf_t *c) {
    if (!c) return;
    for (size_t i = 0; i < ZL_NPROPS; i++) {
        free(c->raw[i]);
        free(c->exp[i]);
    }
    for (size_t i = 0; i < c->n_kafka; i++) {
        free(c->kafka[i].key);
        free(c->kafka[i].value);
    }
    free(c->kafka);
    free(c);
}

zl_err_t zl_conf_set(zl_conf_t *c, const char *name, const char *value, char *errstr, size_t n) {
    if (!c || !name || !value) {
        zl_msg(errstr, n, "missing property name or value");
        return ZL_ERR_INVALID;
    }
    int i = zl_prop_find(name);
    if (i < 0) {
        if (strncmp(name, "kafka.", 6) == 0) {
            if (!zl_kafka_key_ok(name)) {
                zl_msg(errstr, n, "invalid kafka property name '%s'", name);
                return ZL_ERR_INVALID;
            }
            zl_err_t e = zl_kafka_put(c, name, value);
            if (e) zl_msg(errstr, n, "out of memory");
            return e;
        }
        zl_msg(errstr, n, "unknown property '%s'", name);
        return ZL_ERR_NOT_FOUND;
    }
    zl_err_t e = zl_set_prop(c, (size_t)i, value, errstr, n);
    if (e) zl_msg_prefix(errstr, n, "%s: ", name);
    return e;
}

zl_err_t zl_conf_load_string(zl_conf_t *c, const char *text, size_t len, const char *origin,
                             char *errstr, size_t n) {
    if (!origin) origin = "config";
    size_t pos = 0;
    int line = 0;
    while (pos < len) {
        line++;
        size_t end = pos;
        while (end < len && text[end] != '\n') end++;
        if (memchr(text + pos, 0, end - pos)) {
            zl_msg(errstr, n, "%s:%d: NUL byte in line", origin, line);
            return ZL_ERR_INVALID;
        }
        char *l = strndup(text + pos, end - pos);
        if (!l) return ZL_ERR_NOMEM;
        pos = end + 1;
        char *s = (char *)zl_trim(l);
        if (!*s || *s == '#' || *s == '!') {
            free(l);
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            zl_msg(errstr, n, "%s:%d: expected key=value, got '%s'", origin, line, s);
            free(l);
            return ZL_ERR_INVALID;
        }
        *eq = 0;
        const char *key = zl_trim(s), *value = zl_trim(eq + 1);
        if (!*key) {
            zl_msg(errstr, n, "%s:%d: missing property name before '='", origin, line);
            free(l);
            return ZL_ERR_INVALID;
        }
        zl_err_t e = zl_conf_set(c, key, value, errstr, n);
        free(l);
        if (e) {
            zl_msg_prefix(errstr, n, "%s:%d: ", origin, line);
            return e;
        }
    }
    return ZL_OK;
}

zl_err_t zl_conf_load_file(zl_conf_t *c, const char *path, char *errstr, size_t n) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        zl_msg(errstr, n, "cannot open config file '%s': %s", path, strerror(errno));
        return ZL_ERR_IO;
    }
    char *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            size_t nc = cap ? cap * 2 : 8192;
            char *d = realloc(data, nc);
            if (!d) {
                free(data);
                fclose(f);
                zl_msg(errstr, n, "out of memory reading '%s'", path);
                return ZL_ERR_NOMEM;
            }
            data = d;
            cap = nc;
        }
        size_t r = fread(data + len, 1, cap - len, f);
        len += r;
        if (r == 0) break;
        if (len > ZL_CONF_MAX_FILE) {
            free(data);
            fclose(f);
            zl_msg(errstr, n, "config file '%s' is larger than %u bytes", path, ZL_CONF_MAX_FILE);
            return ZL_ERR_TOO_LARGE;
        }
    }
    bool err = ferror(f);
    fclose(f);
    if (err) {
        free(data);
        zl_msg(errstr, n, "cannot read config file '%s'", path);
        return ZL_ERR_IO;
    }
    zl_err_t e = zl_conf_load_string(c, data, len, path, errstr, n);
    free(data);
    return e;
}

zl_err_t zl_conf_load_env(zl_conf_t *c, char *const *envp, char *errstr, size_t n) {
    for (; envp && *envp; envp++) {
        const char *kv = *envp;
        if (strncmp(kv, "ZEELOS_", 7) != 0) continue;
        const char *eq = strchr(kv, '=');
        if (!eq) continue;
        size_t nlen = (size_t)(eq - kv);
        int idx = -1;
        char env[160];
        for (size_t i = 0; i < ZL_NPROPS && idx < 0; i++) {
            zl_prop_env(&zl_props[i], env, sizeof env);
            if (strlen(env) == nlen && memcmp(env, kv, nlen) == 0) idx = (int)i;
        }
        zl_err_t e;
        char name[160];
        if (idx >= 0) {
            e = zl_set_prop(c, (size_t)idx, eq + 1, errstr, n);
        } else if (nlen > 13 && strncmp(kv, "ZEELOS_KAFKA_", 13) == 0 && nlen < sizeof name) {
            snprintf(name, sizeof name, "kafka.%.*s", (int)(nlen - 13), kv + 13);
            for (char *s = name + 6; *s; s++)
                *s = (*s == '_') ? '.' : (char)tolower((unsigned char)*s);
            e = zl_conf_set(c, name, eq + 1, errstr, n);
        } else {
            ZL_WARN("conf", "ignoring unknown environment variable %.*s", (int)nlen, kv);
            continue;
        }
        if (e) {
            zl_msg_prefix(errstr, n, "environment variable %.*s: ", (int)nlen, kv);
            return e;
        }
    }
    return ZL_OK;
}

/* ---- command line ------------------------------------------------------------------- */

typedef enum { ZL_ARG_POS, ZL_ARG_DASHDASH, ZL_ARG_HELP, ZL_ARG_CONFIG, ZL_ARG_PROP, ZL_ARG_X } zl_argkind_t;

typedef struct {
    zl_argkind_t kind;
    int prop;          /* ZL_ARG_PROP */
    const char *value; /* POS word, CONFIG path, PROP value, X key=value */
    const char *flag;  /* as written, for messages */
    int flag_len;
} zl_arg_t;

static void zl_unknown_option(char *errstr, size_t n, const char *flag, int len, const char *cmd) {
    if (cmd)
        zl_msg(errstr, n, "unknown option '%.*s' (see zeelos %s --help)", len, flag, cmd);
    else
        zl_msg(errstr, n, "unknown option '%.*s' (see zeelos --help)", len, flag);
}

/* Classifies argv[*i] (advancing *i past any value it consumes). */
static zl_err_t zl_arg_next(int argc, char **argv, int *i, bool after_dd, const char *cmd,
                            zl_arg_t *a, char *errstr, size_t n) {
    const char *arg = argv[*i];
    memset(a, 0, sizeof *a);
    a->flag = arg;
    a->flag_len = (int)strlen(arg);
    (*i)++;
    if (after_dd || arg[0] != '-' || arg[1] == 0) {
        a->kind = ZL_ARG_POS;
        a->value = arg;
        return ZL_OK;
    }
    if (strcmp(arg, "--") == 0) return a->kind = ZL_ARG_DASHDASH, ZL_OK;
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) return a->kind = ZL_ARG_HELP, ZL_OK;
    if (strncmp(arg, "-X", 2) == 0) {
        a->kind = ZL_ARG_X;
        a->flag_len = 2;
        if (arg[2]) {
            a->value = arg + 2;
        } else if (*i < argc) {
            a->value = argv[(*i)++];
        } else {
            zl_msg(errstr, n, "option '-X' requires a key=value argument");
            return ZL_ERR_INVALID;
        }
        return ZL_OK;
    }
    const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
    size_t flen = eq ? (size_t)(eq - arg) : strlen(arg);
    a->flag_len = (int)flen;
    if (flen == 8 && strncmp(arg, "--config", 8) == 0) {
        a->kind = ZL_ARG_CONFIG;
    } else {
        a->kind = ZL_ARG_PROP;
        a->prop = zl_flag_find(arg, flen);
        if (a->prop < 0 && !eq && strncmp(arg, "--no-", 5) == 0) {
            char pos[128];
            snprintf(pos, sizeof pos, "--%s", arg + 5);
            int p = zl_flag_find(pos, strlen(pos));
            if (p >= 0 && zl_props[p].type == ZL_PT_BOOL) {
                a->prop = p;
                a->value = "false";
                return ZL_OK;
            }
        }
        if (a->prop < 0) {
            zl_unknown_option(errstr, n, arg, (int)flen, cmd);
            return ZL_ERR_INVALID;
        }
        if (zl_props[a->prop].type == ZL_PT_BOOL && !eq) {
            a->value = "true";
            return ZL_OK;
        }
    }
    if (eq) {
        a->value = eq + 1;
    } else if (*i < argc) {
        a->value = argv[(*i)++];
    } else {
        zl_msg(errstr, n, "option '%.*s' requires a value", (int)flen, arg);
        return ZL_ERR_INVALID;
    }
    return ZL_OK;
}

static const char *zl_cmd_name(int argc, char **argv, int first) {
    if (first < 1 || first > argc || !argv[first - 1]) return NULL;
    const char *s = strrchr(argv[first - 1], '/');
    s = s ? s + 1 : argv[first - 1];
    return strcmp(s, "zeelos") == 0 ? NULL : s;
}

zl_err_t zl_conf_parse_args(zl_conf_t *c, int argc, char **argv, int first, char *const *envp,
                            const char **positional, int max_pos, int *n_pos, char *errstr,
                            size_t n) {
    const char *cmd = zl_cmd_name(argc, argv, first);
    zl_arg_t a;
    int npos = 0;
    if (n_pos) *n_pos = 0;
    /* Pass 1: syntax, --help, positional words; files are loaded in order. */
    bool dd = false;
    for (int i = first < 0 ? 0 : first; i < argc;) {
        zl_err_t e = zl_arg_next(argc, argv, &i, dd, cmd, &a, errstr, n);
        if (e) return e;
        if (a.kind == ZL_ARG_HELP) {
            c->help = true;
            return ZL_OK;
        }
        if (a.kind == ZL_ARG_DASHDASH) dd = true;
        if (a.kind == ZL_ARG_POS) {
            if (npos >= max_pos || !positional) {
                zl_msg(errstr, n, "unexpected argument '%s' (see zeelos%s%s --help)", a.value,
                       cmd ? " " : "", cmd ? cmd : "");
                return ZL_ERR_INVALID;
            }
            positional[npos++] = a.value;
            if (n_pos) *n_pos = npos;
        }
    }
    dd = false;
    for (int i = first < 0 ? 0 : first; i < argc;) {
        zl_arg_next(argc, argv, &i, dd, cmd, &a, errstr, n);
        if (a.kind == ZL_ARG_DASHDASH) dd = true;
        if (a.kind != ZL_ARG_CONFIG) continue;
        zl_err_t e = zl_conf_load_file(c, a.value, errstr, n);
        if (e) return e;
    }
    zl_err_t e = zl_conf_load_env(c, envp, errstr, n);
    if (e) return e;
    /* Pass 2: flags, left to right (the last one wins). */
    dd = false;
    for (int i = first < 0 ? 0 : first; i < argc;) {
        zl_arg_next(argc, argv, &i, dd, cmd, &a, errstr, n);
        if (a.kind == ZL_ARG_DASHDASH) dd = true;
        if (a.kind == ZL_ARG_PROP) {
            e = zl_set_prop(c, (size_t)a.prop, a.value, errstr, n);
            if (e) {
                zl_msg_prefix(errstr, n, "option '%.*s': ", a.flag_len, a.flag);
                return e;
            }
        } else if (a.kind == ZL_ARG_X) {
            const char *eq = strchr(a.value, '=');
            if (!eq || eq == a.value) {
                zl_msg(errstr, n, "option '-X' expects key=value, got '%s'", a.value);
                return ZL_ERR_INVALID;
            }
            char *key = strndup(a.value, (size_t)(eq - a.value));
            if (!key) return ZL_ERR_NOMEM;
            e = zl_conf_set(c, zl_trim(key), eq + 1, errstr, n);
            free(key);
            if (e) {
                zl_msg_prefix(errstr, n, "option '-X': ");
                return e;
            }
        }
    }
    return ZL_OK;
}

bool zl_conf_help_requested(const zl_conf_t *c) { return c && c->help; }

/* ---- getters ------------------------------------------------------------------------ */

static size_t zl_must_find(const char *name, const char *fn) {
    int i = zl_prop_find(name);
    if (i < 0 || zl_props[i].type == ZL_PT_KAFKA) {
        ZL_ERROR("conf", "%s: unknown property '%s' (programming error)", fn, name);
        abort();
    }
    return (size_t)i;
}

const char *zl_conf_str(const zl_conf_t *c, const char *name) {
    if (strncmp(name, "kafka.", 6) == 0) {
        for (size_t i = 0; i < c->n_kafka; i++)
            if (strcmp(c->kafka[i].key, name) == 0) return c->kafka[i].value;
        return NULL;
    }
    return c->exp[zl_must_find(name, "zl_conf_str")];
}

int64_t zl_conf_int(const zl_conf_t *c, const char *name) {
    size_t i = zl_must_find(name, "zl_conf_int");
    if (zl_props[i].type == ZL_PT_STR) {
        ZL_ERROR("conf", "zl_conf_int: '%s' is a string property (programming error)", name);
        abort();
    }
    return c->num[i];
}

bool zl_conf_bool(const zl_conf_t *c, const char *name) { return zl_conf_int(c, name) != 0; }

int zl_conf_enum(const zl_conf_t *c, const char *name) { return (int)zl_conf_int(c, name); }

bool zl_conf_is_set(const zl_conf_t *c, const char *name) {
    int i = zl_prop_find(name);
    if (i >= 0) return c->set[i];
    for (size_t k = 0; k < c->n_kafka; k++)
        if (strcmp(c->kafka[k].key, name) == 0) return true;
    return false;
}

void zl_conf_foreach_kafka(const zl_conf_t *c, void (*cb)(const char *k, const char *v, void *ctx),
                           void *ctx) {
    for (size_t i = 0; i < c->n_kafka; i++) cb(c->kafka[i].key + 6, c->kafka[i].value, ctx);
}

static bool zl_secret_key(const char *k) {
    return strstr(k, "password") || strstr(k, "secret") || strstr(k, "sasl.oauthbearer.config");
}

void zl_conf_write_properties(const zl_conf_t *c, FILE *out) {
    for (size_t i = 0; i < ZL_NPROPS; i++)
        if (zl_props[i].type != ZL_PT_KAFKA) fprintf(out, "%s=%s\n", zl_props[i].name, c->raw[i]);
    for (size_t i = 0; i < c->n_kafka; i++)
        fprintf(out, "%s=%s\n", c->kafka[i].key, zl_secret_key(c->kafka[i].key) ? "********" : c->kafka[i].value);
}

/* ---- help and Markdown ------------------------------------------------------------------ */

static void zl_cmd_list(unsigned cmds, char *out, size_t n) {
    size_t o = 0;
    out[0] = 0;
    for (size_t k = 0; k < sizeof zl_cmds / sizeof zl_cmds[0]; k++)
        if (cmds & zl_cmds[k].bit) {
            int w = snprintf(out + o, n - o, "%s%s", o ? ", " : "", zl_cmds[k].name);
            if (w < 0 || (size_t)w >= n - o) break;
            o += (size_t)w;
        }
}

/* "--coap-port", "--id, --gw", "--kafka-bootstrap-servers, --kafka" */
static void zl_flags_text(const zl_prop_t *p, const char *sep, const char *quote, char *out, size_t n) {
    char f[128];
    zl_prop_flag(p, f, sizeof f);
    size_t o = (size_t)snprintf(out, n, "%s%s%s", quote, f, quote);
    const char *a = p->aliases;
    while (a && *a && o < n) {
        size_t al = strcspn(a, " ");
        int w = snprintf(out + o, n - o, "%s%s%.*s%s", sep, quote, (int)al, a, quote);
        if (w < 0) break;
        o += (size_t)w;
        a += al;
        while (*a == ' ') a++;
    }
}

/* Length of the first sentence of doc (up to and including ". "). */
static size_t zl_first_sentence(const char *doc) {
    const char *s = strstr(doc, ". ");
    return s ? (size_t)(s - doc + 1) : strlen(doc);
}

static void zl_write_help_filtered(FILE *out, unsigned cmds) {
    fprintf(out, "Options (every option is also a property: --config FILE, -X name=value, "
                 "ZEELOS_<NAME> environment variables; see docs/CONFIGURATION.md):\n");
    for (size_t s = 0; s < sizeof zl_sections / sizeof zl_sections[0]; s++) {
        bool any = false;
        for (size_t i = 0; i < ZL_NPROPS; i++) {
            const zl_prop_t *p = &zl_props[i];
            if (strcmp(p->section, zl_sections[s]) != 0 || !(p->cmds & cmds)) continue;
            if (!any) fprintf(out, "\n%s:\n", zl_sections[s]);
            any = true;
            char flags[256], left[600], list[256];
            zl_flags_text(p, ", ", "", flags, sizeof flags);
            const char *meta = "VALUE";
            if (p->type == ZL_PT_INT) meta = "N";
            if (p->type == ZL_PT_ENUM) {
                snprintf(list, sizeof list, "%s", p->values);
                meta = list;
            }
            if (p->type == ZL_PT_BOOL)
                snprintf(left, sizeof left, "  %s", flags);
            else
                snprintf(left, sizeof left, "  %s %s", flags, meta);
            if (strlen(left) > 36)
                fprintf(out, "%s\n%-37s", left, "");
            else
                fprintf(out, "%-37s", left);
            size_t sl = zl_first_sentence(p->doc);
            for (size_t k = 0; k < sl; k++)
                if (p->doc[k] != '`') fputc(p->doc[k], out);
            if (p->type != ZL_PT_BOOL) fprintf(out, " (default: %s)", *p->def ? p->def : "\"\"");
            fputc('\n', out);
        }
    }
    fprintf(out, "\nGeneral options:\n"
                 "  --config FILE                       load a properties file (key=value lines)\n"
                 "  -X NAME=VALUE                       set any property, or a kafka.* librdkafka "
                 "property\n"
                 "  -h, --help                          show this help\n");
}

void zl_conf_write_help(FILE *out) { zl_write_help_filtered(out, ZL_CMD_ALL); }

void zl_conf_write_help_cmd(FILE *out, const char *cmd) {
    unsigned bits = ZL_CMD_ALL;
    for (size_t k = 0; cmd && k < sizeof zl_cmds / sizeof zl_cmds[0]; k++)
        if (strcmp(zl_cmds[k].name, cmd) == 0) bits = zl_cmds[k].bit;
    zl_write_help_filtered(out, bits);
}

/* Markdown table cell: '|' escaped, newlines flattened. */
static void zl_md_cell(FILE *out, const char *s) {
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

static void zl_md_type(FILE *out, const zl_prop_t *p) {
    switch (p->type) {
    case ZL_PT_STR:
        fputs("string", out);
        break;
    case ZL_PT_KAFKA:
        fputs("string (librdkafka)", out);
        break;
    case ZL_PT_BOOL:
        fputs("bool", out);
        break;
    case ZL_PT_INT:
        if (p->max == INT64_MAX)
            fprintf(out, "int, ≥ %" PRId64, p->min);
        else
            fprintf(out, "int, %" PRId64 " .. %" PRId64, p->min, p->max);
        break;
    case ZL_PT_ENUM:
        fputs("enum: ", out);
        for (const char *a = p->values; *a;) {
            size_t l = strcspn(a, "|");
            fprintf(out, "%s`%.*s`", a == p->values ? "" : ", ", (int)l, a);
            a += l;
            if (*a == '|') a++;
        }
        break;
    }
}

static void zl_md_row(FILE *out, const zl_prop_t *p) {
    char flags[256], env[160], cmds[128];
    zl_flags_text(p, ", ", "`", flags, sizeof flags);
    zl_prop_env(p, env, sizeof env);
    zl_cmd_list(p->cmds, cmds, sizeof cmds);
    fprintf(out, "| `%s` | %s | `%s` | ", p->name, flags, env);
    zl_md_type(out, p);
    if (*p->def)
        fprintf(out, " | `%s` | %s | ", p->def, cmds);
    else
        fprintf(out, " | (empty) | %s | ", cmds);
    zl_md_cell(out, p->doc);
    fputs(" |\n", out);
}

void zl_conf_write_markdown(FILE *out) {
    fputs("# zeelos configuration\n\n"
          "<!-- Generated from the property table in src/util/conf.c by "
          "scripts/gen-config-doc.sh (or `zeelos config-doc`). Do not edit by hand: "
          "test_conf fails when this file is stale. -->\n\n"
          "Every `zeelos` command (`gateway`, `device`, `request`, `tail`) reads its settings "
          "from one property table. A property can be set in four places; a later one overrides "
          "an earlier one:\n\n"
          "1. the default listed below;\n"
          "2. a properties file given with `--config FILE`: one `name=value` per line, whitespace "
          "around `=` and at both ends of the line is ignored, lines starting with `#` or `!` are "
          "comments, blank lines are skipped. `--config` may be repeated; files are loaded in "
          "order. An unknown property or bad value is reported as `FILE:LINE: ...`;\n"
          "3. an environment variable: `ZEELOS_` followed by the property name in upper case with "
          "`.` and `-` replaced by `_` (`coap.port` → `ZEELOS_COAP_PORT`). Other `ZEELOS_*` "
          "variables are ignored with a warning;\n"
          "4. a command-line flag: `--` followed by the property name with `.` replaced by `-` "
          "(`coap.port` → `--coap-port 5683` or `--coap-port=5683`), an alias listed in the "
          "Flag column, or `-X name=value` (also `-Xname=value`) for any property. When a flag "
          "is repeated the last one wins.\n\n"
          "Value syntax:\n\n"
          "- **int**: decimal, optionally signed; out-of-range values are rejected.\n"
          "- **bool**: `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`. A boolean flag takes no "
          "value (`--from-beginning`); use `--from-beginning=false` or `--no-from-beginning` to "
          "clear it.\n"
          "- **enum**: one of the listed values, case-insensitive.\n"
          "- **string**: may reference another property as `${name}`; references are resolved "
          "when the value is read, after every source was applied. `topic.registrations` "
          "defaults to `iot.${id}.registrations`, so `--id plant7` moves every topic to "
          "`iot.plant7.*`. A reference to an unknown property or a reference cycle is an "
          "error.\n\n"
          "Words that are not options (and every word after `--`) are the command's "
          "arguments. `-h` or `--help` prints the options of a command.\n\n",
          out);

    fputs("## Properties by command\n\n| Command | Properties |\n|---|---|\n", out);
    for (size_t k = 0; k < sizeof zl_cmds / sizeof zl_cmds[0]; k++) {
        fprintf(out, "| `zeelos %s` | ", zl_cmds[k].name);
        bool first = true;
        for (size_t i = 0; i < ZL_NPROPS; i++)
            if (zl_props[i].cmds & zl_cmds[k].bit) {
                fprintf(out, "%s`%s`", first ? "" : ", ", zl_props[i].name);
                first = false;
            }
        fputs(" |\n", out);
    }
    fputc('\n', out);

    for (size_t s = 0; s < sizeof zl_sections / sizeof zl_sections[0]; s++) {
        bool any = false;
        for (size_t i = 0; i < ZL_NPROPS; i++) {
            const zl_prop_t *p = &zl_props[i];
            if (p->type == ZL_PT_KAFKA || strcmp(p->section, zl_sections[s]) != 0) continue;
            if (!any)
                fprintf(out, "## %s\n\n| Property | Flag | Environment | Type | Default | "
                             "Commands | Description |\n|---|---|---|---|---|---|---|\n",
                        zl_sections[s]);
            any = true;
            zl_md_row(out, p);
        }
        if (any) fputc('\n', out);
    }

    fputs("## Kafka client properties (librdkafka passthrough)\n\n"
          "Every property whose name starts with `kafka.` is handed to librdkafka with the prefix "
          "removed (`kafka.security.protocol=SASL_SSL` → `security.protocol=SASL_SSL`). zeelos "
          "does not check these names or values; librdkafka does when the Kafka client is "
          "created, and the command fails with its message. See librdkafka's CONFIGURATION.md "
          "for the list. They are set like any other property: in a `--config` file, with "
          "`-X kafka.name=value`, or with an environment variable `ZEELOS_KAFKA_<NAME>`, where "
          "`<NAME>` is the librdkafka property in upper case with `.` replaced by `_` "
          "(`ZEELOS_KAFKA_SASL_USERNAME` → `kafka.sasl.username`; librdkafka properties whose "
          "name contains `_` cannot be set through the environment). A command hands the same set "
          "to every Kafka client it creates; librdkafka ignores producer-only properties on a "
          "consumer (with a warning) and vice versa.\n\n"
          "zeelos changes these librdkafka defaults; any source above overrides them:\n\n"
          "| Property | Flag | Environment | Type | Default | Commands | Description |\n"
          "|---|---|---|---|---|---|---|\n",
          out);
    for (size_t i = 0; i < ZL_NPROPS; i++)
        if (zl_props[i].type == ZL_PT_KAFKA) zl_md_row(out, &zl_props[i]);
}

int zl_conf_cmd_doc(int argc, char **argv, char **envp) {
    (void)envp;
    if (argc > 2) {
        fprintf(stderr, "usage: zeelos config-doc [OUTPUT.md]\n");
        return 2;
    }
    FILE *out = stdout;
    if (argc == 2) {
        out = fopen(argv[1], "w");
        if (!out) {
            fprintf(stderr, "zeelos config-doc: cannot write '%s': %s\n", argv[1], strerror(errno));
            return 1;
        }
    }
    zl_conf_write_markdown(out);
    int rc = ferror(out) ? 1 : 0;
    if (out != stdout && fclose(out) != 0) rc = 1;
    return rc;
}
