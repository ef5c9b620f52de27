/* SPDX-License-Identifier: Apache-2.0 */
/* Private to roles/bench: what bench.c (the full benchmark) shares with
 * consume.c (reading observations fast, and the consume-only mode that
 * measures that reading alone), so both account records the same way. */
#ifndef ZL_BENCH_INT_H
#define ZL_BENCH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "roles/bench/bench.h"
#include "roles/bench/benchstat.h"
#include "kafka/client.h"
#include "kafka/ktool.h"
#include "kafka/serde.h"

/* Per-device state by endpoint name: a hash map (O(1) per record, whatever
 * the names), entries created on first sight and freed with the table. */
typedef struct zl_bench_devs zl_bench_devs_t;
zl_bench_devs_t *zl_bench_devs_new(void);
void zl_bench_devs_free(zl_bench_devs_t *d);
/* The sequence tracker of ep (len bytes, not NUL-terminated); NULL out of memory. */
zl_seq_t *zl_bench_devs_seq(zl_bench_devs_t *d, const char *ep, size_t len);
size_t zl_bench_devs_count(const zl_bench_devs_t *d);

/* What the bench reads of an observation: the endpoint and the device's
 * send time (/3303/0/5700, epoch us) and sequence number (/3303/0/5601). */
typedef struct {
    const char *ep; /* borrowed: the record's or scratch's, until the next read */
    size_t ep_len;
    int64_t send_us, seq;
} zl_bench_obs_t;

/* Reads m's value (an observation of the serde's format): 0, -1 when it does
 * not decode, 1 when it is not a bench-mode observation (no 5700 or 5601).
 * Avro: the serde's schema-plan walker (zl_serde_decode_observe); JSON: only
 * the three fields are looked up in the text (no tree is built). scratch is
 * the caller's, reused (zl_observe_free it at the end). */
int zl_bench_obs_read(zl_serde_t *s, zl_observe_t *scratch, const zl_kmsg_t *m, zl_bench_obs_t *out);

/* The bench's consumer: kc's kafka.* properties, with fetch defaults for a
 * reader that must neither wait on an idle topic nor pause on a busy one
 * (added to kc->props unless set).  NULL + err. */
zl_ktool_t *zl_bench_consumer_new(const zl_kafka_conf_t *kc, char *err, size_t n);

/* `zeelos bench --consume-only TOPIC`: reads TOPIC from its beginning until
 * bench.drain.ms passes without a record and reports records/s and the
 * process's CPU per record.  The exit status. */
int zl_bench_consume_only(const zl_bench_conf_t *conf);

#endif
