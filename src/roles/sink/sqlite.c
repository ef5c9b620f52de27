/* SPDX-License-Identifier: Apache-2.0 */
/* The SQLite driver of the SQL store (sql_int.h): the embedded default.
 *
 * Statements are prepared once and cached by their text (sql.c passes the
 * same string constants every time); parameters are bound by name ("$4"),
 * so a statement may use them in any order, as PostgreSQL allows.  WAL mode
 * with synchronous=FULL: a committed batch survives a crash of the process
 * and of the machine. */
#include "roles/sink/sql_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/array.h"

typedef struct {
    const char *sql; /* the caller's constant (compared by address, then text) */
    sqlite3_stmt *st;
} cached_t;

typedef struct {
    sink_db_t base;
    sqlite3 *db;
    cached_t *cache;
    size_t n_cache, cap_cache;
    char *insert_reading;
} lite_t;

static zl_err_t lite_err(lite_t *l, int rc, const char *what, char *errstr, size_t n) {
    snprintf(errstr, n, "SQLite %s: %s", what, sqlite3_errmsg(l->db));
    int base = rc & 0xff;
    if (base == SQLITE_CONSTRAINT || base == SQLITE_MISMATCH || base == SQLITE_TOOBIG || base == SQLITE_RANGE)
        return ZL_ERR_INVALID;
    return ZL_ERR_IO; /* busy, locked, full disk, I/O: may pass */
}

static sqlite3_stmt *prepare(lite_t *l, const char *sql, char *errstr, size_t n) {
    for (size_t i = 0; i < l->n_cache; i++)
        if (l->cache[i].sql == sql) {
            sqlite3_reset(l->cache[i].st);
            sqlite3_clear_bindings(l->cache[i].st);
            return l->cache[i].st;
        }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(errstr, n, "SQLite prepare: %s", sqlite3_errmsg(l->db));
        return NULL;
    }
    if (ZL_ARRAY_RESERVE(&l->cache, &l->cap_cache, l->n_cache + 1, 16)) {
        sqlite3_finalize(st);
        return NULL;
    }
    l->cache[l->n_cache++] = (cached_t){sql, st};
    return st;
}

static zl_err_t lite_exec(sink_db_t *db, const char *sql, int np, const char *const *params, int64_t *out,
                          bool *found, char *errstr, size_t n) {
    lite_t *l = (lite_t *)db;
    sqlite3_stmt *st = prepare(l, sql, errstr, n);
    if (!st) return ZL_ERR_IO;
    for (int i = 0; i < np; i++) {
        char name[16];
        snprintf(name, sizeof name, "$%d", i + 1);
        int idx = sqlite3_bind_parameter_index(st, name);
        if (idx > 0 && params[i]) sqlite3_bind_text(st, idx, params[i], -1, SQLITE_TRANSIENT);
    }
    if (found) *found = false;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (out && !*found && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            *out = sqlite3_column_int64(st, 0);
            *found = true;
        }
    zl_err_t e = rc == SQLITE_DONE ? ZL_OK : lite_err(l, rc, "statement", errstr, n);
    sqlite3_reset(st);
    return e;
}

/* In-process: a row is written at once (inside the batch's transaction). */
static zl_err_t lite_bulk_add(sink_db_t *db, sink_bulk_t t, const char *const *vals, char *errstr, size_t n) {
    lite_t *l = (lite_t *)db;
    if (t == SINK_BULK_READINGS) return lite_exec(db, l->insert_reading, SINK_READING_COLS, vals, NULL, NULL, errstr, n);
    return lite_exec(db, sink_latest_upsert_one, SINK_LATEST_COLS - 1, vals, NULL, NULL, errstr, n);
}

static zl_err_t lite_bulk_flush(sink_db_t *db, sink_bulk_t t, char *errstr, size_t n) {
    (void)db;
    (void)t;
    (void)errstr;
    (void)n;
    return ZL_OK;
}

static void lite_bulk_reset(sink_db_t *db) { (void)db; }

static zl_err_t lite_ensure(sink_db_t *db, char *errstr, size_t n) {
    (void)db;
    (void)errstr;
    (void)n;
    return ZL_OK;
}

static void lite_close(sink_db_t *db) {
    lite_t *l = (lite_t *)db;
    for (size_t i = 0; i < l->n_cache; i++) sqlite3_finalize(l->cache[i].st);
    free(l->cache);
    if (l->db) sqlite3_close(l->db);
    free(l->insert_reading);
    free(l);
}

static const sink_db_ops_t lite_ops = {
    .name = "SQLite",
    .postgres = false,
    .exec = lite_exec,
    .bulk_add = lite_bulk_add,
    .bulk_flush = lite_bulk_flush,
    .bulk_reset = lite_bulk_reset,
    .ensure = lite_ensure,
    .close = lite_close,
};

zl_err_t sink_sqlite_open(const zl_sink_conf_t *c, sink_db_t **out, char *errstr, size_t n) {
    lite_t *l = calloc(1, sizeof *l);
    if (!l) return ZL_ERR_NOMEM;
    l->base.ops = &lite_ops;
    char sql[512];
    snprintf(sql, sizeof sql, "INSERT INTO zeelos_readings (%s) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
             "$12, $13, $14, $15, $16)", sink_reading_cols);
    l->insert_reading = strdup(sql);
    if (sqlite3_open_v2(c->sqlite_path, &l->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        snprintf(errstr, n, "cannot open SQLite database %s: %s", c->sqlite_path,
                 l->db ? sqlite3_errmsg(l->db) : "out of memory");
        lite_close(&l->base);
        return ZL_ERR_INVALID;
    }
    sqlite3_busy_timeout(l->db, (int)c->timeout_ms);
    char *err = NULL;
    if (sqlite3_exec(l->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, &err) != SQLITE_OK) {
        snprintf(errstr, n, "SQLite %s: %s", c->sqlite_path, err ? err : "PRAGMA failed");
        sqlite3_free(err);
        lite_close(&l->base);
        return ZL_ERR_IO;
    }
    *out = &l->base;
    return ZL_OK;
}
