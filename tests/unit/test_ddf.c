/* SPDX-License-Identifier: Apache-2.0 */
/* OMA DDF loading: field mapping, models handle (override, lookups, NULL),
 * TLV typed by a loaded model, error positions, hostile XML, directories. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lwm2m/content.h"
#include "lwm2m/ddf.h"
#include "lwm2m/model.h"
#include "lwm2m/tlv.h"
#include "test.h"
#include "common/log.h"

static char err[512];

/* The committed fuzz corpus doubles as fixtures: tests/fuzz/corpus/ddf/. */
static char *fixture(const char *name, size_t *len) {
    char path[1024];
    const char *f = __FILE__, *slash = strrchr(f, '/');
    snprintf(path, sizeof path, "%.*s/../fuzz/corpus/ddf/%s", slash ? (int)(slash - f) : 1, slash ? f : ".", name);
    FILE *fp = fopen(path, "rb");
    if (!fp) { fprintf(stderr, "cannot open fixture %s: %s\n", path, strerror(errno)); exit(1); }
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, fp);
    fclose(fp);
    buf[n] = 0;
    *len = n;
    return buf;
}

static void write_file(const char *dir, const char *name, const char *text, size_t n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    fwrite(text, 1, n, f);
    fclose(f);
}

static const zl_res_model_t *res_of(const zl_obj_model_t *o, uint16_t rid) {
    for (unsigned i = 0; o && i < o->n_res; i++)
        if (o->res[i].id == rid) return &o->res[i];
    return NULL;
}

static void check_res(const zl_obj_model_t *o, uint16_t rid, const char *name, zl_type_t t, bool multi,
                      const char *ops) {
    const zl_res_model_t *r = res_of(o, rid);
    CHECK(r != NULL);
    if (!r) { fprintf(stderr, "  resource %u missing\n", rid); return; }
    CHECK_STR(r->name, name);
    CHECK_EQ_INT(r->type, t);
    CHECK_EQ_INT(r->multiple, multi);
    CHECK_STR(r->ops, ops);
}

static void test_parse_3303(void) {
    size_t n;
    char *xml = fixture("3303-temperature.xml", &n);
    zl_ddf_t d;
    CHECK_EQ_INT(zl_ddf_parse(xml, n, "3303.xml", &d, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(d.n, 1);
    if (d.n == 1) {
        const zl_obj_model_t *o = d.v[0];
        CHECK_EQ_INT(o->id, 3303);
        CHECK_STR(o->name, "Temperature");
        CHECK(o->multiple);
        CHECK_EQ_INT(o->n_res, 8);
        for (unsigned i = 1; i < o->n_res; i++) CHECK(o->res[i - 1].id < o->res[i].id); /* sorted */
        check_res(o, 5700, "Sensor Value", ZL_T_FLOAT, false, "R");
        check_res(o, 5601, "Min Measured Value", ZL_T_FLOAT, false, "R");
        check_res(o, 5602, "Max Measured Value", ZL_T_FLOAT, false, "R");
        check_res(o, 5701, "Sensor Units", ZL_T_STRING, false, "R");
        check_res(o, 5605, "Reset Min and Max Measured Values", ZL_T_NONE, false, "E");
        check_res(o, 5750, "Application Type", ZL_T_STRING, false, "RW");
        check_res(o, 5518, "Timestamp", ZL_T_TIME, false, "R");
        check_res(o, 6042, "Measurement Quality Indicator", ZL_T_INTEGER, false, "R");
    }
    zl_ddf_free(&d);
    free(xml);
}

static void test_parse_every_type(void) {
    size_t n;
    char *xml = fixture("10241-every-type.xml", &n);
    zl_ddf_t d;
    CHECK_EQ_INT(zl_ddf_parse(xml, n, "10241.xml", &d, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(d.n, 1);
    if (d.n == 1) {
        const zl_obj_model_t *o = d.v[0];
        CHECK_EQ_INT(o->id, 10241);
        CHECK_STR(o->name, "Zeelos Test Object");
        CHECK(!o->multiple);
        CHECK_EQ_INT(o->n_res, 12);
        check_res(o, 0, "Label", ZL_T_STRING, false, "RW");
        check_res(o, 1, "Count", ZL_T_INTEGER, false, "R");
        check_res(o, 2, "Unsigned Count", ZL_T_INTEGER, false, "R");
        check_res(o, 3, "Level", ZL_T_FLOAT, false, "RW");
        check_res(o, 4, "Enabled", ZL_T_BOOLEAN, false, "RW");
        check_res(o, 5, "Blob", ZL_T_OPAQUE, false, "R");
        check_res(o, 6, "Stamp", ZL_T_TIME, false, "R");
        check_res(o, 7, "Link", ZL_T_OBJLNK, false, "RW");
        check_res(o, 8, "Core Links", ZL_T_STRING, false, "R");
        check_res(o, 9, "Reset", ZL_T_NONE, false, "E");
        check_res(o, 10, "Samples", ZL_T_INTEGER, true, "R");
        check_res(o, 65534, "Last", ZL_T_INTEGER, false, "");
    }
    zl_ddf_free(&d);
    free(xml);
    /* type names: trimmed, case-insensitive */
    CHECK_EQ_INT(zl_ddf_type("unsigned integer"), ZL_T_INTEGER);
    CHECK_EQ_INT(zl_ddf_type("Corelnk"), ZL_T_STRING);
    CHECK_EQ_INT(zl_ddf_type(""), ZL_T_NONE);
    CHECK_EQ_INT(zl_ddf_type("Double"), -1);
}

/* TLV: resource 1 (4-byte int 0x00010203), 3 (8-byte float 1.5), 4 (bool 1),
 * 10 multiple with instances 0 -> 7 and 1 -> -2. */
static const uint8_t tlv_inst[] = {
    0xc4, 0x01, 0x00, 0x01, 0x02, 0x03,
    0xc8, 0x03, 0x08, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0,
    0xc1, 0x04, 0x01,
    0x86, 0x0a, 0x41, 0x00, 0x07, 0x41, 0x01, 0xfe,
};

static void test_tlv_typed_by_loaded_model(void) {
    size_t n;
    char *xml = fixture("10241-every-type.xml", &n);
    zl_models_t *m = zl_models_new();
    CHECK(m != NULL);
    CHECK_EQ_INT(zl_models_load_xml(m, xml, n, "10241.xml", err, sizeof err), ZL_OK);
    CHECK_EQ_INT(zl_models_loaded(m), 1);
    free(xml);

    zl_path_t p;
    CHECK_EQ_INT(zl_path_parse("/10241/0/1", &p, err, sizeof err), ZL_OK);
    zl_node_t *node = NULL;
    /* without the model: raw bytes */
    CHECK_EQ_INT(zl_tlv_decode(tlv_inst, 6, &p, NULL, &node, err, sizeof err), ZL_OK);
    CHECK(node && node->value.type == ZL_T_NONE && node->value.len == 4);
    zl_node_free(node);
    node = NULL;
    /* with it: an integer */
    CHECK_EQ_INT(zl_tlv_decode(tlv_inst, 6, &p, m, &node, err, sizeof err), ZL_OK);
    CHECK(node && node->value.type == ZL_T_INTEGER);
    if (node) CHECK_EQ_INT(node->value.u.i, 0x010203);
    zl_node_free(node);

    /* whole instance through the content dispatcher */
    CHECK_EQ_INT(zl_path_parse("/10241/0", &p, err, sizeof err), ZL_OK);
    node = NULL;
    CHECK_EQ_INT(zl_content_decode(ZL_CF_TLV, tlv_inst, sizeof tlv_inst, &p, m, &node, err, sizeof err), ZL_OK);
    CHECK(node && node->n_children == 4);
    if (node && node->n_children == 4) {
        CHECK_EQ_INT(node->children[0].value.type, ZL_T_INTEGER);
        CHECK_EQ_INT(node->children[1].value.type, ZL_T_FLOAT);
        CHECK(node->children[1].value.u.f == 1.5);
        CHECK_EQ_INT(node->children[2].value.type, ZL_T_BOOLEAN);
        CHECK(node->children[2].value.u.b);
        const zl_node_t *mr = &node->children[3];
        CHECK_EQ_INT(mr->kind, ZL_N_MULTI);
        CHECK(mr->n_children == 2);
        if (mr->n_children == 2) {
            CHECK_EQ_INT(mr->children[0].value.type, ZL_T_INTEGER);
            CHECK_EQ_INT(mr->children[0].value.u.i, 7);
            CHECK_EQ_INT(mr->children[1].value.u.i, -2);
        }
    }
    zl_node_free(node);

    /* the loaded single-instance object accepts bare resources for /10241 */
    CHECK_EQ_INT(zl_path_parse("/10241", &p, err, sizeof err), ZL_OK);
    node = NULL;
    CHECK_EQ_INT(zl_content_decode(ZL_CF_TLV, tlv_inst, 6, &p, m, &node, err, sizeof err), ZL_OK);
    CHECK(node && node->n_children == 1 && node->children[0].children[0].value.type == ZL_T_INTEGER);
    zl_node_free(node);

    /* text/plain is typed by the loaded model too */
    CHECK_EQ_INT(zl_path_parse("/10241/0/4", &p, err, sizeof err), ZL_OK);
    node = NULL;
    CHECK_EQ_INT(zl_content_decode(ZL_CF_TEXT, (const uint8_t *)"1", 1, &p, m, &node, err, sizeof err), ZL_OK);
    CHECK(node && node->value.type == ZL_T_BOOLEAN && node->value.u.b);
    zl_node_free(node);
    zl_models_destroy(m);
}

static const char override_3303[] =
    "<LWM2M><Object ObjectType=\"MODefinition\"><Name>Vendor Temperature</Name><ObjectID>3303</ObjectID>"
    "<MultipleInstances>Single</MultipleInstances><Resources>"
    "<Item ID=\"5700\"><Name>Centi-degrees</Name><Operations>R</Operations>"
    "<MultipleInstances>Single</MultipleInstances><Type>Integer</Type></Item>"
    "</Resources></Object></LWM2M>";

static void test_override_builtin(void) {
    zl_models_t *m = zl_models_new();
    /* before loading: the built-ins, same as NULL */
    CHECK(zl_models_object(m, 3303) == zl_model_object(3303));
    CHECK(zl_models_object(NULL, 3303) == zl_model_object(3303));
    CHECK(zl_models_resource(NULL, 3, 0) == zl_model_resource(3, 0));
    CHECK(zl_models_object(NULL, 10241) == NULL);
    CHECK_EQ_INT(zl_models_load_xml(m, override_3303, strlen(override_3303), "vendor.xml", err, sizeof err),
                 ZL_OK);
    const zl_obj_model_t *o = zl_models_object(m, 3303);
    CHECK(o && o != zl_model_object(3303));
    if (o) CHECK_STR(o->name, "Vendor Temperature");
    CHECK(o && !o->multiple);
    const zl_res_model_t *r = zl_models_resource(m, 3303, 5700);
    CHECK(r && r->type == ZL_T_INTEGER);
    CHECK(zl_models_resource(m, 3303, 5701) == NULL); /* the whole object is replaced */
    CHECK(zl_model_resource(3303, 5700)->type == ZL_T_FLOAT); /* built-in untouched */
    CHECK(zl_models_resource(NULL, 3303, 5700)->type == ZL_T_FLOAT);
    CHECK(zl_models_resource(m, 3, 0) == zl_model_resource(3, 0)); /* others still built-in */
    /* a second definition of the same object is refused, handle unchanged */
    CHECK_EQ_INT(zl_models_load_xml(m, override_3303, strlen(override_3303), "again.xml", err, sizeof err),
                 ZL_ERR_INVALID);
    CHECK(strstr(err, "again.xml") && strstr(err, "3303") && strstr(err, "vendor.xml"));
    CHECK_EQ_INT(zl_models_loaded(m), 1);

    /* the decoders follow: text "2150" is an integer now, a float with the built-ins */
    zl_path_t p;
    zl_path_parse("/3303/0/5700", &p, err, sizeof err);
    zl_node_t *node = NULL;
    CHECK_EQ_INT(zl_content_decode(ZL_CF_TEXT, (const uint8_t *)"2150", 4, &p, m, &node, err, sizeof err), ZL_OK);
    CHECK(node && node->value.type == ZL_T_INTEGER && node->value.u.i == 2150);
    zl_node_free(node);
    node = NULL;
    CHECK_EQ_INT(zl_content_decode(ZL_CF_TEXT, (const uint8_t *)"2150", 4, &p, NULL, &node, err, sizeof err), ZL_OK);
    CHECK(node && node->value.type == ZL_T_FLOAT);
    zl_node_free(node);
    zl_models_destroy(m);
    zl_models_destroy(NULL);
}

/* Expects failure with code e and a message containing want (and, if set, want2). */
static void expect_fail(const char *xml, zl_err_t e, const char *want, const char *want2) {
    zl_models_t *m = zl_models_new();
    err[0] = 0;
    zl_err_t got = zl_models_load_xml(m, xml, strlen(xml), "bad.xml", err, sizeof err);
    CHECK_EQ_INT(got, e);
    if (!strstr(err, want) || (want2 && !strstr(err, want2))) {
        zt_fail++;
        fprintf(stderr, "  message \"%s\" lacks \"%s\"%s%s\n", err, want, want2 ? " / " : "", want2 ? want2 : "");
    } else {
        zt_pass++;
    }
    CHECK_EQ_INT(zl_models_loaded(m), 0);
    zl_models_destroy(m);
}

#define OBJ_HEAD "<LWM2M><Object ObjectType=\"MODefinition\"><Name>X</Name><ObjectID>10241</ObjectID>" \
                 "<MultipleInstances>Single</MultipleInstances>"
#define ITEM(id, type) "<Item ID=\"" id "\"><Name>R</Name><Operations>R</Operations>" \
                       "<MultipleInstances>Single</MultipleInstances><Type>" type "</Type></Item>"

static void test_malformed(void) {
    /* XML errors carry file:line:col */
    expect_fail("<LWM2M>\n  <Object>\n    <Name>x</Nme>", ZL_ERR_INVALID, "bad.xml:3:14: XML error: mismatched tag",
                NULL);
    expect_fail("", ZL_ERR_INVALID, "bad.xml:1:1: XML error", NULL);
    expect_fail("<LWM2M><Object", ZL_ERR_INVALID, "bad.xml:1:", "XML error");
    expect_fail("<LWM2M>\xff</LWM2M>", ZL_ERR_INVALID, "bad.xml:1:8: XML error", NULL);
    /* structure and values */
    expect_fail("<lwm2m/>", ZL_ERR_INVALID, "bad.xml:1:1: root element is <lwm2m>", NULL);
    expect_fail("<LWM2M/>", ZL_ERR_INVALID, "no <Object>", NULL);
    expect_fail("<LWM2M>\n<Thing/></LWM2M>", ZL_ERR_INVALID, "bad.xml:2:1: unexpected element <Thing>", NULL);
    expect_fail("<LWM2M><Object ObjectType=\"MODefinitio\"/></LWM2M>", ZL_ERR_INVALID, "ObjectType", NULL);
    expect_fail("<LWM2M>\n  <Object><Name>X</Name><MultipleInstances>Single</MultipleInstances><Resources/></Object></LWM2M>",
                ZL_ERR_INVALID, "bad.xml:2:3: Object X has no <ObjectID>", NULL);
    expect_fail(OBJ_HEAD "</Object></LWM2M>", ZL_ERR_INVALID, "has no <Resources>", NULL);
    expect_fail("<LWM2M><Object><Name>X</Name><ObjectID>65535</ObjectID>", ZL_ERR_INVALID,
                "ObjectID \"65535\" is not an object id", NULL);
    expect_fail("<LWM2M><Object><Name>X</Name><ObjectID>-1</ObjectID>", ZL_ERR_INVALID, "ObjectID \"-1\"", NULL);
    expect_fail("<LWM2M><Object><Name>X</Name><ObjectID>1</ObjectID><ObjectID>2</ObjectID>", ZL_ERR_INVALID,
                "duplicate <ObjectID>", NULL);
    expect_fail("<LWM2M><Object><Name>X</Name><MultipleInstances>Many</MultipleInstances>", ZL_ERR_INVALID,
                "MultipleInstances \"Many\"", NULL);
    expect_fail(OBJ_HEAD "<Resources>\n" ITEM("1", "Strng") "</Resources></Object></LWM2M>", ZL_ERR_INVALID,
                "bad.xml:2:", "Type \"Strng\" is not");
    expect_fail(OBJ_HEAD "<Resources>" ITEM("65535", "String") "</Resources></Object></LWM2M>", ZL_ERR_INVALID,
                "Item ID \"65535\"", NULL);
    expect_fail(OBJ_HEAD "<Resources>" ITEM("x1", "String") "</Resources></Object></LWM2M>", ZL_ERR_INVALID,
                "Item ID \"x1\"", NULL);
    expect_fail(OBJ_HEAD "<Resources><Item><Name>R</Name></Item></Resources></Object></LWM2M>", ZL_ERR_INVALID,
                "Item without an ID", NULL);
    expect_fail(OBJ_HEAD "<Resources>" ITEM("7", "String") ITEM("7", "Integer") "</Resources></Object></LWM2M>",
                ZL_ERR_INVALID, "duplicate resource Item ID 7", NULL);
    expect_fail(OBJ_HEAD "<Resources>\n<Item ID=\"3\"><Name>R</Name><Operations>R</Operations><Type>Float</Type>"
                "</Item></Resources></Object></LWM2M>",
                ZL_ERR_INVALID, "bad.xml:2:1: Item 3 has no <MultipleInstances>", NULL);
    expect_fail(OBJ_HEAD "<Resources><Item ID=\"3\"><Name>R</Name><Operations>RX</Operations>", ZL_ERR_INVALID,
                "Operations \"RX\"", NULL);
    expect_fail(OBJ_HEAD "<Resources><Item ID=\"3\"><Name>R<b>old</b></Name>", ZL_ERR_INVALID,
                "unexpected element <b> inside <Name>", NULL);
    expect_fail(OBJ_HEAD "<Resources/></Object>\n<Object><Name>Y</Name><ObjectID>10241</ObjectID>"
                "<MultipleInstances>Single</MultipleInstances><Resources/></Object></LWM2M>", ZL_ERR_INVALID,
                "bad.xml:2:1: Object 10241 defined twice", NULL);
    /* an over-long name */
    char *big = malloc(ZL_DDF_MAX_TEXT + 200);
    int k = sprintf(big, "<LWM2M><Object><Name>");
    memset(big + k, 'a', ZL_DDF_MAX_TEXT + 1);
    strcpy(big + k + ZL_DDF_MAX_TEXT + 1, "</Name></Object></LWM2M>");
    expect_fail(big, ZL_ERR_INVALID, "<Name> text longer than", NULL);
    free(big);
    /* size cap */
    char *huge = malloc(ZL_DDF_MAX_SIZE + 2);
    memset(huge, ' ', ZL_DDF_MAX_SIZE + 1);
    huge[ZL_DDF_MAX_SIZE + 1] = 0;
    expect_fail(huge, ZL_ERR_TOO_LARGE, "bad.xml: 1048577 bytes, more than the 1048576 allowed", NULL);
    free(huge);
}

static void test_object_cap(void) {
    size_t cap = (ZL_DDF_MAX_OBJECTS + 1) * 120 + 64, n = 0;
    char *xml = malloc(cap);
    n += (size_t)sprintf(xml + n, "<LWM2M>");
    for (int i = 0; i <= ZL_DDF_MAX_OBJECTS; i++)
        n += (size_t)sprintf(xml + n, "<Object><Name>o</Name><ObjectID>%d</ObjectID>"
                                      "<MultipleInstances>Single</MultipleInstances><Resources/></Object>", 20000 + i);
    n += (size_t)sprintf(xml + n, "</LWM2M>");
    expect_fail(xml, ZL_ERR_INVALID, "more than 4096 objects", NULL);
    /* exactly the cap loads */
    char *last = strstr(xml, "<Object><Name>o</Name><ObjectID>24096<");
    CHECK(last != NULL);
    if (last) {
        strcpy(last, "</LWM2M>");
        zl_models_t *m = zl_models_new();
        CHECK_EQ_INT(zl_models_load_xml(m, xml, strlen(xml), "many.xml", err, sizeof err), ZL_OK);
        CHECK_EQ_INT(zl_models_loaded(m), ZL_DDF_MAX_OBJECTS);
        CHECK(zl_models_object(m, 20000) && zl_models_object(m, 24095) && !zl_models_object(m, 24096));
        /* and the handle refuses more */
        const char *one = "<LWM2M><Object><Name>o</Name><ObjectID>1000</ObjectID>"
                          "<MultipleInstances>Single</MultipleInstances><Resources/></Object></LWM2M>";
        CHECK_EQ_INT(zl_models_load_xml(m, one, strlen(one), "one.xml", err, sizeof err), ZL_ERR_TOO_LARGE);
        zl_models_destroy(m);
    }
    free(xml);
}

static void test_hostile(void) {
    size_t n;
    /* billion laughs: refused at the first entity declaration, before any expansion */
    char *xml = fixture("billion-laughs.xml", &n);
    zl_models_t *m = zl_models_new();
    CHECK_EQ_INT(zl_models_load_xml(m, xml, n, "lol.xml", err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "lol.xml:3:") && strstr(err, "entity declaration <!ENTITY lol> refused"));
    free(xml);

    /* external entity.  The target is a FIFO without a writer: a parser that
     * tried to read it would block here forever (ctest timeout), so passing
     * shows it is never opened. */
    char dir[] = "/tmp/zl_ddf_xxe_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char fifo[1100];
    snprintf(fifo, sizeof fifo, "%s/secret", dir);
    CHECK(mkfifo(fifo, 0600) == 0);
    char doc[1024];
    snprintf(doc, sizeof doc,
             "<?xml version=\"1.0\"?>\n<!DOCTYPE LWM2M [<!ENTITY x SYSTEM \"file://%s/secret\">]>\n"
             "<LWM2M><Object><Name>&x;</Name><ObjectID>1</ObjectID><MultipleInstances>Single</MultipleInstances>"
             "<Resources/></Object></LWM2M>", dir);
    CHECK_EQ_INT(zl_models_load_xml(m, doc, strlen(doc), "xxe.xml", err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "xxe.xml:2:") && strstr(err, "<!ENTITY x> refused"));

    /* parameter entity pulling an external subset */
    snprintf(doc, sizeof doc, "<!DOCTYPE LWM2M [<!ENTITY %% p SYSTEM \"file://%s/secret\"> %%p;]><LWM2M/>", dir);
    CHECK_EQ_INT(zl_models_load_xml(m, doc, strlen(doc), "pe.xml", err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "<!ENTITY % p> refused") != NULL);
    /* an external DTD */
    snprintf(doc, sizeof doc, "<!DOCTYPE LWM2M SYSTEM \"file://%s/secret\">\n<LWM2M/>", dir);
    CHECK_EQ_INT(zl_models_load_xml(m, doc, strlen(doc), "dtd.xml", err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "dtd.xml:1:") && strstr(err, "DOCTYPE with an external DTD"));
    /* a harmless internal DOCTYPE is fine, an undeclared entity is an XML error */
    const char *ok = "<!DOCTYPE LWM2M>\n" OBJ_HEAD "<Resources/></Object></LWM2M>";
    CHECK_EQ_INT(zl_models_load_xml(m, ok, strlen(ok), "ok.xml", err, sizeof err), ZL_OK);
    const char *undef = "<LWM2M><Object><Name>&x;</Name></Object></LWM2M>";
    CHECK_EQ_INT(zl_models_load_xml(m, undef, strlen(undef), "u.xml", err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "undefined entity") != NULL);
    /* predefined and character entities are not declarations: allowed */
    zl_models_destroy(m);
    m = zl_models_new();
    const char *amp = "<LWM2M><Object><Name>A &amp; B &#x263A;</Name><ObjectID>10242</ObjectID>"
                      "<MultipleInstances>Multiple</MultipleInstances><Resources/></Object></LWM2M>";
    CHECK_EQ_INT(zl_models_load_xml(m, amp, strlen(amp), "amp.xml", err, sizeof err), ZL_OK);
    CHECK(zl_models_object(m, 10242) && strcmp(zl_models_object(m, 10242)->name, "A & B \xe2\x98\xba") == 0);
    zl_models_destroy(m);

    unlink(fifo);
    rmdir(dir);
}

static void test_load_dir(void) {
    size_t n1, n2;
    char *t = fixture("3303-temperature.xml", &n1);
    char *c = fixture("10241-every-type.xml", &n2);
    char dir[] = "/tmp/zl_ddf_dir_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    write_file(dir, "3303.xml", t, n1);
    write_file(dir, "custom.XML", c, n2);
    write_file(dir, "README.txt", "not xml", 7);
    write_file(dir, ".hidden.xml", "<garbage", 8);
    zl_models_t *m = zl_models_new();
    CHECK_EQ_INT(zl_models_load_dir(m, dir, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(zl_models_loaded(m), 2);
    CHECK(zl_models_object(m, 3303) && zl_models_object(m, 3303) != zl_model_object(3303));
    CHECK(zl_models_resource(m, 10241, 2) && zl_models_resource(m, 10241, 2)->type == ZL_T_INTEGER);

    /* a broken file fails the whole load with its path and position; nothing changes */
    char dir2[] = "/tmp/zl_ddf_dir2_XXXXXX";
    CHECK(mkdtemp(dir2) != NULL);
    write_file(dir2, "a.xml", override_3303, strlen(override_3303));
    const char *b = "<LWM2M>\n<Object>\n<Name>x</Name>\n<ObjectID>1O</ObjectID>";
    write_file(dir2, "b.xml", b, strlen(b));
    zl_models_t *m2 = zl_models_new();
    CHECK_EQ_INT(zl_models_load_dir(m2, dir2, err, sizeof err), ZL_ERR_INVALID);
    char want[256];
    snprintf(want, sizeof want, "%s/b.xml:4:", dir2);
    CHECK(strstr(err, want) && strstr(err, "ObjectID \"1O\""));
    if (!strstr(err, want)) fprintf(stderr, "  %s\n", err);
    CHECK_EQ_INT(zl_models_loaded(m2), 0);
    CHECK(zl_models_object(m2, 3303) == zl_model_object(3303));
    /* two files defining one object */
    write_file(dir2, "b.xml", override_3303, strlen(override_3303));
    CHECK_EQ_INT(zl_models_load_dir(m2, dir2, err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "b.xml: object 3303 is already defined in") && strstr(err, "a.xml"));
    /* an object already in the handle */
    char path[1100];
    snprintf(path, sizeof path, "%s/b.xml", dir2);
    unlink(path);
    CHECK_EQ_INT(zl_models_load_dir(m, dir2, err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "a.xml: object 3303 is already defined in") && strstr(err, "3303.xml"));
    CHECK_EQ_INT(zl_models_loaded(m), 2);
    CHECK_EQ_INT(zl_models_load_dir(m2, dir2, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(zl_models_loaded(m2), 1);
    /* too big a file */
    char *huge = malloc(ZL_DDF_MAX_SIZE + 1);
    memset(huge, ' ', ZL_DDF_MAX_SIZE + 1);
    write_file(dir2, "huge.xml", huge, ZL_DDF_MAX_SIZE + 1);
    free(huge);
    CHECK_EQ_INT(zl_models_load_dir(m2, dir2, err, sizeof err), ZL_ERR_TOO_LARGE);
    CHECK(strstr(err, "huge.xml") && strstr(err, "more than the 1048576 allowed"));
    snprintf(path, sizeof path, "%s/huge.xml", dir2);
    unlink(path);
    /* a directory named *.xml is not a regular file */
    snprintf(path, sizeof path, "%s/sub.xml", dir2);
    mkdir(path, 0700);
    CHECK_EQ_INT(zl_models_load_dir(m2, dir2, err, sizeof err), ZL_ERR_IO);
    CHECK(strstr(err, "sub.xml: not a regular file") != NULL);
    rmdir(path);
    /* missing directory */
    CHECK_EQ_INT(zl_models_load_dir(m2, "/nonexistent/zl-models", err, sizeof err), ZL_ERR_IO);
    CHECK(strstr(err, "/nonexistent/zl-models") != NULL);
    /* an empty directory is fine */
    char dir3[] = "/tmp/zl_ddf_dir3_XXXXXX";
    CHECK(mkdtemp(dir3) != NULL);
    CHECK_EQ_INT(zl_models_load_dir(m2, dir3, err, sizeof err), ZL_OK);
    rmdir(dir3);
    zl_models_destroy(m);
    zl_models_destroy(m2);

    const char *names[] = {"3303.xml", "custom.XML", "README.txt", ".hidden.xml"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/a.xml", dir2);
    unlink(path);
    rmdir(dir);
    rmdir(dir2);
    free(t);
    free(c);
}

int main(void) {
    zl_log_set_level(ZL_LOG_ERROR);
    test_parse_3303();
    test_parse_every_type();
    test_tlv_typed_by_loaded_model();
    test_override_builtin();
    test_malformed();
    test_object_cap();
    test_hostile();
    test_load_dir();
    TEST_MAIN_END();
}
