/* SPDX-License-Identifier: Apache-2.0 */
/* The value words of `zeelos request` (lwm2m/req_args.c): typed values,
 * the create value list and the LwM2M 1.1 Execute argument check. */
#include <stdlib.h>
#include <string.h>

#include "lwm2m/req_args.h"
#include "test.h"

static void test_values(void) {
    char err[256];
    zl_value_t v = {0};
    CHECK_EQ_INT(zl_req_parse_value(ZL_T_INTEGER, "-120", &v, err, sizeof err), 0);
    CHECK(v.type == ZL_T_INTEGER && v.u.i == -120);
    CHECK_EQ_INT(zl_req_parse_value(ZL_T_FLOAT, "21.5", &v, err, sizeof err), 0);
    CHECK(v.type == ZL_T_FLOAT && v.u.f == 21.5);
    CHECK_EQ_INT(zl_req_parse_value(ZL_T_INTEGER, "12x", &v, err, sizeof err), -1);
    CHECK_STR(err, "'12x' is not a valid INTEGER value");
    CHECK_EQ_INT(zl_req_parse_value(ZL_T_OBJLNK, "3:0", &v, err, sizeof err), 0);
    CHECK(v.type == ZL_T_OBJLNK && v.u.lnk.oid == 3 && v.u.lnk.iid == 0);
    CHECK_EQ_INT(zl_req_parse_value(ZL_T_BOOLEAN, "yes", &v, err, sizeof err), -1);
    CHECK_EQ_INT(zl_req_parse_value(ZL_T_STRING, "-03:00", &v, err, sizeof err), 0);
    CHECK(v.type == ZL_T_STRING && v.len == 6 && !memcmp(v.bytes, "-03:00", 6));
    free(v.bytes);
}

static void test_create(void) {
    char err[256] = "";
    /* 3303: 5700 FLOAT and 5701 STRING from the built-in model */
    zl_node_t *n = zl_req_create_node(3303, 7, "5700=21.5,5701=Cel", ZL_T_STRING, err, sizeof err);
    if (GUARD(n)) {
        CHECK(n->kind == ZL_N_INSTANCE && n->id == 7 && n->n_children == 2);
        zl_node_t *t = zl_node_child(n, 5700), *u = zl_node_child(n, 5701);
        if (GUARD(t && u)) {
            CHECK(t->kind == ZL_N_RESOURCE && t->value.type == ZL_T_FLOAT && t->value.u.f == 21.5);
            CHECK(u->value.type == ZL_T_STRING && !strcmp((char *)u->value.bytes, "Cel"));
        }
    }
    zl_node_free(n);

    /* an explicit type; an unknown object's value typed by the fallback */
    n = zl_req_create_node(32000, 0, "1:INTEGER=-5,4=7.5", ZL_T_FLOAT, err, sizeof err);
    if (GUARD(n)) {
        zl_node_t *a = zl_node_child(n, 1), *d = zl_node_child(n, 4);
        if (GUARD(a && d)) {
            CHECK(a->value.type == ZL_T_INTEGER && a->value.u.i == -5);
            CHECK(d->value.type == ZL_T_FLOAT && d->value.u.f == 7.5);
        }
    }
    zl_node_free(n);
    CHECK(!zl_req_create_node(32000, 0, "2=a\\,b", ZL_T_FLOAT, err, sizeof err));
    CHECK_STR(err, "'a,b' is not a valid FLOAT value for resource 2");

    /* escapes and a multiple resource */
    n = zl_req_create_node(32000, 0, "2=a\\,b\\\\c,3/0=x,3/1=y", ZL_T_STRING, err, sizeof err);
    if (GUARD(n)) {
        zl_node_t *b = zl_node_child(n, 2), *m = zl_node_child(n, 3);
        if (GUARD(b && m)) {
            CHECK_STR((char *)b->value.bytes, "a,b\\c");
            CHECK(m->kind == ZL_N_MULTI && m->n_children == 2);
            CHECK(m->children[1].kind == ZL_N_RES_INSTANCE && m->children[1].id == 1);
            CHECK_STR((char *)m->children[1].value.bytes, "y");
        }
    }
    zl_node_free(n);

    CHECK(!zl_req_create_node(3303, 0, "", ZL_T_STRING, err, sizeof err));
    CHECK(!zl_req_create_node(3303, 0, "5700", ZL_T_STRING, err, sizeof err));
    CHECK_STR(err, "'5700' is not RID=VALUE");
    CHECK(!zl_req_create_node(3303, 0, "5700=1,5700=2", ZL_T_STRING, err, sizeof err));
    CHECK_STR(err, "resource 5700 given twice");
    CHECK(!zl_req_create_node(3303, 0, "x=1", ZL_T_STRING, err, sizeof err));
    CHECK(!zl_req_create_node(3303, 0, "5700:REAL=1", ZL_T_STRING, err, sizeof err));
    CHECK(!zl_req_create_node(3303, 0, "70000=1", ZL_T_STRING, err, sizeof err));
    CHECK(!zl_req_create_node(3303, 0, "5700=warm", ZL_T_STRING, err, sizeof err));
    CHECK_STR(err, "'warm' is not a valid FLOAT value for resource 5700");
}

static void test_execute(void) {
    char err[256];
    const char *ok[] = {"", "0", "0,1", "0='a',1", "5='http://x.y/a?b=c&d',9=''", "1='!#$%&()*+[]{}~'"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) CHECK(zl_req_execute_args_ok(ok[i], err, sizeof err));
    const char *bad[] = {"a,b", "0,", ",0", "10", "0=a", "0='a", "0='a b'", "0='a\"'", "0='a\\'", "0 ,1",
                         "0='a'1", "0,0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (!GUARD(!zl_req_execute_args_ok(bad[i], err, sizeof err))) fprintf(stderr, "  accepted: %s\n", bad[i]);
    zl_req_execute_args_ok("a,b", err, sizeof err);
    CHECK(strstr(err, "invalid execute arguments 'a,b' at offset 0") != NULL);
    CHECK(strstr(err, "DIGIT='VALUE'") != NULL);
    zl_req_execute_args_ok("0,0", err, sizeof err);
    CHECK_STR(err, "execute argument 0 given twice");
}

int main(void) {
    test_values();
    test_create();
    test_execute();
    TEST_MAIN_END();
}
