/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos tail [TOPIC...]`: prints the records of zeelos topics as JSON lines
 * {"topic","partition","offset","key","value"}, keys and values decoded with
 * the writer schema named by their Confluent id (or passed through in
 * format=json).  TOPIC is a full name or one of registrations, observations,
 * management.req, management.rep (the gateway's configured topic.* names);
 * without one, all four.  Follows the topics until interrupted, like
 * kafka-console-consumer; exits after tail.max.messages records, or, when
 * --timeout-ms (request.wait.ms) is given, once that long passes without a record.
 * cmd/tail.c parses the configuration and the TOPIC words. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "roles/tools/tools.h"
#include "kafka/ktool.h"
#include "common/clock.h"
#include "common/log.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static const char *const short_names[] = {"registrations", "observations", "management.req",
                                          "management.rep"};

/* "registrations" -> topic.registrations (iot.<id>.registrations); other names unchanged. */
static const char *expand(const zl_topics_conf_t *t, const char *name) {
    const char *const full[] = {t->registrations, t->observations, t->mgmt_req, t->mgmt_rep};
    for (size_t i = 0; i < sizeof short_names / sizeof short_names[0]; i++)
        if (strcmp(name, short_names[i]) == 0) return full[i];
    return name;
}

/* Assigns every topic (at its end, or its beginning); -1 after printing why. */
static int assign_topics(const zl_tail_conf_t *conf, zl_ktool_t *rk, const char *const *topics, int n_topics,
                         bool all) {
    char err[512] = "";
    int assigned = 0;
    for (int i = 0; i < n_topics; i++) {
        zl_err_t e = zl_ktool_assign(rk, topics[i], conf->from_beginning, 10000, err, sizeof err);
        if (e == ZL_OK) {
            assigned++;
        } else if (e == ZL_ERR_NOT_FOUND && all) {
            ZL_INFO("tail", "%s", err); /* a gateway that never produced on it */
        } else {
            fprintf(stderr, "zeelos tail: %s\n", err);
            return -1;
        }
    }
    if (!assigned) {
        fprintf(stderr, "zeelos tail: none of the topics exists yet\n");
        return -1;
    }
    return 0;
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

void zl_tail_write_usage(FILE *out) {
    fputs("usage: zeelos tail --gw ID [options] [TOPIC...]\n"
          "\n"
          "Prints the records of the gateway's topics as JSON lines {topic, partition, offset, key, value}.\n"
          "TOPIC: registrations, observations, management.req, management.rep (the gateway's topic.*\n"
          "names) or a full topic name; none: all four. Example: zeelos tail --gw edge1 observations\n", out);
}

int zl_tail_run(const zl_tail_conf_t *conf, const char *const *pos, int n_pos) {
    char err[512] = "";
    int rc = 1;
    zl_ktool_t *rk = NULL;
    zl_serde_t *s = zl_ktool_serde(&conf->kafka, err, sizeof err);
    const char *topics[16];
    int n_topics = 0;
    if (n_pos == 0)
        for (size_t i = 0; i < 4; i++) topics[n_topics++] = expand(&conf->topics, short_names[i]);
    for (int i = 0; i < n_pos && n_topics < 16; i++) topics[n_topics++] = expand(&conf->topics, pos[i]);
    if (!s || !(rk = zl_ktool_new(conf->kafka.props, ZL_KTOOL_CONSUMER, err, sizeof err))) {
        fprintf(stderr, "zeelos tail: %s\n", err);
        goto out;
    }
    if (assign_topics(conf, rk, topics, n_topics, n_pos == 0)) goto out;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int64_t max = conf->max_messages;
    int64_t idle_ms = conf->idle_ms > 0 ? conf->idle_ms : INT64_MAX / 4;
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
    return rc;
}
