/* SPDX-License-Identifier: Apache-2.0 */
/* The sink's record readers (serde_read.c) on hand-written Avro JSON - what
 * kafka-avro-console-producer writes, not our encoder - plus one Avro round
 * trip per record type for the binary path, the errors a sink must tell
 * apart (unreadable vs registry unreachable), and the path split the stores
 * use for their object/instance/resource columns. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kafka/serde.h"
#include "roles/sink/sink_int.h"
#include "test.h"

static char err[512];

/* An object (3303) with two instances; instance 1 has a multiple resource. */
static const char obs_object[] =
    "{\"ticket\":\"t1\",\"observationId\":\"[0a]\",\"serverId\":\"gw\",\"ep\":\"dev\",\"path\":\"/3303\","
    "\"timestamp\":1700000000123,\"rep\":{\"code\":\"CONTENT\",\"kind\":\"observe\",\"body\":"
    "{\"io.zeelos.leshan.avro.response.AvroReadResponseBody\":{\"content\":"
    "{\"io.zeelos.leshan.avro.resource.AvroObjectResource\":{\"id\":3303,\"kind\":\"OBJECT\",\"instances\":["
    "{\"id\":0,\"kind\":\"INSTANCE\",\"resources\":[{\"id\":5700,\"path\":\"/3303/0/5700\","
    "\"kind\":\"SINGLE_RESOURCE\",\"type\":\"FLOAT\",\"value\":{\"double\":21.5}}],\"multipleResources\":null},"
    "{\"id\":1,\"kind\":\"INSTANCE\",\"resources\":[{\"id\":5701,\"path\":\"/3303/1/5701\","
    "\"kind\":\"SINGLE_RESOURCE\",\"type\":\"STRING\",\"value\":{\"string\":\"Cel\"}}],"
    "\"multipleResources\":{\"array\":[{\"id\":7,\"path\":\"/3303/1/7\",\"kind\":\"MULTIPLE_RESOURCE\","
    "\"type\":\"INTEGER\",\"resources\":{\"0\":{\"id\":0,\"path\":\"/3303/1/7/0\",\"kind\":\"SINGLE_RESOURCE\","
    "\"type\":\"INTEGER\",\"value\":{\"long\":-4}},\"1\":{\"id\":1,\"path\":\"/3303/1/7/1\","
    "\"kind\":\"SINGLE_RESOURCE\",\"type\":\"BOOLEAN\",\"value\":{\"boolean\":true}}}}]}}]}}}},"
    "\"resources\":null}}";

/* A composite notification: no body, the values in rep.resources (zeelos 1.1). */
static const char obs_composite[] =
    "{\"ticket\":\"unset\",\"observationId\":\"[0b]\",\"serverId\":\"gw\",\"ep\":\"dev\",\"path\":\"/\","
    "\"timestamp\":5,\"rep\":{\"code\":\"CONTENT\",\"kind\":\"observe\",\"body\":null,\"resources\":{\"array\":["
    "{\"id\":0,\"path\":\"/3/0/0\",\"kind\":\"SINGLE_RESOURCE\",\"type\":\"STRING\",\"value\":{\"string\":\"ACME\"}},"
    "{\"id\":5700,\"path\":\"/3303/0/5700\",\"kind\":\"SINGLE_RESOURCE\",\"type\":\"FLOAT\","
    "\"value\":{\"double\":-0.5}}]}}}";

static const char reg_new[] =
    "{\"kind\":\"NEW\",\"body\":{\"io.zeelos.leshan.avro.registration.AvroRegistrationNew\":{\"ep\":\"dev\","
    "\"serverId\":\"gw\",\"regDate\":1000,\"address\":\"10.0.0.1\",\"port\":5683,\"regAddr\":\"0.0.0.0\","
    "\"regPort\":5683,\"lt\":300,\"sms\":null,\"ver\":\"1.1\",\"bnd\":\"UQ\",\"regId\":\"r1\",\"links\":["
    "{\"url\":\"/\",\"at\":{\"rt\":\"oma.lwm2m\"}},{\"url\":\"/3/0\",\"at\":{}},{\"url\":\"/3303/0\","
    "\"at\":{\"ver\":\"1.1\"}}],\"attributes\":{\"map\":{\"x\":\"y\"}},\"root\":\"/\",\"lastUp\":2000,"
    "\"binding\":{\"string\":\"UQ\"}}}}";

static const char reg_delete[] =
    "{\"kind\":\"DELETE\",\"body\":{\"io.zeelos.leshan.avro.registration.AvroRegistrationDelete\":"
    "{\"ep\":\"dev\",\"serverId\":\"gw\",\"expired\":true,\"lastUp\":3000}}}";

static void test_observe_json(void) {
    zl_serde_t *s = zl_serde_new(ZL_FORMAT_JSON, NULL, err, sizeof err);
    zl_observe_t o = {0};
    CHECK_EQ_INT(zl_serde_decode_observe(s, obs_object, strlen(obs_object), &o, err, sizeof err), ZL_OK);
    CHECK_STR(o.ep, "dev");
    CHECK_STR(o.server_id, "gw");
    CHECK_STR(o.observation_id, "[0a]");
    CHECK_EQ_INT(o.timestamp, 1700000000123LL);
    if (GUARD(o.n_points == 4)) {
        CHECK_STR(o.points[0].path, "/3303/0/5700");
        CHECK_EQ_INT(o.points[0].kind, ZL_PV_DOUBLE);
        CHECK(o.points[0].d == 21.5);
        CHECK_STR(o.points[1].path, "/3303/1/5701");
        CHECK(o.points[1].kind == ZL_PV_STRING && o.points[1].s_len == 3 && !memcmp(o.points[1].s, "Cel", 3));
        CHECK_STR(o.points[2].path, "/3303/1/7/0");
        CHECK(o.points[2].kind == ZL_PV_LONG && o.points[2].l == -4);
        CHECK_STR(o.points[2].type, "INTEGER");
        CHECK_STR(o.points[3].path, "/3303/1/7/1");
        CHECK(o.points[3].kind == ZL_PV_BOOLEAN && o.points[3].b);
    }
    CHECK_EQ_INT(zl_serde_decode_observe(s, obs_composite, strlen(obs_composite), &o, err, sizeof err), ZL_OK);
    if (GUARD(o.n_points == 2)) {
        CHECK_STR(o.points[0].path, "/3/0/0");
        CHECK_STR(o.points[1].path, "/3303/0/5700");
        CHECK(o.points[1].d == -0.5);
    }
    /* what a sink must dead-letter, with a reason */
    CHECK_EQ_INT(zl_serde_decode_observe(s, "{\"ep\":", 6, &o, err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "JSON") != NULL);
    CHECK(zl_serde_decode_observe(s, reg_new, strlen(reg_new), &o, err, sizeof err) != ZL_OK);
    CHECK_EQ_INT(zl_serde_decode_observe(s, "", 0, &o, err, sizeof err), ZL_ERR_INVALID);
    zl_observe_free(&o);
    zl_serde_destroy(s);
}

static void test_registration_json(void) {
    zl_serde_t *s = zl_serde_new(ZL_FORMAT_JSON, NULL, err, sizeof err);
    zl_registration_t r = {0};
    CHECK_EQ_INT(zl_serde_decode_registration(s, reg_new, strlen(reg_new), &r, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(r.kind, ZL_REG_NEW);
    CHECK_STR(r.reg_id, "r1");
    CHECK_STR(r.bnd, "UQ");
    CHECK_STR(r.binding, "UQ");
    CHECK_STR(r.ver, "1.1");
    CHECK(r.has_lt && r.lt == 300);
    CHECK_EQ_INT(r.port, 5683);
    CHECK(r.sms == NULL);
    if (GUARD(r.n_links == 3)) {
        CHECK_STR(r.links[0].url, "/");
        CHECK(r.links[0].n_at == 1 && !strcmp(r.links[0].at[0].name, "rt") && !strcmp(r.links[0].at[0].value, "oma.lwm2m"));
        CHECK(r.links[1].n_at == 0);
        CHECK(r.links[2].n_at == 1 && !strcmp(r.links[2].at[0].value, "1.1"));
    }
    CHECK(r.has_attrs && r.n_attrs == 1 && !strcmp(r.attrs[0].name, "x"));
    CHECK_EQ_INT(zl_serde_decode_registration(s, reg_delete, strlen(reg_delete), &r, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(r.kind, ZL_REG_DELETE);
    CHECK(r.expired);
    CHECK_EQ_INT(r.last_up, 3000);
    CHECK_EQ_INT(r.n_links, 0);
    zl_registration_free(&r);
    zl_serde_destroy(s);
}

/* The binary path: framed Avro of our 1.1 schemas, ids pre-seeded. */
static void test_avro_round_trip(void) {
    zl_serde_t *s = zl_serde_new(ZL_FORMAT_AVRO, NULL, err, sizeof err);
    CHECK_EQ_INT(zl_serde_set_topic_ids(s, "iot.gw.registrations", ZL_VAL_REGISTRATION, 7, 9), ZL_OK);
    CHECK_EQ_INT(zl_serde_set_topic_ids(s, "iot.gw.observations", ZL_VAL_OBSERVE, 7, 4), ZL_OK);
    zl_buf_t b;
    zl_buf_init(&b, 0);
    zl_node_t *res = zl_node_new(ZL_N_RESOURCE, 5700);
    res->value.type = ZL_T_FLOAT;
    res->value.u.f = 19.25;
    zl_rec_response_t ob = {.ticket = "t", .server_id = "gw", .ep = "dev", .path = "/3303/0/5700",
                            .observation_id = "[01]", .timestamp = 42, .code = ZL_RC_CONTENT, .kind = ZL_RK_OBSERVE,
                            .body = ZL_BODY_READ, .content = res};
    CHECK_EQ_INT(zl_serde_response(s, "iot.gw.observations", &ob, &b), ZL_OK);
    zl_observe_t o = {0};
    CHECK_EQ_INT(zl_serde_decode_observe(s, b.data, b.len, &o, err, sizeof err), ZL_OK);
    if (GUARD(o.n_points == 1)) {
        CHECK_STR(o.points[0].path, "/3303/0/5700");
        CHECK(o.points[0].d == 19.25);
    }
    /* an id nobody knows, no registry: unreadable (not "try later") */
    b.data[4] = 99;
    CHECK_EQ_INT(zl_serde_decode_observe(s, b.data, b.len, &o, err, sizeof err), ZL_ERR_SCHEMA);
    b.data[0] = 1;
    CHECK_EQ_INT(zl_serde_decode_observe(s, b.data, b.len, &o, err, sizeof err), ZL_ERR_INVALID);
    zl_link_t l[] = {{"/3303/0", NULL, 0}};
    zl_links_t links = {l, 1};
    zl_rec_registration_t rg = {.kind = ZL_REG_NEW, .ep = "dev", .server_id = "gw", .last_up = 9, .reg_id = "r",
                                .address = "a", .port = 1, .reg_date = 8, .reg_addr = "b", .reg_port = 2, .ver = "1.0",
                                .root = "/", .has_lt = true, .lt = 60, .bnd = "U", .links = &links};
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_serde_registration(s, "iot.gw.registrations", &rg, &b), ZL_OK);
    zl_registration_t r = {0};
    CHECK_EQ_INT(zl_serde_decode_registration(s, b.data, b.len, &r, err, sizeof err), ZL_OK);
    CHECK(r.n_links == 1 && !strcmp(r.links[0].url, "/3303/0"));
    CHECK_EQ_INT(r.reg_date, 8);
    zl_registration_free(&r);
    zl_observe_free(&o);
    zl_node_free(res);
    zl_buf_free(&b);
    zl_serde_destroy(s);
}

static void test_path_ids(void) {
    int32_t id[4];
    sink_path_ids("/3303/0/5700", id);
    CHECK(id[0] == 3303 && id[1] == 0 && id[2] == 5700 && id[3] == -1);
    sink_path_ids("/3/0/7/1", id);
    CHECK(id[3] == 1);
    sink_path_ids("/3303/0/5700-max", id); /* an analytics output path: the resource is not a number */
    CHECK(id[0] == 3303 && id[1] == 0 && id[2] == -1);
    sink_path_ids("/", id);
    CHECK(id[0] == -1);
    sink_path_ids("/70000/-1", id);
    CHECK(id[0] == -1 && id[1] == -1);
}

int main(void) {
    test_observe_json();
    test_registration_json();
    test_avro_round_trip();
    test_path_ids();
    TEST_MAIN_END();
}
