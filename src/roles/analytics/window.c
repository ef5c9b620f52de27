/* SPDX-License-Identifier: Apache-2.0 */
/* Window state (window.h).
 *
 * Why a heap ordered by window end: stream time only moves forward, so the
 * windows that close are always the ones with the smallest end; the heap
 * finds them without scanning the open windows on every record, and its
 * order (end, group, start) is the documented emission order, which makes a
 * replay after a crash write exactly the same records. */
#include "roles/analytics/window.h"

#include <stdlib.h>
#include <string.h>

struct an_state {
    const an_job_t *job;
    zl_hmap_t map;
    an_win_t **heap;
    size_t n_heap, cap_heap;
    an_win_t *dirty;
    int64_t st;
    bool st_dirty;
};

an_state_t *an_state_new(const an_job_t *job) {
    an_state_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->job = job;
    s->st = INT64_MIN;
    if (zl_hmap_init(&s->map, 64)) {
        free(s);
        return NULL;
    }
    return s;
}

static void win_free(an_win_t *w) {
    if (!w) return;
    free(w->maxrec);
    free(w);
}

void an_state_free(an_state_t *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n_heap; i++) win_free(s->heap[i]);
    free(s->heap);
    zl_hmap_free(&s->map);
    free(s);
}

int64_t an_state_stream_time(const an_state_t *s) { return s->st; }
size_t an_state_windows(const an_state_t *s) { return s->n_heap; }

/* ---- the heap ------------------------------------------------------------ */

static int win_cmp(const an_win_t *a, const an_win_t *b) {
    if (a->end != b->end) return a->end < b->end ? -1 : 1;
    size_t n = a->group_len < b->group_len ? a->group_len : b->group_len;
    int c = memcmp(a->group, b->group, n);
    if (c) return c;
    if (a->group_len != b->group_len) return a->group_len < b->group_len ? -1 : 1;
    return a->start < b->start ? -1 : a->start > b->start;
}

static void heap_set(an_state_t *s, size_t i, an_win_t *w) {
    s->heap[i] = w;
    w->heap_at = i;
}

static void heap_up(an_state_t *s, size_t i) {
    an_win_t *w = s->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (win_cmp(s->heap[p], w) <= 0) break;
        heap_set(s, i, s->heap[p]);
        i = p;
    }
    heap_set(s, i, w);
}

static void heap_down(an_state_t *s, size_t i) {
    an_win_t *w = s->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->n_heap) break;
        if (c + 1 < s->n_heap && win_cmp(s->heap[c + 1], s->heap[c]) < 0) c++;
        if (win_cmp(w, s->heap[c]) <= 0) break;
        heap_set(s, i, s->heap[c]);
        i = c;
    }
    heap_set(s, i, w);
}

static void heap_remove(an_state_t *s, an_win_t *w) {
    size_t i = w->heap_at;
    an_win_t *last = s->heap[--s->n_heap];
    if (last == w) return;
    heap_set(s, i, last);
    heap_up(s, i);
    heap_down(s, last->heap_at);
}

/* ---- lookup -------------------------------------------------------------- */

static uint64_t win_hash(const an_state_t *s, const char *g, size_t len, int64_t start) {
    return zl_hash_u64(zl_hash_bytes(s->map.seed, g, len), (uint64_t)start);
}

static an_win_t *find(const an_state_t *s, const char *g, size_t len, int64_t start, uint64_t h) {
    for (zl_hnode_t *n = zl_hmap_first(&s->map, h); n; n = zl_hmap_next_same(n)) {
        an_win_t *w = (an_win_t *)n;
        if (w->start == start && w->group_len == len && !memcmp(w->group, g, len)) return w;
    }
    return NULL;
}

static an_win_t *create(an_state_t *s, const char *g, size_t len, int64_t start, uint64_t h) {
    if (s->n_heap == s->cap_heap) {
        size_t cap = s->cap_heap ? s->cap_heap * 2 : 64;
        an_win_t **heap = realloc(s->heap, cap * sizeof *heap);
        if (!heap) return NULL;
        s->heap = heap;
        s->cap_heap = cap;
    }
    an_win_t *w = calloc(1, sizeof *w + len + 1);
    if (!w) return NULL;
    if (zl_hmap_insert(&s->map, &w->node, h)) {
        free(w);
        return NULL;
    }
    memcpy(w->group, g, len);
    w->group_len = len;
    w->start = start;
    w->end = start + s->job->size_ms;
    w->heap_at = s->n_heap++;
    s->heap[w->heap_at] = w;
    heap_up(s, w->heap_at);
    return w;
}

static void mark_dirty(an_state_t *s, an_win_t *w) {
    if (w->dirty) return;
    w->dirty = true;
    w->next_dirty = s->dirty;
    w->dirty_pprev = &s->dirty;
    if (s->dirty) s->dirty->dirty_pprev = &w->next_dirty;
    s->dirty = w;
}

static an_maxrec_t *maxrec_new(int64_t ts, const char *const str[5]) {
    size_t len[5], total = 0;
    for (int i = 0; i < 5; i++) total += (len[i] = strlen(str[i] ? str[i] : "")) + 1;
    an_maxrec_t *m = malloc(sizeof *m + total);
    if (!m) return NULL;
    char *p = (char *)(m + 1);
    char **dst[5] = {&m->ticket, &m->obs_id, &m->server_id, &m->ep, &m->path};
    for (int i = 0; i < 5; i++) {
        *dst[i] = p;
        memcpy(p, str[i] ? str[i] : "", len[i] + 1);
        p += len[i] + 1;
    }
    m->ts = ts;
    return m;
}

/* ---- aggregation --------------------------------------------------------- */

static int update(an_state_t *s, an_win_t *w, const an_value_t *v) {
    if (s->job->out == AN_OUT_MAX_RECORD && (w->count == 0 || v->v > w->max)) {
        const char *str[5] = {v->rec->ticket, v->rec->observation_id, v->rec->server_id, v->rec->ep, v->path};
        an_maxrec_t *m = maxrec_new(v->ts, str);
        if (!m) return -1;
        free(w->maxrec);
        w->maxrec = m;
    }
    if (w->count == 0) {
        w->min = w->max = w->sum = w->last = v->v;
        w->last_ts = v->ts;
    } else {
        if (v->v < w->min) w->min = v->v;
        if (v->v > w->max) w->max = v->v;
        w->sum += v->v;
        if (v->ts >= w->last_ts) { /* on equal timestamps the value read later */
            w->last = v->v;
            w->last_ts = v->ts;
        }
    }
    w->count++;
    mark_dirty(s, w);
    return 0;
}

int an_state_add(an_state_t *s, const an_value_t *v) {
    const an_job_t *j = s->job;
    if (v->ts > s->st) {
        s->st = v->ts;
        s->st_dirty = true;
    }
    int late = 0;
    /* windows start at the epoch or later, as Kafka Streams' (TimeWindows.windowsFor) */
    int64_t first = an_job_first_window(j, v->ts);
    for (int64_t start = first < 0 ? 0 : first; start <= v->ts; start += j->advance_ms) {
        if (start + j->size_ms + j->grace_ms <= s->st) { /* closed: late for this window */
            late++;
            continue;
        }
        uint64_t h = win_hash(s, v->group, v->group_len, start);
        an_win_t *w = find(s, v->group, v->group_len, start, h);
        if (!w && !(w = create(s, v->group, v->group_len, start, h))) return -1;
        if (update(s, w, v)) return -1;
    }
    return late;
}

void an_state_close(an_state_t *s, void (*fn)(void *ctx, an_win_t *w), void *ctx) {
    while (s->n_heap) {
        an_win_t *w = s->heap[0];
        if (w->end + s->job->grace_ms > s->st) break;
        heap_remove(s, w);
        zl_hmap_remove(&s->map, &w->node);
        if (w->dirty) { /* unlink from the dirty list */
            *w->dirty_pprev = w->next_dirty;
            if (w->next_dirty) w->next_dirty->dirty_pprev = w->dirty_pprev;
        }
        fn(ctx, w);
        win_free(w);
    }
}

void an_state_flush(an_state_t *s, void (*fn)(void *ctx, an_win_t *w), void *ctx, bool *st_changed) {
    for (an_win_t *w = s->dirty, *next; w; w = next) {
        next = w->next_dirty;
        w->dirty = false;
        w->next_dirty = NULL;
        w->dirty_pprev = NULL;
        fn(ctx, w);
        w->logged = true;
    }
    s->dirty = NULL;
    *st_changed = s->st_dirty;
    s->st_dirty = false;
}

/* ---- changelog ----------------------------------------------------------- */

static zl_err_t put_be(zl_buf_t *b, uint64_t v, int bytes) {
    uint8_t x[8];
    for (int i = 0; i < bytes; i++) x[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    return zl_buf_append(b, x, (size_t)bytes);
}

static uint64_t get_be(const uint8_t *p, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v = v << 8 | p[i];
    return v;
}

static uint64_t dbits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bitsd(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static zl_err_t key_head(zl_buf_t *out, char type, const char *job, const char *topic, int32_t partition) {
    size_t jl = strlen(job), tl = strlen(topic);
    if (jl > 255 || tl > 65535) return ZL_ERR_INVALID;
    zl_err_t e;
    if ((e = zl_buf_putc(out, (uint8_t)type)) || (e = zl_buf_putc(out, (uint8_t)jl)) ||
        (e = zl_buf_append(out, job, jl)) || (e = put_be(out, (uint32_t)partition, 4)) ||
        (e = put_be(out, tl, 2)))
        return e;
    return zl_buf_append(out, topic, tl);
}

zl_err_t an_log_window_key(zl_buf_t *out, const char *job, const char *topic, int32_t partition, const an_win_t *w) {
    zl_err_t e = key_head(out, 'W', job, topic, partition);
    if (!e) e = put_be(out, (uint64_t)w->start, 8);
    return e ? e : zl_buf_append(out, w->group, w->group_len);
}

zl_err_t an_log_time_key(zl_buf_t *out, const char *job, const char *topic, int32_t partition) {
    return key_head(out, 'T', job, topic, partition);
}

zl_err_t an_log_time_value(zl_buf_t *out, int64_t st) {
    zl_err_t e = zl_buf_putc(out, 1);
    return e ? e : put_be(out, (uint64_t)st, 8);
}

zl_err_t an_log_window_value(zl_buf_t *out, const an_win_t *w) {
    zl_err_t e = zl_buf_putc(out, 1);
    uint64_t f[6] = {(uint64_t)w->count, dbits(w->min), dbits(w->max), dbits(w->sum), dbits(w->last),
                     (uint64_t)w->last_ts};
    for (int i = 0; i < 6 && !e; i++) e = put_be(out, f[i], 8);
    if (!e) e = zl_buf_putc(out, w->maxrec != NULL);
    if (!e && w->maxrec) {
        const an_maxrec_t *m = w->maxrec;
        const char *s[5] = {m->ticket, m->obs_id, m->server_id, m->ep, m->path};
        e = put_be(out, (uint64_t)m->ts, 8);
        for (int i = 0; i < 5 && !e; i++) {
            size_t l = strlen(s[i]);
            if (l > 65535) return ZL_ERR_INVALID;
            if (!(e = put_be(out, l, 2))) e = zl_buf_append(out, s[i], l);
        }
    }
    return e;
}

/* Decodes a window value into w; false when malformed. */
static bool read_window(an_win_t *w, const uint8_t *p, size_t n) {
    if (n < 1 + 48 + 1 || p[0] != 1) return false;
    w->count = (int64_t)get_be(p + 1, 8);
    w->min = bitsd(get_be(p + 9, 8));
    w->max = bitsd(get_be(p + 17, 8));
    w->sum = bitsd(get_be(p + 25, 8));
    w->last = bitsd(get_be(p + 33, 8));
    w->last_ts = (int64_t)get_be(p + 41, 8);
    free(w->maxrec);
    w->maxrec = NULL;
    if (!p[49]) return n == 50 && w->count > 0;
    size_t at = 50;
    if (n < at + 8) return false;
    int64_t ts = (int64_t)get_be(p + at, 8);
    at += 8;
    char *str[5] = {0};
    bool ok = true;
    for (int i = 0; i < 5 && ok; i++) {
        ok = n >= at + 2;
        size_t l = ok ? (size_t)get_be(p + at, 2) : 0;
        ok = ok && n >= at + 2 + l && (str[i] = strndup((const char *)p + at + 2, l));
        at += 2 + l;
    }
    if (ok && at == n) w->maxrec = maxrec_new(ts, (const char *const *)str);
    for (int i = 0; i < 5; i++) free(str[i]);
    return ok && at == n && w->maxrec && w->count > 0;
}

bool an_state_restore(an_state_t *s, const char *job, const char *topic, int32_t partition, const void *key,
                      size_t key_len, const void *value, size_t value_len, bool *bad) {
    const uint8_t *k = key;
    size_t jl = strlen(job), tl = strlen(topic);
    *bad = false;
    if (key_len < 2 + jl + 6 || (k[0] != 'W' && k[0] != 'T') || k[1] != jl || memcmp(k + 2, job, jl)) return false;
    size_t at = 2 + jl;
    if ((int32_t)get_be(k + at, 4) != partition || get_be(k + at + 4, 2) != tl || key_len < at + 6 + tl ||
        memcmp(k + at + 6, topic, tl))
        return false;
    at += 6 + tl;
    if (k[0] == 'T') {
        if (key_len != at || (value && (value_len != 9 || ((const uint8_t *)value)[0] != 1))) *bad = true;
        else s->st = value ? (int64_t)get_be((const uint8_t *)value + 1, 8) : INT64_MIN;
        return true;
    }
    if (key_len < at + 8) {
        *bad = true;
        return true;
    }
    int64_t start = (int64_t)get_be(k + at, 8);
    const char *g = (const char *)k + at + 8;
    size_t gl = key_len - at - 8;
    uint64_t h = win_hash(s, g, gl, start);
    an_win_t *w = find(s, g, gl, start, h);
    if (!value) {
        if (w) {
            heap_remove(s, w);
            zl_hmap_remove(&s->map, &w->node);
            win_free(w);
        }
        return true;
    }
    an_win_t tmp = {0}; /* decoded aside: a bad record leaves the window as it was */
    /* a max-record window without its reading (another job's record under this name) cannot be emitted */
    bool ok = read_window(&tmp, value, value_len) && (s->job->out != AN_OUT_MAX_RECORD || tmp.maxrec);
    if (!ok || (!w && !(w = create(s, g, gl, start, h)))) {
        free(tmp.maxrec);
        *bad = true;
        return true;
    }
    w->count = tmp.count;
    w->min = tmp.min;
    w->max = tmp.max;
    w->sum = tmp.sum;
    w->last = tmp.last;
    w->last_ts = tmp.last_ts;
    free(w->maxrec);
    w->maxrec = tmp.maxrec;
    w->logged = true;
    return true;
}
