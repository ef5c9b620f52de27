/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos request [options] KIND PATH [VALUE]`: parses the configuration and
 * the positional words, then sends the request (roles/tools).  A required
 * VALUE is a word even when it starts with '-' (value_words). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "roles/tools/tools.h"
#include "kafka/records.h"
#include "common/conf.h"

typedef struct {
    zl_cmd_log_conf_t log;
    zl_request_conf_t req;
} request_conf_t;

static const zl_conf_part_t parts[] = {
    ZL_CONF_PART(request_conf_t, log, zl_cmd_log_table),
    ZL_CONF_PART(request_conf_t, req.kafka, zl_kafka_brokers_conf_table),
    ZL_CONF_PART(request_conf_t, req.kafka, zl_kafka_conf_table),
    ZL_CONF_PART(request_conf_t, req.kafka, zl_kafka_producer_conf_table),
    ZL_CONF_PART(request_conf_t, req.topics, zl_topics_conf_table),
    ZL_CONF_PART(request_conf_t, req, zl_request_conf_table),
};
const zl_conf_cmd_t zl_request_conf = ZL_CONF_CMD("request", parts);

/* True if a[0..len) is p's flag or one of its aliases. */
static bool prop_flag(const zl_conf_prop_t *p, const char *a, size_t len) {
    char f[128];
    snprintf(f, sizeof f, "--%s", p->name);
    for (char *x = f; *x; x++)
        if (*x == '.') *x = '-';
    if (strlen(f) == len && !strncmp(a, f, len)) return true;
    for (const char *al = p->aliases; al && *al;) {
        size_t l = strcspn(al, " ");
        if (l == len && !strncmp(al, a, len)) return true;
        al += l;
        while (*al == ' ') al++;
    }
    return false;
}

/* How many argv words the option a spans: 1 or 2 (with its value), 0 if
 * a is not an option of this command. */
static int option_words(const char *a) {
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) return 1;
    if (!strncmp(a, "-X", 2)) return a[2] ? 1 : 2;
    size_t len = strcspn(a, "=");
    int words = a[len] ? 1 : 2;
    if (len == 8 && !strncmp(a, "--config", 8)) return words;
    bool no = len > 5 && !strncmp(a, "--no-", 5);
    char yes[128] = "";
    if (no) snprintf(yes, sizeof yes, "--%.*s", (int)(len - 5), a + 5); /* --no-x -> --x */
    for (size_t t = 0; t < sizeof parts / sizeof parts[0]; t++)
        for (size_t i = 0; i < parts[t].table->n; i++) {
            const zl_conf_prop_t *p = &parts[t].table->props[i];
            bool b = p->type == ZL_CONF_BOOL;
            if (prop_flag(p, a, len)) return b ? 1 : words;
            if (no && b && !a[len] && prop_flag(p, yes, len - 3)) return 1;
        }
    return 0;
}

/* Kinds whose VALUE is required (write, create, write-attributes): the first
 * word after their PATH that is not an option of this command is the VALUE,
 * also when it starts with '-' (write /3/0/14 -high).  out (argc + 3 slots)
 * gets argv with that word moved behind a "--" at the end, where the option
 * parser takes it as a word; returns the new argc (argv copied unchanged when
 * there is nothing to move, or after the user's own "--"). */
static int value_words(int argc, char **argv, char **out) {
    int n_pos = 0, value_at = -1;
    bool takes_value = false;
    for (int i = 1; i < argc && value_at < 0; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) break;
        int ow = a[0] == '-' && a[1] ? option_words(a) : 0;
        if (ow) {
            i += ow - 1;
            continue;
        }
        if (n_pos == 2) {
            if (takes_value && a[0] == '-' && a[1]) value_at = i;
            break;
        }
        if (a[0] == '-' && a[1] && (a[1] < '0' || a[1] > '9')) continue; /* unknown: the parser says so */
        if (n_pos++ == 0) {
            int k = zl_req_kind_parse_word(a);
            takes_value = k == ZL_RK_WRITE || k == ZL_RK_CREATE || k == ZL_RK_WRITE_ATTRIBUTES;
        }
    }
    int n = 0;
    for (int i = 0; i < argc; i++)
        if (i != value_at) out[n++] = argv[i];
    if (value_at >= 0) {
        out[n++] = (char *)"--";
        out[n++] = argv[value_at];
    }
    out[n] = NULL;
    return n;
}

int zl_cmd_request(int argc, char **argv, char **envp) {
    const char *pos[4];
    int n_pos = 0, status;
    request_conf_t c = {0};
    char **args = calloc((size_t)argc + 3, sizeof *args);
    if (!args) return 1;
    argc = value_words(argc, argv, args);
    zl_conf_t *conf = zl_cmd_setup(&zl_request_conf, &c, &c.log, argc, args, envp, pos, 4, &n_pos, &status);
    if (!conf) {
        free(args);
        return status;
    }
    c.req.kafka.props = conf;
    int rc = zl_request_run(&c.req, pos, n_pos);
    zl_conf_destroy(conf);
    free(args); /* pos points into argv's strings, used until here */
    return rc;
}
