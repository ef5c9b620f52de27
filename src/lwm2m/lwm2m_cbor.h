/* SPDX-License-Identifier: Apache-2.0 */
/* LwM2M CBOR (LwM2M 1.2 TS Core §7.4.6, content format 11544) and plain CBOR
 * (LwM2M 1.1 §7.4.5, content format 60: one data item for one resource or
 * resource instance), both on libcbor.
 *
 * LwM2M CBOR nests maps keyed by path components from the root: a key is an
 * unsigned integer (one id) or an array of 1..4 of them (several levels at
 * once), e.g. {3: {0: {0: "ACME", 9: 95, 6: {0: 1, 1: 5}}}} or
 * {[3, 0]: {0: "ACME"}}.  Leaves: unsigned/negative integer (INTEGER, TIME,
 * also FLOAT by model), float (FLOAT), bool, text string (STRING, OBJLNK as
 * "oid:iid"), byte string (OPAQUE); tag 1 (epoch time) around an integer is
 * accepted for TIME. */
#ifndef ZL_LWM2M_CBOR_H
#define ZL_LWM2M_CBOR_H
#include <stddef.h>
#include <stdint.h>
#include "lwm2m/model.h"
#include "lwm2m/node.h"
#include "lwm2m/path.h"
#include "common/buf.h"

/* Largest payload either decoder accepts (ZL_ERR_TOO_LARGE beyond). */
#define ZL_LWM2M_CBOR_MAX_INPUT (1u << 20)

/* Decodes an LwM2M CBOR payload answering a request on path into a node of
 * the kind path addresses.  Every value must lie under path and at resource or
 * resource-instance level; values are typed with the model (unknown
 * resources: integers INTEGER, floats FLOAT, text STRING, bytes OPAQUE).
 * At the root path "/" (what LwM2M Send carries) the result is, as for SenML,
 * a container node of kind OBJECT with id ZL_SENML_ROOT_ID (senml.h) whose
 * children are the OBJECT nodes the payload names, sorted by id; the encoder
 * does not take such a container.
 * Errors: ZL_ERR_INVALID (message names the value's path), ZL_ERR_TOO_LARGE
 * (> 10000 values or 1 MiB), ZL_ERR_NOMEM. */
zl_err_t zl_lwm2m_cbor_decode(const uint8_t *p, size_t n, const zl_path_t *path,
                              const zl_models_t *models, zl_node_t **out,
                              char *errstr, size_t errstr_size);
/* Encodes node (addressed by path) as {key: tree}, key being the path as one
 * unsigned integer (objects) or an array of ids ([3,0], [3,0,9], ...), and the
 * subtree as maps keyed by child ids.  On error out's length is restored. */
zl_err_t zl_lwm2m_cbor_encode(const zl_node_t *node, const zl_path_t *path, zl_buf_t *out);

/* Plain CBOR: path must address a resource (-> RESOURCE node) or resource
 * instance (-> RES_INSTANCE); the single data item is typed by the model. */
zl_err_t zl_cbor_single_decode(const uint8_t *p, size_t n, const zl_path_t *path,
                               const zl_models_t *models, zl_node_t **out,
                               char *errstr, size_t errstr_size);
/* Encodes a RESOURCE or RES_INSTANCE node's value as one data item (OBJLNK as
 * text "oid:iid", TIME as an integer, NONE as a byte string). */
zl_err_t zl_cbor_single_encode(const zl_node_t *node, const zl_path_t *path, zl_buf_t *out);
#endif
