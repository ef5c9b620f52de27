/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the management-request decoder, the one parser fed by the network
 * side of Kafka: the same input is decoded in JSON mode, in Avro mode as a
 * whole framed record (header checks), and in Avro mode behind a fixed
 * Confluent header for schema id 1 (our AvroRequest) and id 2 (a different
 * writer schema, exercising the resolution path).  Schemas are pre-seeded, so
 * no registry is contacted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kafka/serde.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An older/hand-written AvroRequest: extra field, reordered enum, fewer branches. */
static const char writer2[] =
    "{\"type\":\"record\",\"name\":\"AvroRequest\",\"namespace\":\"io.zeelos.leshan.avro.request\","
    "\"fields\":[{\"name\":\"extra\",\"type\":\"long\"},{\"name\":\"serverId\",\"type\":\"string\"},"
    "{\"name\":\"ep\",\"type\":\"string\"},{\"name\":\"ticket\",\"type\":\"string\"},"
    "{\"name\":\"payload\",\"type\":{\"type\":\"record\",\"name\":\"AvroRequestPayload\",\"fields\":["
    "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"AvroRequestKind\",\"symbols\":"
    "[\"execute\",\"read\",\"bogus\"]}},{\"name\":\"path\",\"type\":\"string\"},{\"name\":\"contentFormat\","
    "\"type\":{\"type\":\"enum\",\"name\":\"AvroContentFormat\",\"symbols\":[\"TLV\",\"JSON_CODE\","
    "\"TEXT_CODE\",\"OPAQUE_CODE\",\"LINK_CODE\"]}},{\"name\":\"body\",\"type\":[\"null\",{\"type\":"
    "\"record\",\"name\":\"AvroExecuteRequest\",\"fields\":[{\"name\":\"parameters\",\"type\":"
    "\"string\"}]}]}]}}]}";

static zl_serde_t *js, *av;

static void fini(void) {
    zl_serde_destroy(js);
    zl_serde_destroy(av);
}

static void init(void) {
    char err[256];
    atexit(fini);
    js = zl_serde_new(ZL_FORMAT_JSON, NULL, err, sizeof err);
    av = zl_serde_new(ZL_FORMAT_AVRO, NULL, err, sizeof err);
    if (!js || !av) abort();
    if (zl_serde_add_writer_schema(av, 1, zl_serde_schema_text(ZL_VAL_REQUEST), err, sizeof err) ||
        zl_serde_add_writer_schema(av, 2, writer2, err, sizeof err))
        abort();
}

static void decode(zl_serde_t *s, const uint8_t *p, size_t n) {
    char err[256];
    zl_request_t q;
    zl_serde_decode_request(s, p, n, &q, err, sizeof err);
    zl_request_clear(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!js) init();
    decode(js, data, size);
    decode(av, data, size);
    uint8_t *framed = malloc(size + 5);
    if (!framed) return 0;
    memcpy(framed + 5, data, size);
    memset(framed, 0, 5);
    for (uint8_t id = 1; id <= 2; id++) {
        framed[4] = id;
        decode(av, framed, size + 5);
    }
    framed[4] = 1;
    zl_buf_t out;
    char err[256];
    zl_buf_init(&out, 0);
    zl_serde_to_json(av, framed, size + 5, &out, err, sizeof err);
    zl_buf_free(&out);
    free(framed);
    return 0;
}
