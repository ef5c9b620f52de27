/* SPDX-License-Identifier: Apache-2.0 */
/* Reading observations and registrations for sinks (serde.h).
 *
 * Why by field name over the writer's value, not through our reader schema:
 * a sink reads whatever was written - the original texts, zeelos 1.1, an
 * analytics topic's records, a hand-made producer's - and every one of them
 * names its fields the same way.  Walking the generic value of the writer
 * schema needs no resolution step (avro-c's mis-maps enums, serde.c) and no
 * copy: strings stay in the decoded value. */
#include "kafka/serde.h"

#include <avro.h>
#include <stdio.h>
#include <string.h>
#include "kafka/avro_util.h"
#include "kafka/serde_int.h"
#include "common/array.h"

#define MAX_DEPTH 8

static bool field(const avro_value_t *rec, const char *name, avro_value_t *f) {
    return zl_avro_get_field(rec, name, f, NULL) == 0;
}

/* The branch of a union (or v itself); false for a null branch. */
static bool unwrap(avro_value_t *v) {
    if (avro_value_get_type(v) == AVRO_UNION) {
        avro_value_t b;
        if (avro_value_get_current_branch(v, &b)) return false;
        *v = b;
    }
    return avro_value_get_type(v) != AVRO_NULL;
}

static const char *str_of(avro_value_t *v, size_t *len) {
    const char *p = NULL;
    size_t n = 0;
    if (!unwrap(v) || avro_value_get_type(v) != AVRO_STRING || avro_value_get_string(v, &p, &n) || !p) return NULL;
    if (len) *len = n ? n - 1 : 0; /* avro-c counts the NUL */
    return p;
}

static const char *get_str(const avro_value_t *rec, const char *name) {
    avro_value_t f;
    return field(rec, name, &f) ? str_of(&f, NULL) : NULL;
}

static bool get_long(const avro_value_t *rec, const char *name, int64_t *out) {
    avro_value_t f;
    if (!field(rec, name, &f) || !unwrap(&f)) return false;
    int32_t i;
    if (avro_value_get_type(&f) == AVRO_INT32 && !avro_value_get_int(&f, &i)) {
        *out = i;
        return true;
    }
    return avro_value_get_type(&f) == AVRO_INT64 && !avro_value_get_long(&f, out);
}

static const char *get_enum(const avro_value_t *rec, const char *name) {
    avro_value_t f;
    int idx;
    if (!field(rec, name, &f) || !unwrap(&f) || avro_value_get_type(&f) != AVRO_ENUM || avro_value_get_enum(&f, &idx))
        return NULL;
    return avro_schema_enum_get(avro_value_get_schema(&f), idx);
}

/* The simple name of a record value's schema ("AvroResource"). */
static const char *record_name(const avro_value_t *v) {
    if (avro_value_get_type(v) != AVRO_RECORD) return "";
    const char *n = avro_schema_name(avro_value_get_schema(v));
    return n ? n : "";
}

static zl_err_t bad(char *errstr, size_t n, const char *what) {
    snprintf(errstr, n, "%s", what);
    return ZL_ERR_INVALID;
}

/* ---- observations ---------------------------------------------------------- */

static zl_err_t add_resource(zl_observe_t *o, const avro_value_t *r, char *errstr, size_t n) {
    avro_value_t v;
    zl_point_t p = {.path = get_str(r, "path"), .type = get_enum(r, "type")};
    if (!p.path || !p.type || !field(r, "value", &v) || !unwrap(&v))
        return bad(errstr, n, "an AvroResource without path, type or value");
    int32_t b = 0;
    switch (avro_value_get_type(&v)) {
    case AVRO_STRING:
        p.kind = ZL_PV_STRING;
        if (!(p.s = str_of(&v, &p.s_len))) return bad(errstr, n, "unreadable string value");
        break;
    case AVRO_DOUBLE: p.kind = ZL_PV_DOUBLE; avro_value_get_double(&v, &p.d); break;
    case AVRO_FLOAT: {
        float f = 0;
        avro_value_get_float(&v, &f);
        p.kind = ZL_PV_DOUBLE;
        p.d = f;
        break;
    }
    case AVRO_INT64: p.kind = ZL_PV_LONG; avro_value_get_long(&v, &p.l); break;
    case AVRO_INT32: p.kind = ZL_PV_LONG; avro_value_get_int(&v, &b); p.l = b; break;
    case AVRO_BOOLEAN: p.kind = ZL_PV_BOOLEAN; avro_value_get_boolean(&v, &b); p.b = b != 0; break;
    default: return bad(errstr, n, "an AvroResource value that is not string, double, long or boolean");
    }
    if (ZL_ARRAY_RESERVE(&o->points, &o->cap_points, o->n_points + 1, 8)) return ZL_ERR_NOMEM;
    o->points[o->n_points++] = p;
    return ZL_OK;
}

static zl_err_t add_node(zl_observe_t *o, avro_value_t *v, int depth, char *errstr, size_t n);

/* Every element of an array (or map) field of rec. */
static zl_err_t add_each(zl_observe_t *o, const avro_value_t *rec, const char *name, int depth, char *errstr,
                         size_t n) {
    avro_value_t c;
    if (!field(rec, name, &c) || !unwrap(&c)) return ZL_OK;
    avro_type_t t = avro_value_get_type(&c);
    if (t != AVRO_ARRAY && t != AVRO_MAP) return bad(errstr, n, "resources that are not an array or map");
    size_t count = 0;
    avro_value_get_size(&c, &count);
    for (size_t i = 0; i < count; i++) {
        avro_value_t e;
        if (avro_value_get_by_index(&c, i, &e, NULL)) return ZL_ERR_NOMEM;
        zl_err_t err = add_node(o, &e, depth + 1, errstr, n);
        if (err) return err;
    }
    return ZL_OK;
}

/* Any resource shape: object, instance, multiple resource, resource. */
static zl_err_t add_node(zl_observe_t *o, avro_value_t *v, int depth, char *errstr, size_t n) {
    if (depth > MAX_DEPTH) return bad(errstr, n, "resources nested too deep");
    if (!unwrap(v)) return ZL_OK;
    const char *name = record_name(v);
    zl_err_t e;
    if (!strcmp(name, "AvroResource")) return add_resource(o, v, errstr, n);
    if (!strcmp(name, "AvroMultipleResource")) return add_each(o, v, "resources", depth, errstr, n);
    if (!strcmp(name, "AvroInstanceResource")) {
        if ((e = add_each(o, v, "resources", depth, errstr, n))) return e;
        return add_each(o, v, "multipleResources", depth, errstr, n);
    }
    if (!strcmp(name, "AvroObjectResource")) return add_each(o, v, "instances", depth, errstr, n);
    snprintf(errstr, n, "unexpected record %s among resources", name[0] ? name : "(not a record)");
    return ZL_ERR_INVALID;
}

zl_err_t zl_serde_decode_observe(zl_serde_t *s, const void *data, size_t len, zl_observe_t *out, char *errstr,
                                 size_t n) {
    if (zl_serde_format(s) == ZL_FORMAT_AVRO) { /* the hot path: no generic value (serde_walk.c) */
        avro_schema_t schema;
        zl_walk_plans_t **plans;
        const uint8_t *body;
        size_t body_len;
        out->n_points = 0;
        zl_err_t e = zl_serde_framed(s, data, len, &schema, &plans, &body, &body_len, errstr, n);
        if (!e) e = zl_walk_observe(schema, plans, body, body_len, out, errstr, n);
        if (e != ZL_ERR_UNSUPPORTED) return e; /* else: a map only the generic value reads the same way */
    }
    return zl_serde_decode_observe_generic(s, data, len, out, errstr, n);
}

/* type: the schema a JSON record is read with (Avro records carry their writer's id). */
static zl_err_t decode_generic(zl_serde_t *s, zl_val_type_t type, const void *data, size_t len, zl_observe_t *out,
                               char *errstr, size_t n) {
    avro_value_t *v;
    out->n_points = 0;
    zl_err_t e = zl_serde_value(s, type, data, len, &v, errstr, n);
    if (e) return e;
    out->ticket = get_str(v, "ticket");
    out->observation_id = get_str(v, "observationId");
    out->server_id = get_str(v, "serverId");
    out->ep = get_str(v, "ep");
    out->path = get_str(v, "path");
    if (!out->observation_id) out->observation_id = "";
    if (!out->ticket) out->ticket = "";
    if (!out->server_id || !out->ep || !out->path || !get_long(v, "timestamp", &out->timestamp))
        return bad(errstr, n, "not an observation: serverId, ep, path or timestamp missing");
    avro_value_t rep, body;
    if (!field(v, "rep", &rep) || !unwrap(&rep)) return bad(errstr, n, "not an observation: no rep");
    out->code = get_enum(&rep, "code");
    out->kind = get_enum(&rep, "kind");
    if (field(&rep, "body", &body) && unwrap(&body) && !strcmp(record_name(&body), "AvroReadResponseBody")) {
        avro_value_t content;
        if (field(&body, "content", &content) && (e = add_node(out, &content, 0, errstr, n))) return e;
    }
    return add_each(out, &rep, "resources", 0, errstr, n);
}

zl_err_t zl_serde_decode_observe_generic(zl_serde_t *s, const void *data, size_t len, zl_observe_t *out,
                                         char *errstr, size_t n) {
    return decode_generic(s, ZL_VAL_OBSERVE, data, len, out, errstr, n);
}

zl_err_t zl_serde_decode_response(zl_serde_t *s, const void *data, size_t len, zl_observe_t *out, char *errstr,
                                  size_t n) {
    if (zl_serde_format(s) == ZL_FORMAT_AVRO) return zl_serde_decode_observe(s, data, len, out, errstr, n);
    return decode_generic(s, ZL_VAL_RESPONSE, data, len, out, errstr, n); /* JSON: no observationId field */
}

void zl_observe_free(zl_observe_t *o) {
    free(o->points);
    free(o->arena);
    memset(o, 0, sizeof *o);
}

/* ---- registrations --------------------------------------------------------- */

/* Appends the entries of a map<string> field to r->kv; *first gets the index of the first. */
static zl_err_t take_map(zl_registration_t *r, const avro_value_t *rec, const char *name, size_t *first,
                         size_t *count, bool *present) {
    avro_value_t m;
    *first = r->n_kv;
    *count = 0;
    if (!field(rec, name, &m) || !unwrap(&m) || avro_value_get_type(&m) != AVRO_MAP) return ZL_OK;
    if (present) *present = true;
    size_t sz = 0;
    avro_value_get_size(&m, &sz);
    for (size_t i = 0; i < sz; i++) {
        avro_value_t e;
        const char *key = NULL;
        if (avro_value_get_by_index(&m, i, &e, &key)) return ZL_ERR_NOMEM;
        if (ZL_ARRAY_RESERVE(&r->kv, &r->cap_kv, r->n_kv + 1, 8)) return ZL_ERR_NOMEM;
        const char *val = str_of(&e, NULL);
        r->kv[r->n_kv++] = (zl_kv_t){.name = key, .value = val ? val : ""};
    }
    *count = sz;
    return ZL_OK;
}

static zl_err_t take_links(zl_registration_t *r, const avro_value_t *body, char *errstr, size_t n) {
    avro_value_t arr;
    if (!field(body, "links", &arr) || !unwrap(&arr)) return ZL_OK;
    if (avro_value_get_type(&arr) != AVRO_ARRAY) return bad(errstr, n, "links that are not an array");
    r->has_links = true;
    size_t sz = 0, first, count;
    avro_value_get_size(&arr, &sz);
    if (ZL_ARRAY_RESERVE(&r->links, &r->cap_links, sz, 8)) return ZL_ERR_NOMEM;
    for (size_t i = 0; i < sz; i++) {
        avro_value_t l;
        if (avro_value_get_by_index(&arr, i, &l, NULL)) return ZL_ERR_NOMEM;
        const char *url = get_str(&l, "url");
        if (!url) return bad(errstr, n, "a link without url");
        zl_err_t e = take_map(r, &l, "at", &first, &count, NULL);
        if (e) return e;
        /* at holds the index until kv stops moving (below) */
        r->links[r->n_links++] = (zl_reg_link_t){.url = url, .at = (const zl_kv_t *)(uintptr_t)first,
                                                 .n_at = count};
    }
    return ZL_OK;
}

zl_err_t zl_serde_decode_registration(zl_serde_t *s, const void *data, size_t len, zl_registration_t *r,
                                      char *errstr, size_t n) {
    avro_value_t *v, body;
    r->n_kv = r->n_links = r->n_attrs = 0;
    zl_kv_t *kv = r->kv;
    zl_reg_link_t *links = r->links;
    size_t cap_kv = r->cap_kv, cap_links = r->cap_links;
    memset(r, 0, sizeof *r);
    r->kv = kv;
    r->links = links;
    r->cap_kv = cap_kv;
    r->cap_links = cap_links;
    zl_err_t e = zl_serde_value(s, ZL_VAL_REGISTRATION, data, len, &v, errstr, n);
    if (e) return e;
    const char *kind = get_enum(v, "kind");
    if (!kind || !field(v, "body", &body) || !unwrap(&body))
        return bad(errstr, n, "not a registration: kind or body missing");
    const char *bn = record_name(&body);
    if (!strcmp(kind, "NEW") && !strcmp(bn, "AvroRegistrationNew")) r->kind = ZL_REG_NEW;
    else if (!strcmp(kind, "UPDATE") && !strcmp(bn, "AvroRegistrationUpdate")) r->kind = ZL_REG_UPDATE;
    else if (!strcmp(kind, "DELETE") && !strcmp(bn, "AvroRegistrationDelete")) r->kind = ZL_REG_DELETE;
    else {
        snprintf(errstr, n, "registration kind %s with a body of %s", kind, bn[0] ? bn : "another type");
        return ZL_ERR_INVALID;
    }
    r->ep = get_str(&body, "ep");
    r->server_id = get_str(&body, "serverId");
    if (!r->ep || !r->server_id || !get_long(&body, "lastUp", &r->last_up))
        return bad(errstr, n, "a registration without ep, serverId or lastUp");
    if (r->kind == ZL_REG_DELETE) {
        avro_value_t ex;
        int b = 0;
        if (field(&body, "expired", &ex) && unwrap(&ex) && avro_value_get_type(&ex) == AVRO_BOOLEAN)
            avro_value_get_boolean(&ex, &b);
        r->expired = b != 0;
        return ZL_OK;
    }
    r->reg_id = get_str(&body, "regId");
    r->address = get_str(&body, "address");
    int64_t port = 0;
    if (!r->reg_id || !r->address || !get_long(&body, "port", &port))
        return bad(errstr, n, "a registration without regId, address or port");
    r->port = (int32_t)port;
    r->has_lt = get_long(&body, "lt", &r->lt);
    r->sms = get_str(&body, "sms");
    r->bnd = get_enum(&body, "bnd");
    r->binding = get_str(&body, "binding");
    if (r->kind == ZL_REG_NEW) {
        r->reg_addr = get_str(&body, "regAddr");
        r->ver = get_str(&body, "ver");
        r->root = get_str(&body, "root");
        get_long(&body, "regDate", &r->reg_date);
        if (get_long(&body, "regPort", &port)) r->reg_port = (int32_t)port;
    }
    size_t first_attr = 0;
    if ((e = take_links(r, &body, errstr, n)) ||
        (e = take_map(r, &body, "attributes", &first_attr, &r->n_attrs, &r->has_attrs)))
        return e;
    for (size_t i = 0; i < r->n_links; i++)
        r->links[i].at = r->links[i].n_at ? r->kv + (uintptr_t)r->links[i].at : NULL;
    r->attrs = r->n_attrs ? r->kv + first_attr : NULL;
    return ZL_OK;
}

void zl_registration_free(zl_registration_t *r) {
    free(r->kv);
    free(r->links);
    memset(r, 0, sizeof *r);
}
