/* SPDX-License-Identifier: Apache-2.0 */
/* Private to roles/sink: the batch that travels from the loop thread to the
 * writer thread and back, and the interface every store implements.
 *
 * Threads: the loop thread fills a batch (copies of the Kafka records) and
 * hands it to the writer; from then until the writer posts it back, only the
 * writer touches it, except the dead-letter hand-off (sink_dead_*), where
 * the writer waits while the loop produces. */
#ifndef ZL_SINK_INT_H
#define ZL_SINK_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "roles/sink/sink.h"
#include "kafka/serde.h"
#include "kafka/subscriber.h"
#include "common/buf.h"
#include "common/metrics.h"

/* What a topic carries, from its name. */
typedef enum { SINK_T_OBSERVE = 0, SINK_T_REGISTRATION = 1 } sink_topic_kind_t;

/* One Kafka record, copied into the batch (key and value live in data). */
typedef struct {
    uint32_t topic;        /* index into the batch's topics */
    int32_t partition;
    int64_t offset;
    int64_t ts_ms;         /* the Kafka timestamp */
    size_t key_off, key_len, val_off, val_len;
    bool has_key, has_value;
    bool dead;             /* sent to the dead-letter topic */
    char *why;             /* dead: the reason (malloc'd) */
} sink_rec_t;

typedef struct {
    char *name;
    sink_topic_kind_t kind;
} sink_topic_t;

typedef struct sink_batch {
    struct sink_batch *next;
    void *owner;           /* the writer it was pushed to (for the posted results) */
    uint64_t id;
    sink_topic_t *topics;
    size_t n_topics, cap_topics;
    sink_rec_t *recs;
    size_t n, cap;
    zl_buf_t data;
    int64_t opened_ms;
    zl_sub_pos_t *pos;     /* per partition: one past the highest offset (set when closed); topic = topics[].name */
    size_t n_pos;
    /* results, set by the writer */
    uint64_t written, skipped, points;
    size_t dead_pending;   /* dead letters produced and not yet delivered (loop thread) */
    bool dead_failed;
} sink_batch_t;

/* The record's bytes. */
static inline const uint8_t *sink_rec_value(const sink_batch_t *b, const sink_rec_t *r) {
    return b->data.data + r->val_off;
}
static inline const char *sink_rec_topic(const sink_batch_t *b, const sink_rec_t *r) {
    return b->topics[r->topic].name;
}

/* ---- stores ---------------------------------------------------------------
 *
 * A store writes one batch as one unit: begin, one add per record, commit.
 * Everything runs on the writer thread; every call may block.
 * Results: ZL_OK; ZL_ERR_IO = the store is unavailable (the writer aborts,
 * waits and replays the same batch); ZL_ERR_INVALID = the store refused the
 * data (the writer writes the records one by one to find the culprit, which
 * goes to the dead-letter topic).  errstr says why. */
typedef struct sink_store sink_store_t;

typedef struct {
    const char *name;
    /* Can this observation go to this store at all?  false + why: a dead
     * letter (checked before begin, so a refusal never reaches the store). */
    bool (*fits)(sink_store_t *st, const zl_observe_t *o, char *why, size_t n);
    /* Opens the unit.  next[i] is set for pos[i] to the offset below which
     * the store already holds that partition's records (-1: unknown), so
     * replays after a crash are skipped. */
    zl_err_t (*begin)(sink_store_t *st, const zl_sub_pos_t *pos, size_t n_pos, int64_t *next, char *errstr,
                      size_t n);
    zl_err_t (*add_observe)(sink_store_t *st, const sink_batch_t *b, const sink_rec_t *r, const zl_observe_t *o,
                            char *errstr, size_t n);
    zl_err_t (*add_registration)(sink_store_t *st, const sink_batch_t *b, const sink_rec_t *r,
                                 const zl_registration_t *reg, char *errstr, size_t n);
    /* Makes the unit durable together with the positions. */
    zl_err_t (*commit)(sink_store_t *st, const zl_sub_pos_t *pos, size_t n_pos, char *errstr, size_t n);
    void (*abort)(sink_store_t *st);
    void (*close)(sink_store_t *st);
} sink_store_ops_t;

struct sink_store {
    const sink_store_ops_t *ops;
};

/* Constructors: connect, create the database objects.  ZL_ERR_IO when the
 * server cannot be reached (the caller retries), other errors are final. */
zl_err_t sink_influx_open(const zl_sink_conf_t *c, sink_store_t **out, char *errstr, size_t n);
zl_err_t sink_sql_open(const zl_sink_conf_t *c, const char *group, sink_store_t **out, char *errstr, size_t n);

/* The path's numeric parts (-1 where absent or not a number): /o/i/r/ri. */
void sink_path_ids(const char *path, int32_t ids[4]);

/* ---- the writer thread ------------------------------------------------------ */

typedef struct sink_writer sink_writer_t;

/* What the writer hands back to the loop (posted, run on the loop thread). */
typedef struct {
    void (*done)(void *ctx, sink_batch_t *b);           /* written (or abandoned at shutdown) */
    /* Produce b's records marked dead that are not yet produced; call
     * sink_writer_dead_done(w, b, ok) once all are delivered. */
    void (*dead_letters)(void *ctx, sink_batch_t *b);
    void (*store_state)(void *ctx, bool up);
} sink_writer_cbs_t;

#include "common/loop.h"

sink_writer_t *sink_writer_new(const zl_sink_conf_t *c, const char *group, zl_loop_t *loop, zl_metrics_t *m,
                               const sink_writer_cbs_t *cbs, void *ctx, char *errstr, size_t n);
/* Queues a closed batch (ownership passes to the writer until cbs->done). */
void sink_writer_push(sink_writer_t *w, sink_batch_t *b);
/* Loop thread: the dead letters of b are delivered (ok) or failed. */
void sink_writer_dead_done(sink_writer_t *w, sink_batch_t *b, bool ok);
/* Stops the thread (a batch being retried is abandoned: replayed after a
 * restart).  Results it posted may still run on the loop afterwards. */
void sink_writer_stop(sink_writer_t *w);
/* After the loop and the producer are gone (nothing refers to the writer). */
void sink_writer_destroy(sink_writer_t *w);

void sink_batch_free(sink_batch_t *b);

#endif
