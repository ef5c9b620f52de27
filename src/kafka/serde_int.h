/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/kafka: what serde.c shares with serde_request.c. */
#ifndef ZL_KAFKA_SERDE_INT_H
#define ZL_KAFKA_SERDE_INT_H

#include <avro.h>
#include <jansson.h>
#include "kafka/records.h"

/* Fills out (zeroed by the caller, owned by it: zl_request_clear() also on
 * error) from v, an AvroRequest of our reader schema; errstr names the field
 * that is wrong. */
zl_err_t zl_serde_extract_request(const avro_value_t *v, zl_request_t *out, char *errstr, size_t n);
/* JSON that does not convert: still copies serverId, ep, ticket, payload.kind
 * and payload.path (where out has none yet), so the gateway can answer
 * BAD_REQUEST to the right ticket. */
void zl_serde_salvage_json(const json_t *j, zl_request_t *out);

#endif
