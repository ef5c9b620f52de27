/* SPDX-License-Identifier: Apache-2.0 */
/* Encoders of analytics output (serde.h): windowed keys and
 * AvroWindowAggregate values.
 *
 * Why the key is AvroKey + 8 bytes: that is what the seed's Kafka Streams
 * application wrote (TimeWindowedSerializer around the AvroKey serde), so a
 * consumer written for the seed's topic reads ours, and the key stays one
 * per window for compaction and partitioning. */
#include "kafka/serde.h"

#include <jansson.h>
#include <string.h>
#include "kafka/avro_util.h"
#include "kafka/serde_int.h"

zl_err_t zl_serde_window_key(zl_serde_t *s, const char *topic, const char *group, int64_t start, zl_buf_t *out) {
    int32_t kid, vid;
    zl_err_t e = zl_serde_topic_ids(s, topic, &kid, &vid);
    if (e) return e;
    if (zl_serde_format(s) == ZL_FORMAT_JSON) {
        json_t *j = json_pack("{s:s, s:I}", "group", group, "windowStart", (json_int_t)start);
        char *txt = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(j);
        if (!txt) return ZL_ERR_INVALID; /* not UTF-8 */
        e = zl_buf_append(out, txt, strlen(txt));
        free(txt);
        return e;
    }
    avro_value_t *v = zl_serde_fresh(s, ZL_VAL__COUNT); /* AvroKey */
    if ((e = zl_avro_put_str(v, "ep", group)) || (e = zl_serde_frame(s, kid, v, out))) return e;
    uint8_t be[8];
    for (int i = 0; i < 8; i++) be[i] = (uint8_t)((uint64_t)start >> (56 - 8 * i));
    return zl_buf_append(out, be, sizeof be);
}

static zl_err_t put_double(avro_value_t *rec, const char *name, double d) {
    avro_value_t f;
    if (zl_avro_get_field(rec, name, &f, NULL) || avro_value_set_double(&f, d)) return ZL_ERR_SCHEMA;
    return ZL_OK;
}

zl_err_t zl_serde_aggregate(zl_serde_t *s, const char *topic, const zl_rec_aggregate_t *a, zl_buf_t *out) {
    int32_t kid, vid;
    zl_err_t e = zl_serde_topic_ids(s, topic, &kid, &vid);
    if (e) return e;
    avro_value_t *v = zl_serde_fresh(s, ZL_VAL_AGGREGATE);
    if ((e = zl_avro_put_str(v, "job", a->job)) || (e = zl_avro_put_str(v, "group", a->group)) ||
        (e = zl_avro_put_long(v, "windowStart", a->start)) || (e = zl_avro_put_long(v, "windowEnd", a->end)) ||
        (e = zl_avro_put_long(v, "count", a->count)) || (e = put_double(v, "min", a->min)) ||
        (e = put_double(v, "max", a->max)) || (e = put_double(v, "sum", a->sum)) ||
        (e = put_double(v, "mean", a->mean)) || (e = put_double(v, "last", a->last)) ||
        (e = zl_avro_put_long(v, "lastTimestamp", a->last_ts)) || (e = zl_avro_put_bool(v, "final", a->final)))
        return e;
    size_t mark = out->len;
    if ((e = zl_serde_frame(s, vid, v, out))) out->len = mark;
    return e;
}
