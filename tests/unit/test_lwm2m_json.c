/* SPDX-License-Identifier: Apache-2.0 */
/* OMA LwM2M JSON codec: the LwM2M 1.0 §6.4.4 Device example decoded to typed
 * values, every value type, bn/n joining, round trips through the encoder,
 * and malformed documents rejected with a message naming the entry. */
#include <stdlib.h>
#include <string.h>

#include "lwm2m/content.h"
#include "lwm2m/lwm2m_json.h"
#include "test.h"
#include "lwm2m_test.h"
#include "common/buf.h"

/* LwM2M 1.0 §6.4.4: Read /3/0 (Device) answered in JSON. */
static const char device0[] =
    "{\"bn\":\"/3/0/\",\n"
    " \"e\":[\n"
    " {\"n\":\"0\",\"sv\":\"Open Mobile Alliance\"},\n"
    " {\"n\":\"1\",\"sv\":\"Lightweight M2M Client\"},\n"
    " {\"n\":\"2\",\"sv\":\"345000123\"},\n"
    " {\"n\":\"3\",\"sv\":\"1.0\"},\n"
    " {\"n\":\"6/0\",\"v\":1},\n"
    " {\"n\":\"6/1\",\"v\":5},\n"
    " {\"n\":\"7/0\",\"v\":3800},\n"
    " {\"n\":\"7/1\",\"v\":5000},\n"
    " {\"n\":\"8/0\",\"v\":125},\n"
    " {\"n\":\"8/1\",\"v\":900},\n"
    " {\"n\":\"9\",\"v\":100},\n"
    " {\"n\":\"10\",\"v\":15},\n"
    " {\"n\":\"11/0\",\"v\":0},\n"
    " {\"n\":\"13\",\"v\":1367491215},\n"
    " {\"n\":\"14\",\"sv\":\"+02:00\"},\n"
    " {\"n\":\"16\",\"sv\":\"U\"}]\n"
    "}";

static char last_err[256];

static zl_err_t dec(const char *json, const char *path, zl_node_t **out) {
    zl_path_t p = zt_path(path);
    return zl_lwm2m_json_decode((const uint8_t *)json, strlen(json), &p, NULL, out, last_err, sizeof last_err);
}

static void check_multi(const zl_node_t *inst, uint16_t rid, int64_t a, int64_t b) {
    const zl_node_t *r = zl_node_child(inst, rid);
    CHECK(r && r->kind == ZL_N_MULTI && r->n_children == 2);
    if (!r || r->n_children != 2) return;
    CHECK_EQ_INT(r->children[0].kind, ZL_N_RES_INSTANCE);
    CHECK_EQ_INT(r->children[0].id, 0);
    CHECK_EQ_INT(r->children[0].value.type, ZL_T_INTEGER);
    CHECK_EQ_INT(r->children[0].value.u.i, a);
    CHECK_EQ_INT(r->children[1].id, 1);
    CHECK_EQ_INT(r->children[1].value.type, ZL_T_INTEGER);
    CHECK_EQ_INT(r->children[1].value.u.i, b);
}

static void check_str(const zl_node_t *inst, uint16_t rid, const char *s) {
    const zl_node_t *r = zl_node_child(inst, rid);
    CHECK(r && r->kind == ZL_N_RESOURCE && r->value.type == ZL_T_STRING);
    if (r) CHECK_STR((const char *)r->value.bytes, s);
    if (r) CHECK_EQ_INT(r->value.len, strlen(s));
}

static void check_int(const zl_node_t *inst, uint16_t rid, zl_type_t t, int64_t v) {
    const zl_node_t *r = zl_node_child(inst, rid);
    CHECK(r && r->kind == ZL_N_RESOURCE);
    if (!r) return;
    CHECK_EQ_INT(r->value.type, t);
    CHECK_EQ_INT(r->value.u.i, v);
}

static void check_device_instance(const zl_node_t *inst) {
    CHECK_EQ_INT(inst->kind, ZL_N_INSTANCE);
    CHECK_EQ_INT(inst->id, 0);
    CHECK_EQ_INT(inst->n_children, 13);
    check_str(inst, 0, "Open Mobile Alliance");
    check_str(inst, 1, "Lightweight M2M Client");
    check_str(inst, 2, "345000123");
    check_str(inst, 3, "1.0");
    check_multi(inst, 6, 1, 5);
    check_multi(inst, 7, 3800, 5000);
    check_multi(inst, 8, 125, 900);
    check_int(inst, 9, ZL_T_INTEGER, 100);
    check_int(inst, 10, ZL_T_INTEGER, 15);
    const zl_node_t *r = zl_node_child(inst, 11);
    CHECK(r && r->kind == ZL_N_MULTI && r->n_children == 1);
    if (r && r->n_children == 1) {
        CHECK_EQ_INT(r->children[0].id, 0);
        CHECK_EQ_INT(r->children[0].value.u.i, 0);
    }
    check_int(inst, 13, ZL_T_TIME, 1367491215);
    check_str(inst, 14, "+02:00");
    check_str(inst, 16, "U");
}

/* Encodes n at path, decodes again and checks the node count is unchanged. */
static void round_trip(const zl_node_t *n, const char *path, const char *expect) {
    zl_path_t p = zt_path(path);
    zl_buf_t b;
    zl_buf_init(&b, 0);
    CHECK_EQ_INT(zl_lwm2m_json_encode(n, &p, &b), ZL_OK);
    if (expect) CHECK_STR(zl_buf_cstr(&b), expect);
    zl_node_t *m = NULL;
    zl_err_t e = zl_lwm2m_json_decode(b.data, b.len, &p, NULL, &m, last_err, sizeof last_err);
    CHECK_EQ_INT(e, ZL_OK);
    if (e) fprintf(stderr, "  re-decode of %s: %s\n", zl_buf_cstr(&b), last_err);
    if (GUARD(m)) CHECK_EQ_INT(zt_count_nodes(m), zt_count_nodes(n));
    zl_node_free(m);
    zl_buf_free(&b);
}

static void test_device_example(void) {
    zl_node_t *n = NULL;
    CHECK_EQ_INT(dec(device0, "/3/0", &n), ZL_OK);
    if (!GUARD(n)) return;
    check_device_instance(n);
    round_trip(n, "/3/0", NULL);
    zl_node_free(n);

    /* The same entries read as the object: bn "/3/" and names "0/..." */
    const char *obj = "{\"bn\":\"/3/\",\"e\":[{\"n\":\"0/0\",\"sv\":\"ACME\"},{\"n\":\"0/9\",\"v\":95},"
                      "{\"n\":\"0/6/0\",\"v\":1},{\"n\":\"0/6/1\",\"v\":5}]}";
    CHECK_EQ_INT(dec(obj, "/3", &n), ZL_OK);
    if (GUARD(n)) {
        CHECK_EQ_INT(n->kind, ZL_N_OBJECT);
        CHECK_EQ_INT(n->n_children, 1);
        const zl_node_t *inst = zl_node_child(n, 0);
        CHECK(inst && inst->kind == ZL_N_INSTANCE && inst->n_children == 3);
        if (inst) {
            check_str(inst, 0, "ACME");
            check_int(inst, 9, ZL_T_INTEGER, 95);
            check_multi(inst, 6, 1, 5);
        }
        round_trip(n, "/3",
                   "{\"bn\":\"/3/\",\"e\":[{\"n\":\"0/0\",\"sv\":\"ACME\"},{\"n\":\"0/6/0\",\"v\":1},"
                   "{\"n\":\"0/6/1\",\"v\":5},{\"n\":\"0/9\",\"v\":95}]}");
        zl_node_free(n);
    }
    /* No bn: names carry the whole path. */
    CHECK_EQ_INT(dec("{\"e\":[{\"n\":\"/3/0/9\",\"v\":95}]}", "/3/0", &n), ZL_OK);
    if (GUARD(n)) check_int(n, 9, ZL_T_INTEGER, 95);
    zl_node_free(n);
}

static void test_types(void) {
    zl_node_t *n = NULL;
    /* Server object: 1 INTEGER, 6 BOOLEAN, 7 STRING, 10 OBJLNK. */
    CHECK_EQ_INT(dec("{\"bn\":\"/1/0/\",\"bt\":1.5e9,\"e\":[{\"n\":\"1\",\"v\":86400,\"t\":-5},"
                     "{\"n\":\"6\",\"bv\":true},{\"n\":\"7\",\"sv\":\"U\"},{\"n\":\"10\",\"ov\":\"11:0\"}]}",
                     "/1/0", &n),
                 ZL_OK);
    if (GUARD(n)) {
        check_int(n, 1, ZL_T_INTEGER, 86400);
        const zl_node_t *r = zl_node_child(n, 6);
        CHECK(r && r->value.type == ZL_T_BOOLEAN && r->value.u.b);
        r = zl_node_child(n, 10);
        CHECK(r && r->value.type == ZL_T_OBJLNK && r->value.u.lnk.oid == 11 && r->value.u.lnk.iid == 0);
        round_trip(n, "/1/0",
                   "{\"bn\":\"/1/0/\",\"e\":[{\"n\":\"1\",\"v\":86400},{\"n\":\"6\",\"bv\":true},"
                   "{\"n\":\"7\",\"sv\":\"U\"},{\"n\":\"10\",\"ov\":\"11:0\"}]}");
        zl_node_free(n);
    }
    /* Security 3 is OPAQUE: Base64 in "sv". */
    CHECK_EQ_INT(dec("{\"bn\":\"/0/0/\",\"e\":[{\"n\":\"3\",\"sv\":\"AAEC/w==\"}]}", "/0/0", &n), ZL_OK);
    if (GUARD(n)) {
        const zl_node_t *r = zl_node_child(n, 3);
        CHECK(r && r->value.type == ZL_T_OPAQUE && r->value.len == 4);
        if (r && r->value.len == 4) CHECK_MEM(r->value.bytes, "\x00\x01\x02\xff", 4);
        round_trip(n, "/0/0", "{\"bn\":\"/0/0/\",\"e\":[{\"n\":\"3\",\"sv\":\"AAEC/w==\"}]}");
        zl_node_free(n);
    }
    /* IPSO 3303/5700 FLOAT: integers and reals both read as FLOAT. */
    CHECK_EQ_INT(dec("{\"bn\":\"/3303/0/\",\"e\":[{\"n\":\"5700\",\"v\":21}]}", "/3303/0/5700", &n), ZL_OK);
    if (GUARD(n)) {
        CHECK_EQ_INT(n->kind, ZL_N_RESOURCE);
        CHECK_EQ_INT(n->id, 5700);
        CHECK(n->value.type == ZL_T_FLOAT && n->value.u.f == 21.0);
        round_trip(n, "/3303/0/5700", "{\"bn\":\"/3303/0/\",\"e\":[{\"n\":\"5700\",\"v\":21.0}]}");
        zl_node_free(n);
    }
    CHECK_EQ_INT(dec("{\"bn\":\"/3303/0/5700/\",\"e\":[{\"v\":-0.1}]}", "/3303/0/5700", &n), ZL_OK);
    if (GUARD(n)) {
        CHECK(n->value.type == ZL_T_FLOAT && n->value.u.f == -0.1);
        round_trip(n, "/3303/0/5700", "{\"bn\":\"/3303/0/\",\"e\":[{\"n\":\"5700\",\"v\":-0.1}]}");
        zl_node_free(n);
    }
    /* INTEGER written as an integral real is accepted. */
    CHECK_EQ_INT(dec("{\"e\":[{\"n\":\"/3/0/9\",\"v\":1e2}]}", "/3/0/9", &n), ZL_OK);
    if (GUARD(n)) CHECK(n->kind == ZL_N_RESOURCE && n->value.type == ZL_T_INTEGER && n->value.u.i == 100);
    zl_node_free(n);
    /* Unknown model: integer literal -> INTEGER, real -> FLOAT, sv -> STRING. */
    CHECK_EQ_INT(dec("{\"bn\":\"/9999/1/\",\"e\":[{\"n\":\"1\",\"v\":7},{\"n\":\"2\",\"v\":7.0},"
                     "{\"n\":\"3\",\"sv\":\"x\"},{\"n\":\"4\",\"bv\":false},{\"n\":\"5\",\"ov\":\"65535:65535\"}]}",
                     "/9999/1", &n),
                 ZL_OK);
    if (GUARD(n)) {
        check_int(n, 1, ZL_T_INTEGER, 7);
        const zl_node_t *r = zl_node_child(n, 2);
        CHECK(r && r->value.type == ZL_T_FLOAT && r->value.u.f == 7.0);
        check_str(n, 3, "x");
        r = zl_node_child(n, 4);
        CHECK(r && r->value.type == ZL_T_BOOLEAN && !r->value.u.b);
        r = zl_node_child(n, 5);
        CHECK(r && r->value.type == ZL_T_OBJLNK && r->value.u.lnk.oid == 65535);
        round_trip(n, "/9999/1", NULL);
        zl_node_free(n);
    }
    /* Resource instance path; multiple resource path; empty multiple resource. */
    CHECK_EQ_INT(dec("{\"bn\":\"/3/0/7/\",\"e\":[{\"n\":\"1\",\"v\":5000}]}", "/3/0/7/1", &n), ZL_OK);
    if (GUARD(n)) {
        CHECK(n->kind == ZL_N_RES_INSTANCE && n->id == 1 && n->value.u.i == 5000);
        round_trip(n, "/3/0/7/1", "{\"bn\":\"/3/0/7/\",\"e\":[{\"n\":\"1\",\"v\":5000}]}");
        zl_node_free(n);
    }
    CHECK_EQ_INT(dec("{\"bn\":\"/3/0/7/\",\"e\":[{\"n\":\"1\",\"v\":5000},{\"n\":\"0\",\"v\":3800}]}", "/3/0/7", &n),
                 ZL_OK);
    if (GUARD(n)) {
        CHECK(n->kind == ZL_N_MULTI && n->n_children == 2);
        if (n->n_children == 2) CHECK(n->children[0].id == 0 && n->children[1].id == 1); /* sorted */
        round_trip(n, "/3/0/7", "{\"bn\":\"/3/0/7/\",\"e\":[{\"n\":\"0\",\"v\":3800},{\"n\":\"1\",\"v\":5000}]}");
        zl_node_free(n);
    }
    CHECK_EQ_INT(dec("{\"bn\":\"/3/0/7/\",\"e\":[]}", "/3/0/7", &n), ZL_OK);
    if (GUARD(n)) CHECK(n->kind == ZL_N_MULTI && n->n_children == 0);
    zl_node_free(n);
    CHECK_EQ_INT(dec("{\"e\":[]}", "/3", &n), ZL_OK);
    if (GUARD(n)) CHECK(n->kind == ZL_N_OBJECT && n->n_children == 0);
    zl_node_free(n);
    /* Escapes in strings survive. */
    CHECK_EQ_INT(dec("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"0\",\"sv\":\"a\\\"b\\u00e9\\n\"}]}", "/3/0", &n), ZL_OK);
    if (GUARD(n)) {
        check_str(n, 0, "a\"b\xc3\xa9\n");
        round_trip(n, "/3/0", "{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"0\",\"sv\":\"a\\\"b\xc3\xa9\\n\"}]}");
        zl_node_free(n);
    }
}

static void expect_err(const char *json, const char *path, zl_err_t want, const char *needle) {
    zt_expect_decode_err(zl_lwm2m_json_decode, json, strlen(json), path, want, needle);
}

static void test_errors(void) {
    expect_err("", "/3/0", ZL_ERR_INVALID, "not JSON");
    expect_err("[1]", "/3/0", ZL_ERR_INVALID, "not an object");
    expect_err("{\"bn\":\"/3/0/\"}", "/3/0", ZL_ERR_INVALID, "no \"e\"");
    expect_err("{\"e\":{}}", "/3/0", ZL_ERR_INVALID, "\"e\" is an object");
    expect_err("{\"e\":[],\"x\":1}", "/3/0", ZL_ERR_INVALID, "unknown key \"x\"");
    expect_err("{\"bn\":3,\"e\":[]}", "/3/0", ZL_ERR_INVALID, "\"bn\" is an integer");
    expect_err("{\"e\":[],\"e\":[]}", "/3/0", ZL_ERR_INVALID, "duplicate");
    expect_err("{\"e\":[1]}", "/3/0", ZL_ERR_INVALID, "e[0] is an integer");
    expect_err("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\"}]}", "/3/0", ZL_ERR_INVALID, "e[0]: no value");
    expect_err("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"v\":1,\"sv\":\"1\"}]}", "/3/0", ZL_ERR_INVALID,
               "both \"v\" and \"sv\"");
    expect_err("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"v\":1,\"q\":1}]}", "/3/0", ZL_ERR_INVALID, "unknown key \"q\"");
    expect_err("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"v\":1},{\"n\":\"x\",\"v\":1}]}", "/3/0", ZL_ERR_INVALID,
               "e[1]: invalid name \"/3/0/x\"");
    expect_err("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"65535\",\"v\":1}]}", "/3/0", ZL_ERR_INVALID, "invalid name");
    expect_err("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9//\",\"v\":1}]}", "/3/0", ZL_ERR_INVALID, "invalid name");
    expect_err("{\"bn\":\"/3/1/\",\"e\":[{\"n\":\"9\",\"v\":1}]}", "/3/0", ZL_ERR_INVALID,
               "/3/1/9 is not under the requested path /3/0");
    expect_err("{\"bn\":\"/3/\",\"e\":[{\"n\":\"0\",\"v\":1}]}", "/3", ZL_ERR_INVALID, "/3/0 carries a value");
    expect_err("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"v\":1},{\"n\":\"9\",\"v\":2}]}", "/3/0", ZL_ERR_INVALID,
               "duplicate entry /3/0/9");
    expect_err("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"6/0\",\"v\":1},{\"n\":\"6\",\"v\":2}]}", "/3/0", ZL_ERR_INVALID,
               "/3/0/6 given both as a value and with resource instance /3/0/6/0");
    expect_err("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"sv\":\"1\"}]}", "/3/0", ZL_ERR_INVALID,
               "\"sv\" does not fit the model type INTEGER");
    expect_err("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"v\":1.5}]}", "/3/0", ZL_ERR_INVALID,
               "1.5 is not a valid INTEGER");
    expect_err("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"v\":\"1\"}]}", "/3/0", ZL_ERR_INVALID, "not a number");
    expect_err("{\"bn\":\"/0/0/\",\"e\":[{\"n\":\"3\",\"sv\":\"***\"}]}", "/0/0", ZL_ERR_INVALID,
               "not a valid OPAQUE (Base64)");
    expect_err("{\"bn\":\"/1/0/\",\"e\":[{\"n\":\"10\",\"ov\":\"3\"}]}", "/1/0", ZL_ERR_INVALID,
               "not a valid OBJLNK");
    expect_err("{\"bn\":\"/1/0/\",\"e\":[{\"n\":\"6\",\"v\":1}]}", "/1/0", ZL_ERR_INVALID,
               "does not fit the model type BOOLEAN");
    expect_err("{\"bn\":\"/1/0/\",\"e\":[{\"n\":\"6\",\"bv\":1}]}", "/1/0", ZL_ERR_INVALID, "not a boolean");
    expect_err("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"v\":1,\"t\":\"x\"}]}", "/3/0", ZL_ERR_INVALID,
               "\"t\" is a string");
    expect_err("{\"bn\":\"/3/0/\",\"e\":[]}", "/3/0/9", ZL_ERR_INVALID, "no value for single resource /3/0/9");
    expect_err("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"v\":99999999999999999999}]}", "/3/0", ZL_ERR_INVALID,
               "not JSON");
    expect_err("{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"0\",\"sv\":\"a\\u0000b\"}]}", "/3/0", ZL_ERR_INVALID, "not JSON");

    /* More than 10000 entries. */
    zl_buf_t b;
    zl_buf_init(&b, 0);
    zl_buf_printf(&b, "{\"bn\":\"/9999/0/\",\"e\":[");
    for (int i = 0; i <= 10000; i++) zl_buf_printf(&b, "%s{\"n\":\"%d\",\"v\":%d}", i ? "," : "", i, i);
    zl_buf_printf(&b, "]}");
    expect_err(zl_buf_cstr(&b), "/9999/0", ZL_ERR_TOO_LARGE, "10000");
    /* exactly 10000 is fine */
    zl_buf_reset(&b);
    zl_buf_printf(&b, "{\"bn\":\"/9999/0/\",\"e\":[");
    for (int i = 0; i < 10000; i++) zl_buf_printf(&b, "%s{\"n\":\"%d\",\"v\":%d}", i ? "," : "", 9999 - i, i);
    zl_buf_printf(&b, "]}");
    zl_node_t *n = NULL;
    CHECK_EQ_INT(dec(zl_buf_cstr(&b), "/9999/0", &n), ZL_OK);
    if (GUARD(n)) {
        CHECK_EQ_INT(n->n_children, 10000);
        if (n->n_children == 10000) CHECK(n->children[0].id == 0 && n->children[0].value.u.i == 9999);
    }
    zl_node_free(n);
    zl_buf_free(&b);

    /* 1 MiB cap */
    size_t big = (1u << 20) + 1;
    char *s = malloc(big + 1);
    memset(s, ' ', big);
    s[big] = 0;
    expect_err(s, "/3/0", ZL_ERR_TOO_LARGE, "1048577 bytes");
    free(s);

    /* NULL payload / bad path */
    zl_path_t root = {{0}, 0};
    n = NULL;
    CHECK_EQ_INT(zl_lwm2m_json_decode((const uint8_t *)"{}", 2, &root, NULL, &n, last_err, sizeof last_err), ZL_ERR_INVALID);
    zl_path_t p = zt_path("/3/0");
    CHECK_EQ_INT(zl_lwm2m_json_decode(NULL, 3, &p, NULL, &n, last_err, sizeof last_err), ZL_ERR_INVALID);
}

static void test_encode_errors(void) {
    zl_buf_t b;
    zl_buf_init(&b, 0);
    zl_buf_append(&b, "x", 1);
    zl_path_t p = zt_path("/3/0/9");
    zl_node_t *r = zl_node_new(ZL_N_RESOURCE, 9);
    r->value.type = ZL_T_FLOAT;
    r->value.u.f = 1.0 / 0.0;
    CHECK_EQ_INT(zl_lwm2m_json_encode(r, &p, &b), ZL_ERR_INVALID);
    CHECK_EQ_INT(b.len, 1); /* restored */
    zl_value_set_bytes(&r->value, ZL_T_STRING, "\xff\xfe", 2);
    CHECK_EQ_INT(zl_lwm2m_json_encode(r, &p, &b), ZL_ERR_INVALID);
    CHECK_EQ_INT(b.len, 1);
    zl_value_set_bytes(&r->value, ZL_T_STRING, "ok", 2);
    zl_path_t q = zt_path("/3/0/8");
    CHECK_EQ_INT(zl_lwm2m_json_encode(r, &q, &b), ZL_ERR_INVALID); /* id mismatch */
    zl_path_t inst = zt_path("/3/0");
    CHECK_EQ_INT(zl_lwm2m_json_encode(r, &inst, &b), ZL_ERR_INVALID); /* kind mismatch */
    CHECK_EQ_INT(zl_lwm2m_json_encode(r, &p, &b), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), "x{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"sv\":\"ok\"}]}");
    zl_node_free(r);
    zl_buf_free(&b);
}

/* Create on /3303: the raw encoder keeps its shape check; the create body is
 * the object holding the instance, names relative to the object path. */
static void test_create(void) {
    zl_node_t *inst = zl_node_new(ZL_N_INSTANCE, 2);
    zl_node_t *r = zl_node_add_child(inst, ZL_N_RESOURCE, 5700);
    r->value.type = ZL_T_FLOAT;
    r->value.u.f = -4.0;
    r = zl_node_add_child(inst, ZL_N_RESOURCE, 5701);
    zl_value_set_bytes(&r->value, ZL_T_STRING, "Cel", 3);
    zl_path_t obj = zt_path("/3303");
    zl_buf_t b;
    zl_buf_init(&b, 0);
    CHECK_EQ_INT(zl_lwm2m_json_encode(inst, &obj, &b), ZL_ERR_INVALID);
    CHECK_EQ_INT(b.len, 0);
    char e[200];
    CHECK_EQ_INT(zl_content_encode_create(ZL_CF_JSON, inst, &obj, &b, e, sizeof e), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), "{\"bn\":\"/3303/\",\"e\":[{\"n\":\"2/5700\",\"v\":-4.0},{\"n\":\"2/5701\",\"sv\":\"Cel\"}]}");
    zl_node_t *back = NULL;
    CHECK_EQ_INT(zl_lwm2m_json_decode(b.data, b.len, &obj, NULL, &back, e, sizeof e), ZL_OK);
    const zl_node_t *bi = back ? zl_node_child(back, 2) : NULL;
    CHECK(back && back->n_children == 1 && bi && bi->n_children == 2);
    zl_node_free(back);
    zl_buf_reset(&b); /* the legacy number encodes the same */
    CHECK_EQ_INT(zl_content_encode_create(ZL_CF_JSON_OLD, inst, &obj, &b, e, sizeof e), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), "{\"bn\":\"/3303/\",\"e\":[{\"n\":\"2/5700\",\"v\":-4.0},{\"n\":\"2/5701\",\"sv\":\"Cel\"}]}");
    zl_buf_free(&b);
    zl_node_free(inst);
}

int main(void) {
    test_device_example();
    test_types();
    test_errors();
    test_encode_errors();
    test_create();
    TEST_MAIN_END();
}
