/* SPDX-License-Identifier: Apache-2.0 */
/* The SQL store (PostgreSQL or SQLite): readings, the latest value of every
 * resource, the asset model, and the consumer's positions - all in one
 * transaction per batch.
 *
 * Why positions in the database: the transaction that adds a batch's rows
 * also moves zeelos_sink_offsets past them, so rows and positions are
 * durable together or not at all.  A batch begins by locking its partitions'
 * rows (PostgreSQL: SELECT ... FOR UPDATE; SQLite: BEGIN IMMEDIATE) and
 * skipping every record below the stored position: a replay after a crash,
 * or the overlap of two sinks around a rebalance, writes nothing twice.
 * docs/SINKS.md shows the tables. */
#include "roles/sink/sql_int.h"
#include "roles/sink/latest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lwm2m/model.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/num.h"
#include "common/utf8.h"

typedef struct {
    sink_store_t base;
    const zl_sink_conf_t *c;
    char *group;
    sink_db_t *db;
    bool in_txn;
    uint64_t latest_seq;
    sink_latest_t latest; /* the batch's latest row per resource */
} sql_t;

const char *const sink_reading_cols =
    "time, gateway, endpoint, path, object_id, instance_id, resource_id, resource_instance, type, value_float, "
    "value_int, value_bool, value_str, kafka_topic, kafka_partition, kafka_offset";
const char *const sink_latest_cols =
    "gateway, endpoint, path, object_id, instance_id, resource_id, resource_instance, type, time, value_float, "
    "value_int, value_bool, value_str, seq";

#define LATEST_SET                                                                                                  \
    " ON CONFLICT (gateway, endpoint, path) DO UPDATE SET object_id = excluded.object_id, instance_id = "           \
    "excluded.instance_id, resource_id = excluded.resource_id, resource_instance = excluded.resource_instance, "    \
    "type = excluded.type, time = excluded.time, value_float = excluded.value_float, value_int = "                  \
    "excluded.value_int, value_bool = excluded.value_bool, value_str = excluded.value_str WHERE excluded.time >= "  \
    "zeelos_latest.time"
const char *const sink_latest_upsert_pg =
    "INSERT INTO zeelos_latest SELECT DISTINCT ON (gateway, endpoint, path) gateway, endpoint, path, object_id, "
    "instance_id, resource_id, resource_instance, type, time, value_float, value_int, value_bool, value_str FROM "
    "zeelos_latest_in ORDER BY gateway, endpoint, path, time DESC, seq DESC" LATEST_SET;
const char *const sink_latest_upsert_one =
    "INSERT INTO zeelos_latest VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)" LATEST_SET;

/* Tables both databases share (types PostgreSQL's; SQLite maps them to its affinities). */
static const char *const schema[] = {
    "CREATE TABLE IF NOT EXISTS zeelos_readings (time timestamptz NOT NULL, gateway text NOT NULL, endpoint text "
    "NOT NULL, path text NOT NULL, object_id integer, instance_id integer, resource_id integer, resource_instance "
    "integer, type text NOT NULL, value_float double precision, value_int bigint, value_bool boolean, value_str "
    "text, kafka_topic text NOT NULL, kafka_partition integer NOT NULL, kafka_offset bigint NOT NULL)",
    "CREATE INDEX IF NOT EXISTS zeelos_readings_series ON zeelos_readings (gateway, endpoint, path, time DESC)",
    "CREATE TABLE IF NOT EXISTS zeelos_latest (gateway text NOT NULL, endpoint text NOT NULL, path text NOT NULL, "
    "object_id integer, instance_id integer, resource_id integer, resource_instance integer, type text NOT NULL, "
    "time timestamptz NOT NULL, value_float double precision, value_int bigint, value_bool boolean, value_str text, "
    "PRIMARY KEY (gateway, endpoint, path))",
    "CREATE INDEX IF NOT EXISTS zeelos_latest_resource ON zeelos_latest (object_id, resource_id)",
    "CREATE TABLE IF NOT EXISTS zeelos_sink_offsets (consumer_group text NOT NULL, topic text NOT NULL, "
    "kafka_partition integer NOT NULL, next_offset bigint NOT NULL, updated_at timestamptz, PRIMARY KEY "
    "(consumer_group, topic, kafka_partition))",
    "CREATE TABLE IF NOT EXISTS zeelos_gateways (gateway text PRIMARY KEY, first_seen timestamptz, last_seen "
    "timestamptz)",
    "CREATE TABLE IF NOT EXISTS zeelos_endpoints (gateway text NOT NULL, endpoint text NOT NULL, registration_id "
    "text, address text, port integer, lifetime bigint, binding text, bnd text, lwm2m_version text, sms text, "
    "root_path text, attributes text, status text NOT NULL, expired boolean NOT NULL DEFAULT false, registered_at "
    "timestamptz, first_seen timestamptz, last_seen timestamptz, PRIMARY KEY (gateway, endpoint))",
    "CREATE TABLE IF NOT EXISTS zeelos_endpoint_objects (gateway text NOT NULL, endpoint text NOT NULL, url text NOT "
    "NULL, object_id integer, instance_id integer, version text, attributes text, PRIMARY KEY (gateway, endpoint, "
    "url))",
    "CREATE TABLE IF NOT EXISTS zeelos_objects (object_id integer PRIMARY KEY, name text NOT NULL, multiple boolean "
    "NOT NULL)",
    "CREATE TABLE IF NOT EXISTS zeelos_resources (object_id integer NOT NULL, resource_id integer NOT NULL, name "
    "text NOT NULL, type text, operations text, multiple boolean NOT NULL, units text, PRIMARY KEY (object_id, "
    "resource_id))",
    "CREATE TABLE IF NOT EXISTS zeelos_registration_events (gateway text NOT NULL, endpoint text NOT NULL, kind "
    "text NOT NULL, time timestamptz NOT NULL, registration_id text, address text, port integer, lifetime bigint, "
    "binding text, expired boolean, kafka_topic text NOT NULL, kafka_partition integer NOT NULL, kafka_offset "
    "bigint NOT NULL)",
    "CREATE INDEX IF NOT EXISTS zeelos_registration_events_ep ON zeelos_registration_events (gateway, endpoint, "
    "time)",
};

/* online / sleeping / offline: offline once deregistered or when the lifetime
 * ran out without an update; sleeping: the gateway said so (its queue-mode
 * UPDATE with queue.state SLEEPING), or a queue-mode device (binding with Q)
 * was not heard from for longer than CoAP's MAX_TRANSMIT_WAIT (93 s). */
static const char *const status_view_pg =
    "CREATE OR REPLACE VIEW zeelos_endpoint_status AS SELECT gateway, endpoint, CASE WHEN status = 'offline' OR "
    "last_seen + lifetime * interval '1 second' < now() THEN 'offline' WHEN status = 'sleeping' OR ((bnd LIKE '%Q%' "
    "OR binding LIKE '%Q%') AND last_seen + interval '93 seconds' < now()) THEN 'sleeping' ELSE 'online' END AS "
    "status, last_seen, lifetime FROM zeelos_endpoints";
static const char *const status_view_sqlite =
    "CREATE VIEW zeelos_endpoint_status AS SELECT gateway, endpoint, CASE WHEN status = 'offline' OR "
    "julianday(last_seen) + lifetime / 86400.0 < julianday('now') THEN 'offline' WHEN status = 'sleeping' OR ((bnd "
    "LIKE '%Q%' OR binding LIKE '%Q%') AND julianday(last_seen) + 93 / 86400.0 < julianday('now')) THEN 'sleeping' "
    "ELSE 'online' END AS status, last_seen, lifetime FROM zeelos_endpoints";

void sink_path_ids(const char *path, int32_t ids[4]) {
    for (int k = 0; k < 4; k++) ids[k] = -1;
    const char *s = path;
    for (int k = 0; k < 4 && s && *s == '/'; k++) {
        s++;
        char *end;
        long v = strtol(s, &end, 10);
        if (end != s && (*end == '/' || *end == 0) && v >= 0 && v <= 65535 && s[0] >= '0' && s[0] <= '9')
            ids[k] = (int32_t)v;
        s = strchr(s, '/');
    }
}

/* ms since the epoch -> "2026-12-04 05:35:55.123+00:00" (both databases read it). */
static const char *fmt_time(int64_t ms, char *buf, size_t n) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t k = strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf + k, n - k, ".%03d+00:00", (int)(ms % 1000));
    return buf;
}

static const char *fmt_int(int64_t v, char *buf, size_t n) {
    snprintf(buf, n, "%lld", (long long)v);
    return buf;
}

static const char *fmt_id(int32_t v, char *buf, size_t n) { return v < 0 ? NULL : fmt_int(v, buf, n); }

static zl_err_t run(sql_t *q, const char *sql, int np, const char *const *p, char *errstr, size_t n) {
    return q->db->ops->exec(q->db, sql, np, p, NULL, NULL, errstr, n);
}

/* ---- set-up ---------------------------------------------------------------- */

static zl_err_t load_models(sql_t *q, char *errstr, size_t n) {
    zl_models_t *models = zl_models_new();
    if (!models) return ZL_ERR_NOMEM;
    zl_err_t e = ZL_OK;
    if (q->c->models_dir && q->c->models_dir[0] &&
        (e = zl_models_load_dir(models, q->c->models_dir, errstr, n)))
        goto out;
    static const char *const tnames[] = {"STRING", "FLOAT", "INTEGER", "BOOLEAN", "OPAQUE", "TIME", "OBJLNK", NULL};
    for (uint32_t oid = 0; oid <= 65535 && !e; oid++) {
        const zl_obj_model_t *o = zl_models_object(models, (uint16_t)oid);
        if (!o) continue;
        char id[16], rid[16];
        fmt_int(oid, id, sizeof id);
        const char *po[] = {id, o->name, o->multiple ? "1" : "0"};
        e = run(q, "INSERT INTO zeelos_objects VALUES ($1, $2, $3) ON CONFLICT (object_id) DO UPDATE SET name = "
                   "excluded.name, multiple = excluded.multiple", 3, po, errstr, n);
        for (unsigned i = 0; i < o->n_res && !e; i++) {
            const zl_res_model_t *r = &o->res[i];
            fmt_int(r->id, rid, sizeof rid);
            const char *pr[] = {id, rid, r->name, r->type < ZL_T_NONE ? tnames[r->type] : NULL, r->ops,
                                r->multiple ? "1" : "0"};
            e = run(q, "INSERT INTO zeelos_resources VALUES ($1, $2, $3, $4, $5, $6, NULL) ON CONFLICT (object_id, "
                       "resource_id) DO UPDATE SET name = excluded.name, type = excluded.type, operations = "
                       "excluded.operations, multiple = excluded.multiple", 6, pr, errstr, n);
        }
    }
out:
    zl_models_destroy(models);
    return e;
}

static zl_err_t create_schema(sql_t *q, char *errstr, size_t n) {
    zl_err_t e = run(q, "BEGIN", 0, NULL, errstr, n);
    for (size_t i = 0; i < sizeof schema / sizeof schema[0] && !e; i++) e = run(q, schema[i], 0, NULL, errstr, n);
    if (!e && !q->db->ops->postgres) /* SQLite cannot replace a view: an older file gets today's */
        e = run(q, "DROP VIEW IF EXISTS zeelos_endpoint_status", 0, NULL, errstr, n);
    if (!e) e = run(q, q->db->ops->postgres ? status_view_pg : status_view_sqlite, 0, NULL, errstr, n);
    if (!e) e = load_models(q, errstr, n);
    if (!e) e = run(q, "COMMIT", 0, NULL, errstr, n);
    if (e) {
        char ignore[64];
        run(q, "ROLLBACK", 0, NULL, ignore, sizeof ignore);
    }
    return e;
}

/* ---- the unit of a batch ------------------------------------------------------ */

static bool sql_fits(sink_store_t *st, const zl_observe_t *o, char *why, size_t n) {
    (void)st;
    for (size_t i = 0; i < o->n_points; i++) {
        const zl_point_t *p = &o->points[i];
        if (p->kind == ZL_PV_STRING && (memchr(p->s, 0, p->s_len) || !zl_utf8_valid(p->s, p->s_len))) {
            snprintf(why, n, "%s: a string value with a NUL byte or invalid UTF-8 cannot be stored as text", p->path);
            return false;
        }
    }
    return true;
}

static zl_err_t sql_begin(sink_store_t *st, const zl_sub_pos_t *pos, size_t n_pos, int64_t *next, char *errstr,
                          size_t n) {
    sql_t *q = (sql_t *)st;
    zl_err_t e = q->db->ops->ensure(q->db, errstr, n);
    if (e) return e;
    q->db->ops->bulk_reset(q->db);
    sink_latest_reset(&q->latest);
    q->latest_seq = 0;
    if ((e = run(q, q->db->ops->postgres ? "BEGIN" : "BEGIN IMMEDIATE", 0, NULL, errstr, n))) return e;
    q->in_txn = true;
    /* lock in one order (topic, partition), so two sinks never deadlock */
    size_t order[n_pos ? n_pos : 1];
    for (size_t i = 0; i < n_pos; i++) {
        size_t k = i;
        while (k > 0) {
            const zl_sub_pos_t *a = &pos[order[k - 1]];
            int c = strcmp(a->topic, pos[i].topic);
            if (c < 0 || (c == 0 && a->partition < pos[i].partition)) break;
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    char part[16], now[40];
    fmt_time(zl_wall_ms(), now, sizeof now);
    for (size_t j = 0; j < n_pos && !e; j++) {
        const zl_sub_pos_t *p = &pos[order[j]];
        const char *params[] = {q->group, p->topic, fmt_int(p->partition, part, sizeof part), now};
        e = run(q, "INSERT INTO zeelos_sink_offsets VALUES ($1, $2, $3, 0, $4) ON CONFLICT DO NOTHING", 4, params,
                errstr, n);
        bool found = false;
        next[order[j]] = -1;
        if (!e)
            e = q->db->ops->exec(q->db,
                                 q->db->ops->postgres
                                     ? "SELECT next_offset FROM zeelos_sink_offsets WHERE consumer_group = $1 AND "
                                       "topic = $2 AND kafka_partition = $3 FOR UPDATE"
                                     : "SELECT next_offset FROM zeelos_sink_offsets WHERE consumer_group = $1 AND "
                                       "topic = $2 AND kafka_partition = $3",
                                 3, params, &next[order[j]], &found, errstr, n);
    }
    return e;
}

static zl_err_t sql_add_observe(sink_store_t *st, const sink_batch_t *b, const sink_rec_t *r, const zl_observe_t *o,
                                char *errstr, size_t n) {
    sql_t *q = (sql_t *)st;
    char t[40], ids[4][16], fl[40], in[24], part[16], off[24], seq[24];
    fmt_time(o->timestamp > 0 ? o->timestamp : r->ts_ms, t, sizeof t);
    fmt_int(r->partition, part, sizeof part);
    fmt_int(r->offset, off, sizeof off);
    zl_err_t e = ZL_OK;
    for (size_t i = 0; i < o->n_points && !e; i++) {
        const zl_point_t *p = &o->points[i];
        int32_t id[4];
        sink_path_ids(p->path, id);
        const char *vf = NULL, *vi = NULL, *vb = NULL, *vs = NULL;
        char *str = NULL;
        switch (p->kind) {
        case ZL_PV_DOUBLE:
            if (p->d != p->d) vf = "NaN";
            else if (p->d > 1e308 || p->d < -1e308) vf = p->d > 0 ? "Infinity" : "-Infinity";
            else snprintf(fl, sizeof fl, "%.*g", zl_double_precision(p->d), p->d), vf = fl;
            break;
        case ZL_PV_LONG: vi = fmt_int(p->l, in, sizeof in); break;
        case ZL_PV_BOOLEAN: vb = p->b ? "1" : "0"; break;
        case ZL_PV_STRING:
            if (!(str = strndup(p->s, p->s_len))) return ZL_ERR_NOMEM;
            vs = str;
            break;
        }
        const char *row[SINK_READING_COLS] = {t, o->server_id, o->ep, p->path,
                                              fmt_id(id[0], ids[0], 16), fmt_id(id[1], ids[1], 16),
                                              fmt_id(id[2], ids[2], 16), fmt_id(id[3], ids[3], 16), p->type,
                                              vf, vi, vb, vs, sink_rec_topic(b, r), part, off};
        e = q->db->ops->bulk_add(q->db, SINK_BULK_READINGS, row, errstr, n);
        const char *latest[SINK_LATEST_COLS] = {o->server_id, o->ep, p->path, row[4], row[5], row[6], row[7],
                                                p->type, t, vf, vi, vb, vs,
                                                fmt_int((int64_t)q->latest_seq++, seq, sizeof seq)};
        if (!e && sink_latest_put(&q->latest, latest)) e = ZL_ERR_NOMEM;
        free(str);
    }
    return e;
}

static char *json_of(const zl_kv_t *kv, size_t n_kv) {
    json_t *o = json_object();
    for (size_t i = 0; i < n_kv; i++) json_object_set_new(o, kv[i].name, json_string(kv[i].value ? kv[i].value : ""));
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

static zl_err_t put_links(sql_t *q, const zl_registration_t *g, char *errstr, size_t n) {
    const char *pk[] = {g->server_id, g->ep};
    zl_err_t e = run(q, "DELETE FROM zeelos_endpoint_objects WHERE gateway = $1 AND endpoint = $2", 2, pk, errstr, n);
    for (size_t i = 0; i < g->n_links && !e; i++) {
        const zl_reg_link_t *l = &g->links[i];
        int32_t id[4];
        char o[16], in[16];
        sink_path_ids(l->url, id);
        const char *ver = NULL;
        for (size_t k = 0; k < l->n_at; k++)
            if (!strcmp(l->at[k].name, "ver")) ver = l->at[k].value;
        char *at = json_of(l->at, l->n_at);
        const char *p[] = {g->server_id, g->ep, l->url, fmt_id(id[0], o, sizeof o), fmt_id(id[1], in, sizeof in), ver,
                           at};
        e = run(q, "INSERT INTO zeelos_endpoint_objects VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING", 7,
                p, errstr, n);
        free(at);
    }
    return e;
}

static zl_err_t sql_add_registration(sink_store_t *st, const sink_batch_t *b, const sink_rec_t *r,
                                     const zl_registration_t *g, char *errstr, size_t n) {
    sql_t *q = (sql_t *)st;
    static const char *const kinds[] = {"NEW", "UPDATE", "DELETE"};
    char t[40], reg[40], port[16], lt[24], part[16], off[24];
    fmt_time(g->last_up > 0 ? g->last_up : r->ts_ms, t, sizeof t);
    const char *gw[] = {g->server_id, t};
    zl_err_t e = run(q, "INSERT INTO zeelos_gateways VALUES ($1, $2, $2) ON CONFLICT (gateway) DO UPDATE SET "
                        "last_seen = excluded.last_seen WHERE excluded.last_seen > zeelos_gateways.last_seen",
                     2, gw, errstr, n);
    const char *qstate = NULL; /* the gateway's queue-mode UPDATE: {"queue.state": SLEEPING|AWAKE} */
    for (size_t i = 0; g->kind == ZL_REG_UPDATE && i < g->n_attrs; i++)
        if (!strcmp(g->attrs[i].name, "queue.state")) qstate = g->attrs[i].value;
    if (!e && qstate) {
        const char *p[] = {g->server_id, g->ep, !strcmp(qstate, "SLEEPING") ? "sleeping" : "online", t};
        e = run(q, "UPDATE zeelos_endpoints SET status = $3, last_seen = $4 WHERE gateway = $1 AND endpoint = $2 AND "
                   "status <> 'offline'", 4, p, errstr, n);
        const char *ev[] = {g->server_id, g->ep, !strcmp(qstate, "SLEEPING") ? "SLEEPING" : "AWAKE", t,
                            sink_rec_topic(b, r), fmt_int(r->partition, part, sizeof part),
                            fmt_int(r->offset, off, sizeof off)};
        if (!e)
            e = run(q, "INSERT INTO zeelos_registration_events (gateway, endpoint, kind, time, kafka_topic, "
                       "kafka_partition, kafka_offset) VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, ev, errstr, n);
        return e;
    }
    const char *ptxt = g->kind == ZL_REG_DELETE ? NULL : fmt_int(g->port, port, sizeof port);
    const char *lttxt = g->has_lt ? fmt_int(g->lt, lt, sizeof lt) : NULL;
    const char *binding = g->binding ? g->binding : g->bnd;
    if (!e && g->kind == ZL_REG_NEW) {
        char *attrs = json_of(g->attrs, g->n_attrs);
        fmt_time(g->reg_date > 0 ? g->reg_date : g->last_up, reg, sizeof reg);
        const char *p[] = {g->server_id, g->ep, g->reg_id, g->address, ptxt, lttxt, binding, g->bnd, g->ver, g->sms,
                           g->root, attrs, reg, t};
        e = run(q, "INSERT INTO zeelos_endpoints VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'online', "
                   "false, $13, $14, $14) ON CONFLICT (gateway, endpoint) DO UPDATE SET registration_id = "
                   "excluded.registration_id, address = excluded.address, port = excluded.port, lifetime = "
                   "excluded.lifetime, binding = excluded.binding, bnd = excluded.bnd, lwm2m_version = "
                   "excluded.lwm2m_version, sms = excluded.sms, root_path = excluded.root_path, attributes = "
                   "excluded.attributes, status = 'online', expired = false, registered_at = excluded.registered_at, "
                   "last_seen = excluded.last_seen",
                14, p, errstr, n);
        free(attrs);
        if (!e) e = put_links(q, g, errstr, n);
    } else if (!e && g->kind == ZL_REG_UPDATE) {
        char *attrs = g->has_attrs ? json_of(g->attrs, g->n_attrs) : NULL;
        const char *p[] = {g->server_id, g->ep, g->reg_id, g->address, ptxt, lttxt, binding, g->bnd, g->sms, attrs, t};
        e = run(q, "INSERT INTO zeelos_endpoints (gateway, endpoint, registration_id, address, port, lifetime, binding, "
                   "bnd, sms, attributes, status, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                   "$10, 'online', $11, $11) ON CONFLICT (gateway, endpoint) DO UPDATE SET registration_id = "
                   "excluded.registration_id, address = excluded.address, port = excluded.port, lifetime = "
                   "COALESCE(excluded.lifetime, zeelos_endpoints.lifetime), binding = COALESCE(excluded.binding, "
                   "zeelos_endpoints.binding), bnd = COALESCE(excluded.bnd, zeelos_endpoints.bnd), sms = "
                   "COALESCE(excluded.sms, zeelos_endpoints.sms), attributes = COALESCE(excluded.attributes, "
                   "zeelos_endpoints.attributes), status = 'online', expired = false, last_seen = excluded.last_seen",
                11, p, errstr, n);
        free(attrs);
        if (!e && g->has_links) e = put_links(q, g, errstr, n);
    } else if (!e) {
        const char *p[] = {g->server_id, g->ep, g->expired ? "1" : "0", t};
        e = run(q, "INSERT INTO zeelos_endpoints (gateway, endpoint, status, expired, first_seen, last_seen) VALUES "
                   "($1, $2, 'offline', $3, $4, $4) ON CONFLICT (gateway, endpoint) DO UPDATE SET status = 'offline', "
                   "expired = excluded.expired, last_seen = excluded.last_seen",
                4, p, errstr, n);
    }
    if (!e) {
        const char *p[] = {g->server_id, g->ep, kinds[g->kind], t, g->reg_id, g->address, ptxt, lttxt, binding,
                           g->kind == ZL_REG_DELETE ? (g->expired ? "1" : "0") : NULL, sink_rec_topic(b, r),
                           fmt_int(r->partition, part, sizeof part), fmt_int(r->offset, off, sizeof off)};
        e = run(q, "INSERT INTO zeelos_registration_events VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
                   "$13)", 13, p, errstr, n);
    }
    return e;
}

typedef struct {
    sql_t *q;
    char *errstr;
    size_t n;
} latest_ctx_t;

static zl_err_t stage_latest(void *ctx, const char *const *vals) {
    latest_ctx_t *c = ctx;
    return c->q->db->ops->bulk_add(c->q->db, SINK_BULK_LATEST, vals, c->errstr, c->n);
}

static zl_err_t sql_commit(sink_store_t *st, const zl_sub_pos_t *pos, size_t n_pos, char *errstr, size_t n) {
    sql_t *q = (sql_t *)st;
    latest_ctx_t lc = {q, errstr, n};
    zl_err_t e = sink_latest_each(&q->latest, stage_latest, &lc);
    if (!e) e = q->db->ops->bulk_flush(q->db, SINK_BULK_READINGS, errstr, n);
    if (!e) e = q->db->ops->bulk_flush(q->db, SINK_BULK_LATEST, errstr, n);
    char part[16], off[24], now[40];
    fmt_time(zl_wall_ms(), now, sizeof now);
    for (size_t i = 0; i < n_pos && !e; i++) {
        const char *p[] = {q->group, pos[i].topic, fmt_int(pos[i].partition, part, sizeof part),
                           fmt_int(pos[i].next_offset, off, sizeof off), now};
        e = run(q, "UPDATE zeelos_sink_offsets SET next_offset = $4, updated_at = $5 WHERE consumer_group = $1 AND "
                   "topic = $2 AND kafka_partition = $3 AND next_offset < $4", 5, p, errstr, n);
    }
    if (!e) e = run(q, "COMMIT", 0, NULL, errstr, n);
    if (!e) q->in_txn = false;
    return e;
}

static void sql_abort(sink_store_t *st) {
    sql_t *q = (sql_t *)st;
    q->db->ops->bulk_reset(q->db);
    sink_latest_reset(&q->latest);
    if (!q->in_txn) return;
    char ignore[128];
    run(q, "ROLLBACK", 0, NULL, ignore, sizeof ignore);
    q->in_txn = false;
}

static void sql_close(sink_store_t *st) {
    sql_t *q = (sql_t *)st;
    if (q->db) q->db->ops->close(q->db);
    sink_latest_free(&q->latest);
    free(q->group);
    free(q);
}

static const sink_store_ops_t sql_ops = {
    .name = NULL, /* set from the driver */
    .fits = sql_fits,
    .begin = sql_begin,
    .add_observe = sql_add_observe,
    .add_registration = sql_add_registration,
    .commit = sql_commit,
    .abort = sql_abort,
    .close = sql_close,
};

typedef struct {
    sql_t q;
    sink_store_ops_t ops; /* sql_ops named after the driver */
} sql_store_t;

zl_err_t sink_sql_open(const zl_sink_conf_t *c, const char *group, sink_store_t **out, char *errstr, size_t n) {
    sql_store_t *s = calloc(1, sizeof *s);
    if (!s || !(s->q.group = strdup(group))) {
        free(s);
        return ZL_ERR_NOMEM;
    }
    s->ops = sql_ops;
    s->q.base.ops = &s->ops;
    if (sink_latest_init(&s->q.latest)) {
        sql_close(&s->q.base);
        return ZL_ERR_NOMEM;
    }
    s->q.c = c;
    zl_err_t e = c->store == ZL_SINK_POSTGRESQL ? sink_pg_open(c, &s->q.db, errstr, n)
                                                : sink_sqlite_open(c, &s->q.db, errstr, n);
    if (!e) {
        s->ops.name = s->q.db->ops->name;
        e = create_schema(&s->q, errstr, n);
    }
    if (e) {
        sql_close(&s->q.base);
        return e;
    }
    ZL_INFO("sink", "%s ready (tables created or found, object models loaded)", s->ops.name);
    *out = &s->q.base;
    return ZL_OK;
}
