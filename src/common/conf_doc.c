/* SPDX-License-Identifier: Apache-2.0 */
/* --help text and docs/CONFIGURATION.md, both derived from the property
 * tables (see conf.h), so the documentation cannot drift from the parser:
 * test_conf fails when the committed Markdown differs from what the tables
 * generate.  Tables sharing a title form one section, in the order the
 * titles first appear. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/conf_int.h"

/* "--coap-port", "--id, --gw", "--kafka-bootstrap-servers, --kafka" */
static void zl_flags_text(const zl_conf_prop_t *p, const char *sep, const char *quote, char *out, size_t n) {
    char f[128];
    zl_conf_prop_flag(p, f, sizeof f);
    size_t o = (size_t)snprintf(out, n, "%s%s%s", quote, f, quote);
    const char *a = p->aliases;
    while (a && *a && o < n) {
        size_t al = strcspn(a, " ");
        int w = snprintf(out + o, n - o, "%s%s%.*s%s", sep, quote, (int)al, a, quote);
        if (w < 0) break;
        o += (size_t)w;
        a += al;
        while (*a == ' ') a++;
    }
}

/* Length of the first sentence of doc (up to and including ". "). */
static size_t zl_first_sentence(const char *doc) {
    const char *s = strstr(doc, ". ");
    return s ? (size_t)(s - doc + 1) : strlen(doc);
}

/* True if an earlier table of ts[0..i) has the title of ts[i]. */
static bool zl_title_seen(const zl_conf_table_t *const *ts, size_t i) {
    for (size_t k = 0; k < i; k++)
        if (strcmp(ts[k]->title, ts[i]->title) == 0) return true;
    return false;
}

static void zl_help_row(FILE *out, const zl_conf_prop_t *p) {
    char flags[256], left[600], list[256];
    zl_flags_text(p, ", ", "", flags, sizeof flags);
    const char *meta = "VALUE";
    if (p->type == ZL_CONF_INT) meta = "N";
    if (p->type == ZL_CONF_ENUM) {
        snprintf(list, sizeof list, "%s", p->values);
        meta = list;
    }
    if (p->type == ZL_CONF_BOOL)
        snprintf(left, sizeof left, "  %s", flags);
    else
        snprintf(left, sizeof left, "  %s %s", flags, meta);
    if (strlen(left) > 36)
        fprintf(out, "%s\n%-37s", left, "");
    else
        fprintf(out, "%-37s", left);
    size_t sl = zl_first_sentence(p->doc);
    for (size_t k = 0; k < sl; k++)
        if (p->doc[k] != '`') fputc(p->doc[k], out);
    if (p->type != ZL_CONF_BOOL) fprintf(out, " (default: %s)", *p->def ? p->def : "\"\"");
    fputc('\n', out);
}

void zl_conf_write_help(const zl_conf_t *c, FILE *out) {
    fprintf(out, "Options (every option is also a property: --config FILE, -X name=value, "
                 "ZEELOS_<NAME> environment variables; see docs/CONFIGURATION.md):\n");
    for (size_t s = 0; s < c->n_tables; s++) {
        if (zl_title_seen(c->tables, s)) continue;
        fprintf(out, "\n%s:\n", c->tables[s]->title);
        for (size_t t = s; t < c->n_tables; t++) {
            if (strcmp(c->tables[t]->title, c->tables[s]->title) != 0) continue;
            for (size_t i = 0; i < c->tables[t]->n; i++) zl_help_row(out, &c->tables[t]->props[i]);
        }
    }
    fprintf(out, "\nGeneral options:\n"
                 "  --config FILE                       load a properties file (key=value lines)\n"
                 "  -X NAME=VALUE                       set any property, or a kafka.* librdkafka "
                 "property\n"
                 "  -h, --help                          show this help\n");
}

/* ---- Markdown ---- */

/* Markdown table cell: '|' escaped, newlines flattened. */
static void zl_md_cell(FILE *out, const char *s) {
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

static void zl_md_type(FILE *out, const zl_conf_prop_t *p) {
    switch (p->type) {
    case ZL_CONF_STR:
        fputs("string", out);
        break;
    case ZL_CONF_KAFKA:
        fputs("string (librdkafka)", out);
        break;
    case ZL_CONF_BOOL:
        fputs("bool", out);
        break;
    case ZL_CONF_INT:
        if (p->max == INT64_MAX)
            fprintf(out, "int, ≥ %" PRId64, p->min);
        else
            fprintf(out, "int, %" PRId64 " .. %" PRId64, p->min, p->max);
        break;
    case ZL_CONF_ENUM:
        fputs("enum: ", out);
        for (const char *a = p->values; *a;) {
            size_t l = strcspn(a, "|");
            fprintf(out, "%s`%.*s`", a == p->values ? "" : ", ", (int)l, a);
            a += l;
            if (*a == '|') a++;
        }
        break;
    }
}

static bool zl_cmd_binds(const zl_conf_cmd_t *cmd, const zl_conf_table_t *t) {
    for (size_t i = 0; i < cmd->n_parts; i++)
        if (cmd->parts[i].table == t) return true;
    return false;
}

typedef struct {
    const zl_conf_cmd_t *const *cmds;
    size_t n_cmds;
    const zl_conf_table_t **tables; /* every table bound by a command, once */
    size_t n_tables;
} zl_doc_t;

static void zl_md_row(FILE *out, const zl_doc_t *d, const zl_conf_table_t *t, const zl_conf_prop_t *p) {
    char flags[256], env[160];
    zl_flags_text(p, ", ", "`", flags, sizeof flags);
    zl_conf_prop_env(p, env, sizeof env);
    fprintf(out, "| `%s` | %s | `%s` | ", p->name, flags, env);
    zl_md_type(out, p);
    if (*p->def)
        fprintf(out, " | `%s` | ", p->def);
    else
        fprintf(out, " | (empty) | ");
    bool first = true;
    for (size_t k = 0; k < d->n_cmds; k++)
        if (zl_cmd_binds(d->cmds[k], t)) {
            fprintf(out, "%s%s", first ? "" : ", ", d->cmds[k]->name);
            first = false;
        }
    fputs(" | ", out);
    zl_md_cell(out, p->doc);
    fputs(" |\n", out);
}

static void zl_md_intro(FILE *out) {
    fputs("# zeelos configuration\n\n"
          "<!-- Generated from the property tables of the modules, as bound by the commands in "
          "src/cmd/, by `zeelos config-doc` (scripts/gen-config-doc.sh, `make docs`). Do not edit "
          "by hand: test_conf fails when this file is stale. -->\n\n"
          "Every `zeelos` command (`gateway`, `device`, `request`, `tail`, `bench`) reads its "
          "settings from the property tables of the modules it runs (listed below by command). A "
          "property can be set in four places; a later one overrides an earlier one:\n\n"
          "1. the default listed below;\n"
          "2. a properties file given with `--config FILE`: one `name=value` per line, whitespace "
          "around `=` and at both ends of the line is ignored, lines starting with `#` or `!` are "
          "comments, blank lines are skipped. `--config` may be repeated; files are loaded in "
          "order. An unknown property or bad value is reported as `FILE:LINE: ...`;\n"
          "3. an environment variable: `ZEELOS_` followed by the property name in upper case with "
          "`.` and `-` replaced by `_` (`coap.port` → `ZEELOS_COAP_PORT`). Other `ZEELOS_*` "
          "variables are ignored with a warning;\n"
          "4. a command-line flag: `--` followed by the property name with `.` replaced by `-` "
          "(`coap.port` → `--coap-port 5683` or `--coap-port=5683`), an alias listed in the "
          "Flag column, or `-X name=value` (also `-Xname=value`) for any property. When a flag "
          "is repeated the last one wins.\n\n"
          "A command accepts only its own properties (and any `kafka.*` key). A name listed "
          "twice below means different things to different commands.\n\n"
          "Value syntax:\n\n"
          "- **int**: decimal, optionally signed; out-of-range values are rejected.\n"
          "- **bool**: `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`. A boolean flag takes no "
          "value (`--from-beginning`); use `--from-beginning=false` or `--no-from-beginning` to "
          "clear it.\n"
          "- **enum**: one of the listed values, case-insensitive.\n"
          "- **string**: may reference another property as `${name}`; references are resolved "
          "when the value is read, after every source was applied. `topic.registrations` "
          "defaults to `iot.${id}.registrations`, so `--id plant7` moves every topic to "
          "`iot.plant7.*`. A reference to an unknown property or a reference cycle is an "
          "error.\n\n"
          "Words that are not options (and every word after `--`) are the command's "
          "arguments. `-h` or `--help` prints the options of a command.\n\n",
          out);
}

static const char zl_md_kafka_intro[] =
    "## Kafka client properties (librdkafka passthrough)\n\n"
    "Every property whose name starts with `kafka.` is handed to librdkafka with the prefix "
    "removed (`kafka.security.protocol=SASL_SSL` → `security.protocol=SASL_SSL`). zeelos "
    "does not check these names or values; librdkafka does when the Kafka client is "
    "created, and the command fails with its message. See librdkafka's CONFIGURATION.md "
    "for the list. They are set like any other property: in a `--config` file, with "
    "`-X kafka.name=value`, or with an environment variable `ZEELOS_KAFKA_<NAME>`, where "
    "`<NAME>` is the librdkafka property in upper case with `.` replaced by `_` "
    "(`ZEELOS_KAFKA_SASL_USERNAME` → `kafka.sasl.username`; librdkafka properties whose "
    "name contains `_` cannot be set through the environment). A command hands the same set "
    "to every Kafka client it creates; librdkafka ignores producer-only properties on a "
    "consumer (with a warning) and vice versa.\n\n"
    "zeelos changes these librdkafka defaults; any source above overrides them:\n\n";

static const char zl_md_head[] = "| Property | Flag | Environment | Type | Default | Commands | Description |\n"
                                 "|---|---|---|---|---|---|---|\n";

static void zl_md_sections(FILE *out, const zl_doc_t *d) {
    for (size_t s = 0; s < d->n_tables; s++) {
        if (zl_title_seen(d->tables, s)) continue;
        bool any = false;
        for (size_t t = s; t < d->n_tables; t++) {
            const zl_conf_table_t *tb = d->tables[t];
            if (strcmp(tb->title, d->tables[s]->title) != 0) continue;
            for (size_t i = 0; i < tb->n; i++) {
                if (tb->props[i].type == ZL_CONF_KAFKA) continue;
                if (!any) fprintf(out, "## %s\n\n%s", tb->title, zl_md_head);
                any = true;
                zl_md_row(out, d, tb, &tb->props[i]);
            }
        }
        if (any) fputc('\n', out);
    }
    fputs(zl_md_kafka_intro, out);
    fputs(zl_md_head, out);
    for (size_t t = 0; t < d->n_tables; t++) {
        const zl_conf_table_t *tb = d->tables[t];
        for (size_t i = 0; i < tb->n; i++)
            if (tb->props[i].type == ZL_CONF_KAFKA) zl_md_row(out, d, tb, &tb->props[i]);
    }
}

void zl_conf_write_markdown(FILE *out, const zl_conf_cmd_t *const *cmds, size_t n_cmds) {
    zl_doc_t d = {cmds, n_cmds, NULL, 0};
    size_t cap = 0;
    for (size_t k = 0; k < n_cmds; k++) cap += cmds[k]->n_parts;
    d.tables = calloc(cap + 1, sizeof *d.tables);
    if (!d.tables) return;
    for (size_t k = 0; k < n_cmds; k++)
        for (size_t i = 0; i < cmds[k]->n_parts; i++) {
            const zl_conf_table_t *t = cmds[k]->parts[i].table;
            bool seen = false;
            for (size_t j = 0; j < d.n_tables && !seen; j++) seen = d.tables[j] == t;
            if (!seen) d.tables[d.n_tables++] = t;
        }
    zl_md_intro(out);
    fputs("## Properties by command\n\n| Command | Properties |\n|---|---|\n", out);
    for (size_t k = 0; k < n_cmds; k++) {
        fprintf(out, "| `zeelos %s` | ", cmds[k]->name);
        bool first = true;
        for (size_t i = 0; i < cmds[k]->n_parts; i++) {
            const zl_conf_table_t *t = cmds[k]->parts[i].table;
            for (size_t j = 0; j < t->n; j++) {
                fprintf(out, "%s`%s`", first ? "" : ", ", t->props[j].name);
                first = false;
            }
        }
        fputs(" |\n", out);
    }
    fputc('\n', out);
    zl_md_sections(out, &d);
    free(d.tables);
}
