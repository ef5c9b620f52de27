/* SPDX-License-Identifier: Apache-2.0 */
/* Registry: lookups by endpoint, id and address; expiry on the wheel (driven
 * with synthetic clock values, no sleeping); pending references; links and
 * attribute parsing. */
#include <stdlib.h>
#include <string.h>

#include "roles/gateway/registry.h"
#include "test.h"
#include "common/clock.h"

typedef struct {
    int expired;
    char last[32];
} ctx_t;

static void on_expire(void *c, zl_reg_t *reg) {
    ctx_t *ctx = c;
    ctx->expired++;
    snprintf(ctx->last, sizeof ctx->last, "%s", reg->ep);
    zl_registry_unlink(reg->registry, reg);
}

static zl_reg_t *mk(const char *ep, const char *id, int port, int64_t lt, int64_t last_up) {
    zl_reg_t *r = zl_reg_new();
    r->ep = strdup(ep);
    snprintf(r->id, sizeof r->id, "%s", id);
    zl_coap_addr_parse("127.0.0.1", port, &r->peer);
    r->lt = lt;
    r->last_up = last_up;
    return r;
}

static void test_lookups(void) {
    zl_wheel_t w;
    zl_wheel_init(&w, zl_now_ms());
    zl_registry_t r;
    ctx_t ctx = {0};
    CHECK_EQ_INT(zl_registry_init(&r, &w, on_expire, &ctx), ZL_OK);
    int64_t now = zl_wall_ms();
    char ep[32], id[12];
    for (int i = 0; i < 10000; i++) {
        snprintf(ep, sizeof ep, "dev-%d", i);
        snprintf(id, sizeof id, "id%d", i);
        zl_registry_insert(&r, mk(ep, id, 10000 + i % 50000, 3600, now));
    }
    CHECK_EQ_INT(zl_registry_count(&r), 10000);
    zl_reg_t *a = zl_registry_by_ep(&r, "dev-4242");
    CHECK(a && !strcmp(a->id, "id4242"));
    CHECK(zl_registry_by_id(&r, "id4242") == a);
    CHECK(zl_registry_by_ep(&r, "dev-10000") == NULL);
    CHECK(zl_registry_by_id(&r, "id-x") == NULL);
    zl_coap_addr_t p;
    zl_coap_addr_parse("127.0.0.1", 10000 + 4242, &p);
    CHECK(zl_registry_by_peer(&r, &p, false) == a);
    CHECK(zl_registry_by_peer(&r, &p, true) == NULL); /* a plain registration is not found over DTLS */

    /* a device moving to a new address is found there and no longer at the old one */
    zl_coap_addr_t q;
    zl_coap_addr_parse("127.0.0.2", 5555, &q);
    zl_registry_set_peer(&r, a, &q);
    CHECK(zl_registry_by_peer(&r, &q, false) == a);
    CHECK(zl_registry_by_peer(&r, &p, false) == NULL);

    /* unlinking with a request in flight keeps the object until the release */
    zl_reg_hold(a);
    zl_registry_unlink(&r, a);
    CHECK(zl_registry_by_ep(&r, "dev-4242") == NULL);
    CHECK(zl_registry_by_id(&r, "id4242") == NULL);
    CHECK(a->dead);
    CHECK_STR(a->ep, "dev-4242"); /* still valid memory (ASan would flag otherwise) */
    zl_reg_release(a);
    CHECK_EQ_INT(zl_registry_count(&r), 9999);
    CHECK_EQ_INT(ctx.expired, 0);
    zl_registry_fini(&r);
}

static void test_expiry(void) {
    zl_wheel_t w;
    int64_t mono = zl_now_ms();
    zl_wheel_init(&w, mono);
    zl_registry_t r;
    ctx_t ctx = {0};
    zl_registry_init(&r, &w, on_expire, &ctx);
    int64_t wall = zl_wall_ms();
    /* 30 s lifetime, last update 29.9 s ago: due in ~100 ms */
    zl_registry_insert(&r, mk("soon", "a", 1, 30, wall - 29900));
    /* 10 s lifetime, just updated */
    zl_reg_t *later = mk("later", "b", 2, 10, wall);
    zl_registry_insert(&r, later);
    /* restored after downtime: lifetime long gone */
    zl_registry_insert(&r, mk("stale", "c", 3, 60, wall - 3600 * 1000));

    zl_wheel_run(&w, mono + 20);
    CHECK_EQ_INT(ctx.expired, 1);
    CHECK_STR(ctx.last, "stale");
    zl_wheel_run(&w, mono + 80);
    CHECK_EQ_INT(ctx.expired, 1); /* not early */
    zl_wheel_run(&w, mono + 200);
    CHECK_EQ_INT(ctx.expired, 2);
    CHECK_STR(ctx.last, "soon");
    CHECK(zl_registry_by_ep(&r, "soon") == NULL);

    /* an update at +5 s re-arms: still there at +12 s, gone after +15 s */
    zl_wheel_run(&w, mono + 5000);
    later->last_up = wall + 5000;
    zl_registry_touch(&r, later);
    zl_wheel_run(&w, mono + 12000);
    CHECK_EQ_INT(ctx.expired, 2);
    CHECK(zl_registry_by_ep(&r, "later") == later);
    zl_wheel_run(&w, mono + 15100);
    CHECK_EQ_INT(ctx.expired, 3);
    CHECK_EQ_INT(zl_registry_count(&r), 0);
    zl_registry_fini(&r);
}

static void test_links_and_attrs(void) {
    zl_reg_t *r = zl_reg_new();
    char err[128];
    CHECK_EQ_INT(zl_reg_set_links(r, strdup("</>;rt=\"oma.lwm2m\";ct=11543,</1/0>,</3/0>,</3303/0>;obs"), err,
                                  sizeof err), ZL_OK);
    CHECK_EQ_INT(r->links.n, 4);
    CHECK_STR(r->root, "/");
    CHECK_EQ_INT(zl_reg_set_links(r, strdup("</lwm2m>;rt=\"oma.lwm2m\",</lwm2m/3/0>"), err, sizeof err), ZL_OK);
    CHECK_STR(r->root, "/lwm2m");
    CHECK_STR(r->links.links[1].url, "/lwm2m/3/0");
    /* a bad payload leaves the previous links in place */
    CHECK(zl_reg_set_links(r, strdup("</3/0"), err, sizeof err) != ZL_OK);
    CHECK_EQ_INT(r->links.n, 2);
    CHECK_STR(r->links_raw, "</lwm2m>;rt=\"oma.lwm2m\",</lwm2m/3/0>");

    CHECK_EQ_INT(zl_reg_set_attrs(r, strdup("apn=iot&Q&x=")), ZL_OK);
    CHECK_EQ_INT(r->n_attrs, 3);
    CHECK_STR(r->attrs[0].name, "apn");
    CHECK_STR(r->attrs[0].value, "iot");
    CHECK_STR(r->attrs[1].name, "Q");
    CHECK(r->attrs[1].value == NULL);
    CHECK_STR(r->attrs[2].value, "");
    CHECK_EQ_INT(zl_reg_set_attrs(r, NULL), ZL_OK);
    CHECK_EQ_INT(r->n_attrs, 0);
    zl_reg_free(r);
}

/* Every LwM2M 1.0-1.2 binding is valid, garbage is not; the AvroBnd symbol is the closest. */
static void test_bindings(void) {
    static const char *const ok[] = {"U", "UQ", "S", "SQ", "US", "UQS", "UT", "T", "N", "UN", "SN", "TQ", "UTNS", NULL};
    for (int i = 0; ok[i]; i++) CHECK(zl_bnd_check(ok[i]) == NULL);
    static const char *const bad[] = {"", "Q", "UU", "UX", "u", "U ", "UQQ", NULL};
    for (int i = 0; bad[i]; i++) CHECK(zl_bnd_check(bad[i]) != NULL);
    CHECK_STR(zl_bnd_symbol("UT", false), "U");
    CHECK_STR(zl_bnd_symbol("N", true), "UQ");
    CHECK_STR(zl_bnd_symbol("TQ", false), "UQ");
    CHECK_STR(zl_bnd_symbol("S", false), "S");
    CHECK_STR(zl_bnd_symbol("SQ", false), "SQ");
    CHECK_STR(zl_bnd_symbol("SN", false), "US");
    CHECK_STR(zl_bnd_symbol("UQS", false), "UQS");
}

/* Declared content formats: the root link's ct (a number or a quoted list), then a ct parameter. */
static void test_formats(void) {
    zl_reg_t *r = zl_reg_new();
    char err[128];
    int f[ZL_REG_MAX_FORMATS];
    CHECK_EQ_INT(zl_reg_set_links(r, strdup("</>;ct=\"60 110 112 11542\",</3/0>;ct=99"), err, sizeof err), ZL_OK);
    CHECK_EQ_INT((int)zl_reg_formats(r, f, ZL_REG_MAX_FORMATS), 4);
    CHECK_EQ_INT(f[0], 60);
    CHECK_EQ_INT(f[3], 11542);
    CHECK_EQ_INT((int)zl_reg_formats(r, f, 2), 2);
    CHECK_EQ_INT(zl_reg_set_links(r, strdup("</lwm2m>;rt=\"oma.lwm2m\";ct=110,</lwm2m/3/0>"), err, sizeof err), ZL_OK);
    CHECK_EQ_INT(zl_reg_set_attrs(r, strdup("ct=110 11543")), ZL_OK);
    CHECK_EQ_INT((int)zl_reg_formats(r, f, ZL_REG_MAX_FORMATS), 2); /* 110 once */
    CHECK_EQ_INT(f[0], 110);
    CHECK_EQ_INT(f[1], 11543);
    CHECK_EQ_INT(zl_reg_set_links(r, strdup("</1/0>,</3/0>"), err, sizeof err), ZL_OK);
    CHECK_EQ_INT(zl_reg_set_attrs(r, NULL), ZL_OK);
    CHECK_EQ_INT((int)zl_reg_formats(r, f, ZL_REG_MAX_FORMATS), 0);
    zl_reg_free(r);
}

int main(void) {
    test_bindings();
    test_formats();
    test_lookups();
    test_expiry();
    test_links_and_attrs();
    TEST_MAIN_END();
}
