/* SPDX-License-Identifier: Apache-2.0 */
/* CoRE link format: registration/discover payloads, quoting and escapes,
 * limits, error offsets, and both output formats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/link.h"
#include "test.h"

static zl_err_t lp(const char *s, zl_links_t *l, char *err, size_t errsz) {
    return zl_link_parse(s, strlen(s), l, err, errsz);
}

static void test_parse(void) {
    zl_links_t l;
    char err[128];
    const char *reg = "</>;rt=\"oma.lwm2m\";ct=11543,</1/0>,</3/0>;ver=1.1, </3303/0>,</3303/1>";
    CHECK_EQ_INT(lp(reg, &l, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(l.n, 5);
    if (l.n == 5) {
        CHECK_STR(l.links[0].url, "/");
        CHECK_EQ_INT(l.links[0].n_attrs, 2);
        CHECK_STR(l.links[0].attrs[0].name, "rt");
        CHECK_STR(l.links[0].attrs[0].value, "oma.lwm2m");
        CHECK_STR(l.links[0].attrs[1].name, "ct");
        CHECK_STR(l.links[0].attrs[1].value, "11543");
        CHECK_STR(l.links[1].url, "/1/0");
        CHECK_EQ_INT(l.links[1].n_attrs, 0);
        CHECK_STR(l.links[2].attrs[0].value, "1.1");
        CHECK_STR(l.links[3].url, "/3303/0");
        CHECK_STR(l.links[4].url, "/3303/1");
    }
    zl_links_clear(&l);
    CHECK(l.links == NULL && l.n == 0);

    /* whitespace around separators, valueless attribute, quoted , and ; and escapes */
    const char *tricky = " <\x2f" "3/0/1> ; obs ;title=\"a,b;c \\\"q\\\" \\\\\" ,\n\t</5> ";
    CHECK_EQ_INT(lp(tricky, &l, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(l.n, 2);
    if (l.n == 2) {
        CHECK_EQ_INT(l.links[0].n_attrs, 2);
        CHECK_STR(l.links[0].attrs[0].name, "obs");
        CHECK(l.links[0].attrs[0].value == NULL);
        CHECK_STR(l.links[0].attrs[1].value, "a,b;c \"q\" \\");
        CHECK_STR(l.links[1].url, "/5");
    }
    zl_links_clear(&l);

    /* empty input: zero links */
    CHECK_EQ_INT(lp("", &l, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(l.n, 0);
    CHECK_EQ_INT(lp("  \r\n", &l, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(l.n, 0);

    /* not NUL-terminated: only len bytes are read */
    char raw[8] = {'<', '/', '1', '>', ',', '<', '/', '2'};
    CHECK_EQ_INT(zl_link_parse(raw, 4, &l, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(l.n, 1);
    zl_links_clear(&l);
    CHECK_EQ_INT(zl_link_parse(raw, 8, &l, err, sizeof err), ZL_ERR_TRUNCATED);
}

static void test_errors(void) {
    zl_links_t l = {NULL, 0};
    char err[128];
    CHECK_EQ_INT(lp("</1>;ct=\"40", &l, err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "offset 8") != NULL);
    CHECK(l.links == NULL && l.n == 0);
    CHECK_EQ_INT(lp("</1>x", &l, err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "offset 4") != NULL);
    CHECK_EQ_INT(lp("/1", &l, err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "offset 0") != NULL);
    CHECK_EQ_INT(lp("</1>,", &l, err, sizeof err), ZL_ERR_TRUNCATED);
    CHECK_EQ_INT(lp("</1", &l, err, sizeof err), ZL_ERR_TRUNCATED);
    CHECK_EQ_INT(lp("</1>;", &l, err, sizeof err), ZL_ERR_INVALID);
    CHECK_EQ_INT(lp("</1>;=3", &l, err, sizeof err), ZL_ERR_INVALID);
    CHECK_EQ_INT(lp("</1>;a=", &l, err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "offset 7") != NULL);
    CHECK_EQ_INT(lp("</1>;a=\"x\\", &l, err, sizeof err), ZL_ERR_INVALID);
    CHECK_EQ_INT(lp("</1 2>", &l, err, sizeof err), ZL_ERR_INVALID);
    CHECK_EQ_INT(lp("</1>,,</2>", &l, err, sizeof err), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_link_parse("</1>;a=\"\0\"", 10, &l, err, sizeof err), ZL_ERR_INVALID);

    /* limits: 32 attributes ok, 33 too many */
    char buf[1024];
    int k = snprintf(buf, sizeof buf, "</1>");
    for (int i = 0; i < 32; i++) k += snprintf(buf + k, sizeof buf - (size_t)k, ";a%d=%d", i, i);
    CHECK_EQ_INT(lp(buf, &l, err, sizeof err), ZL_OK);
    CHECK(l.n == 1 && l.links[0].n_attrs == 32);
    zl_links_clear(&l);
    snprintf(buf + k, sizeof buf - (size_t)k, ";x");
    CHECK_EQ_INT(lp(buf, &l, err, sizeof err), ZL_ERR_TOO_LARGE);
    CHECK(l.n == 0);

    /* 4096 links ok, 4097 too many */
    size_t cap = 4097 * 5 + 1;
    char *many = malloc(cap);
    size_t m = 0;
    for (int i = 0; i < 4096; i++) m += (size_t)snprintf(many + m, cap - m, "%s<%d>", i ? "," : "", i % 10);
    CHECK_EQ_INT(zl_link_parse(many, m, &l, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(l.n, 4096);
    zl_links_clear(&l);
    m += (size_t)snprintf(many + m, cap - m, ",<9>");
    CHECK_EQ_INT(zl_link_parse(many, m, &l, err, sizeof err), ZL_ERR_TOO_LARGE);
    CHECK_EQ_INT(l.n, 0);
    free(many);
}

static void test_format(void) {
    zl_links_t l;
    zl_buf_t b;
    zl_buf_init(&b, 0);
    const char *in = "</>;rt=\"oma.lwm2m\";ct=11543,</3/0>;ver=1.1,</3/0/1>;dim=2;obs;t=\"a\\\"b\"";
    CHECK_EQ_INT(lp(in, &l, NULL, 0), ZL_OK);
    CHECK_EQ_INT(zl_link_format(&l, &b), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b),
              "</>;rt=\"oma.lwm2m\";ct=11543,</3/0>;ver=1.1,</3/0/1>;dim=2;obs;t=\"a\\\"b\"");
    /* the CoRE output parses back to the same links */
    zl_links_t l2;
    CHECK_EQ_INT(zl_link_parse((const char *)b.data, b.len, &l2, NULL, 0), ZL_OK);
    CHECK_EQ_INT(l2.n, 3);
    if (l2.n == 3) CHECK_STR(l2.links[2].attrs[2].value, "a\"b");
    zl_links_clear(&l2);

    /* Leshan Arrays.toString style: ", " separators, integers bare, strings quoted */
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_link_format_list(&l, &b), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b),
              "[</>;rt=\"oma.lwm2m\";ct=11543, </3/0>;ver=\"1.1\", </3/0/1>;dim=2;obs;t=\"a\"b\"]");
    zl_links_clear(&l);

    CHECK_EQ_INT(lp("</3/0>, </3/0/1>;dim=2", &l, NULL, 0), ZL_OK);
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_link_format_list(&l, &b), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), "[</3/0>, </3/0/1>;dim=2]");
    zl_links_clear(&l);

    /* empty list */
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_link_format_list(&l, &b), ZL_OK);
    CHECK_STR(zl_buf_cstr(&b), "[]");
    zl_buf_reset(&b);
    CHECK_EQ_INT(zl_link_format(&l, &b), ZL_OK);
    CHECK_EQ_INT(b.len, 0);
    zl_buf_free(&b);
}

int main(void) {
    test_parse();
    test_errors();
    test_format();
    TEST_MAIN_END();
}
