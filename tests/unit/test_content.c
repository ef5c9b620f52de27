/* SPDX-License-Identifier: Apache-2.0 */
/* Content-format dispatch: text/opaque typed by the model, TLV routing,
 * unsupported formats, path-depth requirements, encoders. */
#include <string.h>

#include "lwm2m/content.h"
#include "test.h"
#include "lwm2m_test.h"

static zl_err_t cd(int cf, const char *payload, size_t n, const char *path, zl_node_t **out) {
    zl_path_t p = zt_path(path);
    char err[128];
    return zl_content_decode(cf, (const uint8_t *)payload, n, &p, NULL, out, err, sizeof err);
}

static void test_decode(void) {
    zl_node_t *n = NULL;
    /* text typed by model: 3303/5700 FLOAT, 3/9 INTEGER, 3/0 STRING, 3/13 TIME */
    CHECK_EQ_INT(cd(ZL_CF_TEXT, "21.5", 4, "/3303/0/5700", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_RESOURCE && n->id == 5700 && n->value.type == ZL_T_FLOAT && n->value.u.f == 21.5);
    zl_node_free(n);
    CHECK_EQ_INT(cd(ZL_CF_TEXT, "100", 3, "/3/0/9", &n), ZL_OK);
    CHECK(n && n->value.type == ZL_T_INTEGER && n->value.u.i == 100);
    zl_node_free(n);
    CHECK_EQ_INT(cd(ZL_CF_TEXT, "1.0", 3, "/3/0/3", &n), ZL_OK);
    CHECK(n && n->value.type == ZL_T_STRING);
    if (n) CHECK_STR((const char *)n->value.bytes, "1.0");
    zl_node_free(n);
    CHECK_EQ_INT(cd(ZL_CF_TEXT, "1", 1, "/26241/0/26253", &n), ZL_OK);
    CHECK(n && n->value.type == ZL_T_BOOLEAN && n->value.u.b);
    zl_node_free(n);
    /* resource instance path: RES_INSTANCE node typed by the resource */
    CHECK_EQ_INT(cd(ZL_CF_TEXT, "3800", 4, "/3/0/7/0", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_RES_INSTANCE && n->id == 0 && n->value.type == ZL_T_INTEGER && n->value.u.i == 3800);
    zl_node_free(n);
    /* unknown resource: typed by how the text is written */
    CHECK_EQ_INT(cd(ZL_CF_TEXT, "abc", 3, "/9999/0/1", &n), ZL_OK);
    CHECK(n && n->value.type == ZL_T_STRING && n->value.len == 3);
    zl_node_free(n);
    CHECK_EQ_INT(cd(ZL_CF_TEXT, "-30.0", 5, "/32769/0/1", &n), ZL_OK);
    CHECK(n && n->value.type == ZL_T_FLOAT && n->value.u.f == -30.0);
    zl_node_free(n);
    CHECK_EQ_INT(cd(ZL_CF_TEXT, "-30", 3, "/32769/1/1", &n), ZL_OK);
    CHECK(n && n->value.type == ZL_T_INTEGER && n->value.u.i == -30);
    zl_node_free(n);
    /* invalid text for the model type */
    n = NULL;
    CHECK_EQ_INT(cd(ZL_CF_TEXT, "warm", 4, "/3303/0/5700", &n), ZL_ERR_INVALID);
    CHECK(n == NULL);
    zl_path_t p = zt_path("/3303/0/5700");
    char err[128];
    zl_content_decode(ZL_CF_TEXT, (const uint8_t *)"warm", 4, &p, NULL, &n, err, sizeof err);
    CHECK(strstr(err, "FLOAT") != NULL);
    /* text needs a resource path */
    CHECK_EQ_INT(cd(ZL_CF_TEXT, "1", 1, "/3/0", &n), ZL_ERR_INVALID);
    CHECK_EQ_INT(cd(ZL_CF_OPAQUE, "1", 1, "/3", &n), ZL_ERR_INVALID);

    /* opaque: raw bytes whatever the model says */
    CHECK_EQ_INT(cd(ZL_CF_OPAQUE, "\x01\x00\xFF", 3, "/5/0/0", &n), ZL_OK);
    CHECK(n && n->value.type == ZL_T_OPAQUE && n->value.len == 3);
    if (n) CHECK_MEM(n->value.bytes, "\x01\x00\xFF", 3);
    zl_node_free(n);

    /* TLV, new and legacy numbers */
    const char tlv[] = {(char)0xC1, 0x09, 0x64};
    CHECK_EQ_INT(cd(ZL_CF_TLV, tlv, 3, "/3/0", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_INSTANCE && n->n_children == 1 && n->children[0].value.u.i == 100);
    zl_node_free(n);
    CHECK_EQ_INT(cd(ZL_CF_TLV_OLD, tlv, 3, "/3/0/9", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_RESOURCE && n->value.u.i == 100);
    zl_node_free(n);

    /* every JSON/CBOR format reaches its codec (each has its own test file) */
    static const char senml[] = "[{\"bn\":\"/3303/0/\",\"n\":\"5700\",\"v\":21.5}]";
    CHECK_EQ_INT(cd(ZL_CF_SENML_JSON, senml, sizeof senml - 1, "/3303/0/5700", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_RESOURCE && n->value.type == ZL_T_FLOAT && n->value.u.f == 21.5);
    zl_node_free(n);
    static const char lwjson[] = "{\"bn\":\"/3/0/\",\"e\":[{\"n\":\"9\",\"v\":77}]}";
    CHECK_EQ_INT(cd(ZL_CF_JSON, lwjson, sizeof lwjson - 1, "/3/0", &n), ZL_OK);
    CHECK(n && n->kind == ZL_N_INSTANCE && n->n_children == 1 && n->children[0].value.u.i == 77);
    zl_node_free(n);
    CHECK_EQ_INT(cd(ZL_CF_JSON_OLD, lwjson, sizeof lwjson - 1, "/3/0", &n), ZL_OK);
    zl_node_free(n);
    CHECK_EQ_INT(cd(ZL_CF_CBOR, "\x18\x4d", 2, "/3/0/9", &n), ZL_OK); /* CBOR uint 77 */
    CHECK(n && n->value.type == ZL_T_INTEGER && n->value.u.i == 77);
    zl_node_free(n);
    CHECK_EQ_INT(cd(ZL_CF_LWM2M_CBOR, "", 0, "/3", &n), ZL_ERR_INVALID);
    CHECK_EQ_INT(cd(ZL_CF_SENML_CBOR, "\xff", 1, "/3", &n), ZL_ERR_INVALID);

    /* not decodable to a node */
    CHECK_EQ_INT(cd(ZL_CF_LINK, "</3/0>", 6, "/3", &n), ZL_ERR_UNSUPPORTED);
    CHECK_EQ_INT(cd(12345, "", 0, "/3", &n), ZL_ERR_UNSUPPORTED);
}

static void test_encode(void) {
    zl_buf_t b;
    zl_buf_init(&b, 0);
    zl_path_t p = zt_path("/3303/0/5700");
    zl_node_t *r = zl_node_new(ZL_N_RESOURCE, 5700);
    r->value.type = ZL_T_FLOAT;
    r->value.u.f = -12.75;
    CHECK_EQ_INT(zl_content_encode(ZL_CF_TEXT, r, &p, &b), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), "-12.75");
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_content_encode(ZL_CF_TLV, r, &p, &b), ZL_OK);
    CHECK_EQ_INT(b.len, 7);
    if (b.len == 7) CHECK_MEM(b.data, "\xE4\x16\x44\xC1\x4C\x00\x00", 7);
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_content_encode(ZL_CF_OPAQUE, r, &p, &b), ZL_ERR_INVALID); /* not opaque */
    /* every other format round-trips through the dispatcher */
    static const int fmts[] = {ZL_CF_SENML_JSON, ZL_CF_SENML_CBOR, ZL_CF_JSON, ZL_CF_LWM2M_CBOR, ZL_CF_CBOR};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        zl_buf_reset(&b);
        CHECK_EQ_INT(zl_content_encode(fmts[i], r, &p, &b), ZL_OK);
        zl_node_t *back = NULL;
        CHECK_EQ_INT(zl_content_decode(fmts[i], b.data, b.len, &p, NULL, &back, NULL, 0), ZL_OK);
        CHECK(back && back->value.type == ZL_T_FLOAT && back->value.u.f == -12.75);
        zl_node_free(back);
    }
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_content_encode(12345, r, &p, &b), ZL_ERR_UNSUPPORTED);
    zl_value_set_bytes(&r->value, ZL_T_OPAQUE, "\x00\x01", 2);
    CHECK_EQ_INT(zl_content_encode(ZL_CF_OPAQUE, r, &p, &b), ZL_OK);
    CHECK_EQ_INT(b.len, 2);
    zl_node_free(r);

    /* instance path: TLV carries bare resources; text refuses non-leaf nodes */
    zl_node_t *inst = zl_node_new(ZL_N_INSTANCE, 0);
    zl_node_t *c = zl_node_add_child(inst, ZL_N_RESOURCE, 1);
    c->value.type = ZL_T_INTEGER;
    c->value.u.i = 300;
    p = zt_path("/1/0");
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_content_encode(ZL_CF_TLV, inst, &p, &b), ZL_OK);
    CHECK_EQ_INT(b.len, 4);
    if (b.len == 4) CHECK_MEM(b.data, "\xC2\x01\x01\x2C", 4);
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_content_encode(ZL_CF_TEXT, inst, &p, &b), ZL_ERR_INVALID);
    /* object path: the instance keeps its wrapper */
    p = zt_path("/1");
    CHECK_EQ_INT(zl_content_encode(ZL_CF_TLV, inst, &p, &b), ZL_OK);
    CHECK_EQ_INT(b.len, 6);
    if (b.len == 6) CHECK_MEM(b.data, "\x04\x00\xC2\x01\x01\x2C", 6);
    zl_node_free(inst);
    zl_buf_free(&b);

    CHECK_STR(zl_cf_name(ZL_CF_TEXT), "text/plain");
    CHECK_STR(zl_cf_name(ZL_CF_TLV), "application/vnd.oma.lwm2m+tlv");
    CHECK_STR(zl_cf_name(ZL_CF_TLV_OLD), "application/vnd.oma.lwm2m+tlv");
    CHECK_STR(zl_cf_name(ZL_CF_LINK), "application/link-format");
    CHECK_STR(zl_cf_name(ZL_CF_OPAQUE), "application/octet-stream");
    CHECK_STR(zl_cf_name(ZL_CF_SENML_JSON), "application/senml+json");
    CHECK(zl_cf_name(7) == NULL);
}

/* The new instance 7 of /3303: 5700 FLOAT 12.5, 5701 STRING "Cel". */
static zl_node_t *create_instance(uint16_t iid) {
    zl_node_t *inst = zl_node_new(ZL_N_INSTANCE, iid);
    zl_node_t *c = zl_node_add_child(inst, ZL_N_RESOURCE, 5700);
    c->value.type = ZL_T_FLOAT;
    c->value.u.f = 12.5;
    c = zl_node_add_child(inst, ZL_N_RESOURCE, 5701);
    zl_value_set_bytes(&c->value, ZL_T_STRING, "Cel", 3);
    return inst;
}

static zl_err_t enc_create(int cf, const zl_node_t *inst, const char *path, zl_buf_t *b, char *err, size_t n) {
    zl_path_t p = zt_path(path);
    zl_buf_reset(b);
    return zl_content_encode_create(cf, inst, &p, b, err, n);
}

/* Create on /oid (as Leshan sends it): the object holding the
 * one new instance, names relative to the object path, in every format that
 * can carry an instance; the id may be left out in TLV only. */
static void test_encode_create(void) {
    zl_buf_t b;
    zl_buf_init(&b, 0);
    char err[300];
    zl_node_t *inst = create_instance(7);
    /* TLV: one object-instance TLV, id 7, holding both resources */
    CHECK_EQ_INT(enc_create(ZL_CF_TLV, inst, "/3303", &b, err, sizeof err), ZL_OK);
    static const char tlv[] = "\x08\x07\x0D"                       /* instance 7, 13 bytes */
                              "\xE4\x16\x44\x41\x48\x00\x00"       /* 5700 = 12.5 (float32) */
                              "\xE3\x16\x45" "Cel";                /* 5701 = "Cel" */
    CHECK_EQ_INT(b.len, sizeof tlv - 1);
    if (b.len == sizeof tlv - 1) CHECK_MEM(b.data, tlv, sizeof tlv - 1);
    /* SenML JSON and LwM2M JSON: base name the object path, names "iid/rid" */
    CHECK_EQ_INT(enc_create(ZL_CF_SENML_JSON, inst, "/3303", &b, err, sizeof err), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), "[{\"bn\":\"/3303/\",\"n\":\"7/5700\",\"v\":12.5},{\"n\":\"7/5701\",\"vs\":\"Cel\"}]");
    CHECK_EQ_INT(enc_create(ZL_CF_JSON, inst, "/3303", &b, err, sizeof err), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), "{\"bn\":\"/3303/\",\"e\":[{\"n\":\"7/5700\",\"v\":12.5},{\"n\":\"7/5701\",\"sv\":\"Cel\"}]}");
    /* SenML CBOR: [{-2: "/3303/", 0: "7/5700", 2: 12.5}, {0: "7/5701", 3: "Cel"}] */
    CHECK_EQ_INT(enc_create(ZL_CF_SENML_CBOR, inst, "/3303", &b, err, sizeof err), ZL_OK);
    static const char scbor[] = "\x82\xA3\x21\x66/3303/\x00\x66" "7/5700\x02\xFA\x41\x48\x00\x00"
                                "\xA2\x00\x66" "7/5701\x03\x63" "Cel";
    CHECK_EQ_INT(b.len, sizeof scbor - 1);
    if (b.len == sizeof scbor - 1) CHECK_MEM(b.data, scbor, sizeof scbor - 1);
    /* LwM2M CBOR: {3303: {7: {5700: 12.5, 5701: "Cel"}}} */
    CHECK_EQ_INT(enc_create(ZL_CF_LWM2M_CBOR, inst, "/3303", &b, err, sizeof err), ZL_OK);
    static const char lcbor[] = "\xA1\x19\x0C\xE7\xA1\x07\xA2\x19\x16\x44\xFA\x41\x48\x00\x00"
                                "\x19\x16\x45\x63" "Cel";
    CHECK_EQ_INT(b.len, sizeof lcbor - 1);
    if (b.len == sizeof lcbor - 1) CHECK_MEM(b.data, lcbor, sizeof lcbor - 1);
    /* each payload decodes back, at the object path, to instance 7 of /3303 */
    static const int fmts[] = {ZL_CF_TLV, ZL_CF_SENML_JSON, ZL_CF_SENML_CBOR, ZL_CF_JSON, ZL_CF_LWM2M_CBOR};
    zl_path_t obj = zt_path("/3303");
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        CHECK_EQ_INT(enc_create(fmts[i], inst, "/3303", &b, err, sizeof err), ZL_OK);
        zl_node_t *back = NULL;
        CHECK_EQ_INT(zl_content_decode(fmts[i], b.data, b.len, &obj, NULL, &back, err, sizeof err), ZL_OK);
        CHECK(back && back->kind == ZL_N_OBJECT && back->id == 3303 && back->n_children == 1);
        const zl_node_t *in = back ? zl_node_child(back, 7) : NULL;
        const zl_node_t *t = in ? zl_node_child(in, 5700) : NULL, *u = in ? zl_node_child(in, 5701) : NULL;
        CHECK(in && in->kind == ZL_N_INSTANCE && in->n_children == 2);
        CHECK(t && t->value.type == ZL_T_FLOAT && t->value.u.f == 12.5);
        CHECK(u && u->value.type == ZL_T_STRING && u->value.len == 3);
        zl_node_free(back);
    }
    /* single-value formats cannot carry an instance; unknown formats are unsupported */
    static const int single[] = {ZL_CF_TEXT, ZL_CF_OPAQUE, ZL_CF_CBOR, ZL_CF_LINK};
    for (size_t i = 0; i < sizeof single / sizeof single[0]; i++) {
        CHECK_EQ_INT(enc_create(single[i], inst, "/3303", &b, err, sizeof err), ZL_ERR_INVALID);
        CHECK(strstr(err, "single value") != NULL && b.len == 0);
    }
    CHECK_EQ_INT(enc_create(4242, inst, "/3303", &b, err, sizeof err), ZL_ERR_UNSUPPORTED);
    /* a create goes to an object path, with an instance */
    CHECK_EQ_INT(enc_create(ZL_CF_SENML_JSON, inst, "/3303/7", &b, err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "object path") != NULL);
    CHECK_EQ_INT(enc_create(ZL_CF_SENML_JSON, &inst->children[0], "/3303", &b, err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "object instance") != NULL);
    zl_node_free(inst);

    /* no instance id: TLV carries the bare resources, the name-based formats refuse */
    inst = create_instance(ZL_CREATE_NO_ID);
    CHECK_EQ_INT(enc_create(ZL_CF_TLV, inst, "/3303", &b, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(b.len, sizeof tlv - 1 - 3);
    if (b.len == sizeof tlv - 1 - 3) CHECK_MEM(b.data, tlv + 3, sizeof tlv - 1 - 3);
    for (size_t i = 1; i < sizeof fmts / sizeof fmts[0]; i++) {
        CHECK_EQ_INT(enc_create(fmts[i], inst, "/3303", &b, err, sizeof err), ZL_ERR_INVALID);
        CHECK(strstr(err, "instance id") != NULL && b.len == 0);
    }
    zl_node_free(inst);
    zl_buf_free(&b);
}

int main(void) {
    test_decode();
    test_encode();
    test_encode_create();
    TEST_MAIN_END();
}
