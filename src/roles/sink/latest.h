/* SPDX-License-Identifier: Apache-2.0 */
/* Private to roles/sink: one batch's latest row per resource (latest.c). */
#ifndef ZL_SINK_LATEST_H
#define ZL_SINK_LATEST_H

#include "roles/sink/sql_int.h"
#include "common/buf.h"
#include "common/hmap.h"

typedef struct {
    zl_hmap_t map;
    void **slots;          /* slot_t *, kept across batches */
    size_t n_slots, cap_slots, used;
} sink_latest_t;

zl_err_t sink_latest_init(sink_latest_t *l);
void sink_latest_free(sink_latest_t *l);
/* Forgets the batch's rows (the memory stays for the next). */
void sink_latest_reset(sink_latest_t *l);
/* Keeps vals (SINK_LATEST_COLS, copied; NULL = SQL NULL) as the latest row
 * of the resource (vals[0..2]: gateway, endpoint, path, never NULL). */
zl_err_t sink_latest_put(sink_latest_t *l, const char *const *vals);
/* fn for every kept row, in first-put order; stops at the first error. */
zl_err_t sink_latest_each(sink_latest_t *l, zl_err_t (*fn)(void *ctx, const char *const *vals), void *ctx);

#endif
