/* SPDX-License-Identifier: Apache-2.0 */
/* Exactly-once read-process-write over Kafka transactions (KIP-98/KIP-447),
 * for a stream processor (roles/analytics): a group consumer reading
 * read_committed, and one transactional producer whose transaction carries
 * the records the processor writes and the offsets of the records it read.
 * A crash at any point leaves either both or neither.
 *
 * The processor keeps state per input partition ("task").  zl_txn tells it
 * when a partition becomes its own (load the state, e.g. from a changelog
 * partition read with zl_txn_read_log) and when it goes (drop it: after the
 * transaction that covers its records was committed, or aborted - then the
 * partition is rewound to its committed offset and handed back to the
 * processor as newly assigned, so state and position agree again).
 *
 * The transactional id must be stable across restarts of one instance: the
 * restarted one fences its predecessor and aborts its open transaction at
 * once instead of leaving read_committed readers waiting for the timeout.
 *
 * Thread: every call on one thread (the processor's); the calls block on
 * the network (commits, restores), so that thread must not be an event loop
 * other work waits on. */
#ifndef ZL_KAFKA_TXN_H
#define ZL_KAFKA_TXN_H

#include <stdbool.h>
#include <stdint.h>
#include "kafka/client.h"
#include "common/conf.h"
#include "common/metrics.h"

typedef struct zl_txn zl_txn_t;

typedef struct {
    /* The partition is now this instance's: load its state before its
     * first record arrives (records come only after this returns). */
    void (*assigned)(void *ctx, const char *topic, int32_t partition);
    /* The partition leaves (rebalance, shutdown, or rewind after an abort):
     * drop its state.  The transaction that included its records is
     * already committed (or aborted). */
    void (*revoked)(void *ctx, const char *topic, int32_t partition);
    /* Right before a commit: produce what belongs to this transaction
     * (changelog records, early results) with zl_txn_produce().  An error
     * aborts the transaction. */
    zl_err_t (*flush)(void *ctx);
} zl_txn_ops_t;

/* group: the consumer group (the application id).  txn_id: transactional.id.  Every kafka.* property
 * of conf applies to both clients (producer-only ones to the producer).
 * Metrics are named <prefix>_{commits,aborts,commit_errors}_total and
 * <prefix>_partitions.  Initialises the transactions (blocking, fences an
 * older producer with the same txn_id).  NULL + errstr. */
zl_txn_t *zl_txn_new(const zl_conf_t *conf, const char *group, const char *txn_id, const char *metric_prefix,
                     zl_metrics_t *m, const zl_txn_ops_t *ops, zl_consumer_cb on_record, void *ctx, char *errstr,
                     size_t n);
/* Aborts what is still open (commit first to keep it), leaves the group,
 * closes the clients. */
void zl_txn_destroy(zl_txn_t *t);

/* Waits up to timeout_ms for records and serves up to max of them to
 * on_record (a transaction begins before the first one), and the rebalance
 * events.  ZL_OK, or ZL_ERR_KAFKA after a fatal error (fenced by another
 * instance with the same transactional id, broker refused the transactional
 * id): errstr says why and the processor must stop. */
zl_err_t zl_txn_poll(zl_txn_t *t, int timeout_ms, int max, char *errstr, size_t n);
/* Produces into the open transaction (begun if none is).  partition -1: the
 * producer's partitioner on key.  value NULL: a tombstone.  Bytes are
 * copied; a full queue is waited out.  ZL_ERR_KAFKA: the transaction is
 * doomed (it aborts at the next commit). */
zl_err_t zl_txn_produce(zl_txn_t *t, const char *topic, int32_t partition, const void *key, size_t key_len,
                        const void *value, size_t value_len, int64_t ts_ms);
/* Calls ops->flush, then commits the open transaction with the positions of
 * every record served since the last commit.  Nothing open: ZL_OK at once.
 * On an abortable error the transaction is aborted and every assigned
 * partition rewound (revoked + assigned) - ZL_ERR_CANCELLED; fatal errors
 * as zl_txn_poll. */
zl_err_t zl_txn_commit(zl_txn_t *t, char *errstr, size_t n);

/* Reads partition of a log topic (a changelog) from its beginning to its end
 * as of now (read_committed: the last stable offset), handing every record
 * to cb.  Blocking, bounded by timeout_ms.  ZL_OK or ZL_ERR_TIMEOUT/KAFKA +
 * errstr. */
zl_err_t zl_txn_read_log(zl_txn_t *t, const char *topic, int32_t partition, zl_consumer_cb cb, void *ctx,
                         int timeout_ms, char *errstr, size_t n);
/* Creates topic when missing: partitions (-1: the broker's default) and,
 * when compact, cleanup.policy=compact.  Blocking, set-up only. */
zl_err_t zl_txn_ensure_topic(zl_txn_t *t, const char *topic, int partitions, bool compact, char *errstr, size_t n);
/* The partition count of an existing topic (-1 + errstr when unknown). */
int zl_txn_partitions(zl_txn_t *t, const char *topic, char *errstr, size_t n);
/* Subscribes to topics: comma-separated names or ^regexes (after the
 * set-up above: nothing is assigned before). */
zl_err_t zl_txn_subscribe(zl_txn_t *t, const char *topics, char *errstr, size_t n);

#endif
