/* SPDX-License-Identifier: Apache-2.0 */
/* SenML JSON (110) and SenML CBOR (112) codecs: LwM2M 1.1 §7.4.5 example
 * payloads decoded to typed values, hand-built CBOR byte arrays, encoder
 * output checked byte-exact, encode->decode round trips and every rejection
 * the decoders promise (with the errstr naming the record). */
#include <stdlib.h>
#include <string.h>

#include "lwm2m/content.h"
#include "lwm2m/senml.h"
#include "test.h"
#include "lwm2m_test.h"
#include "common/buf.h"

static char err[256];

static zl_err_t jdec(const char *json, const char *path, zl_node_t **out) {
    zl_path_t p = zt_path(path);
    return zl_senml_json_decode((const uint8_t *)json, strlen(json), &p, NULL, out, err, sizeof err);
}

static zl_err_t cdec(const uint8_t *b, size_t n, const char *path, zl_node_t **out) {
    zl_path_t p = zt_path(path);
    return zl_senml_cbor_decode(b, n, &p, NULL, out, err, sizeof err);
}

/* Structural and value equality of two trees. */
static bool same_tree(const zl_node_t *a, const zl_node_t *b) {
    if (a->kind != b->kind || a->id != b->id || a->n_children != b->n_children) return false;
    if (a->kind == ZL_N_RESOURCE || a->kind == ZL_N_RES_INSTANCE) {
        const zl_value_t *x = &a->value, *y = &b->value;
        if (x->type != y->type) return false;
        switch (x->type) {
        case ZL_T_INTEGER:
        case ZL_T_TIME: if (x->u.i != y->u.i) return false; break;
        case ZL_T_FLOAT: if (x->u.f != y->u.f) return false; break;
        case ZL_T_BOOLEAN: if (x->u.b != y->u.b) return false; break;
        case ZL_T_OBJLNK:
            if (x->u.lnk.oid != y->u.lnk.oid || x->u.lnk.iid != y->u.lnk.iid) return false;
            break;
        default:
            if (x->len != y->len || (x->len && memcmp(x->bytes, y->bytes, x->len))) return false;
        }
    }
    for (size_t i = 0; i < a->n_children; i++)
        if (!same_tree(&a->children[i], &b->children[i])) return false;
    return true;
}

static void check_str(const zl_node_t *n, zl_node_kind_t kind, uint16_t id, const char *s) {
    CHECK(n != NULL);
    if (!n) return;
    CHECK_EQ_INT(n->kind, kind);
    CHECK_EQ_INT(n->id, id);
    CHECK_EQ_INT(n->value.type, ZL_T_STRING);
    CHECK_EQ_INT(n->value.len, strlen(s));
    CHECK_STR((const char *)n->value.bytes, s);
}

static void check_int(const zl_node_t *n, zl_node_kind_t kind, uint16_t id, zl_type_t t, int64_t v) {
    CHECK(n != NULL);
    if (!n) return;
    CHECK_EQ_INT(n->kind, kind);
    CHECK_EQ_INT(n->id, id);
    CHECK_EQ_INT(n->value.type, t);
    CHECK_EQ_INT(n->value.u.i, v);
}

/* A multiple resource with integer instances {ri0: v0, ri1: v1}. */
static void check_multi2(const zl_node_t *m, uint16_t id, int64_t v0, int64_t v1) {
    CHECK(m != NULL);
    if (!m) return;
    CHECK_EQ_INT(m->kind, ZL_N_MULTI);
    CHECK_EQ_INT(m->id, id);
    CHECK_EQ_INT(m->n_children, 2);
    if (m->n_children != 2) return;
    check_int(&m->children[0], ZL_N_RES_INSTANCE, 0, ZL_T_INTEGER, v0);
    check_int(&m->children[1], ZL_N_RES_INSTANCE, 1, ZL_T_INTEGER, v1);
}

/* LwM2M 1.1 §7.4.5: Read /3/0 (Device) in SenML JSON. */
static const char device_json[] =
    "[{\"bn\":\"/3/0/\",\"n\":\"0\",\"vs\":\"Open Mobile Alliance\"},"
    "{\"n\":\"1\",\"vs\":\"Lightweight M2M Client\"},"
    "{\"n\":\"2\",\"vs\":\"345000123\"},"
    "{\"n\":\"3\",\"vs\":\"1.0\"},"
    "{\"n\":\"6/0\",\"v\":1},"
    "{\"n\":\"6/1\",\"v\":5},"
    "{\"n\":\"7/0\",\"v\":3800},"
    "{\"n\":\"7/1\",\"v\":5000},"
    "{\"n\":\"8/0\",\"v\":125},"
    "{\"n\":\"8/1\",\"v\":900},"
    "{\"n\":\"9\",\"v\":100},"
    "{\"n\":\"10\",\"v\":15},"
    "{\"n\":\"11/0\",\"v\":0},"
    "{\"n\":\"13\",\"v\":1367491215},"
    "{\"n\":\"14\",\"vs\":\"+02:00\"},"
    "{\"n\":\"16\",\"vs\":\"U\"}]";

static void check_device(const zl_node_t *inst) {
    CHECK_EQ_INT(inst->kind, ZL_N_INSTANCE);
    CHECK_EQ_INT(inst->id, 0);
    CHECK_EQ_INT(inst->n_children, 13);
    check_str(zl_node_child(inst, 0), ZL_N_RESOURCE, 0, "Open Mobile Alliance");
    check_str(zl_node_child(inst, 1), ZL_N_RESOURCE, 1, "Lightweight M2M Client");
    check_str(zl_node_child(inst, 2), ZL_N_RESOURCE, 2, "345000123");
    check_str(zl_node_child(inst, 3), ZL_N_RESOURCE, 3, "1.0");
    check_multi2(zl_node_child(inst, 6), 6, 1, 5);
    check_multi2(zl_node_child(inst, 7), 7, 3800, 5000);
    check_multi2(zl_node_child(inst, 8), 8, 125, 900);
    check_int(zl_node_child(inst, 9), ZL_N_RESOURCE, 9, ZL_T_INTEGER, 100);
    check_int(zl_node_child(inst, 10), ZL_N_RESOURCE, 10, ZL_T_INTEGER, 15);
    const zl_node_t *ec = zl_node_child(inst, 11);
    CHECK(ec && ec->kind == ZL_N_MULTI && ec->n_children == 1);
    if (ec && ec->n_children == 1) check_int(&ec->children[0], ZL_N_RES_INSTANCE, 0, ZL_T_INTEGER, 0);
    check_int(zl_node_child(inst, 13), ZL_N_RESOURCE, 13, ZL_T_TIME, 1367491215);
    check_str(zl_node_child(inst, 14), ZL_N_RESOURCE, 14, "+02:00");
    check_str(zl_node_child(inst, 16), ZL_N_RESOURCE, 16, "U");
    /* children come out sorted by id */
    for (size_t i = 1; i < inst->n_children; i++) CHECK(inst->children[i - 1].id < inst->children[i].id);
}

static void test_json_device(void) {
    zl_node_t *n = NULL;
    CHECK_EQ_INT(jdec(device_json, "/3/0", &n), ZL_OK);
    if (GUARD(n)) check_device(n);

    /* re-encode: one record per leaf, bn on the first, relative names */
    zl_buf_t b;
    zl_buf_init(&b, 0);
    zl_path_t p = zt_path("/3/0");
    CHECK_EQ_INT(zl_senml_json_encode(n, &p, &b), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), device_json);
    zl_node_t *n2 = NULL;
    CHECK_EQ_INT(zl_senml_json_decode(b.data, b.len, &p, NULL, &n2, err, sizeof err), ZL_OK);
    CHECK(n2 && same_tree(n, n2));
    zl_node_free(n2);
    zl_buf_free(&b);
    zl_node_free(n);

    /* the same records read on the object path */
    CHECK_EQ_INT(jdec(device_json, "/3", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_OBJECT && n->id == 3 && n->n_children == 1);
    if (n && n->n_children == 1) check_device(&n->children[0]);
    zl_buf_init(&b, 0);
    p = zt_path("/3");
    CHECK_EQ_INT(zl_senml_json_encode(n, &p, &b), ZL_OK);
    static const char obj_prefix[] =
        "[{\"bn\":\"/3/\",\"n\":\"0/0\",\"vs\":\"Open Mobile Alliance\"},{\"n\":\"0/1\",";
    CHECK(strncmp(zl_buf_cstr(&b), obj_prefix, strlen(obj_prefix)) == 0);
    zl_buf_free(&b);
    zl_node_free(n);
}

static void test_json_single_and_multi(void) {
    zl_node_t *n = NULL;
    /* single resource, full name in n (what the encoder writes) */
    CHECK_EQ_INT(jdec("[{\"n\":\"/3/0/0\",\"vs\":\"Open Mobile Alliance\"}]", "/3/0/0", &n), ZL_OK);
    check_str(n, ZL_N_RESOURCE, 0, "Open Mobile Alliance");
    zl_buf_t b;
    zl_buf_init(&b, 0);
    zl_path_t p = zt_path("/3/0/0");
    CHECK_EQ_INT(zl_senml_json_encode(n, &p, &b), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), "[{\"n\":\"/3/0/0\",\"vs\":\"Open Mobile Alliance\"}]");
    zl_buf_free(&b);
    zl_node_free(n);
    /* single resource, full name in bn and no n */
    CHECK_EQ_INT(jdec("[{\"bn\":\"/3/0/9\",\"v\":95}]", "/3/0/9", &n), ZL_OK);
    check_int(n, ZL_N_RESOURCE, 9, ZL_T_INTEGER, 95);
    zl_node_free(n);
    /* IPSO temperature: a float, with bt/t timestamps (ignored) */
    CHECK_EQ_INT(jdec("[{\"bn\":\"/3303/0/5700\",\"bt\":1.6e9,\"t\":-5,\"v\":24.1}]", "/3303/0/5700", &n),
                 ZL_OK);
    CHECK(n && n->kind == ZL_N_RESOURCE && n->value.type == ZL_T_FLOAT && n->value.u.f == 24.1);
    zl_node_free(n);

    /* multi-instance resource: Read /3/0/7 */
    const char *mj = "[{\"bn\":\"/3/0/7/\",\"n\":\"0\",\"v\":3800},{\"n\":\"1\",\"v\":5000}]";
    CHECK_EQ_INT(jdec(mj, "/3/0/7", &n), ZL_OK);
    check_multi2(n, 7, 3800, 5000);
    zl_buf_init(&b, 0);
    p = zt_path("/3/0/7");
    CHECK_EQ_INT(zl_senml_json_encode(n, &p, &b), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), mj);
    zl_buf_free(&b);
    zl_node_free(n);
    /* a multiple resource with no instances is an empty array both ways */
    CHECK_EQ_INT(jdec("[]", "/3/0/11", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_MULTI && n->n_children == 0);
    zl_buf_init(&b, 0);
    p = zt_path("/3/0/11");
    CHECK_EQ_INT(zl_senml_json_encode(n, &p, &b), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), "[]");
    zl_buf_free(&b);
    zl_node_free(n);
    /* one resource instance */
    CHECK_EQ_INT(jdec("[{\"n\":\"/3/0/7/1\",\"v\":5000}]", "/3/0/7/1", &n), ZL_OK);
    check_int(n, ZL_N_RES_INSTANCE, 1, ZL_T_INTEGER, 5000);
    zl_node_free(n);
    /* unknown resource: names with a 4th level make it MULTI */
    CHECK_EQ_INT(jdec("[{\"bn\":\"/9999/1/2/\",\"n\":\"3\",\"vs\":\"x\"}]", "/9999/1/2", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_MULTI && n->n_children == 1 && n->children[0].id == 3);
    zl_node_free(n);
    CHECK_EQ_INT(jdec("[{\"n\":\"/9999/1/2\",\"vs\":\"x\"}]", "/9999/1/2", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_RESOURCE && n->value.type == ZL_T_STRING);
    zl_node_free(n);
}

static void test_json_types(void) {
    zl_node_t *n = NULL;
    /* integer model: integral reals become INTEGER, others are rejected (like every other codec) */
    CHECK_EQ_INT(jdec("[{\"n\":\"/3/0/9\",\"v\":3800.0}]", "/3/0/9", &n), ZL_OK);
    check_int(n, ZL_N_RESOURCE, 9, ZL_T_INTEGER, 3800);
    zl_node_free(n);
    n = NULL;
    CHECK_EQ_INT(jdec("[{\"n\":\"/3/0/9\",\"v\":3.5}]", "/3/0/9", &n), ZL_ERR_INVALID);
    CHECK(n == NULL);
    CHECK_EQ_INT(jdec("[{\"n\":\"/3/0/13\",\"v\":1700000000.5}]", "/3/0/13", &n), ZL_ERR_INVALID);
    /* float model keeps integers as FLOAT */
    CHECK_EQ_INT(jdec("[{\"n\":\"/3303/0/5700\",\"v\":21}]", "/3303/0/5700", &n), ZL_OK);
    CHECK(n && n->value.type == ZL_T_FLOAT && n->value.u.f == 21.0);
    zl_node_free(n);
    /* unknown model: by value */
    CHECK_EQ_INT(jdec("[{\"bn\":\"/9999/0/\",\"n\":\"1\",\"v\":-7},{\"n\":\"2\",\"v\":0.25},"
                      "{\"n\":\"3\",\"vb\":false},{\"n\":\"4\",\"vd\":\"AQI\"},{\"n\":\"5\",\"vlo\":\"3:0\"},"
                      "{\"n\":\"6\",\"vs\":\"a\\u0000b\"},{\"n\":\"7\",\"v\":9223372036854775807}]",
                      "/9999/0", &n),
                 ZL_OK);
    CHECK(n && n->n_children == 7);
    if (n && n->n_children == 7) {
        check_int(&n->children[0], ZL_N_RESOURCE, 1, ZL_T_INTEGER, -7);
        CHECK(n->children[1].value.type == ZL_T_FLOAT && n->children[1].value.u.f == 0.25);
        CHECK(n->children[2].value.type == ZL_T_BOOLEAN && !n->children[2].value.u.b);
        CHECK(n->children[3].value.type == ZL_T_OPAQUE && n->children[3].value.len == 2);
        CHECK_MEM(n->children[3].value.bytes, "\x01\x02", 2);
        CHECK(n->children[4].value.type == ZL_T_OBJLNK && n->children[4].value.u.lnk.oid == 3 &&
              n->children[4].value.u.lnk.iid == 0);
        CHECK(n->children[5].value.type == ZL_T_STRING && n->children[5].value.len == 3);
        CHECK_MEM(n->children[5].value.bytes, "a\0b", 3);
        check_int(&n->children[6], ZL_N_RESOURCE, 7, ZL_T_INTEGER, INT64_MAX);
    }
    zl_node_free(n);
    /* opaque model (Firmware Package): vd is base64url, encoder writes it unpadded */
    CHECK_EQ_INT(jdec("[{\"n\":\"/5/0/0\",\"vd\":\"-_8\"}]", "/5/0/0", &n), ZL_OK);
    CHECK(n && n->value.type == ZL_T_OPAQUE && n->value.len == 2);
    if (n) CHECK_MEM(n->value.bytes, "\xfb\xff", 2);
    zl_buf_t b;
    zl_buf_init(&b, 0);
    zl_path_t p = zt_path("/5/0/0");
    CHECK_EQ_INT(zl_senml_json_encode(n, &p, &b), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), "[{\"n\":\"/5/0/0\",\"vd\":\"-_8\"}]");
    zl_buf_free(&b);
    zl_node_free(n);
    /* standard alphabet with padding is accepted too */
    CHECK_EQ_INT(jdec("[{\"n\":\"/5/0/0\",\"vd\":\"+/8=\"}]", "/5/0/0", &n), ZL_OK);
    if (GUARD(n)) CHECK_MEM(n->value.bytes, "\xfb\xff", 2);
    zl_node_free(n);
    /* objlnk model (ExtDevInfo, multiple) and boolean model (Server 6) */
    CHECK_EQ_INT(jdec("[{\"n\":\"/3/0/22/0\",\"vlo\":\"65535:65535\"}]", "/3/0/22/0", &n), ZL_OK);
    CHECK(n && n->value.type == ZL_T_OBJLNK && n->value.u.lnk.oid == 65535 && n->value.u.lnk.iid == 65535);
    zl_node_free(n);
    CHECK_EQ_INT(jdec("[{\"n\":\"/1/0/6\",\"vb\":true}]", "/1/0/6", &n), ZL_OK);
    CHECK(n && n->value.type == ZL_T_BOOLEAN && n->value.u.b);
    zl_node_free(n);
    /* bv is added to v and is sticky */
    CHECK_EQ_INT(jdec("[{\"bn\":\"/3/0/\",\"bv\":100,\"n\":\"9\",\"v\":-1},{\"n\":\"10\",\"v\":2}]", "/3/0", &n),
                 ZL_OK);
    if (GUARD(n && n->n_children == 2)) {
        check_int(&n->children[0], ZL_N_RESOURCE, 9, ZL_T_INTEGER, 99);
        check_int(&n->children[1], ZL_N_RESOURCE, 10, ZL_T_INTEGER, 102);
    }
    zl_node_free(n);
    /* bn changes mid-payload; records come back sorted */
    CHECK_EQ_INT(jdec("[{\"bn\":\"/3/0/\",\"n\":\"9\",\"v\":1},{\"bn\":\"/3/\",\"n\":\"0/1\",\"vs\":\"m\"},"
                      "{\"n\":\"0/0\",\"vs\":\"a\",\"u\":\"x\",\"ext\":[1]}]",
                      "/3", &n),
                 ZL_OK);
    CHECK(n && n->n_children == 1 && n->children[0].n_children == 3);
    if (n && n->n_children == 1 && n->children[0].n_children == 3) {
        CHECK_EQ_INT(n->children[0].children[0].id, 0);
        CHECK_EQ_INT(n->children[0].children[1].id, 1);
        CHECK_EQ_INT(n->children[0].children[2].id, 9);
    }
    zl_node_free(n);
}

static void test_json_float_encoding(void) {
    zl_node_t *n = zl_node_new(ZL_N_RESOURCE, 5700);
    n->value.type = ZL_T_FLOAT;
    n->value.u.f = 0.1;
    zl_path_t p = zt_path("/3303/0/5700");
    zl_buf_t b;
    zl_buf_init(&b, 0);
    CHECK_EQ_INT(zl_senml_json_encode(n, &p, &b), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), "[{\"n\":\"/3303/0/5700\",\"v\":0.1}]");
    zl_buf_reset(&b);
    n->value.u.f = 2.0;
    CHECK_EQ_INT(zl_senml_json_encode(n, &p, &b), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), "[{\"n\":\"/3303/0/5700\",\"v\":2.0}]");
    zl_buf_reset(&b);
    n->value.u.f = 1.0 / 3.0;
    CHECK_EQ_INT(zl_senml_json_encode(n, &p, &b), ZL_OK);
    zl_node_t *n2 = NULL;
    CHECK_EQ_INT(zl_senml_json_decode(b.data, b.len, &p, NULL, &n2, err, sizeof err), ZL_OK);
    CHECK(n2 && n2->value.u.f == 1.0 / 3.0);
    zl_node_free(n2);
    /* non-finite floats and mismatched node/path are refused, out untouched */
    zl_buf_reset(&b);
    zl_buf_append(&b, "xy", 2);
    n->value.u.f = 1.0 / 0.0;
    CHECK_EQ_INT(zl_senml_json_encode(n, &p, &b), ZL_ERR_INVALID);
    CHECK_EQ_INT(b.len, 2);
    n->value.u.f = 1;
    zl_path_t wrong = zt_path("/3303/0/5701");
    CHECK_EQ_INT(zl_senml_json_encode(n, &wrong, &b), ZL_ERR_INVALID);
    zl_path_t inst = zt_path("/3303/0");
    CHECK_EQ_INT(zl_senml_json_encode(n, &inst, &b), ZL_ERR_INVALID);
    /* invalid UTF-8 strings cannot be written as JSON */
    zl_value_set_bytes(&n->value, ZL_T_STRING, "\xff", 1);
    CHECK_EQ_INT(zl_senml_json_encode(n, &p, &b), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_senml_cbor_encode(n, &p, &b), ZL_ERR_INVALID);
    CHECK_EQ_INT(b.len, 2);
    zl_buf_free(&b);
    zl_node_free(n);
}

/* Expects rejection with code e and (when given) errstr containing want. */
static void jbad(const char *json, const char *path, zl_err_t e, const char *want) {
    zt_expect_decode_err(zl_senml_json_decode, json, strlen(json), path, e, want);
}

static void test_json_errors(void) {
    jbad("{\"n\":\"/3/0/0\",\"vs\":\"x\"}", "/3/0/0", ZL_ERR_INVALID, "not an array");
    jbad("[1]", "/3/0", ZL_ERR_INVALID, "record 0 is not an object");
    jbad("[{\"n\":\"/3/0/0\",\"vs\":\"x\"},[]]", "/3/0", ZL_ERR_INVALID, "record 1 is not an object");
    jbad("[{\"n\":\"/3/0/0\",\"vs\":\"x\"", "/3/0", ZL_ERR_INVALID, "SenML JSON:");
    jbad("", "/3/0", ZL_ERR_INVALID, NULL);
    jbad("[{\"n\":\"/3/0/0\",\"vs\":\"x\",\"vs\":\"y\"}]", "/3/0", ZL_ERR_INVALID, "duplicate");
    /* duplicate paths, also when spelled differently */
    jbad("[{\"bn\":\"/3/0/\",\"n\":\"1\",\"vs\":\"x\"},{\"n\":\"0\",\"vs\":\"x\"},{\"bn\":\"/3/\",\"n\":\"0/1\",\"vs\":\"y\"}]",
         "/3/0", ZL_ERR_INVALID, "records 0 and 2 both name \"/3/0/1\"");
    /* names that are not LwM2M paths */
    jbad("[{\"n\":\"/3/0/x\",\"vs\":\"x\"}]", "/3/0", ZL_ERR_INVALID, "record 0: name \"/3/0/x\" is not a LwM2M path");
    jbad("[{\"n\":\"/3/0/70000\",\"v\":1}]", "/3/0", ZL_ERR_INVALID, "not a LwM2M path");
    jbad("[{\"n\":\"/3/0/0/\",\"vs\":\"x\"}]", "/3/0", ZL_ERR_INVALID, "not a LwM2M path");
    jbad("[{\"n\":\"/3/0/0/1/2\",\"vs\":\"x\"}]", "/3/0", ZL_ERR_INVALID, "not a LwM2M path");
    jbad("[{\"n\":\"/3/0/0\\u0000\",\"vs\":\"x\"}]", "/3/0", ZL_ERR_INVALID, "not a LwM2M path");
    jbad("[{\"n\":\"/3/0\",\"v\":1}]", "/3", ZL_ERR_INVALID, "not a resource or resource instance path");
    jbad("[{\"vs\":\"x\"}]", "/3/0", ZL_ERR_INVALID, "record 0 has no name");
    /* records outside the requested path */
    jbad("[{\"n\":\"/3/0/0\",\"vs\":\"x\"},{\"n\":\"/3/1/0\",\"vs\":\"x\"}]", "/3/0", ZL_ERR_INVALID,
         "record 1 (\"/3/1/0\") is not under the requested path /3/0");
    jbad("[{\"n\":\"/4/0/0\",\"v\":1}]", "/3", ZL_ERR_INVALID, "not under");
    jbad("[{\"n\":\"/3/0/1\",\"vs\":\"x\"}]", "/3/0/0", ZL_ERR_INVALID, "not under");
    /* values: missing, several, wrong JSON type, wrong kind for the model */
    jbad("[{\"n\":\"/3/0/0\"}]", "/3/0", ZL_ERR_INVALID, "record 0 (\"/3/0/0\") has no value");
    jbad("[{\"n\":\"/3/0/0\",\"vs\":\"x\",\"v\":1}]", "/3/0", ZL_ERR_INVALID, "has 2 values");
    jbad("[{\"n\":\"/3/0/9\",\"v\":\"12\"}]", "/3/0", ZL_ERR_INVALID, "\"v\" is not a number");
    jbad("[{\"n\":\"/3/0/9\",\"vb\":1}]", "/3/0", ZL_ERR_INVALID, "\"vb\" is not a boolean");
    jbad("[{\"n\":\"/3/0/0\",\"vs\":5}]", "/3/0", ZL_ERR_INVALID, "\"vs\" is not a string");
    jbad("[{\"bn\":7,\"n\":\"/3/0/0\",\"vs\":\"x\"}]", "/3/0", ZL_ERR_INVALID, "\"bn\" is not a string");
    jbad("[{\"n\":\"/3/0/0\",\"t\":\"now\",\"vs\":\"x\"}]", "/3/0", ZL_ERR_INVALID, "\"t\" is not a number");
    jbad("[{\"n\":\"/3/0/9\",\"vs\":\"12\"}]", "/3/0", ZL_ERR_INVALID, "vs value for a INTEGER resource");
    jbad("[{\"n\":\"/3/0/0\",\"v\":12}]", "/3/0", ZL_ERR_INVALID, "v value for a STRING resource");
    jbad("[{\"n\":\"/5/0/0\",\"vs\":\"AQI\"}]", "/5/0/0", ZL_ERR_INVALID, "vs value for a OPAQUE resource");
    jbad("[{\"n\":\"/1/0/6\",\"v\":1}]", "/1/0/6", ZL_ERR_INVALID, "v value for a BOOLEAN resource");
    jbad("[{\"n\":\"/5/0/0\",\"vd\":\"A\"}]", "/5/0/0", ZL_ERR_INVALID, "vd is not base64url");
    jbad("[{\"n\":\"/5/0/0\",\"vd\":\"A*==\"}]", "/5/0/0", ZL_ERR_INVALID, "vd is not base64url");
    jbad("[{\"n\":\"/3/0/22/0\",\"vlo\":\"3\"}]", "/3/0", ZL_ERR_INVALID, "vlo \"3\" is not");
    jbad("[{\"n\":\"/3/0/22/0\",\"vlo\":\"3:65536\"}]", "/3/0", ZL_ERR_INVALID, "vlo");
    jbad("[{\"n\":\"/3/0/9\",\"v\":1e999}]", "/3/0", ZL_ERR_INVALID, NULL);
    jbad("[{\"n\":\"/3/0/9\",\"v\":1e308,\"bv\":1e308}]", "/3/0", ZL_ERR_INVALID, "not a finite number");
    /* model multiplicity */
    jbad("[{\"n\":\"/3/0/7\",\"v\":1}]", "/3/0", ZL_ERR_INVALID, "multiple resource needs a resource instance id");
    jbad("[{\"n\":\"/3/0/9/0\",\"v\":1}]", "/3/0", ZL_ERR_INVALID, "single-instance resource");
    jbad("[{\"n\":\"/9999/0/1/0\",\"v\":1},{\"n\":\"/9999/0/1\",\"v\":1}]", "/9999/0", ZL_ERR_INVALID,
         "record 0 (\"/9999/0/1/0\"): resource 1 is named both");
    /* empty payload for a single resource or resource instance */
    jbad("[]", "/3/0/0", ZL_ERR_INVALID, "no SenML record for single resource /3/0/0");
    jbad("[]", "/3/0/7/0", ZL_ERR_INVALID, "no SenML record");
    /* RFC 8428 must-understand fields and versions */
    jbad("[{\"n\":\"/3/0/0\",\"vs\":\"x\",\"foo_\":1}]", "/3/0", ZL_ERR_INVALID, "must-understand field \"foo_\"");
    jbad("[{\"bver\":11,\"n\":\"/3/0/0\",\"vs\":\"x\"}]", "/3/0", ZL_ERR_UNSUPPORTED, "version 11");
    /* the root path (LwM2M Send): a container of the objects named */
    zl_path_t root = {{0}, 0};
    zl_node_t *n = NULL;
    static const char send[] = "[{\"bn\":\"/3303/1/\",\"n\":\"5700\",\"v\":2.5},{\"bn\":\"/\",\"n\":\"3/0/0\","
                               "\"vs\":\"x\"},{\"n\":\"3303/0/5700\",\"v\":1.5}]";
    CHECK_EQ_INT(zl_senml_json_decode((const uint8_t *)send, sizeof send - 1, &root, NULL, &n, err, sizeof err), ZL_OK);
    CHECK(n && n->kind == ZL_N_OBJECT && n->id == ZL_SENML_ROOT_ID && n->n_children == 2);
    if (n && n->n_children == 2) {
        CHECK(n->children[0].id == 3 && n->children[0].kind == ZL_N_OBJECT);
        CHECK(n->children[1].id == 3303 && n->children[1].n_children == 2);
        CHECK(n->children[1].children[1].id == 1 && n->children[1].children[1].children[0].value.u.f == 2.5);
    }
    zl_node_free(n);
    n = NULL;
    CHECK_EQ_INT(zl_senml_cbor_decode((const uint8_t *)"\x80", 1, &root, NULL, &n, err, sizeof err), ZL_OK);
    CHECK(n && n->n_children == 0);
    zl_node_free(n);
    n = NULL;
    CHECK_EQ_INT(zl_senml_json_decode(NULL, 0, &root, NULL, &n, NULL, 0), ZL_ERR_INVALID);

    /* more than 10000 records */
    zl_buf_t b;
    zl_buf_init(&b, 0);
    zl_buf_putc(&b, '[');
    for (int i = 0; i <= ZL_SENML_MAX_RECORDS; i++)
        zl_buf_printf(&b, "%s{\"n\":\"/9999/0/%d\",\"v\":1}", i ? "," : "", i);
    zl_buf_putc(&b, ']');
    jbad(zl_buf_cstr(&b), "/9999/0", ZL_ERR_TOO_LARGE, "10001 SenML records");
    /* exactly 10000 is fine */
    b.len = 0;
    zl_buf_putc(&b, '[');
    for (int i = 0; i < ZL_SENML_MAX_RECORDS; i++)
        zl_buf_printf(&b, "%s{\"n\":\"/9999/%d/%d\",\"v\":1}", i ? "," : "", i % 7, i);
    zl_buf_putc(&b, ']');
    CHECK_EQ_INT(jdec(zl_buf_cstr(&b), "/9999", &n), ZL_OK);
    CHECK(n && n->n_children == 7 && zt_count_nodes(n) == 1 + 7 + ZL_SENML_MAX_RECORDS);
    zl_node_free(n);
    zl_buf_free(&b);
}

/* ---- CBOR ---- */

/* [{0: "/3303/0/5700", 2: 24.5 (float32)}] */
static const uint8_t cb_temp[] = {
    0x81, 0xA2, 0x00, 0x6C, '/', '3', '3', '0', '3', '/', '0', '/', '5', '7', '0', '0',
    0x02, 0xFA, 0x41, 0xC4, 0x00, 0x00,
};

/* Read /3/0/7: [{-2: "/3/0/7/", 0: "0", 2: 3800}, {0: "1", 2: 5000}] */
static const uint8_t cb_multi[] = {
    0x82,
    0xA3, 0x21, 0x67, '/', '3', '/', '0', '/', '7', '/', 0x00, 0x61, '0', 0x02, 0x19, 0x0E, 0xD8,
    0xA2, 0x00, 0x61, '1', 0x02, 0x19, 0x13, 0x88,
};

/* Read /1/0: lifetime 86400, notification storing true, APN link 11:0 ("vlo"),
 * binding "U" with a timestamp t (6) and an unknown label 23. */
static const uint8_t cb_server[] = {
    0x84,
    0xA3, 0x21, 0x65, '/', '1', '/', '0', '/', 0x00, 0x61, '1', 0x02, 0x1A, 0x00, 0x01, 0x51, 0x80,
    0xA2, 0x00, 0x61, '6', 0x04, 0xF5,
    0xA2, 0x00, 0x62, '1', '0', 0x63, 'v', 'l', 'o', 0x64, '1', '1', ':', '0',
    0xA4, 0x00, 0x61, '7', 0x03, 0x61, 'U', 0x06, 0x3A, 0x00, 0x01, 0x86, 0x9F, 0x17, 0xF6,
};

/* Firmware Package (opaque) as a byte string, inside indefinite containers:
 * [_ {_ 0: (_ "/5/0", "/0"), 8: h'0102'}] */
static const uint8_t cb_indef[] = {
    0x9F, 0xBF, 0x00, 0x7F, 0x64, '/', '5', '/', '0', 0x62, '/', '0', 0xFF,
    0x08, 0x42, 0x01, 0x02, 0xFF, 0xFF,
};

static void test_cbor_decode(void) {
    zl_node_t *n = NULL;
    CHECK_EQ_INT(cdec(cb_temp, sizeof cb_temp, "/3303/0/5700", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_RESOURCE && n->id == 5700 && n->value.type == ZL_T_FLOAT &&
          n->value.u.f == 24.5);
    zl_buf_t b;
    zl_buf_init(&b, 0);
    zl_path_t p = zt_path("/3303/0/5700");
    CHECK_EQ_INT(zl_senml_cbor_encode(n, &p, &b), ZL_OK);
    CHECK_EQ_INT(b.len, sizeof cb_temp);
    if (b.len == sizeof cb_temp) CHECK_MEM(b.data, cb_temp, sizeof cb_temp);
    zl_buf_free(&b);
    zl_node_free(n);

    CHECK_EQ_INT(cdec(cb_multi, sizeof cb_multi, "/3/0/7", &n), ZL_OK);
    check_multi2(n, 7, 3800, 5000);
    zl_buf_init(&b, 0);
    p = zt_path("/3/0/7");
    CHECK_EQ_INT(zl_senml_cbor_encode(n, &p, &b), ZL_OK);
    CHECK_EQ_INT(b.len, sizeof cb_multi);
    if (b.len == sizeof cb_multi) CHECK_MEM(b.data, cb_multi, sizeof cb_multi);
    zl_buf_free(&b);
    zl_node_free(n);

    CHECK_EQ_INT(cdec(cb_server, sizeof cb_server, "/1/0", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_INSTANCE && n->n_children == 4);
    if (n && n->n_children == 4) {
        check_int(&n->children[0], ZL_N_RESOURCE, 1, ZL_T_INTEGER, 86400);
        CHECK(n->children[1].id == 6 && n->children[1].value.type == ZL_T_BOOLEAN && n->children[1].value.u.b);
        check_str(&n->children[2], ZL_N_RESOURCE, 7, "U");
        CHECK(n->children[3].id == 10 && n->children[3].value.type == ZL_T_OBJLNK &&
              n->children[3].value.u.lnk.oid == 11 && n->children[3].value.u.lnk.iid == 0);
    }
    zl_node_free(n);

    CHECK_EQ_INT(cdec(cb_indef, sizeof cb_indef, "/5", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_OBJECT && n->n_children == 1 && n->children[0].n_children == 1);
    if (n && n->n_children == 1 && n->children[0].n_children == 1) {
        const zl_value_t *v = &n->children[0].children[0].value;
        CHECK(v->type == ZL_T_OPAQUE && v->len == 2);
        CHECK_MEM(v->bytes, "\x01\x02", 2);
    }
    zl_node_free(n);

    /* negative integers, float16, float64, uint64 beyond int64 (unknown model) */
    static const uint8_t nums[] = {
        0x84,
        0xA2, 0x00, 0x69, '/', '9', '/', '0', '/', '1', '/', '0', '0', 0x02, 0x3B, 0x7F, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF,                                     /* INT64_MIN */
        0xA2, 0x00, 0x68, '/', '9', '/', '0', '/', '1', '/', '1', 0x02, 0xF9, 0x3E, 0x00, /* 1.5 */
        0xA2, 0x00, 0x68, '/', '9', '/', '0', '/', '1', '/', '2', 0x02, 0xFB, 0x3F, 0xB9, 0x99, 0x99, 0x99,
        0x99, 0x99, 0x9A,                                           /* 0.1 */
        0xA2, 0x00, 0x68, '/', '9', '/', '0', '/', '1', '/', '3', 0x02, 0x1B, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF,                                     /* 2^64-1 */
    };
    CHECK_EQ_INT(cdec(nums, sizeof nums, "/9/0/1", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_MULTI && n->n_children == 4);
    if (n && n->n_children == 4) {
        check_int(&n->children[0], ZL_N_RES_INSTANCE, 0, ZL_T_INTEGER, INT64_MIN);
        CHECK(n->children[1].value.type == ZL_T_FLOAT && n->children[1].value.u.f == 1.5);
        CHECK(n->children[2].value.type == ZL_T_FLOAT && n->children[2].value.u.f == 0.1);
        CHECK(n->children[3].value.type == ZL_T_FLOAT && n->children[3].value.u.f == 18446744073709551615.0);
    }
    zl_node_free(n);
}

static void cbad(const uint8_t *b, size_t len, const char *path, zl_err_t e, const char *want) {
    zt_expect_decode_err(zl_senml_cbor_decode, b, len, path, e, want);
}

#define CBAD(path, e, want, ...) do { static const uint8_t _b[] = {__VA_ARGS__}; \
    cbad(_b, sizeof _b, path, e, want); } while (0)

static void test_cbor_errors(void) {
    cbad(NULL, 0, "/3/0", ZL_ERR_INVALID, "empty");
    CBAD("/3/0", ZL_ERR_INVALID, "not an array", 0xA0);
    CBAD("/3/0", ZL_ERR_INVALID, "record 0 is not a map", 0x81, 0x01);
    CBAD("/3/0", ZL_ERR_TRUNCATED, NULL, 0x82, 0xA0);
    CBAD("/3/0", ZL_ERR_TRUNCATED, "truncated", 0x81, 0xA1, 0x00, 0x65, '/', '3');
    CBAD("/3/0", ZL_ERR_TRUNCATED, "claims", 0x81, 0xBB, 0x10, 0, 0, 0, 0, 0, 0, 0);
    CBAD("/3/0", ZL_ERR_TOO_LARGE, "SenML records", 0x9B, 0x10, 0, 0, 0, 0, 0, 0, 0);
    CBAD("/3/0", ZL_ERR_INVALID, "tag", 0x81, 0xC1, 0xA0);
    CBAD("/3/0", ZL_ERR_INVALID, "trailing", 0x80, 0x00);
    CBAD("/3/0", ZL_ERR_INVALID, "break", 0x81, 0xFF);
    CBAD("/3/0", ZL_ERR_INVALID, "key without a value", 0x81, 0xBF, 0x00, 0xFF);
    CBAD("/3/0", ZL_ERR_INVALID, "malformed", 0x81, 0x1C);
    CBAD("/3/0", ZL_ERR_INVALID, "deeper", 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x80);
    /* [{0: "/3/0/9", 2: 1, 2: 2}] duplicate label */
    CBAD("/3/0", ZL_ERR_INVALID, "duplicate label 2 (v)",
         0x81, 0xA3, 0x00, 0x66, '/', '3', '/', '0', '/', '9', 0x02, 0x01, 0x02, 0x02);
    /* v as text */
    CBAD("/3/0", ZL_ERR_INVALID, "v (label 2) is not a number",
         0x81, 0xA2, 0x00, 0x66, '/', '3', '/', '0', '/', '9', 0x02, 0x61, '1');
    /* vd as text */
    CBAD("/5/0", ZL_ERR_INVALID, "is not a byte string",
         0x81, 0xA2, 0x00, 0x66, '/', '5', '/', '0', '/', '0', 0x08, 0x61, '1');
    /* vs with invalid UTF-8 (libcbor itself refuses it) */
    CBAD("/3/0", ZL_ERR_INVALID, "malformed",
         0x81, 0xA2, 0x00, 0x66, '/', '3', '/', '0', '/', '0', 0x03, 0x61, 0xFF);
    /* name as a byte string */
    CBAD("/3/0", ZL_ERR_INVALID, "n (label 0) is not a text string",
         0x81, 0xA2, 0x00, 0x46, '/', '3', '/', '0', '/', '0', 0x03, 0x61, 'x');
    /* not under the path */
    CBAD("/3/0", ZL_ERR_INVALID, "record 0 (\"/3/1/0\") is not under",
         0x81, 0xA2, 0x00, 0x66, '/', '3', '/', '1', '/', '0', 0x03, 0x61, 'x');
    /* duplicate paths */
    CBAD("/3/0", ZL_ERR_INVALID, "records 0 and 1 both name",
         0x82, 0xA2, 0x00, 0x66, '/', '3', '/', '0', '/', '0', 0x03, 0x61, 'x',
         0xA2, 0x00, 0x66, '/', '3', '/', '0', '/', '0', 0x03, 0x61, 'y');
    /* missing value */
    CBAD("/3/0", ZL_ERR_INVALID, "has no value", 0x81, 0xA1, 0x00, 0x66, '/', '3', '/', '0', '/', '0');
    /* NaN */
    CBAD("/3/0", ZL_ERR_INVALID, "finite", 0x81, 0xA2, 0x00, 0x66, '/', '3', '/', '0', '/', '9', 0x02, 0xF9, 0x7E, 0x00);
    /* map key that is an array */
    CBAD("/3/0", ZL_ERR_INVALID, "neither an integer nor text", 0x81, 0xA1, 0x80, 0x00);
    /* must-understand text label */
    CBAD("/3/0", ZL_ERR_INVALID, "must-understand",
         0x81, 0xA3, 0x00, 0x66, '/', '3', '/', '0', '/', '0', 0x03, 0x61, 'x', 0x62, 'x', '_', 0x00);
    /* vb as a float (libcbor 0.8 asserts if asked whether a float is a bool) */
    CBAD("/1/0", ZL_ERR_INVALID, "vb (label 4) is not a boolean",
         0x81, 0xA2, 0x00, 0x66, '/', '1', '/', '0', '/', '6', 0x04, 0xF9, 0x3C, 0x00);
    /* vb as integer */
    CBAD("/1/0", ZL_ERR_INVALID, "vb (label 4) is not a boolean",
         0x81, 0xA2, 0x00, 0x66, '/', '1', '/', '0', '/', '6', 0x04, 0x01);
}

/* A tree exercising every type, encoded and decoded with both codecs. */
static void test_round_trips(void) {
    zl_node_t *obj = zl_node_new(ZL_N_OBJECT, 9999);
    zl_node_t *inst = zl_node_add_child(obj, ZL_N_INSTANCE, 0);
    zl_node_t *r;
    r = zl_node_add_child(inst, ZL_N_RESOURCE, 1);
    r->value.type = ZL_T_INTEGER;
    r->value.u.i = -123456789012LL;
    r = zl_node_add_child(inst, ZL_N_RESOURCE, 2);
    r->value.type = ZL_T_FLOAT;
    r->value.u.f = -1.25e-7;
    r = zl_node_add_child(inst, ZL_N_RESOURCE, 3);
    r->value.type = ZL_T_BOOLEAN;
    r->value.u.b = true;
    r = zl_node_add_child(inst, ZL_N_RESOURCE, 4);
    zl_value_set_bytes(&r->value, ZL_T_STRING, "h\xc3\xa9llo", 6);
    r = zl_node_add_child(inst, ZL_N_RESOURCE, 5);
    zl_value_set_bytes(&r->value, ZL_T_OPAQUE, "\x00\xff\x10", 3);
    r = zl_node_add_child(inst, ZL_N_RESOURCE, 6);
    r->value.type = ZL_T_OBJLNK;
    r->value.u.lnk.oid = 3;
    r->value.u.lnk.iid = 65535;
    zl_node_t *m = zl_node_add_child(inst, ZL_N_MULTI, 7);
    for (uint16_t i = 0; i < 3; i++) {
        zl_node_t *ri = zl_node_add_child(m, ZL_N_RES_INSTANCE, (uint16_t)(i * 100));
        ri->value.type = ZL_T_INTEGER;
        ri->value.u.i = i;
    }
    zl_node_t *inst2 = zl_node_add_child(obj, ZL_N_INSTANCE, 65534);
    r = zl_node_add_child(inst2, ZL_N_RESOURCE, 65534);
    zl_value_set_bytes(&r->value, ZL_T_STRING, "", 0);

    zl_path_t p = zt_path("/9999");
    for (int fmt = 0; fmt < 2; fmt++) {
        zl_buf_t b;
        zl_buf_init(&b, 0);
        zl_err_t e = fmt ? zl_senml_cbor_encode(obj, &p, &b) : zl_senml_json_encode(obj, &p, &b);
        CHECK_EQ_INT(e, ZL_OK);
        zl_node_t *back = NULL;
        e = fmt ? zl_senml_cbor_decode(b.data, b.len, &p, NULL, &back, err, sizeof err)
                : zl_senml_json_decode(b.data, b.len, &p, NULL, &back, err, sizeof err);
        CHECK_EQ_INT(e, ZL_OK);
        if (e) fprintf(stderr, "round trip %s: %s\n", fmt ? "CBOR" : "JSON", err);
        CHECK(back && same_tree(obj, back));
        zl_node_free(back);
        zl_buf_free(&b);
    }
    if (obj->n_children) {
        /* an untyped (NONE) leaf goes out as vd and comes back OPAQUE */
        zl_node_t *raw = zl_node_new(ZL_N_RESOURCE, 8);
        zl_value_set_bytes(&raw->value, ZL_T_NONE, "ab", 2);
        zl_path_t rp = zt_path("/9999/0/8");
        zl_buf_t b;
        zl_buf_init(&b, 0);
        CHECK_EQ_INT(zl_senml_json_encode(raw, &rp, &b), ZL_OK);
        CHECK_STR(zl_buf_cstr(&b), "[{\"n\":\"/9999/0/8\",\"vd\":\"YWI\"}]");
        zl_node_t *back = NULL;
        CHECK_EQ_INT(zl_senml_json_decode(b.data, b.len, &rp, NULL, &back, err, sizeof err), ZL_OK);
        CHECK(back && back->value.type == ZL_T_OPAQUE && back->value.len == 2);
        zl_node_free(back);
        zl_buf_free(&b);
        zl_node_free(raw);
    }
    zl_node_free(obj);
}

/* Composite (LwM2M 1.1): path lists both ways, and values at the root. */
static void test_composite(void) {
    zl_path_t paths[3] = {zt_path("/3/0/0"), zt_path("/3303"), zt_path("/3/0/7/1")};
    zl_buf_t b;
    zl_buf_init(&b, 0);
    CHECK_EQ_INT(zl_senml_paths_encode(110, paths, 3, &b), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), "[{\"n\":\"/3/0/0\"},{\"n\":\"/3303\"},{\"n\":\"/3/0/7/1\"}]");
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_senml_paths_encode(112, paths, 1, &b), ZL_OK);
    /* [{0: "/3/0/0"}] */
    static const uint8_t want[] = {0x81, 0xa1, 0x00, 0x66, '/', '3', '/', '0', '/', '0'};
    CHECK(b.len == sizeof want && memcmp(b.data, want, sizeof want) == 0);
    CHECK_EQ_INT(zl_senml_paths_encode(11543, paths, 1, &b), ZL_ERR_UNSUPPORTED);

    zl_path_t *out = NULL;
    size_t n = 0;
    const char *js = "[{\"bn\":\"/3/0/\",\"n\":\"0\"},{\"n\":\"7/1\"},{\"bn\":\"/3303\"}]";
    CHECK_EQ_INT(zl_senml_paths_decode(110, (const uint8_t *)js, strlen(js), &out, &n, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(n, 3);
    CHECK(n == 3 && out[0].len == 3 && out[1].len == 4 && out[1].ids[3] == 1 && out[2].len == 1 &&
          out[2].ids[0] == 3303);
    free(out);
    CHECK_EQ_INT(zl_senml_paths_decode(112, want, sizeof want, &out, &n, err, sizeof err), ZL_OK);
    CHECK(n == 1 && out[0].len == 3 && out[0].ids[0] == 3);
    free(out);
    static const struct { const char *in; zl_err_t e; const char *msg; } bad[] = {
        {"[]", ZL_ERR_INVALID, "names no path"},
        {"[{\"n\":\"/\"}]", ZL_ERR_INVALID, "root path cannot be part"},
        {"[{\"n\":\"/3/0/0\",\"v\":1}]", ZL_ERR_INVALID, "carries no values"},
        {"[{\"n\":\"/3/x\"}]", ZL_ERR_INVALID, "is not a LwM2M path"},
        {"{\"n\":\"/3\"}", ZL_ERR_INVALID, "not an array"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(zl_senml_paths_decode(110, (const uint8_t *)bad[i].in, strlen(bad[i].in), &out, &n, err,
                                           sizeof err), bad[i].e);
        CHECK(out == NULL && n == 0 && strstr(err, bad[i].msg) != NULL);
    }
    CHECK_EQ_INT(zl_senml_paths_decode(60, want, sizeof want, &out, &n, err, sizeof err), ZL_ERR_UNSUPPORTED);

    /* values of several objects at the root: encode, decode, same tree */
    zl_node_t *root = zl_node_new(ZL_N_OBJECT, ZL_SENML_ROOT_ID);
    zl_node_t *r = zl_node_add_child(zl_node_add_child(zl_node_add_child(root, ZL_N_OBJECT, 3), ZL_N_INSTANCE, 0),
                                     ZL_N_RESOURCE, 14);
    zl_value_set_bytes(&r->value, ZL_T_STRING, "+02", 3);
    r = zl_node_add_child(zl_node_add_child(zl_node_add_child(root, ZL_N_OBJECT, 3303), ZL_N_INSTANCE, 1),
                          ZL_N_RESOURCE, 5700);
    r->value.type = ZL_T_FLOAT;
    r->value.u.f = 22.25;
    zl_path_t rp = zt_path("/");
    for (int f = 0; f < 2; f++) {
        zl_buf_reset(&b);
        zl_node_t *back = NULL;
        if (f == 0) {
            CHECK_EQ_INT(zl_senml_json_encode(root, &rp, &b), ZL_OK);
            CHECK_STR(zl_buf_cstr(&b), "[{\"bn\":\"/\",\"n\":\"3/0/14\",\"vs\":\"+02\"},{\"n\":\"3303/1/5700\",\"v\":22.25}]");
            CHECK_EQ_INT(zl_senml_json_decode(b.data, b.len, &rp, NULL, &back, err, sizeof err), ZL_OK);
        } else {
            CHECK_EQ_INT(zl_senml_cbor_encode(root, &rp, &b), ZL_OK);
            CHECK_EQ_INT(zl_senml_cbor_decode(b.data, b.len, &rp, NULL, &back, err, sizeof err), ZL_OK);
        }
        CHECK(back && same_tree(root, back));
        zl_node_free(back);
    }
    /* a non-container node at the root is refused */
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_senml_json_encode(&root->children[0], &rp, &b), ZL_ERR_INVALID);
    zl_node_free(root);
    zl_buf_free(&b);
}

/* Create bodies: an instance under an object path.  The SenML encoders keep
 * their shape check (an INSTANCE node is not what /3 addresses: refused);
 * zl_content_encode_create sends the object holding the instance, with names
 * relative to the object path, multiple resources one record per instance. */
static void test_create(void) {
    zl_node_t *inst = zl_node_new(ZL_N_INSTANCE, 1);
    zl_node_t *r = zl_node_add_child(inst, ZL_N_RESOURCE, 0);
    zl_value_set_bytes(&r->value, ZL_T_STRING, "ACME", 4);
    zl_node_t *m = zl_node_add_child(inst, ZL_N_MULTI, 7);
    for (uint16_t i = 0; i < 2; i++) {
        zl_node_t *ri = zl_node_add_child(m, ZL_N_RES_INSTANCE, i);
        ri->value.type = ZL_T_INTEGER;
        ri->value.u.i = 3800 + 1200 * i;
    }
    zl_path_t obj = zt_path("/3");
    zl_buf_t b;
    zl_buf_init(&b, 0);
    CHECK_EQ_INT(zl_senml_json_encode(inst, &obj, &b), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_senml_cbor_encode(inst, &obj, &b), ZL_ERR_INVALID);
    CHECK_EQ_INT(b.len, 0);
    CHECK_EQ_INT(zl_content_encode_create(ZL_CF_SENML_JSON, inst, &obj, &b, err, sizeof err), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), "[{\"bn\":\"/3/\",\"n\":\"1/0\",\"vs\":\"ACME\"},{\"n\":\"1/7/0\",\"v\":3800},"
                               "{\"n\":\"1/7/1\",\"v\":5000}]");
    zl_node_t *back = NULL;
    CHECK_EQ_INT(zl_senml_json_decode(b.data, b.len, &obj, NULL, &back, err, sizeof err), ZL_OK);
    CHECK(back && back->n_children == 1 && same_tree(&back->children[0], inst));
    zl_node_free(back);
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_content_encode_create(ZL_CF_SENML_CBOR, inst, &obj, &b, err, sizeof err), ZL_OK);
    back = NULL;
    CHECK_EQ_INT(zl_senml_cbor_decode(b.data, b.len, &obj, NULL, &back, err, sizeof err), ZL_OK);
    CHECK(back && back->n_children == 1 && same_tree(&back->children[0], inst));
    zl_node_free(back);
    /* the writes' shape check is untouched: the instance at its own path encodes as before */
    zl_path_t ip = zt_path("/3/1");
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_senml_json_encode(inst, &ip, &b), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), "[{\"bn\":\"/3/1/\",\"n\":\"0\",\"vs\":\"ACME\"},{\"n\":\"7/0\",\"v\":3800},"
                               "{\"n\":\"7/1\",\"v\":5000}]");
    zl_buf_free(&b);
    zl_node_free(inst);
}

int main(void) {
    test_composite();
    test_json_device();
    test_json_single_and_multi();
    test_json_types();
    test_json_float_encoding();
    test_json_errors();
    test_cbor_decode();
    test_cbor_errors();
    test_round_trips();
    test_create();
    TEST_MAIN_END();
}
