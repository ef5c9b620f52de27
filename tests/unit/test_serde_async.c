/* SPDX-License-Identifier: Apache-2.0 */
/* kafka/reqdec + sr_async: schema look-ups off the loop thread.  A tiny HTTP
 * server thread plays a slow Schema Registry; the test proves that a record
 * whose schema is cached is decoded at once while another waits for its
 * fetch, that records of one partition keep their order, that a failed fetch
 * yields what a blocking decode yields, and that destroy does not wait for a
 * slow registry. */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "kafka/reqdec.h"
#include "kafka/serde.h"
#include "common/clock.h"

/* ---------------------------------------------------------- fake registry */

typedef struct {
    int lfd, port;
    atomic_bool stop;
    atomic_int hits[4]; /* GETs of ids 100, 404, 101, other */
    pthread_t th;
} srv_t;

static void nap_ms(srv_t *sv, int ms) {
    for (int t = 0; t < ms && !atomic_load(&sv->stop); t += 10) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void answer(int fd, int status, const char *body) {
    char head[256];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n", status, strlen(body));
    if (send(fd, head, (size_t)n, MSG_NOSIGNAL) < 0 || send(fd, body, strlen(body), MSG_NOSIGNAL) < 0) {
    } /* the client may have given up (destroy test) */
}

/* ids 100 and 101: the AvroRequest schema after 1.5 s and 5 s; 404: not found. */
static void serve_one(srv_t *sv, int fd) {
    char req[2048];
    size_t len = 0;
    while (len < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
        ssize_t r = read(fd, req + len, sizeof req - 1 - len);
        if (r <= 0) return;
        len += (size_t)r;
        req[len] = 0;
    }
    int id = -1;
    if (sscanf(req, "GET /schemas/ids/%d", &id) != 1) {
        answer(fd, 400, "{}");
        return;
    }
    if (id == 404) {
        atomic_fetch_add(&sv->hits[1], 1);
        answer(fd, 404, "{\"error_code\":40403,\"message\":\"Schema 404 not found\"}");
        return;
    }
    atomic_fetch_add(&sv->hits[id == 100 ? 0 : id == 101 ? 2 : 3], 1);
    nap_ms(sv, id == 101 ? 5000 : 1500);
    json_t *j = json_pack("{s:s}", "schema", zl_serde_schema_text(ZL_VAL_REQUEST));
    char *body = json_dumps(j, JSON_COMPACT);
    answer(fd, 200, body);
    free(body);
    json_decref(j);
}

static void *srv_main(void *arg) {
    srv_t *sv = arg;
    while (!atomic_load(&sv->stop)) {
        struct pollfd p = {.fd = sv->lfd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0) continue;
        int fd = accept(sv->lfd, NULL, NULL);
        if (fd < 0) continue;
        serve_one(sv, fd);
        close(fd);
    }
    return NULL;
}

static int srv_start(srv_t *sv) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    sv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sv->lfd < 0 || bind(sv->lfd, (struct sockaddr *)&a, sizeof a) || listen(sv->lfd, 8) ||
        getsockname(sv->lfd, (struct sockaddr *)&a, &al))
        return -1;
    sv->port = ntohs(a.sin_port);
    return pthread_create(&sv->th, NULL, srv_main, sv);
}

static void srv_stop(srv_t *sv) {
    atomic_store(&sv->stop, true);
    pthread_join(sv->th, NULL);
    close(sv->lfd);
}

/* ------------------------------------------------------------- the test */

typedef struct {
    char ticket[16];
    int32_t partition;
    int64_t offset;
    zl_err_t err;
    char errstr[256];
} got_t;

typedef struct {
    got_t v[16];
    int n;
} log_t;

static void on_request(void *ctx, const zl_kmsg_t *msg, zl_err_t err, zl_request_t *req, const char *errstr) {
    log_t *l = ctx;
    got_t *g = &l->v[l->n++ & 15];
    snprintf(g->ticket, sizeof g->ticket, "%s", req->ticket ? req->ticket : "");
    g->partition = msg->partition;
    g->offset = msg->offset;
    g->err = err;
    snprintf(g->errstr, sizeof g->errstr, "%s", errstr);
    zl_request_clear(req);
}

/* An AvroRequest with ticket t framed with schema id. */
static void record(zl_serde_t *s, const char *t, int32_t id, zl_buf_t *out) {
    zl_request_t r = {.server_id = "gw", .ep = "dev1", .ticket = (char *)t, .path = "/3/0/0",
                      .kind = ZL_RK_READ, .content_format = ZL_ACF_TLV};
    zl_buf_reset(out);
    CHECK_EQ_INT(zl_serde_request(s, "req", &r, out), ZL_OK);
    if (out->len > 5) {
        out->data[1] = (uint8_t)(id >> 24), out->data[2] = (uint8_t)(id >> 16);
        out->data[3] = (uint8_t)(id >> 8), out->data[4] = (uint8_t)id;
    }
}

static void submit(zl_reqdec_t *d, zl_serde_t *s, const char *t, int32_t id, int32_t part, int64_t off) {
    zl_buf_t b;
    zl_buf_init(&b, 0);
    record(s, t, id, &b);
    zl_kmsg_t m = {.topic = "req", .partition = part, .offset = off, .value = b.data, .value_len = b.len,
                   .timestamp = -1};
    zl_reqdec_submit(d, &m);
    zl_buf_free(&b); /* the decoder must have copied what it parks */
}

/* Serves the decoder's fd until nothing is parked (or 10 s). */
static void run_until_idle(zl_reqdec_t *d) {
    int64_t end = zl_now_ms() + 10000;
    while (zl_reqdec_parked(d) && zl_now_ms() < end) {
        struct pollfd p = {.fd = zl_reqdec_fd(d), .events = POLLIN};
        if (poll(&p, 1, 100) > 0) zl_reqdec_serve(d);
    }
}

static int find(const log_t *l, const char *t) {
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].ticket, t)) return i;
    return -1;
}

int main(void) {
    srv_t sv = {0};
    char url[64], err[256];
    CHECK_EQ_INT(srv_start(&sv), 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", sv.port);
    zl_serde_t *s = zl_serde_new(ZL_FORMAT_AVRO, url, err, sizeof err);
    CHECK(s != NULL);
    CHECK_EQ_INT(zl_serde_set_topic_ids(s, "req", ZL_VAL_REQUEST, 7, 5), ZL_OK); /* id 5 is cached */
    log_t log = {0};
    zl_reqdec_t *d = zl_reqdec_new(s, url, on_request, &log, err, sizeof err);
    CHECK(d != NULL && zl_reqdec_fd(d) >= 0);

    /* partition 0: A needs id 100 (slow), B (cached) must wait behind it;
     * partition 1: C (cached) is decoded at once */
    int64_t t0 = zl_now_ms();
    submit(d, s, "A", 100, 0, 10);
    submit(d, s, "B", 5, 0, 11);
    submit(d, s, "C", 5, 1, 20);
    CHECK(zl_now_ms() - t0 < 500); /* nothing waited for the registry */
    CHECK_EQ_INT(log.n, 1);
    CHECK_STR(log.v[0].ticket, "C");
    CHECK_EQ_INT(log.v[0].err, ZL_OK);
    CHECK_EQ_INT(zl_reqdec_parked(d), 2);
    /* partitions 2 and 3: D asks for id 404 (fails), E waits for the same fetch */
    submit(d, s, "D", 404, 2, 30);
    submit(d, s, "E", 404, 3, 40);
    CHECK_EQ_INT(zl_reqdec_parked(d), 4);
    run_until_idle(d);
    CHECK_EQ_INT(zl_reqdec_parked(d), 0);
    CHECK_EQ_INT(log.n, 5);
    int a = find(&log, "A"), b = find(&log, "B");
    CHECK(a > 0 && b > a); /* after C; A before B */
    if (a > 0 && b > a) {
        CHECK_EQ_INT(log.v[a].err, ZL_OK);
        CHECK_EQ_INT(log.v[a].offset, 10);
        CHECK_EQ_INT(log.v[b].err, ZL_OK);
        CHECK_EQ_INT(log.v[b].offset, 11);
    }
    /* D and E: undecodable, nothing read (no ticket), the blocking reasons */
    int nd = 0;
    for (int i = 0; i < log.n; i++) {
        if (log.v[i].ticket[0]) continue;
        nd++;
        CHECK_EQ_INT(log.v[i].err, ZL_ERR_SCHEMA);
        if (log.v[i].partition == 2) CHECK(strstr(log.v[i].errstr, "HTTP 404") != NULL);
        else CHECK(strstr(log.v[i].errstr, "unknown schema id 404 (lookup failed recently)") != NULL);
    }
    CHECK_EQ_INT(nd, 2);
    CHECK_EQ_INT(atomic_load(&sv.hits[0]), 1); /* one fetch per id */
    CHECK_EQ_INT(atomic_load(&sv.hits[1]), 1);

    /* id 100 is cached now: decoded at once */
    submit(d, s, "F", 100, 0, 12);
    CHECK_EQ_INT(log.n, 6);
    CHECK_STR(log.v[5].ticket, "F");
    /* a record without a value: what the gateway always said */
    zl_kmsg_t empty = {.topic = "req", .partition = 1, .offset = 21, .timestamp = -1};
    zl_reqdec_submit(d, &empty);
    CHECK_EQ_INT(log.n, 7);
    CHECK_EQ_INT(log.v[6].err, ZL_ERR_INVALID);
    CHECK_STR(log.v[6].errstr, "empty value");

    /* destroy does not wait out a slow registry (5 s) */
    submit(d, s, "G", 101, 4, 50);
    int64_t end = zl_now_ms() + 2000;
    while (!atomic_load(&sv.hits[2]) && zl_now_ms() < end) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    CHECK_EQ_INT(zl_reqdec_parked(d), 1);
    /* a revoked partition's parked records are dropped unanswered (its next
       owner consumes them again); other partitions keep theirs */
    submit(d, s, "H", 101, 5, 60);
    CHECK_EQ_INT(zl_reqdec_parked(d), 2);
    zl_reqdec_drop_partition(d, 5);
    CHECK_EQ_INT(zl_reqdec_parked(d), 1);
    CHECK_EQ_INT(log.n, 7);
    t0 = zl_now_ms();
    zl_reqdec_destroy(d);
    CHECK(zl_now_ms() - t0 < 3000);
    CHECK_EQ_INT(log.n, 7);

    /* JSON format: no registry, everything at once, fd -1 */
    zl_serde_t *js = zl_serde_new(ZL_FORMAT_JSON, NULL, err, sizeof err);
    zl_reqdec_t *dj = zl_reqdec_new(js, url, on_request, &log, err, sizeof err);
    CHECK(dj != NULL && zl_reqdec_fd(dj) == -1);
    zl_kmsg_t bad = {.topic = "req", .partition = 0, .offset = 1, .value = "{", .value_len = 1};
    zl_reqdec_submit(dj, &bad);
    CHECK_EQ_INT(log.n, 8);
    CHECK_EQ_INT(log.v[7].err, ZL_ERR_INVALID);
    zl_reqdec_destroy(dj);
    zl_serde_destroy(js);

    zl_serde_destroy(s);
    srv_stop(&sv);
    TEST_MAIN_END();
}
