/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/kafka: what serde.c shares with serde_request.c. */
#ifndef ZL_KAFKA_SERDE_INT_H
#define ZL_KAFKA_SERDE_INT_H

#include <avro.h>
#include <jansson.h>
#include "kafka/records.h"
#include "kafka/serde.h"

/* Fills out (zeroed by the caller, owned by it: zl_request_clear() also on
 * error) from v, an AvroRequest of our reader schema; errstr names the field
 * that is wrong. */
zl_err_t zl_serde_extract_request(const avro_value_t *v, zl_request_t *out, char *errstr, size_t n);
/* JSON that does not convert: still copies serverId, ep, ticket, payload.kind
 * and payload.path (where out has none yet), so the gateway can answer
 * BAD_REQUEST to the right ticket. */
void zl_serde_salvage_json(const json_t *j, zl_request_t *out);

/* The decoded value of a framed Avro record (of its writer schema, fetched by
 * id, blocking) or of an Avro JSON text (of our schema of type).  *out is the
 * serde's, valid until its next decode.  Errors: ZL_ERR_IO (the registry could
 * not be reached: try again later), ZL_ERR_SCHEMA (unknown id), ZL_ERR_INVALID /
 * ZL_ERR_TRUNCATED (bad bytes), with errstr saying why. */
zl_err_t zl_serde_value(zl_serde_t *s, zl_val_type_t type, const void *data, size_t len, avro_value_t **out,
                        char *errstr, size_t n);

/* Reading a framed Avro record straight from its bytes (serde_walk.c): the
 * writer schema (fetched by id, blocking; errors as zl_serde_value), the
 * datum - NOT checked against the schema: the walker checks every length,
 * union branch and enum ordinal as it reads, and that nothing trails - and
 * the slot where the walker keeps what it derived from that schema (freed
 * with the schema's cache entry by zl_walk_plans_free).  Avro format only. */
typedef struct zl_walk_plans zl_walk_plans_t;
zl_err_t zl_serde_framed(zl_serde_t *s, const void *data, size_t len, avro_schema_t *schema, zl_walk_plans_t ***plans,
                         const uint8_t **body, size_t *body_len, char *errstr, size_t n);
void zl_walk_plans_free(zl_walk_plans_t *p);
/* AvroResponseObserve (any writer schema) from the datum of zl_serde_framed
 * into out, accepting and refusing exactly what the generic reader does; or
 * ZL_ERR_UNSUPPORTED for the rare datum it leaves to the generic reader (a
 * map with a repeated key, or more than 64 entries). */
zl_err_t zl_walk_observe(avro_schema_t schema, zl_walk_plans_t **plans, const uint8_t *p, size_t len,
                         zl_observe_t *out, char *errstr, size_t n);

/* zl_serde_decode_observe through avro-c's generic value (JSON, and the
 * reference the walker is fuzzed against). */
zl_err_t zl_serde_decode_observe_generic(zl_serde_t *s, const void *data, size_t len, zl_observe_t *out,
                                         char *errstr, size_t n);

/* serde.c's encoding steps, for the encoders kept in their own files
 * (serde_window.c): the ids of a registered topic (-1 in JSON), the serde's
 * value of a type reset for a new record, and the append of v to out as a
 * framed Avro record with id (or Avro JSON). */
zl_err_t zl_serde_topic_ids(zl_serde_t *s, const char *topic, int32_t *kid, int32_t *vid);
avro_value_t *zl_serde_fresh(zl_serde_t *s, zl_val_type_t type);
zl_err_t zl_serde_frame(zl_serde_t *s, int32_t id, avro_value_t *v, zl_buf_t *out);

/* Responses in Avro go through avro-c's generic values (on) instead of the
 * direct writer (avro_bin.c): the reference the direct writer is tested
 * against byte for byte. */
void zl_serde_use_generic_writer(zl_serde_t *s, bool on);

#endif
