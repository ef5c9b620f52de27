/* SPDX-License-Identifier: Apache-2.0 */
/* Window state of one job on one input partition: the open windows by
 * (group, start), the partition's stream time, the windows that close as it
 * advances (in a fixed order), and the changelog encoding that lets another
 * process rebuild exactly this state (docs/ANALYTICS.md "Windows").
 *
 * Pure data structure: no Kafka, no I/O; one thread. */
#ifndef ZL_ANALYTICS_WINDOW_H
#define ZL_ANALYTICS_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "roles/analytics/job.h"
#include "common/buf.h"
#include "common/hmap.h"

/* The reading a max-record window keeps (the seed's output carries it). */
typedef struct {
    int64_t ts;
    char *ticket, *obs_id, *server_id, *ep, *path; /* one allocation, ticket first */
} an_maxrec_t;

typedef struct an_win {
    zl_hnode_t node;
    size_t heap_at;
    struct an_win *next_dirty, **dirty_pprev; /* the dirty list (unlinked in O(1) when it closes) */
    bool dirty;   /* changed since the last flush */
    bool logged;  /* the changelog holds a record of it (a tombstone is due when it closes) */
    int64_t start, end;
    int64_t count, last_ts;
    double min, max, sum, last;
    an_maxrec_t *maxrec; /* AN_OUT_MAX_RECORD jobs */
    size_t group_len;
    char group[];
} an_win_t;

typedef struct an_state an_state_t;

/* A value as the processor hands it over (borrowed for the call). */
typedef struct {
    const char *group;
    size_t group_len;
    int64_t ts;
    double v;
    const zl_observe_t *rec; /* for max-record jobs: the record's ids */
    const char *path;
} an_value_t;

an_state_t *an_state_new(const an_job_t *job);
void an_state_free(an_state_t *s);
/* Aggregates one value into every window of it that is still open; returns
 * how many of its windows were already closed (late), -1 out of memory. */
int an_state_add(an_state_t *s, const an_value_t *v);
/* Hands every window closed by the stream time to fn, in order (end, group
 * bytes, start), then forgets it.  fn borrows w for the call. */
void an_state_close(an_state_t *s, void (*fn)(void *ctx, an_win_t *w), void *ctx);
/* Hands every window changed since the last flush to fn (then marks it
 * flushed and logged), and reports through *st whether the stream time
 * changed since the last flush. */
void an_state_flush(an_state_t *s, void (*fn)(void *ctx, an_win_t *w), void *ctx, bool *st_changed);
int64_t an_state_stream_time(const an_state_t *s); /* INT64_MIN before the first value */
size_t an_state_windows(const an_state_t *s);

/* ---- changelog ----------------------------------------------------------
 * Key: 'W' job-name-length job-name partition(4) topic-length(2) topic
 * start(8) group (window), or 'T' ... topic (stream time); big endian.
 * Value: the aggregate (window) or the stream time; NULL = deleted. */
zl_err_t an_log_window_key(zl_buf_t *out, const char *job, const char *topic, int32_t partition, const an_win_t *w);
zl_err_t an_log_time_key(zl_buf_t *out, const char *job, const char *topic, int32_t partition);
zl_err_t an_log_window_value(zl_buf_t *out, const an_win_t *w);
zl_err_t an_log_time_value(zl_buf_t *out, int64_t st);
/* Applies one changelog record to the state of (job, topic, partition):
 * false when the record belongs to another job or partition; true when it
 * was applied or is malformed (*bad set: counted by the caller). */
bool an_state_restore(an_state_t *s, const char *job, const char *topic, int32_t partition, const void *key,
                      size_t key_len, const void *value, size_t value_len, bool *bad);

#endif
