/* SPDX-License-Identifier: Apache-2.0 */
/* OMA-TLV (LwM2M 1.0 §6.4.3), content formats 11542 and the legacy 1542. */
#ifndef ZL_TLV_H
#define ZL_TLV_H
#include "lwm2m/model.h"
#include "lwm2m/node.h"
#include "lwm2m/path.h"
#include "common/buf.h"

/* Decodes a TLV payload that answers a request on path. Returns a node of the
 * kind the path addresses (object for "/3", instance for "/3/0", resource or
 * multiple resource for "/3/0/7"). Values are typed with the model; unknown
 * resources keep their raw bytes as ZL_T_NONE. */
zl_err_t zl_tlv_decode(const uint8_t *p, size_t n, const zl_path_t *path,
                              const zl_models_t *models, zl_node_t **out,
                       char *errstr, size_t errstr_size);
/* Encodes node as TLV (an object node encodes as its instances; an instance
 * node as one object-instance TLV). On error out's length is restored. */
zl_err_t zl_tlv_encode(const zl_node_t *node, zl_buf_t *out);
/* Encodes an INSTANCE node's resources without the object-instance wrapper
 * (the form LwM2M uses for payloads addressed to /oid/iid). */
zl_err_t zl_tlv_encode_resources(const zl_node_t *inst, zl_buf_t *out);
#endif
