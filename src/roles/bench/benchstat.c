/* SPDX-License-Identifier: Apache-2.0 */
/* See benchstat.h. */
#include "roles/bench/benchstat.h"

#include <string.h>

void zl_hist_init(zl_hist_t *h) {
    memset(h, 0, sizeof *h);
    h->min = INT64_MAX;
}

static int bucket(uint64_t v) {
    if (v < 128) return (int)v;
    int e = 63 - __builtin_clzll(v); /* >= 7 */
    if (e > 41) return ZL_HIST_BUCKETS - 1;
    uint64_t m = v >> (e - 6); /* 64..127 */
    int i = 128 + (e - 7) * 64 + (int)(m - 64);
    return i < ZL_HIST_BUCKETS ? i : ZL_HIST_BUCKETS - 1;
}

static int64_t bucket_high(int i) {
    if (i < 128) return i;
    int e = (i - 128) / 64 + 7;
    uint64_t m = (uint64_t)((i - 128) % 64 + 64);
    return (int64_t)(((m + 1) << (e - 6)) - 1);
}

void zl_hist_add(zl_hist_t *h, int64_t v) {
    if (v < 0) v = 0;
    h->b[bucket((uint64_t)v)]++;
    h->n++;
    h->sum += (double)v;
    if (v < h->min) h->min = v;
    if (v > h->max) h->max = v;
}

int64_t zl_hist_quantile(const zl_hist_t *h, double q) {
    if (!h->n) return 0;
    uint64_t rank = (uint64_t)(q * (double)h->n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > h->n) rank = h->n;
    uint64_t acc = 0;
    for (int i = 0; i < ZL_HIST_BUCKETS; i++) {
        acc += h->b[i];
        if (acc >= rank) {
            int64_t hi = bucket_high(i);
            return hi > h->max ? h->max : hi;
        }
    }
    return h->max;
}

int zl_seq_add(zl_seq_t *s, int64_t seq, zl_seq_stats_t *st) {
    st->delivered++;
    if (!s->started) {
        s->started = true;
        s->last = seq;
        s->window = 1;
        return 0;
    }
    if (seq > s->last) {
        int64_t gap = seq - s->last - 1;
        s->window = gap + 1 >= 64 ? 0 : s->window << (gap + 1);
        s->window |= 1;
        s->last = seq;
        if (gap > 0) {
            st->missing += (uint64_t)gap;
            return 1;
        }
        return 0;
    }
    int64_t back = s->last - seq;
    if (back < 64 && !(s->window & (1ull << back))) {
        s->window |= 1ull << back;
        if (st->missing) st->missing--;
        st->reordered++;
        return 3;
    }
    st->duplicated++;
    return 2;
}
