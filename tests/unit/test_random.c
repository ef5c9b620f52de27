/* SPDX-License-Identifier: Apache-2.0 */
/* Regression for the "weak randomness" CVE class (predictable CoAP tokens,
 * message ids and registration ids): the endpoint's randomness comes from the
 * kernel CSPRNG, so two endpoints created in the same millisecond do not share
 * a sequence, and the bytes are uniform.  Tokens of real requests are unique. */
#include <math.h>
#include <string.h>

#include "coap/endpoint.h"
#include "coap/udp.h"
#include "test.h"
#include "common/clock.h"

static zl_coap_ep_t *mk(zl_wheel_t *w) {
    char err[128];
    zl_coap_ep_cfg_t cfg = {0};
    if (zl_udp_open("127.0.0.1", 0, 0, &cfg.io, err, sizeof err) != ZL_OK) return NULL;
    return zl_coap_ep_new(&cfg, w, err, sizeof err);
}

static void noop(void *ctx, zl_err_t err, const zl_coap_msg_t *resp) {
    (void)ctx; (void)err; (void)resp;
}

int main(void) {
    zl_wheel_t w;
    zl_wheel_init(&w, zl_now_ms());
    zl_coap_ep_t *a = mk(&w), *b = mk(&w);
    CHECK(a && b);

    /* same start time, different streams (a time-seeded PRNG would collide) */
    uint8_t ra[64], rb[64];
    zl_coap_random(a, ra, sizeof ra);
    zl_coap_random(b, rb, sizeof rb);
    CHECK(memcmp(ra, rb, sizeof ra) != 0);

    /* byte frequencies: chi-square with 255 degrees of freedom; 400 is beyond
     * p = 1e-8 for a uniform source, while a constant or counter fails hugely */
    enum { N = 1 << 18 };
    static uint8_t buf[N];
    zl_coap_random(a, buf, N);
    double hist[256] = {0};
    for (int i = 0; i < N; i++) hist[buf[i]]++;
    double chi = 0, e = N / 256.0;
    for (int i = 0; i < 256; i++) chi += (hist[i] - e) * (hist[i] - e) / e;
    CHECK(chi < 400);

    /* tokens of real requests: 8 bytes, all distinct */
    zl_coap_addr_t peer;
    zl_coap_addr_parse("127.0.0.1", 9, &peer);
    enum { T = 2000 };
    static uint8_t tokens[T][8];
    int dup = 0;
    for (int i = 0; i < T; i++) {
        zl_coap_msg_t m;
        zl_coap_init(&m, ZL_COAP_NON, ZL_COAP_GET, 0);
        zl_coap_req_opts_t o = {.confirmable = false, .timeout_ms = 1000};
        CHECK_EQ_INT(zl_coap_request(a, &peer, &m, &o, noop, NULL, tokens[i]), ZL_OK);
        if (i % 64 == 63) zl_coap_ep_flush(a);
        for (int k = 0; k < i && !dup; k++) dup = !memcmp(tokens[k], tokens[i], 8);
    }
    CHECK_EQ_INT(dup, 0);
    zl_coap_ep_destroy(a);
    zl_coap_ep_destroy(b);
    TEST_MAIN_END();
}
