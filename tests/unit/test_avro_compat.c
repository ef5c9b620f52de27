/* SPDX-License-Identifier: Apache-2.0 */
/* Avro schema parsing, Parsing Canonical Form and schema resolution
 * (kafka/avro_compat.h), case by case against the Avro 1.11 specification.
 * Where the spec leaves room, the expectation was confirmed with Apache
 * Avro's Python implementation (avro 1.12, avro.compatibility) by hand; the
 * places where that checker and the spec disagree are marked "Python:".
 *
 * Schemas and expected messages are written with ' for " (none needs a '). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/avro_compat.h"
#include "kafka/avro_schemas.h"
#include "test.h"

/* s with every ' turned into ": malloc'd (an empty string when out of memory is not expected). */
static char *dq(const char *s) {
    char *d = strdup(s);
    for (char *p = d; p && *p; p++)
        if (*p == '\'') *p = '"';
    return d;
}

#define CHECK_SQ(got, want) do { char *_d = dq(want); CHECK_STR((got), _d); free(_d); } while (0)

static zl_avro_schema_t *parse(const char *sq_json) {
    char err[256] = "", *json = dq(sq_json);
    zl_avro_schema_t *s = zl_avro_schema_parse(json, strlen(json), err, sizeof err);
    if (!s) fprintf(stderr, "parse failed: %s\n  %s\n", err, json);
    free(json);
    return s;
}

/* can_read(reader, writer): 1 yes, 0 no (message in why), -1 a schema did not parse. */
static int can(const char *reader, const char *writer, char *why, size_t n) {
    zl_avro_schema_t *r = parse(reader), *w = parse(writer);
    int res = -1;
    if (r && w) res = zl_avro_can_read(r, w, why, n) == ZL_OK;
    zl_avro_schema_free(r);
    zl_avro_schema_free(w);
    return res;
}

/* Reader can read writer / cannot, and then the message is want unless want is NULL. */
#define READS(r, w) do { char _w[512] = ""; int _c = can((r), (w), _w, sizeof _w); \
    if (_c != 1) { fprintf(stderr, "  why: %s\n", _w); } CHECK_EQ_INT(_c, 1); } while (0)
#define CANNOT(r, w, want) do { char _w[512] = ""; CHECK_EQ_INT(can((r), (w), _w, sizeof _w), 0); \
    if (want) CHECK_SQ(_w, (const char *)(want)); } while (0)

static void invalid(const char *sq_json, const char *want) {
    char err[256] = "", *json = dq(sq_json);
    zl_avro_schema_t *s = zl_avro_schema_parse(json, strlen(json), err, sizeof err);
    CHECK(s == NULL);
    CHECK_SQ(err, want);
    zl_avro_schema_free(s);
    free(json);
}

static void canonical(const char *sq_json, const char *want) {
    zl_avro_schema_t *s = parse(sq_json);
    if (!GUARD(s)) return;
    char *c = zl_avro_schema_canonical(s);
    CHECK_SQ(c, want);
    free(c);
    zl_avro_schema_free(s);
}

static void test_primitives(void) {
    static const char *const p[] = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"};
    /* the spec's promotions; Python's checker gives exactly these too */
    static const char *const promo[] = {"long<int", "float<int", "double<int", "float<long", "double<long",
                                        "double<float", "bytes<string", "string<bytes"};
    for (size_t r = 0; r < 8; r++) {
        for (size_t w = 0; w < 8; w++) {
            char rj[32], wj[32], pair[32], why[256] = "";
            snprintf(rj, sizeof rj, "'%s'", p[r]);
            snprintf(wj, sizeof wj, "{'type':'%s'}", p[w]);
            snprintf(pair, sizeof pair, "%s<%s", p[r], p[w]);
            int want = r == w;
            for (size_t k = 0; k < sizeof promo / sizeof promo[0]; k++) want |= strcmp(pair, promo[k]) == 0;
            int got = can(rj, wj, why, sizeof why);
            if (got != want) fprintf(stderr, "primitive %s: got %d\n", pair, got);
            CHECK_EQ_INT(got, want);
        }
    }
    CANNOT("'int'", "'long'", "/: reader int cannot read writer long");
    CANNOT("'float'", "'double'", "/: reader float cannot read writer double");
    CANNOT("'string'", "{'type':'enum','name':'E','symbols':['A']}",
           "/: reader string cannot read writer enum E");
    /* logical types are kept but do not change what reads what */
    READS("{'type':'long','logicalType':'timestamp-millis'}", "'int'");
}

#define REC(fields) "{'type':'record','name':'R','fields':[" fields "]}"

static void test_records(void) {
    const char *v1 = REC("{'name':'a','type':'int'}");
    const char *v2 = REC("{'name':'a','type':'int'},{'name':'b','type':'string','default':'x'}");
    const char *v3 = REC("{'name':'a','type':'int'},{'name':'b','type':'string'}");
    /* add a field with a default: backward (new reads old) and forward (old reads new) */
    READS(v2, v1);
    READS(v1, v2);
    /* without a default: forward only */
    CANNOT(v3, v1, "/fields/1 (b): reader field has no default and the writer has no such field");
    READS(v1, v3);
    /* remove a field */
    READS(REC(""), v1);
    CANNOT(v1, REC(""), "/fields/0 (a): reader field has no default and the writer has no such field");
    /* a field's type */
    CANNOT(v1, REC("{'name':'a','type':'long'}"), "/fields/0 (a)/type: reader int cannot read writer long");
    READS(REC("{'name':'a','type':'double'}"), v1);
    /* rename a field: the reader's field aliases name the writer's field */
    READS(REC("{'name':'c','type':'int','aliases':['x','a']}"), v1);
    CANNOT(REC("{'name':'c','type':'int'}"), v1, NULL);
    /* rename the record: the reader's aliases are fullnames, an unqualified one in the
     * reader's namespace (Python: compares aliases as written, so it refuses the first) */
    const char *old = "{'type':'record','name':'Old','namespace':'a','fields':[]}";
    READS("{'type':'record','name':'a.New','aliases':['Old'],'fields':[]}", old);
    READS("{'type':'record','name':'b.New','aliases':['a.Old'],'fields':[]}", old);
    CANNOT("{'type':'record','name':'b.New','aliases':['Old'],'fields':[]}", old,
           "/: reader record b.New cannot read writer record a.Old (the names differ and no alias of the reader names "
           "the writer)");
    /* names compare unqualified (Python agrees) */
    READS("{'type':'record','name':'x.R','fields':[]}", "{'type':'record','name':'y.R','fields':[]}");
    /* nested records: the location goes down the reader */
    const char *nest_r = REC("{'name':'in','type':{'type':'record','name':'I','fields':["
                             "{'name':'x','type':'int'}]}}");
    const char *nest_w = REC("{'name':'in','type':{'type':'record','name':'I','fields':["
                             "{'name':'x','type':'long'}]}}");
    CANNOT(nest_r, nest_w, "/fields/0 (in)/type/fields/0 (x)/type: reader int cannot read writer long");
    READS(nest_w, nest_r);
}

#define ENUM(syms, extra) "{'type':'enum','name':'E','symbols':[" syms "]" extra "}"

static void test_enums_fixed(void) {
    READS(ENUM("'A','B','C'", ""), ENUM("'A','B'", ""));
    CANNOT(ENUM("'A','B'", ""), ENUM("'A','B','C','D'", ""),
           "/symbols: reader enum E has no default and lacks writer symbols C, D");
    READS(ENUM("'A','B'", ",'default':'A'"), ENUM("'A','B','C'", ""));
    CANNOT(ENUM("'A'", ""), "{'type':'enum','name':'F','symbols':['A']}", NULL);
    READS(ENUM("'A'", ",'aliases':['F']"), "{'type':'enum','name':'F','symbols':['A']}");
    const char *f16 = "{'type':'fixed','name':'F','size':16}";
    READS(f16, "{'type':'fixed','name':'ns.F','size':16}");
    CANNOT(f16, "{'type':'fixed','name':'F','size':8}",
           "/size: reader fixed F has size 16 but writer fixed F has size 8");
    CANNOT(f16, "{'type':'fixed','name':'G','size':16}", NULL);
    CANNOT(f16, "'bytes'", "/: reader fixed F cannot read writer bytes");
}

static void test_arrays_maps(void) {
    READS("{'type':'array','items':'long'}", "{'type':'array','items':'int'}");
    CANNOT("{'type':'array','items':'int'}", "{'type':'array','items':'long'}",
           "/items: reader int cannot read writer long");
    READS("{'type':'map','values':'bytes'}", "{'type':'map','values':'string'}");
    CANNOT("{'type':'map','values':{'type':'array','items':'string'}}",
           "{'type':'map','values':{'type':'array','items':'boolean'}}",
           "/values/items: reader string cannot read writer boolean");
    CANNOT("{'type':'map','values':'int'}", "{'type':'array','items':'int'}",
           "/: reader map cannot read writer array");
}

static void test_unions(void) {
    /* widening reads, narrowing does not */
    READS("['null','int','string']", "['null','int']");
    CANNOT("['null','int']", "['null','int','string']",
           "/: no branch of the reader union [null, int] can read writer string");
    /* writer union, reader not: every branch must be readable */
    READS("'long'", "['int','long']");
    CANNOT("'int'", "['null','int']", "/: reader int cannot read writer null");
    /* reader union, writer not: some branch reads it (by promotion too) */
    READS("['null','long']", "'int'");
    READS("['null','int']", "'null'");
    CANNOT("['null','string']", "'int'", "/: no branch of the reader union [null, string] can read writer int");
    /* the branch of the writer's name explains the failure */
    CANNOT("['null'," REC("{'name':'x','type':'int'}") "]", REC(""),
           "/1/fields/0 (x): reader field has no default and the writer has no such field");
    /* an empty writer union writes nothing; an empty reader union reads nothing (Python agrees) */
    READS("'int'", "[]");
    CANNOT("[]", "'int'", "/: no branch of the reader union [] can read writer int");
    /* a field becomes optional: backward yes, forward only while no null is written */
    READS(REC("{'name':'a','type':['null','int'],'default':null}"), REC("{'name':'a','type':'int'}"));
    CANNOT(REC("{'name':'a','type':'int'}"), REC("{'name':'a','type':['null','int'],'default':null}"),
           "/fields/0 (a)/type: reader int cannot read writer null");
}

#define LIST(vtype) "{'type':'record','name':'L','fields':[{'name':'v','type':'" vtype "'}," \
    "{'name':'next','type':['null','L']}]}"

static void test_recursive(void) {
    READS(LIST("int"), LIST("int"));
    READS(LIST("long"), LIST("int"));
    CANNOT(LIST("int"), LIST("long"), "/fields/0 (v)/type: reader int cannot read writer long");
    /* a tree: the recursion runs through an array and a union */
    const char *tree_r = "{'type':'record','name':'T','fields':[{'name':'kids','type':{'type':'array',"
                         "'items':'T'}},{'name':'other','type':['null','T']},{'name':'v','type':'int'}]}";
    const char *tree_w = "{'type':'record','name':'T','fields':[{'name':'kids','type':{'type':'array',"
                         "'items':'T'}},{'name':'other','type':['null','T']},{'name':'v','type':'long'}]}";
    CANNOT(tree_r, tree_w, "/fields/2 (v)/type: reader int cannot read writer long");
    READS(tree_w, tree_r);
    /* a pair found unreadable once (a.T for T, in field a, where b.T then
     * reads it) keeps its reason for the next place it is needed (field b) */
    const char *twice = "{'type':'record','name':'Top','fields':[{'name':'a','type':[{'type':'record','name':'a.T',"
                        "'fields':[{'name':'v','type':'int'}]},{'type':'record','name':'b.T','fields':[{'name':'v',"
                        "'type':'long'}]}]},{'name':'b','type':'a.T'}]}";
    const char *once = "{'type':'record','name':'Top','fields':[{'name':'a','type':{'type':'record','name':'T',"
                       "'fields':[{'name':'v','type':'long'}]}},{'name':'b','type':'T'}]}";
    CANNOT(twice, once, "/fields/1 (b)/type/fields/0 (v)/type: reader int cannot read writer long");
    READS(once, twice);
    /* A "yes" that leaned on an assumption which then failed is forgotten.  The
     * reader's X (alias S) is tried for the writer's S first and fails on
     * "must", but only after S-in-S was provisionally found readable through X;
     * the second branch S then really cannot read a nested S.  Python: its
     * checker keeps the provisional answer and says compatible, yet its own
     * DatumReader fails on {"back": {"back": null}} with these schemas. */
    CANNOT("[{'type':'record','name':'X','aliases':['S'],'fields':[{'name':'back','type':['null',"
           "{'type':'record','name':'S','fields':[{'name':'back','type':['null','X']}]}]},"
           "{'name':'must','type':'int'}]},'S']",
           "{'type':'record','name':'S','fields':[{'name':'back','type':['null','S']}]}",
           "/0/fields/1 (must): reader field has no default and the writer has no such field");
}

static void test_namespaces(void) {
    /* "E" and "ns.E" inside namespace ns name the same type */
    const char *s = "{'type':'record','name':'R','namespace':'ns','fields':["
                    "{'name':'a','type':{'type':'enum','name':'E','symbols':['A']}},"
                    "{'name':'b','type':'E'},{'name':'c','type':'ns.E'},{'name':'d','type':{'type':'E'}}]}";
    canonical(s, "{'name':'ns.R','type':'record','fields':[{'name':'a','type':{'name':'ns.E',"
                 "'type':'enum','symbols':['A']}},{'name':'b','type':'ns.E'},{'name':'c','type':"
                 "'ns.E'},{'name':'d','type':'ns.E'}]}");
    /* outside ns, "E" is not ns.E */
    invalid("{'type':'record','name':'R','fields':[{'name':'a','type':{'type':'enum','name':'ns.E',"
            "'symbols':['A']}},{'name':'b','type':'E'}]}",
            "/fields/1 (b)/type: unknown type 'E'");
    /* a dotted name ignores "namespace" and sets the one its fields are in */
    canonical("{'type':'record','name':'a.b.R','namespace':'zz','fields':[{'name':'f','type':"
              "{'type':'fixed','name':'F','size':1}}]}",
              "{'name':'a.b.R','type':'record','fields':[{'name':'f','type':{'name':'a.b.F',"
              "'type':'fixed','size':1}}]}");
    /* "namespace": "" is the null namespace (spec; Python: inherits the enclosing
     * one), and a short reference from inside ns falls back to the null
     * namespace (Java and so Confluent; the spec and Python refuse it) */
    canonical("{'type':'record','name':'x.R','fields':[{'name':'a','type':{'type':'enum','name':"
              "'E','namespace':'','symbols':['A']}},{'name':'b','type':'E'}]}",
              "{'name':'x.R','type':'record','fields':[{'name':'a','type':{'name':'E','type':"
              "'enum','symbols':['A']}},{'name':'b','type':'E'}]}");
    /* two types of the same short name in different namespaces may share a union */
    READS("[{'type':'record','name':'a.R','fields':[{'name':'x','type':'int'}]},"
          "{'type':'record','name':'b.R','fields':[]}]",
          "{'type':'record','name':'c.R','fields':[]}");
}

static void test_invalid(void) {
    invalid("{'type':'foo'}", "/: unknown type 'foo'");
    invalid("'foo'", "/: unknown type 'foo'");
    invalid("7", "/: a schema must be a JSON string, object or array");
    char err[256] = "";
    const char *cut = "{\"type\":\"record\",\"name\":\"R\",";
    CHECK(zl_avro_schema_parse(cut, strlen(cut), err, sizeof err) == NULL);
    CHECK_STR(err, "not JSON: string or '}' expected near end of file (line 1, column 28)");
    invalid(REC("{'name':'a','type':'int'},{'name':'a','type':'long'}"),
            "/fields/1 (a): duplicate field name 'a'");
    invalid(REC("{'name':'a','type':'int','default':'x'}"), "/fields/0 (a)/default: 'x' is not a valid int");
    invalid(REC("{'name':'a','type':'int','default':2147483648}"),
            "/fields/0 (a)/default: 2147483648 is not a valid int");
    invalid(REC("{'name':'a','type':'int','default':1.5}"), "/fields/0 (a)/default: 1.5 is not a valid int");
    invalid("['int','int']", "/1: duplicate int in union");
    invalid("[{'type':'array','items':'int'},{'type':'array','items':'long'}]", "/1: duplicate array in union");
    invalid("[{'type':'record','name':'a.R','fields':[]},'a.R']", "/1: duplicate a.R in union");
    invalid("['int',['long']]", "/1: a union may not directly contain another union");
    invalid(ENUM("'A','1B'", ""), "/symbols/1: invalid enum symbol '1B'");
    invalid(ENUM("'A','A'", ""), "/symbols/1: duplicate enum symbol 'A'");
    invalid(ENUM("'A'", ",'default':'B'"), "/default: the enum default must be one of the symbols");
    invalid(REC("{'name':'a','type':" ENUM("'A'", "") ",'default':'B'}"),
            "/fields/0 (a)/default: 'B' is not a valid enum E");
    invalid("{'type':'record','name':'R','fields':[{'name':'a','type':{'type':'record','name':'R',"
            "'fields':[]}}]}",
            "/fields/0 (a)/type: redefinition of R");
    invalid("{'type':'record','name':'int','fields':[]}", "/: a record may not be named int");
    invalid("{'type':'record','name':'a-b','fields':[]}", "/: invalid name 'a-b'");
    invalid("{'type':'caf\\u00e9\\n'}", "/: unknown type 'caf\?\?\?'"); /* shown as ASCII */
    invalid("{'type':'record','name':'R','namespace':'a..b','fields':[]}", "/: invalid namespace 'a..b'");
    invalid(REC("{'name':'1a','type':'int'}"), "/fields/0: invalid field name '1a'");
    invalid("{'type':'record','name':'R'}", "/: a record needs 'fields' (an array)");
    invalid("{'type':'fixed','name':'F','size':-1}", "/: a fixed needs a 'size' (an integer from 0 to 2147483647)");
    invalid("{'type':'array'}", "/: an array needs 'items'");
    invalid(REC("{'name':'a','type':'string','order':'up'}"),
            "/fields/0 (a): 'order' must be 'ascending', 'descending' or 'ignore'");
    /* a union's default is one of its first branch (1.11) */
    invalid(REC("{'name':'a','type':['null','int'],'default':1}"), "/fields/0 (a)/default: 1 is not a valid null");
    zl_avro_schema_t *u = parse(REC("{'name':'a','type':['int','null'],'default':1}"));
    CHECK(u != NULL);
    zl_avro_schema_free(u);
    /* bytes and fixed defaults: code points 0-255, as many as the size */
    invalid(REC("{'name':'a','type':'bytes','default':'\\u0100'}"),
            "/fields/0 (a)/default: '\\u0100' is not a valid bytes");
    invalid(REC("{'name':'a','type':{'type':'fixed','name':'F','size':2},'default':'abc'}"),
            "/fields/0 (a)/default: 'abc' is not a valid fixed F");
    /* record and array defaults are checked member by member */
    invalid(REC("{'name':'a','type':{'type':'record','name':'S','fields':[{'name':'x','type':'int'}]},"
                "'default':{}}"),
            "/fields/0 (a)/default/x: missing, and field x of S has no default");
    invalid(REC("{'name':'a','type':{'type':'array','items':'int'},'default':[1,'v']}"),
            "/fields/0 (a)/default/1: 'v' is not a valid int");
    /* a default naming the record being defined is checked once it is complete */
    zl_avro_schema_t *s = parse(REC("{'name':'next','type':['null','R'],'default':null},"
                                    "{'name':'kids','type':{'type':'array','items':'R'},"
                                    "'default':[{'next':null,'kids':[]}]}"));
    CHECK(s != NULL);
    zl_avro_schema_free(s);
    /* too deep */
    char deep[8192] = "";
    for (int i = 0; i < 200; i++) strcat(deep, "{\"type\":\"array\",\"items\":");
    strcat(deep, "\"int\"");
    for (int i = 0; i < 200; i++) strcat(deep, "}");
    CHECK(zl_avro_schema_parse(deep, strlen(deep), err, sizeof err) == NULL);
    CHECK(strstr(err, "nested deeper than 128 levels") != NULL);
}

static void test_canonical(void) {
    /* the examples the brief and the spec give */
    canonical("{'type':'record','name':'a','namespace':'b','fields':[{'name':'f','type':'int',"
              "'doc':'x'}]}",
              "{'name':'b.a','type':'record','fields':[{'name':'f','type':'int'}]}");
    canonical("'int'", "'int'");
    canonical("{'type':'int'}", "'int'");
    canonical(" { 'logicalType' : 'date', 'type' : 'int' } ", "'int'");
    /* [ORDER] name, type, fields, symbols, items, values, size; [STRIP] the rest */
    canonical("{'size':16,'aliases':['x'],'name':'md5','type':'fixed','namespace':'org'}",
              "{'name':'org.md5','type':'fixed','size':16}");
    canonical("{'symbols':['A','B'],'default':'A','doc':'d','type':'enum','name':'E'}",
              "{'name':'E','type':'enum','symbols':['A','B']}");
    canonical("{'items':{'type':'map','values':['null',{'type':'string'}]},'type':'array'}",
              "{'type':'array','items':{'type':'map','values':['null','string']}}");
    /* [STRINGS] escapes become the characters */
    canonical("{'type':'enum','name':'\\u0045','symbols':['\\u0041']}",
              "{'name':'E','type':'enum','symbols':['A']}");
    /* a later use of a named type is its fullname */
    canonical(LIST("int"), "{'name':'L','type':'record','fields':[{'name':'v','type':'int'},"
                           "{'name':'next','type':['null','L']}]}");
    /* the text need not be NUL-terminated: only len bytes are read */
    const char buf[] = "\"long\"garbage";
    char err[128] = "";
    zl_avro_schema_t *s = zl_avro_schema_parse(buf, 6, err, sizeof err);
    if (GUARD(s)) {
        char *c = zl_avro_schema_canonical(s);
        CHECK_SQ(c, "'long'");
        free(c);
    }
    zl_avro_schema_free(s);
}

/* The schemas zeelos registers parse, read themselves, and their canonical
 * forms drop the "avro.java.string" attributes (Python: keeps such a
 * primitive as {"type":"string"}; the spec's [PRIMITIVES] says "string"). */
static void test_zeelos_schemas(void) {
    for (int k = 0; k < ZL_SCH__COUNT; k++) {
        const char *text = zl_avro_schema_text((zl_schema_kind_t)k);
        zl_avro_schema_t *s = zl_avro_schema_parse(text, strlen(text), NULL, 0); /* verbatim: no dq() */
        if (!GUARD(s)) continue;
        char why[256] = "";
        CHECK_EQ_INT(zl_avro_can_read(s, s, why, sizeof why), ZL_OK);
        char *c = zl_avro_schema_canonical(s);
        if (GUARD(c)) {
            CHECK(strstr(c, "avro.java.string") == NULL);
            CHECK(strstr(c, zl_avro_schema_fullname((zl_schema_kind_t)k)) == c + strlen("{'name':'"));
        }
        free(c);
        zl_avro_schema_free(s);
    }
    canonical("{'type':'record','name':'K','fields':[{'name':'ep','type':{'type':'string',"
              "'avro.java.string':'String'}}]}",
              "{'name':'K','type':'record','fields':[{'name':'ep','type':'string'}]}");
}

static zl_err_t level_check(zl_compat_level_t l, const char *cand, const char *const *prev, size_t n, char *why,
                            size_t wn) {
    zl_avro_schema_t *c = parse(cand), *p[4] = {0};
    for (size_t i = 0; i < n; i++) p[i] = parse(prev[i]);
    zl_err_t e = zl_avro_check_compat(l, c, (const zl_avro_schema_t *const *)p, n, why, wn);
    for (size_t i = 0; i < n; i++) zl_avro_schema_free(p[i]);
    zl_avro_schema_free(c);
    return e;
}

static void test_levels(void) {
    static const char *const names[] = {"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
                                        "FULL", "FULL_TRANSITIVE"};
    for (int l = ZL_COMPAT_NONE; l <= ZL_COMPAT_FULL_TRANSITIVE; l++) {
        CHECK_STR(zl_compat_level_name((zl_compat_level_t)l), names[l]);
        CHECK_EQ_INT(zl_compat_level_parse(names[l]), l);
    }
    CHECK_EQ_INT(zl_compat_level_parse("full_transitive"), ZL_COMPAT_FULL_TRANSITIVE);
    CHECK_EQ_INT(zl_compat_level_parse("SIDEWAYS"), -1);
    CHECK_EQ_INT(zl_compat_level_parse(NULL), -1);

    /* Two histories in which only the oldest version fails: in `back` it lacks
     * b, which the candidate needs (no default); in `fwd` it needs z (no
     * default), which the candidate dropped.  want[level]: 1 compatible. */
    const char *back[] = {REC("{'name':'a','type':'int'}"),
                          REC("{'name':'a','type':'int'},{'name':'b','type':'string','default':''}"),
                          REC("{'name':'a','type':'int'},{'name':'b','type':'string','default':''}")};
    const char *fwd[] = {REC("{'name':'a','type':'int'},{'name':'z','type':'int'}"),
                         REC("{'name':'a','type':'int'},{'name':'z','type':'int','default':0}")};
    const struct {
        const char *cand;
        const char *const *prev;
        size_t n;
        int want[7]; /* NONE, BACKWARD, BACKWARD_T, FORWARD, FORWARD_T, FULL, FULL_T */
    } hist[] = {
        {REC("{'name':'a','type':'int'},{'name':'b','type':'string'}"), back, 3, {1, 1, 0, 1, 1, 1, 0}},
        {REC("{'name':'a','type':'int'}"), fwd, 2, {1, 1, 1, 1, 0, 1, 0}},
    };
    char why[512];
    for (size_t h = 0; h < sizeof hist / sizeof hist[0]; h++) {
        for (int l = ZL_COMPAT_NONE; l <= ZL_COMPAT_FULL_TRANSITIVE; l++) {
            zl_err_t e = level_check((zl_compat_level_t)l, hist[h].cand, hist[h].prev, hist[h].n, why, sizeof why);
            if ((e == ZL_OK) != hist[h].want[l]) fprintf(stderr, "history %zu at %s: %s\n", h, names[l], why);
            CHECK_EQ_INT(e, hist[h].want[l] ? ZL_OK : ZL_ERR_INVALID);
            if (e) CHECK(strstr(why, "previous schema 0:") || strstr(why, "previous schema 0 cannot"));
        }
    }
    level_check(ZL_COMPAT_BACKWARD_TRANSITIVE, hist[0].cand, back, 3, why, sizeof why);
    CHECK_STR(why, "BACKWARD_TRANSITIVE: the new schema cannot read data written with previous schema 0: "
                   "/fields/1 (b): reader field has no default and the writer has no such field");
    level_check(ZL_COMPAT_FORWARD_TRANSITIVE, hist[1].cand, fwd, 2, why, sizeof why);
    CHECK_STR(why, "FORWARD_TRANSITIVE: previous schema 0 cannot read data written with the new schema: /fields/1 (z): "
                   "reader field has no default and the writer has no such field");

    /* FULL needs both directions against the last version */
    const char *last[] = {REC("{'name':'a','type':'int'}")};
    CHECK_EQ_INT(level_check(ZL_COMPAT_BACKWARD, REC("{'name':'a','type':'long'}"), last, 1, why, sizeof why), ZL_OK);
    CHECK_EQ_INT(level_check(ZL_COMPAT_FULL, REC("{'name':'a','type':'long'}"), last, 1, why, sizeof why),
                 ZL_ERR_INVALID);
    CHECK_STR(why, "FULL: previous schema 0 cannot read data written with the new schema: /fields/0 (a)/type: "
                   "reader int cannot read writer long");
    /* no previous version, and versions that did not parse, are no obstacle */
    CHECK_EQ_INT(level_check(ZL_COMPAT_FULL_TRANSITIVE, "'int'", NULL, 0, why, sizeof why), ZL_OK);
    zl_avro_schema_t *c = parse("'int'");
    const zl_avro_schema_t *none[] = {NULL, NULL};
    CHECK_EQ_INT(zl_avro_check_compat(ZL_COMPAT_FULL_TRANSITIVE, c, none, 2, why, sizeof why), ZL_OK);
    CHECK_EQ_INT(zl_avro_check_compat((zl_compat_level_t)42, c, none, 2, why, sizeof why), ZL_ERR_INVALID);
    zl_avro_schema_free(c);
}

int main(void) {
    test_primitives();
    test_records();
    test_enums_fixed();
    test_arrays_maps();
    test_unions();
    test_recursive();
    test_namespaces();
    test_invalid();
    test_canonical();
    test_zeelos_schemas();
    test_levels();
    TEST_MAIN_END();
}
