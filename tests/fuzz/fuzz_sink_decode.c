/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the sink's record readers (serde_read.c): observations and
 * registrations as the sink meets them on Kafka - Avro behind a Confluent
 * header for ids of the zeelos 1.1 schemas and of the original contract
 * texts, and Avro JSON.  Schemas are pre-seeded: no registry is contacted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kafka/serde.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static zl_serde_t *js, *av;
static zl_observe_t obs;
static zl_registration_t reg;

static void fini(void) {
    zl_serde_destroy(js);
    zl_serde_destroy(av);
    zl_observe_free(&obs);
    zl_registration_free(&reg);
}

static void init(void) {
    char err[256];
    atexit(fini);
    js = zl_serde_new(ZL_FORMAT_JSON, NULL, err, sizeof err);
    av = zl_serde_new(ZL_FORMAT_AVRO, NULL, err, sizeof err);
    if (!js || !av) abort();
    if (zl_serde_add_writer_schema(av, 1, zl_serde_schema_text(ZL_VAL_OBSERVE), err, sizeof err) ||
        zl_serde_add_writer_schema(av, 2, zl_serde_schema_text(ZL_VAL_REGISTRATION), err, sizeof err) ||
        zl_serde_add_writer_schema(av, 3, zl_serde_schema_text(ZL_VAL_RESPONSE), err, sizeof err))
        abort();
}

/* Touches every string the readers hand out, so a dangling one is caught. */
static size_t touch(const zl_observe_t *o, const zl_registration_t *r) {
    size_t n = 0;
    for (size_t i = 0; o && i < o->n_points; i++) n += strlen(o->points[i].path) + strlen(o->points[i].type);
    for (size_t i = 0; r && i < r->n_links; i++) {
        n += strlen(r->links[i].url);
        for (size_t k = 0; k < r->links[i].n_at; k++) n += strlen(r->links[i].at[k].name);
    }
    return n;
}

static void decode(zl_serde_t *s, const uint8_t *p, size_t n) {
    char err[256];
    if (!zl_serde_decode_observe(s, p, n, &obs, err, sizeof err)) touch(&obs, NULL);
    if (!zl_serde_decode_registration(s, p, n, &reg, err, sizeof err)) touch(NULL, &reg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!js) init();
    decode(js, data, size);
    uint8_t *framed = malloc(size + 5);
    if (!framed) return 0;
    memcpy(framed + 5, data, size);
    memset(framed, 0, 5);
    for (uint8_t id = 1; id <= 3; id++) {
        framed[4] = id;
        decode(av, framed, size + 5);
    }
    free(framed);
    return 0;
}
