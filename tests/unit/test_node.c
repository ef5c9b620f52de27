/* SPDX-License-Identifier: Apache-2.0 */
/* Node tree helpers and type names. */
#include <stdlib.h>

#include "lwm2m/node.h"
#include "test.h"

int main(void) {
    zl_node_t *o = zl_node_new(ZL_N_OBJECT, 3);
    CHECK(o && o->kind == ZL_N_OBJECT && o->id == 3 && o->n_children == 0 && o->value.type == ZL_T_NONE);
    for (uint16_t i = 0; i < 100; i++) {
        zl_node_t *in = zl_node_add_child(o, ZL_N_INSTANCE, (uint16_t)(i * 2));
        CHECK(in && in->id == i * 2 && in->kind == ZL_N_INSTANCE);
        zl_node_t *r = zl_node_add_child(in, ZL_N_RESOURCE, 0);
        CHECK_EQ_INT(zl_value_set_bytes(&r->value, ZL_T_STRING, "abc", 3), ZL_OK);
        CHECK_EQ_INT(zl_value_set_bytes(&r->value, ZL_T_OPAQUE, "de", 2), ZL_OK); /* replaces */
    }
    CHECK_EQ_INT(o->n_children, 100);
    zl_node_t *c = zl_node_child(o, 50);
    CHECK(c && c->id == 50 && c == &o->children[25]);
    CHECK(zl_node_child(o, 51) == NULL);
    zl_node_t *r = zl_node_child(c, 0);
    CHECK(r && r->value.type == ZL_T_OPAQUE && r->value.len == 2 && r->value.bytes[2] == 0);
    zl_node_clear(c);
    CHECK(c->n_children == 0 && c->children == NULL);
    zl_node_free(o);
    zl_node_free(NULL);
    CHECK(zl_node_child(NULL, 0) == NULL);

    CHECK_STR(zl_type_name(ZL_T_STRING), "STRING");
    CHECK_STR(zl_type_name(ZL_T_OBJLNK), "OBJLNK");
    CHECK_STR(zl_type_name(ZL_T_TIME), "TIME");
    CHECK_STR(zl_type_name(ZL_T_NONE), "NONE");
    CHECK_STR(zl_type_name((zl_type_t)42), "NONE");
    TEST_MAIN_END();
}
