/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the registry's log-record parser: anyone who can write to the
 * registry's topic (or a replicated one it imports) feeds it.  The input is a
 * sequence of records separated by 0xff bytes; in each, a NUL separates the
 * key from the value (no NUL: a tombstone).  After applying them all, the
 * state must be coherent: versions strictly ascending per subject and below
 * the subject's highest version, every version's id a known schema. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "roles/registry/sr_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const sr_state_t *st) {
    size_t b = 0;
    for (zl_hnode_t *n = zl_hmap_iter(&st->subjects, &b, NULL); n; n = zl_hmap_iter(&st->subjects, &b, n)) {
        const sr_subject_t *s = ZL_CONTAINER_OF(n, sr_subject_t, node);
        for (size_t i = 0; i < s->n; i++) {
            if (i && s->v[i].version <= s->v[i - 1].version) abort();
            if (s->v[i].version > s->max_version || !sr_schema_by_id(st, s->v[i].id)) abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    zl_log_set_level(ZL_LOG_ERROR); /* skipped records are logged as warnings: keep the run quiet */
    sr_state_t st;
    if (sr_state_init(&st)) return 0;
    const uint8_t *p = data, *end = data + size;
    while (p < end) {
        const uint8_t *rec_end = memchr(p, 0xff, (size_t)(end - p));
        if (!rec_end) rec_end = end;
        const uint8_t *sep = memchr(p, 0, (size_t)(rec_end - p));
        if (sep) sr_state_apply(&st, p, (size_t)(sep - p), sep + 1, (size_t)(rec_end - sep - 1));
        else sr_state_apply(&st, p, (size_t)(rec_end - p), NULL, 0);
        p = rec_end + (rec_end < end);
    }
    check(&st);
    sr_state_fini(&st);
    return 0;
}
