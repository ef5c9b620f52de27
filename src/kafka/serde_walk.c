/* SPDX-License-Identifier: Apache-2.0 */
/* Observations read straight from Avro binary (serde_int.h), for the roles
 * that read them by the hundred thousand per second (analytics, sinks).
 *
 * Why not avro-c's generic value: reading into it allocates and copies
 * every field of the record, and finding fields by name costs a hash lookup
 * each; together that was most of the analytics processor's time.  Here
 * the writer schema is turned once into a plan per record type (what each
 * field is for, by name, as serde_read.c's generic reader decides it), and
 * the datum is walked once, checking every length, branch and ordinal as it
 * goes (avro-c's reader trusts its input, so the generic path checks the
 * whole datum in a pass of its own first), skipping what no one reads.  Same results as the generic reader: fuzz_sink_decode compares
 * the two on every input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kafka/avro_util.h"
#include "kafka/serde_int.h"
#include "common/array.h"

#define MAX_DEPTH 8
/* A map with more entries than this (or a repeated key) is left to the
 * generic reader: ZL_ERR_UNSUPPORTED tells the caller to use it. */
#define MAX_MAP_KEYS 64

/* What a record field is for. */
enum {
    F_SKIP = 0,
    F_TICKET, F_OBS_ID, F_SERVER, F_EP, F_PATH, F_TS, F_REP,        /* AvroResponseObserve */
    F_CODE, F_KIND, F_BODY, F_RESOURCES,                           /* AvroResponsePayload */
    F_CONTENT,                                                     /* AvroReadResponseBody */
    F_R_PATH, F_R_TYPE, F_R_VALUE,                                 /* AvroResource */
    F_CHILDREN, F_CHILDREN2                                        /* the nodes of a container */
};

/* Which record a plan is for: how its field names are read. */
typedef enum { C_TOP = 0, C_REP, C_BODY, C_NODE } ctx_t;
typedef enum { N_OTHER = 0, N_RESOURCE, N_MULTI, N_INSTANCE, N_OBJECT } node_t;

typedef struct {
    avro_schema_t schema; /* the field's type as written (a union, a named reference, ...) */
    uint8_t what;
} field_plan_t;

typedef struct {
    avro_schema_t record;
    ctx_t ctx;
    node_t node;          /* C_NODE: the record's kind, by its name */
    bool read_body;       /* C_BODY: the record is AvroReadResponseBody */
    size_t n;
    field_plan_t *fields;
} plan_t;

/* Each plan is its own allocation: the walk holds plans while it makes new
 * ones for nested records. */
struct zl_walk_plans {
    plan_t **plans;
    size_t n, cap;
};

void zl_walk_plans_free(zl_walk_plans_t *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->plans[i]->fields);
        free(p->plans[i]);
    }
    free(p->plans);
    free(p);
}

static uint8_t field_role(ctx_t ctx, node_t node, const char *name) {
    static const struct {
        ctx_t ctx;
        node_t node;
        const char *name;
        uint8_t what;
    } roles[] = {
        {C_TOP, 0, "ticket", F_TICKET}, {C_TOP, 0, "observationId", F_OBS_ID}, {C_TOP, 0, "serverId", F_SERVER},
        {C_TOP, 0, "ep", F_EP}, {C_TOP, 0, "path", F_PATH}, {C_TOP, 0, "timestamp", F_TS}, {C_TOP, 0, "rep", F_REP},
        {C_REP, 0, "code", F_CODE}, {C_REP, 0, "kind", F_KIND}, {C_REP, 0, "body", F_BODY},
        {C_REP, 0, "resources", F_RESOURCES}, {C_BODY, 0, "content", F_CONTENT},
        {C_NODE, N_RESOURCE, "path", F_R_PATH}, {C_NODE, N_RESOURCE, "type", F_R_TYPE},
        {C_NODE, N_RESOURCE, "value", F_R_VALUE}, {C_NODE, N_MULTI, "resources", F_CHILDREN},
        {C_NODE, N_INSTANCE, "resources", F_CHILDREN}, {C_NODE, N_INSTANCE, "multipleResources", F_CHILDREN2},
        {C_NODE, N_OBJECT, "instances", F_CHILDREN},
    };
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (roles[i].ctx == ctx && (ctx != C_NODE || roles[i].node == node) && !strcmp(roles[i].name, name))
            return roles[i].what;
    return F_SKIP;
}

/* The plan of record (dereferenced) read in ctx; NULL out of memory. */
static const plan_t *plan_of(zl_walk_plans_t **pp, avro_schema_t record, ctx_t ctx) {
    zl_walk_plans_t *ps = *pp;
    if (!ps && !(ps = *pp = calloc(1, sizeof *ps))) return NULL;
    for (size_t i = 0; i < ps->n; i++)
        if (ps->plans[i]->record == record && ps->plans[i]->ctx == ctx) return ps->plans[i];
    if (ZL_ARRAY_RESERVE(&ps->plans, &ps->cap, ps->n + 1, 8)) return NULL;
    plan_t *np = calloc(1, sizeof *np);
    if (!np) return NULL;
    plan_t pl = {.record = record, .ctx = ctx, .n = avro_schema_record_size(record)};
    const char *name = avro_schema_name(record);
    name = name ? name : "";
    pl.node = !strcmp(name, "AvroResource") ? N_RESOURCE : !strcmp(name, "AvroMultipleResource") ? N_MULTI
            : !strcmp(name, "AvroInstanceResource") ? N_INSTANCE : !strcmp(name, "AvroObjectResource") ? N_OBJECT
            : N_OTHER;
    pl.read_body = !strcmp(name, "AvroReadResponseBody");
    if (pl.n && !(pl.fields = calloc(pl.n, sizeof *pl.fields))) {
        free(np);
        return NULL;
    }
    for (size_t i = 0; i < pl.n; i++) {
        pl.fields[i].schema = avro_schema_record_field_get_by_index(record, (int)i);
        pl.fields[i].what = field_role(ctx, pl.node, avro_schema_record_field_name(record, (int)i));
    }
    *np = pl;
    ps->plans[ps->n++] = np;
    return np;
}

/* ---- the datum ------------------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    size_t len, pos;
    zl_walk_plans_t **plans;
    zl_observe_t *out;
    size_t arena_used;
    zl_err_t bad;         /* the datum does not match its schema: the first problem, in errstr */
    char *errstr;
    size_t n;
} walk_t;

static zl_err_t fail(walk_t *w, const char *what) {
    if (w->bad) return w->bad; /* the bytes were wrong first */
    snprintf(w->errstr, w->n, "%s", what);
    return ZL_ERR_INVALID;
}

/* A datum that does not match its schema (as zl_avro_check_binary says it). */
static void malformed(walk_t *w, zl_err_t e, const char *what) {
    if (w->bad) return;
    w->bad = e;
    snprintf(w->errstr, w->n, "Avro binary: %s at byte %zu", what, w->pos);
    w->pos = w->len; /* nothing more is read */
}

static int64_t rd_long(walk_t *w) {
    uint64_t v = 0;
    for (int i = 0;; i++) {
        if (i == 10) {
            malformed(w, ZL_ERR_INVALID, "varint too long");
            return 0;
        }
        if (w->pos >= w->len) {
            malformed(w, ZL_ERR_TRUNCATED, "truncated varint");
            return 0;
        }
        uint8_t b = w->p[w->pos++];
        v |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) break;
    }
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* n more bytes of the datum, or false (malformed) */
static bool room(walk_t *w, int64_t n) {
    if (n < 0) malformed(w, ZL_ERR_INVALID, "negative length");
    else if ((uint64_t)n > w->len - w->pos) malformed(w, ZL_ERR_TRUNCATED, "length past end of data");
    return !w->bad;
}

static void skip(walk_t *w, avro_schema_t s) {
    if (w->bad) return;
    size_t used = 0;
    char why[160];
    zl_err_t e = zl_avro_check_binary(s, w->p + w->pos, w->len - w->pos, &used, why, sizeof why);
    if (e) {
        w->bad = e;
        snprintf(w->errstr, w->n, "%s", why);
        w->pos = w->len;
        return;
    }
    w->pos += used;
}

/* Resolves a union (reading its branch index) and names: the type of what
 * follows; NULL for a null branch (or a malformed datum). */
static avro_schema_t branch(walk_t *w, avro_schema_t s) {
    s = zl_avro_deref(s);
    if (avro_typeof(s) == AVRO_UNION) {
        int64_t i = rd_long(w);
        if (i < 0 || (uint64_t)i >= avro_schema_union_size(s)) {
            malformed(w, ZL_ERR_INVALID, "union branch index out of range");
            return NULL;
        }
        s = zl_avro_deref(avro_schema_union_branch(s, (int)i));
    }
    return w->bad || avro_typeof(s) == AVRO_NULL ? NULL : s;
}

/* A string into the record's arena (NUL-terminated; its room was reserved
 * for the whole datum up front, so earlier strings never move). */
static const char *rd_str(walk_t *w, size_t *len) {
    int64_t l = rd_long(w);
    if (!room(w, l)) l = 0;
    char *dst = w->out->arena + w->arena_used;
    memcpy(dst, w->p + w->pos, (size_t)l);
    dst[l] = '\0';
    w->pos += (size_t)l;
    w->arena_used += (size_t)l + 1;
    if (len) *len = (size_t)l;
    return dst;
}

/* A string field (or a union holding one); NULL when null or another type. */
static const char *str_field(walk_t *w, avro_schema_t s) {
    avro_schema_t b = branch(w, s);
    if (b && avro_typeof(b) == AVRO_STRING) return rd_str(w, NULL);
    if (b) skip(w, b);
    return NULL;
}

static const char *enum_field(walk_t *w, avro_schema_t s) {
    avro_schema_t b = branch(w, s);
    if (b && avro_typeof(b) == AVRO_ENUM) {
        int64_t i = rd_long(w);
        if (i >= 0 && i < avro_schema_enum_number_of_symbols(b)) return avro_schema_enum_get(b, (int)i);
        malformed(w, ZL_ERR_INVALID, "enum ordinal out of range");
        return NULL;
    }
    if (b) skip(w, b);
    return NULL;
}

/* An int or long (an int out of its range is malformed). */
static int64_t rd_integer(walk_t *w, avro_schema_t b) {
    int64_t v = rd_long(w);
    if (avro_typeof(b) == AVRO_INT32 && (v < INT32_MIN || v > INT32_MAX)) malformed(w, ZL_ERR_INVALID, "int out of range");
    return v;
}

static zl_err_t node(walk_t *w, avro_schema_t s, int depth);

/* The elements of an array or map field, each a node. */
static zl_err_t children(walk_t *w, avro_schema_t s, int depth) {
    avro_schema_t b = branch(w, s);
    if (!b) return ZL_OK;
    avro_type_t t = avro_typeof(b);
    if (t != AVRO_ARRAY && t != AVRO_MAP) {
        skip(w, b);
        return fail(w, "resources that are not an array or map");
    }
    avro_schema_t items = t == AVRO_ARRAY ? avro_schema_array_items(b) : avro_schema_map_values(b);
    struct {
        const uint8_t *p;
        size_t len;
    } keys[MAX_MAP_KEYS];
    size_t n_keys = 0;
    for (;;) {
        int64_t cnt = rd_long(w);
        if (cnt == 0 || w->bad) return ZL_OK;
        if (cnt == INT64_MIN) {
            malformed(w, ZL_ERR_INVALID, "bad block count");
            return ZL_OK;
        }
        if (cnt < 0) {
            cnt = -cnt;
            int64_t bytes = rd_long(w); /* the block's byte size */
            if (bytes < 0 || (uint64_t)bytes > w->len - w->pos) {
                malformed(w, ZL_ERR_TRUNCATED, "block size past end of data");
                return ZL_OK;
            }
        }
        for (int64_t i = 0; i < cnt && !w->bad; i++) {
            size_t before = w->pos;
            if (t == AVRO_MAP) { /* the key: a repeated one replaces the earlier entry in avro-c's map */
                int64_t kl64 = rd_long(w);
                if (!room(w, kl64)) return ZL_OK;
                size_t kl = (size_t)kl64;
                /* ... whose keys are C strings: "a\0b" is "a" there */
                size_t cl = strnlen((const char *)w->p + w->pos, kl);
                if (n_keys == MAX_MAP_KEYS) return ZL_ERR_UNSUPPORTED;
                for (size_t k = 0; k < n_keys; k++)
                    if (keys[k].len == cl && !memcmp(keys[k].p, w->p + w->pos, cl)) return ZL_ERR_UNSUPPORTED;
                keys[n_keys].p = w->p + w->pos;
                keys[n_keys++].len = cl;
                w->pos += kl;
            }
            zl_err_t e = node(w, items, depth + 1);
            if (e) return e;
            /* zero-byte items (null) cannot run out of data: bound their count */
            if (w->pos == before && cnt > 65536) malformed(w, ZL_ERR_TOO_LARGE, "too many zero-size items");
        }
    }
}

static zl_err_t resource(walk_t *w, const plan_t *pl) {
    zl_point_t pt = {0};
    bool has_value = false;
    for (size_t i = 0; i < pl->n; i++) {
        const field_plan_t *f = &pl->fields[i];
        avro_schema_t b;
        switch (f->what) {
        case F_R_PATH: pt.path = str_field(w, f->schema); break;
        case F_R_TYPE: pt.type = enum_field(w, f->schema); break;
        case F_R_VALUE:
            if (!(b = branch(w, f->schema))) break;
            has_value = true;
            switch (avro_typeof(b)) {
            case AVRO_STRING: pt.kind = ZL_PV_STRING; pt.s = rd_str(w, &pt.s_len); break;
            case AVRO_DOUBLE: {
                if (!room(w, 8)) break;
                uint64_t u = 0;
                for (int k = 0; k < 8; k++) u |= (uint64_t)w->p[w->pos + k] << (8 * k);
                w->pos += 8;
                pt.kind = ZL_PV_DOUBLE;
                memcpy(&pt.d, &u, sizeof u);
                break;
            }
            case AVRO_FLOAT: {
                if (!room(w, 4)) break;
                uint32_t u = 0;
                float fl;
                for (int k = 0; k < 4; k++) u |= (uint32_t)w->p[w->pos + k] << (8 * k);
                w->pos += 4;
                memcpy(&fl, &u, sizeof u);
                pt.kind = ZL_PV_DOUBLE;
                pt.d = fl;
                break;
            }
            case AVRO_INT64:
            case AVRO_INT32: pt.kind = ZL_PV_LONG; pt.l = rd_integer(w, b); break;
            case AVRO_BOOLEAN:
                if (room(w, 1)) {
                    pt.kind = ZL_PV_BOOLEAN;
                    pt.b = w->p[w->pos++] != 0;
                }
                break;
            default:
                return fail(w, "an AvroResource value that is not string, double, long or boolean");
            }
            break;
        default: skip(w, f->schema); break;
        }
    }
    if (!pt.path || !pt.type || !has_value) return fail(w, "an AvroResource without path, type or value");
    zl_observe_t *o = w->out;
    if (ZL_ARRAY_RESERVE(&o->points, &o->cap_points, o->n_points + 1, 8)) return ZL_ERR_NOMEM;
    o->points[o->n_points++] = pt;
    return ZL_OK;
}

/* Any resource shape: object, instance, multiple resource, resource. */
static zl_err_t node(walk_t *w, avro_schema_t s, int depth) {
    if (depth > MAX_DEPTH) return fail(w, "resources nested too deep");
    avro_schema_t b = branch(w, s);
    if (!b) return ZL_OK;
    if (avro_typeof(b) != AVRO_RECORD) return fail(w, "unexpected record (not a record) among resources");
    const plan_t *pl = plan_of(w->plans, b, C_NODE);
    if (!pl) return ZL_ERR_NOMEM;
    if (pl->node == N_RESOURCE) return resource(w, pl);
    if (pl->node == N_OTHER) {
        snprintf(w->errstr, w->n, "unexpected record %s among resources", avro_schema_name(b));
        return ZL_ERR_INVALID;
    }
    for (size_t i = 0; i < pl->n; i++) {
        const field_plan_t *f = &pl->fields[i];
        zl_err_t e = ZL_OK;
        if (f->what == F_CHILDREN || f->what == F_CHILDREN2) e = children(w, f->schema, depth);
        else skip(w, f->schema);
        if (e) return e;
    }
    return ZL_OK;
}

static zl_err_t rep(walk_t *w, avro_schema_t rec) {
    const plan_t *pl = plan_of(w->plans, rec, C_REP);
    if (!pl) return ZL_ERR_NOMEM;
    for (size_t i = 0; i < pl->n; i++) {
        const field_plan_t *f = &pl->fields[i];
        zl_err_t e = ZL_OK;
        avro_schema_t b;
        switch (f->what) {
        case F_CODE: w->out->code = enum_field(w, f->schema); break;
        case F_KIND: w->out->kind = enum_field(w, f->schema); break;
        case F_RESOURCES: e = children(w, f->schema, 0); break;
        case F_BODY:
            if (!(b = branch(w, f->schema))) break;
            if (avro_typeof(b) != AVRO_RECORD) {
                skip(w, b);
                break;
            }
            const plan_t *bp = plan_of(w->plans, b, C_BODY);
            if (!bp) return ZL_ERR_NOMEM;
            for (size_t k = 0; k < bp->n && !e; k++) {
                if (bp->read_body && bp->fields[k].what == F_CONTENT) e = node(w, bp->fields[k].schema, 0);
                else skip(w, bp->fields[k].schema);
            }
            break;
        default: skip(w, f->schema); break;
        }
        if (e) return e;
    }
    return ZL_OK;
}

zl_err_t zl_walk_observe(avro_schema_t schema, zl_walk_plans_t **plans, const uint8_t *p, size_t len,
                         zl_observe_t *out, char *errstr, size_t n) {
    walk_t w = {.p = p, .len = len, .plans = plans, .out = out, .errstr = errstr, .n = n};
    out->n_points = 0;
    out->ticket = out->observation_id = out->server_id = out->ep = out->path = out->code = out->kind = NULL;
    if (out->arena_cap < 2 * len + 64) { /* every string and its NUL fit: each took >= 1 byte of the datum */
        size_t cap = 2 * len + 64;
        char *a = realloc(out->arena, cap);
        if (!a) return ZL_ERR_NOMEM;
        out->arena = a;
        out->arena_cap = cap;
    }
    avro_schema_t top = zl_avro_deref(schema);
    if (avro_typeof(top) != AVRO_RECORD) return fail(&w, "not an observation: serverId, ep, path or timestamp missing");
    const plan_t *pl = plan_of(plans, top, C_TOP);
    if (!pl) return ZL_ERR_NOMEM;
    bool has_ts = false, has_rep = false;
    for (size_t i = 0; i < pl->n; i++) {
        const field_plan_t *f = &pl->fields[i];
        avro_schema_t b;
        zl_err_t e = ZL_OK;
        switch (f->what) {
        case F_TICKET: out->ticket = str_field(&w, f->schema); break;
        case F_OBS_ID: out->observation_id = str_field(&w, f->schema); break;
        case F_SERVER: out->server_id = str_field(&w, f->schema); break;
        case F_EP: out->ep = str_field(&w, f->schema); break;
        case F_PATH: out->path = str_field(&w, f->schema); break;
        case F_TS:
            if (!(b = branch(&w, f->schema))) break;
            if (avro_typeof(b) == AVRO_INT64 || avro_typeof(b) == AVRO_INT32) {
                out->timestamp = rd_integer(&w, b);
                has_ts = true;
            } else {
                skip(&w, b);
            }
            break;
        case F_REP: /* (a rep that is not a record holds no values: as the generic reader) */
            if (!(b = branch(&w, f->schema))) break;
            has_rep = true;
            if (avro_typeof(b) == AVRO_RECORD) e = rep(&w, b);
            else skip(&w, b);
            break;
        default: skip(&w, f->schema); break;
        }
        if (e) return e;
    }
    if (!w.bad && w.pos != w.len) { /* a second datum, or garbage: not what the writer meant */
        size_t extra = w.len - w.pos;
        w.pos = w.len;
        char why[64];
        snprintf(why, sizeof why, "%zu bytes after the end of the record", extra);
        malformed(&w, ZL_ERR_INVALID, why);
    }
    if (w.bad) return w.bad;
    if (!out->observation_id) out->observation_id = "";
    if (!out->ticket) out->ticket = "";
    if (!out->server_id || !out->ep || !out->path || !has_ts)
        return fail(&w, "not an observation: serverId, ep, path or timestamp missing");
    if (!has_rep) return fail(&w, "not an observation: no rep");
    return ZL_OK;
}
