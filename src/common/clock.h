/* SPDX-License-Identifier: Apache-2.0 */
/* Monotonic and wall-clock helpers in milliseconds. */
#ifndef ZL_CLOCK_H
#define ZL_CLOCK_H
#include <stdint.h>
int64_t zl_now_ms(void);       /* CLOCK_MONOTONIC, for timers and deadlines */
int64_t zl_wall_ms(void);      /* CLOCK_REALTIME, epoch ms, for records */
uint64_t zl_now_ns(void);      /* CLOCK_MONOTONIC in ns, for latency histograms */
#endif
