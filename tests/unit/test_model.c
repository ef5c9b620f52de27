/* SPDX-License-Identifier: Apache-2.0 */
/* Built-in models: table order (binary search depends on it) and registry facts. */
#include "lwm2m/model.h"
#include "test.h"

/* Resource facts from the OMA LwM2M registry (IPSO objects: 1.1 where
 * published, else 1.0). */
static void check_res(uint16_t oid, uint16_t rid, zl_type_t type, bool multiple, const char *ops, const char *name) {
    const zl_res_model_t *r = zl_model_resource(oid, rid);
    if (!r) {
        CHECK(!"resource missing");
        fprintf(stderr, "  /%u/x/%u is not built in\n", (unsigned)oid, (unsigned)rid);
        return;
    }
    if (r->type != type || r->multiple != multiple) {
        CHECK(!"resource type");
        fprintf(stderr, "  /%u/x/%u: %s%s, expected %s%s\n", (unsigned)oid, (unsigned)rid, zl_type_name(r->type),
                r->multiple ? " multiple" : "", zl_type_name(type), multiple ? " multiple" : "");
    }
    CHECK_STR(r->ops, ops);
    CHECK_STR(r->name, name);
}

static void test_ipso(void) {
    /* every IPSO Smart Object of 3300-3350 (3307 and 3309 were never assigned) */
    static const struct { uint16_t id; const char *name; } ipso[] = {
        {3300, "Generic Sensor"}, {3301, "Illuminance"}, {3302, "Presence"}, {3303, "Temperature"},
        {3304, "Humidity"}, {3305, "Power Measurement"}, {3306, "Actuation"}, {3308, "Set Point"},
        {3310, "Load Control"}, {3311, "Light Control"}, {3312, "Power Control"}, {3313, "Accelerometer"},
        {3314, "Magnetometer"}, {3315, "Barometer"}, {3316, "Voltage"}, {3317, "Current"},
        {3318, "Frequency"}, {3319, "Depth"}, {3320, "Percentage"}, {3321, "Altitude"}, {3322, "Load"},
        {3323, "Pressure"}, {3324, "Loudness"}, {3325, "Concentration"}, {3326, "Acidity"},
        {3327, "Conductivity"}, {3328, "Power"}, {3329, "Power Factor"}, {3330, "Distance"},
        {3331, "Energy"}, {3332, "Direction"}, {3333, "Time"}, {3334, "Gyrometer"}, {3335, "Colour"},
        {3336, "Location"}, {3337, "Positioner"}, {3338, "Buzzer"}, {3339, "Audio Clip"},
        {3340, "Timer"}, {3341, "Addressable Text Display"}, {3342, "On/Off switch"}, {3343, "Dimmer"},
        {3344, "Up/Down Control"}, {3345, "Multiple Axis Joystick"}, {3346, "Rate"},
        {3347, "Push button"}, {3348, "Multi-state Selector"}, {3349, "Bitmap"}, {3350, "Stopwatch"},
    };
    unsigned n = 0;
    for (size_t i = 0; i < sizeof ipso / sizeof ipso[0]; i++) {
        const zl_obj_model_t *o = zl_model_object(ipso[i].id);
        CHECK(o && o->multiple && o->n_res > 0);
        if (o) CHECK_STR(o->name, ipso[i].name);
        if (o) n++;
    }
    CHECK_EQ_INT(n, 49);
    for (unsigned oid = 3300; oid <= 3350; oid++) {
        const zl_obj_model_t *o = zl_model_object((uint16_t)oid);
        if (oid == 3307 || oid == 3309) CHECK(o == NULL);
        /* every IPSO object may carry an Application Type */
        if (o) CHECK(zl_model_resource(o->id, 5750) && zl_model_resource(o->id, 5750)->type == ZL_T_STRING);
    }

    check_res(3313, 5702, ZL_T_FLOAT, false, "R", "X Value");
    check_res(3313, 5704, ZL_T_FLOAT, false, "R", "Z Value");
    check_res(3342, 5500, ZL_T_BOOLEAN, false, "R", "Digital Input State");
    check_res(3342, 5854, ZL_T_INTEGER, false, "RW", "Off Time");
    check_res(3341, 5527, ZL_T_STRING, false, "RW", "Text");
    check_res(3341, 5530, ZL_T_NONE, false, "E", "Clear Display");
    check_res(3340, 5521, ZL_T_FLOAT, false, "RW", "Delay Duration");
    check_res(3340, 5543, ZL_T_BOOLEAN, false, "R", "Digital State");
    check_res(3340, 5526, ZL_T_INTEGER, false, "RW", "Timer Mode");
    check_res(3303, 5518, ZL_T_TIME, false, "R", "Timestamp");
    check_res(3303, 6042, ZL_T_INTEGER, false, "R", "Measurement Quality Indicator");
    check_res(3303, 6050, ZL_T_FLOAT, false, "R", "Fractional Timestamp");
    check_res(3305, 5806, ZL_T_FLOAT, false, "W", "Active Power Calibration");
    check_res(3305, 5822, ZL_T_NONE, false, "E", "Reset Cumulative energy");
    check_res(3306, 5853, ZL_T_STRING, false, "RW", "Multi-state Output");
    check_res(3308, 5900, ZL_T_FLOAT, false, "RW", "Set Point Value");
    check_res(3310, 5824, ZL_T_TIME, false, "RW", "Start Time");
    check_res(3310, 5823, ZL_T_STRING, false, "RW", "Event Identifier");
    check_res(3314, 5705, ZL_T_FLOAT, false, "R", "Compass Direction");
    check_res(3323, 5821, ZL_T_FLOAT, false, "RW", "Current Calibration");
    check_res(3333, 5506, ZL_T_TIME, false, "RW", "Current Time");
    check_res(3334, 5513, ZL_T_FLOAT, false, "R", "Max Z Value");
    check_res(3336, 5514, ZL_T_STRING, false, "R", "Latitude");
    check_res(3336, 5517, ZL_T_OPAQUE, false, "R", "Velocity");
    check_res(3337, 5536, ZL_T_FLOAT, false, "RW", "Current Position");
    check_res(3338, 5525, ZL_T_FLOAT, false, "RW", "Minimum Off-time");
    check_res(3339, 5522, ZL_T_OPAQUE, false, "RW", "Clip");
    check_res(3339, 5523, ZL_T_NONE, false, "E", "Trigger");
    check_res(3343, 5548, ZL_T_FLOAT, false, "RW", "Level");
    check_res(3344, 5532, ZL_T_BOOLEAN, false, "R", "Increase Input State");
    check_res(3345, 5703, ZL_T_FLOAT, false, "R", "Y Value");
    check_res(3346, 5700, ZL_T_FLOAT, false, "R", "Sensor Value");
    check_res(3347, 5501, ZL_T_INTEGER, false, "R", "Digital Input Counter");
    check_res(3348, 5547, ZL_T_INTEGER, false, "R", "Multi-state Input");
    check_res(3349, 5912, ZL_T_STRING, true, "RW", "Element Description");
    check_res(3350, 5544, ZL_T_FLOAT, false, "RW", "Cumulative Time");
    /* resources an object does not have */
    CHECK(zl_model_resource(3303, 5751) == NULL); /* Sensor Type: Generic Sensor and Presence only */
    CHECK(zl_model_resource(3333, 5518) == NULL); /* Time has its own time resources */
    CHECK(zl_model_resource(3311, 5518) == NULL); /* Light Control is still 1.0 */
    CHECK(zl_model_resource(3313, 5700) == NULL);
}

int main(void) {
    /* every table sorted strictly by id, so lookup finds each entry; the
     * objects found one after another are neighbours in one table, so no id
     * appears twice and no entry is out of order (binary search would skip it) */
    unsigned found = 0, total = 0;
    const zl_obj_model_t *prev = NULL;
    for (unsigned oid = 0; oid < 65535; oid++) {
        const zl_obj_model_t *o = zl_model_object((uint16_t)oid);
        if (!o) continue;
        CHECK_EQ_INT(o->id, oid);
        if (prev) CHECK(o == prev + 1);
        prev = o;
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
    test_ipso();
    TEST_MAIN_END();
}
