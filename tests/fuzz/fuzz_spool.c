/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the spool's reader: the input is the content of a segment file left
 * by an earlier run (torn, corrupt, lying lengths).  Opening must cut off
 * what is not whole records, hand out records in increasing sequence order
 * with lengths inside the file, and a second open must find the same count. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "store/spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t drain(const char *dir, size_t size) {
    char err[256];
    zl_spool_cfg_t c = {.dir = dir, .max_bytes = 1u << 30, .segment_bytes = 1u << 20, .window = 64};
    zl_spool_t *s = zl_spool_open(&c, err, sizeof err);
    if (!s) return UINT64_MAX;
    uint64_t n = 0, last = 0;
    zl_spool_rec_t r;
    zl_err_t e;
    while ((e = zl_spool_next(s, &r)) == ZL_OK || e == ZL_ERR_FULL) {
        if (e == ZL_ERR_FULL) { /* the window: acknowledge nothing, just stop */
            break;
        }
        if (n && r.seq <= last) abort();
        if (r.key_len + r.value_len > size || !r.topic) abort();
        last = r.seq;
        n++;
    }
    uint64_t pending = zl_spool_pending(s);
    zl_spool_close(s);
    (void)n;
    return pending;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    zl_log_set_level(ZL_LOG_ERROR); /* a torn tail is expected here, its warning is not news */
    char dir[64], path[128];
    snprintf(dir, sizeof dir, "/tmp/zeelos-fuzz-spool.%d", (int)getpid());
    snprintf(path, sizeof path, "%s/0000000000000000.seg", dir);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    if (system(cmd)) return 0;
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (size) fwrite(data, 1, size, f);
    fclose(f);
    uint64_t a = drain(dir, size), b = drain(dir, size);
    if (a != b) abort(); /* the first open already cut off the torn tail */
    unlink(path);
    snprintf(path, sizeof path, "%s/cursor", dir);
    unlink(path);
    return 0;
}
