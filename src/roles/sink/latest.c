/* SPDX-License-Identifier: Apache-2.0 */
/* The latest value of each resource within one batch (sql.c): a batch with
 * a thousand readings of ten resources sends ten rows to zeelos_latest, not
 * a thousand.  Latest means the newest reading time (a device's queued or
 * replayed readings may arrive after newer ones); of equal times, the one
 * put last (the higher offset) wins, as across batches in sql.c. */
#include "roles/sink/latest.h"

#include <stdlib.h>
#include <string.h>
#include "common/array.h"

typedef struct {
    zl_hnode_t node;
    zl_buf_t key;  /* gateway \0 endpoint \0 path */
    zl_buf_t text; /* the values, each NUL-terminated */
    size_t off[SINK_LATEST_COLS];
    bool null[SINK_LATEST_COLS];
} slot_t;

zl_err_t sink_latest_init(sink_latest_t *l) {
    memset(l, 0, sizeof *l);
    return zl_hmap_init(&l->map, 64);
}

void sink_latest_reset(sink_latest_t *l) {
    for (size_t i = 0; i < l->used; i++) zl_hmap_remove(&l->map, &((slot_t *)l->slots[i])->node);
    l->used = 0;
}

void sink_latest_free(sink_latest_t *l) {
    for (size_t i = 0; i < l->n_slots; i++) {
        slot_t *s = l->slots[i];
        zl_buf_free(&s->key);
        zl_buf_free(&s->text);
        free(s);
    }
    free(l->slots);
    zl_hmap_free(&l->map);
    memset(l, 0, sizeof *l);
}

static void make_key(zl_buf_t *k, const char *const *vals) {
    zl_buf_reset(k);
    for (int i = 0; i < 3; i++) zl_buf_append(k, vals[i], strlen(vals[i]) + 1);
}

zl_err_t sink_latest_put(sink_latest_t *l, const char *const *vals) {
    zl_buf_t key;
    zl_buf_init(&key, 0);
    make_key(&key, vals);
    uint64_t h = zl_hash_bytes(l->map.seed, key.data, key.len);
    slot_t *s = NULL;
    for (zl_hnode_t *n = zl_hmap_first(&l->map, h); n && !s; n = zl_hmap_next_same(n)) {
        slot_t *c = ZL_CONTAINER_OF(n, slot_t, node);
        if (c->key.len == key.len && !memcmp(c->key.data, key.data, key.len)) s = c;
    }
    if (!s) {
        if (l->used == l->n_slots) {
            if (ZL_ARRAY_RESERVE(&l->slots, &l->cap_slots, l->n_slots + 1, 16)) goto nomem;
            if (!(l->slots[l->n_slots] = calloc(1, sizeof(slot_t)))) goto nomem;
            l->n_slots++;
        }
        s = l->slots[l->used++];
        zl_buf_reset(&s->key);
        zl_buf_append(&s->key, key.data, key.len);
        if (zl_hmap_insert(&l->map, &s->node, h)) goto nomem;
    }
    zl_buf_free(&key);
    /* vals[8] is the time, "YYYY-MM-DD HH:MM:SS.mmm+00:00": ordered as text */
    if (s->text.len && !s->null[8] && strcmp(vals[8], (const char *)s->text.data + s->off[8]) < 0) return ZL_OK;
    zl_buf_reset(&s->text);
    for (int i = 0; i < SINK_LATEST_COLS; i++) {
        s->null[i] = vals[i] == NULL;
        s->off[i] = s->text.len;
        if (vals[i] && zl_buf_append(&s->text, vals[i], strlen(vals[i]) + 1)) return ZL_ERR_NOMEM;
    }
    return ZL_OK;
nomem:
    zl_buf_free(&key);
    return ZL_ERR_NOMEM;
}

zl_err_t sink_latest_each(sink_latest_t *l, zl_err_t (*fn)(void *ctx, const char *const *vals), void *ctx) {
    for (size_t i = 0; i < l->used; i++) {
        slot_t *s = l->slots[i];
        const char *vals[SINK_LATEST_COLS];
        for (int k = 0; k < SINK_LATEST_COLS; k++) vals[k] = s->null[k] ? NULL : (const char *)s->text.data + s->off[k];
        zl_err_t e = fn(ctx, vals);
        if (e) return e;
    }
    return ZL_OK;
}
