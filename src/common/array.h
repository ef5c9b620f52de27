/* SPDX-License-Identifier: Apache-2.0 */
/* Growable arrays: the one "make room for one more, doubling when full" step
 * that every module keeping an (items, n, cap) triple used to write out by
 * hand.  Header-only and static inline, because the decoders call it once per
 * record on the gateway's per-datagram path: the common case (room left) is
 * one compare, as it was inline; realloc is only reached on growth. */
#ifndef ZL_ARRAY_H
#define ZL_ARRAY_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

/* Makes the array at *items_ptr (the ADDRESS of a `T *`, which the caller owns
 * and frees with free(); NULL with *cap == 0 for an empty array) hold at least
 * need elements of elem_size bytes.  When *cap < need the new capacity is
 * *cap (or min_cap when *cap is 0) doubled until it reaches need, so
 * `reserve(n + 1)` with n == cap gives the usual `cap ? cap * 2 : min_cap`.
 * Elements past the old capacity are uninitialised.  Returns ZL_ERR_NOMEM when
 * realloc fails or the byte size would overflow; the array and *cap are then
 * unchanged (still owned by the caller).  Use ZL_ARRAY_RESERVE, which takes
 * elem_size from the pointer's type and refuses a non-pointer at compile time. */
static inline zl_err_t zl_array_reserve(void *items_ptr, size_t *cap, size_t need,
                                        size_t elem_size, size_t min_cap) {
    if (need <= *cap) return ZL_OK;
    size_t nc = *cap ? *cap : (min_cap ? min_cap : 1);
    while (nc < need) {
        if (nc > SIZE_MAX / 2) return ZL_ERR_NOMEM;
        nc *= 2;
    }
    if (elem_size && nc > SIZE_MAX / elem_size) return ZL_ERR_NOMEM;
    /* The pointer is copied through memcpy rather than a `void **` cast, which
     * would read a T * object through another pointer type. */
    void *items;
    memcpy(&items, items_ptr, sizeof items);
    void *p = realloc(items, nc * elem_size);
    if (!p) return ZL_ERR_NOMEM;
    memcpy(items_ptr, &p, sizeof p);
    *cap = nc;
    return ZL_OK;
}

/* ZL_ARRAY_RESERVE(&v, &cap, need, min_cap) for `T *v; size_t cap;`. */
#define ZL_ARRAY_RESERVE(pp, cap, need, min_cap) \
    zl_array_reserve((pp), (cap), (need), sizeof **(pp), (min_cap))

#endif
