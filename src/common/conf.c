/* Configuration values and parsing (see conf.h; --help and the Markdown
 * reference are in conf_doc.c).  Why tables bound to struct fields: each
 * module declares its properties next to the struct that holds them, reads
 * typed fields instead of looking names up, and a command's set of
 * properties is just the tables it binds, so adding a module or a command
 * touches nothing here.  Every bound property is a slot holding its text
 * (raw), its text with ${name} references resolved (exp, recomputed after
 * every change, all or nothing) and its number; after each change the slots
 * are written back into the bound fields.  kafka.* keys are passed through
 * verbatim to librdkafka, which validates them. */
#include "common/conf.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/conf_int.h"
#include "common/log.h"

#define ZL_CONF_MAX_FILE (1u << 20) /* a properties file is small; stops /dev/zero */

/* ---- small helpers ------------------------------------------------------- */

static void zl_msg(char *errstr, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void zl_msg(char *errstr, size_t n, const char *fmt, ...) {
    if (!errstr || !n) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, n, fmt, ap);
    va_end(ap);
}

/* Prefixes errstr in place: "<prefix><errstr>". */
static void zl_msg_prefix(char *errstr, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void zl_msg_prefix(char *errstr, size_t n, const char *fmt, ...) {
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

/* The bound property whose flag or alias equals flag[0..len). */
static int zl_flag_find(const zl_conf_t *c, const char *flag, size_t len) {
    for (size_t i = 0; i < c->n_slots; i++)
        if (zl_prop_has_flag(c->slots[i].p, flag, len)) return (int)i;
    return -1;
}

static const char *zl_trim(char *s) {
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
    if (c->n_kafka == c->cap_kafka) {
        size_t cap = c->cap_kafka ? c->cap_kafka * 2 : 16;
        zl_kv_t *k = realloc(c->kafka, cap * sizeof *k);
        if (!k) {
            free(v);
            return ZL_ERR_NOMEM;
        }
        c->kafka = k;
        c->cap_kafka = cap;
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
        zl_msg(msg, n, "reference cycle through '${%s}'", sl->p->name);
        return ZL_ERR_INVALID;
    }
    const char *s = sl->raw ? sl->raw : "";
    while (*s) {
        if (s[0] == '$' && s[1] == '{') {
            const char *end = strchr(s + 2, '}');
            if (!end) {
                zl_msg(msg, n, "unterminated '${' in '%s'", sl->raw);
                return ZL_ERR_INVALID;
            }
            int ref = zl_slot_find_n(c, s + 2, (size_t)(end - s - 2));
            if (ref < 0 || c->slots[ref].p->type == ZL_CONF_KAFKA) {
                zl_msg(msg, n, "unknown property '%.*s' referenced in '%s'", (int)(end - s - 2), s + 2,
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
        zl_msg(msg, n, "out of memory");
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
    if (e == ZL_ERR_NOMEM) zl_msg(msg, n, "out of memory");
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
        const char *t = zl_trim(tmp);
        char *end = NULL;
        errno = 0;
        long long v = strtoll(t, &end, 10);
        bool ok = *t && end && !*end;
        bool range = errno == ERANGE;
        free(tmp);
        if (!ok) {
            zl_msg(msg, n, "'%s' is not an integer", value);
            return ZL_ERR_INVALID;
        }
        if (range || v < p->min || v > p->max) {
            zl_msg(msg, n, "%s is out of range [%" PRId64 ", %" PRId64 "]", value, p->min, p->max);
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
            zl_msg(msg, n, "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)", value);
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
            zl_msg(msg, n, "'%s' is not one of: %s", value, list);
            return ZL_ERR_INVALID;
        }
        *num = idx;
        *store = canon;
        return ZL_OK;
    }
    }
    return ZL_ERR_INVALID;
}

/* Validates and stores value for slot i; msg names no property. */
static zl_err_t zl_set_slot(zl_conf_t *c, size_t i, const char *value, char *msg, size_t n) {
    zl_slot_t *s = &c->slots[i];
    if (s->p->type == ZL_CONF_KAFKA) {
        zl_err_t e = zl_kafka_put(c, s->p->name, value);
        if (e) return zl_msg(msg, n, "out of memory"), e;
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
        zl_msg(errstr, n, "property '%s' of table '%s' is already bound by table '%s'", p->name, t->title,
               c->slots[dup].t->title);
        return ZL_ERR_INVALID;
    }
    if ((p->type == ZL_CONF_KAFKA) != (strncmp(p->name, "kafka.", 6) == 0)) {
        zl_msg(errstr, n, "property '%s': kafka.* names and only they take type ZL_CONF_KAFKA", p->name);
        return ZL_ERR_INVALID;
    }
    if (!zl_ctype_fits(p) || (p->ctype != ZL_CONF_C_NONE && !dst)) {
        zl_msg(errstr, n, "property '%s': its field does not fit its type (or no struct given)", p->name);
        return ZL_ERR_INVALID;
    }
    char f[128];
    zl_conf_prop_flag(p, f, sizeof f);
    int other = zl_flag_find(c, f, strlen(f));
    for (const char *a = p->aliases; other < 0 && a && *a;) {
        size_t al = strcspn(a, " ");
        other = zl_flag_find(c, a, al);
        a += al;
        while (*a == ' ') a++;
    }
    if (other >= 0) {
        zl_msg(errstr, n, "a flag of property '%s' is already taken by '%s'", p->name, c->slots[other].p->name);
        return ZL_ERR_INVALID;
    }
    return ZL_OK;
}

static zl_err_t zl_add_slot(zl_conf_t *c, const zl_conf_table_t *t, const zl_conf_prop_t *p, void *dst,
                            char *errstr, size_t n) {
    if (c->n_slots == c->cap_slots) {
        size_t cap = c->cap_slots ? c->cap_slots * 2 : 64;
        zl_slot_t *s = realloc(c->slots, cap * sizeof *s);
        if (!s) return ZL_ERR_NOMEM;
        c->slots = s;
        c->cap_slots = cap;
    }
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
        zl_msg(errstr, n, "bad default for %s: %s", p->name, msg);
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
        if (e == ZL_ERR_NOMEM) zl_msg(errstr, n, "out of memory");
        if (e) return e;
    }
    if (c->n_tables == c->cap_tables) {
        size_t cap = c->cap_tables ? c->cap_tables * 2 : 16;
        const zl_conf_table_t **ts = realloc(c->tables, cap * sizeof *ts);
        if (!ts) return zl_msg(errstr, n, "out of memory"), ZL_ERR_NOMEM;
        c->tables = ts;
        c->cap_tables = cap;
    }
    c->tables[c->n_tables++] = t;
    zl_err_t e = zl_expand_all(c, errstr, n);
    if (e) zl_msg_prefix(errstr, n, "table '%s': ", t->title);
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
        zl_msg(errstr, n, "missing property name or value");
        return ZL_ERR_INVALID;
    }
    int i = zl_slot_find(c, name);
    if (i < 0) {
        if (strncmp(name, "kafka.", 6) == 0) {
            if (!zl_kafka_key_ok(name)) {
                zl_msg(errstr, n, "invalid kafka property name '%s'", name);
                return ZL_ERR_INVALID;
            }
            zl_err_t e = zl_kafka_put(c, name, value);
            if (e) zl_msg(errstr, n, "out of memory");
            return e;
        }
        zl_msg(errstr, n, "unknown property '%s'", name);
        return ZL_ERR_NOT_FOUND;
    }
    zl_err_t e = zl_set_slot(c, (size_t)i, value, errstr, n);
    if (e) zl_msg_prefix(errstr, n, "%s: ", name);
    return e;
}

zl_err_t zl_conf_load_string(zl_conf_t *c, const char *text, size_t len, const char *origin,
                             char *errstr, size_t n) {
    if (!origin) origin = "config";
    size_t pos = 0;
    int line = 0;
    while (pos < len) {
        line++;
        size_t end = pos;
        while (end < len && text[end] != '\n') end++;
        if (memchr(text + pos, 0, end - pos)) {
            zl_msg(errstr, n, "%s:%d: NUL byte in line", origin, line);
            return ZL_ERR_INVALID;
        }
        char *l = strndup(text + pos, end - pos);
        if (!l) return ZL_ERR_NOMEM;
        pos = end + 1;
        char *s = (char *)zl_trim(l);
        if (!*s || *s == '#' || *s == '!') {
            free(l);
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            zl_msg(errstr, n, "%s:%d: expected key=value, got '%s'", origin, line, s);
            free(l);
            return ZL_ERR_INVALID;
        }
        *eq = 0;
        const char *key = zl_trim(s), *value = zl_trim(eq + 1);
        if (!*key) {
            zl_msg(errstr, n, "%s:%d: missing property name before '='", origin, line);
            free(l);
            return ZL_ERR_INVALID;
        }
        zl_err_t e = zl_conf_set(c, key, value, errstr, n);
        free(l);
        if (e) {
            zl_msg_prefix(errstr, n, "%s:%d: ", origin, line);
            return e;
        }
    }
    return ZL_OK;
}

zl_err_t zl_conf_load_file(zl_conf_t *c, const char *path, char *errstr, size_t n) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        zl_msg(errstr, n, "cannot open config file '%s': %s", path, strerror(errno));
        return ZL_ERR_IO;
    }
    char *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            size_t nc = cap ? cap * 2 : 8192;
            char *d = realloc(data, nc);
            if (!d) {
                free(data);
                fclose(f);
                zl_msg(errstr, n, "out of memory reading '%s'", path);
                return ZL_ERR_NOMEM;
            }
            data = d;
            cap = nc;
        }
        size_t r = fread(data + len, 1, cap - len, f);
        len += r;
        if (r == 0) break;
        if (len > ZL_CONF_MAX_FILE) {
            free(data);
            fclose(f);
            zl_msg(errstr, n, "config file '%s' is larger than %u bytes", path, ZL_CONF_MAX_FILE);
            return ZL_ERR_TOO_LARGE;
        }
    }
    bool err = ferror(f);
    fclose(f);
    if (err) {
        free(data);
        zl_msg(errstr, n, "cannot read config file '%s'", path);
        return ZL_ERR_IO;
    }
    zl_err_t e = zl_conf_load_string(c, data, len, path, errstr, n);
    free(data);
    return e;
}

zl_err_t zl_conf_load_env(zl_conf_t *c, char *const *envp, char *errstr, size_t n) {
    for (; envp && *envp; envp++) {
        const char *kv = *envp;
        if (strncmp(kv, "ZEELOS_", 7) != 0) continue;
        const char *eq = strchr(kv, '=');
        if (!eq) continue;
        size_t nlen = (size_t)(eq - kv);
        int idx = -1;
        char env[160];
        for (size_t i = 0; i < c->n_slots && idx < 0; i++) {
            zl_conf_prop_env(c->slots[i].p, env, sizeof env);
            if (strlen(env) == nlen && memcmp(env, kv, nlen) == 0) idx = (int)i;
        }
        zl_err_t e;
        char name[160];
        if (idx >= 0) {
            e = zl_set_slot(c, (size_t)idx, eq + 1, errstr, n);
        } else if (nlen > 13 && strncmp(kv, "ZEELOS_KAFKA_", 13) == 0 && nlen < sizeof name) {
            snprintf(name, sizeof name, "kafka.%.*s", (int)(nlen - 13), kv + 13);
            for (char *s = name + 6; *s; s++)
                *s = (*s == '_') ? '.' : (char)tolower((unsigned char)*s);
            e = zl_conf_set(c, name, eq + 1, errstr, n);
        } else {
            ZL_WARN("conf", "ignoring unknown environment variable %.*s", (int)nlen, kv);
            continue;
        }
        if (e) {
            zl_msg_prefix(errstr, n, "environment variable %.*s: ", (int)nlen, kv);
            return e;
        }
    }
    return ZL_OK;
}

/* ---- command line ------------------------------------------------------------------- */

typedef enum { ZL_ARG_POS, ZL_ARG_DASHDASH, ZL_ARG_HELP, ZL_ARG_CONFIG, ZL_ARG_PROP, ZL_ARG_X } zl_argkind_t;

typedef struct {
    zl_argkind_t kind;
    int prop;          /* ZL_ARG_PROP */
    const char *value; /* POS word, CONFIG path, PROP value, X key=value */
    const char *flag;  /* as written, for messages */
    int flag_len;
} zl_arg_t;

static void zl_unknown_option(char *errstr, size_t n, const char *flag, int len, const char *cmd) {
    if (cmd)
        zl_msg(errstr, n, "unknown option '%.*s' (see zeelos %s --help)", len, flag, cmd);
    else
        zl_msg(errstr, n, "unknown option '%.*s' (see zeelos --help)", len, flag);
}

/* Classifies argv[*i] (advancing *i past any value it consumes). */
static zl_err_t zl_arg_next(const zl_conf_t *c, int argc, char **argv, int *i, bool after_dd, const char *cmd,
                            zl_arg_t *a, char *errstr, size_t n) {
    const char *arg = argv[*i];
    memset(a, 0, sizeof *a);
    a->flag = arg;
    a->flag_len = (int)strlen(arg);
    (*i)++;
    if (after_dd || arg[0] != '-' || arg[1] == 0) {
        a->kind = ZL_ARG_POS;
        a->value = arg;
        return ZL_OK;
    }
    if (strcmp(arg, "--") == 0) return a->kind = ZL_ARG_DASHDASH, ZL_OK;
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) return a->kind = ZL_ARG_HELP, ZL_OK;
    if (strncmp(arg, "-X", 2) == 0) {
        a->kind = ZL_ARG_X;
        a->flag_len = 2;
        if (arg[2]) {
            a->value = arg + 2;
        } else if (*i < argc) {
            a->value = argv[(*i)++];
        } else {
            zl_msg(errstr, n, "option '-X' requires a key=value argument");
            return ZL_ERR_INVALID;
        }
        return ZL_OK;
    }
    const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
    size_t flen = eq ? (size_t)(eq - arg) : strlen(arg);
    a->flag_len = (int)flen;
    if (flen == 8 && strncmp(arg, "--config", 8) == 0) {
        a->kind = ZL_ARG_CONFIG;
    } else {
        a->kind = ZL_ARG_PROP;
        a->prop = zl_flag_find(c, arg, flen);
        if (a->prop < 0 && !eq && strncmp(arg, "--no-", 5) == 0) {
            char pos[128];
            snprintf(pos, sizeof pos, "--%s", arg + 5);
            int p = zl_flag_find(c, pos, strlen(pos));
            if (p >= 0 && c->slots[p].p->type == ZL_CONF_BOOL) {
                a->prop = p;
                a->value = "false";
                return ZL_OK;
            }
        }
        if (a->prop < 0) {
            zl_unknown_option(errstr, n, arg, (int)flen, cmd);
            return ZL_ERR_INVALID;
        }
        if (c->slots[a->prop].p->type == ZL_CONF_BOOL && !eq) {
            a->value = "true";
            return ZL_OK;
        }
    }
    if (eq) {
        a->value = eq + 1;
    } else if (*i < argc) {
        a->value = argv[(*i)++];
    } else {
        zl_msg(errstr, n, "option '%.*s' requires a value", (int)flen, arg);
        return ZL_ERR_INVALID;
    }
    return ZL_OK;
}

static const char *zl_cmd_name(int argc, char **argv, int first) {
    if (first < 1 || first > argc || !argv[first - 1]) return NULL;
    const char *s = strrchr(argv[first - 1], '/');
    s = s ? s + 1 : argv[first - 1];
    return strcmp(s, "zeelos") == 0 ? NULL : s;
}

zl_err_t zl_conf_parse_args(zl_conf_t *c, int argc, char **argv, int first, char *const *envp,
                            const char **positional, int max_pos, int *n_pos, char *errstr,
                            size_t n) {
    const char *cmd = zl_cmd_name(argc, argv, first);
    zl_arg_t a;
    int npos = 0;
    if (n_pos) *n_pos = 0;
    /* Pass 1: syntax, --help, positional words; files are loaded in order. */
    bool dd = false;
    for (int i = first < 0 ? 0 : first; i < argc;) {
        zl_err_t e = zl_arg_next(c, argc, argv, &i, dd, cmd, &a, errstr, n);
        if (e) return e;
        if (a.kind == ZL_ARG_HELP) {
            c->help = true;
            return ZL_OK;
        }
        if (a.kind == ZL_ARG_DASHDASH) dd = true;
        if (a.kind == ZL_ARG_POS) {
            if (npos >= max_pos || !positional) {
                zl_msg(errstr, n, "unexpected argument '%s' (see zeelos%s%s --help)", a.value,
                       cmd ? " " : "", cmd ? cmd : "");
                return ZL_ERR_INVALID;
            }
            positional[npos++] = a.value;
            if (n_pos) *n_pos = npos;
        }
    }
    dd = false;
    for (int i = first < 0 ? 0 : first; i < argc;) {
        zl_arg_next(c, argc, argv, &i, dd, cmd, &a, errstr, n);
        if (a.kind == ZL_ARG_DASHDASH) dd = true;
        if (a.kind != ZL_ARG_CONFIG) continue;
        zl_err_t e = zl_conf_load_file(c, a.value, errstr, n);
        if (e) return e;
    }
    zl_err_t e = zl_conf_load_env(c, envp, errstr, n);
    if (e) return e;
    /* Pass 2: flags, left to right (the last one wins). */
    dd = false;
    for (int i = first < 0 ? 0 : first; i < argc;) {
        zl_arg_next(c, argc, argv, &i, dd, cmd, &a, errstr, n);
        if (a.kind == ZL_ARG_DASHDASH) dd = true;
        if (a.kind == ZL_ARG_PROP) {
            e = zl_set_slot(c, (size_t)a.prop, a.value, errstr, n);
            if (e) {
                zl_msg_prefix(errstr, n, "option '%.*s': ", a.flag_len, a.flag);
                return e;
            }
        } else if (a.kind == ZL_ARG_X) {
            const char *eq = strchr(a.value, '=');
            if (!eq || eq == a.value) {
                zl_msg(errstr, n, "option '-X' expects key=value, got '%s'", a.value);
                return ZL_ERR_INVALID;
            }
            char *key = strndup(a.value, (size_t)(eq - a.value));
            if (!key) return ZL_ERR_NOMEM;
            e = zl_conf_set(c, zl_trim(key), eq + 1, errstr, n);
            free(key);
            if (e) {
                zl_msg_prefix(errstr, n, "option '-X': ");
                return e;
            }
        }
    }
    return ZL_OK;
}

bool zl_conf_help_requested(const zl_conf_t *c) { return c && c->help; }

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
        fprintf(out, "%s=%s\n", c->kafka[i].key, zl_secret_key(c->kafka[i].key) ? "********" : c->kafka[i].value);
}
