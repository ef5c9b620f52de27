/* SPDX-License-Identifier: Apache-2.0 */
/* OMA DDF parser.  Why expat with every DTD feature switched off: the files
 * come from an operator's directory (often downloaded from the OMA registry),
 * and an XML parser is the classic place for billion-laughs and XXE bugs.  So:
 *   - any <!ENTITY> declaration (general or parameter, internal or external)
 *     aborts the parse: DDFs need none, and without declarations nothing can
 *     be expanded or fetched;
 *   - a DOCTYPE naming an external subset (SYSTEM/PUBLIC) aborts the parse;
 *     parameter entity parsing stays off (expat's default), no external
 *     entity ref handler loads anything (ours refuses);
 *   - input is capped at ZL_DDF_MAX_SIZE, text per element at ZL_DDF_MAX_TEXT.
 * expat's XML_SetBillionLaughsAttackProtection* (2.4+) are declared only when
 * the including code defines XML_DTD, a library build flag; with every entity
 * declaration refused they would have nothing to limit, so they are not used.
 *
 * Structure accepted (unknown elements inside <Object> and <Item>, e.g.
 * Description, Mandatory, RangeEnumeration, are ignored (Units is kept); anything but
 * <Object> under <LWM2M> is an error, as are duplicated fields):
 *   <LWM2M><Object ObjectType="MODefinition">
 *     <Name/> <ObjectID/> <MultipleInstances>Single|Multiple</MultipleInstances>
 *     <Resources><Item ID="n"><Name/><Operations>R|W|RW|E|</Operations>
 *       <MultipleInstances/><Type>String|...|</Type></Item>...</Resources>
 *   </Object>...</LWM2M> */
#include "lwm2m/ddf.h"

#include <expat.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/array.h"

enum where { W_TOP, W_ROOT, W_OBJ, W_RES, W_ITEM, W_DONE };
enum leaf {
    L_NONE, L_OBJ_NAME, L_OBJ_ID, L_OBJ_MULTI, L_ITEM_NAME, L_ITEM_OPS, L_ITEM_MULTI, L_ITEM_TYPE, L_ITEM_UNITS
};

typedef struct {
    unsigned long line, col;
    char *name;
    long id;    /* -1: not seen */
    int multi;  /* -1: not seen */
    bool has_res;
    zl_res_model_t *res;
    size_t n_res, cap_res;
} obj_b_t;

typedef struct {
    unsigned long line, col;
    long id;
    char *name;
    const char *ops; /* static, NULL: not seen */
    int multi;
    int type; /* -1: not seen */
    char *units; /* NULL: not seen (optional) */
} item_b_t;

typedef struct {
    XML_Parser xp;
    const char *origin;
    char *errstr;
    size_t errstr_size;
    bool failed;
    zl_err_t err;
    enum where where;
    unsigned skip;  /* depth inside an ignored element */
    enum leaf leaf; /* collecting text for this field */
    char text[ZL_DDF_MAX_TEXT + 1];
    size_t tlen;
    obj_b_t obj;
    item_b_t item;
    zl_ddf_t *out;
} pctx_t;

static void failv(pctx_t *c, zl_err_t e, unsigned long line, unsigned long col, const char *fmt, va_list ap) {
    if (c->failed) return;
    c->failed = true;
    c->err = e;
    if (c->errstr && c->errstr_size) {
        int k = snprintf(c->errstr, c->errstr_size, "%s:%lu:%lu: ", c->origin, line, col);
        if (k >= 0 && (size_t)k < c->errstr_size) vsnprintf(c->errstr + k, c->errstr_size - (size_t)k, fmt, ap);
    }
    XML_StopParser(c->xp, XML_FALSE);
}

/* Fails at the parser's current position (1-based column). */
__attribute__((format(printf, 2, 3)))
static void fail(pctx_t *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    failv(c, ZL_ERR_INVALID, (unsigned long)XML_GetCurrentLineNumber(c->xp),
          (unsigned long)XML_GetCurrentColumnNumber(c->xp) + 1, fmt, ap);
    va_end(ap);
}

/* Fails at a remembered position (the start tag of an Object or Item). */
__attribute__((format(printf, 4, 5)))
static void fail_at(pctx_t *c, unsigned long line, unsigned long col, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    failv(c, ZL_ERR_INVALID, line, col, fmt, ap);
    va_end(ap);
}

static void fail_nomem(pctx_t *c) {
    fail(c, "out of memory");
    c->err = ZL_ERR_NOMEM;
}

void zl_ddf_obj_free(zl_obj_model_t *o) {
    if (!o) return;
    for (unsigned i = 0; i < o->n_res; i++) {
        free((char *)o->res[i].name);
        free((char *)o->res[i].units);
    }
    free((zl_res_model_t *)o->res);
    free((char *)o->name);
    free(o);
}

void zl_ddf_free(zl_ddf_t *d) {
    for (size_t i = 0; i < d->n; i++) zl_ddf_obj_free(d->v[i]);
    free(d->v);
    memset(d, 0, sizeof *d);
}

static void obj_reset(obj_b_t *o) {
    for (size_t i = 0; i < o->n_res; i++) {
        free((char *)o->res[i].name);
        free((char *)o->res[i].units);
    }
    free(o->res);
    free(o->name);
    memset(o, 0, sizeof *o);
    o->id = -1;
    o->multi = -1;
}

static void item_reset(item_b_t *it) {
    free(it->name);
    free(it->units);
    memset(it, 0, sizeof *it);
    it->id = -1;
    it->multi = -1;
    it->type = -1;
}

/* Trims ASCII white space in place; returns the start. */
static char *trim(char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) s[--n] = 0;
    return s;
}

/* Decimal id 0..65534, nothing else; -1 otherwise. */
static long parse_id(const char *s) {
    if (!*s || strlen(s) > 5) return -1;
    long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        v = v * 10 + (*s - '0');
    }
    return v <= 65534 ? v : -1;
}

int zl_ddf_type(const char *s) {
    static const struct { const char *name; zl_type_t t; } map[] = {
        {"String", ZL_T_STRING},   {"Integer", ZL_T_INTEGER}, {"Unsigned Integer", ZL_T_INTEGER},
        {"Float", ZL_T_FLOAT},     {"Boolean", ZL_T_BOOLEAN}, {"Opaque", ZL_T_OPAQUE},
        {"Time", ZL_T_TIME},       {"Objlnk", ZL_T_OBJLNK},   {"Corelnk", ZL_T_STRING},
        {"", ZL_T_NONE},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcasecmp(s, map[i].name) == 0) return (int)map[i].t;
    return -1;
}

static const char *parse_ops(const char *s) {
    static const char *const ops[] = {"R", "W", "RW", "E", ""};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcasecmp(s, ops[i]) == 0) return ops[i];
    return NULL;
}

static int parse_multi(const char *s) {
    if (strcasecmp(s, "Multiple") == 0) return 1;
    if (strcasecmp(s, "Single") == 0) return 0;
    return -1;
}

static const char *leaf_tag(enum leaf l) {
    switch (l) {
    case L_OBJ_NAME: case L_ITEM_NAME: return "Name";
    case L_OBJ_ID: return "ObjectID";
    case L_OBJ_MULTI: case L_ITEM_MULTI: return "MultipleInstances";
    case L_ITEM_OPS: return "Operations";
    case L_ITEM_TYPE: return "Type";
    case L_ITEM_UNITS: return "Units";
    default: return "?";
    }
}

/* Whether the field a leaf fills was already seen. */
static bool leaf_seen(const pctx_t *c, enum leaf l) {
    switch (l) {
    case L_OBJ_NAME: return c->obj.name != NULL;
    case L_OBJ_ID: return c->obj.id >= 0;
    case L_OBJ_MULTI: return c->obj.multi >= 0;
    case L_ITEM_NAME: return c->item.name != NULL;
    case L_ITEM_OPS: return c->item.ops != NULL;
    case L_ITEM_MULTI: return c->item.multi >= 0;
    case L_ITEM_TYPE: return c->item.type >= 0;
    case L_ITEM_UNITS: return c->item.units != NULL;
    default: return false;
    }
}

static enum leaf leaf_for(enum where w, const char *name) {
    if (w == W_OBJ) {
        if (strcmp(name, "Name") == 0) return L_OBJ_NAME;
        if (strcmp(name, "ObjectID") == 0) return L_OBJ_ID;
        if (strcmp(name, "MultipleInstances") == 0) return L_OBJ_MULTI;
    } else if (w == W_ITEM) {
        if (strcmp(name, "Name") == 0) return L_ITEM_NAME;
        if (strcmp(name, "Operations") == 0) return L_ITEM_OPS;
        if (strcmp(name, "MultipleInstances") == 0) return L_ITEM_MULTI;
        if (strcmp(name, "Type") == 0) return L_ITEM_TYPE;
        if (strcmp(name, "Units") == 0) return L_ITEM_UNITS;
    }
    return L_NONE;
}

static const char *attr(const XML_Char **atts, const char *name) {
    for (size_t i = 0; atts && atts[i]; i += 2)
        if (strcmp(atts[i], name) == 0) return atts[i + 1];
    return NULL;
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **atts) {
    pctx_t *c = ud;
    if (c->failed) return;
    if (c->skip) { c->skip++; return; }
    if (c->leaf != L_NONE) {
        fail(c, "unexpected element <%s> inside <%s>", name, leaf_tag(c->leaf));
        return;
    }
    switch (c->where) {
    case W_TOP:
        if (strcmp(name, "LWM2M") != 0) { fail(c, "root element is <%s>, expected <LWM2M>", name); return; }
        c->where = W_ROOT;
        return;
    case W_ROOT: {
        if (strcmp(name, "Object") != 0) { fail(c, "unexpected element <%s> in <LWM2M>, expected <Object>", name); return; }
        const char *ot = attr(atts, "ObjectType");
        if (ot && strcmp(ot, "MODefinition") != 0) {
            fail(c, "Object has ObjectType=\"%s\", expected \"MODefinition\"", ot);
            return;
        }
        if (c->out->n >= ZL_DDF_MAX_OBJECTS) { fail(c, "more than %d objects", ZL_DDF_MAX_OBJECTS); return; }
        obj_reset(&c->obj);
        c->obj.line = (unsigned long)XML_GetCurrentLineNumber(c->xp);
        c->obj.col = (unsigned long)XML_GetCurrentColumnNumber(c->xp) + 1;
        c->where = W_OBJ;
        return;
    }
    case W_OBJ:
        if (strcmp(name, "Resources") == 0) {
            if (c->obj.has_res) { fail(c, "duplicate <Resources> in Object"); return; }
            c->obj.has_res = true;
            c->where = W_RES;
            return;
        }
        break;
    case W_RES: {
        if (strcmp(name, "Item") != 0) { fail(c, "unexpected element <%s> in <Resources>, expected <Item>", name); return; }
        item_reset(&c->item);
        c->item.line = (unsigned long)XML_GetCurrentLineNumber(c->xp);
        c->item.col = (unsigned long)XML_GetCurrentColumnNumber(c->xp) + 1;
        const char *id = attr(atts, "ID");
        if (!id) { fail(c, "Item without an ID attribute"); return; }
        char buf[16];
        snprintf(buf, sizeof buf, "%.15s", id);
        if (strlen(id) >= sizeof buf || (c->item.id = parse_id(trim(buf))) < 0) {
            fail(c, "Item ID \"%.32s\" is not a resource id (0..65534)", id);
            return;
        }
        if (c->obj.n_res >= ZL_DDF_MAX_RESOURCES) { fail(c, "more than %d resources", ZL_DDF_MAX_RESOURCES); return; }
        c->where = W_ITEM;
        return;
    }
    case W_ITEM:
        break;
    case W_DONE:
        fail(c, "element <%s> after </LWM2M>", name); /* not reachable: expat rejects a second root */
        return;
    }
    enum leaf l = leaf_for(c->where, name);
    if (l == L_NONE) { c->skip = 1; return; } /* Description, Mandatory, Units, ... */
    if (leaf_seen(c, l)) { fail(c, "duplicate <%s> in %s", name, c->where == W_OBJ ? "Object" : "Item"); return; }
    c->leaf = l;
    c->tlen = 0;
}

static void on_text(void *ud, const XML_Char *s, int len) {
    pctx_t *c = ud;
    if (c->failed || c->skip || c->leaf == L_NONE || len <= 0) return;
    if ((size_t)len > ZL_DDF_MAX_TEXT - c->tlen) {
        fail(c, "<%s> text longer than %d bytes", leaf_tag(c->leaf), ZL_DDF_MAX_TEXT);
        return;
    }
    memcpy(c->text + c->tlen, s, (size_t)len);
    c->tlen += (size_t)len;
}

static void end_leaf(pctx_t *c) {
    c->text[c->tlen] = 0;
    if (memchr(c->text, 0, c->tlen)) { fail(c, "NUL character in <%s>", leaf_tag(c->leaf)); return; }
    char *s = trim(c->text);
    enum leaf l = c->leaf;
    c->leaf = L_NONE;
    switch (l) {
    case L_OBJ_NAME:
    case L_ITEM_NAME:
    case L_ITEM_UNITS: {
        char *dup = strdup(s);
        if (!dup) { fail_nomem(c); return; }
        if (l == L_OBJ_NAME) c->obj.name = dup;
        else if (l == L_ITEM_NAME) c->item.name = dup;
        else c->item.units = dup;
        return;
    }
    case L_OBJ_ID:
        if ((c->obj.id = parse_id(s)) < 0) fail(c, "ObjectID \"%.32s\" is not an object id (0..65534)", s);
        return;
    case L_OBJ_MULTI:
    case L_ITEM_MULTI: {
        int m = parse_multi(s);
        if (m < 0) { fail(c, "MultipleInstances \"%.32s\" is not Single or Multiple", s); return; }
        if (l == L_OBJ_MULTI) c->obj.multi = m;
        else c->item.multi = m;
        return;
    }
    case L_ITEM_OPS:
        if (!(c->item.ops = parse_ops(s))) fail(c, "Operations \"%.32s\" is not R, W, RW, E or empty", s);
        return;
    case L_ITEM_TYPE:
        if ((c->item.type = zl_ddf_type(s)) < 0)
            fail(c, "Type \"%.32s\" is not String, Integer, Unsigned Integer, Float, Boolean, Opaque, "
                    "Time, Objlnk, Corelnk or empty", s);
        return;
    default:
        return;
    }
}

static int cmp_res(const void *a, const void *b) {
    const zl_res_model_t *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static void end_item(pctx_t *c) {
    item_b_t *it = &c->item;
    const char *missing = !it->name ? "Name" : !it->ops ? "Operations" : it->multi < 0 ? "MultipleInstances"
                        : it->type < 0 ? "Type" : NULL;
    if (missing) {
        fail_at(c, it->line, it->col, "Item %ld has no <%s>", it->id, missing);
        return;
    }
    obj_b_t *o = &c->obj;
    if (ZL_ARRAY_RESERVE(&o->res, &o->cap_res, o->n_res + 1, 16)) { fail_nomem(c); return; }
    o->res[o->n_res++] =
        (zl_res_model_t){(uint16_t)it->id, it->name, (zl_type_t)it->type, it->multi == 1, it->ops, it->units};
    it->name = it->units = NULL; /* moved */
    c->where = W_RES;
}

static void end_object(pctx_t *c) {
    obj_b_t *o = &c->obj;
    const char *missing = !o->name ? "Name" : o->id < 0 ? "ObjectID" : o->multi < 0 ? "MultipleInstances"
                        : !o->has_res ? "Resources" : NULL;
    if (missing) {
        fail_at(c, o->line, o->col, "Object%s%s has no <%s>", o->name ? " " : "", o->name ? o->name : "", missing);
        return;
    }
    if (o->n_res > 1) qsort(o->res, o->n_res, sizeof *o->res, cmp_res);
    for (size_t i = 1; i < o->n_res; i++)
        if (o->res[i].id == o->res[i - 1].id) {
            fail_at(c, o->line, o->col, "Object %ld: duplicate resource Item ID %u", o->id, (unsigned)o->res[i].id);
            return;
        }
    for (size_t i = 0; i < c->out->n; i++)
        if (c->out->v[i]->id == o->id) {
            fail_at(c, o->line, o->col, "Object %ld defined twice", o->id);
            return;
        }
    zl_obj_model_t *m = calloc(1, sizeof *m);
    if (!m || ZL_ARRAY_RESERVE(&c->out->v, &c->out->cap, c->out->n + 1, 4)) { free(m); fail_nomem(c); return; }
    m->id = (uint16_t)o->id;
    m->name = o->name;
    m->multiple = o->multi == 1;
    m->res = o->res;
    m->n_res = (unsigned)o->n_res;
    c->out->v[c->out->n++] = m;
    memset(o, 0, sizeof *o); /* moved */
    o->id = o->multi = -1;
    c->where = W_ROOT;
}

static void on_end(void *ud, const XML_Char *name) {
    pctx_t *c = ud;
    if (c->failed) return;
    if (c->skip) { c->skip--; return; }
    if (c->leaf != L_NONE) { end_leaf(c); return; }
    switch (c->where) {
    case W_ITEM: end_item(c); return;
    case W_RES: c->where = W_OBJ; return;
    case W_OBJ: end_object(c); return;
    case W_ROOT: c->where = W_DONE; return;
    default: return;
    }
}

static void on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                       int has_internal_subset) {
    pctx_t *c = ud;
    if (c->failed) return;
    if (sysid || pubid)
        fail(c, "DOCTYPE with an external DTD (%s) refused: DDF files need no DTD", sysid ? sysid : pubid);
}

static void on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value, int value_len,
                      const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid,
                      const XML_Char *notation) {
    pctx_t *c = ud;
    if (c->failed) return;
    fail(c, "entity declaration <!ENTITY %s%s> refused: DDF files need no entities", is_param ? "% " : "", name);
}

static int on_external_ref(XML_Parser xp, const XML_Char *context, const XML_Char *base,
                           const XML_Char *sysid, const XML_Char *pubid) {
    pctx_t *c = XML_GetUserData(xp);
    if (!c->failed) fail(c, "external entity reference refused");
    return XML_STATUS_ERROR;
}

zl_err_t zl_ddf_parse(const char *xml, size_t len, const char *origin, zl_ddf_t *out,
                      char *errstr, size_t errstr_size) {
    memset(out, 0, sizeof *out);
    if (errstr && errstr_size) errstr[0] = 0;
    if (!origin) origin = "<ddf>";
    if (!xml && len) return zl_err_fmt(errstr, errstr_size, ZL_ERR_INVALID, "%s: NULL document", origin);
    if (len > ZL_DDF_MAX_SIZE)
        return zl_err_fmt(errstr, errstr_size, ZL_ERR_TOO_LARGE, "%s: %zu bytes, more than the %u allowed",
                          origin, len, ZL_DDF_MAX_SIZE);
    pctx_t *c = calloc(1, sizeof *c);
    if (!c) return ZL_ERR_NOMEM;
    c->xp = XML_ParserCreate(NULL);
    if (!c->xp) { free(c); return ZL_ERR_NOMEM; }
    c->origin = origin;
    c->errstr = errstr;
    c->errstr_size = errstr_size;
    c->out = out;
    obj_reset(&c->obj);
    item_reset(&c->item);
    XML_SetUserData(c->xp, c);
    XML_SetElementHandler(c->xp, on_start, on_end);
    XML_SetCharacterDataHandler(c->xp, on_text);
    XML_SetStartDoctypeDeclHandler(c->xp, on_doctype);
    XML_SetEntityDeclHandler(c->xp, on_entity);
    XML_SetExternalEntityRefHandler(c->xp, on_external_ref);
    XML_SetParamEntityParsing(c->xp, XML_PARAM_ENTITY_PARSING_NEVER);

    enum XML_Status st = XML_Parse(c->xp, xml ? xml : "", (int)len, XML_TRUE);
    zl_err_t e = ZL_OK;
    if (c->failed) {
        e = c->err;
    } else if (st != XML_STATUS_OK) {
        enum XML_Error xe = XML_GetErrorCode(c->xp);
        e = xe == XML_ERROR_NO_MEMORY ? ZL_ERR_NOMEM : ZL_ERR_INVALID;
        zl_err_fmt(errstr, errstr_size, e, "%s:%lu:%lu: XML error: %s", origin,
                   (unsigned long)XML_GetCurrentLineNumber(c->xp),
                   (unsigned long)XML_GetCurrentColumnNumber(c->xp) + 1, XML_ErrorString(xe));
    } else if (c->where != W_DONE) { /* not reachable: expat reports "no element found" */
        e = zl_err_fmt(errstr, errstr_size, ZL_ERR_INVALID, "%s: incomplete document", origin);
    } else if (out->n == 0) {
        e = zl_err_fmt(errstr, errstr_size, ZL_ERR_INVALID, "%s: no <Object> in <LWM2M>", origin);
    }
    obj_reset(&c->obj);
    item_reset(&c->item);
    XML_ParserFree(c->xp);
    free(c);
    if (e) zl_ddf_free(out);
    return e;
}
