/* Gateway component test of what devices start: the registration interface
 * (/rd) and LwM2M Send (/dp), from the device's CoAP request to the records
 * on the registrations and observations topics, with the gateway in-process
 * against librdkafka's mock cluster (gw_harness.h).  One gateway serves every
 * case (its start costs ~11 s with librdkafka 2.0.2's mock, see gw_harness.c). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gw_harness.h"
#include "test.h"

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool has_link(json_t *links, const char *url) {
    size_t i;
    json_t *l;
    json_array_foreach(links, i, l) {
        const char *u = zt_json_str(l, "url");
        if (u && !strcmp(u, url)) return true;
    }
    return false;
}

static void test_register_update_deregister(zt_gw_t *h) {
    zt_dev_t *d = zt_dev_new(h);
    CHECK(d != NULL);
    if (!d) return;
    char loc[64];
    int64_t t0 = wall_ms();
    uint8_t code = zt_dev_register(d, "reg-dev1", 120, "U", "</1/0>,</3/0>,</3303/0>", loc, sizeof loc);
    CHECK_EQ_INT(code, ZL_COAP_CREATED);
    CHECK(!strncmp(loc, "/rd/", 4) && strlen(loc) > 4);

    zt_match_t m_new = {.ep = "reg-dev1", .kind = "NEW"};
    zt_rec_t *r = zt_wait_record(h, ZT_REG, &m_new, 5000);
    CHECK(r != NULL);
    if (r) {
        json_t *b = zt_json_at(r->value, "body.*");
        CHECK_STR(zt_json_str(b, "ep"), "reg-dev1");
        CHECK_STR(zt_json_str(b, "serverId"), zt_gw_id(h));
        CHECK_STR(zt_json_str(b, "address"), "127.0.0.1");
        CHECK_EQ_INT(json_integer_value(zt_json_at(b, "lt")), 120);
        CHECK_STR(zt_json_str(b, "ver"), "1.1");
        CHECK_STR(zt_json_str(b, "bnd"), "U");
        CHECK_EQ_INT(json_integer_value(zt_json_at(b, "regPort")), zt_gw_coap_port(h));
        /* the Location-Path the device got names this registration */
        CHECK(zt_json_str(b, "regId") && !strcmp(loc + 4, zt_json_str(b, "regId")));
        json_t *links = zt_json_at(b, "links");
        CHECK_EQ_INT(json_array_size(links), 3);
        CHECK(has_link(links, "/1/0") && has_link(links, "/3/0") && has_link(links, "/3303/0"));
        CHECK_STR(zt_json_str(r->key, "ep"), "reg-dev1");
        CHECK_STR(zt_json_str(b, "root"), "/");
        CHECK(json_is_null(zt_json_at(b, "sms")));
        CHECK_EQ_INT(json_object_size(zt_json_at(b, "attributes.map")), 0);
        int64_t reg_date = json_integer_value(zt_json_at(b, "regDate"));
        CHECK(reg_date >= t0 && reg_date <= wall_ms() + 1000);
        CHECK_EQ_INT(json_integer_value(zt_json_at(b, "lastUp")), reg_date);
    }

    /* update: new lifetime and objects */
    zt_msg_t resp;
    const char *const q_upd[] = {"lt=300", NULL};
    const char links2[] = "</1/0>,</3/0>";
    CHECK_EQ_INT(zt_dev_call(d, ZL_COAP_POST, loc, q_upd, 40, links2, strlen(links2), &resp, NULL, 3000), 1);
    CHECK_EQ_INT(resp.m.code, ZL_COAP_CHANGED);
    zt_match_t m_upd = {.ep = "reg-dev1", .kind = "UPDATE"};
    r = zt_wait_record(h, ZT_REG, &m_upd, 5000);
    CHECK(r != NULL);
    if (r) {
        json_t *b = zt_json_at(r->value, "body.*");
        CHECK_STR(zt_json_str(b, "ep"), "reg-dev1");
        CHECK_STR(zt_json_str(b, "regId"), loc + 4);
        /* optional fields are unions: {"long": 300} */
        CHECK_EQ_INT(json_integer_value(zt_json_at(b, "lt.*")), 300);
        CHECK(json_is_null(zt_json_at(b, "bnd")));
        CHECK(json_is_null(zt_json_at(b, "sms")));
        CHECK(json_is_null(zt_json_at(b, "attributes")));
        json_t *links = zt_json_at(b, "links.*");
        CHECK_EQ_INT(json_array_size(links), 2);
        CHECK(has_link(links, "/1/0") && has_link(links, "/3/0"));
    }

    /* de-register */
    CHECK_EQ_INT(zt_dev_call(d, ZL_COAP_DELETE, loc, NULL, -1, NULL, 0, &resp, NULL, 3000), 1);
    CHECK_EQ_INT(resp.m.code, ZL_COAP_DELETED);
    zt_match_t m_del = {.ep = "reg-dev1", .kind = "DELETE"};
    r = zt_wait_record(h, ZT_REG, &m_del, 5000);
    CHECK(r != NULL);
    if (r) {
        json_t *b = zt_json_at(r->value, "body.*");
        CHECK_STR(zt_json_str(b, "ep"), "reg-dev1");
        CHECK(json_is_false(zt_json_at(b, "expired")));
    }
    /* the registration is gone: an update of it is 4.04 */
    CHECK_EQ_INT(zt_dev_call(d, ZL_COAP_POST, loc, NULL, -1, NULL, 0, &resp, NULL, 3000), 1);
    CHECK_EQ_INT(resp.m.code, ZL_COAP_NOT_FOUND);
    zt_dev_free(d);
}

/* Re-registration of a registered endpoint (from a new address) replaces the
 * old registration: one more NEW, no DELETE, the old location is gone. */
static void test_reregistration(zt_gw_t *h) {
    zt_dev_t *d1 = zt_dev_new(h), *d2 = zt_dev_new(h);
    CHECK(d1 && d2);
    if (!d1 || !d2) goto out;
    char loc1[64], loc2[64];
    zt_match_t m_new = {.ep = "reg-twice", .kind = "NEW"};
    CHECK_EQ_INT(zt_dev_register(d1, "reg-twice", 60, "U", "</3/0>", loc1, sizeof loc1), ZL_COAP_CREATED);
    zt_rec_t *r1 = zt_wait_record(h, ZT_REG, &m_new, 5000);
    CHECK_EQ_INT(zt_dev_register(d2, "reg-twice", 60, "U", "</3/0>", loc2, sizeof loc2), ZL_COAP_CREATED);
    zt_rec_t *r2 = zt_wait_record(h, ZT_REG, &m_new, 5000);
    CHECK(r1 && r2);
    CHECK(strcmp(loc1, loc2) != 0);
    if (r1 && r2) { /* the new record names the new registration and address */
        CHECK_STR(zt_json_str(r2->value, "body.*.regId"), loc2 + 4);
        CHECK(json_integer_value(zt_json_at(r1->value, "body.*.port")) !=
              json_integer_value(zt_json_at(r2->value, "body.*.port")));
    }
    zt_msg_t resp;
    CHECK_EQ_INT(zt_dev_call(d1, ZL_COAP_POST, loc1, NULL, -1, NULL, 0, &resp, NULL, 3000), 1);
    CHECK_EQ_INT(resp.m.code, ZL_COAP_NOT_FOUND);
    CHECK_EQ_INT(zt_dev_call(d2, ZL_COAP_POST, loc2, NULL, -1, NULL, 0, &resp, NULL, 3000), 1);
    CHECK_EQ_INT(resp.m.code, ZL_COAP_CHANGED);
    zt_match_t m_del = {.ep = "reg-twice", .kind = "DELETE"};
    CHECK_EQ_INT(zt_count_records(h, ZT_REG, &m_del, 200), 0);
    zt_match_t m_upd = {.ep = "reg-twice", .kind = "UPDATE"};
    CHECK(zt_wait_record(h, ZT_REG, &m_upd, 5000) != NULL);
out:
    zt_dev_free(d1);
    zt_dev_free(d2);
}

/* A lifetime that passes without an update: DELETE with expired=true. */
static void test_expiry(zt_gw_t *h) {
    zt_dev_t *d = zt_dev_new(h);
    CHECK(d != NULL);
    if (!d) return;
    char loc[64];
    int64_t t0 = zt_now_ms();
    CHECK_EQ_INT(zt_dev_register(d, "reg-short", 1, "U", "</3/0>", loc, sizeof loc), ZL_COAP_CREATED);
    zt_match_t m_new = {.ep = "reg-short", .kind = "NEW"};
    CHECK(zt_wait_record(h, ZT_REG, &m_new, 5000) != NULL);
    zt_match_t m_del = {.ep = "reg-short", .kind = "DELETE"};
    zt_rec_t *r = zt_wait_record(h, ZT_REG, &m_del, 5000);
    CHECK(r != NULL);
    if (r) {
        CHECK(json_is_true(zt_json_at(r->value, "body.*.expired")));
        CHECK(zt_now_ms() - t0 >= 950);
    }
    zt_msg_t resp;
    CHECK_EQ_INT(zt_dev_call(d, ZL_COAP_POST, loc, NULL, -1, NULL, 0, &resp, NULL, 3000), 1);
    CHECK_EQ_INT(resp.m.code, ZL_COAP_NOT_FOUND);
    zt_dev_free(d);
}

/* A register without ep is refused and publishes nothing. */
static void test_register_without_endpoint(zt_gw_t *h) {
    zt_dev_t *d = zt_dev_new(h);
    CHECK(d != NULL);
    if (!d) return;
    const char *const q[] = {"lt=60", "lwm2m=1.1", NULL};
    const char links[] = "</3/0>";
    zt_msg_t resp;
    CHECK_EQ_INT(zt_dev_call(d, ZL_COAP_POST, "/rd", q, 40, links, strlen(links), &resp, NULL, 3000), 1);
    CHECK_EQ_INT(resp.m.code, ZL_COAP_BAD_REQUEST);
    zt_dev_free(d);
}

static zt_dev_t *registered(zt_gw_t *h, const char *ep) {
    zt_dev_t *d = zt_dev_new(h);
    CHECK(d != NULL);
    if (!d) return NULL;
    CHECK_EQ_INT(zt_dev_register(d, ep, 120, "U", "</3/0>,</3303/0>", NULL, 0), ZL_COAP_CREATED);
    zt_match_t m = {.ep = ep, .kind = "NEW"};
    CHECK(zt_wait_record(h, ZT_REG, &m, 5000) != NULL);
    return d;
}

/* The resources of a Send record's AvroInstanceResource, checked for its shape. */
static json_t *instance_resources(json_t *v, int id) {
    CHECK_STR(json_object_iter_key(json_object_iter(zt_json_at(v, "rep.body.*.content"))),
              "io.zeelos.leshan.avro.resource.AvroInstanceResource");
    json_t *inst = zt_json_at(v, "rep.body.*.content.*");
    CHECK_EQ_INT(json_integer_value(zt_json_at(inst, "id")), id);
    CHECK_STR(zt_json_str(inst, "kind"), "INSTANCE");
    return zt_json_at(inst, "resources");
}

static json_t *by_id(json_t *resources, int id) {
    size_t i;
    json_t *r;
    json_array_foreach(resources, i, r) if (json_integer_value(json_object_get(r, "id")) == id) return r;
    return NULL;
}

/* The Send records of ep on observations, one per object instance, by path. */
static void wait_send_records(zt_gw_t *h, const char *ep, json_t **out, const char *const *paths, int n,
                              int timeout_ms) {
    for (int k = 0; k < n; k++) out[k] = NULL;
    for (int k = 0; k < n; k++) {
        zt_match_t m = {.ep = ep, .ticket = "send"};
        zt_rec_t *r = zt_wait_record(h, ZT_OBS, &m, timeout_ms);
        CHECK(r != NULL);
        if (!r) return;
        CHECK_STR(zt_json_str(r->value, "observationId"), "send");
        CHECK_STR(zt_json_str(r->value, "ep"), ep);
        CHECK_STR(zt_json_str(r->value, "serverId"), zt_gw_id(h));
        CHECK_STR(zt_json_str(r->value, "rep.kind"), "observe");
        CHECK_STR(zt_json_str(r->value, "rep.code"), "CONTENT");
        const char *p = zt_json_str(r->value, "path");
        int slot = -1;
        for (int j = 0; j < n; j++)
            if (p && !strcmp(p, paths[j])) slot = j;
        CHECK(slot >= 0 && !out[slot]);
        if (slot >= 0) out[slot] = r->value;
    }
}

/* POST /dp in SenML JSON: one record per object instance, then 2.04. */
static void test_send(zt_gw_t *h) {
    zt_dev_t *d = registered(h, "snd-dev1");
    if (!d) return;
    static const char body[] = "[{\"bn\":\"/3303/0/\",\"n\":\"5700\",\"v\":21.5},{\"n\":\"5701\",\"vs\":\"cel\"},"
                               "{\"bn\":\"/3/0/\",\"n\":\"9\",\"v\":77}]";
    zt_msg_t resp;
    CHECK_EQ_INT(zt_dev_call(d, ZL_COAP_POST, "/dp", NULL, 110, body, strlen(body), &resp, NULL, 5000), 1);
    CHECK_EQ_INT(resp.m.code, ZL_COAP_CHANGED);
    static const char *const paths[] = {"/3303/0", "/3/0"};
    json_t *recs[2];
    wait_send_records(h, "snd-dev1", recs, paths, 2, 5000);
    if (recs[0]) {
        json_t *res = instance_resources(recs[0], 0);
        CHECK_EQ_INT(json_array_size(res), 2);
        json_t *t = by_id(res, 5700), *u = by_id(res, 5701);
        CHECK_STR(zt_json_str(t, "path"), "/3303/0/5700");
        CHECK_STR(zt_json_str(t, "type"), "FLOAT");
        CHECK(json_is_real(zt_json_at(t, "value.double")) && json_real_value(zt_json_at(t, "value.double")) == 21.5);
        CHECK_STR(zt_json_str(u, "type"), "STRING");
        CHECK_STR(zt_json_str(u, "value.string"), "cel");
    }
    if (recs[1]) {
        json_t *res = instance_resources(recs[1], 0);
        CHECK_EQ_INT(json_array_size(res), 1);
        json_t *b = by_id(res, 9);
        CHECK_STR(zt_json_str(b, "type"), "INTEGER");
        CHECK_EQ_INT(json_integer_value(zt_json_at(b, "value.long")), 77);
    }
    zt_dev_free(d);
}

/* The 2.04 waits for Kafka: with the broker answering after 1 s, the device
 * gets the deferred empty ACK first (after 500 ms) and the 2.04 separately. */
static void test_send_waits_for_kafka(zt_gw_t *h) {
    zt_dev_t *d = registered(h, "snd-slow");
    if (!d) return;
    static const char body[] = "[{\"n\":\"/3303/0/5700\",\"v\":19.75}]";
    zt_kafka_set_rtt(h, 1000);
    int64_t t0 = zt_now_ms();
    zt_msg_t resp;
    bool empty_ack = false;
    CHECK_EQ_INT(zt_dev_call(d, ZL_COAP_POST, "/dp", NULL, 110, body, strlen(body), &resp, &empty_ack, 8000), 1);
    int64_t took = zt_now_ms() - t0;
    zt_kafka_set_rtt(h, 0);
    CHECK_EQ_INT(resp.m.code, ZL_COAP_CHANGED);
    CHECK(empty_ack);
    CHECK(took >= 900);
    static const char *const paths[] = {"/3303/0"};
    json_t *rec;
    wait_send_records(h, "snd-slow", &rec, paths, 1, 5000);
    if (rec) CHECK(json_real_value(zt_json_at(by_id(instance_resources(rec, 0), 5700), "value.double")) == 19.75);
    zt_dev_free(d);
}

/* Refused Sends publish nothing: unregistered address 4.03, wrong format 4.15,
 * undecodable 4.00 with the reason. */
static void test_send_errors(zt_gw_t *h) {
    zt_msg_t resp;
    zt_dev_t *stranger = zt_dev_new(h);
    CHECK(stranger != NULL);
    if (stranger) {
        static const char body[] = "[{\"n\":\"/3/0/9\",\"v\":1}]";
        CHECK_EQ_INT(zt_dev_call(stranger, ZL_COAP_POST, "/dp", NULL, 110, body, strlen(body), &resp, NULL, 3000), 1);
        CHECK_EQ_INT(resp.m.code, ZL_COAP_FORBIDDEN);
        zt_dev_free(stranger);
    }
    zt_dev_t *d = registered(h, "snd-bad");
    if (!d) return;
    static const char links[] = "</3/0>";
    CHECK_EQ_INT(zt_dev_call(d, ZL_COAP_POST, "/dp", NULL, 40, links, strlen(links), &resp, NULL, 3000), 1);
    CHECK_EQ_INT(resp.m.code, ZL_COAP_UNSUPPORTED_CF);
    static const char bad[] = "[{\"n\":\"/3/0/9\",\"v\":\"x\"}]";
    CHECK_EQ_INT(zt_dev_call(d, ZL_COAP_POST, "/dp", NULL, 110, bad, strlen(bad), &resp, NULL, 3000), 1);
    CHECK_EQ_INT(resp.m.code, ZL_COAP_BAD_REQUEST);
    CHECK(resp.m.payload_len > 0 && memmem(resp.m.payload, resp.m.payload_len, "not a number", 12));
    zt_match_t m = {.ticket = "send"};
    CHECK_EQ_INT(zt_count_records(h, ZT_OBS, &m, 200), 0);
    zt_dev_free(d);
}

int main(void) {
    zt_gw_t *h = zt_gw_start(NULL);
    CHECK(h != NULL);
    if (!h) TEST_MAIN_END();
    test_register_update_deregister(h);
    test_register_without_endpoint(h);
    test_reregistration(h);
    test_expiry(h);
    /* every registration record was expected */
    CHECK_EQ_INT(zt_count_records(h, ZT_REG, NULL, 200), 0);
    test_send(h);
    test_send_waits_for_kafka(h);
    test_send_errors(h);
    CHECK_EQ_INT(zt_gw_stop(h), 0);
    TEST_MAIN_END();
}
