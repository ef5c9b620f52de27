/* SPDX-License-Identifier: Apache-2.0 */
/* zeelos records <-> Kafka bytes (see serde.h).  This file owns the framing
 * (Confluent magic + id, or Avro JSON), the subject->id and id->writer-schema
 * caches, and the record-level field mapping of what we encode; reading a
 * decoded AvroRequest into zl_request_t is in serde_request.c, the node tree
 * mapping in avro_node.c, generic Avro JSON in avro_util.c, HTTP in sr.c. */
#include "kafka/serde.h"

#include <avro.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kafka/avro_bin.h"
#include "kafka/avro_node.h"
#include "kafka/avro_schemas.h"
#include "kafka/avro_util.h"
#include "kafka/serde_int.h"
#include "kafka/sr.h"
#include "common/array.h"
#include "common/utf8.h"

#define WRITER_CACHE_MAX 64
#define NEGATIVE_TTL_S 30 /* a failed id lookup is retried after this long */
#define UNREACHABLE_TTL_S 1 /* ... unless the registry could not be reached */

typedef struct {
    char *topic;
    zl_val_type_t type;
    int32_t key_id, value_id;
} topic_ids_t;

/* One writer schema by id.  schema == NULL: a failed lookup, retried after
 * retry_at.  The generic value is created on first use. */
typedef struct {
    int32_t id;
    avro_schema_t schema;
    time_t retry_at;
    zl_err_t fetch_err; /* schema == NULL: how the lookup failed (ZL_ERR_IO: registry unreachable) */
    avro_value_iface_t *iface;
    avro_value_t value;
    bool has_value;
    bool same_as_req, differs_from_req; /* vs our AvroRequest, decided on first use */
    zl_walk_plans_t *walk; /* serde_walk.c's plans for this schema, made on first use */
} writer_t;

struct zl_serde {
    zl_format_t fmt;
    zl_sr_t *sr;
    avro_schema_t schema[ZL_SCH__COUNT];
    avro_value_iface_t *iface[ZL_SCH__COUNT];
    avro_value_t val[ZL_SCH__COUNT];
    topic_ids_t *topics;
    size_t n_topics, cap_topics;
    writer_t writers[WRITER_CACHE_MAX];
    size_t n_writers, next_evict;
    avro_writer_t mw; /* memory writer, re-aimed for every record */
    bool generic_writer; /* responses through avro-c's values, not avro_bin.c (tests) */
};

#define TRY(x) do { if ((x) != 0) return ZL_ERR_NOMEM; } while (0)

int zl_format_parse(const char *s) {
    if (!s) return -1;
    if (strcmp(s, "avro") == 0) return ZL_FORMAT_AVRO;
    if (strcmp(s, "json") == 0) return ZL_FORMAT_JSON;
    return -1;
}

zl_format_t zl_serde_format(const zl_serde_t *s) { return s->fmt; }

const char *zl_serde_schema_text(zl_val_type_t type) {
    return zl_avro_schema_text((zl_schema_kind_t)type);
}

/* ---- lifecycle ----------------------------------------------------------- */

static void writer_clear(writer_t *w) {
    zl_walk_plans_free(w->walk);
    if (w->has_value) avro_value_decref(&w->value);
    if (w->iface) avro_value_iface_decref(w->iface);
    if (w->schema) avro_schema_decref(w->schema);
    memset(w, 0, sizeof *w);
}

void zl_serde_use_generic_writer(zl_serde_t *s, bool on) { s->generic_writer = on; }

zl_serde_t *zl_serde_new(zl_format_t fmt, const char *sr_url, char *errstr, size_t errstr_size) {
    zl_sr_opts_t o = {.url = sr_url};
    return zl_serde_new_sr(fmt, &o, errstr, errstr_size);
}

zl_serde_t *zl_serde_new_kc(zl_format_t fmt, const zl_kafka_conf_t *kc, char *errstr, size_t errstr_size) {
    zl_sr_opts_t o = zl_kafka_sr_opts(kc);
    return zl_serde_new_sr(fmt, &o, errstr, errstr_size);
}

const zl_sr_opts_t *zl_serde_sr_opts(const zl_serde_t *s) { return s->sr ? zl_sr_opts(s->sr) : NULL; }

zl_serde_t *zl_serde_new_sr(zl_format_t fmt, const zl_sr_opts_t *o, char *errstr, size_t errstr_size) {
    const char *sr_url = o ? o->url : NULL;
    zl_serde_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    s->fmt = fmt;
    for (int k = 0; k < ZL_SCH__COUNT; k++) {
        const char *t = zl_avro_schema_text((zl_schema_kind_t)k);
        if (avro_schema_from_json_length(t, strlen(t), &s->schema[k]) ||
            !(s->iface[k] = avro_generic_class_from_schema(s->schema[k])) ||
            avro_generic_value_new(s->iface[k], &s->val[k])) {
            snprintf(errstr, errstr_size, "parsing embedded schema %s: %s",
                     zl_avro_schema_fullname((zl_schema_kind_t)k), avro_strerror());
            if (s->iface[k]) avro_value_iface_decref(s->iface[k]);
            s->iface[k] = NULL;
            zl_serde_destroy(s);
            return NULL;
        }
    }
    if (sr_url && *sr_url && !(s->sr = zl_sr_new_opts(o, errstr, errstr_size))) {
        zl_serde_destroy(s);
        return NULL;
    }
    return s;
}

void zl_serde_destroy(zl_serde_t *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n_writers; i++) writer_clear(&s->writers[i]);
    for (size_t i = 0; i < s->n_topics; i++) free(s->topics[i].topic);
    free(s->topics);
    for (int k = 0; k < ZL_SCH__COUNT; k++) {
        if (s->iface[k]) {
            avro_value_decref(&s->val[k]);
            avro_value_iface_decref(s->iface[k]);
        }
        if (s->schema[k]) avro_schema_decref(s->schema[k]);
    }
    if (s->mw) avro_writer_free(s->mw);
    zl_sr_destroy(s->sr);
    free(s);
}

/* ---- caches ---------------------------------------------------------------- */

static writer_t *writer_find(zl_serde_t *s, int32_t id) {
    for (size_t i = 0; i < s->n_writers; i++)
        if (s->writers[i].id == id) return &s->writers[i];
    return NULL;
}

static writer_t *writer_slot(zl_serde_t *s, int32_t id) {
    writer_t *w = writer_find(s, id);
    if (w) {
        writer_clear(w);
    } else if (s->n_writers < WRITER_CACHE_MAX) {
        w = &s->writers[s->n_writers++];
    } else { /* round-robin eviction; single-threaded, nothing holds entries */
        w = &s->writers[s->next_evict++ % WRITER_CACHE_MAX];
        writer_clear(w);
    }
    w->id = id;
    return w;
}

static void writer_put_schema(zl_serde_t *s, int32_t id, avro_schema_t schema) {
    writer_t *w = writer_slot(s, id);
    w->schema = avro_schema_incref(schema);
}

zl_err_t zl_serde_add_writer_schema(zl_serde_t *s, int32_t id, const char *schema_text,
                                    char *errstr, size_t errstr_size) {
    avro_schema_t sch;
    if (avro_schema_from_json_length(schema_text, strlen(schema_text), &sch)) {
        snprintf(errstr, errstr_size, "schema id %d: cannot parse: %s", (int)id, avro_strerror());
        return ZL_ERR_SCHEMA;
    }
    writer_put_schema(s, id, sch);
    avro_schema_decref(sch);
    return ZL_OK;
}

/* The writer schema for id: cache, else registry (blocking). */
static writer_t *writer_get(zl_serde_t *s, int32_t id, char *errstr, size_t n) {
    writer_t *w = writer_find(s, id);
    time_t now = time(NULL);
    if (w && w->schema) return w;
    if (w && now < w->retry_at) {
        snprintf(errstr, n, "unknown schema id %d (lookup failed recently%s)", (int)id,
                 w->fetch_err == ZL_ERR_IO ? ": registry unreachable" : "");
        return NULL;
    }
    if (!s->sr) {
        snprintf(errstr, n, "unknown schema id %d and no schema registry configured", (int)id);
        return NULL;
    }
    char *text = NULL;
    zl_err_t e = zl_sr_fetch(s->sr, id, &text, errstr, n);
    if (e == ZL_OK) {
        e = zl_serde_add_writer_schema(s, id, text, errstr, n);
        free(text);
        if (e == ZL_OK) return writer_find(s, id);
    }
    w = writer_slot(s, id);
    w->fetch_err = e == ZL_ERR_IO ? ZL_ERR_IO : ZL_ERR_SCHEMA;
    w->retry_at = now + (e == ZL_ERR_IO ? UNREACHABLE_TTL_S : NEGATIVE_TTL_S);
    return NULL;
}

/* The Confluent schema id of a framed record, -1 when it is not one. */
static int64_t framed_id(const void *data, size_t len) {
    const uint8_t *d = data;
    if (!d || len < 5 || d[0] != 0) return -1;
    return (int32_t)(((uint32_t)d[1] << 24) | ((uint32_t)d[2] << 16) | ((uint32_t)d[3] << 8) | d[4]);
}

int64_t zl_serde_pending_schema(zl_serde_t *s, const void *data, size_t len) {
    int64_t id = s->fmt == ZL_FORMAT_AVRO && s->sr ? framed_id(data, len) : -1;
    if (id < 0) return -1;
    writer_t *w = writer_find(s, (int32_t)id);
    return w && (w->schema || time(NULL) < w->retry_at) ? -1 : id;
}

zl_err_t zl_serde_schema_fetched(zl_serde_t *s, int32_t id, zl_err_t e, const char *text, char *errstr,
                                 size_t n) {
    if (e == ZL_OK && (e = zl_serde_add_writer_schema(s, id, text, errstr, n)) == ZL_OK) return ZL_OK;
    writer_slot(s, id)->retry_at = time(NULL) + NEGATIVE_TTL_S; /* as a failed blocking fetch */
    return e;
}

static topic_ids_t *topic_find(zl_serde_t *s, const char *topic) {
    for (size_t i = 0; i < s->n_topics; i++)
        if (strcmp(s->topics[i].topic, topic) == 0) return &s->topics[i];
    return NULL;
}

zl_err_t zl_serde_set_topic_ids(zl_serde_t *s, const char *topic, zl_val_type_t type,
                                int32_t key_id, int32_t value_id) {
    if ((unsigned)type >= ZL_VAL__COUNT || !topic) return ZL_ERR_INVALID;
    topic_ids_t *t = topic_find(s, topic);
    if (!t) {
        if (ZL_ARRAY_RESERVE(&s->topics, &s->cap_topics, s->n_topics + 1, 4)) return ZL_ERR_NOMEM;
        t = &s->topics[s->n_topics];
        if (!(t->topic = strdup(topic))) return ZL_ERR_NOMEM;
        s->n_topics++;
    }
    t->type = type;
    t->key_id = key_id;
    t->value_id = value_id;
    writer_put_schema(s, key_id, s->schema[ZL_SCH_KEY]);
    writer_put_schema(s, value_id, s->schema[type]);
    return ZL_OK;
}

zl_err_t zl_serde_register_topic(zl_serde_t *s, const char *topic, zl_val_type_t type,
                                 char *errstr, size_t errstr_size) {
    if ((unsigned)type >= ZL_VAL__COUNT) {
        snprintf(errstr, errstr_size, "invalid value type %d", (int)type);
        return ZL_ERR_INVALID;
    }
    if (s->fmt == ZL_FORMAT_JSON) return ZL_OK;
    if (!s->sr) {
        snprintf(errstr, errstr_size, "Avro format needs a schema registry URL (schema.registry.url)");
        return ZL_ERR_INVALID;
    }
    char subj[512];
    int32_t kid = -1, vid = -1;
    zl_err_t e;
    snprintf(subj, sizeof subj, "%s-key", topic);
    if ((e = zl_sr_register(s->sr, subj, zl_avro_schema_text(ZL_SCH_KEY), &kid, errstr, errstr_size)))
        return e;
    snprintf(subj, sizeof subj, "%s-value", topic);
    if ((e = zl_sr_register(s->sr, subj, zl_avro_schema_text((zl_schema_kind_t)type), &vid, errstr,
                            errstr_size)))
        return e;
    if ((e = zl_serde_set_topic_ids(s, topic, type, kid, vid)))
        snprintf(errstr, errstr_size, "out of memory");
    return e;
}

/* ---- framing --------------------------------------------------------------- */

/* Appends v as Confluent-framed Avro binary with id, or as Avro JSON. */
static zl_err_t emit(zl_serde_t *s, int32_t id, avro_value_t *v, zl_buf_t *out) {
    if (s->fmt == ZL_FORMAT_JSON) {
        /* straight to text: same bytes as json_dumps of zl_avro_to_json */
        char err[128] = "";
        return zl_avro_write_json(v, out, err, sizeof err) ? ZL_ERR_NOMEM : ZL_OK;
    }
    /* One pass when the datum fits the room the buffer already has (the
     * common case: out is reused record after record); else size it first. */
    if (!s->mw && !(s->mw = avro_writer_memory(NULL, 0))) return ZL_ERR_NOMEM;
    zl_err_t e = out->max ? ZL_OK : zl_buf_reserve(out, 5 + 512);
    if (e) return e;
    size_t room = out->max ? 0 : out->cap - out->len - 1 - 5;
    uint8_t *p = out->data + out->len;
    int rc = 1;
    size_t sz = 0;
    if (room) {
        avro_writer_memory_set_dest(s->mw, (const char *)p + 5, (int64_t)room);
        rc = avro_value_write(s->mw, v);
        sz = (size_t)avro_writer_tell(s->mw);
    }
    if (rc) {
        if (avro_value_sizeof(v, &sz)) return ZL_ERR_SCHEMA;
        if (room && sz <= room) return ZL_ERR_SCHEMA; /* it did fit: a real failure */
        if ((e = zl_buf_reserve(out, 5 + sz))) return e;
        p = out->data + out->len;
        avro_writer_memory_set_dest(s->mw, (const char *)p + 5, (int64_t)sz);
        if (avro_value_write(s->mw, v)) return ZL_ERR_SCHEMA;
    }
    p[0] = 0;
    p[1] = (uint8_t)((uint32_t)id >> 24);
    p[2] = (uint8_t)((uint32_t)id >> 16);
    p[3] = (uint8_t)((uint32_t)id >> 8);
    p[4] = (uint8_t)id;
    out->len += 5 + sz;
    return ZL_OK;
}

static zl_err_t ids_for(zl_serde_t *s, const char *topic, int32_t *kid, int32_t *vid) {
    if (s->fmt == ZL_FORMAT_JSON) {
        *kid = *vid = -1;
        return ZL_OK;
    }
    topic_ids_t *t = topic ? topic_find(s, topic) : NULL;
    if (!t) return ZL_ERR_NOT_FOUND; /* zl_serde_register_topic() was not called */
    *kid = t->key_id;
    *vid = t->value_id;
    return ZL_OK;
}

static avro_value_t *fresh(zl_serde_t *s, zl_schema_kind_t k) {
    avro_value_reset(&s->val[k]);
    return &s->val[k];
}

zl_err_t zl_serde_frame(zl_serde_t *s, int32_t id, avro_value_t *v, zl_buf_t *out) { return emit(s, id, v, out); }
zl_err_t zl_serde_topic_ids(zl_serde_t *s, const char *topic, int32_t *kid, int32_t *vid) {
    return ids_for(s, topic, kid, vid);
}
avro_value_t *zl_serde_fresh(zl_serde_t *s, zl_val_type_t type) { return fresh(s, (zl_schema_kind_t)type); }

/* ---- field setters ------------------------------------------------------- */

/* Sets an enum value by symbol; ZL_ERR_INVALID for an unknown symbol. */
static zl_err_t set_enum_sym(avro_value_t *ev, const char *sym) {
    int i = avro_schema_enum_get_by_name(zl_avro_deref(avro_value_get_schema(ev)), sym);
    if (i < 0) return ZL_ERR_INVALID;
    TRY(avro_value_set_enum(ev, i));
    return ZL_OK;
}

/* Field of union type: branch 0 = null, branch 1 = the value (left in *b). */
static zl_err_t put_opt(avro_value_t *rec, const char *name, bool present, avro_value_t *b) {
    avro_value_t f;
    TRY(zl_avro_get_field(rec, name, &f, NULL));
    TRY(avro_value_set_branch(&f, present ? 1 : 0, b));
    if (!present) TRY(avro_value_set_null(b));
    return ZL_OK;
}

/* ---- keys and registrations ---------------------------------------------- */

zl_err_t zl_serde_key(zl_serde_t *s, const char *topic, const char *ep, zl_buf_t *out) {
    int32_t kid, vid;
    zl_err_t e = ids_for(s, topic, &kid, &vid);
    if (e) return e;
    avro_value_t *v = fresh(s, ZL_SCH_KEY);
    if ((e = zl_avro_put_str(v, "ep", ep))) return e;
    return emit(s, kid, v, out);
}

static zl_err_t put_links(avro_value_t *arr, const zl_links_t *l) {
    for (size_t i = 0; l && i < l->n; i++) {
        avro_value_t rec, at, sv;
        zl_err_t e;
        TRY(avro_value_append(arr, &rec, NULL));
        if ((e = zl_avro_put_str(&rec, "url", l->links[i].url))) return e;
        TRY(zl_avro_get_field(&rec, "at", &at, NULL));
        for (size_t k = 0; k < l->links[i].n_attrs; k++) {
            const zl_link_attr_t *a = &l->links[i].attrs[k];
            TRY(avro_value_add(&at, a->name ? a->name : "", &sv, NULL, NULL));
            /* valueless attributes (";obs") become "" (contract §13 quirk 4 fixed) */
            TRY(avro_value_set_string(&sv, a->value ? a->value : ""));
        }
    }
    return ZL_OK;
}

static zl_err_t put_attrs(avro_value_t *map, const zl_kv_t *kv, size_t n) {
    for (size_t i = 0; kv && i < n; i++) {
        avro_value_t sv;
        TRY(avro_value_add(map, kv[i].name ? kv[i].name : "", &sv, NULL, NULL));
        TRY(avro_value_set_string(&sv, kv[i].value ? kv[i].value : ""));
    }
    return ZL_OK;
}

/* zeelos 1.1 binding: the exact b (AvroBnd cannot say T or N). */
static zl_err_t put_binding(avro_value_t *b, const zl_rec_registration_t *r) {
    avro_value_t o;
    zl_err_t e = put_opt(b, "binding", r->binding != NULL, &o);
    if (!e && r->binding) TRY(avro_value_set_string(&o, r->binding));
    return e;
}

static zl_err_t reg_new(avro_value_t *b, const zl_rec_registration_t *r) {
    zl_err_t e;
    avro_value_t f, o;
    if ((e = zl_avro_put_str(b, "ep", r->ep)) || (e = zl_avro_put_str(b, "serverId", r->server_id)) ||
        (e = zl_avro_put_long(b, "regDate", r->reg_date)) || (e = zl_avro_put_str(b, "address", r->address)) ||
        (e = zl_avro_put_int(b, "port", r->port)) || (e = zl_avro_put_str(b, "regAddr", r->reg_addr)) ||
        (e = zl_avro_put_int(b, "regPort", r->reg_port)) || (e = zl_avro_put_long(b, "lt", r->lt)) ||
        (e = put_opt(b, "sms", r->sms != NULL, &o)))
        return e;
    if (r->sms) TRY(avro_value_set_string(&o, r->sms));
    if ((e = zl_avro_put_str(b, "ver", r->ver ? r->ver : "1.0"))) return e;
    TRY(zl_avro_get_field(b, "bnd", &f, NULL));
    if ((e = set_enum_sym(&f, r->bnd ? r->bnd : "U"))) return e;
    if ((e = zl_avro_put_str(b, "regId", r->reg_id))) return e;
    TRY(zl_avro_get_field(b, "links", &f, NULL));
    if ((e = put_links(&f, r->links))) return e;
    /* NEW: attributes always present, possibly empty (as the original) */
    if ((e = put_opt(b, "attributes", true, &o)) || (e = put_attrs(&o, r->attrs, r->n_attrs)))
        return e;
    if ((e = zl_avro_put_str(b, "root", r->root ? r->root : "/")) || (e = zl_avro_put_long(b, "lastUp", r->last_up)))
        return e;
    return put_binding(b, r);
}

static zl_err_t reg_update(avro_value_t *b, const zl_rec_registration_t *r) {
    zl_err_t e;
    avro_value_t o;
    if ((e = zl_avro_put_str(b, "ep", r->ep)) || (e = zl_avro_put_str(b, "serverId", r->server_id)) ||
        (e = zl_avro_put_str(b, "regId", r->reg_id)) || (e = zl_avro_put_str(b, "address", r->address)) ||
        (e = zl_avro_put_int(b, "port", r->port)))
        return e;
    if ((e = put_opt(b, "lt", r->has_lt, &o))) return e;
    if (r->has_lt) TRY(avro_value_set_long(&o, r->lt));
    if ((e = put_opt(b, "sms", r->sms != NULL, &o))) return e;
    if (r->sms) TRY(avro_value_set_string(&o, r->sms));
    if ((e = put_opt(b, "bnd", r->bnd != NULL, &o))) return e;
    if (r->bnd && (e = set_enum_sym(&o, r->bnd))) return e;
    if ((e = put_opt(b, "links", r->links != NULL, &o))) return e;
    if (r->links && (e = put_links(&o, r->links))) return e;
    bool has_attrs = r->attrs && r->n_attrs > 0;
    if ((e = put_opt(b, "attributes", has_attrs, &o))) return e;
    if (has_attrs && (e = put_attrs(&o, r->attrs, r->n_attrs))) return e;
    if ((e = zl_avro_put_long(b, "lastUp", r->last_up))) return e;
    return put_binding(b, r);
}

zl_err_t zl_serde_registration(zl_serde_t *s, const char *topic, const zl_rec_registration_t *r,
                               zl_buf_t *out) {
    int32_t kid, vid;
    zl_err_t e = ids_for(s, topic, &kid, &vid);
    if (e) return e;
    if ((unsigned)r->kind > ZL_REG_DELETE) return ZL_ERR_INVALID;
    avro_value_t *v = fresh(s, ZL_SCH_REGISTRATION), u, b;
    if ((e = zl_avro_put_enum(v, "kind", (int)r->kind))) return e;
    TRY(zl_avro_get_field(v, "body", &u, NULL));
    TRY(avro_value_set_branch(&u, (int)r->kind, &b));
    switch (r->kind) {
    case ZL_REG_NEW: e = reg_new(&b, r); break;
    case ZL_REG_UPDATE: e = reg_update(&b, r); break;
    default:
        if (!(e = zl_avro_put_str(&b, "ep", r->ep)) && !(e = zl_avro_put_str(&b, "serverId", r->server_id)) &&
            !(e = zl_avro_put_bool(&b, "expired", r->expired)))
            e = zl_avro_put_long(&b, "lastUp", r->last_up);
        break;
    }
    if (e) return e;
    size_t mark = out->len;
    e = emit(s, vid, v, out);
    if (e) out->len = mark;
    return e;
}

/* ---- responses ------------------------------------------------------------- */

/* AvroResponsePayload.body branches */
enum { RB_NULL = 0, RB_READ = 1, RB_DISCOVER = 2, RB_CREATE = 3, RB_GENERIC = 4 };

/* Selects union branch `branch` (a record with one string field) and sets it. */
static zl_err_t branch_str(avro_value_t *u, int branch, const char *field, const char *text) {
    avro_value_t b;
    TRY(avro_value_set_branch(u, branch, &b));
    return zl_avro_put_str(&b, field, text);
}

/* Avro binary straight from r and its nodes (avro_bin.c), framed with id. */
static zl_err_t response_direct(int32_t id, const zl_rec_response_t *r, zl_buf_t *out) {
    size_t mark = out->len;
    uint8_t frame[5] = {0, (uint8_t)((uint32_t)id >> 24), (uint8_t)((uint32_t)id >> 16),
                        (uint8_t)((uint32_t)id >> 8), (uint8_t)id};
    zl_err_t e = zl_buf_append(out, frame, sizeof frame);
    if (!e) e = zl_avro_bin_response(r, false, out);
    if (e) out->len = mark;
    return e;
}

zl_err_t zl_serde_response(zl_serde_t *s, const char *topic, const zl_rec_response_t *r,
                           zl_buf_t *out) {
    int32_t kid, vid;
    zl_err_t e = ids_for(s, topic, &kid, &vid);
    if (e) return e;
    if ((unsigned)r->code >= ZL_RC__COUNT || (unsigned)r->kind >= ZL_RK__COUNT) return ZL_ERR_INVALID;
    if (!s->generic_writer)
        return s->fmt == ZL_FORMAT_AVRO ? response_direct(vid, r, out) : zl_avro_bin_response(r, true, out);
    bool obs = r->observation_id != NULL;
    avro_value_t *v = fresh(s, obs ? ZL_SCH_OBSERVE : ZL_SCH_RESPONSE), rep, u, b, f;
    if ((e = zl_avro_put_str(v, "ticket", r->ticket ? r->ticket : "unset"))) return e;
    if (obs && (e = zl_avro_put_str(v, "observationId", r->observation_id))) return e;
    if ((e = zl_avro_put_str(v, "serverId", r->server_id)) || (e = zl_avro_put_str(v, "ep", r->ep)) ||
        (e = zl_avro_put_str(v, "path", r->path)) || (e = zl_avro_put_long(v, "timestamp", r->timestamp)))
        return e;
    TRY(zl_avro_get_field(v, "rep", &rep, NULL));
    if ((e = zl_avro_put_enum(&rep, "code", (int)r->code)) || (e = zl_avro_put_enum(&rep, "kind", (int)r->kind)))
        return e;
    TRY(zl_avro_get_field(&rep, "body", &u, NULL));
    switch (r->body) {
    case ZL_BODY_READ:
        if (!r->content) goto null_body;
        TRY(avro_value_set_branch(&u, RB_READ, &b));
        TRY(zl_avro_get_field(&b, "content", &f, NULL));
        if ((e = zl_avro_node_to_union(&f, r->content, r->path))) return e;
        if (r->content_path) {
            avro_value_t rec;
            TRY(avro_value_get_current_branch(&f, &rec));
            if ((e = zl_avro_put_str(&rec, "path", r->content_path))) return e;
        }
        break;
    case ZL_BODY_DISCOVER:
        if ((e = branch_str(&u, RB_DISCOVER, "objectLinks", r->text))) return e;
        break;
    case ZL_BODY_CREATE:
        if ((e = branch_str(&u, RB_CREATE, "location", r->text))) return e;
        break;
    case ZL_BODY_GENERIC:
        /* the original sends the code name when the message is empty */
        if ((e = branch_str(&u, RB_GENERIC, "message", r->text && *r->text ? r->text : zl_resp_code_name(r->code))))
            return e;
        break;
    default:
    null_body:
        TRY(avro_value_set_branch(&u, RB_NULL, &b));
        TRY(avro_value_set_null(&b));
        break;
    }
    if ((e = put_opt(&rep, "resources", r->values != NULL, &b))) return e;
    if (r->values && (e = zl_avro_leaves_to_array(&b, r->values))) return e;
    size_t mark = out->len;
    e = emit(s, vid, v, out);
    if (e) out->len = mark;
    return e;
}

/* ---- requests -------------------------------------------------------------- */

/* AvroRequestPayload.body branches */
enum { QB_NULL = 0, QB_CREATE = 1, QB_EXECUTE = 2, QB_WRITE_ATTRIBUTES = 3, QB_WRITE = 4 };

zl_err_t zl_serde_request(zl_serde_t *s, const char *topic, const zl_request_t *r, zl_buf_t *out) {
    int32_t kid, vid;
    zl_err_t e = ids_for(s, topic, &kid, &vid);
    if (e) return e;
    if ((unsigned)r->kind >= ZL_RK__COUNT || (unsigned)r->content_format > ZL_ACF_LINK)
        return ZL_ERR_INVALID;
    avro_value_t *v = fresh(s, ZL_SCH_REQUEST), p, u, b, f;
    if ((e = zl_avro_put_str(v, "serverId", r->server_id)) || (e = zl_avro_put_str(v, "ep", r->ep)) ||
        (e = zl_avro_put_str(v, "ticket", r->ticket)))
        return e;
    TRY(zl_avro_get_field(v, "payload", &p, NULL));
    if ((e = zl_avro_put_enum(&p, "kind", (int)r->kind)) || (e = zl_avro_put_str(&p, "path", r->path)) ||
        (e = zl_avro_put_enum(&p, "contentFormat", (int)r->content_format)))
        return e;
    TRY(zl_avro_get_field(&p, "body", &u, NULL));
    switch (r->body) {
    case ZL_RQB_CREATE:
        TRY(avro_value_set_branch(&u, QB_CREATE, &b));
        TRY(zl_avro_get_field(&b, "instance", &f, NULL));
        if ((e = zl_avro_instance_to_record(&f, r->node, r->path))) return e;
        break;
    case ZL_RQB_EXECUTE:
        if ((e = branch_str(&u, QB_EXECUTE, "parameters", r->text))) return e;
        break;
    case ZL_RQB_WRITE_ATTRIBUTES:
        if ((e = branch_str(&u, QB_WRITE_ATTRIBUTES, "observeSpec", r->text))) return e;
        break;
    case ZL_RQB_WRITE:
        if (!r->node) return ZL_ERR_INVALID;
        TRY(avro_value_set_branch(&u, QB_WRITE, &b));
        if ((e = zl_avro_put_enum(&b, "mode", (int)r->write_mode))) return e;
        TRY(zl_avro_get_field(&b, "node", &f, NULL));
        if ((e = zl_avro_node_to_union(&f, r->node, r->path))) return e;
        break;
    default:
        TRY(avro_value_set_branch(&u, QB_NULL, &b));
        TRY(avro_value_set_null(&b));
        break;
    }
    /* zeelos 1.1 fields */
    if ((e = put_opt(&p, "paths", r->paths != NULL, &b))) return e;
    for (size_t i = 0; r->paths && i < r->n_paths; i++) {
        char ps[32];
        zl_path_format(&r->paths[i], ps, sizeof ps);
        TRY(avro_value_append(&b, &f, NULL));
        TRY(avro_value_set_string(&f, ps));
    }
    if ((e = put_opt(&p, "resources", r->values != NULL, &b))) return e;
    if (r->values && (e = zl_avro_leaves_to_array(&b, r->values))) return e;
    if ((e = put_opt(&p, "depth", r->has_depth, &b))) return e;
    if (r->has_depth) TRY(avro_value_set_int(&b, r->depth));
    if ((e = put_opt(&p, "contentFormatCode", r->has_cf_code, &b))) return e;
    if (r->has_cf_code) TRY(avro_value_set_int(&b, r->cf_code));
    size_t mark = out->len;
    e = emit(s, vid, v, out);
    if (e) out->len = mark;
    return e;
}

/* Parses the Confluent header; returns the writer entry for its id. */
/* A record whose binary does not check out may still start with the fields
 * that say whom to answer: the writer's leading string fields named ticket,
 * serverId or ep are read straight from the bytes (each checked like any
 * request string: no NUL, valid UTF-8), up to the first other field. */
static void salvage_leading_strings(avro_schema_t schema, const uint8_t *p, size_t len, zl_request_t *out) {
    schema = zl_avro_deref(schema);
    if (!is_avro_record(schema)) return;
    size_t off = 0;
    for (size_t i = 0; i < avro_schema_record_size(schema); i++) {
        avro_schema_t f = zl_avro_deref(avro_schema_record_field_get_by_index(schema, (int)i));
        if (!is_avro_string(f)) return;
        uint64_t zz = 0;
        int shift = 0;
        for (;; shift += 7) {
            if (off >= len || shift > 63) return;
            uint8_t b = p[off++];
            zz |= (uint64_t)(b & 0x7f) << shift;
            if (!(b & 0x80)) break;
        }
        int64_t slen = (int64_t)(zz >> 1) ^ -(int64_t)(zz & 1);
        if (slen < 0 || (uint64_t)slen > len - off) return;
        const char *name = avro_schema_record_field_name(schema, (int)i);
        char **dst = !strcmp(name, "ticket") ? &out->ticket : !strcmp(name, "serverId") ? &out->server_id
                   : !strcmp(name, "ep") ? &out->ep : NULL;
        const uint8_t *str = p + off;
        off += (size_t)slen;
        if (!dst || *dst || memchr(str, 0, (size_t)slen) || !zl_utf8_valid(str, (size_t)slen)) continue;
        *dst = strndup((const char *)str, (size_t)slen);
    }
}

/* The writer of a framed record; the datum is checked against its schema
 * unless the caller reads it with a reader that checks as it goes (check
 * false: serde_walk.c). */
static writer_t *framed_writer_ex(zl_serde_t *s, const uint8_t *d, size_t len, char *errstr, size_t n,
                                  zl_err_t *err, zl_request_t *salvage, bool check) {
    if (len < 5) {
        snprintf(errstr, n, "record of %zu bytes is shorter than the 5-byte Confluent header", len);
        *err = ZL_ERR_TRUNCATED;
        return NULL;
    }
    if (d[0] != 0) {
        snprintf(errstr, n, "bad magic byte 0x%02x (expected 0x00: not a Confluent-framed Avro record%s)",
                 d[0], d[0] == '{' ? "; JSON? try format=json" : "");
        *err = ZL_ERR_INVALID;
        return NULL;
    }
    int32_t id = (int32_t)(((uint32_t)d[1] << 24) | ((uint32_t)d[2] << 16) | ((uint32_t)d[3] << 8) | d[4]);
    writer_t *w = writer_get(s, id, errstr, n);
    if (!w) {
        writer_t *failed = writer_find(s, id);
        *err = failed && failed->fetch_err == ZL_ERR_IO ? ZL_ERR_IO : ZL_ERR_SCHEMA;
        return NULL;
    }
    if (!check) return w;
    char cerr[200] = "";
    size_t used = 0;
    zl_err_t e = zl_avro_check_binary(w->schema, d + 5, len - 5, &used, cerr, sizeof cerr);
    if (!e && used != len - 5) { /* a second datum, or garbage: not what the writer meant */
        snprintf(cerr, sizeof cerr, "%zu bytes after the end of the record", len - 5 - used);
        e = ZL_ERR_INVALID;
    }
    if (e) {
        snprintf(errstr, n, "schema id %d: Avro binary: %s", (int)id, cerr);
        *err = e;
        if (salvage) salvage_leading_strings(w->schema, d + 5, len - 5, salvage);
        return NULL;
    }
    return w;
}

static writer_t *framed_writer(zl_serde_t *s, const uint8_t *d, size_t len, char *errstr, size_t n,
                               zl_err_t *err, zl_request_t *salvage) {
    return framed_writer_ex(s, d, len, errstr, n, err, salvage, true);
}

zl_err_t zl_serde_framed(zl_serde_t *s, const void *data, size_t len, avro_schema_t *schema, zl_walk_plans_t ***plans,
                         const uint8_t **body, size_t *body_len, char *errstr, size_t n) {
    zl_err_t e = ZL_OK;
    if (!data || len == 0) {
        snprintf(errstr, n, "empty value (a tombstone?)");
        return ZL_ERR_INVALID;
    }
    writer_t *w = framed_writer_ex(s, data, len, errstr, n, &e, NULL, false);
    if (!w) return e;
    *schema = w->schema;
    *plans = &w->walk;
    *body = (const uint8_t *)data + 5;
    *body_len = len - 5;
    return ZL_OK;
}

/* The reusable generic value of the writer schema, reset. */
static zl_err_t writer_value(writer_t *w, avro_value_t **out, char *errstr, size_t n) {
    if (!w->iface && !(w->iface = avro_generic_class_from_schema(w->schema))) {
        snprintf(errstr, n, "schema id %d: %s", (int)w->id, avro_strerror());
        return ZL_ERR_SCHEMA;
    }
    if (!w->has_value) {
        if (avro_generic_value_new(w->iface, &w->value)) return ZL_ERR_NOMEM;
        w->has_value = true;
    }
    avro_value_reset(&w->value);
    *out = &w->value;
    return ZL_OK;
}

/* Reads the datum after the header into dst. */
static zl_err_t read_binary(const uint8_t *d, size_t len, avro_value_t *dst, char *errstr, size_t n) {
    avro_reader_t rd = avro_reader_memory((const char *)d + 5, (int64_t)(len - 5));
    if (!rd) return ZL_ERR_NOMEM;
    int rc = avro_value_read(rd, dst);
    avro_reader_free(rd);
    if (rc) {
        snprintf(errstr, n, "Avro binary: %s", avro_strerror());
        return ZL_ERR_INVALID;
    }
    return ZL_OK;
}

zl_err_t zl_serde_decode_request(zl_serde_t *s, const void *data, size_t len, zl_request_t *out,
                                 char *errstr, size_t errstr_size) {
    char dummy[8];
    if (!errstr) { errstr = dummy; errstr_size = sizeof dummy; }
    errstr[0] = 0;
    memset(out, 0, sizeof *out);
    avro_value_t *rv = fresh(s, ZL_SCH_REQUEST);
    zl_err_t e = ZL_OK;
    if (s->fmt == ZL_FORMAT_JSON) {
        json_error_t je;
        json_t *j = data && len ? json_loadb(data, len, 0, &je) : NULL;
        if (!j) {
            snprintf(errstr, errstr_size, "invalid JSON: %s", len ? je.text : "empty value");
            return ZL_ERR_INVALID;
        }
        e = zl_avro_from_json(rv, j, "", errstr, errstr_size);
        if (e) zl_serde_salvage_json(j, out);
        json_decref(j);
        if (e) return e;
    } else {
        writer_t *w = framed_writer(s, data, data ? len : 0, errstr, errstr_size, &e, out);
        if (!w) return e;
        if (!w->same_as_req && !w->differs_from_req) {
            w->same_as_req = avro_schema_equal(w->schema, s->schema[ZL_SCH_REQUEST]) != 0;
            w->differs_from_req = !w->same_as_req;
        }
        if (w->same_as_req) {
            e = read_binary(data, len, rv, errstr, errstr_size);
            if (e) { /* what was read before the error still names the ticket to answer */
                char ignore[8];
                zl_serde_extract_request(rv, out, ignore, sizeof ignore);
            }
        } else {
            /* Another writer schema (an older or hand-written AvroRequest).
             * avro-c 1.11's resolved writer/reader copy enum ordinals without
             * mapping symbols (writer ["execute","read"] ordinal 0 arrives as
             * our "read"), so resolve through the Avro JSON form instead:
             * enums by symbol, fields by name, unions by branch name. */
            avro_value_t *wv;
            if ((e = writer_value(w, &wv, errstr, errstr_size)) ||
                (e = read_binary(data, len, wv, errstr, errstr_size)))
                return e;
            json_t *j = zl_avro_to_json(wv, errstr, errstr_size);
            if (!j) return ZL_ERR_NOMEM;
            e = zl_avro_from_json(rv, j, "", errstr, errstr_size);
            if (e) zl_serde_salvage_json(j, out);
            json_decref(j);
        }
        if (e) return e;
    }
    e = zl_serde_extract_request(rv, out, errstr, errstr_size);
    if (e == ZL_ERR_NOMEM) snprintf(errstr, errstr_size, "out of memory decoding request");
    return e;
}

zl_err_t zl_serde_value(zl_serde_t *s, zl_val_type_t type, const void *data, size_t len, avro_value_t **out,
                        char *errstr, size_t n) {
    zl_err_t e = ZL_OK;
    if (!data || len == 0) {
        snprintf(errstr, n, "empty value (a tombstone?)");
        return ZL_ERR_INVALID;
    }
    if (s->fmt == ZL_FORMAT_JSON) {
        json_error_t je;
        json_t *j = json_loadb(data, len, 0, &je);
        if (!j) {
            snprintf(errstr, n, "invalid JSON: %s%s", je.text,
                     len >= 5 && ((const uint8_t *)data)[0] == 0
                         ? " (looks like Confluent-framed Avro: use format=avro)" : "");
            return ZL_ERR_INVALID;
        }
        avro_value_t *rv = fresh(s, (zl_schema_kind_t)type);
        e = zl_avro_from_json(rv, j, "", errstr, n);
        json_decref(j);
        *out = rv;
        return e;
    }
    writer_t *w = framed_writer(s, data, len, errstr, n, &e, NULL);
    if (!w) return e;
    if ((e = writer_value(w, out, errstr, n)) || (e = read_binary(data, len, *out, errstr, n))) return e;
    return ZL_OK;
}

/* ---- tail ------------------------------------------------------------------ */

zl_err_t zl_serde_to_json(zl_serde_t *s, const void *data, size_t len, zl_buf_t *out,
                          char *errstr, size_t errstr_size) {
    char dummy[8];
    if (!errstr) { errstr = dummy; errstr_size = sizeof dummy; }
    errstr[0] = 0;
    if (!data || len == 0) return zl_buf_append(out, "null", 4);
    json_t *j = NULL;
    zl_err_t e = ZL_OK;
    if (s->fmt == ZL_FORMAT_JSON) {
        json_error_t je;
        if (!(j = json_loadb(data, len, JSON_DECODE_ANY, &je))) {
            snprintf(errstr, errstr_size, "invalid JSON: %s%s", je.text,
                     len >= 5 && ((const uint8_t *)data)[0] == 0
                         ? " (looks like Confluent-framed Avro: use format=avro)" : "");
            return ZL_ERR_INVALID;
        }
    } else {
        writer_t *w = framed_writer(s, data, len, errstr, errstr_size, &e, NULL);
        if (!w) return e;
        avro_value_t *wv;
        if ((e = writer_value(w, &wv, errstr, errstr_size)) ||
            (e = read_binary(data, len, wv, errstr, errstr_size)))
            return e;
        return zl_avro_write_json(wv, out, errstr, errstr_size); /* what format=json writes */
    }
    e = zl_json_write(j, out); /* compact, doubles as short as they read back */
    json_decref(j);
    return e;
}
