/* SPDX-License-Identifier: Apache-2.0 */
/* The direct Avro writer of responses (kafka/avro_bin.c) against avro-c's
 * generic values (serde.c): the same bytes for every value type (TIME past
 * the int64 range in ms included), every node kind, a multiple resource
 * repeating an instance id, instances with and without multiple resources,
 * empty containers, composite values, every body and a NULL ticket.  The fuzz
 * target fuzz_avro_bin does the same over decoded TLV and SenML trees. */
#include <stdlib.h>
#include <string.h>
#include "kafka/records.h"
#include "kafka/serde.h"
#include "kafka/serde_int.h"
#include "lwm2m/senml.h"
#include "test.h"

static zl_serde_t *S, *SJ; /* Avro, JSON */

static void same_in(zl_serde_t *s, const zl_rec_response_t *r, const char *what) {
    const char *topic = r->observation_id ? "o" : "r";
    zl_buf_t a, b;
    zl_buf_init(&a, 0);
    zl_buf_init(&b, 0);
    zl_serde_use_generic_writer(s, true);
    zl_err_t ea = zl_serde_response(s, topic, r, &a);
    zl_serde_use_generic_writer(s, false);
    zl_err_t eb = zl_serde_response(s, topic, r, &b);
    CHECK_EQ_INT(eb, ea);
    if (ea == ZL_OK && !(a.len == b.len && memcmp(a.data, b.data, a.len) == 0)) {
        zt_fail++;
        fprintf(stderr, "%s (%s): bytes differ (generic %zu, direct %zu)\n", what, s == SJ ? "json" : "avro",
                a.len, b.len);
        if (s == SJ) fprintf(stderr, "  generic: %.*s\n  direct:  %.*s\n", (int)a.len, (const char *)a.data,
                             (int)b.len, (const char *)b.data);
    } else {
        zt_pass++;
    }
    zl_buf_free(&a);
    zl_buf_free(&b);
}

static void same(const zl_rec_response_t *r, const char *what) {
    same_in(S, r, what);
    same_in(SJ, r, what);
}

static void leaf(zl_node_t *parent, zl_node_kind_t k, uint16_t id, zl_type_t t, int64_t i, double f,
                 const char *bytes, size_t n) {
    zl_node_t *c = zl_node_add_child(parent, k, id);
    if (!GUARD(c)) return;
    c->value.type = t;
    if (t == ZL_T_FLOAT) c->value.u.f = f;
    else if (t == ZL_T_BOOLEAN) c->value.u.b = i != 0;
    else if (t == ZL_T_OBJLNK) c->value.u.lnk.oid = (uint16_t)i, c->value.u.lnk.iid = (uint16_t)(i >> 16);
    else c->value.u.i = i;
    if (bytes) CHECK_EQ_INT(zl_value_set_bytes(&c->value, t, bytes, n), ZL_OK);
}

/* An instance holding one resource of every type and two multiple resources,
 * one repeating instance id 1. */
static void fill_instance(zl_node_t *inst) {
    leaf(inst, ZL_N_RESOURCE, 0, ZL_T_STRING, 0, 0, "Open Mobile Alliance", 20);
    leaf(inst, ZL_N_RESOURCE, 1, ZL_T_OPAQUE, 0, 0, "\x01\x02\xff", 3);
    leaf(inst, ZL_N_RESOURCE, 2, ZL_T_NONE, 0, 0, "raw", 3);
    leaf(inst, ZL_N_RESOURCE, 3, ZL_T_FLOAT, 0, -21.25, NULL, 0);
    leaf(inst, ZL_N_RESOURCE, 4, ZL_T_INTEGER, -1234567890123, 0, NULL, 0);
    leaf(inst, ZL_N_RESOURCE, 5, ZL_T_TIME, INT64_MAX / 10, 0, NULL, 0); /* ms overflow: clamped */
    leaf(inst, ZL_N_RESOURCE, 6, ZL_T_TIME, INT64_MIN / 10, 0, NULL, 0);
    leaf(inst, ZL_N_RESOURCE, 7, ZL_T_BOOLEAN, 1, 0, NULL, 0);
    leaf(inst, ZL_N_RESOURCE, 8, ZL_T_OBJLNK, 3 | (7 << 16), 0, NULL, 0);
    leaf(inst, ZL_N_RESOURCE, 9, ZL_T_STRING, 0, 0, "", 0);
    leaf(inst, ZL_N_RESOURCE, 10, ZL_T_STRING, 0, 0, "q\"uo\\te\n\x01 \xff\xfe bad UTF-8", 22);
    zl_node_t *m = zl_node_add_child(inst, ZL_N_MULTI, 11);
    if (GUARD(m)) {
        leaf(m, ZL_N_RES_INSTANCE, 0, ZL_T_INTEGER, 5, 0, NULL, 0);
        leaf(m, ZL_N_RES_INSTANCE, 1, ZL_T_INTEGER, 6, 0, NULL, 0);
        leaf(m, ZL_N_RES_INSTANCE, 1, ZL_T_INTEGER, 7, 0, NULL, 0); /* the map keeps the last */
        leaf(m, ZL_N_RES_INSTANCE, 65535, ZL_T_INTEGER, 8, 0, NULL, 0);
    }
    m = zl_node_add_child(inst, ZL_N_MULTI, 12); /* no instances */
    GUARD(m);
    leaf(inst, ZL_N_RESOURCE, 13, ZL_T_FLOAT, 0, 1e300, NULL, 0);
    leaf(inst, ZL_N_RESOURCE, 14, ZL_T_FLOAT, 0, 21.55, NULL, 0);
    leaf(inst, ZL_N_RESOURCE, 15, ZL_T_FLOAT, 0, 0.0 / 0.0, NULL, 0); /* NaN: null in JSON */
}

int main(void) {
    char err[128];
    S = zl_serde_new(ZL_FORMAT_AVRO, NULL, err, sizeof err);
    SJ = zl_serde_new(ZL_FORMAT_JSON, NULL, err, sizeof err);
    if (!GUARD(S) || !GUARD(SJ)) TEST_MAIN_END();
    CHECK_EQ_INT(zl_serde_set_topic_ids(S, "o", ZL_VAL_OBSERVE, 1, 70000), ZL_OK);
    CHECK_EQ_INT(zl_serde_set_topic_ids(S, "r", ZL_VAL_RESPONSE, 1, 3), ZL_OK);

    zl_node_t *obj = zl_node_new(ZL_N_OBJECT, 3);
    if (!GUARD(obj)) TEST_MAIN_END();
    zl_node_t *i0 = zl_node_add_child(obj, ZL_N_INSTANCE, 0);
    if (GUARD(i0)) fill_instance(i0);
    GUARD(zl_node_add_child(obj, ZL_N_INSTANCE, 1)); /* an empty instance */
    zl_node_t *empty = zl_node_new(ZL_N_OBJECT, 9);

    zl_rec_response_t r = {.ticket = "t-1", .server_id = "edge1", .ep = "dev-1", .path = "/3",
                           .observation_id = "[0a0b0c]", .timestamp = 1764800000123,
                           .code = ZL_RC_CONTENT, .kind = ZL_RK_OBSERVE, .body = ZL_BODY_READ, .content = obj};
    same(&r, "object, observe");
    r.observation_id = NULL;
    r.kind = ZL_RK_READ;
    same(&r, "object, response");
    r.content = empty;
    same(&r, "empty object");
    r.path = "/3/0";
    r.content = &obj->children[0];
    same(&r, "instance");
    r.content = &obj->children[1];
    same(&r, "empty instance");
    r.path = "/3/0/11";
    r.content = &obj->children[0].children[10];
    same(&r, "multiple resource");
    r.content_path = "/3/0/11-max";
    same(&r, "multiple resource, content path");
    for (size_t i = 0; i < obj->children[0].n_children; i++) {
        r.content = &obj->children[0].children[i];
        r.content_path = i % 2 ? "/x-max" : NULL;
        same(&r, "each resource");
    }
    r.content = obj;
    r.content_path = "/3-max"; /* an object record has no path: both refuse */
    same(&r, "object with content path");
    r.content_path = NULL;
    r.content = NULL;
    same(&r, "read without content");
    r.ticket = NULL;
    static const zl_body_kind_t bodies[] = {ZL_BODY_NONE, ZL_BODY_DISCOVER, ZL_BODY_CREATE, ZL_BODY_GENERIC};
    static const char *const texts[] = {NULL, "", "</3/0>,</3/0/1>"};
    for (size_t i = 0; i < 4; i++)
        for (size_t k = 0; k < 3; k++) {
            r.body = bodies[i];
            r.text = texts[k];
            r.code = (zl_resp_code_t)((i * 3 + k) % ZL_RC__COUNT);
            same(&r, "bodies");
        }
    r.code = ZL_RC__COUNT;
    same(&r, "bad code");
    r.code = ZL_RC_CONTENT;

    /* composite values: a root container of objects */
    zl_node_t *root = zl_node_new(ZL_N_OBJECT, ZL_SENML_ROOT_ID);
    if (GUARD(root)) {
        zl_node_t *o = zl_node_add_child(root, ZL_N_OBJECT, 3);
        zl_node_t *in = o ? zl_node_add_child(o, ZL_N_INSTANCE, 0) : NULL;
        if (GUARD(in)) fill_instance(in);
        r.body = ZL_BODY_NONE;
        r.values = root;
        r.observation_id = "[01]";
        r.path = "/";
        same(&r, "composite");
        r.values = obj; /* not a root container: both refuse */
        same(&r, "composite, no root");
        r.values = NULL;
    }
    zl_node_free(root);
    zl_node_free(obj);
    zl_node_free(empty);
    zl_serde_destroy(S);
    zl_serde_destroy(SJ);
    TEST_MAIN_END();
}
