/* SPDX-License-Identifier: Apache-2.0 */
/* LwM2M CBOR (11544) and plain CBOR (60): hand-written payloads (nested maps
 * and array keys combining path levels), every value type, round trips
 * through the encoders with expected bytes, and malformed input rejected. */
#include <stdlib.h>
#include <string.h>

#include "lwm2m/content.h"
#include "lwm2m/lwm2m_cbor.h"
#include "lwm2m/senml.h"
#include "test.h"
#include "lwm2m_test.h"
#include "common/buf.h"

/* Read /3/0 (Device): {3: {0: {0: "ACME", 6: {0: 1, 1: 5}, 9: 95, 13: 1367491215, 16: "U"}}} */
static const uint8_t dev_nested[] = {
    0xA1, 0x03, 0xA1, 0x00, 0xA5,
    0x00, 0x64, 'A', 'C', 'M', 'E',
    0x06, 0xA2, 0x00, 0x01, 0x01, 0x05,
    0x09, 0x18, 0x5F,
    0x0D, 0x1A, 0x51, 0x82, 0x42, 0x8F,
    0x10, 0x61, 'U',
};

/* The same with the first two levels combined: {[3, 0]: {...}} */
static const uint8_t dev_array_key[] = {
    0xA1, 0x82, 0x03, 0x00, 0xA5,
    0x00, 0x64, 'A', 'C', 'M', 'E',
    0x06, 0xA2, 0x00, 0x01, 0x01, 0x05,
    0x09, 0x18, 0x5F,
    0x0D, 0x1A, 0x51, 0x82, 0x42, 0x8F,
    0x10, 0x61, 'U',
};

/* Mixed: {3: {[0, 6]: {1: 5, 0: 1}, [0, 9]: 95, 0: {0: "ACME"}}} with an
 * indefinite-length map, a chunked text string and tag 1 on the time. */
static const uint8_t dev_mixed[] = {
    0xBF, 0x03, 0xA3,
    0x82, 0x00, 0x06, 0xA2, 0x01, 0x05, 0x00, 0x01,
    0x82, 0x00, 0x09, 0x18, 0x5F,
    0x00, 0xA3, 0x00, 0x7F, 0x62, 'A', 'C', 0x62, 'M', 'E', 0xFF,
    0x0D, 0xC1, 0x1A, 0x51, 0x82, 0x42, 0x8F,
    0x10, 0x61, 'U',
    0xFF,
};

static char last_err[256];

static zl_err_t dec(const uint8_t *b, size_t n, const char *path, zl_node_t **out) {
    zl_path_t p = zt_path(path);
    return zl_lwm2m_cbor_decode(b, n, &p, NULL, out, last_err, sizeof last_err);
}

static void check_device(const zl_node_t *inst) {
    CHECK_EQ_INT(inst->kind, ZL_N_INSTANCE);
    CHECK_EQ_INT(inst->id, 0);
    CHECK_EQ_INT(inst->n_children, 5);
    const zl_node_t *r = zl_node_child(inst, 0);
    CHECK(r && r->kind == ZL_N_RESOURCE && r->value.type == ZL_T_STRING);
    if (r) CHECK_STR((const char *)r->value.bytes, "ACME");
    r = zl_node_child(inst, 6);
    CHECK(r && r->kind == ZL_N_MULTI && r->n_children == 2);
    if (r && r->n_children == 2) {
        CHECK(r->children[0].kind == ZL_N_RES_INSTANCE && r->children[0].id == 0);
        CHECK(r->children[0].value.type == ZL_T_INTEGER && r->children[0].value.u.i == 1);
        CHECK(r->children[1].id == 1 && r->children[1].value.u.i == 5);
    }
    r = zl_node_child(inst, 9);
    CHECK(r && r->kind == ZL_N_RESOURCE && r->value.type == ZL_T_INTEGER && r->value.u.i == 95);
    r = zl_node_child(inst, 13);
    CHECK(r && r->value.type == ZL_T_TIME && r->value.u.i == 1367491215);
    r = zl_node_child(inst, 16);
    CHECK(r && r->value.type == ZL_T_STRING && r->value.len == 1);
}

/* Encodes n at path (bytes compared when expect is given), decodes again and
 * compares node counts. */
static void round_trip(const zl_node_t *n, const char *path, const uint8_t *expect, size_t elen) {
    zl_path_t p = zt_path(path);
    zl_buf_t b;
    zl_buf_init(&b, 0);
    CHECK_EQ_INT(zl_lwm2m_cbor_encode(n, &p, &b), ZL_OK);
    if (expect) {
        CHECK_EQ_INT(b.len, elen);
        if (b.len == elen) CHECK_MEM(b.data, expect, elen);
    }
    zl_node_t *m = NULL;
    CHECK_EQ_INT(zl_lwm2m_cbor_decode(b.data, b.len, &p, NULL, &m, last_err, sizeof last_err), ZL_OK);
    if (GUARD(m)) CHECK_EQ_INT(zt_count_nodes(m), zt_count_nodes(n));
    zl_node_free(m);
    zl_buf_free(&b);
}

static void test_device(void) {
    zl_node_t *n = NULL;
    CHECK_EQ_INT(dec(dev_nested, sizeof dev_nested, "/3/0", &n), ZL_OK);
    if (GUARD(n)) {
        check_device(n);
        /* the encoder combines the request path into an array key */
        round_trip(n, "/3/0", dev_array_key, sizeof dev_array_key);
        zl_node_free(n);
    }
    CHECK_EQ_INT(dec(dev_array_key, sizeof dev_array_key, "/3/0", &n), ZL_OK);
    if (GUARD(n)) check_device(n);
    zl_node_free(n);
    CHECK_EQ_INT(dec(dev_mixed, sizeof dev_mixed, "/3/0", &n), ZL_OK);
    if (GUARD(n)) check_device(n);
    zl_node_free(n);
    /* Object read: the same payload as /3 */
    CHECK_EQ_INT(dec(dev_nested, sizeof dev_nested, "/3", &n), ZL_OK);
    if (GUARD(n)) {
        CHECK(n->kind == ZL_N_OBJECT && n->id == 3 && n->n_children == 1);
        if (n->n_children == 1) check_device(&n->children[0]);
        round_trip(n, "/3", dev_nested, sizeof dev_nested);
        zl_node_free(n);
    }
    /* Multiple resource and resource instance paths */
    CHECK_EQ_INT(dec(dev_nested, sizeof dev_nested, "/3/0/6", &n), ZL_ERR_INVALID);
    static const uint8_t multi[] = {0xA1, 0x83, 0x03, 0x00, 0x06, 0xA2, 0x00, 0x01, 0x01, 0x05};
    CHECK_EQ_INT(dec(multi, sizeof multi, "/3/0/6", &n), ZL_OK);
    if (GUARD(n)) {
        CHECK(n->kind == ZL_N_MULTI && n->id == 6 && n->n_children == 2);
        round_trip(n, "/3/0/6", multi, sizeof multi);
        zl_node_free(n);
    }
    static const uint8_t ri[] = {0xA1, 0x84, 0x03, 0x00, 0x06, 0x01, 0x05};
    CHECK_EQ_INT(dec(ri, sizeof ri, "/3/0/6/1", &n), ZL_OK);
    if (GUARD(n)) {
        CHECK(n->kind == ZL_N_RES_INSTANCE && n->id == 1 && n->value.u.i == 5);
        round_trip(n, "/3/0/6/1", ri, sizeof ri);
        zl_node_free(n);
    }
    static const uint8_t res[] = {0xA1, 0x83, 0x03, 0x00, 0x09, 0x18, 0x5F};
    CHECK_EQ_INT(dec(res, sizeof res, "/3/0/9", &n), ZL_OK);
    if (GUARD(n)) {
        CHECK(n->kind == ZL_N_RESOURCE && n->id == 9 && n->value.u.i == 95);
        round_trip(n, "/3/0/9", res, sizeof res);
        zl_node_free(n);
    }
    static const uint8_t empty_obj[] = {0xA1, 0x03, 0xA0};
    CHECK_EQ_INT(dec(empty_obj, sizeof empty_obj, "/3", &n), ZL_OK);
    if (GUARD(n)) {
        CHECK(n->kind == ZL_N_OBJECT && n->n_children == 0);
        round_trip(n, "/3", empty_obj, sizeof empty_obj);
        zl_node_free(n);
    }
    /* overlapping (not equal) keys merge: {3: {0: {9: 1}}, [3, 1]: {9: 2}} */
    static const uint8_t overlap[] = {0xA2, 0x03, 0xA1, 0x00, 0xA1, 0x09, 0x01, 0x82, 0x03, 0x01, 0xA1, 0x09, 0x02};
    CHECK_EQ_INT(dec(overlap, sizeof overlap, "/3", &n), ZL_OK);
    if (GUARD(n)) {
        CHECK(n->n_children == 2 && zl_node_child(n, 0) && zl_node_child(n, 1));
        zl_node_free(n);
    }
    static const uint8_t empty_map[] = {0xA0};
    CHECK_EQ_INT(dec(empty_map, 1, "/3/0", &n), ZL_OK);
    if (GUARD(n)) CHECK(n->kind == ZL_N_INSTANCE && n->n_children == 0);
    zl_node_free(n);
}

static void test_types(void) {
    zl_node_t *n = NULL;
    /* {[1, 0]: {10: "11:0", 6: true, 1: 86400}} Server: OBJLNK, BOOLEAN, INTEGER */
    static const uint8_t srv[] = {0xA1, 0x82, 0x01, 0x00, 0xA3, 0x0A, 0x64, '1', '1', ':', '0',
                                  0x06, 0xF5, 0x01, 0x1A, 0x00, 0x01, 0x51, 0x80};
    CHECK_EQ_INT(dec(srv, sizeof srv, "/1/0", &n), ZL_OK);
    if (GUARD(n)) {
        const zl_node_t *r = zl_node_child(n, 10);
        CHECK(r && r->value.type == ZL_T_OBJLNK && r->value.u.lnk.oid == 11 && r->value.u.lnk.iid == 0);
        r = zl_node_child(n, 6);
        CHECK(r && r->value.type == ZL_T_BOOLEAN && r->value.u.b);
        r = zl_node_child(n, 1);
        CHECK(r && r->value.type == ZL_T_INTEGER && r->value.u.i == 86400);
        static const uint8_t srv_sorted[] = {0xA1, 0x82, 0x01, 0x00, 0xA3, 0x01, 0x1A, 0x00, 0x01, 0x51, 0x80,
                                             0x06, 0xF5, 0x0A, 0x64, '1', '1', ':', '0'};
        round_trip(n, "/1/0", srv_sorted, sizeof srv_sorted);
        zl_node_free(n);
    }
    /* {[0, 0, 3]: h'0001ff'} Security public key: OPAQUE */
    static const uint8_t sec[] = {0xA1, 0x83, 0x00, 0x00, 0x03, 0x43, 0x00, 0x01, 0xFF};
    CHECK_EQ_INT(dec(sec, sizeof sec, "/0/0/3", &n), ZL_OK);
    if (GUARD(n)) {
        CHECK(n->value.type == ZL_T_OPAQUE && n->value.len == 3);
        if (n->value.len == 3) CHECK_MEM(n->value.bytes, "\x00\x01\xff", 3);
        round_trip(n, "/0/0/3", sec, sizeof sec);
        zl_node_free(n);
    }
    /* {[3303, 0]: {5700: 21.5f, 5701: "Cel"}} and an integer for FLOAT */
    static const uint8_t temp[] = {0xA1, 0x82, 0x19, 0x0C, 0xE7, 0x00, 0xA2, 0x19, 0x16, 0x44,
                                   0xFA, 0x41, 0xAC, 0x00, 0x00, 0x19, 0x16, 0x45, 0x63, 'C', 'e', 'l'};
    CHECK_EQ_INT(dec(temp, sizeof temp, "/3303/0", &n), ZL_OK);
    if (GUARD(n)) {
        const zl_node_t *r = zl_node_child(n, 5700);
        CHECK(r && r->value.type == ZL_T_FLOAT && r->value.u.f == 21.5);
        round_trip(n, "/3303/0", temp, sizeof temp);
        zl_node_free(n);
    }
    static const uint8_t temp_int[] = {0xA1, 0x83, 0x19, 0x0C, 0xE7, 0x00, 0x19, 0x16, 0x44, 0x38, 0x63};
    CHECK_EQ_INT(dec(temp_int, sizeof temp_int, "/3303/0/5700", &n), ZL_OK);
    if (GUARD(n)) CHECK(n->value.type == ZL_T_FLOAT && n->value.u.f == -100.0);
    zl_node_free(n);
    /* double that is not a float stays 8 bytes: 0.1 */
    static const uint8_t dbl[] = {0xA1, 0x83, 0x19, 0x0C, 0xE7, 0x00, 0x19, 0x16, 0x44,
                                  0xFB, 0x3F, 0xB9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A};
    CHECK_EQ_INT(dec(dbl, sizeof dbl, "/3303/0/5700", &n), ZL_OK);
    if (GUARD(n)) {
        CHECK(n->value.u.f == 0.1);
        round_trip(n, "/3303/0/5700", dbl, sizeof dbl);
        zl_node_free(n);
    }
    /* Unknown object 9999: types from CBOR major types, negative integers. */
    static const uint8_t unk[] = {0xA1, 0x82, 0x19, 0x27, 0x0F, 0x01, 0xA5,
                                  0x01, 0x24,                         /* -5 */
                                  0x02, 0xF9, 0x3E, 0x00,             /* half 1.5 */
                                  0x03, 0x61, 'x',                    /* text */
                                  0x04, 0x41, 0x07,                   /* bytes */
                                  0x05, 0x3B, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}; /* INT64_MIN */
    CHECK_EQ_INT(dec(unk, sizeof unk, "/9999/1", &n), ZL_OK);
    if (GUARD(n)) {
        const zl_node_t *r = zl_node_child(n, 1);
        CHECK(r && r->value.type == ZL_T_INTEGER && r->value.u.i == -5);
        r = zl_node_child(n, 2);
        CHECK(r && r->value.type == ZL_T_FLOAT && r->value.u.f == 1.5);
        r = zl_node_child(n, 3);
        CHECK(r && r->value.type == ZL_T_STRING && r->value.len == 1);
        r = zl_node_child(n, 4);
        CHECK(r && r->value.type == ZL_T_OPAQUE && r->value.len == 1 && r->value.bytes[0] == 7);
        r = zl_node_child(n, 5);
        CHECK(r && r->value.type == ZL_T_INTEGER && r->value.u.i == INT64_MIN);
        round_trip(n, "/9999/1", NULL, 0);
        zl_node_free(n);
    }
}

static void expect_err(const uint8_t *b, size_t len, const char *path, zl_err_t want, const char *needle) {
    zt_expect_decode_err(zl_lwm2m_cbor_decode, b, len, path, want, needle);
}

#define E(path, want, needle, ...) do { static const uint8_t _b[] = {__VA_ARGS__}; \
    expect_err(_b, sizeof _b, path, want, needle); } while (0)

static void test_errors(void) {
    expect_err((const uint8_t *)"", 0, "/3/0", ZL_ERR_INVALID, "empty");
    E("/3/0", ZL_ERR_INVALID, "not a map", 0x01);
    E("/3/0", ZL_ERR_INVALID, "1 bytes after", 0xA0, 0x00);
    E("/3/0", ZL_ERR_TRUNCATED, "truncated", 0xA1, 0x03);
    E("/3/0", ZL_ERR_INVALID, "a text string is not a path id", 0xA1, 0x61, '3', 0x01);
    E("/3/0", ZL_ERR_INVALID, "id 65535 exceeds", 0xA1, 0x19, 0xFF, 0xFF, 0x01);
    E("/3/0", ZL_ERR_INVALID, "empty path array", 0xA1, 0x80, 0x01);
    E("/3/0", ZL_ERR_INVALID, "deeper than 4", 0xA1, 0x85, 0x03, 0x00, 0x06, 0x00, 0x01, 0x01);
    E("/3/0", ZL_ERR_INVALID, "deeper than 4", 0xA1, 0x84, 0x03, 0x00, 0x06, 0x00, 0xA1, 0x01, 0x01);
    E("/3/0", ZL_ERR_INVALID, "map at /3/0/6/0", 0xA1, 0x84, 0x03, 0x00, 0x06, 0x00, 0xA0);
    E("/3/0", ZL_ERR_INVALID, "/3/1 is not under the requested path /3/0", 0xA1, 0x82, 0x03, 0x01, 0xA0);
    E("/3/0", ZL_ERR_INVALID, "/4 is not under", 0xA1, 0x04, 0xA0);
    E("/3", ZL_ERR_INVALID, "/3/0 carries a value", 0xA1, 0x03, 0xA1, 0x00, 0x05);
    E("/3/0", ZL_ERR_INVALID, "duplicate value /3/0/9", 0xA2, 0x83, 0x03, 0x00, 0x09, 0x01,
      0x03, 0xA1, 0x00, 0xA1, 0x09, 0x02);
    E("/3", ZL_ERR_INVALID, "duplicate map key /3", 0xA2, 0x03, 0xA1, 0x00, 0xA1, 0x09, 0x01,
      0x03, 0xA1, 0x00, 0xA1, 0x0A, 0x02);
    E("/3", ZL_ERR_INVALID, "duplicate map key /3/0", 0xA2, 0x82, 0x03, 0x00, 0xA0, 0x82, 0x03, 0x00, 0xA0);
    E("/3/0", ZL_ERR_INVALID, "duplicate map key /3/0/6", 0xA1, 0x82, 0x03, 0x00, 0xA2, 0x06, 0x01, 0x06, 0xA1,
      0x00, 0x01);
    E("/3/0", ZL_ERR_INVALID, "/3/0/6 given both", 0xA2, 0x83, 0x03, 0x00, 0x06, 0x01,
      0x82, 0x03, 0x00, 0xA1, 0x06, 0xA1, 0x00, 0x01);
    E("/3/0", ZL_ERR_INVALID, "/3/0/9: a text string does not fit the model type INTEGER",
      0xA1, 0x83, 0x03, 0x00, 0x09, 0x61, '1');
    E("/3/0", ZL_ERR_INVALID, "/3/0/0: an unsigned integer does not fit the model type STRING",
      0xA1, 0x83, 0x03, 0x00, 0x00, 0x01);
    E("/3/0", ZL_ERR_INVALID, "null is not a resource value", 0xA1, 0x83, 0x03, 0x00, 0x09, 0xF6);
    E("/3/0", ZL_ERR_INVALID, "an array is not a resource value", 0xA1, 0x83, 0x03, 0x00, 0x09, 0x80);
    E("/3/0", ZL_ERR_INVALID, "out of the signed 64-bit range", 0xA1, 0x83, 0x03, 0x00, 0x09,
      0x1B, 0x80, 0, 0, 0, 0, 0, 0, 0);
    E("/3/0", ZL_ERR_INVALID, "unexpected tag 2", 0xA1, 0x83, 0x03, 0x00, 0x0D, 0xC2, 0x41, 0x01);
    E("/3/0", ZL_ERR_INVALID, "unexpected tag 1", 0xA1, 0x83, 0x03, 0x00, 0x09, 0xC1, 0x01);
    E("/3/0", ZL_ERR_INVALID, "epoch time tag around a float", 0xA1, 0x83, 0x03, 0x00, 0x0D,
      0xC1, 0xF9, 0x3C, 0x00);
    E("/1/0", ZL_ERR_INVALID, "not an object link", 0xA1, 0x83, 0x01, 0x00, 0x0A, 0x61, '1');
    E("/0/0", ZL_ERR_INVALID, "a text string does not fit the model type OPAQUE",
      0xA1, 0x83, 0x00, 0x00, 0x03, 0x61, 'x');
    E("/3/0/9", ZL_ERR_INVALID, "no value for single resource /3/0/9", 0xA0);
    E("/3/0/6/1", ZL_ERR_INVALID, "no value for /3/0/6/1", 0xA0);
    /* huge declared lengths: rejected before libcbor allocates */
    E("/3/0", ZL_ERR_INVALID, "declares", 0x9B, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00);
    E("/3/0", ZL_ERR_INVALID, "declares", 0xA1, 0x03, 0xBA, 0x10, 0x00, 0x00, 0x00);
    E("/3/0", ZL_ERR_TRUNCATED, NULL, 0xA1, 0x83, 0x03, 0x00, 0x00, 0x7B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xFF);
    /* indefinite-length abuse: unterminated, and a break out of place */
    E("/3/0", ZL_ERR_TRUNCATED, NULL, 0xBF, 0x03, 0xBF);
    E("/3/0", ZL_ERR_INVALID, NULL, 0xFF);
    E("/3/0", ZL_ERR_INVALID, NULL, 0xA1, 0x83, 0x03, 0x00, 0x00, 0x7F, 0x41, 0x00, 0xFF);

    /* deep nesting of arrays (as a value): libcbor's stack limit */
    {
        size_t depth = 5000;
        uint8_t *b = malloc(depth + 8);
        size_t k = 0;
        b[k++] = 0xA1; b[k++] = 0x83; b[k++] = 0x03; b[k++] = 0x00; b[k++] = 0x09;
        for (size_t i = 0; i < depth; i++) b[k++] = 0x81;
        b[k++] = 0x00;
        zl_node_t *n = (zl_node_t *)1;
        zl_err_t e = dec(b, k, "/3/0", &n);
        CHECK(e == ZL_ERR_INVALID || e == ZL_ERR_TOO_LARGE);
        CHECK(n == NULL);
        free(b);
    }
    /* more than 10000 values; exactly 10000 is fine */
    for (int extra = 0; extra <= 1; extra++) {
        zl_buf_t b;
        zl_buf_init(&b, 0);
        int count = 10000 + extra;
        uint8_t hdr[] = {0xA1, 0x82, 0x19, 0x27, 0x0F, 0x00, 0xB9, (uint8_t)(count >> 8), (uint8_t)count};
        zl_buf_append(&b, hdr, sizeof hdr);
        for (int i = 0; i < count; i++) {
            uint8_t kv[] = {0x19, (uint8_t)(i >> 8), (uint8_t)i, 0x01};
            zl_buf_append(&b, kv, sizeof kv);
        }
        zl_node_t *n = NULL;
        zl_err_t e = dec(b.data, b.len, "/9999/0", &n);
        CHECK_EQ_INT(e, extra ? ZL_ERR_TOO_LARGE : ZL_OK);
        if (extra) CHECK(n == NULL);
        else if (GUARD(n)) CHECK_EQ_INT(n->n_children, 10000);
        zl_node_free(n);
        zl_buf_free(&b);
    }
    /* 1 MiB cap */
    {
        size_t big = (1u << 20) + 1;
        uint8_t *b = calloc(1, big);
        expect_err(b, big, "/3/0", ZL_ERR_TOO_LARGE, "at most");
        free(b);
    }
}

/* The root path "/" (LwM2M Send): like SenML, a ZL_SENML_ROOT_ID container of
 * the objects the payload names, each built as for an object read. */
static void test_root(void) {
    zl_node_t *n = NULL;
    /* {3303: {0: {5700: 21.5, 5701: "Cel"}, 1: {5700: -3}}, [3, 0]: {9: 77, 6: {0: 1}}} */
    static const uint8_t send[] = {
        0xA2,
        0x19, 0x0C, 0xE7, 0xA2,
        0x00, 0xA2, 0x19, 0x16, 0x44, 0xF9, 0x4D, 0x60, 0x19, 0x16, 0x45, 0x63, 'C', 'e', 'l',
        0x01, 0xA1, 0x19, 0x16, 0x44, 0x22,
        0x82, 0x03, 0x00, 0xA2, 0x09, 0x18, 0x4D, 0x06, 0xA1, 0x00, 0x01,
    };
    CHECK_EQ_INT(dec(send, sizeof send, "/", &n), ZL_OK);
    if (GUARD(n)) {
        CHECK(n->kind == ZL_N_OBJECT && n->id == ZL_SENML_ROOT_ID && n->n_children == 2);
        const zl_node_t *dev = n->n_children == 2 ? &n->children[0] : NULL, *tmp = dev ? dev + 1 : NULL;
        CHECK(dev && dev->kind == ZL_N_OBJECT && dev->id == 3 && dev->n_children == 1);
        CHECK(tmp && tmp->kind == ZL_N_OBJECT && tmp->id == 3303 && tmp->n_children == 2);
        if (dev && dev->n_children == 1) {
            const zl_node_t *r = zl_node_child(&dev->children[0], 9);
            CHECK(r && r->kind == ZL_N_RESOURCE && r->value.type == ZL_T_INTEGER && r->value.u.i == 77);
            r = zl_node_child(&dev->children[0], 6);
            CHECK(r && r->kind == ZL_N_MULTI && r->n_children == 1);
        }
        if (tmp && tmp->n_children == 2) {
            const zl_node_t *i0 = &tmp->children[0], *i1 = &tmp->children[1];
            CHECK(i0->kind == ZL_N_INSTANCE && i0->id == 0 && i0->n_children == 2);
            CHECK(i1->kind == ZL_N_INSTANCE && i1->id == 1 && i1->n_children == 1);
            const zl_node_t *r = zl_node_child(i0, 5700);
            CHECK(r && r->value.type == ZL_T_FLOAT && r->value.u.f == 21.5);
            r = zl_node_child(i0, 5701);
            CHECK(r && r->value.type == ZL_T_STRING);
            if (r) CHECK_STR((const char *)r->value.bytes, "Cel");
            r = zl_node_child(i1, 5700); /* an integer where the model says FLOAT */
            CHECK(r && r->value.type == ZL_T_FLOAT && r->value.u.f == -3.0);
        }
        /* each object encodes back at its own path */
        for (size_t i = 0; i < n->n_children; i++) {
            char ps[16];
            snprintf(ps, sizeof ps, "/%u", (unsigned)n->children[i].id);
            round_trip(&n->children[i], ps, NULL, 0);
        }
        /* the container is no LwM2M object: the encoder refuses it */
        zl_path_t root = zt_path("/");
        zl_buf_t b;
        zl_buf_init(&b, 0);
        CHECK_EQ_INT(zl_lwm2m_cbor_encode(n, &root, &b), ZL_ERR_INVALID);
        CHECK_EQ_INT(b.len, 0);
        zl_buf_free(&b);
        zl_node_free(n);
    }
    /* the same values as one array key per resource, in another order */
    static const uint8_t flat[] = {
        0xA2,
        0x83, 0x03, 0x00, 0x09, 0x18, 0x4D,
        0x83, 0x19, 0x0C, 0xE7, 0x00, 0x19, 0x16, 0x44, 0xF9, 0x4D, 0x60,
    };
    CHECK_EQ_INT(dec(flat, sizeof flat, "/", &n), ZL_OK);
    if (GUARD(n)) {
        CHECK(n->id == ZL_SENML_ROOT_ID && n->n_children == 2);
        if (n->n_children == 2) CHECK(n->children[0].id == 3 && n->children[1].id == 3303);
        zl_node_free(n);
    }
    /* an empty map: a container with no objects (Send rejects it as empty) */
    static const uint8_t m0[] = {0xA0};
    CHECK_EQ_INT(dec(m0, 1, "/", &n), ZL_OK);
    if (GUARD(n)) CHECK(n->kind == ZL_N_OBJECT && n->id == ZL_SENML_ROOT_ID && n->n_children == 0);
    zl_node_free(n);
    /* errors name the path, as below the root */
    E("/", ZL_ERR_INVALID, "not a map", 0x80);
    E("/", ZL_ERR_INVALID, "/3 carries a value but is not a resource", 0xA1, 0x03, 0x01);
    E("/", ZL_ERR_INVALID, "/3/0 carries a value", 0xA1, 0x82, 0x03, 0x00, 0x01);
    E("/", ZL_ERR_INVALID, "duplicate value /3/0/9", 0xA2, 0x83, 0x03, 0x00, 0x09, 0x01,
      0x03, 0xA1, 0x00, 0xA1, 0x09, 0x02);
    E("/", ZL_ERR_INVALID, "duplicate map key /3", 0xA2, 0x03, 0xA0, 0x03, 0xA0);
    E("/", ZL_ERR_INVALID, "/3/0/6 given both", 0xA2, 0x83, 0x03, 0x00, 0x06, 0x01,
      0x84, 0x03, 0x00, 0x06, 0x00, 0x01);
    E("/", ZL_ERR_INVALID, "/3303/0/5700: a text string does not fit the model type FLOAT",
      0xA1, 0x83, 0x19, 0x0C, 0xE7, 0x00, 0x19, 0x16, 0x44, 0x61, 'x');
    E("/", ZL_ERR_TRUNCATED, "truncated", 0xA1, 0x19, 0x0C);
    expect_err((const uint8_t *)"", 0, "/", ZL_ERR_INVALID, "empty");
}

static void test_single(void) {
    char err[160];
    zl_node_t *n = NULL;
    zl_path_t p = zt_path("/3/0/9");
    static const uint8_t i95[] = {0x18, 0x5F};
    CHECK_EQ_INT(zl_cbor_single_decode(i95, 2, &p, NULL, &n, err, sizeof err), ZL_OK);
    if (GUARD(n)) {
        CHECK(n->kind == ZL_N_RESOURCE && n->id == 9 && n->value.type == ZL_T_INTEGER && n->value.u.i == 95);
        zl_buf_t b;
        zl_buf_init(&b, 0);
        CHECK_EQ_INT(zl_cbor_single_encode(n, &p, &b), ZL_OK);
        CHECK(b.len == 2 && memcmp(b.data, i95, 2) == 0);
        zl_buf_free(&b);
        zl_node_free(n);
    }
    struct { const char *path; uint8_t bytes[12]; size_t len; zl_type_t t; } ok[] = {
        {"/3/0/0", {0x64, 'A', 'C', 'M', 'E'}, 5, ZL_T_STRING},
        {"/3303/0/5700", {0xFA, 0x41, 0xAC, 0x00, 0x00}, 5, ZL_T_FLOAT},
        {"/1/0/6", {0xF4}, 1, ZL_T_BOOLEAN},
        {"/1/0/10", {0x64, '1', '1', ':', '0'}, 5, ZL_T_OBJLNK},
        {"/0/0/3", {0x42, 0x01, 0x02}, 3, ZL_T_OPAQUE},
        {"/3/0/13", {0x1A, 0x51, 0x82, 0x42, 0x8F}, 5, ZL_T_TIME},
        {"/3/0/7/1", {0x19, 0x13, 0x88}, 3, ZL_T_INTEGER},
        {"/9999/0/1", {0x20}, 1, ZL_T_INTEGER},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        zl_path_t q = zt_path(ok[i].path);
        n = NULL;
        CHECK_EQ_INT(zl_cbor_single_decode(ok[i].bytes, ok[i].len, &q, NULL, &n, err, sizeof err), ZL_OK);
        if (!GUARD(n)) continue;
        CHECK_EQ_INT(n->value.type, ok[i].t);
        CHECK_EQ_INT(n->kind, q.len == 3 ? ZL_N_RESOURCE : ZL_N_RES_INSTANCE);
        zl_buf_t b;
        zl_buf_init(&b, 0);
        CHECK_EQ_INT(zl_cbor_single_encode(n, &q, &b), ZL_OK);
        CHECK_EQ_INT(b.len, ok[i].len);
        if (b.len == ok[i].len) CHECK_MEM(b.data, ok[i].bytes, b.len);
        zl_buf_free(&b);
        zl_node_free(n);
    }
    /* tag 1 time decodes, re-encodes as a plain integer */
    static const uint8_t t1[] = {0xC1, 0x1A, 0x51, 0x82, 0x42, 0x8F};
    zl_path_t tp = zt_path("/3/0/13");
    CHECK_EQ_INT(zl_cbor_single_decode(t1, sizeof t1, &tp, NULL, &n, err, sizeof err), ZL_OK);
    if (GUARD(n)) CHECK(n->value.type == ZL_T_TIME && n->value.u.i == 1367491215);
    zl_node_free(n);
    /* errors */
    static const uint8_t map[] = {0xA0}, two[] = {0x01, 0x02}, txt[] = {0x61, 'x'};
    CHECK_EQ_INT(zl_cbor_single_decode(map, 1, &p, NULL, &n, err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "a map is not a resource value") != NULL);
    CHECK_EQ_INT(zl_cbor_single_decode(two, 2, &p, NULL, &n, err, sizeof err), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_cbor_single_decode(txt, 2, &p, NULL, &n, err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "/3/0/9: a text string does not fit the model type INTEGER") != NULL);
    CHECK_EQ_INT(zl_cbor_single_decode(i95, 0, &p, NULL, &n, err, sizeof err), ZL_ERR_INVALID);
    zl_path_t inst = zt_path("/3/0");
    CHECK_EQ_INT(zl_cbor_single_decode(i95, 2, &inst, NULL, &n, err, sizeof err), ZL_ERR_INVALID);
    CHECK(n == NULL);
    /* encoder refuses containers */
    zl_node_t *o = zl_node_new(ZL_N_INSTANCE, 0);
    zl_buf_t b;
    zl_buf_init(&b, 0);
    CHECK_EQ_INT(zl_cbor_single_encode(o, &inst, &b), ZL_ERR_INVALID);
    CHECK_EQ_INT(b.len, 0);
    zl_node_free(o);
    zl_buf_free(&b);
}

/* Create on /3 (instance 0): the raw encoder keeps its shape check (an
 * instance is not what /3 addresses); zl_content_encode_create sends the
 * object holding the instance, which is exactly the Object read payload. */
static void test_create(void) {
    zl_node_t *n = NULL;
    CHECK_EQ_INT(dec(dev_nested, sizeof dev_nested, "/3/0", &n), ZL_OK);
    if (!GUARD(n)) return;
    zl_path_t obj = zt_path("/3");
    zl_buf_t b;
    zl_buf_init(&b, 0);
    CHECK_EQ_INT(zl_lwm2m_cbor_encode(n, &obj, &b), ZL_ERR_INVALID);
    CHECK_EQ_INT(b.len, 0);
    char e[200];
    CHECK_EQ_INT(zl_content_encode_create(ZL_CF_LWM2M_CBOR, n, &obj, &b, e, sizeof e), ZL_OK);
    CHECK_EQ_INT(b.len, sizeof dev_nested);
    if (b.len == sizeof dev_nested) CHECK_MEM(b.data, dev_nested, sizeof dev_nested);
    n->id = ZL_CREATE_NO_ID; /* no id: only TLV can send that */
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_content_encode_create(ZL_CF_LWM2M_CBOR, n, &obj, &b, e, sizeof e), ZL_ERR_INVALID);
    CHECK(strstr(e, "instance id") != NULL && b.len == 0);
    zl_buf_free(&b);
    zl_node_free(n);
}

int main(void) {
    test_device();
    test_types();
    test_errors();
    test_root();
    test_single();
    test_create();
    TEST_MAIN_END();
}
