/* SPDX-License-Identifier: Apache-2.0 */
/* SQLite persistence. Prepared statements are created once; writes batch into
 * one transaction per loop turn, which is what lets registration bursts reach
 * tens of thousands per second without an fsync each.  WAL checkpoints (the
 * only fsyncs of synchronous=NORMAL, 3-20 ms each here) run on a thread of
 * their own with its own connection, never on the loop thread. */
#include "store/store.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { ST_PUT_REG, ST_DEL_REG, ST_DEL_REG_OBS, ST_PUT_OBS, ST_DEL_OBS, ST_PUT_Q, ST_DEL_Q, ST_PUT_T, ST_GET_T,
       ST_EXPIRE_T, ST_PUT_SEC, ST_DEL_SEC, ST__COUNT };

static const char *const stmt_sql[ST__COUNT] = {
    [ST_PUT_REG] = ("INSERT OR REPLACE INTO registrations(id,ep,ver,bnd,sms,address,port,links,root,"
                    "attrs,lt,reg_date,last_up) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)"),
    [ST_DEL_REG] = "DELETE FROM registrations WHERE id=?",
    [ST_DEL_REG_OBS] = "DELETE FROM observations WHERE reg_id=?",
    [ST_PUT_OBS] = "INSERT OR REPLACE INTO observations(token,reg_id,ep,path,ticket,request) "
                   "VALUES(?,?,?,?,?,?)",
    [ST_DEL_OBS] = "DELETE FROM observations WHERE token=?",
    [ST_PUT_Q] = "INSERT INTO queued(ep,value,deadline) VALUES(?,?,?)",
    [ST_DEL_Q] = "DELETE FROM queued WHERE id=?",
    [ST_PUT_T] = "INSERT OR REPLACE INTO tickets(ticket,state,at,key,value) VALUES(?,?,?,?,?)",
    [ST_GET_T] = "SELECT state,key,value FROM tickets WHERE ticket=?",
    [ST_EXPIRE_T] = "DELETE FROM tickets WHERE at<?",
    [ST_PUT_SEC] = "INSERT OR REPLACE INTO security(ep,value) VALUES(?,?)",
    [ST_DEL_SEC] = "DELETE FROM security WHERE ep=?",
};

static const char schema_sql[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "PRAGMA journal_size_limit=67108864;" /* the WAL file shrinks back to 64 MiB after a burst */
    "CREATE TABLE IF NOT EXISTS registrations("
    " id TEXT PRIMARY KEY, ep TEXT NOT NULL UNIQUE, ver TEXT, bnd TEXT, sms TEXT,"
    " address TEXT NOT NULL, port INTEGER NOT NULL, links TEXT, root TEXT, attrs TEXT,"
    " lt INTEGER NOT NULL, reg_date INTEGER NOT NULL, last_up INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS observations("
    " token BLOB PRIMARY KEY, reg_id TEXT NOT NULL, ep TEXT NOT NULL, path TEXT NOT NULL,"
    " ticket TEXT NOT NULL, request BLOB);"
    /* a de-registration deletes its observations by reg_id: without this,
     * a scan of every observation (5 ms at 100,000: 180 de-registrations/s) */
    "CREATE INDEX IF NOT EXISTS observations_reg ON observations(reg_id);"
    "CREATE TABLE IF NOT EXISTS queued("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, ep TEXT NOT NULL, value BLOB NOT NULL,"
    " deadline INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS tickets("
    " ticket TEXT PRIMARY KEY, state INTEGER NOT NULL, at INTEGER NOT NULL, key BLOB, value BLOB);"
    "CREATE INDEX IF NOT EXISTS tickets_at ON tickets(at);"
    "CREATE TABLE IF NOT EXISTS security(ep TEXT PRIMARY KEY, value TEXT NOT NULL);";

/* WAL pages (4 KiB) after which the checkpointer is woken: SQLite's own
 * autocheckpoint threshold, which the loop connection no longer runs itself. */
#define CKPT_PAGES 1000

struct zl_store {
    sqlite3 *db;
    sqlite3_stmt *st[ST__COUNT];
    int in_tx;
    /* the checkpointer: woken by the loop thread's WAL hook, checkpoints with ckdb */
    char *path;
    sqlite3 *ckdb;
    pthread_t ckpt;
    bool ckpt_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;              /* under mu */
    atomic_bool wanted;     /* set by the hook, cleared by the checkpointer */
    atomic_ullong ckpts;    /* checkpoints done (for tests and curiosity) */
};

const char *zl_store_errmsg(zl_store_t *s) { return sqlite3_errmsg(s->db); }

/* Thread: the checkpointer.  PASSIVE copies what no reader still needs and
 * never blocks the loop connection's writes; a WAL left partly copied is
 * finished by the next wake-up. */
static void *ckpt_main(void *arg) {
    zl_store_t *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->stop && !atomic_load(&s->wanted)) pthread_cond_wait(&s->cv, &s->mu);
        if (s->stop) break;
        pthread_mutex_unlock(&s->mu);
        atomic_store(&s->wanted, false);
        sqlite3_wal_checkpoint_v2(s->ckdb, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        atomic_fetch_add(&s->ckpts, 1);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Thread: loop (SQLite calls it after each commit of s->db). */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages) {
    (void)db;
    (void)name;
    zl_store_t *s = arg;
    if (pages >= CKPT_PAGES && !atomic_exchange(&s->wanted, true)) {
        pthread_mutex_lock(&s->mu);
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
    return SQLITE_OK;
}

static zl_err_t ckpt_start(zl_store_t *s, char *errstr, size_t errstr_size) {
    /* the connection finds the WAL only once it has read the database */
    if (sqlite3_open_v2(s->path, &s->ckdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_exec(s->ckdb, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(errstr, errstr_size, "cannot open store '%s' for checkpoints: %s", s->path,
                 sqlite3_errmsg(s->ckdb));
        return ZL_ERR_IO;
    }
    int err = pthread_create(&s->ckpt, NULL, ckpt_main, s);
    if (err) {
        snprintf(errstr, errstr_size, "store: cannot start the checkpoint thread: %s", strerror(err));
        return ZL_ERR_IO;
    }
    s->ckpt_started = true;
    /* replaces SQLite's automatic checkpoint on this connection (it is a WAL hook too) */
    sqlite3_wal_hook(s->db, wal_hook, s);
    return ZL_OK;
}

static void ckpt_stop(zl_store_t *s) {
    if (s->ckpt_started) {
        pthread_mutex_lock(&s->mu);
        s->stop = true;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->ckpt, NULL);
        s->ckpt_started = false;
    }
    if (s->ckdb) sqlite3_close(s->ckdb);
    s->ckdb = NULL;
}

uint64_t zl_store_checkpoints(zl_store_t *s) { return atomic_load(&s->ckpts); }

zl_store_t *zl_store_open(const char *dir, char *errstr, size_t errstr_size) {
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        snprintf(errstr, errstr_size, "cannot create data dir '%s': %s", dir, strerror(errno));
        return NULL;
    }
    zl_store_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    size_t plen = strlen(dir) + sizeof "/zeelos.db";
    if (!(s->path = malloc(plen))) {
        free(s);
        return NULL;
    }
    snprintf(s->path, plen, "%s/zeelos.db", dir);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    const char *path = s->path;
    char *msg = NULL;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK ||
        sqlite3_exec(s->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(errstr, errstr_size, "cannot open store '%s': %s", path,
                 msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        zl_store_close(s);
        return NULL;
    }
    /* stores written before the observe request was kept: add its column
     * (fails harmlessly with "duplicate column" on a current store) */
    sqlite3_exec(s->db, "ALTER TABLE observations ADD COLUMN request BLOB", NULL, NULL, NULL);
    for (int i = 0; i < ST__COUNT; i++) {
        if (sqlite3_prepare_v2(s->db, stmt_sql[i], -1, &s->st[i], NULL) != SQLITE_OK) {
            snprintf(errstr, errstr_size, "store: %s", sqlite3_errmsg(s->db));
            zl_store_close(s);
            return NULL;
        }
    }
    if (ckpt_start(s, errstr, errstr_size)) {
        zl_store_close(s);
        return NULL;
    }
    return s;
}

void zl_store_close(zl_store_t *s) {
    if (!s) return;
    zl_store_flush(s);
    ckpt_stop(s);
    for (int i = 0; i < ST__COUNT; i++) sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db); /* the last connection: checkpoints and removes the WAL */
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s->path);
    free(s);
}

static zl_err_t begin(zl_store_t *s) {
    if (s->in_tx) return ZL_OK;
    if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) return ZL_ERR_IO;
    s->in_tx = 1;
    return ZL_OK;
}

zl_err_t zl_store_flush(zl_store_t *s) {
    if (!s->in_tx) return ZL_OK;
    s->in_tx = 0;
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) return ZL_OK;
    /* leave no transaction open behind us, or every later BEGIN would fail too */
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return ZL_ERR_IO;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v) {
    if (v) sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, i);
}

static zl_err_t step(sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? ZL_OK : ZL_ERR_IO;
}

zl_err_t zl_store_put_reg(zl_store_t *s, const zl_store_reg_t *r) {
    if (begin(s)) return ZL_ERR_IO;
    sqlite3_stmt *st = s->st[ST_PUT_REG];
    bind_text(st, 1, r->id);
    bind_text(st, 2, r->ep);
    bind_text(st, 3, r->ver);
    bind_text(st, 4, r->bnd);
    bind_text(st, 5, r->sms);
    bind_text(st, 6, r->address);
    sqlite3_bind_int(st, 7, r->port);
    bind_text(st, 8, r->links);
    bind_text(st, 9, r->root);
    bind_text(st, 10, r->attrs);
    sqlite3_bind_int64(st, 11, r->lt);
    sqlite3_bind_int64(st, 12, r->reg_date);
    sqlite3_bind_int64(st, 13, r->last_up);
    return step(st);
}

zl_err_t zl_store_del_reg(zl_store_t *s, const char *id) {
    if (begin(s)) return ZL_ERR_IO;
    bind_text(s->st[ST_DEL_REG_OBS], 1, id);
    zl_err_t e = step(s->st[ST_DEL_REG_OBS]);
    bind_text(s->st[ST_DEL_REG], 1, id);
    return e ? e : step(s->st[ST_DEL_REG]);
}

zl_err_t zl_store_put_obs(zl_store_t *s, const zl_store_obs_t *o) {
    if (begin(s)) return ZL_ERR_IO;
    sqlite3_stmt *st = s->st[ST_PUT_OBS];
    sqlite3_bind_blob(st, 1, o->token, o->tkl, SQLITE_TRANSIENT);
    bind_text(st, 2, o->reg_id);
    bind_text(st, 3, o->ep);
    bind_text(st, 4, o->path);
    bind_text(st, 5, o->ticket);
    if (o->request && o->request_len) sqlite3_bind_blob(st, 6, o->request, (int)o->request_len, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, 6);
    return step(st);
}

zl_err_t zl_store_del_obs(zl_store_t *s, const uint8_t *token, int tkl) {
    if (begin(s)) return ZL_ERR_IO;
    sqlite3_bind_blob(s->st[ST_DEL_OBS], 1, token, tkl, SQLITE_TRANSIENT);
    return step(s->st[ST_DEL_OBS]);
}

static const char *col(sqlite3_stmt *st, int i) { return (const char *)sqlite3_column_text(st, i); }

zl_err_t zl_store_load_regs(zl_store_t *s, void (*cb)(void *ctx, const zl_store_reg_t *r), void *ctx) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id,ep,ver,bnd,sms,address,port,links,root,attrs,lt,reg_date,last_up "
                           "FROM registrations", -1, &st, NULL) != SQLITE_OK)
        return ZL_ERR_IO;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        zl_store_reg_t r = {col(st, 0), col(st, 1), col(st, 2), col(st, 3), col(st, 4), col(st, 5),
                            col(st, 7), col(st, 8), col(st, 9), sqlite3_column_int(st, 6),
                            sqlite3_column_int64(st, 10), sqlite3_column_int64(st, 11),
                            sqlite3_column_int64(st, 12)};
        cb(ctx, &r);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ZL_OK : ZL_ERR_IO;
}

zl_err_t zl_store_load_obs(zl_store_t *s, void (*cb)(void *ctx, const zl_store_obs_t *o), void *ctx) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT token,reg_id,ep,path,ticket,request FROM observations", -1, &st,
                           NULL) != SQLITE_OK)
        return ZL_ERR_IO;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        zl_store_obs_t o = {sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), col(st, 1),
                            col(st, 2), col(st, 3), col(st, 4), sqlite3_column_blob(st, 5),
                            (size_t)sqlite3_column_bytes(st, 5)};
        cb(ctx, &o);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ZL_OK : ZL_ERR_IO;
}

zl_err_t zl_store_put_queued(zl_store_t *s, const char *ep, const void *value, size_t len,
                             int64_t deadline, int64_t *id) {
    if (begin(s)) return ZL_ERR_IO;
    sqlite3_stmt *st = s->st[ST_PUT_Q];
    bind_text(st, 1, ep);
    sqlite3_bind_blob(st, 2, value, (int)len, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, deadline);
    zl_err_t e = step(st);
    if (!e && id) *id = sqlite3_last_insert_rowid(s->db);
    return e;
}

zl_err_t zl_store_del_queued(zl_store_t *s, int64_t id) {
    if (begin(s)) return ZL_ERR_IO;
    sqlite3_bind_int64(s->st[ST_DEL_Q], 1, id);
    return step(s->st[ST_DEL_Q]);
}

zl_err_t zl_store_load_queued(zl_store_t *s, void (*cb)(void *ctx, const zl_store_queued_t *q), void *ctx) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT id,ep,value,deadline FROM queued ORDER BY id", -1, &st, NULL) !=
        SQLITE_OK)
        return ZL_ERR_IO;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        zl_store_queued_t q = {sqlite3_column_int64(st, 0), col(st, 1), sqlite3_column_blob(st, 2),
                               (size_t)sqlite3_column_bytes(st, 2), sqlite3_column_int64(st, 3)};
        cb(ctx, &q);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ZL_OK : ZL_ERR_IO;
}

zl_err_t zl_store_put_ticket(zl_store_t *s, const char *ticket, int state, int64_t at, const void *key,
                             size_t klen, const void *value, size_t vlen) {
    if (begin(s)) return ZL_ERR_IO;
    sqlite3_stmt *st = s->st[ST_PUT_T];
    bind_text(st, 1, ticket);
    sqlite3_bind_int(st, 2, state);
    sqlite3_bind_int64(st, 3, at);
    if (key) sqlite3_bind_blob(st, 4, key, (int)klen, SQLITE_TRANSIENT);
    if (value) sqlite3_bind_blob(st, 5, value, (int)vlen, SQLITE_TRANSIENT);
    return step(st);
}

zl_err_t zl_store_get_ticket(zl_store_t *s, const char *ticket, int *state, zl_buf_t *key, zl_buf_t *value) {
    sqlite3_stmt *st = s->st[ST_GET_T];
    bind_text(st, 1, ticket);
    int rc = sqlite3_step(st);
    zl_err_t e = rc == SQLITE_ROW ? ZL_OK : rc == SQLITE_DONE ? ZL_ERR_NOT_FOUND : ZL_ERR_IO;
    if (rc == SQLITE_ROW) {
        *state = sqlite3_column_int(st, 0);
        zl_buf_reset(key);
        zl_buf_reset(value);
        if (zl_buf_append(key, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1)) ||
            zl_buf_append(value, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2)))
            e = ZL_ERR_NOMEM;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return e;
}

zl_err_t zl_store_expire_tickets(zl_store_t *s, int64_t before) {
    if (begin(s)) return ZL_ERR_IO;
    sqlite3_stmt *st = s->st[ST_EXPIRE_T];
    sqlite3_bind_int64(st, 1, before);
    return step(st);
}

zl_err_t zl_store_put_security(zl_store_t *s, const char *ep, const char *value) {
    if (begin(s)) return ZL_ERR_IO;
    bind_text(s->st[ST_PUT_SEC], 1, ep);
    bind_text(s->st[ST_PUT_SEC], 2, value);
    return step(s->st[ST_PUT_SEC]);
}

zl_err_t zl_store_del_security(zl_store_t *s, const char *ep) {
    if (begin(s)) return ZL_ERR_IO;
    bind_text(s->st[ST_DEL_SEC], 1, ep);
    return step(s->st[ST_DEL_SEC]);
}

zl_err_t zl_store_load_security(zl_store_t *s, void (*cb)(void *ctx, const char *ep, const char *value),
                                void *ctx) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT ep,value FROM security", -1, &st, NULL) != SQLITE_OK) return ZL_ERR_IO;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) cb(ctx, col(st, 0), col(st, 1));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ZL_OK : ZL_ERR_IO;
}
