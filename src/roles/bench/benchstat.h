/* SPDX-License-Identifier: Apache-2.0 */
/* Accounting of `zeelos bench`, kept apart so unit tests can drive it:
 * an HDR-style histogram (fixed log buckets, <1 % relative error) and the
 * per-device sequence tracker that counts missing and duplicated records. */
#ifndef ZL_CMD_BENCHSTAT_H
#define ZL_CMD_BENCHSTAT_H

#include <stdbool.h>
#include <stdint.h>

/* Values 0..127 exactly; above, 64 sub-buckets per power of two (the bucket
 * width is at most 1/64 of its value); up to 2^41. */
#define ZL_HIST_BUCKETS (128 + 35 * 64)
typedef struct {
    uint64_t b[ZL_HIST_BUCKETS];
    uint64_t n;
    int64_t min, max;
    double sum;
} zl_hist_t;

void zl_hist_init(zl_hist_t *h);
void zl_hist_add(zl_hist_t *h, int64_t v); /* negative values count as 0 */
/* The highest value equivalent to the bucket holding quantile q (0..1);
 * 0 when empty.  Exact for values < 128, else at most 1/64 above. */
int64_t zl_hist_quantile(const zl_hist_t *h, double q);

/* One device's notification sequence.  The first record sets the base (what
 * came before the observation started is not known); afterwards seq == last+1
 * is in order, a jump counts the skipped numbers as missing, and a number at
 * or below last is either a duplicate (already seen: within the last 64 it is
 * remembered exactly) or a late record that closes a gap it had been counted
 * missing in (missing--, reordered++).  Older than 64 behind: duplicate. */
typedef struct {
    int64_t last;
    uint64_t window; /* bit k: last - k was seen */
    bool started;
} zl_seq_t;

typedef struct {
    uint64_t delivered, missing, duplicated, reordered;
} zl_seq_stats_t;

/* Accounts seq; returns 0 in order, 1 after a gap, 2 duplicate, 3 late. */
int zl_seq_add(zl_seq_t *s, int64_t seq, zl_seq_stats_t *st);

#endif
