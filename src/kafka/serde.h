/* SPDX-License-Identifier: Apache-2.0 */
/* Serialization of zeelos records for Kafka: Confluent-framed Avro (magic 0 +
 * 4-byte big-endian schema id + Avro binary) with schemas registered in a
 * Confluent-compatible Schema Registry, or JSON (the Avro JSON encoding, as
 * kafka-avro-console-producer reads and writes it) for users without a registry.
 *
 * Built on avro-c: every record is built as an avro_value_t of the exact
 * schema text the Java original registered (contract §2.4), so the JSON mode
 * is avro_value_to_json() of the same value.  Decoding a request resolves the
 * writer schema (fetched by id from the registry, cached) against our reader
 * schema, so requests produced with other schema versions still decode.
 *
 * Thread: a zl_serde_t is used by one thread at a time (the gateway loop). */
#ifndef ZL_SERDE_H
#define ZL_SERDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kafka/kafka_conf.h"
#include "kafka/records.h"
#include "kafka/sr.h"
#include "common/buf.h"

typedef enum { ZL_FORMAT_AVRO = 0, ZL_FORMAT_JSON = 1 } zl_format_t;

/* Which value schema a topic carries. */
typedef enum {
    ZL_VAL_REGISTRATION = 0, /* AvroRegistrationResponse */
    ZL_VAL_OBSERVE,          /* AvroResponseObserve */
    ZL_VAL_RESPONSE,         /* AvroResponse */
    ZL_VAL_REQUEST,          /* AvroRequest */
    ZL_VAL_AGGREGATE,        /* AvroWindowAggregate (zeelos analytics) */
    ZL_VAL__COUNT
} zl_val_type_t;

typedef struct zl_serde zl_serde_t;

/* sr_url may be NULL for ZL_FORMAT_JSON. No network I/O happens here. */
zl_serde_t *zl_serde_new(zl_format_t fmt, const char *sr_url, char *errstr, size_t errstr_size);
/* The same with the registry's TLS and authentication options (sr.h); o or
 * its url may be NULL for ZL_FORMAT_JSON. */
zl_serde_t *zl_serde_new_sr(zl_format_t fmt, const zl_sr_opts_t *o, char *errstr, size_t errstr_size);
/* The same with every schema.registry.* setting of kc (what roles call). */
zl_serde_t *zl_serde_new_kc(zl_format_t fmt, const zl_kafka_conf_t *kc, char *errstr, size_t errstr_size);
/* The registry options s was made with; NULL without a registry. */
const zl_sr_opts_t *zl_serde_sr_opts(const zl_serde_t *s);
void zl_serde_destroy(zl_serde_t *s);

/* Registers (Avro) the key schema under "<topic>-key" and the value schema of
 * type under "<topic>-value" and caches the ids. Blocking HTTP: call at setup.
 * A no-op for JSON. */
zl_err_t zl_serde_register_topic(zl_serde_t *s, const char *topic, zl_val_type_t type,
                                 char *errstr, size_t errstr_size);

/* Encoders append the framed record to out (reset by the caller). The topic
 * must have been registered. */
zl_err_t zl_serde_key(zl_serde_t *s, const char *topic, const char *ep, zl_buf_t *out);
zl_err_t zl_serde_registration(zl_serde_t *s, const char *topic, const zl_rec_registration_t *r,
                               zl_buf_t *out);
zl_err_t zl_serde_response(zl_serde_t *s, const char *topic, const zl_rec_response_t *r,
                           zl_buf_t *out);
/* For `zeelos request` and tests: encodes an AvroRequest. */
zl_err_t zl_serde_request(zl_serde_t *s, const char *topic, const zl_request_t *r, zl_buf_t *out);

/* Decodes a management request value. May fetch the writer schema by id from
 * the registry (blocking, cached). On error errstr says why (bad magic, unknown
 * schema id, truncated Avro, invalid JSON, ...). out is owned by the caller,
 * who must zl_request_clear() it on success and on error: on error it holds
 * whatever could be read (typically ep, ticket, kind, path) so the caller can
 * still answer BAD_REQUEST to the right ticket.  The key is never looked at. */
zl_err_t zl_serde_decode_request(zl_serde_t *s, const void *data, size_t len, zl_request_t *out,
                                 char *errstr, size_t errstr_size);

/* Asynchronous look-ups (kafka/reqdec.h drives them for the gateway's loop).
 * The writer schema id a framed Avro value needs fetched before
 * zl_serde_decode_request() can decode it without network I/O; -1 when it
 * will not fetch (schema cached, its lookup failed less than 30 s ago, no
 * registry, JSON format, not a framed record). */
int64_t zl_serde_pending_schema(zl_serde_t *s, const void *data, size_t len);
/* Feeds the result of a fetch of id made elsewhere (zl_sr_async_t): e and
 * text as zl_sr_fetch() gave them.  Success caches the schema; a failure (or
 * a text that does not parse: errstr says why, return ZL_ERR_SCHEMA) is
 * remembered as a failed lookup, exactly as a blocking fetch would be. */
zl_err_t zl_serde_schema_fetched(zl_serde_t *s, int32_t id, zl_err_t e, const char *text, char *errstr,
                                 size_t n);

/* Decodes any framed zeelos key or value (writer schema fetched by id) to a
 * JSON text (Avro JSON encoding) for `zeelos tail`. */
zl_err_t zl_serde_to_json(zl_serde_t *s, const void *data, size_t len, zl_buf_t *out,
                          char *errstr, size_t errstr_size);

/* ---- reading observations and registrations (sinks) -----------------------
 *
 * Any writer schema decodes (fields are found by name: the original texts,
 * zeelos 1.1, an analytics topic's).  Every string points into the serde's
 * decoded value: valid until the serde's next decode.  The arrays are the
 * out struct's own, reused by the next call on it; free them with
 * zl_observe_free() / zl_registration_free().  Errors as zl_serde_value():
 * ZL_ERR_IO means "the registry could not be reached, try later", any
 * other error means the record itself cannot be read (errstr says why). */

/* The AvroResource.value branch. */
typedef enum { ZL_PV_STRING = 0, ZL_PV_DOUBLE, ZL_PV_LONG, ZL_PV_BOOLEAN } zl_pv_kind_t;

/* One value: an AvroResource of the record, flattened. */
typedef struct {
    const char *path;      /* absolute, as the record gives it ("/3303/0/5700", "/3/0/7/1") */
    const char *type;      /* AvroType symbol ("FLOAT", ...) */
    zl_pv_kind_t kind;
    const char *s;         /* ZL_PV_STRING (not NUL-free: s_len counts) */
    size_t s_len;
    double d;
    int64_t l;
    bool b;
} zl_point_t;

/* AvroResponseObserve (or AvroResponse) with every value it carries: the read
 * body's resources (object, instance, multiple resource or resource) and the
 * zeelos 1.1 rep.resources of composite notifications and Send. */
typedef struct {
    const char *ticket, *observation_id, *server_id, *ep, *path; /* observation_id: "" when absent */
    int64_t timestamp;     /* epoch ms */
    const char *code, *kind; /* AvroResponseCode / AvroRequestKind symbols */
    zl_point_t *points;
    size_t n_points, cap_points;
    char *arena;           /* storage: the strings of a record read straight from Avro binary */
    size_t arena_cap;
} zl_observe_t;

zl_err_t zl_serde_decode_observe(zl_serde_t *s, const void *data, size_t len, zl_observe_t *out, char *errstr,
                                 size_t n);
/* The same for a management.rep record (AvroResponse): in JSON format the
 * record is read with AvroResponse's schema, which has no observationId. */
zl_err_t zl_serde_decode_response(zl_serde_t *s, const void *data, size_t len, zl_observe_t *out, char *errstr,
                                  size_t n);
void zl_observe_free(zl_observe_t *o);

/* One object link of a registration: url ("/3303/0") and attributes. */
typedef struct {
    const char *url;
    const zl_kv_t *at;
    size_t n_at;
} zl_reg_link_t;

/* AvroRegistrationResponse, flattened; absent optional fields are NULL/false. */
typedef struct {
    zl_reg_kind_t kind;
    const char *ep, *server_id, *reg_id, *address, *reg_addr, *ver, *root, *sms, *bnd, *binding;
    int32_t port, reg_port;
    int64_t reg_date, last_up, lt;
    bool has_lt, expired, has_links, has_attrs;
    zl_reg_link_t *links;
    size_t n_links;
    zl_kv_t *attrs;
    size_t n_attrs;
    /* storage */
    zl_kv_t *kv;
    size_t n_kv, cap_kv, cap_links;
} zl_registration_t;

zl_err_t zl_serde_decode_registration(zl_serde_t *s, const void *data, size_t len, zl_registration_t *out,
                                      char *errstr, size_t n);
void zl_registration_free(zl_registration_t *r);

/* ---- analytics output (serde_window.c) -------------------------------------
 *
 * One window of an aggregation: AvroWindowAggregate (schemas/zeelos/), under
 * a windowed key.  The topic must have been registered with ZL_VAL_AGGREGATE
 * (or ZL_VAL_OBSERVE for the seed's max-record output, zl_serde_response). */
typedef struct {
    const char *job, *group;
    int64_t start, end;        /* epoch ms, end exclusive */
    int64_t count, last_ts;
    double min, max, sum, mean, last;
    bool final;
} zl_rec_aggregate_t;

/* The key of a window: Avro: the framed AvroKey{ep = group} followed by the
 * 8-byte big-endian window start (Kafka Streams' TimeWindowedSerializer, the
 * seed's key).  JSON: {"group":"<group>","windowStart":<ms>}. */
zl_err_t zl_serde_window_key(zl_serde_t *s, const char *topic, const char *group, int64_t start, zl_buf_t *out);
zl_err_t zl_serde_aggregate(zl_serde_t *s, const char *topic, const zl_rec_aggregate_t *a, zl_buf_t *out);

/* ---- additions (tests, tools, fuzzing) ---------------------------------- */

/* "avro" -> ZL_FORMAT_AVRO, "json" -> ZL_FORMAT_JSON, else -1. */
int zl_format_parse(const char *s);
zl_format_t zl_serde_format(const zl_serde_t *s);

/* Seeds the ids of "<topic>-key" and "<topic>-value" without a registry, as
 * if zl_serde_register_topic() had registered them; both ids also enter the
 * writer-schema cache with the embedded schemas. */
zl_err_t zl_serde_set_topic_ids(zl_serde_t *s, const char *topic, zl_val_type_t type,
                                int32_t key_id, int32_t value_id);
/* Seeds the id -> writer schema cache (what a registry fetch would return). */
zl_err_t zl_serde_add_writer_schema(zl_serde_t *s, int32_t id, const char *schema_text,
                                    char *errstr, size_t errstr_size);
/* The exact registered schema text of a value type, or of AvroKey when
 * type == ZL_VAL__COUNT. */
const char *zl_serde_schema_text(zl_val_type_t type);

#endif
