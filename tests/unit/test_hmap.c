/* SPDX-License-Identifier: Apache-2.0 */
/* Intrusive hash map: 100k nodes, growth, collisions, removal, iteration
 * (including removal during iteration with the "fetch next first" rule). */
#include <stdlib.h>

#include "common/hmap.h"
#include "test.h"

typedef struct {
    zl_hnode_t node;
    uint64_t key;
    int seen;
    int in;
} item_t;

enum { N = 100000 };

static item_t *find(zl_hmap_t *m, uint64_t key) {
    for (zl_hnode_t *n = zl_hmap_first(m, zl_hash_u64(m->seed, key)); n; n = zl_hmap_next_same(n)) {
        item_t *it = ZL_CONTAINER_OF(n, item_t, node);
        if (it->key == key) return it;
    }
    return NULL;
}

static size_t iterate(zl_hmap_t *m, item_t *items) {
    for (size_t i = 0; i < N; i++) items[i].seen = 0;
    size_t b = 0, k = 0;
    for (zl_hnode_t *n = zl_hmap_iter(m, &b, NULL); n; n = zl_hmap_iter(m, &b, n)) {
        ZL_CONTAINER_OF(n, item_t, node)->seen++;
        k++;
    }
    return k;
}

static void test_bulk(void) {
    zl_hmap_t m;
    CHECK_EQ_INT(zl_hmap_init(&m, 0), ZL_OK);
    CHECK_EQ_INT(m.n_buckets, 16);
    CHECK_EQ_INT(m.count, 0);
    size_t b = 0;
    CHECK(zl_hmap_iter(&m, &b, NULL) == NULL);
    CHECK(zl_hmap_first(&m, 123) == NULL);

    item_t *items = calloc(N, sizeof *items);
    for (size_t i = 0; i < N; i++) {
        items[i].key = i * 7919 + 1;
        CHECK(zl_hmap_insert(&m, &items[i].node, zl_hash_u64(m.seed, items[i].key)) == ZL_OK);
        items[i].in = 1;
    }
    CHECK_EQ_INT(m.count, N);
    CHECK(m.n_buckets >= N / 2); /* grew (load factor 1) */
    CHECK((m.n_buckets & (m.n_buckets - 1)) == 0);

    int missing = 0;
    for (size_t i = 0; i < N; i++)
        if (find(&m, items[i].key) != &items[i]) missing++;
    CHECK_EQ_INT(missing, 0);
    CHECK(find(&m, 0) == NULL);
    CHECK(find(&m, 2) == NULL);

    /* iteration visits every node exactly once */
    CHECK_EQ_INT(iterate(&m, items), N);
    int bad = 0;
    for (size_t i = 0; i < N; i++)
        if (items[i].seen != 1) bad++;
    CHECK_EQ_INT(bad, 0);

    /* remove the even ones directly */
    for (size_t i = 0; i < N; i += 2) {
        zl_hmap_remove(&m, &items[i].node);
        items[i].in = 0;
    }
    CHECK_EQ_INT(m.count, N / 2);
    missing = 0;
    int stale = 0;
    for (size_t i = 0; i < N; i++) {
        item_t *f = find(&m, items[i].key);
        if (items[i].in && f != &items[i]) missing++;
        if (!items[i].in && f) stale++;
    }
    CHECK_EQ_INT(missing, 0);
    CHECK_EQ_INT(stale, 0);

    /* remove while iterating: fetch the next node first, then remove */
    size_t removed = 0, visited = 0;
    b = 0;
    zl_hnode_t *n = zl_hmap_iter(&m, &b, NULL);
    while (n) {
        zl_hnode_t *next = zl_hmap_iter(&m, &b, n);
        item_t *it = ZL_CONTAINER_OF(n, item_t, node);
        visited++;
        if (it->key % 3 == 0) {
            zl_hmap_remove(&m, n);
            it->in = 0;
            removed++;
        }
        n = next;
    }
    CHECK_EQ_INT(visited, N / 2);
    CHECK(removed > 0);
    CHECK_EQ_INT(m.count, N / 2 - removed);
    CHECK_EQ_INT(iterate(&m, items), m.count);
    bad = 0;
    for (size_t i = 0; i < N; i++)
        if (items[i].seen != items[i].in) bad++;
    CHECK_EQ_INT(bad, 0);

    /* remove everything while iterating */
    b = 0;
    n = zl_hmap_iter(&m, &b, NULL);
    while (n) {
        zl_hnode_t *next = zl_hmap_iter(&m, &b, n);
        zl_hmap_remove(&m, n);
        n = next;
    }
    CHECK_EQ_INT(m.count, 0);
    b = 0;
    CHECK(zl_hmap_iter(&m, &b, NULL) == NULL);

    /* reinsert after emptying */
    CHECK_EQ_INT(zl_hmap_insert(&m, &items[5].node, zl_hash_u64(m.seed, items[5].key)), ZL_OK);
    CHECK(find(&m, items[5].key) == &items[5]);
    zl_hmap_free(&m);
    CHECK(m.buckets == NULL);
    CHECK_EQ_INT(m.count, 0);
    free(items);
}

/* Equal hashes (collisions) chain; next_same walks exactly those. */
static void test_collisions(void) {
    zl_hmap_t m;
    CHECK_EQ_INT(zl_hmap_init(&m, 100), ZL_OK);
    CHECK_EQ_INT(m.n_buckets, 128);
    item_t same[20], other[20];
    memset(same, 0, sizeof same);
    memset(other, 0, sizeof other);
    for (int i = 0; i < 20; i++) {
        same[i].key = (uint64_t)i;
        zl_hmap_insert(&m, &same[i].node, 42);
        other[i].key = 100 + (uint64_t)i;
        /* same bucket, different hash */
        zl_hmap_insert(&m, &other[i].node, 42 + ((uint64_t)(i + 1) << 20));
    }
    int k = 0;
    for (zl_hnode_t *n = zl_hmap_first(&m, 42); n; n = zl_hmap_next_same(n)) {
        CHECK(ZL_CONTAINER_OF(n, item_t, node)->key < 20);
        k++;
    }
    CHECK_EQ_INT(k, 20);
    /* remove from the middle of the chain */
    zl_hmap_remove(&m, &same[10].node);
    zl_hmap_remove(&m, &same[0].node);
    zl_hmap_remove(&m, &same[19].node);
    k = 0;
    for (zl_hnode_t *n = zl_hmap_first(&m, 42); n; n = zl_hmap_next_same(n)) {
        uint64_t key = ZL_CONTAINER_OF(n, item_t, node)->key;
        CHECK(key != 10 && key != 0 && key != 19);
        k++;
    }
    CHECK_EQ_INT(k, 17);
    CHECK_EQ_INT(m.count, 37);
    /* removing a node that is not in the map changes nothing */
    zl_hmap_remove(&m, &same[10].node);
    CHECK_EQ_INT(m.count, 37);
    zl_hmap_free(&m);
}

static void test_hash(void) {
    uint8_t buf[32];
    for (int i = 0; i < 32; i++) buf[i] = (uint8_t)i;
    /* deterministic, seed- and length-sensitive */
    for (size_t n = 0; n <= 32; n++) {
        CHECK(zl_hash_bytes(1, buf, n) == zl_hash_bytes(1, buf, n));
        CHECK(zl_hash_bytes(1, buf, n) != zl_hash_bytes(2, buf, n));
        if (n) CHECK(zl_hash_bytes(1, buf, n) != zl_hash_bytes(1, buf, n - 1));
    }
    /* trailing zero bytes matter */
    uint8_t z[9] = {0};
    for (size_t n = 1; n <= 9; n++) CHECK(zl_hash_bytes(5, z, n) != zl_hash_bytes(5, z, n - 1));
    CHECK(zl_hash_u64(1, 1) != zl_hash_u64(1, 2));
    CHECK(zl_hash_u64(1, 1) != zl_hash_u64(2, 1));
    /* two maps get different seeds */
    zl_hmap_t a, b;
    zl_hmap_init(&a, 0);
    zl_hmap_init(&b, 0);
    CHECK(a.seed != b.seed);
    zl_hmap_free(&a);
    zl_hmap_free(&b);
}

int main(void) {
    test_bulk();
    test_collisions();
    test_hash();
    TEST_MAIN_END();
}
