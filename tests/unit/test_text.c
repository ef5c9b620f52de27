/* SPDX-License-Identifier: Apache-2.0 */
/* text/plain codec and Base64: strict parsing per type and canonical output. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/base64.h"
#include "lwm2m/text.h"
#include "test.h"

static zl_err_t td(const char *s, zl_type_t t, zl_value_t *v) {
    memset(v, 0, sizeof *v);
    return zl_text_decode((const uint8_t *)s, strlen(s), t, v);
}

/* encodes v and compares with want */
static void enc_is(const zl_value_t *v, const char *want) {
    zl_buf_t b;
    zl_buf_init(&b, 0);
    CHECK_EQ_INT(zl_text_encode(v, &b), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), want);
    zl_buf_free(&b);
}

static void test_integer(void) {
    zl_value_t v;
    CHECK_EQ_INT(td("-3", ZL_T_INTEGER, &v), ZL_OK);
    CHECK_EQ_INT(v.u.i, -3);
    CHECK_EQ_INT(v.type, ZL_T_INTEGER);
    CHECK_EQ_INT(td("9223372036854775807", ZL_T_INTEGER, &v), ZL_OK);
    CHECK(v.u.i == INT64_MAX);
    CHECK_EQ_INT(td("-9223372036854775808", ZL_T_INTEGER, &v), ZL_OK);
    CHECK(v.u.i == INT64_MIN);
    enc_is(&v, "-9223372036854775808");
    CHECK_EQ_INT(td("9223372036854775808", ZL_T_INTEGER, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td("-9223372036854775809", ZL_T_INTEGER, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td("99999999999999999999", ZL_T_INTEGER, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td("", ZL_T_INTEGER, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td("-", ZL_T_INTEGER, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td("12a", ZL_T_INTEGER, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td(" 12", ZL_T_INTEGER, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td("1.5", ZL_T_INTEGER, &v), ZL_ERR_INVALID);
    /* embedded NUL is not the end of the number */
    memset(&v, 0, sizeof v);
    CHECK_EQ_INT(zl_text_decode((const uint8_t *)"12\0003", 4, ZL_T_INTEGER, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td("1367491215", ZL_T_TIME, &v), ZL_OK);
    CHECK_EQ_INT(v.type, ZL_T_TIME);
    CHECK_EQ_INT(v.u.i, 1367491215);
    enc_is(&v, "1367491215");
}

static void test_float(void) {
    zl_value_t v;
    CHECK_EQ_INT(td("21.5", ZL_T_FLOAT, &v), ZL_OK);
    CHECK(v.u.f == 21.5);
    CHECK_EQ_INT(td("-1e-3", ZL_T_FLOAT, &v), ZL_OK);
    CHECK(v.u.f == -0.001);
    CHECK_EQ_INT(td(".5", ZL_T_FLOAT, &v), ZL_OK);
    CHECK(v.u.f == 0.5);
    CHECK_EQ_INT(td("7", ZL_T_FLOAT, &v), ZL_OK);
    CHECK(v.u.f == 7.0);
    CHECK_EQ_INT(td("nan", ZL_T_FLOAT, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td("inf", ZL_T_FLOAT, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td("-Infinity", ZL_T_FLOAT, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td("1e999", ZL_T_FLOAT, &v), ZL_ERR_INVALID); /* overflows to inf */
    CHECK_EQ_INT(td("0x10", ZL_T_FLOAT, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td("21.5C", ZL_T_FLOAT, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td(" 21.5", ZL_T_FLOAT, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td("1e", ZL_T_FLOAT, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td(".", ZL_T_FLOAT, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td("", ZL_T_FLOAT, &v), ZL_ERR_INVALID);

    /* shortest round-trip output */
    v.type = ZL_T_FLOAT;
    v.u.f = 0.1;
    enc_is(&v, "0.1");
    v.u.f = 21.5;
    enc_is(&v, "21.5");
    v.u.f = 1.0 / 3.0;
    enc_is(&v, "0.3333333333333333"); /* 16 digits suffice */
    v.u.f = 0.1 + 0.2;
    enc_is(&v, "0.30000000000000004");
    v.u.f = NAN;
    zl_buf_t b;
    zl_buf_init(&b, 0);
    CHECK_EQ_INT(zl_text_encode(&v, &b), ZL_ERR_INVALID);
    zl_buf_free(&b);
    /* every encoded double reads back identically */
    const double samples[] = {1e-310, 123456789.123456789, -2.5e-8, 6.02214076e23, 3.0};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        zl_value_t w = {.type = ZL_T_FLOAT, .u.f = samples[i]}, r;
        zl_buf_init(&b, 0);
        CHECK_EQ_INT(zl_text_encode(&w, &b), ZL_OK);
        memset(&r, 0, sizeof r);
        CHECK_EQ_INT(zl_text_decode(b.data, b.len, ZL_T_FLOAT, &r), ZL_OK);
        CHECK(r.u.f == samples[i]);
        zl_buf_free(&b);
    }
}

static void test_misc(void) {
    zl_value_t v;
    CHECK_EQ_INT(td("1", ZL_T_BOOLEAN, &v), ZL_OK);
    CHECK(v.u.b == true);
    enc_is(&v, "1");
    CHECK_EQ_INT(td("false", ZL_T_BOOLEAN, &v), ZL_OK);
    CHECK(v.u.b == false);
    enc_is(&v, "0");
    CHECK_EQ_INT(td("true", ZL_T_BOOLEAN, &v), ZL_OK);
    CHECK(v.u.b == true);
    CHECK_EQ_INT(td("2", ZL_T_BOOLEAN, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td("TRUE", ZL_T_BOOLEAN, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td("", ZL_T_BOOLEAN, &v), ZL_ERR_INVALID);

    CHECK_EQ_INT(td("3:0", ZL_T_OBJLNK, &v), ZL_OK);
    CHECK_EQ_INT(v.u.lnk.oid, 3);
    CHECK_EQ_INT(v.u.lnk.iid, 0);
    CHECK_EQ_INT(td("65535:65535", ZL_T_OBJLNK, &v), ZL_OK);
    CHECK_EQ_INT(v.u.lnk.oid, 65535);
    enc_is(&v, "65535:65535");
    CHECK_EQ_INT(td("65536:0", ZL_T_OBJLNK, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td("3", ZL_T_OBJLNK, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td("3:", ZL_T_OBJLNK, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td(":3", ZL_T_OBJLNK, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(td("3:0:1", ZL_T_OBJLNK, &v), ZL_ERR_INVALID);

    CHECK_EQ_INT(td("Open Mobile Alliance", ZL_T_STRING, &v), ZL_OK);
    CHECK_EQ_INT(v.len, 20);
    CHECK_STR((const char *)v.bytes, "Open Mobile Alliance");
    enc_is(&v, "Open Mobile Alliance");
    free(v.bytes);
    CHECK_EQ_INT(td("", ZL_T_STRING, &v), ZL_OK);
    CHECK(v.bytes != NULL && v.len == 0);
    free(v.bytes);

    /* opaque is base64 in text/plain */
    CHECK_EQ_INT(td("AAEC/w==", ZL_T_OPAQUE, &v), ZL_OK);
    CHECK_EQ_INT(v.type, ZL_T_OPAQUE);
    CHECK_EQ_INT(v.len, 4);
    CHECK_MEM(v.bytes, "\x00\x01\x02\xFF", 4);
    enc_is(&v, "AAEC/w==");
    free(v.bytes);
    CHECK_EQ_INT(td("AAE*", ZL_T_OPAQUE, &v), ZL_ERR_INVALID);

    /* decode failure leaves *out untouched */
    v.type = ZL_T_STRING;
    v.bytes = NULL;
    v.u.i = 77;
    CHECK_EQ_INT(zl_text_decode((const uint8_t *)"x", 1, ZL_T_INTEGER, &v), ZL_ERR_INVALID);
    CHECK_EQ_INT(v.u.i, 77);
    CHECK_EQ_INT(v.type, ZL_T_STRING);
}

static void b64_is(const char *in, size_t n, const char *want) {
    zl_buf_t b;
    zl_buf_init(&b, 0);
    CHECK_EQ_INT(zl_base64_encode((const uint8_t *)in, n, &b), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), want);
    zl_buf_t d;
    zl_buf_init(&d, 0);
    CHECK_EQ_INT(zl_base64_decode((const char *)b.data, b.len, &d), ZL_OK);
    CHECK_EQ_INT(d.len, n);
    if (d.len == n && n) CHECK_MEM(d.data, in, n);
    zl_buf_free(&b);
    zl_buf_free(&d);
}

static void test_base64(void) {
    /* RFC 4648 §10 vectors */
    b64_is("", 0, "");
    b64_is("f", 1, "Zg==");
    b64_is("fo", 2, "Zm8=");
    b64_is("foo", 3, "Zm9v");
    b64_is("foob", 4, "Zm9vYg==");
    b64_is("fooba", 5, "Zm9vYmE=");
    b64_is("foobar", 6, "Zm9vYmFy");
    b64_is("\xfb\xff", 2, "+/8=");

    zl_buf_t d;
    zl_buf_init(&d, 0);
    CHECK_EQ_INT(zl_base64_decode("Zm8", 3, &d), ZL_OK); /* unpadded accepted */
    CHECK_EQ_INT(d.len, 2);
    zl_buf_reset(&d);
    CHECK_EQ_INT(zl_base64_decode("Zm9=", 4, &d), ZL_ERR_INVALID); /* non-zero pad bits */
    CHECK_EQ_INT(zl_base64_decode("Z===", 4, &d), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_base64_decode("Z", 1, &d), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_base64_decode("Zg=", 3, &d), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_base64_decode("Zg==Zg==", 8, &d), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_base64_decode("Zm 9v", 5, &d), ZL_ERR_INVALID);
    CHECK_EQ_INT(d.len, 0);
    /* appends after existing content; on error the length is restored */
    zl_buf_append(&d, "x", 1);
    CHECK_EQ_INT(zl_base64_decode("Zm9v", 4, &d), ZL_OK);
    CHECK_EQ_INT(d.len, 4);
    CHECK_MEM(d.data, "xfoo", 4);
    CHECK_EQ_INT(zl_base64_decode("Zm9v!A==", 8, &d), ZL_ERR_INVALID);
    CHECK_EQ_INT(d.len, 4);
    zl_buf_free(&d);
}

int main(void) {
    test_integer();
    test_float();
    test_misc();
    test_base64();
    TEST_MAIN_END();
}
