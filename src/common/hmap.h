/* SPDX-License-Identifier: Apache-2.0 */
/* Intrusive chained hash map keyed by a 64-bit hash.
 *
 * Callers embed a zl_hnode_t in their struct, compute the hash themselves
 * (zl_hash_bytes / zl_hash_u64, seeded per map so devices cannot aim collisions
 * at us) and resolve equal hashes by walking zl_hmap_next_same().  The map
 * never allocates nodes, only its bucket array, so insert is O(1) amortised
 * and the only failure is ZL_ERR_NOMEM while growing. */
#ifndef ZL_HMAP_H
#define ZL_HMAP_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

typedef struct zl_hnode {
    struct zl_hnode *next;
    uint64_t hash;
} zl_hnode_t;

typedef struct {
    zl_hnode_t **buckets;
    size_t n_buckets; /* power of two */
    size_t count;
    uint64_t seed;
} zl_hmap_t;

zl_err_t zl_hmap_init(zl_hmap_t *m, size_t initial);
void zl_hmap_free(zl_hmap_t *m); /* frees buckets only */
zl_err_t zl_hmap_insert(zl_hmap_t *m, zl_hnode_t *node, uint64_t hash);
/* First node whose hash equals hash, or NULL; continue with zl_hmap_next_same. */
zl_hnode_t *zl_hmap_first(const zl_hmap_t *m, uint64_t hash);
zl_hnode_t *zl_hmap_next_same(const zl_hnode_t *node);
/* Removes node (must be in the map). */
void zl_hmap_remove(zl_hmap_t *m, zl_hnode_t *node);
/* Iteration over all nodes: pass *bucket = 0, node = NULL to start, then the
 * previous result. To remove while iterating, fetch the next node first. */
zl_hnode_t *zl_hmap_iter(const zl_hmap_t *m, size_t *bucket, zl_hnode_t *node);
/* Teardown: calls free_node(node, ctx) on every node (any order; it must not
 * touch the map) and frees the buckets.  A map never initialised is fine. */
void zl_hmap_destroy(zl_hmap_t *m, void (*free_node)(zl_hnode_t *node, void *ctx), void *ctx);

uint64_t zl_hash_bytes(uint64_t seed, const void *p, size_t n);
uint64_t zl_hash_u64(uint64_t seed, uint64_t v);

#define ZL_CONTAINER_OF(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

#endif
