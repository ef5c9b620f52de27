/* SPDX-License-Identifier: Apache-2.0 */
/* Chained hash map with power-of-two buckets, grown at load factor 1. The seed
 * comes from getrandom() so bucket placement of device-chosen keys (endpoint
 * names, addresses) is not predictable. */
#include "common/hmap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static uint64_t mix64(uint64_t x) {
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27; x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

uint64_t zl_hash_u64(uint64_t seed, uint64_t v) { return mix64(v ^ seed); }

uint64_t zl_hash_bytes(uint64_t seed, const void *p, size_t n) {
    const uint8_t *b = p;
    uint64_t h = seed ^ (0x9e3779b97f4a7c15ull * (n + 1));
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        h = mix64(h ^ w);
        b += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, b, n);
    return mix64(h ^ w ^ ((uint64_t)n << 56));
}

zl_err_t zl_hmap_init(zl_hmap_t *m, size_t initial) {
    size_t n = 16;
    while (n < initial) n <<= 1;
    m->buckets = calloc(n, sizeof *m->buckets);
    if (!m->buckets) return ZL_ERR_NOMEM;
    m->n_buckets = n;
    m->count = 0;
    if (getrandom(&m->seed, sizeof m->seed, 0) != sizeof m->seed) m->seed = (uint64_t)(uintptr_t)m;
    return ZL_OK;
}

void zl_hmap_free(zl_hmap_t *m) {
    free(m->buckets);
    m->buckets = NULL;
    m->n_buckets = m->count = 0;
}

static zl_err_t grow(zl_hmap_t *m) {
    size_t n = m->n_buckets * 2;
    zl_hnode_t **nb = calloc(n, sizeof *nb);
    if (!nb) return ZL_ERR_NOMEM;
    for (size_t i = 0; i < m->n_buckets; i++) {
        zl_hnode_t *e = m->buckets[i];
        while (e) {
            zl_hnode_t *next = e->next;
            size_t j = e->hash & (n - 1);
            e->next = nb[j];
            nb[j] = e;
            e = next;
        }
    }
    free(m->buckets);
    m->buckets = nb;
    m->n_buckets = n;
    return ZL_OK;
}

zl_err_t zl_hmap_insert(zl_hmap_t *m, zl_hnode_t *node, uint64_t hash) {
    if (m->count >= m->n_buckets && grow(m) != ZL_OK && m->count >= 4 * m->n_buckets)
        return ZL_ERR_NOMEM; /* keep working overloaded; only fail when far too dense */
    size_t i = hash & (m->n_buckets - 1);
    node->hash = hash;
    node->next = m->buckets[i];
    m->buckets[i] = node;
    m->count++;
    return ZL_OK;
}

zl_hnode_t *zl_hmap_first(const zl_hmap_t *m, uint64_t hash) {
    zl_hnode_t *e = m->buckets[hash & (m->n_buckets - 1)];
    while (e && e->hash != hash) e = e->next;
    return e;
}

zl_hnode_t *zl_hmap_next_same(const zl_hnode_t *node) {
    zl_hnode_t *e = node->next;
    while (e && e->hash != node->hash) e = e->next;
    return e;
}

void zl_hmap_remove(zl_hmap_t *m, zl_hnode_t *node) {
    zl_hnode_t **pp = &m->buckets[node->hash & (m->n_buckets - 1)];
    while (*pp && *pp != node) pp = &(*pp)->next;
    if (*pp) {
        *pp = node->next;
        m->count--;
    }
    node->next = NULL;
}

void zl_hmap_destroy(zl_hmap_t *m, void (*free_node)(zl_hnode_t *node, void *ctx), void *ctx) {
    for (size_t i = 0; i < m->n_buckets; i++) {
        zl_hnode_t *n = m->buckets[i];
        while (n) {
            zl_hnode_t *next = n->next;
            free_node(n, ctx);
            n = next;
        }
    }
    zl_hmap_free(m);
}

zl_hnode_t *zl_hmap_iter(const zl_hmap_t *m, size_t *bucket, zl_hnode_t *node) {
    if (node && node->next) return node->next;
    for (size_t i = node ? *bucket + 1 : *bucket; i < m->n_buckets; i++) {
        if (m->buckets[i]) {
            *bucket = i;
            return m->buckets[i];
        }
    }
    *bucket = m->n_buckets;
    return NULL;
}
