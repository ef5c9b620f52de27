/* SPDX-License-Identifier: Apache-2.0 */
/* The spool: an append-only, on-disk queue of records Kafka could not take
 * (broker away, producer queue full), replayed in order when it is back.
 *
 * Files: <dir>/<first seq, 16 hex>.seg segments of framed records
 *   [u32 body length][u32 crc32 of body] body = [u64 seq][i64 timestamp ms]
 *   [u16 topic length][u8 has key][u32 key length][u32 value length] topic key value
 * (host byte order: a spool is read back by the machine that wrote it), and
 * <dir>/cursor, the first sequence number not yet acknowledged by Kafka,
 * replaced atomically (write, fsync, rename).  A torn record at the end of
 * the last segment (a crash mid-write) is cut off when the spool is opened.
 *
 * Writes go straight to the segment with write(2); zl_spool_sync() fsyncs
 * them (the gateway calls it once per loop turn, before the turn's answers
 * leave) and persists the cursor.  Reading for replay is a window: at most
 * `window` records handed out and not acknowledged; zl_spool_ack() marks one
 * delivered, the cursor moves over the acknowledged prefix, and segments
 * wholly below it are deleted.  After a failed delivery the owner rewinds to
 * the cursor; records acknowledged past the failure are skipped, not re-sent.
 *
 * Thread: one (the loop's).  Record pointers handed out by zl_spool_next()
 * are the spool's and valid until the next call on it. */
#ifndef ZL_STORE_SPOOL_H
#define ZL_STORE_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct zl_spool zl_spool_t;

typedef struct {
    uint64_t seq;      /* set by zl_spool_append, read back by zl_spool_next */
    int64_t ts_ms;     /* the record's original timestamp */
    const char *topic; /* NUL-terminated */
    const void *key;   /* NULL: the record has no key */
    size_t key_len;
    const void *value;
    size_t value_len;
} zl_spool_rec_t;

typedef struct {
    const char *dir;        /* created if missing */
    uint64_t max_bytes;     /* segments on disk together, the cap append enforces */
    uint64_t segment_bytes; /* a new segment starts once the current one is this big */
    int window;             /* records handed out for replay and not yet acknowledged */
} zl_spool_cfg_t;

/* Opens (or creates) the spool in cfg->dir, scanning what an earlier run left.
 * NULL with errstr on failure. */
zl_spool_t *zl_spool_open(const zl_spool_cfg_t *cfg, char *errstr, size_t errstr_size);
void zl_spool_close(zl_spool_t *s); /* syncs first */

/* Appends r (r->seq receives its number).  ZL_ERR_FULL when it would pass
 * max_bytes, ZL_ERR_IO when the disk refuses (ENOSPC...: the partial write is
 * cut off again; zl_spool_errmsg says why), ZL_ERR_TOO_LARGE for a record
 * over 64 MiB. */
zl_err_t zl_spool_append(zl_spool_t *s, zl_spool_rec_t *r);
/* fsyncs what was appended since the last call and persists the cursor if it
 * moved.  ZL_ERR_IO on failure. */
zl_err_t zl_spool_sync(zl_spool_t *s);

/* The next record to replay: ZL_OK, ZL_ERR_NOT_FOUND (nothing left to hand
 * out), ZL_ERR_FULL (the window is full: wait for acknowledgements) or
 * ZL_ERR_IO (unreadable: zl_spool_errmsg). */
zl_err_t zl_spool_next(zl_spool_t *s, zl_spool_rec_t *r);
/* Kafka acknowledged seq. */
void zl_spool_ack(zl_spool_t *s, uint64_t seq);
/* Hands records out again from the first unacknowledged one (after a failed
 * delivery, once nothing handed out is still pending). */
void zl_spool_rewind(zl_spool_t *s);
/* Deletes the oldest segment (overflow policy drop-oldest); returns how many
 * unacknowledged records went with it. */
uint64_t zl_spool_drop_oldest(zl_spool_t *s);

uint64_t zl_spool_pending(const zl_spool_t *s);  /* records not acknowledged */
uint64_t zl_spool_bytes(const zl_spool_t *s);    /* bytes of the segments on disk */
uint64_t zl_spool_inflight(const zl_spool_t *s); /* handed out, not acknowledged */
const char *zl_spool_errmsg(const zl_spool_t *s);

#endif
