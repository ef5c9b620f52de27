/* Gateway component test: the request engine, observations and queue mode.
 * Management requests are produced on management.req of librdkafka's mock
 * cluster; the fake device (gw_harness.h) sees the CoAP requests and answers
 * them; the responses and notifications are read back from management.rep
 * and observations and checked field by field (jansson).
 *
 * One gateway serves every case (its start costs ~11 s with librdkafka
 * 2.0.2's mock cluster, see gw_harness.c); each case uses its own endpoint
 * names and tickets. */
#include <stdio.h>
#include <string.h>

#include "gw_harness.h"
#include "test.h"

#define REQ_TIMEOUT_MS 1000 /* coap.request.timeout.ms of the gateway under test */
#define AWAKE_MS 1000       /* queue.awake.ms (its minimum) */

/* Waits on the device socket for the next request from the gateway. */
static bool expect_request(zt_dev_t *d, zt_msg_t *m, uint8_t code, const char *path, int timeout_ms) {
    int r = zt_dev_recv(d, m, timeout_ms);
    CHECK_EQ_INT(r, 1);
    if (r != 1) return false;
    char p[64];
    CHECK_EQ_INT(m->m.code, code);
    CHECK_STR(zt_uri_path(m, p, sizeof p), path);
    return m->m.code == code && !strcmp(p, path);
}

static zt_dev_t *registered(zt_gw_t *h, const char *ep, const char *binding, char *loc, size_t loc_size) {
    zt_dev_t *d = zt_dev_new(h);
    CHECK(d != NULL);
    if (!d) return NULL;
    CHECK_EQ_INT(zt_dev_register(d, ep, 300, binding, "</1/0>,</3/0>,</3303/0>", loc, loc_size), ZL_COAP_CREATED);
    zt_match_t m = {.ep = ep, .kind = "NEW"};
    CHECK(zt_wait_record(h, ZT_REG, &m, 5000) != NULL);
    return d;
}

/* The common fields of a management response; returns its value or NULL. */
static json_t *response(zt_gw_t *h, const char *ep, const char *ticket, const char *path, const char *kind,
                        const char *code, int timeout_ms) {
    zt_match_t m = {.ticket = ticket};
    zt_rec_t *r = zt_wait_record(h, ZT_REP, &m, timeout_ms);
    CHECK(r != NULL);
    if (!r) {
        fprintf(stderr, "  no response for ticket %s\n", ticket);
        return NULL;
    }
    CHECK_STR(zt_json_str(r->key, "ep"), ep);
    CHECK_STR(zt_json_str(r->value, "ticket"), ticket);
    CHECK_STR(zt_json_str(r->value, "serverId"), zt_gw_id(h));
    CHECK_STR(zt_json_str(r->value, "ep"), ep);
    CHECK_STR(zt_json_str(r->value, "path"), path);
    CHECK_STR(zt_json_str(r->value, "rep.kind"), kind);
    CHECK_STR(zt_json_str(r->value, "rep.code"), code);
    CHECK(json_is_integer(zt_json_at(r->value, "timestamp")));
    return r->value;
}

/* The AvroResource of a read/observe body ("rep.body.*.content.*"). */
static json_t *resource(json_t *v) {
    CHECK_STR(json_object_iter_key(json_object_iter(zt_json_at(v, "rep.body"))),
              "io.zeelos.leshan.avro.response.AvroReadResponseBody");
    CHECK_STR(json_object_iter_key(json_object_iter(zt_json_at(v, "rep.body.*.content"))),
              "io.zeelos.leshan.avro.resource.AvroResource");
    return zt_json_at(v, "rep.body.*.content.*");
}

static void check_string_resource(json_t *res, int id, const char *path, const char *value) {
    CHECK_EQ_INT(json_integer_value(zt_json_at(res, "id")), id);
    CHECK_STR(zt_json_str(res, "path"), path);
    CHECK_STR(zt_json_str(res, "kind"), "SINGLE_RESOURCE");
    CHECK_STR(zt_json_str(res, "type"), "STRING");
    CHECK_STR(zt_json_str(res, "value.string"), value);
}

static double float_value(json_t *res) {
    CHECK_STR(zt_json_str(res, "type"), "FLOAT");
    json_t *d = zt_json_at(res, "value.double");
    CHECK(json_is_real(d));
    return json_real_value(d);
}

/* read /3/0/0 in text and TLV: the Accept the device sees, the value in the response. */
static void test_read(zt_gw_t *h) {
    zt_dev_t *d = registered(h, "mg-read", "U", NULL, 0);
    if (!d) return;
    zt_msg_t get;
    /* the first request also waits for the gateway's consumer to join its
     * group (the mock cluster's initial rebalance delay is 3 s) */
    CHECK(zt_request(h, "mg-read", "t-text", "read", "/3/0/0", "TEXT_CODE") >= 0);
    if (expect_request(d, &get, ZL_COAP_GET, "/3/0/0", 15000)) {
        CHECK_EQ_INT(zl_coap_opt_uint(&get.m, ZL_OPT_ACCEPT, -1), 0);
        CHECK_EQ_INT(zt_dev_reply(d, &get, ZL_COAP_CONTENT, 0, "ACME", 4, -1), 0);
    }
    json_t *v = response(h, "mg-read", "t-text", "/3/0/0", "read", "CONTENT", 5000);
    if (v) check_string_resource(resource(v), 0, "/3/0/0", "ACME");

    CHECK(zt_request(h, "mg-read", "t-tlv", "read", "/3/0/0", "TLV") >= 0);
    if (expect_request(d, &get, ZL_COAP_GET, "/3/0/0", 5000)) {
        CHECK_EQ_INT(zl_coap_opt_uint(&get.m, ZL_OPT_ACCEPT, -1), 11542);
        /* TLV: resource with value, 8-bit id 0, length 6 */
        static const uint8_t tlv[] = {0xC6, 0x00, 'A', 'C', 'M', 'E', '-', '2'};
        CHECK_EQ_INT(zt_dev_reply(d, &get, ZL_COAP_CONTENT, 11542, tlv, sizeof tlv, -1), 0);
    }
    v = response(h, "mg-read", "t-tlv", "/3/0/0", "read", "CONTENT", 5000);
    if (v) check_string_resource(resource(v), 0, "/3/0/0", "ACME-2");

    /* an object instance in TLV: FLOAT (4-byte) and STRING resources, 16-bit ids */
    CHECK(zt_request(h, "mg-read", "t-inst", "read", "/3303/0", "TLV") >= 0);
    if (expect_request(d, &get, ZL_COAP_GET, "/3303/0", 5000)) {
        static const uint8_t tlv[] = {0xE4, 0x16, 0x44, 0x41, 0xAC, 0x00, 0x00, /* 5700 = 21.5f */
                                      0xE3, 0x16, 0x45, 'C', 'e', 'l'};         /* 5701 = "Cel" */
        CHECK_EQ_INT(zt_dev_reply(d, &get, ZL_COAP_CONTENT, 11542, tlv, sizeof tlv, -1), 0);
    }
    v = response(h, "mg-read", "t-inst", "/3303/0", "read", "CONTENT", 5000);
    if (v) {
        CHECK_STR(json_object_iter_key(json_object_iter(zt_json_at(v, "rep.body.*.content"))),
                  "io.zeelos.leshan.avro.resource.AvroInstanceResource");
        json_t *inst = zt_json_at(v, "rep.body.*.content.*");
        CHECK_EQ_INT(json_integer_value(zt_json_at(inst, "id")), 0);
        CHECK_STR(zt_json_str(inst, "kind"), "INSTANCE");
        json_t *res = zt_json_at(inst, "resources");
        CHECK_EQ_INT(json_array_size(res), 2);
        for (size_t i = 0; i < json_array_size(res); i++) {
            json_t *r = json_array_get(res, i);
            if (json_integer_value(zt_json_at(r, "id")) == 5700) {
                CHECK_STR(zt_json_str(r, "path"), "/3303/0/5700");
                CHECK(float_value(r) == 21.5);
            } else {
                check_string_resource(r, 5701, "/3303/0/5701", "Cel");
            }
        }
    }

    /* a device error is passed on with its code */
    CHECK(zt_request(h, "mg-read", "t-404", "read", "/3/0/7", "TLV") >= 0);
    if (expect_request(d, &get, ZL_COAP_GET, "/3/0/7", 5000))
        CHECK_EQ_INT(zt_dev_reply(d, &get, ZL_COAP_NOT_FOUND, -1, NULL, 0, -1), 0);
    response(h, "mg-read", "t-404", "/3/0/7", "read", "NOT_FOUND", 5000);
    zt_dev_free(d);
}

/* A device that never answers: INTERNAL_SERVER_ERROR after coap.request.timeout.ms. */
static void test_timeout(zt_gw_t *h) {
    zt_dev_t *d = registered(h, "mg-mute", "U", NULL, 0);
    if (!d) return;
    zt_msg_t get;
    int64_t t0 = zt_now_ms();
    CHECK(zt_request(h, "mg-mute", "t-mute", "read", "/3/0/0", "TLV") >= 0);
    expect_request(d, &get, ZL_COAP_GET, "/3/0/0", 5000); /* ... and no answer */
    json_t *v = response(h, "mg-mute", "t-mute", "/3/0/0", "read", "INTERNAL_SERVER_ERROR", REQ_TIMEOUT_MS + 5000);
    int64_t took = zt_now_ms() - t0;
    if (v) {
        CHECK_STR(zt_json_str(v, "rep.body.*.message"),
                  "timeout: device 'mg-mute' did not answer /3/0/0 within 1000 ms");
        CHECK(took >= REQ_TIMEOUT_MS - 50);
    }
    zt_dev_free(d);
}

/* A request for an endpoint nobody registered, and one with a malformed path. */
static void test_errors(zt_gw_t *h) {
    CHECK(zt_request(h, "mg-nobody", "t-nobody", "read", "/3/0/0", "TLV") >= 0);
    json_t *v = response(h, "mg-nobody", "t-nobody", "/3/0/0", "read", "NOT_FOUND", 5000);
    if (v) CHECK_STR(zt_json_str(v, "rep.body.*.message"), "No registration for this endpoint 'mg-nobody'");

    zt_dev_t *d = registered(h, "mg-badpath", "U", NULL, 0);
    if (!d) return;
    CHECK(zt_request(h, "mg-badpath", "t-badpath", "read", "/3/x/0", "TLV") >= 0);
    v = response(h, "mg-badpath", "t-badpath", "/3/x/0", "read", "BAD_REQUEST", 5000);
    if (v) CHECK(zt_json_str(v, "rep.body.*.message") && zt_json_str(v, "rep.body.*.message")[0]);
    zt_msg_t m;
    CHECK_EQ_INT(zt_dev_recv(d, &m, 0), 0); /* nothing was sent to the device */
    zt_dev_free(d);
}

/* observe -> GET Observe:0 -> first value on management.rep, notifications on
 * observations with the ticket and the token; observeCancel -> GET Observe:1
 * (active cancel), and the token is dead afterwards (RST). */
static void test_observe(zt_gw_t *h) {
    zt_dev_t *d = registered(h, "mg-obs", "U", NULL, 0);
    if (!d) return;
    zt_msg_t obs;
    CHECK(zt_request(h, "mg-obs", "t-obs", "observe", "/3303/0/5700", "TEXT_CODE") >= 0);
    if (!expect_request(d, &obs, ZL_COAP_GET, "/3303/0/5700", 5000)) {
        zt_dev_free(d);
        return;
    }
    CHECK_EQ_INT(zl_coap_opt_uint(&obs.m, ZL_OPT_OBSERVE, -1), 0);
    CHECK_EQ_INT(zt_dev_reply(d, &obs, ZL_COAP_CONTENT, 0, "21.5", 4, 1), 0);
    json_t *v = response(h, "mg-obs", "t-obs", "/3303/0/5700", "observe", "CONTENT", 5000);
    if (v) CHECK(float_value(resource(v)) == 21.5);

    char obs_id[32] = "[";
    for (unsigned i = 0; i < obs.m.tkl; i++) snprintf(obs_id + 1 + 2 * i, 3, "%02x", obs.m.token[i]);
    strcat(obs_id, "]");
    static const char *const values[] = {"22.25", "23.5"};
    for (uint32_t i = 0; i < 2; i++) CHECK_EQ_INT(zt_dev_notify(d, &obs, 2 + i, 0, values[i], strlen(values[i])), 0);
    for (int i = 0; i < 2; i++) {
        zt_match_t m = {.ticket = "t-obs"};
        zt_rec_t *r = zt_wait_record(h, ZT_OBS, &m, 5000);
        CHECK(r != NULL);
        if (!r) break;
        CHECK_STR(zt_json_str(r->key, "ep"), "mg-obs");
        CHECK_STR(zt_json_str(r->value, "observationId"), obs_id);
        CHECK_STR(zt_json_str(r->value, "ep"), "mg-obs");
        CHECK_STR(zt_json_str(r->value, "serverId"), zt_gw_id(h));
        CHECK_STR(zt_json_str(r->value, "path"), "/3303/0/5700");
        CHECK_STR(zt_json_str(r->value, "rep.kind"), "observe");
        CHECK_STR(zt_json_str(r->value, "rep.code"), "CONTENT");
        json_t *res = resource(r->value);
        CHECK_STR(zt_json_str(res, "path"), "/3303/0/5700");
        CHECK(float_value(res) == (i == 0 ? 22.25 : 23.5));
    }

    /* an undecodable notification is published as an error and does not end the observation */
    CHECK_EQ_INT(zt_dev_notify(d, &obs, 4, 0, "warm", 4), 0);
    CHECK_EQ_INT(zt_dev_notify(d, &obs, 5, 0, "24", 2), 0);
    zt_match_t m_obs = {.ticket = "t-obs"};
    zt_rec_t *bad = zt_wait_record(h, ZT_OBS, &m_obs, 5000);
    CHECK(bad != NULL);
    if (bad) {
        CHECK_STR(zt_json_str(bad->value, "rep.code"), "INTERNAL_SERVER_ERROR");
        CHECK_STR(zt_json_str(bad->value, "observationId"), obs_id);
        const char *msg = zt_json_str(bad->value, "rep.body.*.message");
        CHECK(msg && msg[0]);
    }
    zt_rec_t *good = zt_wait_record(h, ZT_OBS, &m_obs, 5000);
    CHECK(good != NULL);
    if (good) CHECK(float_value(resource(good->value)) == 24.0);

    /* cancel: answered from the gateway's table, the device is told with the same token */
    CHECK(zt_request(h, "mg-obs", "t-cancel", "observeCancel", "/3303/0/5700", "TEXT_CODE") >= 0);
    zt_msg_t cancel;
    if (expect_request(d, &cancel, ZL_COAP_GET, "/3303/0/5700", 5000)) {
        CHECK_EQ_INT(zl_coap_opt_uint(&cancel.m, ZL_OPT_OBSERVE, -1), 1);
        CHECK(cancel.m.tkl == obs.m.tkl && !memcmp(cancel.m.token, obs.m.token, obs.m.tkl));
        CHECK_EQ_INT(zt_dev_reply(d, &cancel, ZL_COAP_CONTENT, 0, "23.5", 4, -1), 0);
    }
    v = response(h, "mg-obs", "t-cancel", "/3303/0/5700", "observeCancel", "CHANGED", 5000);
    if (v) CHECK_STR(zt_json_str(v, "rep.body.*.message"), "cancelled 1 observation(s)");
    /* a late notification is refused with RST and published nowhere */
    CHECK_EQ_INT(zt_dev_notify(d, &obs, 9, 0, "30", 2), 0);
    zt_msg_t rst;
    CHECK_EQ_INT(zt_dev_recv(d, &rst, 3000), 1);
    CHECK_EQ_INT(rst.m.type, ZL_COAP_RST);
    CHECK_EQ_INT(zt_count_records(h, ZT_OBS, &m_obs, 200), 0);
    /* a second cancel finds nothing */
    CHECK(zt_request(h, "mg-obs", "t-cancel2", "observeCancel", "/3303/0/5700", "TEXT_CODE") >= 0);
    response(h, "mg-obs", "t-cancel2", "/3303/0/5700", "observeCancel", "NOT_FOUND", 5000);
    zt_dev_free(d);
}

/* A device that answers an observe without an Observe option: the value is
 * the answer, no observation is kept (the token is dead, a cancel finds nothing). */
static void test_observe_refused(zt_gw_t *h) {
    zt_dev_t *d = registered(h, "mg-noobs", "U", NULL, 0);
    if (!d) return;
    zt_msg_t obs;
    CHECK(zt_request(h, "mg-noobs", "t-noobs", "observe", "/3303/0/5700", "TEXT_CODE") >= 0);
    if (expect_request(d, &obs, ZL_COAP_GET, "/3303/0/5700", 5000)) {
        CHECK_EQ_INT(zt_dev_reply(d, &obs, ZL_COAP_CONTENT, 0, "20", 2, -1), 0);
        json_t *v = response(h, "mg-noobs", "t-noobs", "/3303/0/5700", "observe", "CONTENT", 5000);
        if (v) CHECK(float_value(resource(v)) == 20.0);
        CHECK_EQ_INT(zt_dev_notify(d, &obs, 2, 0, "21", 2), 0);
        zt_msg_t rst;
        CHECK_EQ_INT(zt_dev_recv(d, &rst, 3000), 1);
        CHECK_EQ_INT(rst.m.type, ZL_COAP_RST);
        zt_match_t m = {.ticket = "t-noobs"};
        CHECK_EQ_INT(zt_count_records(h, ZT_OBS, &m, 100), 0);
    }
    CHECK(zt_request(h, "mg-noobs", "t-noobs-cancel", "observeCancel", "/3303/0/5700", "TEXT_CODE") >= 0);
    response(h, "mg-noobs", "t-noobs-cancel", "/3303/0/5700", "observeCancel", "NOT_FOUND", 5000);
    zt_dev_free(d);
}

/* Queue mode: a UQ device that stays quiet is SLEEPING; a request for it is
 * consumed and held (its offset committed, nothing sent, no answer) until the
 * device's next update, then sent and answered.  A second sleeping device
 * de-registers instead: its held request is answered NOT_FOUND. */
static void test_queue_mode(zt_gw_t *h) {
    char loc[64], loc2[64];
    zt_dev_t *d = registered(h, "mg-queue", "UQ", loc, sizeof loc);
    zt_dev_t *d2 = registered(h, "mg-queue2", "UQ", loc2, sizeof loc2);
    zt_match_t sleeping = {.ep = "mg-queue", .kind = "UPDATE", .queue_state = "SLEEPING"};
    zt_match_t sleeping2 = {.ep = "mg-queue2", .kind = "UPDATE", .queue_state = "SLEEPING"};
    bool asleep = zt_wait_record(h, ZT_REG, &sleeping, AWAKE_MS + 5000) != NULL;
    asleep = zt_wait_record(h, ZT_REG, &sleeping2, AWAKE_MS + 5000) != NULL && asleep;
    CHECK(asleep);
    if (!d || !d2 || !asleep) goto out;
    int64_t off = zt_request(h, "mg-queue", "t-queued", "read", "/3/0/0", "TEXT_CODE");
    CHECK(off >= 0);
    int64_t off2 = zt_request(h, "mg-queue2", "t-queued2", "read", "/3/0/0", "TEXT_CODE");
    CHECK(off2 > off);
    /* offsets are released only once the requests are held durably */
    CHECK(zt_wait_committed(h, off2 + 1, 10000));
    zt_msg_t m;
    CHECK_EQ_INT(zt_dev_recv(d, &m, 100), 0);
    CHECK_EQ_INT(zt_dev_recv(d2, &m, 0), 0);
    zt_match_t rep = {.ticket = "t-queued"}, rep2 = {.ticket = "t-queued2"};
    CHECK_EQ_INT(zt_count_records(h, ZT_REP, &rep, 100), 0);
    CHECK_EQ_INT(zt_count_records(h, ZT_REP, &rep2, 0), 0);

    /* the device wakes up: update, then the held request goes out */
    zt_msg_t resp;
    CHECK_EQ_INT(zt_dev_call(d, ZL_COAP_POST, loc, NULL, -1, NULL, 0, &resp, NULL, 3000), 1);
    CHECK_EQ_INT(resp.m.code, ZL_COAP_CHANGED);
    if (expect_request(d, &m, ZL_COAP_GET, "/3/0/0", 5000))
        CHECK_EQ_INT(zt_dev_reply(d, &m, ZL_COAP_CONTENT, 0, "ACME", 4, -1), 0);
    json_t *v = response(h, "mg-queue", "t-queued", "/3/0/0", "read", "CONTENT", 5000);
    if (v) check_string_resource(resource(v), 0, "/3/0/0", "ACME");
    zt_match_t awake = {.ep = "mg-queue", .kind = "UPDATE", .queue_state = "AWAKE"};
    CHECK(zt_wait_record(h, ZT_REG, &awake, 5000) != NULL);

    /* the other one leaves without waking up */
    CHECK_EQ_INT(zt_dev_call(d2, ZL_COAP_DELETE, loc2, NULL, -1, NULL, 0, &resp, NULL, 3000), 1);
    CHECK_EQ_INT(resp.m.code, ZL_COAP_DELETED);
    v = response(h, "mg-queue2", "t-queued2", "/3/0/0", "read", "NOT_FOUND", 5000);
    if (v)
        CHECK_STR(zt_json_str(v, "rep.body.*.message"),
                  "device 'mg-queue2' de-registered before the request could be delivered");
out:
    zt_dev_free(d);
    zt_dev_free(d2);
}

int main(void) {
    zt_gw_opts_t o = {.id = "gwmgmt", .request_timeout_ms = REQ_TIMEOUT_MS, .queue_awake_ms = AWAKE_MS};
    zt_gw_t *h = zt_gw_start(&o);
    CHECK(h != NULL);
    if (!h) TEST_MAIN_END();
    test_read(h);
    test_timeout(h);
    test_errors(h);
    test_observe(h);
    test_observe_refused(h);
    test_queue_mode(h);
    CHECK_EQ_INT(zt_gw_stop(h), 0);
    TEST_MAIN_END();
}
