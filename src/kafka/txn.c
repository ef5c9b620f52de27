/* SPDX-License-Identifier: Apache-2.0 */
/* Kafka transactions for exactly-once processing (txn.h).
 *
 * Why the consumer's group metadata goes into the transaction (KIP-447): the
 * group coordinator then refuses offsets from a member that lost its
 * partitions, so one transactional producer per instance is enough and a
 * zombie cannot commit what the new owner also processes.  Why commit on
 * revoke: the partition's records processed so far must be committed (or
 * aborted) before another member may read them again from its offset. */
#include "kafka/txn.h"
#include "kafka/kafka_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/array.h"
#include "common/clock.h"
#include "common/log.h"

#define TXN_TIMEOUT_MS 60000

typedef struct {
    char *topic;
    int32_t partition;
    int64_t next; /* offset after the last record served in the open transaction; -1 none */
} pos_t;

struct zl_txn {
    rd_kafka_t *consumer, *producer, *reader; /* reader: changelog restores, created on first use */
    const zl_conf_t *conf;
    zl_txn_ops_t ops;
    zl_consumer_cb on_record;
    void *ctx;
    bool open;
    bool fatal;
    char fatal_why[256];
    pos_t *pos;
    size_t n_pos, cap_pos;
    const char *last_name; /* the topic name pointer of the last record (librdkafka's, stable per topic) */
    size_t last_pos;       /* ... and its position's index */
    int assigned;
    zl_counter_t *c_commits, *c_aborts, *c_errors;
    zl_gauge_t *g_parts;
};

static void set_fatal(zl_txn_t *t, const char *what, const rd_kafka_error_t *e) {
    t->fatal = true;
    snprintf(t->fatal_why, sizeof t->fatal_why, "%s%s%s", what, e ? ": " : "", e ? rd_kafka_error_string(e) : "");
}

/* ---- positions ----------------------------------------------------------- */

static pos_t *pos_of(zl_txn_t *t, const char *topic, int32_t partition) {
    if (t->last_name == topic && t->last_pos < t->n_pos && t->pos[t->last_pos].partition == partition)
        return &t->pos[t->last_pos];
    for (size_t i = 0; i < t->n_pos; i++)
        if (t->pos[i].partition == partition && !strcmp(t->pos[i].topic, topic)) {
            t->last_name = topic;
            t->last_pos = i;
            return &t->pos[i];
        }
    if (ZL_ARRAY_RESERVE(&t->pos, &t->cap_pos, t->n_pos + 1, 8)) return NULL;
    char *copy = strdup(topic);
    if (!copy) return NULL;
    t->pos[t->n_pos] = (pos_t){copy, partition, -1};
    return &t->pos[t->n_pos++];
}

static void pos_forget(zl_txn_t *t, const char *topic, int32_t partition) {
    for (size_t i = 0; i < t->n_pos; i++)
        if (t->pos[i].partition == partition && !strcmp(t->pos[i].topic, topic)) {
            free(t->pos[i].topic);
            t->pos[i] = t->pos[--t->n_pos];
            t->last_name = NULL;
            return;
        }
}

/* ---- transactions -------------------------------------------------------- */

static bool begin(zl_txn_t *t) {
    if (t->open) return true;
    if (t->fatal) return false;
    rd_kafka_error_t *e = rd_kafka_begin_transaction(t->producer);
    if (e) {
        set_fatal(t, "cannot begin a transaction", e);
        rd_kafka_error_destroy(e);
        return false;
    }
    t->open = true;
    return true;
}

/* Rewinds every assigned partition to its committed offset, handing it back
 * to the processor as revoked then assigned (its state reloaded). */
static void rewind_all(zl_txn_t *t) {
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(t->consumer, &parts) || !parts) return;
    for (int i = 0; i < parts->cnt; i++) t->ops.revoked(t->ctx, parts->elems[i].topic, parts->elems[i].partition);
    rd_kafka_resp_err_t err = rd_kafka_committed(t->consumer, parts, 30000);
    if (err) ZL_ERROR("kafka", "after an abort: cannot read the committed offsets: %s", rd_kafka_err2str(err));
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        if (p->offset < 0) p->offset = RD_KAFKA_OFFSET_BEGINNING; /* nothing committed: auto.offset.reset's place */
        pos_forget(t, p->topic, p->partition);
    }
    rd_kafka_error_t *e = rd_kafka_seek_partitions(t->consumer, parts, 30000);
    if (e) {
        ZL_ERROR("kafka", "after an abort: cannot rewind: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
    for (int i = 0; i < parts->cnt; i++) t->ops.assigned(t->ctx, parts->elems[i].topic, parts->elems[i].partition);
    rd_kafka_topic_partition_list_destroy(parts);
}

static zl_err_t abort_and_rewind(zl_txn_t *t, const char *why) {
    zl_counter_inc(t->c_aborts);
    ZL_WARN("kafka", "transaction aborted (%s); its partitions restart from their committed offsets", why);
    rd_kafka_error_t *e = rd_kafka_abort_transaction(t->producer, TXN_TIMEOUT_MS);
    t->open = false;
    if (e) {
        set_fatal(t, "cannot abort the transaction", e);
        rd_kafka_error_destroy(e);
        return ZL_ERR_KAFKA;
    }
    rewind_all(t);
    return ZL_ERR_CANCELLED;
}

/* An error of a transactional call: retriable ones are retried by the
 * caller, abortable ones abort, anything else is fatal. */
static zl_err_t txn_failed(zl_txn_t *t, const char *what, rd_kafka_error_t *e) {
    zl_counter_inc(t->c_errors);
    zl_err_t r;
    if (rd_kafka_error_txn_requires_abort(e)) {
        char why[300];
        snprintf(why, sizeof why, "%s: %s", what, rd_kafka_error_string(e));
        r = abort_and_rewind(t, why);
    } else {
        set_fatal(t, what, e);
        r = ZL_ERR_KAFKA;
    }
    rd_kafka_error_destroy(e);
    return r;
}

static zl_err_t commit(zl_txn_t *t) {
    if (!t->open) return t->fatal ? ZL_ERR_KAFKA : ZL_OK;
    if (t->ops.flush(t->ctx)) return abort_and_rewind(t, "the processor could not write its state");
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)t->n_pos + 1);
    for (size_t i = 0; i < t->n_pos; i++)
        if (t->pos[i].next >= 0) rd_kafka_topic_partition_list_add(l, t->pos[i].topic, t->pos[i].partition)->offset = t->pos[i].next;
    rd_kafka_error_t *e = NULL;
    for (int attempt = 0; l->cnt; attempt++) {
        rd_kafka_consumer_group_metadata_t *md = rd_kafka_consumer_group_metadata(t->consumer);
        e = rd_kafka_send_offsets_to_transaction(t->producer, l, md, TXN_TIMEOUT_MS);
        rd_kafka_consumer_group_metadata_destroy(md);
        if (!e || !rd_kafka_error_is_retriable(e) || attempt == 5) break;
        rd_kafka_error_destroy(e);
        e = NULL;
    }
    rd_kafka_topic_partition_list_destroy(l);
    if (e) return txn_failed(t, "cannot add the offsets to the transaction", e);
    for (int attempt = 0;; attempt++) {
        e = rd_kafka_commit_transaction(t->producer, TXN_TIMEOUT_MS);
        if (!e || !rd_kafka_error_is_retriable(e) || attempt == 5) break;
        rd_kafka_error_destroy(e);
    }
    if (e) return txn_failed(t, "cannot commit the transaction", e);
    t->open = false;
    for (size_t i = 0; i < t->n_pos; i++) t->pos[i].next = -1;
    zl_counter_inc(t->c_commits);
    return ZL_OK;
}

zl_err_t zl_txn_commit(zl_txn_t *t, char *errstr, size_t n) {
    zl_err_t e = commit(t);
    if (e == ZL_ERR_KAFKA) snprintf(errstr, n, "%s", t->fatal_why);
    return e;
}


zl_err_t zl_txn_produce(zl_txn_t *t, const char *topic, int32_t partition, const void *key, size_t key_len,
                        const void *value, size_t value_len, int64_t ts_ms) {
    if (!begin(t)) return ZL_ERR_KAFKA;
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            t->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
            RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(ts_ms > 0 ? ts_ms : 0), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return err ? ZL_ERR_KAFKA : ZL_OK;
        rd_kafka_poll(t->producer, 10); /* the queue drains as batches are acknowledged */
    }
}

/* ---- rebalances ---------------------------------------------------------- */

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
    zl_txn_t *t = opaque;
    bool coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        ZL_INFO("kafka", "assigned %d partition(s)", parts->cnt);
        t->assigned = coop ? t->assigned + parts->cnt : parts->cnt;
        if (coop) rd_kafka_incremental_assign(rk, parts);
        else rd_kafka_assign(rk, parts);
        for (int i = 0; i < parts->cnt; i++) t->ops.assigned(t->ctx, parts->elems[i].topic, parts->elems[i].partition);
    } else {
        ZL_INFO("kafka", "revoked %d partition(s)", parts->cnt);
        /* what was processed of them is committed before another member reads it */
        if (t->open && commit(t) == ZL_ERR_CANCELLED) { /* aborted and rewound: nothing of them was written */
        }
        for (int i = 0; i < parts->cnt; i++) {
            t->ops.revoked(t->ctx, parts->elems[i].topic, parts->elems[i].partition);
            pos_forget(t, parts->elems[i].topic, parts->elems[i].partition);
        }
        t->assigned = coop && t->assigned > parts->cnt ? t->assigned - parts->cnt : 0;
        if (coop) rd_kafka_incremental_unassign(rk, parts);
        else rd_kafka_assign(rk, NULL);
    }
    zl_gauge_set(t->g_parts, t->assigned);
}

/* ---- set-up -------------------------------------------------------------- */

static rd_kafka_t *new_client(const zl_conf_t *conf, bool consumer, const char *group, const char *txn_id,
                              void *opaque, char *errstr, size_t n) {
    rd_kafka_conf_t *kc = zl_kafka_conf(conf, consumer, errstr, n);
    if (!kc) return NULL;
    bool ok = true;
    if (consumer) {
        if (group)
            ok = !rd_kafka_conf_set(kc, "group.id", group, errstr, n) &&
                 !rd_kafka_conf_set(kc, "enable.auto.commit", "false", errstr, n) &&
                 !rd_kafka_conf_set(kc, "enable.auto.offset.store", "false", errstr, n);
        else /* the changelog reader: assigned partitions only (librdkafka wants a group id even so,
              * nothing is ever committed under it), end of partition reported */
            ok = !rd_kafka_conf_set(kc, "group.id", "zeelos-changelog-reader", errstr, n) &&
                 !rd_kafka_conf_set(kc, "enable.auto.commit", "false", errstr, n) &&
                 !rd_kafka_conf_set(kc, "enable.partition.eof", "true", errstr, n) &&
                 !rd_kafka_conf_set(kc, "fetch.wait.max.ms", "10", errstr, n);
        /* only committed transactions are input, or state */
        ok = ok && !rd_kafka_conf_set(kc, "isolation.level", "read_committed", errstr, n);
        if (ok && !zl_conf_kafka(conf, "kafka.auto.offset.reset"))
            rd_kafka_conf_set(kc, "auto.offset.reset", "earliest", NULL, 0);
        if (ok && group) rd_kafka_conf_set_rebalance_cb(kc, rebalance_cb);
        /* a subscribed topic created a moment ago (a repartition topic) can be missing from the
         * first metadata: librdkafka looks again only every topic.metadata.refresh.interval.ms,
         * 5 minutes by default, and the partitions sit unassigned until then */
        if (ok && group && !zl_conf_kafka(conf, "kafka.topic.metadata.refresh.interval.ms"))
            rd_kafka_conf_set(kc, "topic.metadata.refresh.interval.ms", "10000", NULL, 0);
        /* librdkafka prefetches up to 64 MiB per consumer by default; a processor keeps up with
         * its input at a fraction of that, and its memory is what users budget at the edge */
        if (ok && !zl_conf_kafka(conf, "kafka.queued.max.messages.kbytes"))
            rd_kafka_conf_set(kc, "queued.max.messages.kbytes", "1024", NULL, 0);
        if (ok && !zl_conf_kafka(conf, "kafka.fetch.max.bytes"))
            rd_kafka_conf_set(kc, "fetch.max.bytes", "1048576", NULL, 0);
        /* ... and with a short prefetch the default second of back-off once it is full starves the
         * processor: fetch again as soon as it has made room */
        if (ok && !zl_conf_kafka(conf, "kafka.fetch.queue.backoff.ms"))
            rd_kafka_conf_set(kc, "fetch.queue.backoff.ms", "5", NULL, 0);
    } else {
        ok = !rd_kafka_conf_set(kc, "transactional.id", txn_id, errstr, n);
        /* a killed instance's open transaction holds read_committed readers back until it times out
         * (or the instance comes back): Kafka Streams' exactly-once 10 s, not librdkafka's 60 s */
        if (ok && !zl_conf_kafka(conf, "kafka.transaction.timeout.ms"))
            rd_kafka_conf_set(kc, "transaction.timeout.ms", "10000", NULL, 0);
    }
    if (!ok) {
        rd_kafka_conf_destroy(kc);
        return NULL;
    }
    rd_kafka_conf_set_opaque(kc, opaque);
    rd_kafka_t *rk = rd_kafka_new(consumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER, kc, errstr, n);
    if (!rk) rd_kafka_conf_destroy(kc);
    return rk;
}

zl_txn_t *zl_txn_new(const zl_conf_t *conf, const char *group, const char *txn_id, const char *metric_prefix,
                     zl_metrics_t *m, const zl_txn_ops_t *ops, zl_consumer_cb on_record, void *ctx, char *errstr,
                     size_t n) {
    zl_txn_t *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(errstr, n, "out of memory");
        return NULL;
    }
    t->conf = conf;
    t->ops = *ops;
    t->on_record = on_record;
    t->ctx = ctx;
    char name[128];
#define METRIC(kind, var, suffix, help) \
    (snprintf(name, sizeof name, "%s_%s", metric_prefix, suffix), var = zl_metrics_##kind(m, name, NULL, help))
    METRIC(counter, t->c_commits, "commits_total", "Kafka transactions committed (output, state and offsets).");
    METRIC(counter, t->c_aborts, "aborts_total", "Kafka transactions aborted (their partitions were rewound).");
    METRIC(counter, t->c_errors, "commit_errors_total", "Transactional calls that failed.");
    METRIC(gauge, t->g_parts, "partitions", "Input partitions assigned to this instance.");
#undef METRIC
    if (!(t->producer = new_client(conf, false, NULL, txn_id, t, errstr, n)) ||
        !(t->consumer = new_client(conf, true, group, NULL, t, errstr, n)))
        goto fail;
    rd_kafka_poll_set_consumer(t->consumer);
    rd_kafka_error_t *e = rd_kafka_init_transactions(t->producer, TXN_TIMEOUT_MS);
    if (e) {
        snprintf(errstr, n, "cannot initialise transactions (transactional.id %s): %s", txn_id,
                 rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        goto fail;
    }
    return t;
fail:
    zl_txn_destroy(t);
    return NULL;
}

zl_err_t zl_txn_subscribe(zl_txn_t *t, const char *topics, char *errstr, size_t n) {
    rd_kafka_resp_err_t e = zl_kafka_subscribe(t->consumer, topics);
    if (e) {
        snprintf(errstr, n, "cannot subscribe to \"%s\": %s", topics, rd_kafka_err2str(e));
        return ZL_ERR_KAFKA;
    }
    return ZL_OK;
}

void zl_txn_destroy(zl_txn_t *t) {
    if (!t) return;
    if (t->open && !t->fatal) { /* the owner did not commit it: its work is not complete */
        rd_kafka_error_t *e = rd_kafka_abort_transaction(t->producer, 10000);
        if (e) rd_kafka_error_destroy(e);
        t->open = false;
    }
    if (t->consumer) {
        rd_kafka_consumer_close(t->consumer); /* revokes: nothing is open any more */
        rd_kafka_destroy(t->consumer);
    }
    if (t->producer) rd_kafka_destroy(t->producer);
    if (t->reader) {
        rd_kafka_consumer_close(t->reader);
        rd_kafka_destroy(t->reader);
    }
    for (size_t i = 0; i < t->n_pos; i++) free(t->pos[i].topic);
    free(t->pos);
    free(t);
}

/* ---- consuming ----------------------------------------------------------- */

static void on_record(void *ctx, const zl_kmsg_t *m) {
    zl_txn_t *t = ctx;
    if (!begin(t)) return;
    pos_t *p = pos_of(t, m->topic, m->partition);
    if (!p) {
        set_fatal(t, "out of memory", NULL);
        return;
    }
    t->on_record(t->ctx, m);
    p->next = m->offset + 1;
}

static bool on_error(void *ctx, rd_kafka_resp_err_t err, const char *text) {
    zl_txn_t *t = ctx;
    (void)err;
    zl_counter_inc(t->c_errors);
    ZL_WARN("kafka", "consumer: %s", text);
    return false;
}

zl_err_t zl_txn_poll(zl_txn_t *t, int timeout_ms, int max, char *errstr, size_t n) {
    if (!t->fatal) zl_kafka_consume_batch(t->consumer, timeout_ms, max, on_record, on_error, t);
    rd_kafka_poll(t->producer, 0);
    if (!t->fatal) {
        char why[256];
        rd_kafka_resp_err_t f = rd_kafka_fatal_error(t->producer, why, sizeof why);
        if (f) {
            t->fatal = true;
            snprintf(t->fatal_why, sizeof t->fatal_why, "producer: %.200s", why);
        }
    }
    if (t->fatal) {
        snprintf(errstr, n, "%s", t->fatal_why);
        return ZL_ERR_KAFKA;
    }
    return ZL_OK;
}

/* ---- logs and topics ----------------------------------------------------- */

typedef struct {
    zl_consumer_cb cb;
    void *ctx;
    bool eof;
} read_ctx_t;

static void on_log_record(void *ctx, const zl_kmsg_t *m) {
    read_ctx_t *r = ctx;
    r->cb(r->ctx, m);
}

static bool on_log_error(void *ctx, rd_kafka_resp_err_t err, const char *text) {
    read_ctx_t *r = ctx;
    (void)text;
    if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        r->eof = true;
        return true;
    }
    return false;
}

zl_err_t zl_txn_read_log(zl_txn_t *t, const char *topic, int32_t partition, zl_consumer_cb cb, void *ctx,
                         int timeout_ms, char *errstr, size_t n) {
    if (!t->reader && !(t->reader = new_client(t->conf, true, NULL, NULL, t, errstr, n))) return ZL_ERR_KAFKA;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t err = rd_kafka_assign(t->reader, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (err) {
        snprintf(errstr, n, "cannot read %s [%d]: %s", topic, (int)partition, rd_kafka_err2str(err));
        return ZL_ERR_KAFKA;
    }
    read_ctx_t r = {cb, ctx, false};
    int64_t deadline = zl_now_ms() + timeout_ms;
    zl_err_t e = ZL_OK;
    while (!r.eof) {
        if (zl_now_ms() > deadline) {
            snprintf(errstr, n, "%s [%d] not read to its end within %d ms", topic, (int)partition, timeout_ms);
            e = ZL_ERR_TIMEOUT;
            break;
        }
        zl_kafka_consume_batch(t->reader, 100, 10000, on_log_record, on_log_error, &r);
    }
    rd_kafka_assign(t->reader, NULL);
    return e;
}

int zl_txn_partitions(zl_txn_t *t, const char *topic, char *errstr, size_t n) {
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(t->producer, topic, NULL);
    int parts = -1;
    /* a topic created a moment ago may not be in every broker's metadata yet:
     * asked again for up to 10 s (set-up only, blocking) */
    for (int attempt = 0; parts < 0 && attempt < 50; attempt++) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err = rkt ? rd_kafka_metadata(t->producer, 0, rkt, &md, 10000) : RD_KAFKA_RESP_ERR__FAIL;
        rd_kafka_resp_err_t te = err ? err : md->topic_cnt != 1 ? RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                                                                 : md->topics[0].err;
        if (err) snprintf(errstr, n, "metadata of %s: %s", topic, rd_kafka_err2str(err));
        else if (te) snprintf(errstr, n, "topic %s: %s", topic, rd_kafka_err2str(te));
        else parts = md->topics[0].partition_cnt;
        if (md) rd_kafka_metadata_destroy(md);
        if (parts >= 0 || (te != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && te != RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE))
            break;
        usleep(200 * 1000);
    }
    if (rkt) rd_kafka_topic_destroy(rkt);
    return parts;
}

zl_err_t zl_txn_ensure_topic(zl_txn_t *t, const char *topic, int partitions, bool compact, char *errstr, size_t n) {
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, -1, errstr, n);
    if (!nt) return ZL_ERR_INVALID;
    if (compact) rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
    rd_kafka_queue_t *q = rd_kafka_queue_new(t->producer);
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(t->producer, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(o, 10000, NULL, 0);
    rd_kafka_CreateTopics(t->producer, &nt, 1, o, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 15000);
    zl_err_t e = ZL_OK;
    if (!ev) {
        snprintf(errstr, n, "creating topic %s: no answer within 15 s", topic);
        e = ZL_ERR_TIMEOUT;
    } else if (rd_kafka_event_error(ev)) {
        snprintf(errstr, n, "creating topic %s: %s", topic, rd_kafka_event_error_string(ev));
        e = ZL_ERR_KAFKA;
    } else {
        size_t cnt = 0;
        const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        rd_kafka_resp_err_t te = cnt ? rd_kafka_topic_result_error(res[0]) : RD_KAFKA_RESP_ERR_NO_ERROR;
        if (te && te != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            snprintf(errstr, n, "creating topic %s: %s", topic, rd_kafka_topic_result_error_string(res[0]));
            e = ZL_ERR_KAFKA;
        }
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    return e;
}
