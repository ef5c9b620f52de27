/* SPDX-License-Identifier: Apache-2.0 */
/* common/utf8: the edge cases of well-formed UTF-8, and the CoAP / Avro
 * response codes errors map to (coap/errcode, kafka/records). */
#include "test.h"
#include "common/utf8.h"
#include "coap/errcode.h"
#include "coap/msg.h"
#include "kafka/records.h"

#define V(s) zl_utf8_valid(s, sizeof(s) - 1)

int main(void) {
    CHECK(V(""));
    CHECK(V("plain ascii \x7f"));
    CHECK(V("\xc2\x80"));                 /* U+0080, smallest 2-byte */
    CHECK(V("\xdf\xbf"));                 /* U+07FF */
    CHECK(V("\xe0\xa0\x80"));             /* U+0800, smallest 3-byte */
    CHECK(V("\xed\x9f\xbf"));             /* U+D7FF, just below the surrogates */
    CHECK(V("\xee\x80\x80"));             /* U+E000, just above */
    CHECK(V("\xef\xbf\xbf"));             /* U+FFFF */
    CHECK(V("\xf0\x90\x80\x80"));         /* U+10000, smallest 4-byte */
    CHECK(V("\xf4\x8f\xbf\xbf"));         /* U+10FFFF, the last code point */
    CHECK(V("gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80"));
    /* overlongs */
    CHECK(!V("\xc0\x80"));
    CHECK(!V("\xc1\xbf"));
    CHECK(!V("\xe0\x80\x80"));
    CHECK(!V("\xe0\x9f\xbf"));
    CHECK(!V("\xf0\x80\x80\x80"));
    CHECK(!V("\xf0\x8f\xbf\xbf"));
    /* surrogates */
    CHECK(!V("\xed\xa0\x80"));            /* U+D800 */
    CHECK(!V("\xed\xbf\xbf"));            /* U+DFFF */
    CHECK(!V("\xed\xa0\xbd\xed\xb8\x80")); /* CESU-8 pair */
    /* beyond U+10FFFF */
    CHECK(!V("\xf4\x90\x80\x80"));
    CHECK(!V("\xf5\x80\x80\x80"));
    CHECK(!V("\xf8\x88\x80\x80\x80"));
    CHECK(!V("\xff"));
    /* truncated sequences and stray continuation bytes */
    CHECK(!V("\xc3"));
    CHECK(!V("\xe2\x82"));
    CHECK(!V("\xf0\x9f\x98"));
    CHECK(!V("ab\xe2\x82"));
    CHECK(!V("\x80"));
    CHECK(!V("a\xbf"));
    CHECK(!V("\xc3\x28"));                /* lead then a non-continuation */
    /* an embedded NUL is a valid character; the length decides */
    CHECK(zl_utf8_valid("a\0b", 3));
    CHECK(zl_utf8_valid("\xc3\xbc", 1) == false);

    const uint8_t e[] = {0xe2, 0x82, 0xac, 'x'};
    CHECK_EQ_INT(zl_utf8_seq(e, 4), 3);
    CHECK_EQ_INT(zl_utf8_seq(e, 2), 0);
    CHECK_EQ_INT(zl_utf8_seq(e + 3, 1), 1);

    /* error code mappings */
    CHECK_EQ_INT(zl_coap_err_code(ZL_OK), ZL_COAP_CONTENT);
    CHECK_EQ_INT(zl_coap_err_code(ZL_ERR_INVALID), ZL_COAP_BAD_REQUEST);
    CHECK_EQ_INT(zl_coap_err_code(ZL_ERR_NOT_FOUND), ZL_COAP_NOT_FOUND);
    CHECK_EQ_INT(zl_coap_err_code(ZL_ERR_UNSUPPORTED), ZL_COAP_UNSUPPORTED_CF);
    CHECK_EQ_INT(zl_coap_err_code(ZL_ERR_TOO_LARGE), ZL_COAP_TOO_LARGE);
    CHECK_EQ_INT(zl_coap_err_code(ZL_ERR_TIMEOUT), ZL_COAP_GATEWAY_TIMEOUT);
    CHECK_EQ_INT(zl_coap_err_code(ZL_ERR_FULL), ZL_COAP_SERVICE_UNAVAILABLE);
    CHECK_EQ_INT(zl_coap_err_code(ZL_ERR_RESET), ZL_COAP_INTERNAL_ERROR);
    CHECK_EQ_INT(zl_coap_err_code((zl_err_t)-99), ZL_COAP_INTERNAL_ERROR);
    CHECK_EQ_INT(zl_resp_code_of_err(ZL_OK), ZL_RC_CONTENT);
    CHECK_EQ_INT(zl_resp_code_of_err(ZL_ERR_TRUNCATED), ZL_RC_BAD_REQUEST);
    CHECK_EQ_INT(zl_resp_code_of_err(ZL_ERR_NOT_FOUND), ZL_RC_NOT_FOUND);
    CHECK_EQ_INT(zl_resp_code_of_err(ZL_ERR_UNSUPPORTED), ZL_RC_UNSUPPORTED_CONTENT_FORMAT);
    CHECK_EQ_INT(zl_resp_code_of_err(ZL_ERR_TOO_LARGE), ZL_RC_REQUEST_ENTITY_TOO_LARGE);
    CHECK_EQ_INT(zl_resp_code_of_err(ZL_ERR_TIMEOUT), ZL_RC_INTERNAL_SERVER_ERROR);
    CHECK_EQ_INT(zl_resp_code_of_err(ZL_ERR_RESET), ZL_RC_UNKNOWN);
    CHECK_STR(zl_err2str(ZL_ERR_SCHEMA), "schema error");
    CHECK_STR(zl_err2str((zl_err_t)-99), "i/o error");
    TEST_MAIN_END();
}
