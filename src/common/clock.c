/* SPDX-License-Identifier: Apache-2.0 */
/* Clock helpers. */
#include "common/clock.h"
#include <time.h>

static int64_t ms_of(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
int64_t zl_now_ms(void) { return ms_of(CLOCK_MONOTONIC); }
int64_t zl_wall_ms(void) { return ms_of(CLOCK_REALTIME); }
uint64_t zl_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
