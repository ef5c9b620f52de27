/* SPDX-License-Identifier: Apache-2.0 */
/* The PostgreSQL driver of the SQL store (sql_int.h), on libpq.
 *
 * Why COPY: a batch's readings go in with one COPY ... FROM STDIN, rows as
 * text in one buffer - an order of magnitude faster than INSERTs.  The
 * latest values go through a temporary table (COPY) and one INSERT ...
 * SELECT DISTINCT ON ... ON CONFLICT, so a batch costs a fixed number of
 * round trips whatever its size. */
#include "roles/sink/sql_int.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/buf.h"
#include "common/log.h"

typedef struct {
    sink_db_t base;
    const zl_sink_conf_t *c;
    PGconn *conn;
    zl_buf_t rows[2];
    size_t n_rows[2];
    bool copying;  /* a COPY into zeelos_readings is open: rows stream as they come */
} pg_t;

#define STREAM_CHUNK 65536 /* rows are sent once this much is staged */

/* IO unless the server said the data is wrong (SQLSTATE class 22 or 23). */
static zl_err_t pg_err(pg_t *p, const PGresult *r, const char *what, char *errstr, size_t n) {
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(p->conn);
    snprintf(errstr, n, "%s: %s%s%s", what, state ? state : "", state ? " " : "", msg && msg[0] ? msg : "no answer");
    size_t len = strlen(errstr);
    while (len && (errstr[len - 1] == '\n' || errstr[len - 1] == ' ')) errstr[--len] = 0;
    if (PQstatus(p->conn) != CONNECTION_OK) return ZL_ERR_IO;
    if (state && (!strncmp(state, "22", 2) || !strncmp(state, "23", 2))) return ZL_ERR_INVALID;
    return ZL_ERR_IO;
}

static zl_err_t copy_start(pg_t *p, const char *table, const char *cols, char *errstr, size_t n);
static zl_err_t copy_send(pg_t *p, zl_buf_t *rows, char *errstr, size_t n);
static zl_err_t copy_end(pg_t *p, char *errstr, size_t n);

static zl_err_t pg_exec(sink_db_t *db, const char *sql, int np, const char *const *params, int64_t *out, bool *found,
                        char *errstr, size_t n) {
    pg_t *p = (pg_t *)db;
    if (p->copying) { /* a statement between readings (a registration): the COPY so far ends first */
        zl_err_t e = copy_end(p, errstr, n);
        if (e) return e;
    }
    PGresult *r = PQexecParams(p->conn, sql, np, NULL, params, NULL, NULL, 0);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    zl_err_t e = ZL_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        e = pg_err(p, r, "PostgreSQL", errstr, n);
    } else if (out) {
        *found = PQntuples(r) > 0 && !PQgetisnull(r, 0, 0);
        if (*found) *out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    }
    PQclear(r);
    return e;
}

/* COPY text format: \N for NULL, backslash escapes for the separators. */
static zl_err_t pg_bulk_add(sink_db_t *db, sink_bulk_t t, const char *const *vals, char *errstr, size_t n) {
    pg_t *p = (pg_t *)db;
    zl_buf_t *b = &p->rows[t];
    int cols = t == SINK_BULK_READINGS ? SINK_READING_COLS : SINK_LATEST_COLS;
    for (int i = 0; i < cols; i++) {
        if (i) zl_buf_putc(b, '\t');
        if (!vals[i]) {
            zl_buf_append(b, "\\N", 2);
            continue;
        }
        for (const char *s = vals[i]; *s; s++) {
            switch (*s) {
            case '\\': zl_buf_append(b, "\\\\", 2); break;
            case '\t': zl_buf_append(b, "\\t", 2); break;
            case '\n': zl_buf_append(b, "\\n", 2); break;
            case '\r': zl_buf_append(b, "\\r", 2); break;
            default: zl_buf_putc(b, (uint8_t)*s);
            }
        }
    }
    if (zl_buf_putc(b, '\n')) return ZL_ERR_NOMEM;
    p->n_rows[t]++;
    if (t != SINK_BULK_READINGS || b->len < STREAM_CHUNK) return ZL_OK;
    /* the server inserts this chunk while the writer decodes the next records */
    zl_err_t e = p->copying ? ZL_OK : copy_start(p, "zeelos_readings", sink_reading_cols, errstr, n);
    if (e) return e;
    p->copying = true;
    return copy_send(p, b, errstr, n);
}

static zl_err_t copy_start(pg_t *p, const char *table, const char *cols, char *errstr, size_t n) {
    char sql[512];
    snprintf(sql, sizeof sql, "COPY %s (%s) FROM STDIN", table, cols);
    PGresult *r = PQexec(p->conn, sql);
    if (!r || PQresultStatus(r) != PGRES_COPY_IN) {
        zl_err_t e = pg_err(p, r, "COPY", errstr, n);
        PQclear(r);
        return e;
    }
    PQclear(r);
    return ZL_OK;
}

static zl_err_t copy_send(pg_t *p, zl_buf_t *rows, char *errstr, size_t n) {
    if (rows->len && PQputCopyData(p->conn, (const char *)rows->data, (int)rows->len) != 1)
        return pg_err(p, NULL, "COPY", errstr, n);
    zl_buf_reset(rows);
    return ZL_OK;
}

/* Ends the COPY in progress (the readings') and collects its result. */
static zl_err_t copy_finish(pg_t *p, zl_buf_t *rows, char *errstr, size_t n) {
    zl_err_t e = copy_send(p, rows, errstr, n);
    if (PQputCopyEnd(p->conn, NULL) != 1 && !e) e = pg_err(p, NULL, "COPY", errstr, n);
    PGresult *r;
    while ((r = PQgetResult(p->conn))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && !e) e = pg_err(p, r, "COPY", errstr, n);
        PQclear(r);
    }
    return e;
}

static zl_err_t copy_end(pg_t *p, char *errstr, size_t n) {
    p->copying = false;
    return copy_finish(p, &p->rows[SINK_BULK_READINGS], errstr, n);
}

static zl_err_t pg_bulk_flush(sink_db_t *db, sink_bulk_t t, char *errstr, size_t n) {
    pg_t *p = (pg_t *)db;
    zl_err_t e;
    if (t == SINK_BULK_READINGS) {
        if (p->copying) return copy_end(p, errstr, n);
        if (!p->rows[t].len) return ZL_OK;
        if ((e = copy_start(p, "zeelos_readings", sink_reading_cols, errstr, n))) return e;
        return copy_finish(p, &p->rows[t], errstr, n);
    }
    if (!p->n_rows[t]) return ZL_OK;
    /* every time: a rolled-back transaction takes a table it created with it */
    e = pg_exec(db, "CREATE TEMPORARY TABLE IF NOT EXISTS zeelos_latest_in (LIKE zeelos_latest, seq bigint) "
                    "ON COMMIT DELETE ROWS", 0, NULL, NULL, NULL, errstr, n);
    if (!e) e = copy_start(p, "zeelos_latest_in", sink_latest_cols, errstr, n);
    if (!e) e = copy_finish(p, &p->rows[t], errstr, n);
    if (!e) e = pg_exec(db, sink_latest_upsert_pg, 0, NULL, NULL, NULL, errstr, n);
    return e;
}

static void pg_bulk_reset(sink_db_t *db) {
    pg_t *p = (pg_t *)db;
    if (p->copying) { /* an abandoned unit: fail the COPY, the ROLLBACK follows */
        PQputCopyEnd(p->conn, "batch abandoned");
        PGresult *r;
        while ((r = PQgetResult(p->conn))) PQclear(r);
        p->copying = false;
    }
    for (int i = 0; i < 2; i++) {
        zl_buf_reset(&p->rows[i]);
        p->n_rows[i] = 0;
    }
}

static void quiet(void *ctx, const char *msg) {
    (void)ctx;
    (void)msg;
}

static zl_err_t pg_connect(pg_t *p, char *errstr, size_t n) {
    char timeout[24];
    snprintf(timeout, sizeof timeout, "%lld", (long long)(p->c->timeout_ms + 999) / 1000);
    const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
    const char *vals[] = {p->c->pg_url, timeout, "zeelos-sink", NULL};
    if (p->conn) PQfinish(p->conn);
    p->conn = PQconnectdbParams(keys, vals, 1);
    if (!p->conn) return ZL_ERR_NOMEM;
    if (PQstatus(p->conn) != CONNECTION_OK) {
        snprintf(errstr, n, "cannot connect to PostgreSQL: %s", PQerrorMessage(p->conn));
        size_t len = strlen(errstr);
        while (len && errstr[len - 1] == '\n') errstr[--len] = 0;
        return ZL_ERR_IO;
    }
    PQsetNoticeProcessor(p->conn, quiet, NULL); /* "already exists, skipping" is not news */
    /* a statement that hangs (a frozen server, a lock) fails instead of holding the batch forever */
    char sql[64];
    snprintf(sql, sizeof sql, "SET statement_timeout = %lld", (long long)p->c->timeout_ms);
    return pg_exec(&p->base, sql, 0, NULL, NULL, NULL, errstr, n);
}

static zl_err_t pg_ensure(sink_db_t *db, char *errstr, size_t n) {
    pg_t *p = (pg_t *)db;
    if (p->conn && PQstatus(p->conn) == CONNECTION_OK) return ZL_OK;
    return pg_connect(p, errstr, n);
}

static void pg_close(sink_db_t *db) {
    pg_t *p = (pg_t *)db;
    if (p->conn) PQfinish(p->conn);
    for (int i = 0; i < 2; i++) zl_buf_free(&p->rows[i]);
    free(p);
}

static const sink_db_ops_t pg_ops = {
    .name = "PostgreSQL",
    .postgres = true,
    .exec = pg_exec,
    .bulk_add = pg_bulk_add,
    .bulk_flush = pg_bulk_flush,
    .bulk_reset = pg_bulk_reset,
    .ensure = pg_ensure,
    .close = pg_close,
};

zl_err_t sink_pg_open(const zl_sink_conf_t *c, sink_db_t **out, char *errstr, size_t n) {
    pg_t *p = calloc(1, sizeof *p);
    if (!p) return ZL_ERR_NOMEM;
    p->base.ops = &pg_ops;
    p->c = c;
    for (int i = 0; i < 2; i++) zl_buf_init(&p->rows[i], 0);
    zl_err_t e = pg_connect(p, errstr, n);
    if (e) {
        pg_close(&p->base);
        return e;
    }
    *out = &p->base;
    return ZL_OK;
}
