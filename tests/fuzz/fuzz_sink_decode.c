/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the sink's record readers (serde_read.c): observations and
 * registrations as the sink meets them on Kafka - Avro behind a Confluent
 * header for ids of the zeelos 1.1 schemas and of the original contract
 * texts, and Avro JSON.  Schemas are pre-seeded: no registry is contacted.
 * Avro observations are read twice, by the walker (serde_walk.c, the hot
 * path) and by avro-c's generic value: both must accept the same records
 * and give the same values, or the target aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kafka/serde.h"
#include "kafka/serde_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static zl_serde_t *js, *av, *ref_av; /* ref_av: the generic reader's own serde (strings live in it) */
static zl_observe_t obs, ref;
static zl_registration_t reg;

static void fini(void) {
    zl_serde_destroy(js);
    zl_serde_destroy(av);
    zl_serde_destroy(ref_av);
    zl_observe_free(&obs);
    zl_observe_free(&ref);
    zl_registration_free(&reg);
}

static void init(void) {
    char err[256];
    atexit(fini);
    js = zl_serde_new(ZL_FORMAT_JSON, NULL, err, sizeof err);
    av = zl_serde_new(ZL_FORMAT_AVRO, NULL, err, sizeof err);
    ref_av = zl_serde_new(ZL_FORMAT_AVRO, NULL, err, sizeof err);
    if (!js || !av || !ref_av) abort();
    zl_serde_t *both[2] = {av, ref_av};
    for (int i = 0; i < 2; i++)
        if (zl_serde_add_writer_schema(both[i], 1, zl_serde_schema_text(ZL_VAL_OBSERVE), err, sizeof err) ||
            zl_serde_add_writer_schema(both[i], 2, zl_serde_schema_text(ZL_VAL_REGISTRATION), err, sizeof err) ||
            zl_serde_add_writer_schema(both[i], 3, zl_serde_schema_text(ZL_VAL_RESPONSE), err, sizeof err))
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

static bool same_str(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

/* The walker's reading of an Avro observation equals the generic reader's. */
static void compare(const uint8_t *p, size_t n, zl_err_t got) {
    char err[256];
    zl_err_t want = zl_serde_decode_observe_generic(ref_av, p, n, &ref, err, sizeof err);
    if ((got == ZL_OK) != (want == ZL_OK)) abort();
    if (got) return;
    if (!same_str(obs.ticket, ref.ticket) || !same_str(obs.observation_id, ref.observation_id) ||
        !same_str(obs.server_id, ref.server_id) || !same_str(obs.ep, ref.ep) || !same_str(obs.path, ref.path) ||
        obs.timestamp != ref.timestamp || !same_str(obs.code, ref.code) || !same_str(obs.kind, ref.kind) ||
        obs.n_points != ref.n_points)
        abort();
    for (size_t i = 0; i < obs.n_points; i++) {
        const zl_point_t *a = &obs.points[i], *b = &ref.points[i];
        if (!same_str(a->path, b->path) || !same_str(a->type, b->type) || a->kind != b->kind) abort();
        if (a->kind == ZL_PV_STRING && (a->s_len != b->s_len || memcmp(a->s, b->s, a->s_len))) abort();
        if (a->kind == ZL_PV_DOUBLE && memcmp(&a->d, &b->d, sizeof a->d)) abort();
        if (a->kind == ZL_PV_LONG && a->l != b->l) abort();
        if (a->kind == ZL_PV_BOOLEAN && a->b != b->b) abort();
    }
}

static void decode(zl_serde_t *s, const uint8_t *p, size_t n) {
    char err[256];
    zl_err_t e = zl_serde_decode_observe(s, p, n, &obs, err, sizeof err);
    if (!e) touch(&obs, NULL);
    if (s == av) compare(p, n, e);
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
