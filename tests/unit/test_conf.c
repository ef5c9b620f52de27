/* Configuration: defaults, properties files, environment, flags, precedence,
 * aliases, kafka.* passthrough, validation errors, ${name} expansion, and the
 * freshness of the committed docs/CONFIGURATION.md. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "common/conf.h"

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

/* Runs parse_args on a NULL-terminated word list; argv[0] = "gateway". */
static zl_err_t parse(zl_conf_t *c, const char *const *words, char *const *envp, const char **pos,
                      int max_pos, int *n_pos) {
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)"gateway";
    for (; *words && argc < 31; words++) argv[argc++] = (char *)*words;
    argv[argc] = NULL;
    errbuf[0] = 0;
    return zl_conf_parse_args(c, argc, argv, 1, envp, pos, max_pos, n_pos, errbuf, sizeof errbuf);
}

static void test_defaults(void) {
    zl_conf_t *c = zl_conf_new();
    CHECK(c != NULL);
    CHECK_STR(zl_conf_str(c, "id"), "edge1");
    CHECK_EQ_INT(zl_conf_int(c, "coap.port"), 5683);
    CHECK_STR(zl_conf_str(c, "coap.port"), "5683");
    CHECK_EQ_INT(zl_conf_int(c, "coap.ack.timeout.ms"), 2000);
    CHECK_EQ_INT(zl_conf_int(c, "coap.max.retransmit"), 4);
    CHECK_EQ_INT(zl_conf_int(c, "coap.request.timeout.ms"), 60000);
    CHECK_EQ_INT(zl_conf_int(c, "coap.max.payload"), 65536);
    CHECK_EQ_INT(zl_conf_int(c, "http.port"), 8080);
    CHECK_STR(zl_conf_str(c, "format"), "avro");
    CHECK_EQ_INT(zl_conf_enum(c, "format"), 0);
    CHECK_STR(zl_conf_str(c, "log.level"), "info");
    CHECK_EQ_INT(zl_conf_enum(c, "log.level"), 2);
    CHECK_STR(zl_conf_str(c, "topic.registrations"), "iot.edge1.registrations");
    CHECK_STR(zl_conf_str(c, "topic.observations"), "iot.edge1.observations");
    CHECK_STR(zl_conf_str(c, "topic.management.req"), "iot.edge1.management.req");
    CHECK_STR(zl_conf_str(c, "topic.management.rep"), "iot.edge1.management.rep");
    CHECK_STR(zl_conf_str(c, "ep"), "");
    CHECK_STR(zl_conf_str(c, "schema.registry.url"), "http://127.0.0.1:8081");
    CHECK_STR(zl_conf_str(c, "data.dir"), "./zeelos-data");
    CHECK_EQ_INT(zl_conf_int(c, "registration.lifetime.default"), 86400);
    CHECK_EQ_INT(zl_conf_int(c, "registration.expiry.sweep.ms"), 1000);
    CHECK_STR(zl_conf_str(c, "device.server"), "coap://127.0.0.1:5683");
    CHECK_EQ_INT(zl_conf_int(c, "device.count"), 1);
    CHECK_EQ_INT(zl_conf_int(c, "device.lifetime"), 30);
    CHECK_EQ_INT(zl_conf_int(c, "device.port"), 0);
    CHECK_EQ_INT(zl_conf_int(c, "request.wait.ms"), 30000);
    CHECK_STR(zl_conf_str(c, "type"), "STRING");
    CHECK_STR(zl_conf_str(c, "mode"), "REPLACE");
    CHECK(!zl_conf_bool(c, "tail.from.beginning"));
    CHECK_EQ_INT(zl_conf_int(c, "tail.max.messages"), 0);
    CHECK_STR(zl_conf_str(c, "kafka.bootstrap.servers"), "127.0.0.1:9092");
    CHECK_STR(zl_conf_str(c, "kafka.enable.idempotence"), "true");
    CHECK_STR(zl_conf_str(c, "kafka.acks"), "all");
    CHECK_STR(zl_conf_str(c, "kafka.partitioner"), "murmur2_random");
    CHECK_STR(zl_conf_str(c, "kafka.linger.ms"), "5");
    CHECK(zl_conf_str(c, "kafka.nope") == NULL);
    CHECK(!zl_conf_is_set(c, "coap.port"));
    CHECK(!zl_conf_help_requested(c));
    zl_conf_destroy(c);
}

static void test_file(void) {
    zl_conf_t *c = zl_conf_new();
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
    CHECK_EQ_INT(zl_conf_int(c, "coap.port"), 1234);
    CHECK(zl_conf_is_set(c, "coap.port"));
    CHECK_STR(zl_conf_str(c, "id"), "plant7");
    CHECK_STR(zl_conf_str(c, "topic.observations"), "iot.plant7.observations");
    CHECK_STR(zl_conf_str(c, "schema.registry.url"), "http://sr:8081/a=b#c");
    CHECK_STR(zl_conf_str(c, "kafka.security.protocol"), "SASL_SSL");
    CHECK(zl_conf_bool(c, "tail.from.beginning"));
    CHECK_STR(zl_conf_str(c, "format"), "json");
    CHECK_EQ_INT(zl_conf_enum(c, "format"), 1);
    CHECK_STR(zl_conf_str(c, "ep"), "");
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
    CHECK_EQ_INT(zl_conf_int(c, "http.port"), 43);
    CHECK_EQ_INT(zl_conf_load_string(c, "a=b\0c", 5, "mem", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "mem:1: NUL byte in line");
    zl_conf_destroy(c);
}

static void test_env(void) {
    zl_conf_t *c = zl_conf_new();
    char *env[] = {"PATH=/bin", "ZEELOS_COAP_PORT=1234", "ZEELOS_KAFKA_SASL_USERNAME=bob",
                   "ZEELOS_TAIL_FROM_BEGINNING=on", "ZEELOS_LOG_LEVEL=DEBUG",
                   "ZEELOS_COAP_ACK_TIMEOUT_MS=500", "ZEELOS_KAFKA_BOOTSTRAP_SERVERS=k:9", NULL};
    CHECK_EQ_INT(zl_conf_load_env(c, env, errbuf, sizeof errbuf), ZL_OK);
    CHECK_EQ_INT(zl_conf_int(c, "coap.port"), 1234);
    CHECK_STR(zl_conf_str(c, "kafka.sasl.username"), "bob");
    CHECK(zl_conf_bool(c, "tail.from.beginning"));
    CHECK_STR(zl_conf_str(c, "log.level"), "debug");
    CHECK_EQ_INT(zl_conf_int(c, "coap.ack.timeout.ms"), 500);
    CHECK_STR(zl_conf_str(c, "kafka.bootstrap.servers"), "k:9");
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
    zl_conf_t *c = zl_conf_new();
    CHECK_EQ_INT(parse(c, words, env, NULL, 0, NULL), ZL_OK);
    CHECK_EQ_INT(zl_conf_int(c, "coap.port"), 3);
    CHECK_EQ_INT(zl_conf_int(c, "http.port"), 11);
    CHECK_STR(zl_conf_str(c, "data.dir"), "/from/file");
    CHECK_STR(zl_conf_str(c, "topic.registrations"), "iot.fileid.registrations");
    zl_conf_destroy(c);

    /* Repeated flags: the last wins; -X counts as a flag. */
    const char *w2[] = {"--coap-port=5", "-X", "coap.port=6", "-Xhttp.port=7", "--http-port", "8", NULL};
    c = zl_conf_new();
    CHECK_EQ_INT(parse(c, w2, env, NULL, 0, NULL), ZL_OK);
    CHECK_EQ_INT(zl_conf_int(c, "coap.port"), 6);
    CHECK_EQ_INT(zl_conf_int(c, "http.port"), 8);
    zl_conf_destroy(c);
    unlink(path);
}

static void test_aliases_and_bools(void) {
    const char *words[] = {"--gw", "g2", "--kafka", "b1:9092,b2:9092", "--schema-registry",
                           "http://sr", "--timeout-ms=100", "--from-beginning", "--max-messages",
                           "7", "--count", "3", "--server", "coap://x:1", "--data-dir", "/d",
                           "--type", "integer", "--mode", "update", "--ep", "dev1", "--ticket", "t1",
                           NULL};
    zl_conf_t *c = zl_conf_new();
    CHECK_EQ_INT(parse(c, words, NULL, NULL, 0, NULL), ZL_OK);
    CHECK_STR(zl_conf_str(c, "id"), "g2");
    CHECK_STR(zl_conf_str(c, "kafka.bootstrap.servers"), "b1:9092,b2:9092");
    CHECK_STR(zl_conf_str(c, "schema.registry.url"), "http://sr");
    CHECK_EQ_INT(zl_conf_int(c, "request.wait.ms"), 100);
    CHECK(zl_conf_bool(c, "tail.from.beginning"));
    CHECK_EQ_INT(zl_conf_int(c, "tail.max.messages"), 7);
    CHECK_EQ_INT(zl_conf_int(c, "device.count"), 3);
    CHECK_STR(zl_conf_str(c, "device.server"), "coap://x:1");
    CHECK_STR(zl_conf_str(c, "data.dir"), "/d");
    CHECK_STR(zl_conf_str(c, "type"), "INTEGER");
    CHECK_EQ_INT(zl_conf_enum(c, "type"), 1);
    CHECK_STR(zl_conf_str(c, "mode"), "UPDATE");
    CHECK_STR(zl_conf_str(c, "ep"), "dev1");
    CHECK_STR(zl_conf_str(c, "ticket"), "t1");
    zl_conf_destroy(c);

    /* Bool flags take no value; "true" after one is a positional word. */
    const char *pos[4];
    int np = -1;
    const char *w2[] = {"--from-beginning", "true", NULL};
    c = zl_conf_new();
    CHECK_EQ_INT(parse(c, w2, NULL, pos, 4, &np), ZL_OK);
    CHECK(zl_conf_bool(c, "tail.from.beginning"));
    CHECK_EQ_INT(np, 1);
    CHECK_STR(pos[0], "true");
    zl_conf_destroy(c);

    const char *w3[] = {"--from-beginning", "--from-beginning=false", NULL};
    c = zl_conf_new();
    CHECK_EQ_INT(parse(c, w3, NULL, NULL, 0, NULL), ZL_OK);
    CHECK(!zl_conf_bool(c, "tail.from.beginning"));
    zl_conf_destroy(c);

    const char *w4[] = {"--tail-from-beginning", "--no-from-beginning", NULL};
    c = zl_conf_new();
    CHECK_EQ_INT(parse(c, w4, NULL, NULL, 0, NULL), ZL_OK);
    CHECK(!zl_conf_bool(c, "tail.from.beginning"));
    zl_conf_destroy(c);

    const char *w5[] = {"--from-beginning=maybe", NULL};
    c = zl_conf_new();
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
    zl_conf_t *c = zl_conf_new();
    char *env[] = {"ZEELOS_KAFKA_CLIENT_ID=zc", NULL};
    const char *words[] = {"-X", "kafka.acks=1", "-X", "kafka.sasl.mechanism=PLAIN", NULL};
    CHECK_EQ_INT(parse(c, words, env, NULL, 0, NULL), ZL_OK);
    CHECK_EQ_INT(zl_conf_set(c, "kafka.linger.ms", "50", errbuf, sizeof errbuf), ZL_OK);
    char out[1024] = "";
    zl_conf_foreach_kafka(c, collect, out);
    CHECK_STR(out, "bootstrap.servers=127.0.0.1:9092;enable.idempotence=true;acks=1;"
                   "partitioner=murmur2_random;linger.ms=50;queue.buffering.max.kbytes=65536;"
                   "client.id=zc;sasl.mechanism=PLAIN;");
    CHECK_EQ_INT(zl_conf_set(c, "kafka.", "x", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_conf_set(c, "kafka.a b", "x", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    zl_conf_destroy(c);
}

static void test_errors(void) {
    zl_conf_t *c = zl_conf_new();
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
    CHECK_EQ_INT(zl_conf_int(c, "coap.port"), 5683); /* unchanged after errors */
    CHECK_EQ_INT(zl_conf_set(c, "format", "xml", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "format: 'xml' is not one of: avro, json");
    CHECK_EQ_INT(zl_conf_set(c, "log.level", "trace", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_STR(zl_conf_str(c, "format"), "avro");

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
    zl_conf_t *c = zl_conf_new();
    CHECK_EQ_INT(parse(c, words, NULL, pos, 4, &np), ZL_OK);
    CHECK_EQ_INT(np, 4);
    CHECK_STR(pos[0], "read");
    CHECK_STR(pos[1], "/3/0/0");
    CHECK_STR(pos[2], "-");
    CHECK_STR(pos[3], "--not-a-flag");
    CHECK_STR(zl_conf_str(c, "ep"), "dev");
    zl_conf_destroy(c);

    /* --help wins over everything, even later errors; nothing is applied. */
    const char *w2[] = {"--coap-port", "1", "-h", "--bogus", NULL};
    c = zl_conf_new();
    CHECK_EQ_INT(parse(c, w2, NULL, NULL, 0, NULL), ZL_OK);
    CHECK(zl_conf_help_requested(c));
    CHECK_EQ_INT(zl_conf_int(c, "coap.port"), 5683);
    zl_conf_destroy(c);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    zl_conf_write_help_cmd(f, "tail");
    fclose(f);
    CHECK(strstr(buf, "--from-beginning") != NULL);
    CHECK(strstr(buf, "--max-messages N") != NULL);
    CHECK(strstr(buf, "--coap-port") == NULL); /* gateway-only */
    free(buf);
}

static void test_expansion(void) {
    zl_conf_t *c = zl_conf_new();
    const char *words[] = {"--id", "site9", NULL};
    CHECK_EQ_INT(parse(c, words, NULL, NULL, 0, NULL), ZL_OK);
    CHECK_STR(zl_conf_str(c, "topic.registrations"), "iot.site9.registrations");
    CHECK_STR(zl_conf_str(c, "topic.management.rep"), "iot.site9.management.rep");
    CHECK_EQ_INT(zl_conf_set(c, "topic.observations", "obs-${id}-${coap.port}-${format}", errbuf,
                             sizeof errbuf), ZL_OK);
    CHECK_STR(zl_conf_str(c, "topic.observations"), "obs-site9-5683-avro");
    /* References follow later changes. */
    CHECK_EQ_INT(zl_conf_set(c, "id", "x", errbuf, sizeof errbuf), ZL_OK);
    CHECK_STR(zl_conf_str(c, "topic.observations"), "obs-x-5683-avro");
    CHECK_EQ_INT(zl_conf_set(c, "topic.registrations", "plain", errbuf, sizeof errbuf), ZL_OK);
    CHECK_STR(zl_conf_str(c, "topic.registrations"), "plain");
    CHECK_EQ_INT(zl_conf_set(c, "ep", "${nope}", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_STR(errbuf, "ep: unknown property 'nope' referenced in '${nope}'");
    CHECK_EQ_INT(zl_conf_set(c, "ep", "a${id", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_conf_set(c, "ticket", "${ticket}", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK(strstr(errbuf, "cycle") != NULL);
    CHECK_EQ_INT(zl_conf_set(c, "ep", "${ticket}", errbuf, sizeof errbuf), ZL_OK);
    CHECK_EQ_INT(zl_conf_set(c, "ticket", "${ep}", errbuf, sizeof errbuf), ZL_ERR_INVALID);
    CHECK_STR(zl_conf_str(c, "ticket"), ""); /* rejected value not kept */
    CHECK_STR(zl_conf_str(c, "ep"), "");
    CHECK_EQ_INT(zl_conf_set(c, "ep", "$ and $$ and {x}", errbuf, sizeof errbuf), ZL_OK);
    CHECK_STR(zl_conf_str(c, "ep"), "$ and $$ and {x}");
    zl_conf_destroy(c);
}

static void test_roundtrip(void) {
    zl_conf_t *a = zl_conf_new(), *b = zl_conf_new();
    const char *words[] = {"--id", "rt", "--format", "json", "-X", "kafka.x.y=1", "--topic-observations",
                           "o.${id}", NULL};
    CHECK_EQ_INT(parse(a, words, NULL, NULL, 0, NULL), ZL_OK);
    char *s1 = NULL, *s2 = NULL;
    size_t l1 = 0, l2 = 0;
    FILE *f = open_memstream(&s1, &l1);
    zl_conf_write_properties(a, f);
    fclose(f);
    CHECK_EQ_INT(zl_conf_load_string(b, s1, l1, "dump", errbuf, sizeof errbuf), ZL_OK);
    f = open_memstream(&s2, &l2);
    zl_conf_write_properties(b, f);
    fclose(f);
    CHECK_STR(s1, s2);
    CHECK_STR(zl_conf_str(b, "topic.observations"), "o.rt");
    free(s1);
    free(s2);
    zl_conf_destroy(a);
    zl_conf_destroy(b);
}

static void test_markdown_fresh(void) {
    char *gen = NULL;
    size_t glen = 0;
    FILE *f = open_memstream(&gen, &glen);
    zl_conf_write_markdown(f);
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
