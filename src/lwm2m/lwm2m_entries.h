/* SPDX-License-Identifier: Apache-2.0 */
/* Flat (path, value) lists shared by the self-describing codecs (LwM2M JSON,
 * LwM2M CBOR): a decoder appends one entry per leaf value it reads and then
 * builds the node tree once, which checks duplicates, structure and the
 * request path in one place.  The encoders walk a tree back into leaves. */
#ifndef ZL_LWM2M_ENTRIES_H
#define ZL_LWM2M_ENTRIES_H

#include <stdbool.h>
#include <stddef.h>

#include "lwm2m/model.h"
#include "lwm2m/node.h"
#include "lwm2m/path.h"

#define ZL_ENTRIES_MAX 10000

typedef struct {
    zl_path_t path;   /* absolute: /oid/iid/rid or /oid/iid/rid/riid */
    zl_value_t value; /* owned */
    size_t index;     /* position in the payload (for sorting stability) */
} zl_entry_t;

typedef struct {
    zl_path_t req; /* the request path every entry must lie under */
    const zl_models_t *models; /* types the entries; NULL: built-ins */
    zl_entry_t *v;
    size_t n, cap;
    const char *what; /* "entry", "value": used in messages */
} zl_entries_t;

void zl_entries_init(zl_entries_t *es, const zl_path_t *req, const zl_models_t *models, const char *what);
void zl_entries_free(zl_entries_t *es);
/* Checks that path names a resource or resource instance under es->req, then
 * appends (path, *value).  The value's bytes are owned by es afterwards, also
 * on failure (they are freed then).  ZL_ERR_INVALID for a path outside the
 * request or above resource level, ZL_ERR_TOO_LARGE past ZL_ENTRIES_MAX. */
zl_err_t zl_entries_add(zl_entries_t *es, const zl_path_t *path, zl_value_t *value,
                        char *errstr, size_t errstr_size);
/* Builds the node tree for es->req (OBJECT, INSTANCE, RESOURCE or MULTI,
 * RES_INSTANCE by depth; at the root path the ZL_SENML_ROOT_ID container of
 * objects that Send payloads decode to); children are sorted by id.  Rejects duplicates and a
 * resource given both as a value and as instances.  Entries' values move into
 * the tree; es stays valid for zl_entries_free. */
zl_err_t zl_entries_build(zl_entries_t *es, zl_node_t **out, char *errstr, size_t errstr_size);

/* The model's type for a resource path (ZL_T_NONE if unknown or executable). */
zl_type_t zl_entries_model_type(const zl_models_t *models, const zl_path_t *p);

/* Checks that node is a well-formed tree of the kind path addresses
 * (node->id equal to the path's last id, children of the right kinds). */
zl_err_t zl_entries_check_tree(const zl_node_t *node, const zl_path_t *path);

/* Calls fn for every leaf (RESOURCE / RES_INSTANCE) of node, with its absolute
 * path; node sits at path.  Stops at the first error fn returns. */
typedef zl_err_t (*zl_leaf_fn)(void *ctx, const zl_path_t *path, const zl_value_t *v);
zl_err_t zl_entries_walk(const zl_node_t *node, const zl_path_t *path, zl_leaf_fn fn, void *ctx);

#endif
