/* SPDX-License-Identifier: Apache-2.0 */
/* zl_logreader_t (logreader.h): a group-less consumer assigned partition 0
 * of one topic at its beginning.  Partition-EOF events are turned on: the
 * first one tells the owner it has the whole log (a registry answers only
 * once it has), later ones are harmless. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka/logreader.h"
#include "kafka/kafka_int.h"
#include "common/clock.h"
#include "common/log.h"

struct zl_logreader {
    rd_kafka_t *rk;
    rd_kafka_queue_t *q;
    int pipefd[2];
    char *topic;
    zl_consumer_cb cb;
    void *ctx;
    int64_t position;
    bool at_end;
};

/* The topic's metadata; a topic created a moment ago may be unknown to the
 * broker answering, or have no leader yet: asked again until timeout_ms. */
static rd_kafka_resp_err_t topic_metadata(zl_logreader_t *r, rd_kafka_topic_t *rkt, int timeout_ms,
                                          const struct rd_kafka_metadata **md) {
    int64_t deadline = zl_now_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - zl_now_ms();
        rd_kafka_resp_err_t err = rd_kafka_metadata(r->rk, 0, rkt, md, left > 0 ? (int)left : 1);
        if (err) return err;
        rd_kafka_resp_err_t te = (*md)->topic_cnt ? (*md)->topics[0].err : RD_KAFKA_RESP_ERR_NO_ERROR;
        bool settling = te == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || te == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
        if (!settling || zl_now_ms() + 100 >= deadline) return RD_KAFKA_RESP_ERR_NO_ERROR;
        rd_kafka_metadata_destroy(*md);
        *md = NULL;
        usleep(100 * 1000); /* set-up only */
    }
}

static zl_err_t one_partition(zl_logreader_t *r, int timeout_ms, char *errstr, size_t n) {
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(r->rk, r->topic, NULL);
    if (!rkt) {
        snprintf(errstr, n, "topic %s: %s", r->topic, rd_kafka_err2str(rd_kafka_last_error()));
        return ZL_ERR_KAFKA;
    }
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = topic_metadata(r, rkt, timeout_ms, &md);
    rd_kafka_topic_destroy(rkt);
    zl_err_t e = ZL_OK;
    if (err) {
        snprintf(errstr, n, "metadata of %s: %s", r->topic, rd_kafka_err2str(err));
        e = ZL_ERR_KAFKA;
    } else if (md->topic_cnt < 1 || md->topics[0].err) {
        snprintf(errstr, n, "topic %s: %s", r->topic,
                 md->topic_cnt ? rd_kafka_err2str(md->topics[0].err) : "not in the metadata");
        e = ZL_ERR_NOT_FOUND;
    } else if (md->topics[0].partition_cnt != 1) {
        snprintf(errstr, n, "topic %s has %d partitions: a state log needs exactly one (one order of records)",
                 r->topic, md->topics[0].partition_cnt);
        e = ZL_ERR_INVALID;
    }
    if (md) rd_kafka_metadata_destroy(md);
    return e;
}

zl_logreader_t *zl_logreader_new(const zl_conf_t *conf, const char *topic, zl_consumer_cb cb, void *ctx,
                                 int timeout_ms, char *errstr, size_t n) {
    zl_logreader_t *r = calloc(1, sizeof *r);
    if (!r || !(r->topic = strdup(topic))) {
        free(r);
        snprintf(errstr, n, "out of memory");
        return NULL;
    }
    r->pipefd[0] = r->pipefd[1] = -1;
    r->cb = cb;
    r->ctx = ctx;
    rd_kafka_conf_t *kc = zl_kafka_conf(conf, true, errstr, n);
    char gid[80];
    /* librdkafka wants a group id for a consumer; it is never joined or committed to */
    snprintf(gid, sizeof gid, "zeelos-logreader-%ld", (long)getpid());
    if (!kc || rd_kafka_conf_set(kc, "group.id", gid, errstr, n) ||
        rd_kafka_conf_set(kc, "enable.auto.commit", "false", errstr, n) ||
        rd_kafka_conf_set(kc, "enable.auto.offset.store", "false", errstr, n) ||
        rd_kafka_conf_set(kc, "enable.partition.eof", "true", errstr, n)) {
        if (kc) rd_kafka_conf_destroy(kc);
        zl_logreader_destroy(r);
        return NULL;
    }
    if (!(r->rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, errstr, n))) {
        rd_kafka_conf_destroy(kc);
        zl_logreader_destroy(r);
        return NULL;
    }
    rd_kafka_poll_set_consumer(r->rk);
    if (one_partition(r, timeout_ms, errstr, n)) {
        zl_logreader_destroy(r);
        return NULL;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t err = rd_kafka_assign(r->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (err || !(r->q = rd_kafka_queue_get_consumer(r->rk)) || zl_kafka_pipe(r->pipefd) < 0) {
        snprintf(errstr, n, "reading %s: %s", topic, err ? rd_kafka_err2str(err) : "cannot set up its queue");
        zl_logreader_destroy(r);
        return NULL;
    }
    rd_kafka_queue_io_event_enable(r->q, r->pipefd[1], "1", 1);
    return r;
}

void zl_logreader_destroy(zl_logreader_t *r) {
    if (!r) return;
    if (r->q) {
        rd_kafka_queue_io_event_enable(r->q, -1, NULL, 0);
        rd_kafka_queue_destroy(r->q);
    }
    if (r->rk) {
        rd_kafka_consumer_close(r->rk);
        rd_kafka_destroy(r->rk);
    }
    if (r->pipefd[0] >= 0) close(r->pipefd[0]);
    if (r->pipefd[1] >= 0) close(r->pipefd[1]);
    free(r->topic);
    free(r);
}

int zl_logreader_fd(const zl_logreader_t *r) { return r->pipefd[0]; }

int zl_logreader_serve(zl_logreader_t *r, int max) {
    zl_kafka_drain(r->pipefd[0]);
    int n = 0;
    while (n < max) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(r->rk, 0);
        if (!m) break;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            r->position = m->offset; /* the end: every record below it was read */
            if (!r->at_end) ZL_INFO("kafka", "read %s to its end (offset %lld)", r->topic, (long long)m->offset);
            r->at_end = true;
        } else if (m->err) {
            ZL_WARN("kafka", "reading %s: %s", r->topic, rd_kafka_message_errstr(m));
        } else {
            rd_kafka_timestamp_type_t tt;
            zl_kmsg_t v = {.topic = r->topic, .partition = m->partition, .offset = m->offset,
                           .key = m->key, .key_len = m->key_len, .value = m->payload, .value_len = m->len,
                           .timestamp = rd_kafka_message_timestamp(m, &tt), .received_ns = zl_now_ns()};
            r->position = m->offset + 1;
            r->cb(r->ctx, &v);
            n++;
        }
        rd_kafka_message_destroy(m);
    }
    return n;
}

int64_t zl_logreader_position(const zl_logreader_t *r) { return r->position; }
bool zl_logreader_at_end(const zl_logreader_t *r) { return r->at_end; }
