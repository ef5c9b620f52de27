/* SPDX-License-Identifier: Apache-2.0 */
/* LwM2M path parsing/formatting: accepted forms, every rejection class. */
#include <string.h>

#include "lwm2m/path.h"
#include "test.h"

static int parses(const char *s) {
    zl_path_t p;
    return zl_path_parse(s, &p, NULL, 0) == ZL_OK;
}

int main(void) {
    zl_path_t p;
    char err[128];
    char out[64];

    CHECK_EQ_INT(zl_path_parse("/3/0/1", &p, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(p.len, 3);
    CHECK_EQ_INT(p.ids[0], 3);
    CHECK_EQ_INT(p.ids[1], 0);
    CHECK_EQ_INT(p.ids[2], 1);

    CHECK_EQ_INT(zl_path_parse("3303/12/5700", &p, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(p.len, 3);
    CHECK_EQ_INT(p.ids[0], 3303);
    CHECK_EQ_INT(p.ids[1], 12);
    CHECK_EQ_INT(p.ids[2], 5700);

    CHECK_EQ_INT(zl_path_parse("/", &p, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(p.len, 0);

    CHECK_EQ_INT(zl_path_parse("/3/0/11/0", &p, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(p.len, 4);
    CHECK_EQ_INT(p.ids[3], 0);

    CHECK_EQ_INT(zl_path_parse("/65534", &p, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(p.ids[0], 65534);

    /* rejections */
    CHECK_EQ_INT(zl_path_parse("/65535", &p, err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "65534") != NULL);
    CHECK_EQ_INT(zl_path_parse("/3/99999999999999999999", &p, err, sizeof err), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_path_parse("/3//1", &p, err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "empty") != NULL && strstr(err, "offset 3") != NULL);
    CHECK_EQ_INT(zl_path_parse("/3/0/", &p, err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "trailing") != NULL);
    CHECK_EQ_INT(zl_path_parse("/3/a", &p, err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "offset 3") != NULL);
    CHECK_EQ_INT(zl_path_parse("/1/2/3/4/5", &p, err, sizeof err), ZL_ERR_INVALID);
    CHECK(strstr(err, "4 levels") != NULL);
    CHECK(!parses(""));
    CHECK(!parses("//"));
    CHECK(!parses("/-1"));
    CHECK(!parses("/+1"));
    CHECK(!parses("/ 1"));
    CHECK(!parses("/1 "));
    CHECK(!parses("/3/0x1"));
    CHECK(!parses("/3?x"));
    CHECK(!parses("3/"));

    /* a failed parse leaves *out untouched */
    p.len = 2; p.ids[0] = 7;
    CHECK(!parses("/x"));
    CHECK_EQ_INT(zl_path_parse("/x", &p, NULL, 0), ZL_ERR_INVALID);
    CHECK_EQ_INT(p.len, 2);
    CHECK_EQ_INT(p.ids[0], 7);

    /* format */
    zl_path_parse("/3/0/11/2", &p, NULL, 0);
    CHECK_EQ_INT(zl_path_format(&p, out, sizeof out), 9);
    CHECK_STR(out, "/3/0/11/2");
    p.len = 0;
    CHECK_EQ_INT(zl_path_format(&p, out, sizeof out), 1);
    CHECK_STR(out, "/");
    zl_path_parse("/26241/0/26251", &p, NULL, 0);
    CHECK_EQ_INT(zl_path_format(&p, out, 6), 14); /* truncated, returns full length */
    CHECK_STR(out, "/2624");

    /* segments */
    const char *segs[] = {"3303", "0", "5700"};
    size_t lens[] = {4, 1, 4};
    CHECK_EQ_INT(zl_path_from_segments(segs, lens, 3, &p), ZL_OK);
    CHECK_EQ_INT(p.len, 3);
    CHECK_EQ_INT(p.ids[2], 5700);
    size_t lens2[] = {2, 1, 4}; /* "33" */
    CHECK_EQ_INT(zl_path_from_segments(segs, lens2, 3, &p), ZL_OK);
    CHECK_EQ_INT(p.ids[0], 33);
    const char *bad[] = {"3", "", "1"};
    size_t blens[] = {1, 0, 1};
    CHECK_EQ_INT(zl_path_from_segments(bad, blens, 3, &p), ZL_ERR_INVALID);
    const char *big[] = {"70000"};
    size_t biglen[] = {5};
    CHECK_EQ_INT(zl_path_from_segments(big, biglen, 1, &p), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_path_from_segments(segs, lens, 5, &p), ZL_ERR_INVALID);
    CHECK_EQ_INT(zl_path_from_segments(NULL, NULL, 0, &p), ZL_OK);
    CHECK_EQ_INT(p.len, 0);

    TEST_MAIN_END();
}
