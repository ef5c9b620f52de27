/* SPDX-License-Identifier: Apache-2.0 */
/* Node tree helpers.  Children live in one realloc'd array per parent (not a
 * linked list) so codecs can index them and a subtree frees in one walk; the
 * price is that a child pointer is only valid until the parent's next add.
 * node.h has no capacity field, so growth asks the allocator how much room the
 * array really has (malloc_usable_size) and doubles when full: appends stay
 * amortised O(1) even for arrays some other layer allocated exactly. */
#include "lwm2m/node.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

zl_node_t *zl_node_new(zl_node_kind_t kind, uint16_t id) {
    zl_node_t *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->kind = kind;
    n->id = id;
    n->value.type = ZL_T_NONE;
    return n;
}

void zl_node_clear(zl_node_t *n) {
    if (!n) return;
    for (size_t i = 0; i < n->n_children; i++) zl_node_clear(&n->children[i]);
    free(n->children);
    free(n->value.bytes);
    n->children = NULL;
    n->n_children = 0;
    n->value.bytes = NULL;
    n->value.len = 0;
}

void zl_node_free(zl_node_t *node) {
    if (!node) return;
    zl_node_clear(node);
    free(node);
}

zl_node_t *zl_node_add_child(zl_node_t *parent, zl_node_kind_t kind, uint16_t id) {
    if (!parent) return NULL;
    size_t need = (parent->n_children + 1) * sizeof(zl_node_t);
    if (!parent->children || malloc_usable_size(parent->children) < need) {
        size_t cap = parent->n_children < 4 ? 4 : parent->n_children * 2;
        zl_node_t *c = realloc(parent->children, cap * sizeof *c);
        if (!c) return NULL;
        parent->children = c;
    }
    zl_node_t *c = parent->children;
    zl_node_t *n = &c[parent->n_children++];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->id = id;
    n->value.type = ZL_T_NONE;
    return n;
}

zl_node_t *zl_node_child(const zl_node_t *parent, uint16_t id) {
    if (!parent) return NULL;
    for (size_t i = 0; i < parent->n_children; i++)
        if (parent->children[i].id == id) return &parent->children[i];
    return NULL;
}

zl_err_t zl_value_set_bytes(zl_value_t *v, zl_type_t type, const void *p, size_t n) {
    uint8_t *b = malloc(n + 1);
    if (!b) return ZL_ERR_NOMEM;
    if (n) memcpy(b, p, n);
    b[n] = 0;
    free(v->bytes);
    v->bytes = b;
    v->len = n;
    v->type = type;
    return ZL_OK;
}

const char *zl_type_name(zl_type_t t) {
    static const char *const names[] = {"STRING", "FLOAT", "INTEGER", "BOOLEAN",
                                        "OPAQUE", "TIME", "OBJLNK", "NONE"};
    if ((unsigned)t < sizeof names / sizeof names[0]) return names[t];
    return "NONE";
}

bool zl_node_child_ok(zl_node_kind_t parent, zl_node_kind_t child) {
    switch (parent) {
    case ZL_N_OBJECT: return child == ZL_N_INSTANCE;
    case ZL_N_INSTANCE: return child == ZL_N_RESOURCE || child == ZL_N_MULTI;
    case ZL_N_MULTI: return child == ZL_N_RES_INSTANCE;
    default: return false;
    }
}
