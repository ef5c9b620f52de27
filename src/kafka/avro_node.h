/* SPDX-License-Identifier: Apache-2.0 */
/* The LwM2M node tree (lwm2m/node.h) <-> the zeelos resource records
 * (AvroObjectResource, AvroInstanceResource, AvroResource,
 * AvroMultipleResource), contract §4.4.  Why separate: both the response
 * encoder (READ bodies) and the request decoder (WRITE/CREATE bodies) need
 * it, in opposite directions, and it is the only place values change
 * representation (OPAQUE <-> Base64, TIME s <-> ms, OBJLNK <-> "oid:iid"). */
#ifndef ZL_AVRO_NODE_H
#define ZL_AVRO_NODE_H

#include <avro.h>
#include <stddef.h>
#include "lwm2m/node.h"
#include "common/err.h"

/* Sets union u to the branch matching node->kind (OBJECT -> AvroObjectResource,
 * INSTANCE -> AvroInstanceResource, RESOURCE -> AvroResource, MULTI ->
 * AvroMultipleResource; RES_INSTANCE -> AvroResource) and fills it.  path is
 * the request path the node answers ("/3/0"); resource paths are computed
 * from it plus the node ids.  ZL_ERR_INVALID if the union has no such branch. */
zl_err_t zl_avro_node_to_union(avro_value_t *u, const zl_node_t *node, const char *path);
/* Fills an AvroInstanceResource record (CREATE bodies). */
zl_err_t zl_avro_instance_to_record(avro_value_t *rec, const zl_node_t *node, const char *path);

/* Builds a node tree from a union of resource records (WRITE node) or from a
 * resource record itself (CREATE instance).  where names the value in error
 * messages ("payload.body.node"). */
zl_err_t zl_avro_node_from_union(const avro_value_t *u, zl_node_t **out, const char *where,
                                 char *errstr, size_t n);
zl_err_t zl_avro_node_from_record(const avro_value_t *rec, zl_node_t **out, const char *where,
                                  char *errstr, size_t n);

/* Composite values (zeelos 1.1 `resources` fields): a flat Avro array of
 * AvroResource records, each carrying its absolute path ("/3/0/0",
 * "/3/0/7/1").  root is a container node (kind OBJECT, id ZL_SENML_ROOT_ID)
 * whose children are objects, as the SenML decoders return for "/". */
zl_err_t zl_avro_leaves_to_array(avro_value_t *arr, const zl_node_t *root);
/* Builds such a container from the array; a path that is not a resource or
 * resource instance, or that appears twice, is an error naming where. */
zl_err_t zl_avro_leaves_from_array(const avro_value_t *arr, zl_node_t **root, const char *where,
                                   char *errstr, size_t n);

/* Paths written into resource records, shared with the direct writer
 * (avro_bin.c) so both encoders name every record alike: the node's own path
 * from the request path (zl_avro_node_path: "/3/0" + RESOURCE 1 -> "/3/0/1")
 * and a child's ("<path>/<id>").  out holds sz bytes, NUL-terminated. */
void zl_avro_node_path(const char *req_path, const zl_node_t *n, char *out, size_t sz);
void zl_avro_child_path(char *out, size_t sz, const char *path, uint16_t id);

#endif
