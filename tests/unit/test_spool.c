/* SPDX-License-Identifier: Apache-2.0 */
/* The spool: records come back in order with their bytes and timestamps;
 * acknowledgements out of order move the cursor over the acknowledged prefix
 * only; a rewind re-hands exactly the unacknowledged records; a reopen (after
 * a clean close or a torn write) resumes from the persisted cursor; the size
 * cap refuses, drop-oldest makes room; acknowledged segments are deleted. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/spool.h"
#include "test.h"

static char dir[256];

static zl_spool_t *open_spool(uint64_t max_bytes, uint64_t seg_bytes, int window) {
    char err[256] = "";
    zl_spool_cfg_t c = {.dir = dir, .max_bytes = max_bytes, .segment_bytes = seg_bytes, .window = window};
    zl_spool_t *s = zl_spool_open(&c, err, sizeof err);
    if (!s) fprintf(stderr, "open: %s\n", err);
    return s;
}

static zl_err_t put(zl_spool_t *s, int i) {
    char key[32], val[64];
    snprintf(key, sizeof key, "ep-%d", i % 7);
    int vl = snprintf(val, sizeof val, "value %d with some bytes", i);
    zl_spool_rec_t r = {.ts_ms = 1700000000000LL + i, .topic = i % 2 ? "iot.t.observations" : "iot.t.registrations",
                        .key = key, .key_len = strlen(key), .value = val, .value_len = (size_t)vl};
    zl_err_t e = zl_spool_append(s, &r);
    if (!e) CHECK_EQ_INT(r.seq, (uint64_t)i);
    return e;
}

/* Reads the next record and checks it is record i, byte for byte. */
static int next_is(zl_spool_t *s, int i) {
    zl_spool_rec_t r;
    if (!GUARD(zl_spool_next(s, &r) == ZL_OK)) return 0;
    char key[32], val[64];
    snprintf(key, sizeof key, "ep-%d", i % 7);
    int vl = snprintf(val, sizeof val, "value %d with some bytes", i);
    CHECK_EQ_INT(r.seq, (uint64_t)i);
    CHECK_EQ_INT(r.ts_ms, 1700000000000LL + i);
    CHECK_STR(r.topic, i % 2 ? "iot.t.observations" : "iot.t.registrations");
    CHECK_EQ_INT(r.key_len, strlen(key));
    if (GUARD(r.key)) CHECK_MEM(r.key, key, strlen(key));
    CHECK_EQ_INT(r.value_len, (size_t)vl);
    CHECK_MEM(r.value, val, (size_t)vl);
    return 1;
}

static int count_segments(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "ls %s/*.seg 2>/dev/null | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p) {
        if (fscanf(p, "%d", &n) != 1) n = -1;
        pclose(p);
    }
    return n;
}

static void test_order_acks_rewind(void) {
    zl_spool_t *s = open_spool(1 << 20, 1024, 8);
    if (!GUARD(s)) return;
    for (int i = 0; i < 20; i++) CHECK_EQ_INT(put(s, i), ZL_OK);
    CHECK_EQ_INT(zl_spool_sync(s), ZL_OK);
    CHECK_EQ_INT(zl_spool_pending(s), 20);
    CHECK(count_segments() > 1); /* 1 KiB segments: several */
    for (int i = 0; i < 8; i++) next_is(s, i);
    zl_spool_rec_t r;
    CHECK_EQ_INT(zl_spool_next(s, &r), ZL_ERR_FULL); /* window of 8 */
    /* acknowledged out of order: 0, 1, 3, 5 -> cursor at 2 */
    zl_spool_ack(s, 3);
    zl_spool_ack(s, 0);
    zl_spool_ack(s, 5);
    zl_spool_ack(s, 1);
    CHECK_EQ_INT(zl_spool_pending(s), 18);
    /* 2 failed: rewind re-hands 2, 4, 6, 7 (3 and 5 were delivered), then 8.. */
    zl_spool_rewind(s);
    next_is(s, 2);
    next_is(s, 4);
    next_is(s, 6);
    next_is(s, 7);
    for (int i = 2; i < 8; i++) zl_spool_ack(s, (uint64_t)i);
    CHECK_EQ_INT(zl_spool_pending(s), 12);
    for (int i = 8; i < 20; i++) {
        if (!next_is(s, i)) break;
        zl_spool_ack(s, (uint64_t)i);
    }
    CHECK_EQ_INT(zl_spool_next(s, &r), ZL_ERR_NOT_FOUND);
    CHECK_EQ_INT(zl_spool_pending(s), 0);
    CHECK_EQ_INT(count_segments(), 0); /* everything acknowledged: segments deleted */
    CHECK_EQ_INT(zl_spool_bytes(s), 0);
    /* numbering goes on */
    CHECK_EQ_INT(put(s, 20), ZL_OK);
    zl_spool_close(s);
}

static void test_reopen_and_torn_tail(void) {
    zl_spool_t *s = open_spool(1 << 20, 1 << 20, 100);
    if (!GUARD(s)) return;
    /* record 20 is left from the previous test */
    CHECK_EQ_INT(zl_spool_pending(s), 1);
    for (int i = 21; i < 30; i++) put(s, i);
    for (int i = 20; i < 25; i++) next_is(s, i);
    for (int i = 20; i < 24; i++) zl_spool_ack(s, (uint64_t)i);
    zl_spool_close(s); /* cursor 24 persisted */

    /* a crash mid-write: half a frame at the end of the last segment */
    char cmd[400];
    snprintf(cmd, sizeof cmd, "f=$(ls %s/*.seg | tail -1); printf '\\100\\000\\000\\000abc' >> $f", dir);
    CHECK_EQ_INT(system(cmd), 0);
    s = open_spool(1 << 20, 1 << 20, 100);
    if (!GUARD(s)) return;
    CHECK_EQ_INT(zl_spool_pending(s), 6); /* 24..29 */
    for (int i = 24; i < 30; i++) next_is(s, i);
    zl_spool_rec_t r;
    CHECK_EQ_INT(zl_spool_next(s, &r), ZL_ERR_NOT_FOUND);
    CHECK_EQ_INT(put(s, 30), ZL_OK); /* appended after the cut, readable */
    next_is(s, 30);
    for (int i = 24; i <= 30; i++) zl_spool_ack(s, (uint64_t)i);
    CHECK_EQ_INT(zl_spool_pending(s), 0);
    zl_spool_close(s);
}

static void test_cap_and_drop_oldest(void) {
    zl_spool_t *s = open_spool(4096, 1024, 100);
    if (!GUARD(s)) return;
    int n = 31;
    while (put(s, n) == ZL_OK) n++;
    CHECK(n > 40);                      /* ~70 bytes a frame */
    CHECK(zl_spool_bytes(s) <= 4096);
    CHECK_EQ_INT(put(s, n), ZL_ERR_FULL); /* refuse: the cap holds */
    uint64_t before = zl_spool_pending(s);
    uint64_t lost = zl_spool_drop_oldest(s);
    CHECK(lost > 0);
    CHECK_EQ_INT(zl_spool_pending(s), before - lost);
    CHECK_EQ_INT(put(s, n), ZL_OK); /* room again */
    /* replay starts after the dropped segment */
    next_is(s, (int)(31 + lost));
    zl_spool_close(s);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/zeelos-test-spool.%d", (int)getpid());
    test_order_acks_rewind();
    test_reopen_and_torn_tail();
    test_cap_and_drop_oldest();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) fprintf(stderr, "cannot remove %s\n", dir);
    TEST_MAIN_END();
}
