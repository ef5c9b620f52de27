/* SPDX-License-Identifier: Apache-2.0 */
/* Ordered, non-blocking decoding of request records (see reqdec.h). */
#include "kafka/reqdec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/sr.h"
#include "common/array.h"
#include "common/log.h"

#define ERRSTR_SIZE 256

/* A record waiting for a schema, with its own copy of the bytes. */
typedef struct parked {
    struct parked *next;
    zl_kmsg_t msg;     /* topic, key and value point into the copies below */
    char *topic;
    void *key, *value;
    int64_t asked;     /* the id whose fetch this record asked for, -1 none */
} parked_t;

/* The parked records of one partition, oldest first. */
typedef struct {
    int32_t partition;
    parked_t *head, *tail;
} lane_t;

struct zl_reqdec {
    zl_serde_t *s;
    zl_sr_async_t *sr; /* NULL: every record decodes at once */
    zl_reqdec_cb cb;
    void *ctx;
    lane_t *lanes;
    size_t n_lanes, cap_lanes, n_parked;
    int32_t *inflight; /* ids being fetched */
    size_t n_inflight, cap_inflight;
};

/* The fetch worker: the serde's registry options (TLS, basic auth) when it
 * talks to the same registry, so callers need not pass them twice. */
static zl_sr_async_t *reqdec_sr_new(zl_serde_t *s, const char *sr_url, char *errstr, size_t n) {
    const zl_sr_opts_t *so = zl_serde_sr_opts(s);
    zl_sr_opts_t o = so ? *so : (zl_sr_opts_t){0};
    o.url = sr_url;
    return zl_sr_async_new_opts(&o, errstr, n);
}

zl_reqdec_t *zl_reqdec_new(zl_serde_t *s, const char *sr_url, zl_reqdec_cb cb, void *ctx,
                           char *errstr, size_t n) {
    zl_reqdec_t *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(errstr, n, "out of memory");
        return NULL;
    }
    d->s = s;
    d->cb = cb;
    d->ctx = ctx;
    if (zl_serde_format(s) == ZL_FORMAT_AVRO && sr_url && *sr_url &&
        !(d->sr = reqdec_sr_new(s, sr_url, errstr, n))) {
        free(d);
        return NULL;
    }
    return d;
}

static void parked_free(parked_t *p) {
    free(p->topic);
    free(p->key);
    free(p->value);
    free(p);
}

void zl_reqdec_destroy(zl_reqdec_t *d) {
    if (!d) return;
    zl_sr_async_destroy(d->sr);
    for (size_t i = 0; i < d->n_lanes; i++)
        for (parked_t *p = d->lanes[i].head, *next; p; p = next) {
            next = p->next;
            parked_free(p);
        }
    if (d->n_parked) ZL_INFO("kafka", "%zu request(s) waiting for a schema dropped; they are consumed again on restart", d->n_parked);
    free(d->lanes);
    free(d->inflight);
    free(d);
}

int zl_reqdec_fd(const zl_reqdec_t *d) { return d->sr ? zl_sr_async_fd(d->sr) : -1; }
size_t zl_reqdec_parked(const zl_reqdec_t *d) { return d->n_parked; }

/* Decodes m and hands it on. */
static void decode(zl_reqdec_t *d, const zl_kmsg_t *m) {
    zl_request_t req;
    char err[ERRSTR_SIZE] = "empty value";
    zl_err_t e = ZL_ERR_INVALID;
    memset(&req, 0, sizeof req);
    if (m->value) e = zl_serde_decode_request(d->s, m->value, m->value_len, &req, err, sizeof err);
    d->cb(d->ctx, m, e, &req, err);
}

static lane_t *lane_get(zl_reqdec_t *d, int32_t partition) {
    for (size_t i = 0; i < d->n_lanes; i++)
        if (d->lanes[i].partition == partition) return &d->lanes[i];
    if (ZL_ARRAY_RESERVE(&d->lanes, &d->cap_lanes, d->n_lanes + 1, 4)) return NULL;
    lane_t *l = &d->lanes[d->n_lanes++];
    memset(l, 0, sizeof *l);
    l->partition = partition;
    return l;
}

static bool inflight(const zl_reqdec_t *d, int32_t id) {
    for (size_t i = 0; i < d->n_inflight; i++)
        if (d->inflight[i] == id) return true;
    return false;
}

static void inflight_del(zl_reqdec_t *d, int32_t id) {
    for (size_t i = 0; i < d->n_inflight; i++)
        if (d->inflight[i] == id) {
            d->inflight[i] = d->inflight[--d->n_inflight];
            return;
        }
}

/* Asks the worker for id; false when that cannot even be queued. */
static bool ask(zl_reqdec_t *d, int32_t id) {
    if (ZL_ARRAY_RESERVE(&d->inflight, &d->cap_inflight, d->n_inflight + 1, 8)) return false;
    if (zl_sr_async_fetch(d->sr, id)) return false;
    d->inflight[d->n_inflight++] = id;
    return true;
}

static void pop_head(zl_reqdec_t *d, lane_t *l) {
    parked_t *p = l->head;
    if (!(l->head = p->next)) l->tail = NULL;
    d->n_parked--;
    parked_free(p);
}

void zl_reqdec_drop_partition(zl_reqdec_t *d, int32_t partition) {
    for (size_t i = 0; i < d->n_lanes; i++)
        if (d->lanes[i].partition == partition)
            while (d->lanes[i].head) pop_head(d, &d->lanes[i]);
    /* fetches on their way still fill the cache; nothing waits for them here */
}

/* Hands on the lane's records from the head while their schemas are known;
 * the first that still needs one asks for it (unless it is on its way). */
static void pump(zl_reqdec_t *d, lane_t *l) {
    while (l->head) {
        parked_t *p = l->head;
        int64_t id = zl_serde_pending_schema(d->s, p->msg.value, p->msg.value_len);
        if (id >= 0 && !inflight(d, (int32_t)id)) {
            if (ask(d, (int32_t)id)) {
                p->asked = id;
                return;
            }
            id = -1; /* out of memory: decode now (blocking), as before */
        }
        if (id >= 0) return; /* its schema is on its way */
        decode(d, &p->msg);
        pop_head(d, l);
    }
}

/* A copy of m that outlives the consumer's message. */
static parked_t *park(const zl_kmsg_t *m) {
    parked_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->msg = *m;
    p->asked = -1;
    p->topic = strdup(m->topic ? m->topic : "");
    p->key = m->key_len ? malloc(m->key_len) : NULL;
    p->value = m->value ? malloc(m->value_len ? m->value_len : 1) : NULL;
    if (!p->topic || (m->key_len && !p->key) || (m->value && !p->value)) {
        parked_free(p);
        return NULL;
    }
    if (p->key) memcpy(p->key, m->key, m->key_len);
    if (p->value) memcpy(p->value, m->value, m->value_len);
    p->msg.topic = p->topic;
    p->msg.key = p->key;
    p->msg.value = p->value;
    return p;
}

void zl_reqdec_submit(zl_reqdec_t *d, const zl_kmsg_t *m) {
    lane_t *l = d->sr ? lane_get(d, m->partition) : NULL;
    if (!l || (!l->head && zl_serde_pending_schema(d->s, m->value, m->value_len) < 0)) {
        decode(d, m); /* nothing to wait for (or no memory to wait with) */
        return;
    }
    parked_t *p = park(m);
    if (!p) {
        ZL_ERROR("mgmt", "out of memory parking the request at %s[%d]@%lld; it is consumed again after a "
                 "restart", m->topic, m->partition, (long long)m->offset);
        return; /* its offset is never released */
    }
    if (l->tail) l->tail->next = p;
    else l->head = p;
    l->tail = p;
    d->n_parked++;
    if (l->head == p) pump(d, l);
}

void zl_reqdec_serve(zl_reqdec_t *d) {
    if (!d->sr) return;
    int32_t id;
    zl_err_t e;
    char *text = NULL, err[ERRSTR_SIZE];
    while (zl_sr_async_result(d->sr, &id, &e, &text, err, sizeof err)) {
        inflight_del(d, id);
        e = zl_serde_schema_fetched(d->s, id, e, text, err, sizeof err);
        free(text);
        text = NULL;
        for (size_t i = 0; i < d->n_lanes; i++) {
            lane_t *l = &d->lanes[i];
            if (e && l->head && l->head->asked == id) {
                /* what a blocking decode said: the registry's reason, nothing read */
                zl_request_t req;
                memset(&req, 0, sizeof req);
                d->cb(d->ctx, &l->head->msg, ZL_ERR_SCHEMA, &req, err);
                pop_head(d, l);
            }
            pump(d, l);
        }
    }
}
