/* SPDX-License-Identifier: Apache-2.0 */
/* SQLite store: put/flush/close/reopen/load of registrations and observation
 * tickets, cascade delete, insert-or-replace, unflushed writes at close. */
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "test.h"

typedef struct {
    int n;
    char id[8][32], ep[8][32], addr[8][32], links[8][64], sms[8][8];
    int sms_null[8];
    int port[8];
    int64_t lt[8], reg_date[8], last_up[8];
} regs_t;

static void reg_cb(void *ctx, const zl_store_reg_t *r) {
    regs_t *g = ctx;
    if (g->n >= 8) return;
    int i = g->n++;
    snprintf(g->id[i], sizeof g->id[i], "%s", r->id);
    snprintf(g->ep[i], sizeof g->ep[i], "%s", r->ep);
    snprintf(g->addr[i], sizeof g->addr[i], "%s", r->address);
    snprintf(g->links[i], sizeof g->links[i], "%s", r->links ? r->links : "(null)");
    g->sms_null[i] = r->sms == NULL;
    g->port[i] = r->port;
    g->lt[i] = r->lt;
    g->reg_date[i] = r->reg_date;
    g->last_up[i] = r->last_up;
}

static int reg_index(const regs_t *g, const char *id) {
    for (int i = 0; i < g->n; i++)
        if (strcmp(g->id[i], id) == 0) return i;
    return -1;
}

typedef struct {
    int n;
    uint8_t tok[8][8];
    int tkl[8];
    char reg[8][32], path[8][32], ticket[8][32];
    uint8_t req[8][16];
    size_t req_len[8];
} obs_t;

static void obs_cb(void *ctx, const zl_store_obs_t *o) {
    obs_t *g = ctx;
    if (g->n >= 8) return;
    int i = g->n++;
    g->tkl[i] = o->tkl;
    if (o->tkl > 0 && o->tkl <= 8) memcpy(g->tok[i], o->token, (size_t)o->tkl);
    snprintf(g->reg[i], sizeof g->reg[i], "%s", o->reg_id);
    snprintf(g->path[i], sizeof g->path[i], "%s", o->path);
    snprintf(g->ticket[i], sizeof g->ticket[i], "%s", o->ticket);
    g->req_len[i] = o->request ? o->request_len : 0;
    if (g->req_len[i] <= sizeof g->req[i] && g->req_len[i]) memcpy(g->req[i], o->request, g->req_len[i]);
}

static int obs_index(const obs_t *g, const char *ticket) {
    for (int i = 0; i < g->n; i++)
        if (strcmp(g->ticket[i], ticket) == 0) return i;
    return -1;
}

static zl_store_t *reopen(zl_store_t *s, const char *dir) {
    zl_store_close(s);
    char err[256] = "";
    s = zl_store_open(dir, err, sizeof err);
    if (!s) fprintf(stderr, "reopen: %s\n", err);
    CHECK(s != NULL);
    return s;
}

int main(void) {
    char dir[] = "/tmp/zeelos_store_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char sub[64];
    snprintf(sub, sizeof sub, "%s/data", dir); /* created by open */
    char err[256] = "";
    zl_store_t *s = zl_store_open(sub, err, sizeof err);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        TEST_MAIN_END();
    }

    /* empty store loads nothing */
    regs_t g = {0};
    CHECK_EQ_INT(zl_store_load_regs(s, reg_cb, &g), ZL_OK);
    CHECK_EQ_INT(g.n, 0);

    zl_store_reg_t r1 = {.id = "r1", .ep = "dev1", .ver = "1.1", .bnd = "U", .sms = NULL,
                         .address = "127.0.0.1", .port = 5683, .links = "</3/0>,</3303/0>",
                         .root = "/", .attrs = NULL, .lt = 300, .reg_date = 1700000000123ll,
                         .last_up = 1700000000456ll};
    zl_store_reg_t r2 = {.id = "r2", .ep = "dev2", .address = "10.0.0.2", .port = 40000, .lt = 86400,
                         .reg_date = 1, .last_up = 2};
    CHECK_EQ_INT(zl_store_put_reg(s, &r1), ZL_OK);
    CHECK_EQ_INT(zl_store_put_reg(s, &r2), ZL_OK);
    static const uint8_t t1[8] = {1, 2, 3, 4, 5, 6, 7, 8}, t2[4] = {0xaa, 0, 0xbb, 0},
                         t3[8] = {9, 9, 9, 9, 9, 9, 9, 9};
    zl_store_obs_t o1 = {.token = t1, .tkl = 8, .reg_id = "r1", .ep = "dev1", .path = "/3303/0/5700",
                         .ticket = "tk1"};
    static const uint8_t get_obs[] = {0x48, 0x01, 0x12, 0x34, 0xaa, 0, 0xbb, 0, 0x60, 0xb1, '3'};
    zl_store_obs_t o2 = {.token = t2, .tkl = 4, .reg_id = "r1", .ep = "dev1", .path = "/3/0/9",
                         .ticket = "tk2", .request = get_obs, .request_len = sizeof get_obs};
    zl_store_obs_t o3 = {.token = t3, .tkl = 8, .reg_id = "r2", .ep = "dev2", .path = "/3/0",
                         .ticket = "tk3"};
    CHECK_EQ_INT(zl_store_put_obs(s, &o1), ZL_OK);
    CHECK_EQ_INT(zl_store_put_obs(s, &o2), ZL_OK);
    CHECK_EQ_INT(zl_store_put_obs(s, &o3), ZL_OK);
    CHECK_EQ_INT(zl_store_flush(s), ZL_OK);
    CHECK_EQ_INT(zl_store_flush(s), ZL_OK); /* nothing pending */

    s = reopen(s, sub);
    if (!s) TEST_MAIN_END();
    memset(&g, 0, sizeof g);
    CHECK_EQ_INT(zl_store_load_regs(s, reg_cb, &g), ZL_OK);
    CHECK_EQ_INT(g.n, 2);
    int i = reg_index(&g, "r1");
    CHECK(i >= 0);
    if (i >= 0) {
        CHECK_STR(g.ep[i], "dev1");
        CHECK_STR(g.addr[i], "127.0.0.1");
        CHECK_STR(g.links[i], "</3/0>,</3303/0>");
        CHECK(g.sms_null[i]);
        CHECK_EQ_INT(g.port[i], 5683);
        CHECK_EQ_INT(g.lt[i], 300);
        CHECK_EQ_INT(g.reg_date[i], 1700000000123ll);
        CHECK_EQ_INT(g.last_up[i], 1700000000456ll);
    }
    i = reg_index(&g, "r2");
    CHECK(i >= 0);
    if (i >= 0) {
        CHECK_EQ_INT(g.port[i], 40000);
        CHECK_STR(g.links[i], "(null)");
    }
    obs_t ob = {0};
    CHECK_EQ_INT(zl_store_load_obs(s, obs_cb, &ob), ZL_OK);
    CHECK_EQ_INT(ob.n, 3);
    i = obs_index(&ob, "tk2");
    CHECK(i >= 0);
    if (i >= 0) {
        CHECK_EQ_INT(ob.tkl[i], 4);
        CHECK_MEM(ob.tok[i], t2, 4); /* embedded zero bytes survive */
        CHECK_STR(ob.reg[i], "r1");
        CHECK_STR(ob.path[i], "/3/0/9");
        /* the observe request survives byte for byte; o1 had none */
        CHECK_EQ_INT(ob.req_len[i], sizeof get_obs);
        CHECK_MEM(ob.req[i], get_obs, sizeof get_obs);
    }
    CHECK_EQ_INT(ob.req_len[obs_index(&ob, "tk1")], 0);

    /* insert-or-replace by id: update r1 */
    r1.lt = 600;
    r1.address = "127.0.0.9";
    r1.last_up = 99;
    CHECK_EQ_INT(zl_store_put_reg(s, &r1), ZL_OK);
    /* insert-or-replace of an observation by token: new ticket */
    o1.ticket = "tk1b";
    CHECK_EQ_INT(zl_store_put_obs(s, &o1), ZL_OK);
    /* uncommitted writes are visible on the same connection */
    memset(&g, 0, sizeof g);
    CHECK_EQ_INT(zl_store_load_regs(s, reg_cb, &g), ZL_OK);
    CHECK_EQ_INT(g.n, 2);
    /* close commits pending writes */
    s = reopen(s, sub);
    if (!s) TEST_MAIN_END();
    memset(&g, 0, sizeof g);
    CHECK_EQ_INT(zl_store_load_regs(s, reg_cb, &g), ZL_OK);
    CHECK_EQ_INT(g.n, 2);
    i = reg_index(&g, "r1");
    CHECK(i >= 0);
    if (i >= 0) {
        CHECK_EQ_INT(g.lt[i], 600);
        CHECK_STR(g.addr[i], "127.0.0.9");
        CHECK_EQ_INT(g.last_up[i], 99);
    }
    memset(&ob, 0, sizeof ob);
    CHECK_EQ_INT(zl_store_load_obs(s, obs_cb, &ob), ZL_OK);
    CHECK_EQ_INT(ob.n, 3);
    CHECK(obs_index(&ob, "tk1") < 0);
    CHECK(obs_index(&ob, "tk1b") >= 0);

    /* deleting a registration deletes its observations, not others' */
    CHECK_EQ_INT(zl_store_del_reg(s, "r1"), ZL_OK);
    CHECK_EQ_INT(zl_store_flush(s), ZL_OK);
    memset(&g, 0, sizeof g);
    CHECK_EQ_INT(zl_store_load_regs(s, reg_cb, &g), ZL_OK);
    CHECK_EQ_INT(g.n, 1);
    CHECK_STR(g.id[0], "r2");
    memset(&ob, 0, sizeof ob);
    CHECK_EQ_INT(zl_store_load_obs(s, obs_cb, &ob), ZL_OK);
    CHECK_EQ_INT(ob.n, 1);
    CHECK_STR(ob.ticket[0], "tk3");
    /* deleting unknown things is not an error */
    CHECK_EQ_INT(zl_store_del_reg(s, "nope"), ZL_OK);
    CHECK_EQ_INT(zl_store_del_obs(s, t1, 8), ZL_OK);
    /* delete one observation by token */
    CHECK_EQ_INT(zl_store_del_obs(s, t3, 8), ZL_OK);
    /* a token that is a prefix of another is a different key */
    zl_store_obs_t o4 = {.token = t3, .tkl = 4, .reg_id = "r2", .ep = "dev2", .path = "/1", .ticket = "tk4"};
    CHECK_EQ_INT(zl_store_put_obs(s, &o4), ZL_OK);
    s = reopen(s, sub);
    if (!s) TEST_MAIN_END();
    memset(&ob, 0, sizeof ob);
    CHECK_EQ_INT(zl_store_load_obs(s, obs_cb, &ob), ZL_OK);
    CHECK_EQ_INT(ob.n, 1);
    CHECK_STR(ob.ticket[0], "tk4");
    CHECK_EQ_INT(ob.tkl[0], 4);

    /* re-registration of the same endpoint under a new id replaces the old row
     * (ep is UNIQUE).  The store does not cascade that replacement to the old
     * id's observations: the gateway deletes the old registration first
     * (gateway/rd.c). */
    zl_store_obs_t o5 = {.token = t1, .tkl = 8, .reg_id = "r2", .ep = "dev2", .path = "/3/0/1", .ticket = "tk5"};
    CHECK_EQ_INT(zl_store_put_obs(s, &o5), ZL_OK);
    zl_store_reg_t r3 = r2;
    r3.id = "r3";
    CHECK_EQ_INT(zl_store_put_reg(s, &r3), ZL_OK);
    CHECK_EQ_INT(zl_store_flush(s), ZL_OK);
    memset(&g, 0, sizeof g);
    CHECK_EQ_INT(zl_store_load_regs(s, reg_cb, &g), ZL_OK);
    CHECK_EQ_INT(g.n, 1);
    CHECK_STR(g.id[0], "r3");
    CHECK_STR(zl_store_errmsg(s), "not an error");
    zl_store_close(s);

    /* a store written before the observe request was kept (no "request"
     * column) opens, gains the column and keeps its observations */
    char old_dir[200], old_db[260];
    snprintf(old_dir, sizeof old_dir, "%s/old", dir);
    snprintf(old_db, sizeof old_db, "%s/zeelos.db", old_dir);
    CHECK(mkdir(old_dir, 0755) == 0);
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(old_db, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "CREATE TABLE observations(token BLOB PRIMARY KEY, reg_id TEXT NOT NULL, ep TEXT NOT "
                       "NULL, path TEXT NOT NULL, ticket TEXT NOT NULL);"
                       "INSERT INTO observations VALUES(x'0102', 'r9', 'd9', '/3/0/0', 'tk9');",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    s = zl_store_open(old_dir, err, sizeof err);
    CHECK(s != NULL);
    if (s) {
        memset(&ob, 0, sizeof ob);
        CHECK_EQ_INT(zl_store_load_obs(s, obs_cb, &ob), ZL_OK);
        CHECK(ob.n == 1 && strcmp(ob.ticket[0], "tk9") == 0 && ob.req_len[0] == 0);
        CHECK_EQ_INT(zl_store_put_obs(s, &o2), ZL_OK);
        CHECK_EQ_INT(zl_store_flush(s), ZL_OK);
        zl_store_close(s);
    }

    /* checkpoints run on the store's thread: 8 MiB of tickets (2,000 pages
     * past the 1,000-page threshold) reach the database file, read back */
    char ck_dir[200], ck_db[260];
    snprintf(ck_dir, sizeof ck_dir, "%s/ckpt", dir);
    snprintf(ck_db, sizeof ck_db, "%s/zeelos.db", ck_dir);
    s = zl_store_open(ck_dir, err, sizeof err);
    CHECK(s != NULL);
    if (s) {
        static uint8_t blob[4096];
        memset(blob, 0xa5, sizeof blob);
        for (int n = 0; n < 2048; n++) {
            char t[32];
            snprintf(t, sizeof t, "ck-%d", n);
            CHECK_EQ_INT(zl_store_put_ticket(s, t, ZL_TICKET_DONE, 1, "k", 1, blob, sizeof blob), ZL_OK);
            if (n % 64 == 63) CHECK_EQ_INT(zl_store_flush(s), ZL_OK);
        }
        CHECK_EQ_INT(zl_store_flush(s), ZL_OK);
        for (int w = 0; w < 1000 && zl_store_checkpoints(s) == 0; w++) usleep(10000);
        CHECK(zl_store_checkpoints(s) > 0);
        struct stat st;
        CHECK(stat(ck_db, &st) == 0 && st.st_size > 4 * 1024 * 1024); /* copied out of the WAL */
        s = reopen(s, ck_dir);
        int state = 0;
        zl_buf_t k = {0}, v = {0};
        CHECK_EQ_INT(zl_store_get_ticket(s, "ck-2047", &state, &k, &v), ZL_OK);
        CHECK(state == ZL_TICKET_DONE && v.len == sizeof blob && memcmp(v.data, blob, v.len) == 0);
        zl_buf_free(&k);
        zl_buf_free(&v);
        zl_store_close(s);
    }

    /* a data dir that cannot be created: clean error */
    char bad[128];
    snprintf(bad, sizeof bad, "%s/data/zeelos.db/x", dir);
    err[0] = 0;
    CHECK(zl_store_open(bad, err, sizeof err) == NULL);
    CHECK(err[0] != 0);

    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    TEST_MAIN_END();
}
