/* `zeelos tail [TOPIC...]`: prints the records of zeelos topics as JSON lines
 * {"topic","partition","offset","key","value"}, keys and values decoded with
 * the writer schema named by their Confluent id (or passed through in
 * format=json).  TOPIC is a full name or one of registrations, observations,
 * management.req, management.rep (the gateway's configured topic.* names);
 * without one, all four.  Follows the topics until interrupted, like
 * kafka-console-consumer; exits after tail.max.messages records, or, when
 * --timeout-ms (request.wait.ms) is given, once that long passes without a record. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "roles/tools/tools.h"
#include "kafka/ktool.h"
#include "common/conf.h"
#include "common/clock.h"
#include "common/log.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static const char *const short_names[] = {"registrations", "observations", "management.req",
                                          "management.rep"};

/* "registrations" -> conf topic.registrations (iot.<id>.registrations). */
static const char *expand(const zl_conf_t *conf, const char *t) {
    for (size_t i = 0; i < sizeof short_names / sizeof short_names[0]; i++) {
        if (strcmp(t, short_names[i]) == 0) {
            char key[64];
            snprintf(key, sizeof key, "topic.%s", short_names[i]);
            return zl_conf_str(conf, key);
        }
    }
    return t;
}

typedef struct {
    zl_serde_t *s;
    zl_buf_t line;
    int64_t count;
} tail_t;

/* One record: a JSON line on stdout. */
static void on_record(void *ctx, const zl_kmsg_t *m) {
    tail_t *t = ctx;
    zl_buf_reset(&t->line);
    if (zl_ktool_format(t->s, m, &t->line) == ZL_OK) {
        fwrite(t->line.data, 1, t->line.len, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
    t->count++;
}

int zl_cmd_tail(int argc, char **argv, char **envp) {
    const char *pos[16];
    int n_pos = 0, status;
    zl_conf_t *conf = zl_conf_setup("tail", argc, argv, envp, pos, 16, &n_pos, &status);
    if (!conf) return status;
    char err[512] = "";
    int rc = 1;
    zl_ktool_t *rk = NULL;
    zl_serde_t *s = zl_ktool_serde(conf, err, sizeof err);
    const char *topics[16];
    int n_topics = 0;
    if (n_pos == 0)
        for (size_t i = 0; i < 4; i++) topics[n_topics++] = expand(conf, short_names[i]);
    for (int i = 0; i < n_pos; i++) topics[n_topics++] = expand(conf, pos[i]);
    if (!s || !(rk = zl_ktool_new(conf, ZL_KTOOL_CONSUMER, err, sizeof err))) {
        fprintf(stderr, "zeelos tail: %s\n", err);
        goto out;
    }
    bool from_beginning = zl_conf_bool(conf, "tail.from.beginning");
    int assigned = 0;
    for (int i = 0; i < n_topics; i++) {
        zl_err_t e = zl_ktool_assign(rk, topics[i], from_beginning, 10000, err, sizeof err);
        if (e == ZL_OK) {
            assigned++;
        } else if (e == ZL_ERR_NOT_FOUND && n_pos == 0) {
            ZL_INFO("tail", "%s", err); /* a gateway that never produced on it */
        } else {
            fprintf(stderr, "zeelos tail: %s\n", err);
            goto out;
        }
    }
    if (!assigned) {
        fprintf(stderr, "zeelos tail: none of the topics exists yet\n");
        goto out;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int64_t max = zl_conf_int(conf, "tail.max.messages");
    int64_t idle_ms = zl_conf_is_set(conf, "request.wait.ms") ? zl_conf_int(conf, "request.wait.ms")
                                                               : INT64_MAX / 4;
    int64_t deadline = zl_now_ms() + idle_ms;
    tail_t t = {.s = s};
    zl_buf_init(&t.line, 0);
    rc = 0;
    while (!stop && (max == 0 || t.count < max)) {
        if (zl_now_ms() >= deadline) {
            ZL_INFO("tail", "no record for %lld ms, exiting", (long long)idle_ms);
            break;
        }
        int64_t before = t.count;
        zl_ktool_consume(rk, 200, 1, on_record, &t);
        if (t.count != before) deadline = zl_now_ms() + idle_ms;
    }
    zl_buf_free(&t.line);
out:
    zl_ktool_destroy(rk);
    zl_serde_destroy(s);
    zl_conf_destroy(conf);
    return rc;
}
