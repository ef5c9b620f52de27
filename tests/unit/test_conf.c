/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration: binding module tables to typed fields (and the programming
 * errors detected at bind time), defaults, properties files, environment,
 * flags, precedence, aliases, kafka.* passthrough, validation errors,
 * ${name} expansion, --help per command, and the freshness of the committed
 * docs/CONFIGURATION.md. */
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "cmd/cmd.h"
#include "common/conf.h"
#include "roles/gateway/gateway.h"
#include "roles/sim/sim.h"
#include "roles/tools/tools.h"

static char errbuf[512];

static char *write_tmp(const char *text) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/zl_test_conf_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len) len = 0;
    close(fd);
    return path;
}

/* The gateway's tables plus tail's and the simulator's: most properties in
 * one configuration (request's "ep" and "request.wait.ms" would clash). */
typedef struct {
    zl_cmd_log_conf_t log;
    zl_gw_conf_t gw;
    zl_tail_conf_t tail;
    zl_sim_conf_t sim;
} all_t;

static all_t A;

static const zl_conf_part_t all_parts[] = {
    ZL_CONF_PART(all_t, log, zl_cmd_log_table),
    ZL_CONF_PART(all_t, gw, zl_gw_conf_table),
    ZL_CONF_PART(all_t, gw, zl_gw_coap_conf_table),
    ZL_CONF_PART(all_t, gw.coap, zl_coap_conf_table),
    ZL_CONF_PART(all_t, gw.http, zl_http_conf_table),
    ZL_CONF_PART(all_t, gw.kafka, zl_kafka_brokers_conf_table),
    ZL_CONF_PART(all_t, gw.kafka, zl_kafka_conf_table),
    ZL_CONF_PART(all_t, gw.kafka, zl_kafka_producer_conf_table),
    ZL_CONF_PART(all_t, gw, zl_gw_kafka_conf_table),
    ZL_CONF_PART(all_t, gw.topics, zl_topics_conf_table),
    ZL_CONF_PART(all_t, gw, zl_gw_reg_conf_table),
    ZL_CONF_PART(all_t, tail, zl_tail_conf_table),
    ZL_CONF_PART(all_t, sim, zl_sim_fleet_conf_table),
    ZL_CONF_PART(all_t, sim, zl_sim_conf_table),
};
static const zl_conf_cmd_t all_cmd = ZL_CONF_CMD("gateway", all_parts);

static zl_conf_t *new_all(void) {
    memset(&A, 0xa5, sizeof A); /* binding must write every field */
    zl_conf_t *c = zl_conf_new();
    CHECK(c != NULL);
    CHECK_EQ_INT(zl_conf_bind_cmd(c, &all_cmd, &A, errbuf, sizeof errbuf), ZL_OK);
    return c;
}

/* Runs parse_args on a NULL-terminated word list; argv[0] = "gateway". */
static zl_err_t parse(zl_conf_t *c, const char *const *words, char *const *envp, const char **pos,
                      int max_pos, int *n_pos) {
    char *argv[40];
    int argc = 0;
    argv[argc++] = (char *)"gateway";
    for (; *words && argc < 39; words++) argv[argc++] = (char *)*words;
    argv[argc] = NULL;
    errbuf[0] = 0;
    return zl_conf_parse_args(c, argc, argv, 1, envp, pos, max_pos, n_pos, errbuf, sizeof errbuf);
}

static void test_defaults(void) {
    zl_conf_t *c = new_all();
    const zl_gw_conf_t *g = &A.gw;
    CHECK_STR(g->topics.id, "edge1");
    CHECK_EQ_INT(g->coap_port, 5683);
    CHECK_STR(g->coap_host, "0.0.0.0");
    CHECK_EQ_INT(g->coap.ack_timeout_ms, 2000);
    CHECK_EQ_INT(g->coap.max_retransmit, 4);
    CHECK_EQ_INT(g->request_timeout_ms, 60000);
    CHECK_EQ_INT(g->coap.max_payload, 65536);
    CHECK_EQ_INT(g->http.port, 8080);
    CHECK_EQ_INT(g->kafka.format, 0);
    CHECK_EQ_INT(A.log.level, 2);
    CHECK_STR(g->topics.registrations, "iot.edge1.registrations");
    CHECK_STR(g->topics.observations, "iot.edge1.observations");
    CHECK_STR(g->topics.mgmt_req, "iot.edge1.management.req");
    CHECK_STR(g->topics.mgmt_rep, "iot.edge1.management.rep");
    CHECK_STR(A.sim.ep, "");
    CHECK_STR(g->kafka.registry_url, "http://127.0.0.1:8081");
    CHECK_STR(g->kafka.bootstrap_servers, "127.0.0.1:9092");
    CHECK_STR(g->data_dir, "./zeelos-data");
    CHECK_STR(g->models_dir, "");
    CHECK_EQ_INT(g->default_lifetime_s, 86400);
    CHECK_EQ_INT(g->observe_cancel, 0);
    CHECK_EQ_INT(g->queue_awake_ms, 93000);
    CHECK_EQ_INT(g->queue_ttl_ms, 86400000);
    CHECK_EQ_INT(g->retry_after_s, 5);
    CHECK_STR(A.sim.server, "coap://127.0.0.1:5683");
    CHECK_EQ_INT(A.sim.count, 1);
    CHECK_EQ_INT(A.sim.lifetime, 30);
    CHECK_EQ_INT(A.sim.port, 0);
    CHECK(!A.sim.notify_con && !A.sim.bench);
    CHECK(!A.tail.from_beginning);
    CHECK_EQ_INT(A.tail.max_messages, 0);
    CHECK_EQ_INT(A.tail.idle_ms, 0);
    CHECK_STR(zl_conf_kafka(c, "kafka.bootstrap.servers"), "127.0.0.1:9092");
    CHECK_STR(zl_conf_kafka(c, "kafka.enable.idempotence"), "true");
    CHECK_STR(zl_conf_kafka(c, "kafka.acks"), "all");
    CHECK_STR(zl_conf_kafka(c, "kafka.partitioner"), "murmur2_random");
    CHECK_STR(zl_conf_kafka(c, "kafka.linger.ms"), "5");
    CHECK(zl_conf_kafka(c, "kafka.nope") == NULL);
    CHECK(!zl_conf_is_set(c, "coap.port"));
    CHECK(!zl_conf_help_requested(c));
    zl_conf_destroy(c);
}

/* Every command's tables bind without clashes, bad defaults or mistyped fields. */
static void test_commands_bind(void) {
    static alignas(max_align_t) unsigned char buf[16384];
    for (size_t i = 0; i < zl_n_commands; i++) {
        if (!zl_commands[i].conf) continue;
        zl_conf_t *c = zl_conf_new();
        zl_err_t e = zl_conf_bind_cmd(c, zl_commands[i].conf, buf, errbuf, sizeof errbuf);
        if (e) fprintf(stderr, "zeelos %s: %s\n", zl_commands[i].name, errbuf);
        CHECK_EQ_INT(e, ZL_OK);
        zl_conf_destroy(c);
    }
}

typedef struct {
    int n;
    const char *s;
    bool b;
} fake_t;

static void test_bind_errors(void) {
    /* Two tables defining the same name in one command: a programming error. */
    zl_sim_conf_t sim;
    zl_request_conf_t req;
    zl_conf_t *c = zl_conf_new();
    CHECK_EQ_INT(zl_conf_bind(c, &zl_sim_fleet_conf_table, &sim, errbuf, sizeof errbuf), ZL_OK);
    CHECK_EQ_INT(zl_conf_bind(c, &zl_request_conf_table, &req, errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "property 'ep' of table 'zeelos request' is already bound by table 'zeelos device'");
    zl_conf_destroy(c);

    /* The same table twice. */
    c = zl_conf_new();
    CHECK_EQ_INT(zl_conf_bind(c, &zl_sim_conf_table, &sim, errbuf, sizeof errbuf), ZL_OK);
    CHECK_EQ_INT(zl_conf_bind(c, &zl_sim_conf_table, &sim, errbuf, sizeof errbuf), ZL_ERR_INVALID);
    zl_conf_destroy(c);

    /* An alias taken by another table. */
    static const zl_conf_prop_t alias[] = {
        {.name = "other.count", .type = ZL_CONF_INT, .def = "1", .min = 0, .max = 9, .aliases = "--x --count",
         ZL_CONF_FIELD(fake_t, n), .doc = "x"}};
    static const zl_conf_table_t alias_t = ZL_CONF_TABLE("Fake", alias);
    fake_t f;
    c = zl_conf_new();
    CHECK_EQ_INT(zl_conf_bind(c, &zl_sim_fleet_conf_table, &sim, errbuf, sizeof errbuf), ZL_OK);
    CHECK_EQ_INT(zl_conf_bind(c, &alias_t, &f, errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "a flag of property 'other.count' is already taken by 'device.count'");
    zl_conf_destroy(c);

    /* A field whose C type does not fit, a bad default, a kafka name without the kafka type. */
    static const zl_conf_prop_t wrong[] = {
        {.name = "a", .type = ZL_CONF_INT, .def = "1", .min = 0, .max = 9, ZL_CONF_FIELD(fake_t, b),
         .doc = "x"}};
    static const zl_conf_prop_t bad_def[] = {
        {.name = "a", .type = ZL_CONF_INT, .def = "10", .min = 0, .max = 9, ZL_CONF_FIELD(fake_t, n),
         .doc = "x"}};
    static const zl_conf_prop_t kname[] = {{.name = "kafka.x", .type = ZL_CONF_STR, .def = "", .doc = "x"}};
    static const zl_conf_prop_t bad_ref[] = {
        {.name = "a", .type = ZL_CONF_STR, .def = "${b}", ZL_CONF_FIELD(fake_t, s), .doc = "x"}};
    const zl_conf_table_t bad[] = {ZL_CONF_TABLE("W", wrong), ZL_CONF_TABLE("D", bad_def),
                                   ZL_CONF_TABLE("K", kname), ZL_CONF_TABLE("R", bad_ref)};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = zl_conf_new();
        CHECK_EQ_INT(zl_conf_bind(c, &bad[i], &f, errbuf, sizeof errbuf), ZL_ERR_INVALID);
        zl_conf_destroy(c);
    }
    CHECK_STR(errbuf, "table 'R': unknown property 'b' referenced in '${b}'");
}

static void test_file(void) {
    zl_conf_t *c = new_all();
    const char *path = write_tmp("# comment\n"
                                 "! also a comment\n"
                                 "\n"
                                 "   coap.port   =   1234   \n"
                                 "id=plant7\r\n"
                                 "schema.registry.url = http://sr:8081/a=b#c\n"
                                 "kafka.security.protocol=SASL_SSL\n"
                                 "tail.from.beginning = yes\n"
                                 "format=JSON\n"
                                 "ep=\n");
    CHECK(path != NULL);
    CHECK_EQ_INT(zl_conf_load_file(c, path, errbuf, sizeof errbuf), ZL_OK);
    CHECK_EQ_INT(A.gw.coap_port, 1234);
    CHECK(zl_conf_is_set(c, "coap.port"));
    CHECK_STR(A.gw.topics.id, "plant7");
    CHECK_STR(A.gw.topics.observations, "iot.plant7.observations");
    CHECK_STR(A.gw.kafka.registry_url, "http://sr:8081/a=b#c");
    CHECK_STR(zl_conf_kafka(c, "kafka.security.protocol"), "SASL_SSL");
    CHECK(A.tail.from_beginning);
    CHECK_EQ_INT(A.gw.kafka.format, 1);
    CHECK_STR(A.sim.ep, "");
    unlink(path);

    char expect[256];
    path = write_tmp("coap.port=1\n\n# x\nnope.prop = 3\n");
    CHECK_EQ_INT(zl_conf_load_file(c, path, errbuf, sizeof errbuf), ZL_ERR_NOT_FOUND);
    snprintf(expect, sizeof expect, "%s:4: unknown property 'nope.prop'", path);
    CHECK_STR(errbuf, expect);
    unlink(path);

    path = write_tmp("id=a\ncoap.port = 99999\n");
    CHECK_EQ_INT(zl_conf_load_file(c, path, errbuf, sizeof errbuf), ZL_ERR_INVALID);
    snprintf(expect, sizeof expect, "%s:2: coap.port: 99999 is out of range [0, 65535]", path);
    CHECK_STR(errbuf, expect);
    unlink(path);

    path = write_tmp("just words\n");
    CHECK_EQ_INT(zl_conf_load_file(c, path, errbuf, sizeof errbuf), ZL_ERR_INVALID);
    snprintf(expect, sizeof expect, "%s:1: expected key=value, got 'just words'", path);
    CHECK_STR(errbuf, expect);
    unlink(path);

    CHECK_EQ_INT(zl_conf_load_file(c, "/nonexistent/zeelos.properties", errbuf, sizeof errbuf), ZL_ERR_IO);
    CHECK(strstr(errbuf, "/nonexistent/zeelos.properties") != NULL);

    /* In-memory loader: not NUL-terminated, NUL bytes rejected. */
    const char text[] = "coap.port=42\nhttp.port=43";
    CHECK_EQ_INT(zl_conf_load_string(c, text, sizeof text - 1, "mem", errbuf, sizeof errbuf), ZL_OK);
    CHECK_EQ_INT(A.gw.http.port, 43);
    CHECK_EQ_INT(zl_conf_load_string(c, "a=b\0c", 5, "mem", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "mem:1: NUL byte in line");
    zl_conf_destroy(c);
}

static void test_env(void) {
    zl_conf_t *c = new_all();
    char *env[] = {"PATH=/bin", "ZEELOS_COAP_PORT=1234", "ZEELOS_KAFKA_SASL_USERNAME=bob",
                   "ZEELOS_TAIL_FROM_BEGINNING=on", "ZEELOS_LOG_LEVEL=DEBUG",
                   "ZEELOS_COAP_ACK_TIMEOUT_MS=500", "ZEELOS_KAFKA_BOOTSTRAP_SERVERS=k:9", NULL};
    CHECK_EQ_INT(zl_conf_load_env(c, env, errbuf, sizeof errbuf), ZL_OK);
    CHECK_EQ_INT(A.gw.coap_port, 1234);
    CHECK_STR(zl_conf_kafka(c, "kafka.sasl.username"), "bob");
    CHECK(A.tail.from_beginning);
    CHECK_EQ_INT(A.log.level, 3);
    CHECK_EQ_INT(A.gw.coap.ack_timeout_ms, 500);
    CHECK_STR(A.gw.kafka.bootstrap_servers, "k:9");
    CHECK_STR(zl_conf_kafka(c, "kafka.bootstrap.servers"), "k:9");
    char *bad[] = {"ZEELOS_HTTP_PORT=http", NULL};
    CHECK_EQ_INT(zl_conf_load_env(c, bad, errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "environment variable ZEELOS_HTTP_PORT: 'http' is not an integer");
    zl_conf_destroy(c);
}

static void test_precedence(void) {
    const char *path = write_tmp("coap.port=1\nhttp.port=10\ndata.dir=/from/file\nid=fileid\n");
    char cfg[128];
    snprintf(cfg, sizeof cfg, "--config=%s", path);
    char *env[] = {"ZEELOS_COAP_PORT=2", "ZEELOS_HTTP_PORT=11", NULL};
    /* The flag comes before --config on the command line and still wins. */
    const char *words[] = {"--coap-port", "3", cfg, NULL};
    zl_conf_t *c = new_all();
    CHECK_EQ_INT(parse(c, words, env, NULL, 0, NULL), ZL_OK);
    CHECK_EQ_INT(A.gw.coap_port, 3);
    CHECK_EQ_INT(A.gw.http.port, 11);
    CHECK_STR(A.gw.data_dir, "/from/file");
    CHECK_STR(A.gw.topics.registrations, "iot.fileid.registrations");
    zl_conf_destroy(c);

    /* Repeated flags: the last wins; -X counts as a flag. */
    const char *w2[] = {"--coap-port=5", "-X", "coap.port=6", "-Xhttp.port=7", "--http-port", "8", NULL};
    c = new_all();
    CHECK_EQ_INT(parse(c, w2, env, NULL, 0, NULL), ZL_OK);
    CHECK_EQ_INT(A.gw.coap_port, 6);
    CHECK_EQ_INT(A.gw.http.port, 8);
    zl_conf_destroy(c);
    unlink(path);
}

/* request's table, bound as `zeelos request` binds it. */
static zl_request_conf_t R;
static zl_cmd_log_conf_t RL;

static zl_conf_t *new_request(void) {
    zl_conf_t *c = zl_conf_new();
    CHECK_EQ_INT(zl_conf_bind(c, &zl_cmd_log_table, &RL, errbuf, sizeof errbuf), ZL_OK);
    CHECK_EQ_INT(zl_conf_bind(c, &zl_kafka_brokers_conf_table, &R.kafka, errbuf, sizeof errbuf), ZL_OK);
    CHECK_EQ_INT(zl_conf_bind(c, &zl_kafka_conf_table, &R.kafka, errbuf, sizeof errbuf), ZL_OK);
    CHECK_EQ_INT(zl_conf_bind(c, &zl_kafka_producer_conf_table, NULL, errbuf, sizeof errbuf), ZL_OK);
    CHECK_EQ_INT(zl_conf_bind(c, &zl_topics_conf_table, &R.topics, errbuf, sizeof errbuf), ZL_OK);
    CHECK_EQ_INT(zl_conf_bind(c, &zl_request_conf_table, &R, errbuf, sizeof errbuf), ZL_OK);
    return c;
}

static void test_aliases_and_bools(void) {
    const char *words[] = {"--gw", "g2", "--kafka", "b1:9092,b2:9092", "--schema-registry",
                           "http://sr", "--timeout-ms=100", "--from-beginning", "--max-messages",
                           "7", "--count", "3", "--server", "coap://x:1", "--data-dir", "/d",
                           "--ep", "dev1", NULL};
    zl_conf_t *c = new_all();
    CHECK_EQ_INT(parse(c, words, NULL, NULL, 0, NULL), ZL_OK);
    CHECK_STR(A.gw.topics.id, "g2");
    CHECK_STR(zl_conf_kafka(c, "kafka.bootstrap.servers"), "b1:9092,b2:9092");
    CHECK_STR(A.gw.kafka.registry_url, "http://sr");
    CHECK_EQ_INT(A.tail.idle_ms, 100);
    CHECK(A.tail.from_beginning);
    CHECK_EQ_INT(A.tail.max_messages, 7);
    CHECK_EQ_INT(A.sim.count, 3);
    CHECK_STR(A.sim.server, "coap://x:1");
    CHECK_STR(A.gw.data_dir, "/d");
    CHECK_STR(A.sim.ep, "dev1");
    zl_conf_destroy(c);

    const char *wr[] = {"--type", "integer", "--mode", "update", "--ep", "dev1", "--ticket", "t1",
                        "--timeout-ms", "100", "--cf", "112", "--depth", "2", NULL};
    c = new_request();
    CHECK_EQ_INT(parse(c, wr, NULL, NULL, 0, NULL), ZL_OK);
    CHECK_EQ_INT(R.type, 1);
    CHECK_EQ_INT(R.mode, 1);
    CHECK_STR(R.ep, "dev1");
    CHECK_STR(R.ticket, "t1");
    CHECK_EQ_INT(R.wait_ms, 100);
    CHECK_EQ_INT(R.content_format, 112);
    CHECK_EQ_INT(R.depth, 2);
    const char *wg[] = {"--data-dir", "/d", NULL}; /* a gateway property: not request's */
    CHECK_EQ_INT(parse(c, wg, NULL, NULL, 0, NULL), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "unknown option '--data-dir' (see zeelos gateway --help)");
    zl_conf_destroy(c);

    /* Bool flags take no value; "true" after one is a positional word. */
    const char *pos[4];
    int np = -1;
    const char *w2[] = {"--from-beginning", "true", NULL};
    c = new_all();
    CHECK_EQ_INT(parse(c, w2, NULL, pos, 4, &np), ZL_OK);
    CHECK(A.tail.from_beginning);
    CHECK_EQ_INT(np, 1);
    CHECK_STR(pos[0], "true");
    zl_conf_destroy(c);

    const char *w3[] = {"--from-beginning", "--from-beginning=false", NULL};
    c = new_all();
    CHECK_EQ_INT(parse(c, w3, NULL, NULL, 0, NULL), ZL_OK);
    CHECK(!A.tail.from_beginning);
    zl_conf_destroy(c);

    const char *w4[] = {"--tail-from-beginning", "--no-from-beginning", NULL};
    c = new_all();
    CHECK_EQ_INT(parse(c, w4, NULL, NULL, 0, NULL), ZL_OK);
    CHECK(!A.tail.from_beginning);
    zl_conf_destroy(c);

    const char *w5[] = {"--from-beginning=maybe", NULL};
    c = new_all();
    CHECK_EQ_INT(parse(c, w5, NULL, NULL, 0, NULL), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "option '--from-beginning': 'maybe' is not a boolean (true/false, yes/no, on/off, 1/0)");
    zl_conf_destroy(c);
}

static void collect(const char *k, const char *v, void *ctx) {
    char *out = ctx;
    size_t l = strlen(out);
    snprintf(out + l, 1024 - l, "%s=%s;", k, v);
}

static void test_kafka(void) {
    zl_conf_t *c = new_all();
    char *env[] = {"ZEELOS_KAFKA_CLIENT_ID=zc", NULL};
    const char *words[] = {"-X", "kafka.acks=1", "-X", "kafka.sasl.mechanism=PLAIN", NULL};
    CHECK_EQ_INT(parse(c, words, env, NULL, 0, NULL), ZL_OK);
    CHECK_EQ_INT(zl_conf_set(c, "kafka.linger.ms", "50", errbuf, sizeof errbuf), ZL_OK);
    char out[1024] = "";
    zl_conf_foreach_kafka(c, collect, out);
    CHECK_STR(out, "bootstrap.servers=127.0.0.1:9092;enable.idempotence=true;acks=1;"
                   "partitioner=murmur2_random;linger.ms=50;queue.buffering.max.kbytes=65536;message.timeout.ms=0;"
                   "client.id=zc;sasl.mechanism=PLAIN;");
    CHECK(zl_conf_is_set(c, "kafka.client.id"));
    CHECK(zl_conf_is_set(c, "kafka.acks"));
    CHECK_EQ_INT(zl_conf_set(c, "kafka.", "x", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_conf_set(c, "kafka.a b", "x", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    /* A kafka.* key of a table writes its field too. */
    CHECK_EQ_INT(zl_conf_set(c, "kafka.bootstrap.servers", "h:1", errbuf, sizeof errbuf), ZL_OK);
    CHECK_STR(A.gw.kafka.bootstrap_servers, "h:1");
    zl_conf_destroy(c);
}

static void test_errors(void) {
    zl_conf_t *c = new_all();
    CHECK_EQ_INT(zl_conf_set(c, "nope", "1", errbuf, sizeof errbuf), ZL_ERR_NOT_FOUND);
    CHECK_STR(errbuf, "unknown property 'nope'");
    CHECK_EQ_INT(zl_conf_set(c, "coap.port", "-1", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "coap.port: -1 is out of range [0, 65535]");
    CHECK_EQ_INT(zl_conf_set(c, "coap.port", "12ab", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "coap.port: '12ab' is not an integer");
    CHECK_EQ_INT(zl_conf_set(c, "coap.port", "", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_conf_set(c, "coap.max.retransmit", "21", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_conf_set(c, "tail.max.messages", "99999999999999999999", errbuf, sizeof errbuf),
                 ZL_ERR_INVALID);
    CHECK_EQ_INT(A.gw.coap_port, 5683); /* unchanged after errors */
    CHECK_EQ_INT(zl_conf_set(c, "format", "xml", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "format: 'xml' is not one of: avro, json");
    CHECK_EQ_INT(zl_conf_set(c, "log.level", "trace", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_EQ_INT(A.gw.kafka.format, 0);

    const char *w1[] = {"--foo", NULL};
    CHECK_EQ_INT(parse(c, w1, NULL, NULL, 0, NULL), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "unknown option '--foo' (see zeelos gateway --help)");
    const char *w2[] = {"--foo=bar", NULL};
    CHECK_EQ_INT(parse(c, w2, NULL, NULL, 0, NULL), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "unknown option '--foo' (see zeelos gateway --help)");
    const char *w3[] = {"-v", NULL};
    CHECK_EQ_INT(parse(c, w3, NULL, NULL, 0, NULL), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "unknown option '-v' (see zeelos gateway --help)");
    const char *w4[] = {"--coap-port", NULL};
    CHECK_EQ_INT(parse(c, w4, NULL, NULL, 0, NULL), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "option '--coap-port' requires a value");
    const char *w5[] = {"--coap-port", "http", NULL};
    CHECK_EQ_INT(parse(c, w5, NULL, NULL, 0, NULL), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "option '--coap-port': 'http' is not an integer");
    const char *w6[] = {"-X", "nope=1", NULL};
    CHECK_EQ_INT(parse(c, w6, NULL, NULL, 0, NULL), ZL_ERR_NOT_FOUND);
    CHECK_STR(errbuf, "option '-X': unknown property 'nope'");
    const char *w7[] = {"-X", "novalue", NULL};
    CHECK_EQ_INT(parse(c, w7, NULL, NULL, 0, NULL), ZL_ERR_INVALID);
    const char *w8[] = {"extra", NULL};
    CHECK_EQ_INT(parse(c, w8, NULL, NULL, 0, NULL), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "unexpected argument 'extra' (see zeelos gateway --help)");
    const char *w9[] = {"--no-coap-port", NULL};
    CHECK_EQ_INT(parse(c, w9, NULL, NULL, 0, NULL), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "unknown option '--no-coap-port' (see zeelos gateway --help)");
    zl_conf_destroy(c);
}

static void test_positional_and_help(void) {
    const char *pos[4];
    int np = -1;
    const char *words[] = {"read", "--ep", "dev", "/3/0/0", "-", "--", "--not-a-flag", NULL};
    zl_conf_t *c = new_all();
    CHECK_EQ_INT(parse(c, words, NULL, pos, 4, &np), ZL_OK);
    CHECK_EQ_INT(np, 4);
    CHECK_STR(pos[0], "read");
    CHECK_STR(pos[1], "/3/0/0");
    CHECK_STR(pos[2], "-");
    CHECK_STR(pos[3], "--not-a-flag");
    CHECK_STR(A.sim.ep, "dev");
    zl_conf_destroy(c);

    /* A word starting with '-' and a digit is a value (no option starts with one),
     * while a flag still takes the negative value after it. */
    const char *wneg[] = {"write", "/3/0/14", "-03:00", "--ep", "-5", "-.5", NULL};
    c = new_all();
    CHECK_EQ_INT(parse(c, wneg, NULL, pos, 4, &np), ZL_OK);
    CHECK_EQ_INT(np, 4);
    CHECK_STR(pos[2], "-03:00");
    CHECK_STR(pos[3], "-.5");
    CHECK_STR(A.sim.ep, "-5");
    zl_conf_destroy(c);

    /* --help wins over everything, even later errors; nothing is applied. */
    const char *w2[] = {"--coap-port", "1", "-h", "--bogus", NULL};
    c = new_all();
    CHECK_EQ_INT(parse(c, w2, NULL, NULL, 0, NULL), ZL_OK);
    CHECK(zl_conf_help_requested(c));
    CHECK_EQ_INT(A.gw.coap_port, 5683);
    zl_conf_destroy(c);

    /* --help lists the bound tables only. */
    static alignas(max_align_t) unsigned char buf[16384];
    const zl_conf_cmd_t *tail = NULL;
    for (size_t i = 0; i < zl_n_commands; i++)
        if (!strcmp(zl_commands[i].name, "tail")) tail = zl_commands[i].conf;
    CHECK(tail != NULL);
    if (!tail) return;
    c = zl_conf_new();
    CHECK_EQ_INT(zl_conf_bind_cmd(c, tail, buf, errbuf, sizeof errbuf), ZL_OK);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    zl_conf_write_help(c, f);
    fclose(f);
    CHECK(strstr(out, "--from-beginning") != NULL);
    CHECK(strstr(out, "--max-messages N") != NULL);
    CHECK(strstr(out, "--gw VALUE") != NULL);
    CHECK(strstr(out, "--coap-port") == NULL); /* gateway-only */
    free(out);
    zl_conf_destroy(c);
}

static void test_expansion(void) {
    zl_conf_t *c = new_all();
    const char *words[] = {"--id", "site9", NULL};
    CHECK_EQ_INT(parse(c, words, NULL, NULL, 0, NULL), ZL_OK);
    CHECK_STR(A.gw.topics.registrations, "iot.site9.registrations");
    CHECK_STR(A.gw.topics.mgmt_rep, "iot.site9.management.rep");
    CHECK_EQ_INT(zl_conf_set(c, "topic.observations", "obs-${id}-${coap.port}-${format}", errbuf,
                             sizeof errbuf), ZL_OK);
    CHECK_STR(A.gw.topics.observations, "obs-site9-5683-avro");
    /* References follow later changes. */
    CHECK_EQ_INT(zl_conf_set(c, "id", "x", errbuf, sizeof errbuf), ZL_OK);
    CHECK_STR(A.gw.topics.observations, "obs-x-5683-avro");
    CHECK_EQ_INT(zl_conf_set(c, "topic.registrations", "plain", errbuf, sizeof errbuf), ZL_OK);
    CHECK_STR(A.gw.topics.registrations, "plain");
    CHECK_EQ_INT(zl_conf_set(c, "ep", "${nope}", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "ep: unknown property 'nope' referenced in '${nope}'");
    CHECK_EQ_INT(zl_conf_set(c, "ep", "a${id", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_conf_set(c, "models.dir", "${models.dir}", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK(strstr(errbuf, "cycle") != NULL);
    CHECK_EQ_INT(zl_conf_set(c, "ep", "${models.dir}", errbuf, sizeof errbuf), ZL_OK);
    CHECK_EQ_INT(zl_conf_set(c, "models.dir", "${ep}", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_STR(A.gw.models_dir, ""); /* rejected value not kept */
    CHECK_STR(A.sim.ep, "");
    CHECK_EQ_INT(zl_conf_set(c, "ep", "$ and $$ and {x}", errbuf, sizeof errbuf), ZL_OK);
    CHECK_STR(A.sim.ep, "$ and $$ and {x}");
    zl_conf_destroy(c);
}

static void test_roundtrip(void) {
    zl_conf_t *a = new_all();
    const char *words[] = {"--id", "rt", "--format", "json", "-X", "kafka.x.y=1", "--topic-observations",
                           "o.${id}", NULL};
    CHECK_EQ_INT(parse(a, words, NULL, NULL, 0, NULL), ZL_OK);
    char *s1 = NULL, *s2 = NULL;
    size_t l1 = 0, l2 = 0;
    FILE *f = open_memstream(&s1, &l1);
    zl_conf_write_properties(a, f);
    fclose(f);
    zl_conf_t *b = new_all(); /* A now belongs to b */
    CHECK_EQ_INT(zl_conf_load_string(b, s1, l1, "dump", errbuf, sizeof errbuf), ZL_OK);
    f = open_memstream(&s2, &l2);
    zl_conf_write_properties(b, f);
    fclose(f);
    CHECK_STR(s1, s2);
    CHECK_STR(A.gw.topics.observations, "o.rt");
    free(s1);
    free(s2);
    zl_conf_destroy(a);
    zl_conf_destroy(b);
}

static void test_markdown_fresh(void) {
    char *gen = NULL;
    size_t glen = 0;
    FILE *f = open_memstream(&gen, &glen);
    zl_cmd_write_markdown(f);
    fclose(f);
    CHECK(glen > 1000);
    CHECK(strstr(gen, "`ZEELOS_COAP_PORT`") != NULL);
    CHECK(strstr(gen, "`--from-beginning`") != NULL);

    char path[4096];
    const char *src = getenv("ZEELOS_SOURCE_DIR");
    if (src) {
        snprintf(path, sizeof path, "%s/docs/CONFIGURATION.md", src);
    } else { /* __FILE__ = <root>/tests/unit/test_conf.c */
        snprintf(path, sizeof path, "%s", __FILE__);
        for (int up = 0; up < 3; up++) {
            char *sl = strrchr(path, '/');
            if (sl) *sl = 0;
            else path[0] = 0;
        }
        size_t l = strlen(path);
        snprintf(path + l, sizeof path - l, "%sdocs/CONFIGURATION.md", l ? "/" : "../../");
    }
    FILE *in = fopen(path, "rb");
    CHECK(in != NULL);
    if (!in) {
        fprintf(stderr, "cannot open %s\n", path);
        free(gen);
        return;
    }
    char *file = malloc(glen + 2);
    size_t flen = fread(file, 1, glen + 1, in);
    fclose(in);
    bool same = flen == glen && memcmp(file, gen, glen) == 0;
    if (!same)
        fprintf(stderr, "%s is stale: regenerate it with scripts/gen-config-doc.sh\n", path);
    CHECK(same);
    free(file);
    free(gen);
}

int main(void) {
    test_defaults();
    test_commands_bind();
    test_bind_errors();
    test_file();
    test_env();
    test_precedence();
    test_aliases_and_bools();
    test_kafka();
    test_errors();
    test_positional_and_help();
    test_expansion();
    test_roundtrip();
    test_markdown_fresh();
    TEST_MAIN_END();
}
