/* SPDX-License-Identifier: Apache-2.0 */
/* Values by the model: write/create bodies converted to the model's types
 * (zl_node_apply_model) for every type and every refusal, and the types
 * inferred for resources without a model from text and SenML JSON/CBOR,
 * which must give one reading one type whatever instance or format it
 * came in. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/content.h"
#include "lwm2m/model_apply.h"
#include "lwm2m/senml.h"
#include "test.h"
#include "lwm2m_test.h"

/* A resource node for the last id of path s holding the string str. */
static zl_node_t *str_res(const char *s, const char *str) {
    zl_path_t p = zt_path(s);
    zl_node_t *n = zl_node_new(ZL_N_RESOURCE, p.ids[p.len - 1]);
    if (!n || zl_value_set_bytes(&n->value, ZL_T_STRING, str, strlen(str))) abort();
    return n;
}

/* Applies the built-in model to n addressed by path s; errstr into err. */
static zl_err_t apply(zl_node_t *n, const char *s, char *err, size_t size) {
    zl_path_t p = zt_path(s);
    return zl_node_apply_model(NULL, n, &p, err, size);
}

/* The string str written to path s converts to type t (n returned for more checks). */
static zl_node_t *conv_ok(const char *s, const char *str, zl_type_t t) {
    char err[256] = "";
    zl_node_t *n = str_res(s, str);
    CHECK_EQ_INT(apply(n, s, err, sizeof err), ZL_OK);
    CHECK_STR(err, "");
    CHECK_EQ_INT(n->value.type, t);
    return n;
}

/* The string str written to path s is refused; the message holds path, type and needle. */
static void conv_bad(const char *s, const char *str, const char *type, const char *needle) {
    char err[256] = "";
    zl_node_t *n = str_res(s, str);
    CHECK_EQ_INT(apply(n, s, err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, s) == err);
    CHECK(strstr(err, type) != NULL);
    if (needle) CHECK(strstr(err, needle) != NULL);
    CHECK_EQ_INT(n->value.type, ZL_T_STRING); /* untouched */
    zl_node_free(n);
}

static void test_from_string(void) {
    zl_node_t *n = conv_ok("/1/0/1", "120", ZL_T_INTEGER); /* the 3,224,112 write */
    CHECK(n->value.u.i == 120 && n->value.bytes == NULL);
    zl_node_free(n);
    n = conv_ok("/1/0/1", "-9223372036854775808", ZL_T_INTEGER);
    CHECK(n->value.u.i == INT64_MIN);
    zl_node_free(n);
    n = conv_ok("/3303/0/5700", "-30.5", ZL_T_FLOAT);
    CHECK(n->value.u.f == -30.5);
    zl_node_free(n);
    n = conv_ok("/3303/0/5700", "21", ZL_T_FLOAT);
    CHECK(n->value.u.f == 21.0);
    zl_node_free(n);
    n = conv_ok("/3303/0/5700", "1e3", ZL_T_FLOAT);
    CHECK(n->value.u.f == 1000.0);
    zl_node_free(n);
    n = conv_ok("/1/0/6", "true", ZL_T_BOOLEAN);
    CHECK(n->value.u.b);
    zl_node_free(n);
    n = conv_ok("/1/0/6", "0", ZL_T_BOOLEAN);
    CHECK(!n->value.u.b);
    zl_node_free(n);
    n = conv_ok("/1/0/12", "1700000000", ZL_T_TIME); /* seconds, as LwM2M writes them */
    CHECK(n->value.u.i == 1700000000);
    zl_node_free(n);
    n = conv_ok("/1/0/10", "11:2", ZL_T_OBJLNK);
    CHECK(n->value.u.lnk.oid == 11 && n->value.u.lnk.iid == 2);
    zl_node_free(n);
    n = conv_ok("/0/0/3", "AAEC/w==", ZL_T_OPAQUE);
    CHECK(n->value.len == 4 && memcmp(n->value.bytes, "\x00\x01\x02\xff", 4) == 0);
    zl_node_free(n);
    n = conv_ok("/3/0/0", "120", ZL_T_STRING); /* a string stays a string */
    CHECK(n->value.len == 3 && memcmp(n->value.bytes, "120", 3) == 0);
    zl_node_free(n);
    n = conv_ok("/9999/0/1", "120", ZL_T_STRING); /* no model: as given */
    zl_node_free(n);
    n = conv_ok("/3/0/4", "x", ZL_T_STRING); /* executable: no type to convert to */
    zl_node_free(n);
}

static void test_refusals(void) {
    conv_bad("/1/0/1", "12a", "INTEGER", "\"12a\"");
    conv_bad("/1/0/1", "", "INTEGER", NULL);
    conv_bad("/1/0/1", "1.5", "INTEGER", NULL);
    conv_bad("/1/0/1", " 12", "INTEGER", NULL);
    conv_bad("/1/0/1", "9223372036854775808", "INTEGER", NULL); /* over int64 */
    conv_bad("/3303/0/5700", "warm", "FLOAT", NULL);
    conv_bad("/3303/0/5700", "nan", "FLOAT", NULL);
    conv_bad("/1/0/6", "maybe", "BOOLEAN", "true, false, 1 or 0");
    conv_bad("/1/0/12", "2026-12-03", "TIME", "seconds");
    conv_bad("/1/0/10", "11", "OBJLNK", "oid:iid");
    conv_bad("/1/0/10", "11:70000", "OBJLNK", NULL);
    conv_bad("/0/0/3", "hello", "OPAQUE", "Base64");
    /* non-printable bytes are not copied into the message */
    char err[256] = "";
    zl_node_t *n = str_res("/1/0/1", "1\n\x01");
    CHECK_EQ_INT(apply(n, "/1/0/1", err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "\"1??\"") != NULL);
    zl_node_free(n);
}

/* Typed values the model contradicts: converted when nothing is lost, refused otherwise. */
static void test_between_types(void) {
    char err[256] = "";
    zl_node_t *n = zl_node_new(ZL_N_RESOURCE, 5700);
    n->value.type = ZL_T_INTEGER;
    n->value.u.i = -30;
    CHECK_EQ_INT(apply(n, "/3303/0/5700", err, sizeof err), ZL_OK);
    CHECK(n->value.type == ZL_T_FLOAT && n->value.u.f == -30.0);
    n->id = 1;
    n->value.u.f = 120.0; /* FLOAT 120 to INTEGER /1/0/1: integral */
    CHECK_EQ_INT(apply(n, "/1/0/1", err, sizeof err), ZL_OK);
    CHECK(n->value.type == ZL_T_INTEGER && n->value.u.i == 120);
    n->value.type = ZL_T_FLOAT;
    n->value.u.f = 2.5;
    CHECK_EQ_INT(apply(n, "/1/0/1", err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "/1/0/1: FLOAT 2.5 is not a valid INTEGER") == err);
    n->id = 6; /* INTEGER 1 and 0 are booleans, 2 is not */
    n->value.type = ZL_T_INTEGER;
    n->value.u.i = 1;
    CHECK_EQ_INT(apply(n, "/1/0/6", err, sizeof err), ZL_OK);
    CHECK(n->value.type == ZL_T_BOOLEAN && n->value.u.b);
    n->value.type = ZL_T_INTEGER;
    n->value.u.i = 2;
    CHECK_EQ_INT(apply(n, "/1/0/6", err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "BOOLEAN") != NULL);
    n->id = 12; /* INTEGER to TIME: seconds */
    n->value.u.i = 1700000000;
    CHECK_EQ_INT(apply(n, "/1/0/12", err, sizeof err), ZL_OK);
    CHECK(n->value.type == ZL_T_TIME && n->value.u.i == 1700000000);
    n->id = 0; /* to STRING: the text form */
    n->value.type = ZL_T_BOOLEAN;
    n->value.u.b = true;
    CHECK_EQ_INT(apply(n, "/3/0/0", err, sizeof err), ZL_OK);
    CHECK(n->value.type == ZL_T_STRING && n->value.len == 4 && memcmp(n->value.bytes, "true", 4) == 0);
    zl_value_t *v = &n->value;
    free(v->bytes);
    v->bytes = NULL;
    v->type = ZL_T_FLOAT;
    v->u.f = 19.2;
    CHECK_EQ_INT(apply(n, "/3/0/0", err, sizeof err), ZL_OK);
    CHECK(v->type == ZL_T_STRING && v->len == 4 && memcmp(v->bytes, "19.2", 4) == 0);
    /* OPAQUE to STRING only when UTF-8; a boolean is no integer; a link only from text */
    CHECK_EQ_INT(zl_value_set_bytes(v, ZL_T_OPAQUE, "\xff", 1), ZL_OK);
    CHECK_EQ_INT(apply(n, "/3/0/0", err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "OPAQUE value of 1 bytes") != NULL);
    free(v->bytes);
    v->bytes = NULL;
    v->type = ZL_T_BOOLEAN;
    n->id = 1;
    CHECK_EQ_INT(apply(n, "/1/0/1", err, sizeof err), ZL_ERR_INVALID);
    n->id = 10;
    v->type = ZL_T_INTEGER;
    CHECK_EQ_INT(apply(n, "/1/0/10", err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "OBJLNK") != NULL);
    zl_node_free(n);
}

/* Instance and object (create) bodies, multiple resources: each value by its resource. */
static void test_trees(void) {
    char err[256] = "";
    zl_node_t *in = zl_node_new(ZL_N_INSTANCE, 0);
    zl_node_t *r = zl_node_add_child(in, ZL_N_RESOURCE, 1);
    zl_value_set_bytes(&r->value, ZL_T_STRING, "300", 3);
    r = zl_node_add_child(in, ZL_N_RESOURCE, 7);
    zl_value_set_bytes(&r->value, ZL_T_STRING, "U", 1);
    zl_node_t *mr = zl_node_add_child(in, ZL_N_MULTI, 99); /* not in object 1's model */
    zl_node_t *ri = zl_node_add_child(mr, ZL_N_RES_INSTANCE, 0);
    zl_value_set_bytes(&ri->value, ZL_T_STRING, "x", 1);
    CHECK_EQ_INT(apply(in, "/1/0", err, sizeof err), ZL_OK);
    CHECK(in->children[0].value.type == ZL_T_INTEGER && in->children[0].value.u.i == 300);
    CHECK(in->children[1].value.type == ZL_T_STRING);
    CHECK(in->children[2].children[0].value.type == ZL_T_STRING);
    zl_node_free(in);

    /* create /3 with an object node: /3/0/7 is a multiple INTEGER resource */
    zl_node_t *o = zl_node_new(ZL_N_OBJECT, 3);
    in = zl_node_add_child(o, ZL_N_INSTANCE, 4);
    mr = zl_node_add_child(in, ZL_N_MULTI, 7);
    zl_value_set_bytes(&zl_node_add_child(mr, ZL_N_RES_INSTANCE, 0)->value, ZL_T_STRING, "3800", 4);
    zl_value_set_bytes(&zl_node_add_child(mr, ZL_N_RES_INSTANCE, 1)->value, ZL_T_STRING, "50x", 3);
    CHECK_EQ_INT(apply(o, "/3", err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "/3/4/7/1: \"50x\" is not a valid INTEGER") == err);
    CHECK(mr->children[0].value.type == ZL_T_INTEGER && mr->children[0].value.u.i == 3800);
    zl_value_set_bytes(&mr->children[1].value, ZL_T_STRING, "5000", 4);
    CHECK_EQ_INT(apply(o, "/3", err, sizeof err), ZL_OK);
    CHECK(mr->children[1].value.type == ZL_T_INTEGER && mr->children[1].value.u.i == 5000);
    zl_node_free(o);

    /* create /1 with an instance node: the message names the created instance */
    in = zl_node_new(ZL_N_INSTANCE, 5);
    zl_value_set_bytes(&zl_node_add_child(in, ZL_N_RESOURCE, 1)->value, ZL_T_STRING, "soon", 4);
    CHECK_EQ_INT(apply(in, "/1", err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "/1/5/1: \"soon\"") == err);
    zl_node_free(in);

    /* a resource instance addressed by its own path */
    ri = zl_node_new(ZL_N_RES_INSTANCE, 1);
    zl_value_set_bytes(&ri->value, ZL_T_STRING, "-7", 2);
    CHECK_EQ_INT(apply(ri, "/3/0/7/1", err, sizeof err), ZL_OK);
    CHECK(ri->value.type == ZL_T_INTEGER && ri->value.u.i == -7);
    zl_node_free(ri);
    /* a Write-Composite root container: objects under "/" */
    zl_node_t *root = zl_node_new(ZL_N_OBJECT, 65535);
    o = zl_node_add_child(root, ZL_N_OBJECT, 1);
    zl_value_set_bytes(&zl_node_add_child(zl_node_add_child(o, ZL_N_INSTANCE, 0), ZL_N_RESOURCE, 1)->value,
                       ZL_T_STRING, "60", 2);
    o = zl_node_add_child(root, ZL_N_OBJECT, 3303);
    zl_value_set_bytes(&zl_node_add_child(zl_node_add_child(o, ZL_N_INSTANCE, 2), ZL_N_RESOURCE, 5700)->value,
                       ZL_T_STRING, "hot", 3);
    zl_path_t rp = {0};
    CHECK_EQ_INT(zl_node_apply_model(NULL, root, &rp, err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "/3303/2/5700: \"hot\" is not a valid FLOAT") == err);
    r = &root->children[0].children[0].children[0];
    CHECK(r->value.type == ZL_T_INTEGER && r->value.u.i == 60);
    zl_node_free(root);
    /* nothing to do for a NULL body */
    CHECK_EQ_INT(zl_node_apply_model(NULL, NULL, &rp, err, sizeof err), ZL_OK);
}

/* text/plain of resources without a model: typed by how the text is written. */
static void test_text_inference(void) {
    static const struct { const char *s; zl_type_t t; } cases[] = {
        {"-30.0", ZL_T_FLOAT}, {"-30", ZL_T_INTEGER}, {"21.5", ZL_T_FLOAT},  {"1e3", ZL_T_FLOAT},
        {"0", ZL_T_INTEGER},   {"true", ZL_T_STRING}, {"abc", ZL_T_STRING}, {"", ZL_T_STRING},
        {"12a", ZL_T_STRING},  {"nan", ZL_T_STRING},  {"3:0", ZL_T_STRING},
        {"99999999999999999999", ZL_T_FLOAT}, /* over int64: still a number */
    };
    zl_path_t p = zt_path("/32769/0/1");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zl_node_t *n = NULL;
        char err[128];
        CHECK_EQ_INT(zl_content_decode(ZL_CF_TEXT, (const uint8_t *)cases[i].s, strlen(cases[i].s), &p, NULL, &n,
                                       err, sizeof err),
                     ZL_OK);
        if (GUARD(n)) CHECK_EQ_INT(n->value.type, cases[i].t);
        zl_node_free(n);
    }
    zl_node_t *n = NULL;
    CHECK_EQ_INT(zl_content_decode(ZL_CF_TEXT, (const uint8_t *)"\xff\xfe", 2, &p, NULL, &n, NULL, 0), ZL_OK);
    if (GUARD(n)) CHECK(n->value.type == ZL_T_OPAQUE && n->value.len == 2);
    zl_node_free(n);
}

/* Resource rid of instance iid of the object node o. */
static const zl_value_t *val(const zl_node_t *o, uint16_t iid, uint16_t rid) {
    const zl_node_t *in = o ? zl_node_child(o, iid) : NULL;
    const zl_node_t *r = in ? zl_node_child(in, rid) : NULL;
    return r ? &r->value : NULL;
}

/* SenML of an object without a model: -30.0 is FLOAT in every instance. */
static void test_senml_inference(void) {
    const char *json = "[{\"bn\":\"/32769/\",\"n\":\"0/1\",\"v\":-30.0},{\"n\":\"1/1\",\"v\":21.5},"
                       "{\"n\":\"2/1\",\"v\":-30},{\"n\":\"3/1\",\"v\":1e2}]";
    zl_path_t p = zt_path("/32769");
    char err[160] = "";
    zl_node_t *o = NULL;
    CHECK_EQ_INT(zl_senml_json_decode((const uint8_t *)json, strlen(json), &p, NULL, &o, err, sizeof err), ZL_OK);
    const zl_value_t *v = val(o, 0, 1);
    if (GUARD(v)) CHECK(v->type == ZL_T_FLOAT && v->u.f == -30.0);
    v = val(o, 1, 1);
    if (GUARD(v)) CHECK(v->type == ZL_T_FLOAT && v->u.f == 21.5);
    v = val(o, 2, 1);
    if (GUARD(v)) CHECK(v->type == ZL_T_INTEGER && v->u.i == -30);
    v = val(o, 3, 1);
    if (GUARD(v)) CHECK(v->type == ZL_T_FLOAT && v->u.f == 100.0);
    zl_node_free(o);

    /* CBOR: [{-2:"/32769/0/", 0:"1", 2:-30.0 (half float)}, {0:"2", 2:-30 (integer)}] */
    static const uint8_t cb[] = {0x82, 0xa3, 0x21, 0x69, '/', '3', '2', '7', '6', '9', '/', '0', '/', 0x00, 0x61,
                                 '1',  0x02, 0xf9, 0xcf, 0x80, 0xa2, 0x00, 0x61, '2', 0x02, 0x38, 0x1d};
    p = zt_path("/32769/0");
    zl_node_t *in = NULL;
    CHECK_EQ_INT(zl_senml_cbor_decode(cb, sizeof cb, &p, NULL, &in, err, sizeof err), ZL_OK);
    const zl_node_t *r = in ? zl_node_child(in, 1) : NULL;
    if (GUARD(r)) CHECK(r->value.type == ZL_T_FLOAT && r->value.u.f == -30.0);
    r = in ? zl_node_child(in, 2) : NULL;
    if (GUARD(r)) CHECK(r->value.type == ZL_T_INTEGER && r->value.u.i == -30);
    zl_node_free(in);

    /* a model still decides: 21 for a FLOAT resource is FLOAT, 300.0 for an INTEGER one INTEGER */
    const char *m = "[{\"n\":\"/3303/0/5700\",\"v\":21}]";
    zl_path_t rp = zt_path("/3303/0/5700");
    zl_node_t *res = NULL;
    CHECK_EQ_INT(zl_senml_json_decode((const uint8_t *)m, strlen(m), &rp, NULL, &res, err, sizeof err), ZL_OK);
    if (GUARD(res)) CHECK(res->value.type == ZL_T_FLOAT && res->value.u.f == 21.0);
    zl_node_free(res);
    m = "[{\"n\":\"/1/0/1\",\"v\":300.0}]";
    rp = zt_path("/1/0/1");
    res = NULL;
    CHECK_EQ_INT(zl_senml_json_decode((const uint8_t *)m, strlen(m), &rp, NULL, &res, err, sizeof err), ZL_OK);
    if (GUARD(res)) CHECK(res->value.type == ZL_T_INTEGER && res->value.u.i == 300);
    zl_node_free(res);
}

int main(void) {
    test_from_string();
    test_refusals();
    test_between_types();
    test_trees();
    test_text_inference();
    test_senml_inference();
    TEST_MAIN_END();
}
