/* Component-test plumbing for the gateway: mock Kafka cluster, the gateway on
 * a thread, a fake device on a UDP socket, waiting for records.  See
 * gw_harness.h.  Why a mock cluster rather than a fake producer: the gateway's
 * Kafka code (client.c: delivery reports, offset tracking, consumer group) is
 * part of what these tests exercise.
 *
 * What librdkafka 2.0.2's mock cluster gives (checked against its source):
 * Produce with the idempotent producer (InitProducerId), Fetch, ListOffsets,
 * balanced consumer groups with commits (JoinGroup v5 accepts the gateway's
 * static membership), Metadata with topic auto-creation.  Gaps, and how the
 * harness lives with them:
 *  - no CreateTopics, and Metadata names controller 0, which no mock broker
 *    is: the gateway's zl_producer_ensure_topics() waits its full 10 s (+1)
 *    for a controller inside zl_gw_new(), logs a warning and goes on.  The
 *    harness creates the topics itself (rd_kafka_mock_topic_create, one
 *    partition each) and pays the 11 s once per test executable.
 *  - the first join of a group is delayed 3 s (the broker's
 *    group.initial.rebalance.delay.ms, hard-coded in the mock): the first
 *    management request of a run waits for it (requests are read from the
 *    earliest offset, so nothing is lost meanwhile).
 * The test's own reader is not in a group: it assigns partition 0 of the four
 * topics, so it reads at once. */
#include "gw_harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "common/conf.h"
#include "common/log.h"
#include "cmd/gateway.h"

#define MAX_RECS 1024
#define MAX_PENDING 16

struct zt_gw {
    char id[64];
    char topics[ZT_N_TOPICS][128];
    char dir[64];
    rd_kafka_t *mock_owner;          /* book-keeping handle of the mock cluster */
    rd_kafka_mock_cluster_t *mock;
    rd_kafka_t *producer, *reader, *group_view;
    zl_conf_t *conf;
    zl_cmd_gateway_conf_t gconf; /* bound to conf: the gateway command's configuration */
    zl_gw_t *gw;
    pthread_t thread;
    bool running;
    int run_rc;
    zt_rec_t recs[MAX_RECS];
    int n_recs;
};

int64_t zt_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk;
    if (level <= 3) fprintf(stderr, "test kafka client: %s: %s\n", fac, buf);
}

/* Delivery report of the test's producer: the message opaque is the int64_t
 * zt_produce() waits on. */
static void delivered(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    (void)opaque;
    int64_t *out = m->_private;
    if (out) *out = m->err ? -1 : m->offset;
}

static rd_kafka_t *new_client(rd_kafka_type_t type, const char *bootstraps, const char *group) {
    char err[256];
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(kc, quiet_log);
    if (type == RD_KAFKA_PRODUCER) rd_kafka_conf_set_dr_msg_cb(kc, delivered);
    if ((bootstraps && rd_kafka_conf_set(kc, "bootstrap.servers", bootstraps, err, sizeof err)) ||
        (group && rd_kafka_conf_set(kc, "group.id", group, err, sizeof err)) ||
        (type == RD_KAFKA_CONSUMER && rd_kafka_conf_set(kc, "enable.auto.commit", "false", err, sizeof err)) ||
        (type == RD_KAFKA_CONSUMER && rd_kafka_conf_set(kc, "fetch.wait.max.ms", "10", err, sizeof err)) ||
        (type == RD_KAFKA_PRODUCER && rd_kafka_conf_set(kc, "linger.ms", "0", err, sizeof err))) {
        fprintf(stderr, "harness: kafka conf: %s\n", err);
        rd_kafka_conf_destroy(kc);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(type, kc, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "harness: rd_kafka_new: %s\n", err);
        rd_kafka_conf_destroy(kc);
    }
    return rk;
}

static void *run_thread(void *arg) {
    zt_gw_t *h = arg;
    h->run_rc = zl_gw_run(h->gw);
    return NULL;
}

static int set(zl_conf_t *c, const char *k, const char *v) {
    char err[256];
    if (zl_conf_set(c, k, v, err, sizeof err) == ZL_OK) return 0;
    fprintf(stderr, "harness: conf %s=%s: %s\n", k, v, err);
    return -1;
}

/* The one place the gateway is configured, constructed and started (and,
 * below, stopped): adapt here when zl_gw_new()/zl_gw_run() change. */
static int start_gateway(zt_gw_t *h, const zt_gw_opts_t *o) {
    char num[32];
    char err[512];
    zl_conf_t *c = h->conf = zl_conf_new();
    if (!c || zl_conf_bind_cmd(c, &zl_gateway_conf, &h->gconf, err, sizeof err)) {
        fprintf(stderr, "harness: binding the gateway's configuration: %s\n", c ? err : "out of memory");
        return -1;
    }
    if (set(c, "id", h->id) || set(c, "data.dir", h->dir) || set(c, "coap.host", "127.0.0.1") ||
        set(c, "coap.port", "0") || set(c, "http.port", "0") || set(c, "format", "json") ||
        set(c, "kafka.bootstrap.servers", rd_kafka_mock_cluster_bootstraps(h->mock)) ||
        /* commits become visible quickly (zt_wait_committed) */
        set(c, "kafka.auto.commit.interval.ms", "50") || set(c, "kafka.linger.ms", "0") ||
        /* librdkafka 2.0.2's mock cluster has no CreateTopics (the harness
           creates the topics in the mock): do not wait for the broker */
        set(c, "topic.create.timeout.ms", "0"))
        return -1;
    snprintf(num, sizeof num, "%d", o->request_timeout_ms > 0 ? o->request_timeout_ms : 3000);
    if (set(c, "coap.request.timeout.ms", num)) return -1;
    if (o->queue_awake_ms > 0) {
        snprintf(num, sizeof num, "%d", o->queue_awake_ms);
        if (set(c, "queue.awake.ms", num)) return -1;
    }
    h->gconf.gw.kafka.props = c;
    h->gw = zl_gw_new(&h->gconf.gw, err, sizeof err);
    if (!h->gw) {
        fprintf(stderr, "harness: zl_gw_new: %s\n", err);
        return -1;
    }
    if (pthread_create(&h->thread, NULL, run_thread, h)) return -1;
    h->running = true;
    return 0;
}

static void stop_gateway(zt_gw_t *h) {
    if (h->running) {
        zl_gw_stop(h->gw);
        pthread_join(h->thread, NULL);
        h->running = false;
    }
    zl_gw_destroy(h->gw);
    h->gw = NULL;
    zl_conf_destroy(h->conf);
    h->conf = NULL;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

zt_gw_t *zt_gw_start(const zt_gw_opts_t *o) {
    static const zt_gw_opts_t none = {0};
    if (!o) o = &none;
    zt_gw_t *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    snprintf(h->id, sizeof h->id, "%s", o->id ? o->id : "gwtest");
    static const char *const suffix[ZT_N_TOPICS] = {"registrations", "observations", "management.req",
                                                     "management.rep"};
    for (int i = 0; i < ZT_N_TOPICS; i++) snprintf(h->topics[i], sizeof h->topics[i], "iot.%s.%s", h->id, suffix[i]);
    snprintf(h->dir, sizeof h->dir, "/tmp/zt_gw_XXXXXX");
    if (!mkdtemp(h->dir)) {
        fprintf(stderr, "harness: mkdtemp: %s\n", strerror(errno));
        free(h);
        return NULL;
    }
    const char *lvl = getenv("ZT_LOG");
    zl_log_set_level(lvl && zl_log_parse_level(lvl) >= 0 ? (zl_log_level_t)zl_log_parse_level(lvl) : ZL_LOG_ERROR);

    /* The mock cluster: one broker, the topics created up front with one
     * partition each, so the test's reader can assign them directly. */
    if (!(h->mock_owner = new_client(RD_KAFKA_PRODUCER, NULL, NULL)) ||
        !(h->mock = rd_kafka_mock_cluster_new(h->mock_owner, 1)))
        goto fail;
    for (int i = 0; i < ZT_N_TOPICS; i++)
        if (rd_kafka_mock_topic_create(h->mock, h->topics[i], 1, 1)) goto fail;
    const char *bs = rd_kafka_mock_cluster_bootstraps(h->mock);
    if (!(h->producer = new_client(RD_KAFKA_PRODUCER, bs, NULL)) ||
        !(h->reader = new_client(RD_KAFKA_CONSUMER, bs, "zt-reader")) ||
        !(h->group_view = new_client(RD_KAFKA_CONSUMER, bs, h->id)))
        goto fail;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(ZT_N_TOPICS);
    for (int i = 0; i < ZT_N_TOPICS; i++)
        rd_kafka_topic_partition_list_add(l, h->topics[i], 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t e = rd_kafka_assign(h->reader, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) goto fail;

    if (start_gateway(h, o)) goto fail;
    return h;
fail:
    fprintf(stderr, "harness: cannot start the gateway under test\n");
    (void)zt_gw_stop(h);
    return NULL;
}

int zt_gw_stop(zt_gw_t *h) {
    if (!h) return -1;
    stop_gateway(h);
    int rc = h->run_rc;
    if (h->reader) {
        rd_kafka_consumer_close(h->reader);
        rd_kafka_destroy(h->reader);
    }
    if (h->group_view) rd_kafka_destroy(h->group_view);
    if (h->producer) rd_kafka_destroy(h->producer);
    if (h->mock) rd_kafka_mock_cluster_destroy(h->mock);
    if (h->mock_owner) rd_kafka_destroy(h->mock_owner);
    for (int i = 0; i < h->n_recs; i++) {
        json_decref(h->recs[i].key);
        json_decref(h->recs[i].value);
    }
    nftw(h->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(h);
    return rc;
}

void zt_kafka_set_rtt(zt_gw_t *h, int rtt_ms) { rd_kafka_mock_broker_set_rtt(h->mock, 1, rtt_ms); }

int zt_gw_coap_port(const zt_gw_t *h) { return zl_gw_coap_port(h->gw); }
const char *zt_gw_id(const zt_gw_t *h) { return h->id; }
const char *zt_gw_topic(const zt_gw_t *h, zt_topic_t t) { return h->topics[t]; }

/* ---------------------------------------------------------------- Kafka side */

int64_t zt_produce(zt_gw_t *h, zt_topic_t t, const char *value) {
    int64_t result = -2;
    rd_kafka_resp_err_t e = rd_kafka_producev(h->producer, RD_KAFKA_V_TOPIC(h->topics[t]), RD_KAFKA_V_PARTITION(0),
                                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                              RD_KAFKA_V_VALUE((void *)value, strlen(value)),
                                              RD_KAFKA_V_OPAQUE(&result), RD_KAFKA_V_END);
    if (e) {
        fprintf(stderr, "harness: produce: %s\n", rd_kafka_err2str(e));
        return -1;
    }
    int64_t deadline = zt_now_ms() + 5000;
    while (result == -2 && zt_now_ms() < deadline) rd_kafka_poll(h->producer, 20);
    if (result == -2) { /* the report must not write to this frame later */
        rd_kafka_purge(h->producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(h->producer, 1000);
        fprintf(stderr, "harness: produce to %s: no delivery report\n", h->topics[t]);
        return -1;
    }
    return result;
}

int64_t zt_request(zt_gw_t *h, const char *ep, const char *ticket, const char *kind, const char *path,
                   const char *content_format) {
    json_t *v = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:n}}", "serverId", h->id, "ep", ep, "ticket", ticket,
                          "payload", "kind", kind, "path", path, "contentFormat",
                          content_format ? content_format : "TLV", "body");
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    int64_t off = text ? zt_produce(h, ZT_REQ, text) : -1;
    free(text);
    json_decref(v);
    return off;
}

static zt_topic_t topic_of(const zt_gw_t *h, const char *name) {
    for (int i = 0; i < ZT_N_TOPICS; i++)
        if (!strcmp(h->topics[i], name)) return (zt_topic_t)i;
    return ZT_N_TOPICS;
}

/* Reads whatever the reader has within wait_ms (first poll) and appends it. */
static void pump(zt_gw_t *h, int wait_ms) {
    rd_kafka_message_t *m;
    while ((m = rd_kafka_consumer_poll(h->reader, wait_ms))) {
        wait_ms = 0;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "harness: reader: %s\n", rd_kafka_message_errstr(m));
        } else if (h->n_recs < MAX_RECS) {
            zt_rec_t *r = &h->recs[h->n_recs];
            memset(r, 0, sizeof *r);
            r->topic = topic_of(h, rd_kafka_topic_name(m->rkt));
            r->offset = m->offset;
            json_error_t je;
            if (m->key) r->key = json_loadb(m->key, m->key_len, 0, &je);
            r->value = json_loadb(m->payload, m->len, 0, &je);
            if (!r->value)
                fprintf(stderr, "harness: record on %s at %lld is not JSON: %s\n", rd_kafka_topic_name(m->rkt),
                        (long long)m->offset, je.text);
            h->n_recs++;
        }
        rd_kafka_message_destroy(m);
    }
}

static bool str_is(json_t *v, const char *dotted, const char *want) {
    if (!want) return true;
    const char *s = zt_json_str(v, dotted);
    return s && !strcmp(s, want);
}

static bool matches(const zt_rec_t *r, zt_topic_t t, const zt_match_t *m) {
    if (r->taken || r->topic != t || !r->value) return false;
    if (!m) return true;
    if (!str_is(r->key, "ep", m->ep) || !str_is(r->value, "ticket", m->ticket) || !str_is(r->value, "kind", m->kind))
        return false;
    if (m->queue_state) {
        json_t *attrs = zt_json_at(r->value, "body.*.attributes");
        /* an optional map is a union: {"map": {...}} */
        json_t *map = attrs && json_object_get(attrs, "map") ? json_object_get(attrs, "map") : attrs;
        json_t *st = map ? json_object_get(map, "queue.state") : NULL;
        if (!json_is_string(st) || strcmp(json_string_value(st), m->queue_state)) return false;
    }
    return true;
}

zt_rec_t *zt_wait_record(zt_gw_t *h, zt_topic_t t, const zt_match_t *m, int timeout_ms) {
    int64_t deadline = zt_now_ms() + timeout_ms;
    for (;;) {
        for (int i = 0; i < h->n_recs; i++)
            if (matches(&h->recs[i], t, m)) {
                h->recs[i].taken = true;
                return &h->recs[i];
            }
        int64_t left = deadline - zt_now_ms();
        if (left <= 0) return NULL;
        pump(h, left < 50 ? (int)left : 50);
    }
}

int zt_count_records(zt_gw_t *h, zt_topic_t t, const zt_match_t *m, int timeout_ms) {
    int64_t deadline = zt_now_ms() + timeout_ms;
    for (int64_t left; (left = deadline - zt_now_ms()) > 0;) pump(h, left < 50 ? (int)left : 50);
    int n = 0;
    for (int i = 0; i < h->n_recs; i++) n += matches(&h->recs[i], t, m);
    return n;
}

bool zt_wait_committed(zt_gw_t *h, int64_t offset, int timeout_ms) {
    int64_t deadline = zt_now_ms() + timeout_ms;
    do {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, h->topics[ZT_REQ], 0);
        rd_kafka_resp_err_t e = rd_kafka_committed(h->group_view, l, 1000);
        int64_t got = e ? -1 : l->elems[0].offset;
        rd_kafka_topic_partition_list_destroy(l);
        if (got >= offset) return true;
        pump(h, 50); /* keeps the records flowing meanwhile and paces the loop */
    } while (zt_now_ms() < deadline);
    return false;
}

json_t *zt_json_at(json_t *v, const char *dotted) {
    char seg[64];
    const char *p = dotted;
    while (v && *p) {
        size_t n = strcspn(p, ".");
        if (n >= sizeof seg) return NULL;
        memcpy(seg, p, n);
        seg[n] = 0;
        p += n + (p[n] == '.');
        if (!strcmp(seg, "*")) { /* step into a union branch {"name": value} */
            if (!json_is_object(v) || json_object_size(v) != 1) return NULL;
            v = json_object_iter_value(json_object_iter(v));
        } else if (json_is_array(v)) {
            char *end;
            long i = strtol(seg, &end, 10);
            v = *end ? NULL : json_array_get(v, (size_t)i);
        } else {
            v = json_object_get(v, seg);
        }
    }
    return v;
}

const char *zt_json_str(json_t *v, const char *dotted) {
    json_t *s = zt_json_at(v, dotted);
    return json_is_string(s) ? json_string_value(s) : NULL;
}

/* ---------------------------------------------------------------- device side */

struct zt_dev {
    int fd;
    uint16_t mid;
    uint32_t tok;
    zt_msg_t pending[MAX_PENDING]; /* gateway requests that arrived during zt_dev_call */
    int n_pending;
};

zt_dev_t *zt_dev_new(const zt_gw_t *h) {
    zt_dev_t *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->mid = (uint16_t)(rand() & 0x7fff);
    d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in g = a;
    g.sin_port = htons((uint16_t)zt_gw_coap_port(h));
    if (d->fd < 0 || bind(d->fd, (struct sockaddr *)&a, sizeof a) || connect(d->fd, (struct sockaddr *)&g, sizeof g)) {
        fprintf(stderr, "harness: device socket: %s\n", strerror(errno));
        if (d->fd >= 0) close(d->fd);
        free(d);
        return NULL;
    }
    return d;
}

void zt_dev_free(zt_dev_t *d) {
    if (!d) return;
    close(d->fd);
    free(d);
}

static int send_msg(zt_dev_t *d, const zl_coap_msg_t *m) {
    uint8_t out[1536];
    size_t n = zl_coap_serialize(m, out, sizeof out);
    if (!n) return -1;
    return send(d->fd, out, n, 0) == (ssize_t)n ? 0 : -1;
}

/* One datagram from the socket within timeout_ms (parsed). 1 / 0 timeout / -1. */
static int read_dgram(zt_dev_t *d, zt_msg_t *out, int timeout_ms) {
    struct pollfd p = {.fd = d->fd, .events = POLLIN};
    int r = poll(&p, 1, timeout_ms < 0 ? 0 : timeout_ms);
    if (r <= 0) return r;
    ssize_t n = recv(d->fd, out->buf, sizeof out->buf, 0);
    if (n < 0) return -1;
    out->len = (size_t)n;
    if (zl_coap_parse(out->buf, out->len, &out->m)) {
        fprintf(stderr, "harness: device got an unparsable datagram (%zd bytes)\n", n);
        return -1;
    }
    return 1;
}

/* Re-points a copied message's view into its own buffer. */
static void msg_copy(zt_msg_t *dst, const zt_msg_t *src) {
    memcpy(dst->buf, src->buf, src->len);
    dst->len = src->len;
    zl_coap_parse(dst->buf, dst->len, &dst->m);
}

int zt_dev_recv(zt_dev_t *d, zt_msg_t *out, int timeout_ms) {
    if (d->n_pending) {
        msg_copy(out, &d->pending[0]);
        d->n_pending--;
        for (int i = 0; i < d->n_pending; i++) msg_copy(&d->pending[i], &d->pending[i + 1]);
        return 1;
    }
    return read_dgram(d, out, timeout_ms);
}

static void ack_empty(zt_dev_t *d, uint16_t mid) {
    zl_coap_msg_t a;
    zl_coap_init(&a, ZL_COAP_ACK, ZL_COAP_EMPTY, mid);
    send_msg(d, &a);
}

int zt_dev_call(zt_dev_t *d, uint8_t method, const char *path, const char *const *queries, int cf,
                const void *payload, size_t len, zt_msg_t *resp, bool *empty_ack_first, int timeout_ms) {
    zl_coap_msg_t m;
    uint8_t cf_opt[4];
    zl_coap_init(&m, ZL_COAP_CON, method, ++d->mid);
    uint32_t tok = ++d->tok;
    m.tkl = 4;
    memcpy(m.token, &tok, 4);
    if (path && path[0]) zl_coap_add_path(&m, ZL_OPT_URI_PATH, path);
    if (cf >= 0) zl_coap_add_uint(&m, ZL_OPT_CONTENT_FORMAT, (uint32_t)cf, cf_opt);
    for (int i = 0; queries && queries[i]; i++) zl_coap_add_opt(&m, ZL_OPT_URI_QUERY, queries[i], strlen(queries[i]));
    m.payload = payload;
    m.payload_len = payload ? len : 0;
    if (empty_ack_first) *empty_ack_first = false;
    if (send_msg(d, &m)) return -1;
    int64_t deadline = zt_now_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - zt_now_ms();
        if (left <= 0) return 0;
        int r = read_dgram(d, resp, (int)left);
        if (r <= 0) return r;
        const zl_coap_msg_t *g = &resp->m;
        if (g->type == ZL_COAP_ACK && g->mid == m.mid) {
            if (g->code == ZL_COAP_EMPTY) {
                if (empty_ack_first) *empty_ack_first = true;
                continue;
            }
            return 1;
        }
        if (zl_coap_is_response(g->code) && g->tkl == 4 && !memcmp(g->token, m.token, 4)) {
            if (g->type == ZL_COAP_CON) ack_empty(d, g->mid);
            return 1;
        }
        if (zl_coap_is_request(g->code) && d->n_pending < MAX_PENDING) msg_copy(&d->pending[d->n_pending++], resp);
    }
}

int zt_dev_reply(zt_dev_t *d, const zt_msg_t *req, uint8_t code, int cf, const void *payload, size_t len,
                 int64_t observe) {
    zl_coap_msg_t m;
    uint8_t s1[4], s2[4];
    bool con = req->m.type == ZL_COAP_CON;
    zl_coap_init(&m, con ? ZL_COAP_ACK : ZL_COAP_NON, code, con ? req->m.mid : ++d->mid);
    m.tkl = req->m.tkl;
    memcpy(m.token, req->m.token, m.tkl);
    if (observe >= 0) zl_coap_add_uint(&m, ZL_OPT_OBSERVE, (uint32_t)observe, s1);
    if (cf >= 0) zl_coap_add_uint(&m, ZL_OPT_CONTENT_FORMAT, (uint32_t)cf, s2);
    m.payload = payload;
    m.payload_len = payload ? len : 0;
    return send_msg(d, &m);
}

int zt_dev_notify(zt_dev_t *d, const zt_msg_t *obs_req, uint32_t seq, int cf, const void *payload, size_t len) {
    zl_coap_msg_t m;
    uint8_t s1[4], s2[4];
    zl_coap_init(&m, ZL_COAP_NON, ZL_COAP_CONTENT, ++d->mid);
    m.tkl = obs_req->m.tkl;
    memcpy(m.token, obs_req->m.token, m.tkl);
    zl_coap_add_uint(&m, ZL_OPT_OBSERVE, seq, s1);
    if (cf >= 0) zl_coap_add_uint(&m, ZL_OPT_CONTENT_FORMAT, (uint32_t)cf, s2);
    m.payload = payload;
    m.payload_len = len;
    return send_msg(d, &m);
}

uint8_t zt_dev_register(zt_dev_t *d, const char *ep, int lt, const char *binding, const char *links,
                        char *location, size_t location_size) {
    char q_ep[128], q_lt[32], q_b[16];
    snprintf(q_ep, sizeof q_ep, "ep=%s", ep);
    snprintf(q_lt, sizeof q_lt, "lt=%d", lt);
    snprintf(q_b, sizeof q_b, "b=%s", binding ? binding : "U");
    const char *const q[] = {q_ep, q_lt, "lwm2m=1.1", q_b, NULL};
    zt_msg_t resp;
    if (zt_dev_call(d, ZL_COAP_POST, "/rd", q, 40, links, strlen(links), &resp, NULL, 3000) != 1) return 0;
    if (location && zl_coap_path_string(&resp.m, ZL_OPT_LOCATION_PATH, location, location_size)) location[0] = 0;
    return resp.m.code;
}

const char *zt_uri_path(const zt_msg_t *m, char *out, size_t n) {
    if (zl_coap_path_string(&m->m, ZL_OPT_URI_PATH, out, n)) out[0] = 0;
    return out;
}
