/* SPDX-License-Identifier: Apache-2.0 */
/* Private to roles/sink: the two SQL databases behind one store (sql.c).
 *
 * sql.c owns the tables, the positions and the asset model and speaks SQL
 * both PostgreSQL and SQLite understand ($1.. parameters in order of first
 * use, ON CONFLICT upserts, text parameters); a driver only executes
 * statements and loads rows in bulk (PostgreSQL: COPY; SQLite: a prepared
 * INSERT per row - in-process, as fast). */
#ifndef ZL_SINK_SQL_INT_H
#define ZL_SINK_SQL_INT_H

#include <stdbool.h>
#include <stdint.h>
#include "roles/sink/sink_int.h"

typedef struct sink_db sink_db_t;

/* Bulk targets. */
typedef enum { SINK_BULK_READINGS = 0, SINK_BULK_LATEST = 1 } sink_bulk_t;
#define SINK_READING_COLS 16
#define SINK_LATEST_COLS 14 /* the last is the order within the batch */

typedef struct {
    const char *name;
    bool postgres;         /* dialect: FOR UPDATE, views */
    /* Runs sql with params (NULL = SQL NULL).  If out is set, the first
     * column of the first row goes there (*found says whether a row came).
     * Errors: ZL_ERR_IO (connection, server going down: retry), ZL_ERR_INVALID
     * (the data was refused). */
    zl_err_t (*exec)(sink_db_t *db, const char *sql, int n_params, const char *const *params, int64_t *out,
                     bool *found, char *errstr, size_t n);
    /* Stages one row for target. */
    zl_err_t (*bulk_add)(sink_db_t *db, sink_bulk_t target, const char *const *vals, char *errstr, size_t n);
    /* Writes the staged rows of target (inside the open transaction). */
    zl_err_t (*bulk_flush)(sink_db_t *db, sink_bulk_t target, char *errstr, size_t n);
    void (*bulk_reset)(sink_db_t *db);
    /* Re-establishes a lost connection (ZL_ERR_IO while it cannot). */
    zl_err_t (*ensure)(sink_db_t *db, char *errstr, size_t n);
    void (*close)(sink_db_t *db);
} sink_db_ops_t;

struct sink_db {
    const sink_db_ops_t *ops;
};

/* The column lists of the bulk targets, in vals order. */
extern const char *const sink_reading_cols;
extern const char *const sink_latest_cols;
/* The statement that merges a batch's latest rows (PostgreSQL: from the
 * temporary table zeelos_latest_in; SQLite: one row, $1..$13). */
extern const char *const sink_latest_upsert_pg;
extern const char *const sink_latest_upsert_one;

zl_err_t sink_pg_open(const zl_sink_conf_t *c, sink_db_t **out, char *errstr, size_t n);
zl_err_t sink_sqlite_open(const zl_sink_conf_t *c, sink_db_t **out, char *errstr, size_t n);

#endif
