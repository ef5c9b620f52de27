/* SPDX-License-Identifier: Apache-2.0 */
/* CoAP codec: literal byte vectors (RFC 7252 §3 and Appendix A shapes), the
 * extended delta/length encodings, stable option sorting, and the classic
 * CoAP parser CVE shapes as regression tests. */
#include <stdlib.h>

#include "coap/msg.h"
#include "test.h"

#define PARSE(arr, m) zl_coap_parse((arr), sizeof(arr), (m))

/* RFC 7252 Appendix A style: CON GET /temperature, MID 0x7d34, token 0x7123. */
static const uint8_t get_temp[] = {0x42, 0x01, 0x7d, 0x34, 0x71, 0x23, 0xbb, 't', 'e', 'm', 'p',
                                   'e', 'r', 'a', 't', 'u', 'r', 'e'};
/* Its piggybacked answer: ACK 2.05, same MID and token, payload "22.3 C". */
static const uint8_t ack_temp[] = {0x62, 0x45, 0x7d, 0x34, 0x71, 0x23, 0xff,
                                   '2', '2', '.', '3', ' ', 'C'};

static void test_rfc_examples(void) {
    zl_coap_msg_t m;
    CHECK_EQ_INT(PARSE(get_temp, &m), ZL_OK);
    CHECK_EQ_INT(m.type, ZL_COAP_CON);
    CHECK_EQ_INT(m.code, ZL_COAP_GET);
    CHECK_EQ_INT(m.mid, 0x7d34);
    CHECK_EQ_INT(m.tkl, 2);
    CHECK_MEM(m.token, "\x71\x23", 2);
    CHECK_EQ_INT(m.n_opts, 1);
    CHECK_EQ_INT(m.opts[0].num, ZL_OPT_URI_PATH);
    CHECK_EQ_INT(m.opts[0].len, 11);
    CHECK_MEM(m.opts[0].val, "temperature", 11);
    CHECK(m.payload == NULL);
    CHECK_EQ_INT(m.payload_len, 0);
    CHECK(zl_coap_is_request(m.code));
    CHECK(!zl_coap_is_response(m.code));
    char path[32];
    CHECK_EQ_INT(zl_coap_path_string(&m, ZL_OPT_URI_PATH, path, sizeof path), ZL_OK);
    CHECK_STR(path, "/temperature");

    /* round trip: byte-identical */
    uint8_t out[64];
    size_t n = zl_coap_serialize(&m, out, sizeof out);
    CHECK_EQ_INT(n, sizeof get_temp);
    CHECK_MEM(out, get_temp, sizeof get_temp);

    CHECK_EQ_INT(PARSE(ack_temp, &m), ZL_OK);
    CHECK_EQ_INT(m.type, ZL_COAP_ACK);
    CHECK_EQ_INT(m.code, ZL_COAP_CONTENT);
    CHECK_EQ_INT(m.n_opts, 0);
    CHECK_EQ_INT(m.payload_len, 6);
    CHECK_MEM(m.payload, "22.3 C", 6);
    CHECK(zl_coap_is_response(m.code));
    char cs[6];
    CHECK_STR(zl_coap_code_str(m.code, cs), "2.05");
    CHECK_STR(zl_coap_code_str(ZL_COAP_NOT_FOUND, cs), "4.04");
    CHECK_STR(zl_coap_code_str(ZL_COAP_CONTINUE, cs), "2.31");

    /* build the same answer with the builders */
    zl_coap_msg_t b;
    zl_coap_init(&b, ZL_COAP_ACK, ZL_COAP_CONTENT, 0x7d34);
    b.tkl = 2;
    b.token[0] = 0x71;
    b.token[1] = 0x23;
    b.payload = (const uint8_t *)"22.3 C";
    b.payload_len = 6;
    n = zl_coap_serialize(&b, out, sizeof out);
    CHECK_EQ_INT(n, sizeof ack_temp);
    CHECK_MEM(out, ack_temp, sizeof ack_temp);

    /* empty ACK / RST / ping: exactly 4 bytes */
    static const uint8_t empty_ack[] = {0x60, 0x00, 0x12, 0x34};
    CHECK_EQ_INT(PARSE(empty_ack, &m), ZL_OK);
    CHECK_EQ_INT(m.type, ZL_COAP_ACK);
    CHECK_EQ_INT(m.code, ZL_COAP_EMPTY);
    CHECK_EQ_INT(m.mid, 0x1234);
}

static void test_extended_parse(void) {
    zl_coap_msg_t m;
    /* delta 13 (+1 byte): option 20 (Location-Query) = 13+7, len 13 (+1 byte) = 13+0 */
    static const uint8_t d13[] = {0x40, 0x02, 0x00, 0x01, 0xdd, 0x07, 0x00,
                                  'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm'};
    CHECK_EQ_INT(PARSE(d13, &m), ZL_OK);
    CHECK_EQ_INT(m.n_opts, 1);
    CHECK_EQ_INT(m.opts[0].num, 20);
    CHECK_EQ_INT(m.opts[0].len, 13);
    CHECK_MEM(m.opts[0].val, "abcdefghijklm", 13);

    /* delta 14 (+2 bytes): option 300 = 269 + 31, len 0; then delta 14 again:
     * 300 + 269 + 0x0100 = 825, len 14 (+2 bytes) = 269 + 1 = 270 */
    uint8_t d14[4 + 3 + 5 + 270];
    memcpy(d14, "\x40\x02\x00\x02\xe0\x00\x1f\xee\x01\x00\x00\x01", 12);
    for (int i = 0; i < 270; i++) d14[12 + i] = (uint8_t)i;
    CHECK_EQ_INT(PARSE(d14, &m), ZL_OK);
    CHECK_EQ_INT(m.n_opts, 2);
    CHECK_EQ_INT(m.opts[0].num, 300);
    CHECK_EQ_INT(m.opts[0].len, 0);
    CHECK_EQ_INT(m.opts[1].num, 825);
    CHECK_EQ_INT(m.opts[1].len, 270);
    CHECK(m.opts[1].val == d14 + 12);
    /* round trip of the extended forms */
    uint8_t out[400];
    CHECK_EQ_INT(zl_coap_serialize(&m, out, sizeof out), sizeof d14);
    CHECK_MEM(out, d14, sizeof d14);

    /* option number 65535 exactly is fine: 269 + 0xfef2 = 65535 */
    static const uint8_t maxnum[] = {0x40, 0x01, 0x00, 0x03, 0xe0, 0xfe, 0xf2};
    CHECK_EQ_INT(PARSE(maxnum, &m), ZL_OK);
    CHECK_EQ_INT(m.opts[0].num, 65535);
}

/* The serializer must pick the shortest form: <13 inline, 13..268 one byte, >=269 two. */
static void test_minimal_encoding(void) {
    static const uint8_t val[300];
    struct { uint16_t num; size_t len; uint8_t hdr[5]; size_t hl; } cases[] = {
        {12, 12, {0xcc}, 1},
        {13, 13, {0xdd, 0x00, 0x00}, 3},
        {268, 268, {0xdd, 0xff, 0xff}, 3},
        {269, 269, {0xee, 0x00, 0x00, 0x00, 0x00}, 5},
        {1000, 1, {0xe1, 0x02, 0xdb}, 3},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        zl_coap_msg_t m;
        zl_coap_init(&m, ZL_COAP_NON, ZL_COAP_POST, 7);
        CHECK_EQ_INT(zl_coap_add_opt(&m, cases[c].num, val, cases[c].len), ZL_OK);
        uint8_t out[600];
        size_t n = zl_coap_serialize(&m, out, sizeof out);
        CHECK_EQ_INT(n, 4 + cases[c].hl + cases[c].len);
        CHECK_MEM(out, "\x50\x02\x00\x07", 4);
        CHECK_MEM(out + 4, cases[c].hdr, cases[c].hl);
        zl_coap_msg_t p;
        CHECK_EQ_INT(zl_coap_parse(out, n, &p), ZL_OK);
        CHECK_EQ_INT(p.n_opts, 1);
        CHECK_EQ_INT(p.opts[0].num, cases[c].num);
        CHECK_EQ_INT(p.opts[0].len, cases[c].len);
    }
}

static void test_sort_stable(void) {
    zl_coap_msg_t m;
    uint8_t s1[4], s2[4];
    zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_GET, 0x0102);
    m.tkl = 1;
    m.token[0] = 0xaa;
    zl_coap_add_opt(&m, ZL_OPT_URI_PATH, "b", 1);
    zl_coap_add_uint(&m, ZL_OPT_CONTENT_FORMAT, 40, s1);
    zl_coap_add_uint(&m, ZL_OPT_OBSERVE, 0, s2);
    zl_coap_add_opt(&m, ZL_OPT_URI_PATH, "a", 1);
    zl_coap_add_opt(&m, ZL_OPT_URI_QUERY, "q", 1);
    m.payload = (const uint8_t *)"xy";
    m.payload_len = 2;
    static const uint8_t want[] = {0x41, 0x01, 0x01, 0x02, 0xaa,
                                   0x60,            /* Observe 6, len 0 */
                                   0x51, 'b',       /* Uri-Path 11 "b" (first added) */
                                   0x01, 'a',       /* Uri-Path 11 "a" */
                                   0x11, 40,        /* Content-Format 12 */
                                   0x31, 'q',       /* Uri-Query 15 */
                                   0xff, 'x', 'y'};
    uint8_t out[64];
    size_t n = zl_coap_serialize(&m, out, sizeof out);
    CHECK_EQ_INT(n, sizeof want);
    CHECK_MEM(out, want, sizeof want);
    /* the message itself is not reordered */
    CHECK_EQ_INT(m.opts[0].num, ZL_OPT_URI_PATH);
    CHECK_EQ_INT(m.opts[0].val[0], 'b');
    /* every size short of n fails cleanly */
    for (size_t k = 0; k < n; k++) CHECK_EQ_INT(zl_coap_serialize(&m, out, k), 0);

    zl_coap_msg_t p;
    CHECK_EQ_INT(zl_coap_parse(out, n, &p), ZL_OK);
    char path[16];
    CHECK_EQ_INT(zl_coap_path_string(&p, ZL_OPT_URI_PATH, path, sizeof path), ZL_OK);
    CHECK_STR(path, "/b/a");
    CHECK_EQ_INT(zl_coap_opt_uint(&p, ZL_OPT_CONTENT_FORMAT, -5), 40);
    CHECK_EQ_INT(zl_coap_opt_uint(&p, ZL_OPT_OBSERVE, -5), 0);
    CHECK_EQ_INT(zl_coap_opt_uint(&p, ZL_OPT_ACCEPT, -5), -5);

    /* token length > 8 in a built message is refused */
    m.tkl = 9;
    CHECK_EQ_INT(zl_coap_serialize(&m, out, sizeof out), 0);
}

static void test_cve_shapes(void) {
    zl_coap_msg_t m;
    /* option number overflow: one delta past 65535 (269 + 0xffff) */
    static const uint8_t ovf1[] = {0x40, 0x01, 0x00, 0x01, 0xe0, 0xff, 0xff};
    CHECK_EQ_INT(PARSE(ovf1, &m), ZL_ERR_INVALID);
    /* cumulative overflow: 65000 then +1037 */
    static const uint8_t ovf2[] = {0x40, 0x01, 0x00, 0x01, 0xe0, 0xfc, 0xdb, 0xe0, 0x03, 0x00};
    CHECK_EQ_INT(PARSE(ovf2, &m), ZL_ERR_INVALID);
    /* 65535 then +1 */
    static const uint8_t ovf3[] = {0x40, 0x01, 0x00, 0x01, 0xe0, 0xfe, 0xf2, 0x10};
    CHECK_EQ_INT(PARSE(ovf3, &m), ZL_ERR_INVALID);

    /* token length 9..15 is a format error; header fields are still filled */
    static const uint8_t tkl9[] = {0x49, 0x01, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    CHECK_EQ_INT(PARSE(tkl9, &m), ZL_ERR_INVALID);
    CHECK_EQ_INT(m.mid, 0xbeef);
    CHECK_EQ_INT(m.type, ZL_COAP_CON);
    static const uint8_t tkl15[] = {0x4f, 0x01, 0x00, 0x01};
    CHECK_EQ_INT(PARSE(tkl15, &m), ZL_ERR_INVALID);

    /* token longer than the packet */
    static const uint8_t tshort[] = {0x48, 0x01, 0x00, 0x01, 1, 2, 3};
    CHECK_EQ_INT(PARSE(tshort, &m), ZL_ERR_TRUNCATED);
    /* shorter than a header */
    CHECK_EQ_INT(zl_coap_parse(get_temp, 3, &m), ZL_ERR_TRUNCATED);
    CHECK_EQ_INT(zl_coap_parse(get_temp, 0, &m), ZL_ERR_TRUNCATED);
    /* version 2 */
    static const uint8_t v2[] = {0x82, 0x01, 0x00, 0x01, 1, 2};
    CHECK_EQ_INT(PARSE(v2, &m), ZL_ERR_INVALID);

    /* option value runs past the end */
    static const uint8_t olong[] = {0x40, 0x01, 0x00, 0x01, 0xb5, 'a', 'b'};
    CHECK_EQ_INT(PARSE(olong, &m), ZL_ERR_TRUNCATED);
    /* extended length/delta bytes missing */
    static const uint8_t lext1[] = {0x40, 0x01, 0x00, 0x01, 0xbd};
    CHECK_EQ_INT(PARSE(lext1, &m), ZL_ERR_TRUNCATED);
    static const uint8_t lext2[] = {0x40, 0x01, 0x00, 0x01, 0xbe, 0x00};
    CHECK_EQ_INT(PARSE(lext2, &m), ZL_ERR_TRUNCATED);
    static const uint8_t dext1[] = {0x40, 0x01, 0x00, 0x01, 0xd0};
    CHECK_EQ_INT(PARSE(dext1, &m), ZL_ERR_TRUNCATED);
    static const uint8_t dext2[] = {0x40, 0x01, 0x00, 0x01, 0xe0, 0x00};
    CHECK_EQ_INT(PARSE(dext2, &m), ZL_ERR_TRUNCATED);
    /* extended length 269 + 0xffff with a few bytes behind it */
    static const uint8_t lhuge[] = {0x40, 0x01, 0x00, 0x01, 0x0e, 0xff, 0xff, 1, 2, 3};
    CHECK_EQ_INT(PARSE(lhuge, &m), ZL_ERR_TRUNCATED);

    /* payload marker followed by nothing */
    static const uint8_t pm[] = {0x40, 0x02, 0x00, 0x01, 0xb1, 'x', 0xff};
    CHECK_EQ_INT(PARSE(pm, &m), ZL_ERR_INVALID);
    static const uint8_t pm2[] = {0x40, 0x02, 0x00, 0x01, 0xff};
    CHECK_EQ_INT(PARSE(pm2, &m), ZL_ERR_INVALID);

    /* reserved nibble 15 in delta or length (not the 0xff marker) */
    static const uint8_t r15d[] = {0x40, 0x01, 0x00, 0x01, 0xf1, 'x'};
    CHECK_EQ_INT(PARSE(r15d, &m), ZL_ERR_INVALID);
    static const uint8_t r15l[] = {0x40, 0x01, 0x00, 0x01, 0x1f, 'x'};
    CHECK_EQ_INT(PARSE(r15l, &m), ZL_ERR_INVALID);

    /* empty message with anything after the header */
    static const uint8_t e1[] = {0x40, 0x00, 0x00, 0x01, 0xff, 'x'};
    CHECK_EQ_INT(PARSE(e1, &m), ZL_ERR_INVALID);
    static const uint8_t e2[] = {0x61, 0x00, 0x00, 0x01, 0xaa};
    CHECK_EQ_INT(PARSE(e2, &m), ZL_ERR_INVALID);
    static const uint8_t e3[] = {0x70, 0x00, 0x00, 0x01, 0x00};
    CHECK_EQ_INT(PARSE(e3, &m), ZL_ERR_INVALID);

    /* ZL_COAP_MAX_OPTS options parse, one more is TOO_LARGE */
    uint8_t many[4 + ZL_COAP_MAX_OPTS + 1];
    memcpy(many, "\x40\x01\x00\x01", 4);
    many[4] = 0xb0;
    for (int i = 1; i <= ZL_COAP_MAX_OPTS; i++) many[4 + i] = 0x00;
    CHECK_EQ_INT(zl_coap_parse(many, sizeof many - 1, &m), ZL_OK);
    CHECK_EQ_INT(m.n_opts, ZL_COAP_MAX_OPTS);
    CHECK_EQ_INT(zl_coap_parse(many, sizeof many, &m), ZL_ERR_TOO_LARGE);

    /* builder limit too */
    zl_coap_msg_t b;
    zl_coap_init(&b, ZL_COAP_CON, ZL_COAP_GET, 1);
    for (int i = 0; i < ZL_COAP_MAX_OPTS; i++) CHECK_EQ_INT(zl_coap_add_opt(&b, 11, "", 0), ZL_OK);
    CHECK_EQ_INT(zl_coap_add_opt(&b, 11, "", 0), ZL_ERR_TOO_LARGE);
}

static void test_block(void) {
    zl_coap_msg_t m;
    zl_coap_block_t b;
    uint8_t s[4];

    zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_GET, 1);
    CHECK_EQ_INT(zl_coap_get_block(&m, ZL_OPT_BLOCK2, &b), 0);

    zl_coap_add_opt(&m, ZL_OPT_BLOCK2, "\x0e", 1); /* num 0, M, szx 6 */
    CHECK_EQ_INT(zl_coap_get_block(&m, ZL_OPT_BLOCK2, &b), 1);
    CHECK_EQ_INT(b.num, 0);
    CHECK(b.more);
    CHECK_EQ_INT(b.szx, 6);

    zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_GET, 1);
    zl_coap_add_opt(&m, ZL_OPT_BLOCK1, "", 0); /* zero-length: num 0, no M, szx 0 */
    CHECK_EQ_INT(zl_coap_get_block(&m, ZL_OPT_BLOCK1, &b), 1);
    CHECK_EQ_INT(b.num, 0);
    CHECK(!b.more);
    CHECK_EQ_INT(b.szx, 0);

    zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_GET, 1);
    zl_coap_add_opt(&m, ZL_OPT_BLOCK1, "\x01\x2a", 2); /* num 18, M, szx 2 */
    CHECK_EQ_INT(zl_coap_get_block(&m, ZL_OPT_BLOCK1, &b), 1);
    CHECK_EQ_INT(b.num, 18);
    CHECK(b.more);
    CHECK_EQ_INT(b.szx, 2);

    zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_GET, 1);
    zl_coap_add_opt(&m, ZL_OPT_BLOCK2, "\xff\xff\xf6", 3); /* largest num, no M, szx 6 */
    CHECK_EQ_INT(zl_coap_get_block(&m, ZL_OPT_BLOCK2, &b), 1);
    CHECK_EQ_INT(b.num, 0xfffff);
    CHECK(!b.more);
    CHECK_EQ_INT(b.szx, 6);

    zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_GET, 1);
    zl_coap_add_opt(&m, ZL_OPT_BLOCK2, "\x17", 1); /* szx 7 (BERT) */
    CHECK_EQ_INT(zl_coap_get_block(&m, ZL_OPT_BLOCK2, &b), -1);
    zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_GET, 1);
    zl_coap_add_opt(&m, ZL_OPT_BLOCK2, "\x00\x00\x00\x10", 4); /* > 3 bytes */
    CHECK_EQ_INT(zl_coap_get_block(&m, ZL_OPT_BLOCK2, &b), -1);

    /* encode and back through the wire */
    zl_coap_block_t e = {.num = 5, .more = true, .szx = 2};
    CHECK_EQ_INT(zl_coap_block_encode(&e), 0x5a);
    e = (zl_coap_block_t){.num = 0xfffff, .more = false, .szx = 6};
    CHECK_EQ_INT(zl_coap_block_encode(&e), 0xfffff6);
    e = (zl_coap_block_t){.num = 0, .more = false, .szx = 0};
    CHECK_EQ_INT(zl_coap_block_encode(&e), 0);
    e = (zl_coap_block_t){.num = 300, .more = true, .szx = 4};
    zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_GET, 9);
    zl_coap_add_uint(&m, ZL_OPT_BLOCK2, zl_coap_block_encode(&e), s);
    uint8_t out[32];
    size_t n = zl_coap_serialize(&m, out, sizeof out);
    /* Block2 = 23: delta 13 + 10, len 2: 0x12 0xcc */
    static const uint8_t want[] = {0x40, 0x01, 0x00, 0x09, 0xd2, 0x0a, 0x12, 0xcc};
    CHECK_EQ_INT(n, sizeof want);
    CHECK_MEM(out, want, sizeof want);
    zl_coap_msg_t p;
    CHECK_EQ_INT(zl_coap_parse(out, n, &p), ZL_OK);
    CHECK_EQ_INT(zl_coap_get_block(&p, ZL_OPT_BLOCK2, &b), 1);
    CHECK_EQ_INT(b.num, 300);
    CHECK(b.more);
    CHECK_EQ_INT(b.szx, 4);
}

static void test_opt_uint_and_path(void) {
    zl_coap_msg_t m;
    zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_GET, 1);
    CHECK_EQ_INT(zl_coap_opt_uint(&m, ZL_OPT_MAX_AGE, 60), 60);
    const char *vals[] = {"", "\x01", "\x01\x02", "\x01\x02\x03", "\xff\xff\xff\xff", "\x01\x02\x03\x04\x05"};
    int64_t want[] = {0, 1, 0x0102, 0x010203, 0xffffffffll, -1};
    for (int i = 0; i < 6; i++) {
        zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_GET, 1);
        zl_coap_add_opt(&m, ZL_OPT_MAX_AGE, vals[i], (size_t)i);
        CHECK_EQ_INT(zl_coap_opt_uint(&m, ZL_OPT_MAX_AGE, 60), want[i]);
    }
    /* add_uint uses the minimal length */
    uint32_t vs[] = {0, 1, 255, 256, 65535, 65536, 0xffffff, 0x1000000, 0xffffffffu};
    size_t lens[] = {0, 1, 1, 2, 2, 3, 3, 4, 4};
    for (int i = 0; i < 9; i++) {
        uint8_t s[4];
        zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_GET, 1);
        zl_coap_add_uint(&m, ZL_OPT_SIZE1, vs[i], s);
        CHECK_EQ_INT(m.opts[0].len, lens[i]);
        CHECK_EQ_INT(zl_coap_opt_uint(&m, ZL_OPT_SIZE1, -2), vs[i]);
    }

    zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_GET, 1);
    char out[32];
    CHECK_EQ_INT(zl_coap_path_string(&m, ZL_OPT_URI_PATH, out, sizeof out), ZL_OK);
    CHECK_STR(out, "");
    CHECK_EQ_INT(zl_coap_add_path(&m, ZL_OPT_URI_PATH, "/3303/0/5700"), ZL_OK);
    zl_coap_add_opt(&m, ZL_OPT_URI_QUERY, "x=1", 3);
    CHECK_EQ_INT(m.n_opts, 4);
    CHECK_EQ_INT(zl_coap_path_string(&m, ZL_OPT_URI_PATH, out, sizeof out), ZL_OK);
    CHECK_STR(out, "/3303/0/5700");
    CHECK_EQ_INT(zl_coap_path_string(&m, ZL_OPT_URI_QUERY, out, sizeof out), ZL_OK);
    CHECK_STR(out, "/x=1");
    /* "/3303/0/5700" is 12 chars: 13 bytes fit, 12 do not */
    CHECK_EQ_INT(zl_coap_path_string(&m, ZL_OPT_URI_PATH, out, 13), ZL_OK);
    CHECK_STR(out, "/3303/0/5700");
    CHECK_EQ_INT(zl_coap_path_string(&m, ZL_OPT_URI_PATH, out, 12), ZL_ERR_TOO_LARGE);
    CHECK_EQ_INT(zl_coap_path_string(&m, ZL_OPT_URI_PATH, out, 0), ZL_ERR_TOO_LARGE);
    CHECK_EQ_INT(zl_coap_path_string(&m, ZL_OPT_LOCATION_PATH, out, 1), ZL_OK);
    CHECK_STR(out, "");

    zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_GET, 1);
    CHECK_EQ_INT(zl_coap_add_path(&m, ZL_OPT_LOCATION_PATH, "rd/abc"), ZL_OK);
    CHECK_EQ_INT(zl_coap_path_string(&m, ZL_OPT_LOCATION_PATH, out, sizeof out), ZL_OK);
    CHECK_STR(out, "/rd/abc");
    zl_coap_init(&m, ZL_COAP_CON, ZL_COAP_GET, 1);
    CHECK_EQ_INT(zl_coap_add_path(&m, ZL_OPT_URI_PATH, "/"), ZL_OK);
    CHECK_EQ_INT(m.n_opts, 0);
}

int main(void) {
    test_rfc_examples();
    test_extended_parse();
    test_minimal_encoding();
    test_sort_stable();
    test_cve_shapes();
    test_block();
    test_opt_uint_and_path();
    TEST_MAIN_END();
}
