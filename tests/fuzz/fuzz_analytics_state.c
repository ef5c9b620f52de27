/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes what `zeelos analytics` reads that it did not write in the same
 * process: job files (job.c), and changelog records read back into window
 * state (window.c) - a changelog topic is shared and may hold anything a
 * producer put there.  The first byte picks: 'J' a job text, anything else
 * a sequence of records (2-byte key length, key, 2-byte value length with
 * 0xffff for a tombstone, value) restored into the state of job "j",
 * topic "t", partition 0, which then aggregates, closes and flushes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "roles/analytics/job.h"
#include "roles/analytics/window.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *ctx, an_win_t *w) {
    (void)ctx;
    (void)w;
}

static void restore(const uint8_t *p, size_t n) {
    static const char job[] = "{\"name\":\"j\",\"output_format\":\"max-record\",\"window\":{\"type\":\"hopping\","
                              "\"size_ms\":100,\"advance_ms\":50,\"grace_ms\":10}}";
    char err[256];
    an_jobs_t js;
    if (an_jobs_parse(job, strlen(job), "gw", &js, err, sizeof err)) abort();
    an_state_t *s = an_state_new(&js.jobs[0]);
    size_t at = 0;
    while (s && at + 4 <= n) {
        size_t kl = (size_t)p[at] << 8 | p[at + 1];
        if (at + 2 + kl + 2 > n) break;
        const uint8_t *k = p + at + 2;
        at += 2 + kl;
        size_t vl = (size_t)p[at] << 8 | p[at + 1];
        at += 2;
        const uint8_t *v = NULL;
        if (vl != 0xffff) {
            if (at + vl > n) break;
            v = p + at;
            at += vl;
        } else {
            vl = 0;
        }
        bool bad;
        an_state_restore(s, "j", "t", 0, k, kl, v, vl, &bad);
    }
    zl_observe_t r = {.ticket = "t", .observation_id = "", .server_id = "gw", .ep = "e"};
    an_value_t val = {.group = "g", .group_len = 1, .ts = an_state_stream_time(s) + 1000, .v = 1, .rec = &r,
                      .path = "/1/0/1"};
    if (s) {
        an_state_add(s, &val);
        bool st;
        an_state_flush(s, ignore, NULL, &st);
        an_state_close(s, ignore, NULL);
    }
    an_state_free(s);
    an_jobs_free(&js);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    if (data[0] == 'J') {
        char err[256];
        an_jobs_t js;
        if (!an_jobs_parse((const char *)data + 1, size - 1, "gw", &js, err, sizeof err)) an_jobs_free(&js);
    } else {
        restore(data + 1, size - 1);
    }
    return 0;
}
