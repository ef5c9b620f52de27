/* SPDX-License-Identifier: Apache-2.0 */
/* OMA-TLV codec: spec §6.4.3 example vectors decoded to typed values and
 * re-encoded byte-exact; malformed input (truncation, bad nesting, reserved
 * ids, node cap) rejected with the right error; encoder width choices. */
#include <stdlib.h>
#include <string.h>

#include "lwm2m/tlv.h"
#include "test.h"
#include "lwm2m_test.h"
#include "common/buf.h"

/* LwM2M 1.0 §6.4.3.1: Read /3/0 (Device) answered with bare resource TLVs. */
static const uint8_t device0[] = {
    0xC8, 0x00, 0x14, 'O', 'p', 'e', 'n', ' ', 'M', 'o', 'b', 'i', 'l', 'e', ' ',
    'A', 'l', 'l', 'i', 'a', 'n', 'c', 'e',
    0xC8, 0x01, 0x16, 'L', 'i', 'g', 'h', 't', 'w', 'e', 'i', 'g', 'h', 't', ' ',
    'M', '2', 'M', ' ', 'C', 'l', 'i', 'e', 'n', 't',
    0xC8, 0x02, 0x09, '3', '4', '5', '0', '0', '0', '1', '2', '3',
    0xC3, 0x03, '1', '.', '0',
    0x86, 0x06, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05,
    0x88, 0x07, 0x08, 0x42, 0x00, 0x0E, 0xD8, 0x42, 0x01, 0x13, 0x88,
    0x87, 0x08, 0x41, 0x00, 0x7D, 0x42, 0x01, 0x03, 0x84,
    0xC1, 0x09, 0x64,
    0xC1, 0x0A, 0x0F,
    0x83, 0x0B, 0x41, 0x00, 0x00,
    0xC4, 0x0D, 0x51, 0x82, 0x42, 0x8F,
    0xC6, 0x0E, '+', '0', '2', ':', '0', '0',
    0xC1, 0x10, 'U',
};

/* §6.4.3.2: Read /2 (Access Control), two object instances; the second ACL
 * has a resource instance with a 16-bit id (310). */
static const uint8_t acl[] = {
    0x08, 0x00, 0x0E, 0xC1, 0x00, 0x01, 0xC1, 0x01, 0x00, 0x83, 0x02, 0x41, 0x7F, 0x07,
    0xC1, 0x03, 0x7F,
    0x08, 0x02, 0x12, 0xC1, 0x00, 0x03, 0xC1, 0x01, 0x00, 0x87, 0x02, 0x41, 0x7F, 0x07,
    0x61, 0x01, 0x36, 0x01, 0xC1, 0x03, 0x7F,
};

static zl_err_t dec(const uint8_t *b, size_t n, const char *path, zl_node_t **out) {
    zl_path_t p = zt_path(path);
    char err[160];
    return zl_tlv_decode(b, n, &p, NULL, out, err, sizeof err);
}

static void check_device_instance(const zl_node_t *inst) {
    CHECK_EQ_INT(inst->kind, ZL_N_INSTANCE);
    CHECK_EQ_INT(inst->id, 0);
    CHECK_EQ_INT(inst->n_children, 13);
    const zl_node_t *r = zl_node_child(inst, 0);
    CHECK(r && r->kind == ZL_N_RESOURCE && r->value.type == ZL_T_STRING);
    if (r) CHECK_STR((const char *)r->value.bytes, "Open Mobile Alliance");
    r = zl_node_child(inst, 1);
    if (GUARD(r)) CHECK_STR((const char *)r->value.bytes, "Lightweight M2M Client");
    r = zl_node_child(inst, 3);
    if (GUARD(r)) CHECK_EQ_INT(r->value.len, 3);
    r = zl_node_child(inst, 6);
    CHECK(r && r->kind == ZL_N_MULTI && r->n_children == 2);
    if (r && r->n_children == 2) {
        CHECK_EQ_INT(r->children[0].kind, ZL_N_RES_INSTANCE);
        CHECK_EQ_INT(r->children[0].value.type, ZL_T_INTEGER);
        CHECK_EQ_INT(r->children[0].value.u.i, 1);
        CHECK_EQ_INT(r->children[1].id, 1);
        CHECK_EQ_INT(r->children[1].value.u.i, 5);
    }
    r = zl_node_child(inst, 7);
    CHECK(r && r->n_children == 2);
    if (r && r->n_children == 2) {
        CHECK_EQ_INT(r->children[0].value.u.i, 3800);
        CHECK_EQ_INT(r->children[1].value.u.i, 5000);
    }
    r = zl_node_child(inst, 8);
    CHECK(r && r->n_children == 2);
    if (r && r->n_children == 2) {
        CHECK_EQ_INT(r->children[0].value.u.i, 125);
        CHECK_EQ_INT(r->children[1].value.u.i, 900);
    }
    r = zl_node_child(inst, 9);
    CHECK(r && r->value.type == ZL_T_INTEGER && r->value.u.i == 100);
    r = zl_node_child(inst, 10);
    CHECK(r && r->value.u.i == 15);
    r = zl_node_child(inst, 11);
    CHECK(r && r->kind == ZL_N_MULTI && r->n_children == 1 && r->children[0].value.u.i == 0);
    r = zl_node_child(inst, 13);
    CHECK(r && r->value.type == ZL_T_TIME);
    if (r) CHECK_EQ_INT(r->value.u.i, 1367491215);
    r = zl_node_child(inst, 14);
    if (GUARD(r)) CHECK_STR((const char *)r->value.bytes, "+02:00");
    r = zl_node_child(inst, 16);
    CHECK(r && r->value.len == 1 && r->value.bytes[0] == 'U');
    CHECK(zl_node_child(inst, 12) == NULL);
}

static void test_spec_device(void) {
    zl_node_t *n = NULL;
    CHECK_EQ_INT(sizeof device0, 121);
    CHECK_EQ_INT(dec(device0, sizeof device0, "/3/0", &n), ZL_OK);
    if (!GUARD(n)) return;
    check_device_instance(n);

    /* bare-resource re-encode is byte exact (minimal widths match the spec) */
    zl_buf_t b;
    zl_buf_init(&b, 0);
    CHECK_EQ_INT(zl_tlv_encode_resources(n, &b), ZL_OK);
    CHECK_EQ_INT(b.len, sizeof device0);
    if (b.len == sizeof device0) CHECK_MEM(b.data, device0, sizeof device0);
    /* wrapped form: 08 00 79 + the same bytes */
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_tlv_encode(n, &b), ZL_OK);
    CHECK_EQ_INT(b.len, 124);
    if (b.len == 124) {
        const uint8_t hdr[] = {0x08, 0x00, 0x79};
        CHECK_MEM(b.data, hdr, 3);
        CHECK_MEM(b.data + 3, device0, sizeof device0);
        /* the wrapped form decodes to the same instance for /3/0 ... */
        zl_node_t *w = NULL;
        CHECK_EQ_INT(dec(b.data, b.len, "/3/0", &w), ZL_OK);
        if (GUARD(w)) check_device_instance(w);
        zl_node_free(w);
        /* ... but not when the path names another instance */
        CHECK_EQ_INT(dec(b.data, b.len, "/3/1", &w), ZL_ERR_INVALID);
        CHECK(w == NULL);
        /* and as an object */
        CHECK_EQ_INT(dec(b.data, b.len, "/3", &w), ZL_OK);
        CHECK(w && w->kind == ZL_N_OBJECT && w->id == 3 && w->n_children == 1);
        if (w && w->n_children == 1) check_device_instance(&w->children[0]);
        zl_node_free(w);
    }
    zl_buf_free(&b);
    zl_node_free(n);

    /* bare resources for the single-instance Device object: wrapped as instance 0 */
    CHECK_EQ_INT(dec(device0, sizeof device0, "/3", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_OBJECT && n->n_children == 1);
    if (n && n->n_children == 1) check_device_instance(&n->children[0]);
    zl_node_free(n);
    /* ... but not for a multi-instance object */
    n = NULL;
    const uint8_t bare_acl[] = {0xC1, 0x00, 0x01};
    CHECK_EQ_INT(dec(bare_acl, sizeof bare_acl, "/2", &n), ZL_ERR_INVALID);
    CHECK(n == NULL);
}

static void test_spec_acl(void) {
    zl_node_t *n = NULL;
    CHECK_EQ_INT(dec(acl, sizeof acl, "/2", &n), ZL_OK);
    if (!GUARD(n)) return;
    CHECK_EQ_INT(n->kind, ZL_N_OBJECT);
    CHECK_EQ_INT(n->n_children, 2);
    const zl_node_t *i2 = zl_node_child(n, 2);
    CHECK(i2 && i2->kind == ZL_N_INSTANCE && i2->n_children == 4);
    const zl_node_t *aclr = i2 ? zl_node_child(i2, 2) : NULL;
    CHECK(aclr && aclr->kind == ZL_N_MULTI && aclr->n_children == 2);
    const zl_node_t *ri = aclr ? zl_node_child(aclr, 310) : NULL;
    CHECK(ri && ri->kind == ZL_N_RES_INSTANCE && ri->value.u.i == 1);
    ri = aclr ? zl_node_child(aclr, 127) : NULL;
    CHECK(ri && ri->value.u.i == 7);
    const zl_node_t *oid = i2 ? zl_node_child(i2, 0) : NULL;
    CHECK(oid && oid->value.u.i == 3);
    const zl_node_t *owner = zl_node_child(zl_node_child(n, 0), 3);
    CHECK(owner && owner->value.u.i == 127);

    zl_buf_t b;
    zl_buf_init(&b, 0);
    CHECK_EQ_INT(zl_tlv_encode(n, &b), ZL_OK);
    CHECK_EQ_INT(b.len, sizeof acl);
    if (b.len == sizeof acl) CHECK_MEM(b.data, acl, sizeof acl);
    zl_buf_free(&b);
    zl_node_free(n);
}

static void test_values(void) {
    zl_node_t *n = NULL;
    /* 4-byte float 21.5 and 8-byte double -0.1 for /3303/0/5700 */
    const uint8_t f4[] = {0xE4, 0x16, 0x44, 0x41, 0xAC, 0x00, 0x00};
    CHECK_EQ_INT(dec(f4, sizeof f4, "/3303/0/5700", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_RESOURCE && n->id == 5700 && n->value.type == ZL_T_FLOAT);
    if (n) CHECK(n->value.u.f == 21.5);
    zl_node_free(n);
    const uint8_t f8[] = {0xE8, 0x16, 0x44, 0x08, 0xBF, 0xB9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A};
    CHECK_EQ_INT(dec(f8, sizeof f8, "/3303/0/5700", &n), ZL_OK);
    if (GUARD(n)) CHECK(n->value.u.f == -0.1);
    /* -0.1 is not a float: re-encoded as 8 bytes, identical */
    zl_buf_t b;
    zl_buf_init(&b, 0);
    CHECK_EQ_INT(zl_tlv_encode(n, &b), ZL_OK);
    CHECK_EQ_INT(b.len, sizeof f8);
    if (b.len == sizeof f8) CHECK_MEM(b.data, f8, sizeof f8);
    /* 21.5 is exactly a float: 4 bytes */
    if (n) n->value.u.f = 21.5;
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_tlv_encode(n, &b), ZL_OK);
    CHECK_EQ_INT(b.len, sizeof f4);
    if (b.len == sizeof f4) CHECK_MEM(b.data, f4, sizeof f4);
    zl_node_free(n);
    /* float of 3 bytes is invalid */
    const uint8_t f3[] = {0xE3, 0x16, 0x44, 0x41, 0xAC, 0x00};
    CHECK_EQ_INT(dec(f3, sizeof f3, "/3303/0/5700", &n), ZL_ERR_INVALID);

    /* booleans: coil 26253 */
    const uint8_t b1[] = {0xE1, 0x66, 0x8D, 0x01};
    CHECK_EQ_INT(dec(b1, sizeof b1, "/26241/0/26253", &n), ZL_OK);
    CHECK(n && n->value.type == ZL_T_BOOLEAN && n->value.u.b == true);
    zl_node_free(n);
    const uint8_t b2[] = {0xE1, 0x66, 0x8D, 0x02};
    CHECK_EQ_INT(dec(b2, sizeof b2, "/26241/0/26253", &n), ZL_ERR_INVALID);

    /* negative integers, sign extended: holding register -2 (1 byte), -300 (2 bytes) */
    const uint8_t i1[] = {0xE1, 0x66, 0x8B, 0xFE};
    CHECK_EQ_INT(dec(i1, sizeof i1, "/26241/0/26251", &n), ZL_OK);
    CHECK(n && n->value.type == ZL_T_INTEGER && n->value.u.i == -2);
    zl_node_free(n);
    const uint8_t i2[] = {0xE2, 0x66, 0x8B, 0xFE, 0xD4};
    CHECK_EQ_INT(dec(i2, sizeof i2, "/26241/0/26251", &n), ZL_OK);
    CHECK(n && n->value.u.i == -300);
    zl_node_free(n);
    const uint8_t i8[] = {0xE8, 0x66, 0x8B, 0x08, 0x80, 0, 0, 0, 0, 0, 0, 0};
    CHECK_EQ_INT(dec(i8, sizeof i8, "/26241/0/26251", &n), ZL_OK);
    CHECK(n && n->value.u.i == INT64_MIN);
    zl_node_free(n);
    const uint8_t i3[] = {0xE3, 0x66, 0x8B, 0x01, 0x02, 0x03};
    CHECK_EQ_INT(dec(i3, sizeof i3, "/26241/0/26251", &n), ZL_ERR_INVALID);

    /* objlnk: /3/0/22 ExtDevInfo (multiple) -> 3:1 */
    const uint8_t ol[] = {0x86, 0x16, 0x44, 0x00, 0x00, 0x03, 0x00, 0x01};
    CHECK_EQ_INT(dec(ol, sizeof ol, "/3/0/22", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_MULTI && n->n_children == 1);
    if (n && n->n_children == 1) {
        CHECK_EQ_INT(n->children[0].value.type, ZL_T_OBJLNK);
        CHECK_EQ_INT(n->children[0].value.u.lnk.oid, 3);
        CHECK_EQ_INT(n->children[0].value.u.lnk.iid, 1);
    }
    zl_node_free(n);

    /* unknown object: raw bytes kept as NONE */
    const uint8_t u[] = {0xC3, 0x01, 0xAA, 0x00, 0xBB};
    CHECK_EQ_INT(dec(u, sizeof u, "/9999/0/1", &n), ZL_OK);
    CHECK(n && n->value.type == ZL_T_NONE && n->value.len == 3);
    if (n) CHECK_MEM(n->value.bytes, "\xAA\x00\xBB", 3);
    zl_node_free(n);

    /* 24-bit length field: 256-byte opaque under an unknown resource */
    uint8_t big[5 + 256];
    big[0] = 0xD8; big[1] = 0x05; big[2] = 0x00; big[3] = 0x01; big[4] = 0x00;
    for (int i = 0; i < 256; i++) big[5 + i] = (uint8_t)i;
    CHECK_EQ_INT(dec(big, sizeof big, "/9999/0/5", &n), ZL_OK);
    CHECK(n && n->value.len == 256 && n->value.bytes[255] == 255);
    /* re-encoded with the minimal 16-bit length field: D0 05 01 00 */
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_tlv_encode(n, &b), ZL_OK);
    CHECK_EQ_INT(b.len, 4 + 256);
    if (b.len >= 4) CHECK_MEM(b.data, "\xD0\x05\x01\x00", 4);
    zl_node_free(n);
    zl_buf_free(&b);
}

static void test_paths(void) {
    zl_node_t *n = NULL;
    /* /3/0/6 with bare resource instances */
    const uint8_t ris[] = {0x41, 0x00, 0x01, 0x41, 0x01, 0x05};
    CHECK_EQ_INT(dec(ris, sizeof ris, "/3/0/6", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_MULTI && n->id == 6 && n->n_children == 2);
    zl_node_free(n);
    /* empty payload: multiple resource -> empty MULTI, single resource -> invalid */
    CHECK_EQ_INT(dec(NULL, 0, "/3/0/6", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_MULTI && n->n_children == 0);
    zl_node_free(n);
    CHECK_EQ_INT(dec(NULL, 0, "/3/0/9", &n), ZL_ERR_INVALID);
    /* /3/0/6/1: one resource instance */
    const uint8_t one[] = {0x41, 0x01, 0x05};
    CHECK_EQ_INT(dec(one, sizeof one, "/3/0/6/1", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_RES_INSTANCE && n->id == 1 && n->value.u.i == 5);
    zl_node_free(n);
    CHECK_EQ_INT(dec(one, sizeof one, "/3/0/6/0", &n), ZL_ERR_INVALID);
    /* resource id must match the path */
    const uint8_t r9[] = {0xC1, 0x09, 0x64};
    CHECK_EQ_INT(dec(r9, sizeof r9, "/3/0/10", &n), ZL_ERR_INVALID);
    CHECK_EQ_INT(dec(r9, sizeof r9, "/3/0/9", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_RESOURCE && n->value.u.i == 100);
    zl_node_free(n);
    /* root path is not a TLV target */
    zl_path_t root = {{0}, 0};
    CHECK_EQ_INT(zl_tlv_decode(r9, sizeof r9, &root, NULL, &n, NULL, 0), ZL_ERR_INVALID);
}

static void test_malformed(void) {
    zl_node_t *n = (zl_node_t *)1;
    char err[160];
    zl_path_t p = zt_path("/3/0");
    /* length field says 200 bytes, 3 present */
    const uint8_t t200[] = {0xC8, 0x00, 0xC8, 'a', 'b', 'c'};
    CHECK_EQ_INT(zl_tlv_decode(t200, sizeof t200, &p, NULL, &n, err, sizeof err), ZL_ERR_TRUNCATED);
    CHECK(n == NULL);
    CHECK(strstr(err, "200") != NULL);
    /* header cut inside the id / length fields */
    const uint8_t h1[] = {0xC8};
    CHECK_EQ_INT(dec(h1, sizeof h1, "/3/0", &n), ZL_ERR_TRUNCATED);
    const uint8_t h2[] = {0xE1, 0x00};
    CHECK_EQ_INT(dec(h2, sizeof h2, "/3/0", &n), ZL_ERR_TRUNCATED);
    const uint8_t h3[] = {0xD8, 0x05, 0x00, 0x01};
    CHECK_EQ_INT(dec(h3, sizeof h3, "/9999/0", &n), ZL_ERR_TRUNCATED);
    const uint8_t h4[] = {0xC1, 0x09, 0x64, 0xC1};
    CHECK_EQ_INT(dec(h4, sizeof h4, "/3/0", &n), ZL_ERR_TRUNCATED);
    /* inner TLV runs past its multiple-resource parent (parent len 3, child wants 2 value bytes) */
    const uint8_t inner[] = {0x83, 0x06, 0x42, 0x00, 0x01, 0x05};
    CHECK_EQ_INT(dec(inner, sizeof inner, "/3/0", &n), ZL_ERR_TRUNCATED);
    /* nesting errors */
    const uint8_t oi_in_oi[] = {0x08, 0x00, 0x03, 0x00, 0x01, 0x00};
    CHECK_EQ_INT(dec(oi_in_oi, sizeof oi_in_oi, "/3", &n), ZL_ERR_INVALID);
    const uint8_t mr_in_mr[] = {0x85, 0x06, 0x83, 0x00, 0x41, 0x00, 0x01};
    CHECK_EQ_INT(dec(mr_in_mr, sizeof mr_in_mr, "/3/0", &n), ZL_ERR_INVALID);
    const uint8_t r_in_mr[] = {0x83, 0x06, 0xC1, 0x00, 0x01};
    CHECK_EQ_INT(dec(r_in_mr, sizeof r_in_mr, "/3/0", &n), ZL_ERR_INVALID);
    const uint8_t ri_in_inst[] = {0x41, 0x00, 0x01};
    CHECK_EQ_INT(dec(ri_in_inst, sizeof ri_in_inst, "/3/0", &n), ZL_ERR_INVALID);
    /* a resource instance nested inside a resource instance: the outer value
     * is 3 bytes, not a valid INTEGER width */
    const uint8_t ri_in_ri[] = {0x85, 0x06, 0x43, 0x00, 0x41, 0x00, 0x01};
    CHECK_EQ_INT(dec(ri_in_ri, sizeof ri_in_ri, "/3/0", &n), ZL_ERR_INVALID);
    const uint8_t oi_at_res[] = {0x03, 0x00, 0xC1, 0x09, 0x01};
    CHECK_EQ_INT(dec(oi_at_res, sizeof oi_at_res, "/3/0/9", &n), ZL_ERR_INVALID);
    const uint8_t two_oi[] = {0x03, 0x00, 0xC1, 0x09, 0x01, 0x03, 0x01, 0xC1, 0x09, 0x01};
    CHECK_EQ_INT(dec(two_oi, sizeof two_oi, "/3/0", &n), ZL_ERR_INVALID);
    /* reserved id 65535 */
    const uint8_t idmax[] = {0xE1, 0xFF, 0xFF, 0x01};
    CHECK_EQ_INT(dec(idmax, sizeof idmax, "/9999/0", &n), ZL_ERR_INVALID);
    /* duplicates */
    const uint8_t dup[] = {0xC1, 0x09, 0x01, 0xC1, 0x09, 0x02};
    CHECK_EQ_INT(dec(dup, sizeof dup, "/3/0", &n), ZL_ERR_INVALID);
    const uint8_t dupi[] = {0x00, 0x00, 0x00, 0x00};
    CHECK_EQ_INT(dec(dupi, sizeof dupi, "/3303", &n), ZL_ERR_INVALID);
    /* node cap: 10001 empty resources with distinct 16-bit ids */
    size_t cnt = 10001;
    uint8_t *many = malloc(cnt * 3);
    for (size_t i = 0; i < cnt; i++) {
        many[3 * i] = 0xE0;
        many[3 * i + 1] = (uint8_t)((i + 256) >> 8);
        many[3 * i + 2] = (uint8_t)(i + 256);
    }
    CHECK_EQ_INT(dec(many, cnt * 3, "/9999/0", &n), ZL_ERR_TOO_LARGE);
    CHECK_EQ_INT(dec(many, 9999 * 3, "/9999/0", &n), ZL_OK);
    CHECK(n && n->n_children == 9999);
    zl_node_free(n);
    free(many);
}

static void test_encode(void) {
    zl_buf_t b;
    zl_buf_init(&b, 0);
    zl_node_t *inst = zl_node_new(ZL_N_INSTANCE, 300);
    zl_node_t *r = zl_node_add_child(inst, ZL_N_RESOURCE, 26251);
    r->value.type = ZL_T_INTEGER;
    r->value.u.i = 128; /* needs 2 bytes: 0x0080 */
    r = zl_node_add_child(inst, ZL_N_RESOURCE, 1);
    r->value.type = ZL_T_INTEGER;
    r->value.u.i = -129; /* 0xFF7F */
    r = zl_node_add_child(inst, ZL_N_RESOURCE, 2);
    r->value.type = ZL_T_INTEGER;
    r->value.u.i = 2147483648LL; /* 8 bytes */
    r = zl_node_add_child(inst, ZL_N_RESOURCE, 3);
    r->value.type = ZL_T_BOOLEAN;
    r->value.u.b = true;
    CHECK_EQ_INT(zl_tlv_encode(inst, &b), ZL_OK);
    const uint8_t want[] = {
        0x28, 0x01, 0x2C, 0x17,                 /* OI id 300 (16-bit), 8-bit len 23 */
        0xE2, 0x66, 0x8B, 0x00, 0x80,           /* R 26251 = 128 */
        0xC2, 0x01, 0xFF, 0x7F,                 /* R 1 = -129 */
        0xC8, 0x02, 0x08, 0, 0, 0, 0, 0x80, 0, 0, 0, /* R 2 = 2^31, 8-bit length field */
        0xC1, 0x03, 0x01,                       /* R 3 = true */
    };
    CHECK_EQ_INT(b.len, sizeof want);
    if (b.len == sizeof want) CHECK_MEM(b.data, want, sizeof want);

    /* invalid tree: resource instance directly under an instance; buffer restored */
    size_t before = b.len;
    zl_node_add_child(inst, ZL_N_RES_INSTANCE, 9);
    CHECK_EQ_INT(zl_tlv_encode(inst, &b), ZL_ERR_INVALID);
    CHECK_EQ_INT(b.len, before);
    zl_node_free(inst);

    /* 300-byte string: 16-bit length field */
    zl_node_t *s = zl_node_new(ZL_N_RESOURCE, 0);
    char str[300];
    memset(str, 'x', sizeof str);
    CHECK_EQ_INT(zl_value_set_bytes(&s->value, ZL_T_STRING, str, sizeof str), ZL_OK);
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_tlv_encode(s, &b), ZL_OK);
    CHECK_EQ_INT(b.len, 4 + 300);
    if (b.len >= 4) CHECK_MEM(b.data, "\xD0\x00\x01\x2C", 4);
    zl_node_free(s);

    /* round trip of a hand-built temperature object with two instances */
    zl_node_t *o = zl_node_new(ZL_N_OBJECT, 3303);
    for (uint16_t i = 0; i < 2; i++) {
        zl_node_t *in = zl_node_add_child(o, ZL_N_INSTANCE, i);
        zl_node_t *v = zl_node_add_child(in, ZL_N_RESOURCE, 5700);
        v->value.type = ZL_T_FLOAT;
        v->value.u.f = i ? 1e300 : -40.25;
        v = zl_node_add_child(in, ZL_N_RESOURCE, 5701);
        zl_value_set_bytes(&v->value, ZL_T_STRING, "Cel", 3);
    }
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_tlv_encode(o, &b), ZL_OK);
    zl_node_t *d = NULL;
    CHECK_EQ_INT(dec(b.data, b.len, "/3303", &d), ZL_OK);
    CHECK(d && d->n_children == 2);
    if (d && d->n_children == 2) {
        const zl_node_t *v0 = zl_node_child(&d->children[0], 5700);
        const zl_node_t *v1 = zl_node_child(&d->children[1], 5700);
        CHECK(v0 && v0->value.type == ZL_T_FLOAT && v0->value.u.f == -40.25);
        CHECK(v1 && v1->value.u.f == 1e300);
        const zl_node_t *un = zl_node_child(&d->children[1], 5701);
        if (un) CHECK_STR((const char *)un->value.bytes, "Cel");
    }
    zl_node_free(d);
    zl_node_free(o);
    zl_buf_free(&b);
}

int main(void) {
    test_spec_device();
    test_spec_acl();
    test_values();
    test_paths();
    test_malformed();
    test_encode();
    TEST_MAIN_END();
}
