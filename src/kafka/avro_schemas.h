/* SPDX-License-Identifier: Apache-2.0 */
/* The exact Avro schema texts the Java zeelos producers registered
 * (contract §2.4: Schema.toString() of the avro-maven-plugin classes, with
 * "avro.java.string" properties).  Why exact: a Confluent registry identifies
 * a schema by its canonical text, so registering any other spelling would
 * create a new version and a different id than the Java original; byte-for-
 * byte replication across gateways relies on the ids being the same. */
#ifndef ZL_AVRO_SCHEMAS_H
#define ZL_AVRO_SCHEMAS_H

#include "kafka/serde.h"

/* Indices 0..4 equal zl_val_type_t; the key schema comes last. */
typedef enum {
    ZL_SCH_REGISTRATION = ZL_VAL_REGISTRATION, /* AvroRegistrationResponse */
    ZL_SCH_OBSERVE = ZL_VAL_OBSERVE,           /* AvroResponseObserve */
    ZL_SCH_RESPONSE = ZL_VAL_RESPONSE,         /* AvroResponse */
    ZL_SCH_REQUEST = ZL_VAL_REQUEST,           /* AvroRequest */
    ZL_SCH_AGGREGATE = ZL_VAL_AGGREGATE,       /* AvroWindowAggregate */
    ZL_SCH_KEY = ZL_VAL__COUNT,                /* AvroKey */
    ZL_SCH__COUNT
} zl_schema_kind_t;

/* Exact registered text (NUL-terminated). */
const char *zl_avro_schema_text(zl_schema_kind_t k);
/* Full record name, e.g. "io.zeelos.leshan.avro.AvroKey". */
const char *zl_avro_schema_fullname(zl_schema_kind_t k);

#endif
