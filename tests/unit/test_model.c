/* Built-in models: table order (binary search depends on it) and registry facts. */
#include "lwm2m/model.h"
#include "test.h"

int main(void) {
    /* every table sorted strictly by id, so lookup finds each entry */
    unsigned found = 0, total = 0;
    for (unsigned oid = 0; oid < 65535; oid++) {
        const zl_obj_model_t *o = zl_model_object((uint16_t)oid);
        if (!o) continue;
        CHECK_EQ_INT(o->id, oid);
        for (unsigned i = 0; i < o->n_res; i++) {
            total++;
            if (i) CHECK(o->res[i - 1].id < o->res[i].id);
            if (zl_model_resource(o->id, o->res[i].id) == &o->res[i]) found++;
            CHECK(o->res[i].type != ZL_T_NONE || o->res[i].ops[0] == 'E');
        }
    }
    CHECK_EQ_INT(found, total);
    CHECK(total > 150);

    const zl_res_model_t *r = zl_model_resource(3, 13);
    CHECK(r && r->type == ZL_T_TIME && !r->multiple);
    if (r) CHECK_STR(r->ops, "RW");
    r = zl_model_resource(3, 6);
    CHECK(r && r->type == ZL_T_INTEGER && r->multiple);
    r = zl_model_resource(3, 4);
    CHECK(r && r->type == ZL_T_NONE);
    if (r) CHECK_STR(r->ops, "E");
    r = zl_model_resource(3303, 5700);
    CHECK(r && r->type == ZL_T_FLOAT);
    if (r) CHECK_STR(r->name, "Sensor Value");
    r = zl_model_resource(3303, 5701);
    CHECK(r && r->type == ZL_T_STRING);
    r = zl_model_resource(3311, 5850);
    CHECK(r && r->type == ZL_T_BOOLEAN);
    r = zl_model_resource(26241, 26257);
    CHECK(r && r->type == ZL_T_BOOLEAN && r->multiple);
    r = zl_model_resource(26241, 26252);
    CHECK(r && r->type == ZL_T_INTEGER && !r->multiple);
    if (r) CHECK_STR(r->ops, "R");
    r = zl_model_resource(6, 4);
    CHECK(r && r->type == ZL_T_OPAQUE);
    r = zl_model_resource(1, 7);
    CHECK(r && r->type == ZL_T_STRING);

    CHECK(zl_model_object(3) && !zl_model_object(3)->multiple);
    CHECK(zl_model_object(3303) && zl_model_object(3303)->multiple);
    CHECK(zl_model_object(8) == NULL);
    CHECK(zl_model_resource(3, 999) == NULL);
    CHECK(zl_model_resource(4242, 0) == NULL);
    TEST_MAIN_END();
}
