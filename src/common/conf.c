/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration values and parsing (see conf.h; --help and the Markdown
 * reference are in conf_doc.c).  Why tables bound to struct fields: each
 * module declares its properties next to the struct that holds them, reads
 * typed fields instead of looking names up, and a command's set of
 * properties is just the tables it binds, so adding a module or a command
 * touches nothing here.  Every bound property is a slot holding its text
 * (raw), its text with ${name} references resolved (exp, recomputed after
 * every change, all or nothing) and its number; after each change the slots
 * are written back into the bound fields.  kafka.* keys are passed through
 * verbatim to librdkafka, which validates them.  Files, environment and
 * command line are read in conf_args.c. */
#include "common/conf.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/array.h"
#include "common/conf_int.h"
#include "common/log.h"

/* ---- small helpers ------------------------------------------------------- */

void zl_conf_msg(char *errstr, size_t n, const char *fmt, ...) {
    if (!errstr || !n) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, n, fmt, ap);
    va_end(ap);
}

void zl_conf_msg_prefix(char *errstr, size_t n, const char *fmt, ...) {
    if (!errstr || !n) return;
    char *old = strdup(errstr);
    char pre[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    snprintf(errstr, n, "%s%s", pre, old ? old : "");
    free(old);
}

static int zl_slot_find_n(const zl_conf_t *c, const char *name, size_t len) {
    for (size_t i = 0; i < c->n_slots; i++)
        if (strlen(c->slots[i].p->name) == len && memcmp(c->slots[i].p->name, name, len) == 0) return (int)i;
    return -1;
}

static int zl_slot_find(const zl_conf_t *c, const char *name) { return zl_slot_find_n(c, name, strlen(name)); }

void zl_conf_prop_flag(const zl_conf_prop_t *p, char *out, size_t n) {
    snprintf(out, n, "--%s", p->name);
    for (char *s = out + 2; *s; s++)
        if (*s == '.') *s = '-';
}

void zl_conf_prop_env(const zl_conf_prop_t *p, char *out, size_t n) {
    snprintf(out, n, "ZEELOS_%s", p->name);
    for (char *s = out; *s; s++)
        *s = (*s == '.' || *s == '-') ? '_' : (char)toupper((unsigned char)*s);
}

/* True if flag[0..len) is p's flag or one of its aliases. */
static bool zl_prop_has_flag(const zl_conf_prop_t *p, const char *flag, size_t len) {
    char f[128];
    zl_conf_prop_flag(p, f, sizeof f);
    if (strlen(f) == len && memcmp(f, flag, len) == 0) return true;
    for (const char *a = p->aliases; a && *a;) {
        size_t al = strcspn(a, " ");
        if (al == len && memcmp(a, flag, len) == 0) return true;
        a += al;
        while (*a == ' ') a++;
    }
    return false;
}

int zl_conf_flag_find(const zl_conf_t *c, const char *flag, size_t len) {
    for (size_t i = 0; i < c->n_slots; i++)
        if (zl_prop_has_flag(c->slots[i].p, flag, len)) return (int)i;
    return -1;
}

const char *zl_conf_trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    size_t l = strlen(s);
    while (l && isspace((unsigned char)s[l - 1])) s[--l] = 0;
    return s;
}

/* ---- kafka passthrough ----------------------------------------------------- */

static bool zl_kafka_key_ok(const char *key) {
    if (strncmp(key, "kafka.", 6) != 0 || !key[6]) return false;
    for (const char *s = key + 6; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-') return false;
    return true;
}

static zl_err_t zl_kafka_put(zl_conf_t *c, const char *key, const char *value) {
    char *v = strdup(value);
    if (!v) return ZL_ERR_NOMEM;
    for (size_t i = 0; i < c->n_kafka; i++)
        if (strcmp(c->kafka[i].key, key) == 0) {
            free(c->kafka[i].value);
            c->kafka[i].value = v;
            return ZL_OK;
        }
    if (ZL_ARRAY_RESERVE(&c->kafka, &c->cap_kafka, c->n_kafka + 1, 16)) {
        free(v);
        return ZL_ERR_NOMEM;
    }
    char *k = strdup(key);
    if (!k) {
        free(v);
        return ZL_ERR_NOMEM;
    }
    c->kafka[c->n_kafka].key = k;
    c->kafka[c->n_kafka].value = v;
    c->n_kafka++;
    return ZL_OK;
}

const char *zl_conf_kafka(const zl_conf_t *c, const char *key) {
    for (size_t i = 0; i < c->n_kafka; i++)
        if (strcmp(c->kafka[i].key, key) == 0) return c->kafka[i].value;
    return NULL;
}

/* ---- ${name} expansion ------------------------------------------------------- */

/* Appends the expansion of slot i's raw text to *out (malloc'd; *len used, *cap allocated). */
static zl_err_t zl_expand_into(const zl_conf_t *c, size_t i, int depth, char **out, size_t *len,
                               size_t *cap, char *msg, size_t n) {
    const zl_slot_t *sl = &c->slots[i];
    if (depth > 8) {
        zl_conf_msg(msg, n, "reference cycle through '${%s}'", sl->p->name);
        return ZL_ERR_INVALID;
    }
    const char *s = sl->raw ? sl->raw : "";
    while (*s) {
        if (s[0] == '$' && s[1] == '{') {
            const char *end = strchr(s + 2, '}');
            if (!end) {
                zl_conf_msg(msg, n, "unterminated '${' in '%s'", sl->raw);
                return ZL_ERR_INVALID;
            }
            int ref = zl_slot_find_n(c, s + 2, (size_t)(end - s - 2));
            if (ref < 0 || c->slots[ref].p->type == ZL_CONF_KAFKA) {
                zl_conf_msg(msg, n, "unknown property '%.*s' referenced in '%s'", (int)(end - s - 2), s + 2,
                       sl->raw);
                return ZL_ERR_INVALID;
            }
            zl_err_t e = zl_expand_into(c, (size_t)ref, depth + 1, out, len, cap, msg, n);
            if (e) return e;
            s = end + 1;
            continue;
        }
        const char *nx = strstr(s + 1, "${");
        size_t plen = nx ? (size_t)(nx - s) : strlen(s);
        if (*len + plen + 1 > *cap) {
            size_t nc = (*len + plen + 1) * 2;
            char *r = realloc(*out, nc);
            if (!r) return ZL_ERR_NOMEM;
            *out = r;
            *cap = nc;
        }
        memcpy(*out + *len, s, plen);
        *len += plen;
        (*out)[*len] = 0;
        s += plen;
    }
    return ZL_OK;
}

/* Writes every slot into its bound field. */
static void zl_sync_fields(zl_conf_t *c) {
    for (size_t i = 0; i < c->n_slots; i++) {
        zl_slot_t *s = &c->slots[i];
        if (!s->field) continue;
        switch (s->p->ctype) {
        case ZL_CONF_C_STR:
            *(const char **)s->field = s->p->type == ZL_CONF_KAFKA ? zl_conf_kafka(c, s->p->name) : s->exp;
            break;
        case ZL_CONF_C_INT:
            *(int *)s->field = (int)s->num;
            break;
        case ZL_CONF_C_I64:
            *(int64_t *)s->field = s->num;
            break;
        case ZL_CONF_C_BOOL:
            *(bool *)s->field = s->num != 0;
            break;
        case ZL_CONF_C_NONE:
            break;
        }
    }
}

/* Recomputes exp for every slot, then the fields; all or nothing. */
static zl_err_t zl_expand_all(zl_conf_t *c, char *msg, size_t n) {
    char **fresh = calloc(c->n_slots + 1, sizeof *fresh);
    if (!fresh) {
        zl_conf_msg(msg, n, "out of memory");
        return ZL_ERR_NOMEM;
    }
    zl_err_t e = ZL_OK;
    for (size_t i = 0; i < c->n_slots && !e; i++) {
        const zl_slot_t *s = &c->slots[i];
        if (s->p->type == ZL_CONF_KAFKA) continue;
        if (s->p->type != ZL_CONF_STR) {
            fresh[i] = strdup(s->raw);
            if (!fresh[i]) e = ZL_ERR_NOMEM;
            continue;
        }
        size_t len = 0, cap = 16;
        fresh[i] = malloc(cap);
        if (!fresh[i]) {
            e = ZL_ERR_NOMEM;
            break;
        }
        fresh[i][0] = 0;
        e = zl_expand_into(c, i, 0, &fresh[i], &len, &cap, msg, n);
    }
    for (size_t i = 0; i < c->n_slots; i++) {
        if (e) {
            free(fresh[i]);
        } else if (c->slots[i].p->type != ZL_CONF_KAFKA) {
            free(c->slots[i].exp);
            c->slots[i].exp = fresh[i];
        }
    }
    free(fresh);
    if (e == ZL_ERR_NOMEM) zl_conf_msg(msg, n, "out of memory");
    if (!e) zl_sync_fields(c);
    return e;
}

/* ---- value parsing ----------------------------------------------------------- */

static bool zl_parse_bool(const char *v, bool *out) {
    static const char *const t[] = {"true", "yes", "on", "1"}, *const f[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, t[i]) == 0) return *out = true, true;
        if (strcasecmp(v, f[i]) == 0) return *out = false, true;
    }
    return false;
}

/* Index of v in "a|b|c" (case-insensitive), canonical spelling copied to canon. */
static int zl_parse_enum(const char *values, const char *v, char *canon, size_t n) {
    int idx = 0;
    for (const char *a = values; *a; idx++) {
        size_t l = strcspn(a, "|");
        if (strlen(v) == l && strncasecmp(a, v, l) == 0) {
            snprintf(canon, n, "%.*s", (int)l, a);
            return idx;
        }
        a += l;
        if (*a == '|') a++;
    }
    return -1;
}

/* "avro, json" */
static void zl_enum_list(const char *values, char *out, size_t n) {
    size_t o = 0;
    out[0] = 0;
    for (const char *a = values; *a && o + 1 < n; a++) {
        int w = (*a == '|') ? snprintf(out + o, n - o, ", ") : snprintf(out + o, n - o, "%c", *a);
        if (w < 0 || (size_t)w >= n - o) break;
        o += (size_t)w;
    }
}

/* Checks value against p (not ZL_CONF_KAFKA): *store receives the text to
 * keep (value itself or canon), *num its number.  msg names no property. */
static zl_err_t zl_parse_value(const zl_conf_prop_t *p, const char *value, char *canon, size_t cn,
                               const char **store, int64_t *num, char *msg, size_t n) {
    *store = value;
    *num = 0;
    switch (p->type) {
    case ZL_CONF_KAFKA:
    case ZL_CONF_STR:
        return ZL_OK;
    case ZL_CONF_INT: {
        char *tmp = strdup(value);
        if (!tmp) return ZL_ERR_NOMEM;
        const char *t = zl_conf_trim(tmp);
        char *end = NULL;
        errno = 0;
        long long v = strtoll(t, &end, 10);
        bool ok = *t && end && !*end;
        bool range = errno == ERANGE;
        free(tmp);
        if (!ok) {
            zl_conf_msg(msg, n, "'%s' is not an integer", value);
            return ZL_ERR_INVALID;
        }
        if (range || v < p->min || v > p->max) {
            zl_conf_msg(msg, n, "%s is out of range [%" PRId64 ", %" PRId64 "]", value, p->min, p->max);
            return ZL_ERR_INVALID;
        }
        *num = v;
        snprintf(canon, cn, "%lld", v);
        *store = canon;
        return ZL_OK;
    }
    case ZL_CONF_BOOL: {
        bool b;
        if (!zl_parse_bool(value, &b)) {
            zl_conf_msg(msg, n, "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)", value);
            return ZL_ERR_INVALID;
        }
        *num = b;
        *store = b ? "true" : "false";
        return ZL_OK;
    }
    case ZL_CONF_ENUM: {
        int idx = zl_parse_enum(p->values, value, canon, cn);
        if (idx < 0) {
            char list[256];
            zl_enum_list(p->values, list, sizeof list);
            zl_conf_msg(msg, n, "'%s' is not one of: %s", value, list);
            return ZL_ERR_INVALID;
        }
        *num = idx;
        *store = canon;
        return ZL_OK;
    }
    }
    return ZL_ERR_INVALID;
}

zl_err_t zl_conf_set_slot(zl_conf_t *c, size_t i, const char *value, char *msg, size_t n) {
    zl_slot_t *s = &c->slots[i];
    if (s->p->type == ZL_CONF_KAFKA) {
        zl_err_t e = zl_kafka_put(c, s->p->name, value);
        if (e) return zl_conf_msg(msg, n, "out of memory"), e;
        s->set = true;
        zl_sync_fields(c);
        return ZL_OK;
    }
    char canon[64];
    const char *store;
    int64_t num;
    zl_err_t e = zl_parse_value(s->p, value, canon, sizeof canon, &store, &num, msg, n);
    if (e) return e;
    char *nv = strdup(store);
    if (!nv) return ZL_ERR_NOMEM;
    char *old = s->raw;
    int64_t old_num = s->num;
    s->raw = nv;
    s->num = num;
    e = zl_expand_all(c, msg, n);
    if (e) {
        s->raw = old;
        s->num = old_num;
        free(nv);
        return e;
    }
    free(old);
    s->set = true;
    return ZL_OK;
}

/* ---- binding ------------------------------------------------------------------- */

static bool zl_ctype_fits(const zl_conf_prop_t *p) {
    switch (p->ctype) {
    case ZL_CONF_C_NONE:
        return true;
    case ZL_CONF_C_STR:
        return p->type == ZL_CONF_STR || p->type == ZL_CONF_KAFKA;
    case ZL_CONF_C_INT:
        return p->type == ZL_CONF_ENUM || (p->type == ZL_CONF_INT && p->min >= INT_MIN && p->max <= INT_MAX);
    case ZL_CONF_C_I64:
        return p->type == ZL_CONF_INT;
    case ZL_CONF_C_BOOL:
        return p->type == ZL_CONF_BOOL;
    }
    return false;
}

/* Programming errors of one entry against what is bound already. */
static zl_err_t zl_check_entry(const zl_conf_t *c, const zl_conf_table_t *t, const zl_conf_prop_t *p,
                               const void *dst, char *errstr, size_t n) {
    int dup = zl_slot_find(c, p->name);
    if (dup >= 0) {
        zl_conf_msg(errstr, n, "property '%s' of table '%s' is already bound by table '%s'", p->name, t->title,
               c->slots[dup].t->title);
        return ZL_ERR_INVALID;
    }
    if ((p->type == ZL_CONF_KAFKA) != (strncmp(p->name, "kafka.", 6) == 0)) {
        zl_conf_msg(errstr, n, "property '%s': kafka.* names and only they take type ZL_CONF_KAFKA", p->name);
        return ZL_ERR_INVALID;
    }
    if (!zl_ctype_fits(p) || (p->ctype != ZL_CONF_C_NONE && !dst)) {
        zl_conf_msg(errstr, n, "property '%s': its field does not fit its type (or no struct given)", p->name);
        return ZL_ERR_INVALID;
    }
    char f[128];
    zl_conf_prop_flag(p, f, sizeof f);
    int other = zl_conf_flag_find(c, f, strlen(f));
    for (const char *a = p->aliases; other < 0 && a && *a;) {
        size_t al = strcspn(a, " ");
        other = zl_conf_flag_find(c, a, al);
        a += al;
        while (*a == ' ') a++;
    }
    if (other >= 0) {
        zl_conf_msg(errstr, n, "a flag of property '%s' is already taken by '%s'", p->name,
                    c->slots[other].p->name);
        return ZL_ERR_INVALID;
    }
    return ZL_OK;
}

static zl_err_t zl_add_slot(zl_conf_t *c, const zl_conf_table_t *t, const zl_conf_prop_t *p, void *dst,
                            char *errstr, size_t n) {
    if (ZL_ARRAY_RESERVE(&c->slots, &c->cap_slots, c->n_slots + 1, 64)) return ZL_ERR_NOMEM;
    zl_slot_t *s = &c->slots[c->n_slots];
    memset(s, 0, sizeof *s);
    s->p = p;
    s->t = t;
    s->field = p->ctype != ZL_CONF_C_NONE ? (char *)dst + p->off : NULL;
    if (p->type == ZL_CONF_KAFKA) {
        c->n_slots++;
        return zl_kafka_put(c, p->name, p->def);
    }
    char canon[64], msg[256];
    const char *store;
    if (zl_parse_value(p, p->def, canon, sizeof canon, &store, &s->num, msg, sizeof msg)) {
        zl_conf_msg(errstr, n, "bad default for %s: %s", p->name, msg);
        return ZL_ERR_INVALID;
    }
    if (!(s->raw = strdup(store))) return ZL_ERR_NOMEM;
    c->n_slots++;
    return ZL_OK;
}

zl_err_t zl_conf_bind(zl_conf_t *c, const zl_conf_table_t *t, void *dst, char *errstr, size_t n) {
    for (size_t i = 0; i < t->n; i++) {
        zl_err_t e = zl_check_entry(c, t, &t->props[i], dst, errstr, n);
        if (!e) e = zl_add_slot(c, t, &t->props[i], dst, errstr, n);
        if (e == ZL_ERR_NOMEM) zl_conf_msg(errstr, n, "out of memory");
        if (e) return e;
    }
    if (ZL_ARRAY_RESERVE(&c->tables, &c->cap_tables, c->n_tables + 1, 16))
        return zl_conf_msg(errstr, n, "out of memory"), ZL_ERR_NOMEM;
    c->tables[c->n_tables++] = t;
    zl_err_t e = zl_expand_all(c, errstr, n);
    if (e) zl_conf_msg_prefix(errstr, n, "table '%s': ", t->title);
    return e;
}

zl_err_t zl_conf_bind_cmd(zl_conf_t *c, const zl_conf_cmd_t *cmd, void *base, char *errstr, size_t n) {
    for (size_t i = 0; i < cmd->n_parts; i++) {
        zl_err_t e = zl_conf_bind(c, cmd->parts[i].table, base ? (char *)base + cmd->parts[i].off : NULL,
                                  errstr, n);
        if (e) return e;
    }
    return ZL_OK;
}

/* ---- public API ---------------------------------------------------------------- */

zl_conf_t *zl_conf_new(void) { return calloc(1, sizeof(zl_conf_t)); }

void zl_conf_destroy(zl_conf_t *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n_slots; i++) {
        free(c->slots[i].raw);
        free(c->slots[i].exp);
    }
    for (size_t i = 0; i < c->n_kafka; i++) {
        free(c->kafka[i].key);
        free(c->kafka[i].value);
    }
    free(c->slots);
    free(c->tables);
    free(c->kafka);
    free(c);
}

zl_err_t zl_conf_set(zl_conf_t *c, const char *name, const char *value, char *errstr, size_t n) {
    if (!c || !name || !value) {
        zl_conf_msg(errstr, n, "missing property name or value");
        return ZL_ERR_INVALID;
    }
    int i = zl_slot_find(c, name);
    if (i < 0) {
        if (strncmp(name, "kafka.", 6) == 0) {
            if (!zl_kafka_key_ok(name)) {
                zl_conf_msg(errstr, n, "invalid kafka property name '%s'", name);
                return ZL_ERR_INVALID;
            }
            zl_err_t e = zl_kafka_put(c, name, value);
            if (e) zl_conf_msg(errstr, n, "out of memory");
            return e;
        }
        zl_conf_msg(errstr, n, "unknown property '%s'", name);
        return ZL_ERR_NOT_FOUND;
    }
    zl_err_t e = zl_conf_set_slot(c, (size_t)i, value, errstr, n);
    if (e) zl_conf_msg_prefix(errstr, n, "%s: ", name);
    return e;
}

bool zl_conf_is_set(const zl_conf_t *c, const char *name) {
    int i = zl_slot_find(c, name);
    if (i >= 0 && c->slots[i].p->type != ZL_CONF_KAFKA) return c->slots[i].set;
    return zl_conf_kafka(c, name) != NULL;
}

void zl_conf_foreach_kafka(const zl_conf_t *c, void (*cb)(const char *k, const char *v, void *ctx),
                           void *ctx) {
    for (size_t i = 0; i < c->n_kafka; i++) cb(c->kafka[i].key + 6, c->kafka[i].value, ctx);
}

static bool zl_secret_key(const char *k) {
    return strstr(k, "password") || strstr(k, "secret") || strstr(k, "sasl.oauthbearer.config");
}

void zl_conf_write_properties(const zl_conf_t *c, FILE *out) {
    for (size_t i = 0; i < c->n_slots; i++)
        if (c->slots[i].p->type != ZL_CONF_KAFKA) fprintf(out, "%s=%s\n", c->slots[i].p->name, c->slots[i].raw);
    for (size_t i = 0; i < c->n_kafka; i++)
        fprintf(out, "%s=%s\n", c->kafka[i].key,
                zl_secret_key(c->kafka[i].key) ? "********" : c->kafka[i].value);
}
