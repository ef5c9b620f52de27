/* SPDX-License-Identifier: Apache-2.0 */
/* Can data written with one Avro schema be read with another (spec "Schema
 * Resolution"), decided over the trees of avro_compat.c, and Confluent's
 * compatibility levels on top of it.  Why here and not avro-c's resolver:
 * see avro_compat.h.
 *
 * Recursive types make the question coinductive: a pair of records being
 * checked is assumed readable while its own fields are checked (a linked
 * list reads a linked list if its fields do, its "next" included).  Results
 * are memoised per pair of records so nothing is checked twice, but a "yes"
 * that leaned on an assumption further up the stack is only provisional
 * until that assumption is settled: if it fails, every provisional answer
 * given since it was made is forgotten (see pair()).  A "no" never depends
 * on an assumption and is kept with its message. */
#include "kafka/avro_compat_int.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/array.h"

#define MAX_NEST 512         /* recursion depth of one comparison */
#define MAX_STEPS (1u << 20) /* type pairs compared, a bound on pathological inputs */

enum { M_NONE, M_BUSY, M_PROV, M_TRUE, M_FALSE };

typedef struct {
    uint64_t key;  /* (reader record index << 32 | writer record index) + 1; 0: empty slot */
    int state;     /* M_* */
    int depth;     /* M_BUSY: its depth on the stack; M_PROV: the lowest depth it relied on */
    char *why;     /* M_FALSE: the message from the pair's location on (owned) */
} memo_t;

typedef struct {
    memo_t *tab;          /* open addressing, power-of-two size */
    size_t cap, used;
    uint64_t *log;        /* keys of the pairs entered and not yet settled, oldest first */
    size_t nlog, caplog;
    int depth;            /* record pairs on the stack */
    int nest;
    unsigned steps;
    bool nomem;
    bool gave_up;         /* MAX_NEST or MAX_STEPS reached: every check fails from then on */
    avc_path_t at;        /* location in the reader */
    char msg[512];        /* "location: why" of the latest failure ("" location: the root) */
} rctx_t;

/* ---- messages ------------------------------------------------------------ */

__attribute__((format(printf, 2, 3))) static bool failf(rctx_t *c, const char *fmt, ...) {
    int k = snprintf(c->msg, sizeof c->msg, "%s: ", c->at.s);
    if (k > 0 && (size_t)k < sizeof c->msg) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->msg + k, sizeof c->msg - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* "int", "record a.B", "array", ... */
static const char *describe(const avc_node_t *n, char *buf, size_t sz) {
    n = avc_deref(n);
    if (!AVC_IS_NAMED(n->kind)) return avc_kind_name(n->kind);
    snprintf(buf, sz, "%s %s", avc_kind_name(n->kind), n->fullname);
    return buf;
}

__attribute__((noinline)) static bool mismatch(rctx_t *c, const avc_node_t *r, const avc_node_t *w) {
    char a[160], b[160];
    bool names = r->kind == w->kind;
    return failf(c, "reader %s cannot read writer %s%s", describe(r, a, sizeof a), describe(w, b, sizeof b),
                 names ? " (the names differ and no alias of the reader names the writer)" : "");
}

/* ---- the memo of record pairs ---------------------------------------------- */

static size_t memo_slot(const memo_t *tab, size_t cap, uint64_t key) {
    size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1);
    while (tab[h].key && tab[h].key != key) h = (h + 1) & (cap - 1);
    return h;
}

/* The entry of key, made (M_NONE) when there is none; NULL when out of
 * memory.  It may move the table: a pointer into it lasts until the next call. */
static memo_t *memo_get(rctx_t *c, uint64_t key) {
    if (2 * (c->used + 1) > c->cap) {
        size_t ncap = c->cap ? 2 * c->cap : 64;
        memo_t *nt = calloc(ncap, sizeof *nt);
        if (!nt) return NULL;
        for (size_t i = 0; i < c->cap; i++)
            if (c->tab[i].key) nt[memo_slot(nt, ncap, c->tab[i].key)] = c->tab[i];
        free(c->tab);
        c->tab = nt;
        c->cap = ncap;
    }
    memo_t *m = &c->tab[memo_slot(c->tab, c->cap, key)];
    if (!m->key) {
        m->key = key;
        c->used++;
    }
    return m;
}

/* The entry of a key in the log (so present); never moves the table. */
static memo_t *memo_find(rctx_t *c, uint64_t key) {
    return &c->tab[memo_slot(c->tab, c->cap, key)];
}

/* ---- the rules ------------------------------------------------------------- */

static bool check(rctx_t *c, const avc_node_t *r, const avc_node_t *w, int *low);

/* Same unqualified name, or an alias of the reader's is the writer's fullname. */
static bool names_match(const avc_node_t *r, const avc_node_t *w) {
    if (strcmp(r->name, w->name) == 0) return true;
    for (size_t i = 0; i < r->n_aliases; i++)
        if (strcmp(r->aliases[i], w->fullname) == 0) return true;
    return false;
}

static bool promotes(avc_kind_t from, avc_kind_t to) {
    switch (from) {
    case AVC_INT: return to == AVC_LONG || to == AVC_FLOAT || to == AVC_DOUBLE;
    case AVC_LONG: return to == AVC_FLOAT || to == AVC_DOUBLE;
    case AVC_FLOAT: return to == AVC_DOUBLE;
    case AVC_STRING: return to == AVC_BYTES;
    case AVC_BYTES: return to == AVC_STRING;
    default: return false;
    }
}

/* The writer's field a reader field reads: by name, else by the reader field's aliases. */
static const avc_field_t *writer_field(const avc_node_t *w, const avc_field_t *rf) {
    for (size_t i = 0; i < w->n_fields; i++)
        if (strcmp(w->fields[i].name, rf->name) == 0) return &w->fields[i];
    for (size_t a = 0; a < rf->n_aliases; a++)
        for (size_t i = 0; i < w->n_fields; i++)
            if (strcmp(w->fields[i].name, rf->aliases[a]) == 0) return &w->fields[i];
    return NULL;
}

static bool record_fields(rctx_t *c, const avc_node_t *r, const avc_node_t *w, int *low) {
    for (size_t i = 0; i < r->n_fields; i++) {
        const avc_field_t *rf = &r->fields[i];
        size_t at = avc_push(&c->at, "/fields/%zu (%s)", i, rf->name);
        const avc_field_t *wf = writer_field(w, rf);
        bool ok = true;
        if (wf) {
            avc_push(&c->at, "/type");
            ok = check(c, rf->type, wf->type, low);
        } else if (!rf->def) {
            ok = failf(c, "reader field has no default and the writer has no such field");
        }
        avc_pop(&c->at, at);
        if (!ok) return false;
    }
    return true;
}

/* Two records whose names match: memoised, see the top of the file. */
static bool pair(rctx_t *c, const avc_node_t *r, const avc_node_t *w, int *low) {
    uint64_t key = ((uint64_t)r->index << 32 | (uint64_t)w->index) + 1;
    memo_t *m = memo_get(c, key);
    if (!m) return c->nomem = true, false;
    switch (m->state) {
    case M_TRUE: return true;
    case M_FALSE:
        snprintf(c->msg, sizeof c->msg, "%s%s", c->at.s, m->why ? m->why : ": incompatible (out of memory for why)");
        return false;
    case M_BUSY:
    case M_PROV:
        if (m->depth < *low) *low = m->depth;
        return true;
    default: break;
    }
    if (ZL_ARRAY_RESERVE(&c->log, &c->caplog, c->nlog + 1, 16)) return c->nomem = true, false;
    size_t logpos = c->nlog;
    c->log[c->nlog++] = key;
    int d = ++c->depth, mylow = INT_MAX;
    m->state = M_BUSY;
    m->depth = d;
    size_t at = c->at.len;
    bool ok = record_fields(c, r, w, &mylow);
    c->depth--;
    if (c->nomem) return false;
    m = memo_find(c, key);
    if (!ok) {
        /* msg starts with the pair's own location: keep what follows it */
        m->state = M_FALSE;
        m->why = strdup(strlen(c->msg) >= at ? c->msg + at : c->msg);
        for (size_t i = logpos + 1; i < c->nlog; i++) {
            memo_t *e = memo_find(c, c->log[i]);
            if (e->state == M_PROV) e->state = M_NONE;
        }
        c->nlog = logpos;
        return false;
    }
    if (mylow >= d) { /* relied on nothing below itself: settled, and so is all it left provisional */
        m->state = M_TRUE;
        for (size_t i = logpos + 1; i < c->nlog; i++) {
            memo_t *e = memo_find(c, c->log[i]);
            if (e->state == M_PROV) e->state = M_TRUE;
        }
        c->nlog = logpos;
        return true;
    }
    m->state = M_PROV;
    m->depth = mylow;
    for (size_t i = logpos + 1; i < c->nlog; i++) {
        memo_t *e = memo_find(c, c->log[i]);
        if (e->state == M_PROV && e->depth > mylow) e->depth = mylow;
    }
    if (mylow < *low) *low = mylow;
    return true;
}

__attribute__((noinline)) static bool enum_symbols(rctx_t *c, const avc_node_t *r, const avc_node_t *w) {
    char list[200] = "";
    size_t missing = 0, len = 0;
    for (size_t i = 0; i < w->n_symbols; i++) {
        bool found = false;
        for (size_t k = 0; k < r->n_symbols && !found; k++) found = strcmp(r->symbols[k], w->symbols[i]) == 0;
        if (found) continue;
        if (len < sizeof list) {
            int k = snprintf(list + len, sizeof list - len, "%s%s", missing ? ", " : "", w->symbols[i]);
            len = k > 0 ? len + (size_t)k : sizeof list;
        }
        missing++;
    }
    if (!missing || r->enum_default >= 0) return true;
    avc_push(&c->at, "/symbols");
    return failf(c, "reader enum %s has no default and lacks writer symbol%s %s%s", r->fullname,
                 missing > 1 ? "s" : "", list, len >= sizeof list ? "..." : "");
}

/* Out of line so that its buffers are not on the stack of every recursion. */
__attribute__((noinline)) static bool no_branch(rctx_t *c, const avc_node_t *r, const avc_node_t *w) {
    char list[256] = "", buf[160], wb[160];
    size_t len = 0;
    for (size_t j = 0; j < r->n_branches && len < sizeof list; j++) {
        const char *d = describe(r->branches[j], buf, sizeof buf);
        int k = snprintf(list + len, sizeof list - len, "%s%s", j ? ", " : "", d);
        len = k > 0 ? len + (size_t)k : sizeof list;
    }
    return failf(c, "no branch of the reader union [%s] can read writer %s", list, describe(w, wb, sizeof wb));
}

/* Reader union, writer not: the first reader branch that reads it.  When none
 * does, the message is the failure of the branch of the writer's kind and
 * name if there is one (it tells what to change), else the branch list. */
static bool reader_union(rctx_t *c, const avc_node_t *r, const avc_node_t *w, int *low) {
    char *best = NULL;
    for (size_t j = 0; j < r->n_branches; j++) {
        const avc_node_t *b = avc_deref(r->branches[j]);
        size_t at = avc_push(&c->at, "/%zu", j);
        int l = INT_MAX;
        bool ok = check(c, b, w, &l);
        avc_pop(&c->at, at);
        if (ok) {
            free(best);
            if (l < *low) *low = l;
            return true;
        }
        if (c->nomem || c->gave_up) break;
        if (!best && b->kind == w->kind && (!AVC_IS_NAMED(b->kind) || names_match(b, w)))
            if (!(best = strdup(c->msg))) c->nomem = true;
    }
    if (best) {
        snprintf(c->msg, sizeof c->msg, "%s", best);
        free(best);
        return false;
    }
    return c->nomem || c->gave_up ? false : no_branch(c, r, w);
}

static bool check_kinds(rctx_t *c, const avc_node_t *r, const avc_node_t *w, int *low) {
    if (w->kind == AVC_UNION) { /* every branch the writer may have written */
        for (size_t i = 0; i < w->n_branches; i++)
            if (!check(c, r, w->branches[i], low)) return false;
        return true;
    }
    if (r->kind == AVC_UNION) return reader_union(c, r, w, low);
    if (r->kind != w->kind) return promotes(w->kind, r->kind) ? true : mismatch(c, r, w);
    if (AVC_IS_NAMED(r->kind) && !names_match(r, w)) return mismatch(c, r, w);
    switch (r->kind) {
    case AVC_ARRAY:
    case AVC_MAP: {
        size_t at = avc_push(&c->at, r->kind == AVC_ARRAY ? "/items" : "/values");
        bool ok = check(c, r->child, w->child, low);
        avc_pop(&c->at, at);
        return ok;
    }
    case AVC_RECORD: return pair(c, r, w, low);
    case AVC_ENUM: return enum_symbols(c, r, w);
    case AVC_FIXED:
        if (r->size == w->size) return true;
        avc_push(&c->at, "/size");
        return failf(c, "reader fixed %s has size %lld but writer fixed %s has size %lld", r->fullname,
                     (long long)r->size, w->fullname, (long long)w->size);
    default: return true; /* the same primitive */
    }
}

/* low: lowered to the depth of the shallowest pending assumption a "yes" relied on. */
static bool check(rctx_t *c, const avc_node_t *r, const avc_node_t *w, int *low) {
    if (c->gave_up || c->nomem) return false;
    if (c->nest >= MAX_NEST || ++c->steps > MAX_STEPS) {
        c->gave_up = true;
        return false;
    }
    c->nest++;
    bool ok = check_kinds(c, avc_deref(r), avc_deref(w), low);
    c->nest--;
    return ok;
}

zl_err_t zl_avro_can_read(const zl_avro_schema_t *reader, const zl_avro_schema_t *writer, char *errstr, size_t n) {
    if (errstr && n) errstr[0] = 0;
    if (!reader || !writer) return zl_err_fmt(errstr, n, ZL_ERR_INVALID, "no schema");
    rctx_t *c = calloc(1, sizeof *c);
    if (!c) return zl_err_fmt(errstr, n, ZL_ERR_NOMEM, "out of memory");
    int low = INT_MAX;
    bool ok = check(c, reader->root, writer->root, &low);
    zl_err_t e = ZL_OK;
    if (c->nomem) e = zl_err_fmt(errstr, n, ZL_ERR_NOMEM, "out of memory");
    else if (c->gave_up)
        e = zl_err_fmt(errstr, n, ZL_ERR_INVALID,
                       "the schemas are too deeply nested or too large to compare (more than %d levels or %u "
                       "type pairs)", MAX_NEST, MAX_STEPS);
    else if (!ok) {
        /* msg is "location: reason"; no location holds ": " (names are [A-Za-z0-9_.]) */
        char *sep = strstr(c->msg, ": ");
        if (sep) *sep = 0;
        avc_message(errstr, n, c->msg, sep ? sep + 2 : "");
        e = ZL_ERR_INVALID;
    }
    for (size_t i = 0; i < c->cap; i++) free(c->tab[i].why);
    free(c->tab);
    free(c->log);
    free(c);
    return e;
}

/* ---- compatibility levels -------------------------------------------------- */

static const char *const level_names[] = {
    "NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE",
};
#define N_LEVELS (sizeof level_names / sizeof level_names[0])

const char *zl_compat_level_name(zl_compat_level_t l) {
    return (size_t)l < N_LEVELS ? level_names[l] : "?";
}

int zl_compat_level_parse(const char *name) {
    for (size_t i = 0; name && i < N_LEVELS; i++)
        if (strcasecmp(name, level_names[i]) == 0) return (int)i;
    return -1;
}

zl_err_t zl_avro_check_compat(zl_compat_level_t level, const zl_avro_schema_t *candidate,
                              const zl_avro_schema_t *const *previous, size_t n, char *errstr, size_t errn) {
    if (errstr && errn) errstr[0] = 0;
    if ((size_t)level >= N_LEVELS)
        return zl_err_fmt(errstr, errn, ZL_ERR_INVALID, "unknown compatibility level %d", (int)level);
    if (level == ZL_COMPAT_NONE || n == 0) return ZL_OK;
    bool transitive = level == ZL_COMPAT_BACKWARD_TRANSITIVE || level == ZL_COMPAT_FORWARD_TRANSITIVE ||
                      level == ZL_COMPAT_FULL_TRANSITIVE;
    bool backward = level != ZL_COMPAT_FORWARD && level != ZL_COMPAT_FORWARD_TRANSITIVE;
    bool forward = level != ZL_COMPAT_BACKWARD && level != ZL_COMPAT_BACKWARD_TRANSITIVE;
    char why[400];
    for (size_t i = n; i-- > (transitive ? 0 : n - 1);) {
        if (!previous[i]) continue;
        zl_err_t e;
        if (backward && (e = zl_avro_can_read(candidate, previous[i], why, sizeof why)))
            return zl_err_fmt(errstr, errn, e,
                              "%s: the new schema cannot read data written with previous schema %zu: %s",
                              level_names[level], i, why);
        if (forward && (e = zl_avro_can_read(previous[i], candidate, why, sizeof why)))
            return zl_err_fmt(errstr, errn, e,
                              "%s: previous schema %zu cannot read data written with the new schema: %s",
                              level_names[level], i, why);
    }
    return ZL_OK;
}
