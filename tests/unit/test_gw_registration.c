/* Gateway component test: the registration interface (/rd) end to end, from
 * the device's CoAP request to the record on the registrations topic, with
 * the gateway in-process against librdkafka's mock cluster (gw_harness.h). */
#include <stdio.h>
#include <string.h>

#include "gw_harness.h"
#include "test.h"

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

int main(void) {
    zt_gw_t *h = zt_gw_start(NULL);
    CHECK(h != NULL);
    if (!h) TEST_MAIN_END();
    test_register_update_deregister(h);
    test_register_without_endpoint(h);
    /* every record on the topic was expected: NEW, UPDATE, DELETE of reg-dev1 */
    CHECK_EQ_INT(zt_count_records(h, ZT_REG, NULL, 200), 0);
    zt_gw_stop(h);
    TEST_MAIN_END();
}
