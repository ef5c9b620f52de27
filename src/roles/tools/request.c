/* `zeelos request KIND PATH [ARG]`: sends one management request to a gateway
 * over Kafka (an AvroRequest on topic.management.req, key AvroKey{ep}) and
 * prints its response (the AvroResponse with the same ticket from
 * topic.management.rep) as one JSON line.  The reply topic is assigned at its
 * high watermark *before* the request is produced, so the reply cannot be
 * missed.  Exit: 0 success code (CREATED/DELETED/CHANGED/CONTENT), 1 error
 * code or failure, 2 usage, 3 no response within request.wait.ms.
 *
 *   KIND: read | discover | delete | observe | observeCancel |
 *         execute [PARAMS] | writeAttributes "pmin=1&pmax=5" | write VALUE
 *   write: PATH must be a resource (/o/i/r); VALUE is converted by --type
 *   (OPAQUE: Base64 text, TIME: seconds since the epoch, OBJLNK: "oid:iid"),
 *   --mode REPLACE|UPDATE.  create is not offered here.
 *   read, observe, observeCancel with PATH "/3/0/0,/3303/0" (comma-separated)
 *   are the composite forms (zeelos 1.1 payload.paths); --depth N for
 *   discover, --cf N for any content format number. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "roles/tools/tools.h"
#include "kafka/ktool.h"
#include "lwm2m/base64.h"
#include "common/conf.h"
#include "common/clock.h"
#include "common/log.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

/* The delivery of the request record. */
typedef struct {
    zl_dr_t dr;
    bool done;
    zl_err_t err;
    const char *reason; /* librdkafka's static text */
} delivery_t;

static void on_dr(zl_dr_t *dr, zl_err_t err, const char *reason) {
    delivery_t *d = (delivery_t *)dr;
    d->done = true;
    d->err = err;
    d->reason = reason;
}

/* Waiting for the response with our ticket on the reply topic. */
typedef struct {
    zl_serde_t *s;
    const char *ticket;
    zl_buf_t *line; /* the matching response, as JSON */
    bool found, success; /* success: found, with a success code */
} reply_t;

static bool success_code(const char *c);

static void on_reply(void *ctx, const zl_kmsg_t *m) {
    reply_t *r = ctx;
    char err[512];
    if (r->found) return;
    zl_buf_reset(r->line);
    json_t *j = NULL;
    if (zl_serde_to_json(r->s, m->value, m->value_len, r->line, err, sizeof err) == ZL_OK)
        j = json_loadb((const char *)r->line->data, r->line->len, 0, NULL);
    else
        ZL_DEBUG("request", "skipping undecodable record at offset %lld: %s", (long long)m->offset, err);
    const char *t = json_string_value(json_object_get(j, "ticket"));
    if (t && !strcmp(t, r->ticket)) {
        const char *code = json_string_value(json_object_get(json_object_get(j, "rep"), "code"));
        r->found = true;
        r->success = success_code(code);
    }
    json_decref(j);
}

/* Splits "/3/0/1" into ids; returns the count or -1. */
static int path_ids(const char *p, unsigned long ids[4]) {
    int n = 0;
    while (*p) {
        if (*p++ != '/') return -1;
        if (!*p && n == 0) break; /* "/" */
        char *end;
        errno = 0;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || errno || v > 65535 || n == 4 || *p < '0' || *p > '9') return -1;
        ids[n++] = v;
        p = end;
    }
    return n;
}

/* Parses a write argument into v as typed by --type. */
static int parse_value(const char *type, const char *arg, zl_value_t *v, char *err, size_t n) {
    char *end = NULL;
    errno = 0;
    if (!strcmp(type, "STRING")) return zl_value_set_bytes(v, ZL_T_STRING, arg, strlen(arg)) ? -1 : 0;
    if (!strcmp(type, "INTEGER") || !strcmp(type, "TIME")) {
        v->type = type[0] == 'I' ? ZL_T_INTEGER : ZL_T_TIME;
        v->u.i = strtoll(arg, &end, 10);
    } else if (!strcmp(type, "FLOAT")) {
        v->type = ZL_T_FLOAT;
        v->u.f = strtod(arg, &end);
    } else if (!strcmp(type, "BOOLEAN")) {
        v->type = ZL_T_BOOLEAN;
        if (!strcmp(arg, "true") || !strcmp(arg, "1")) v->u.b = true;
        else if (!strcmp(arg, "false") || !strcmp(arg, "0")) v->u.b = false;
        else goto bad;
        return 0;
    } else if (!strcmp(type, "OBJLNK")) {
        unsigned a, b;
        int used = 0;
        if (sscanf(arg, "%5u:%5u%n", &a, &b, &used) != 2 || arg[used] || a > 65535 || b > 65535)
            goto bad;
        v->type = ZL_T_OBJLNK;
        v->u.lnk.oid = (uint16_t)a;
        v->u.lnk.iid = (uint16_t)b;
        return 0;
    } else if (!strcmp(type, "OPAQUE")) {
        zl_buf_t raw;
        zl_buf_init(&raw, 0);
        int bad = zl_base64_decode(arg, strlen(arg), &raw) ||
                  zl_value_set_bytes(v, ZL_T_OPAQUE, raw.data, raw.len);
        zl_buf_free(&raw);
        if (bad) goto bad;
        return 0;
    }
    if (end && end != arg && !*end && !errno) return 0;
bad:
    snprintf(err, n, "'%s' is not a valid %s value%s", arg, type,
             !strcmp(type, "OPAQUE") ? " (give Base64)" : !strcmp(type, "OBJLNK") ? " (oid:iid)" : "");
    return -1;
}

static bool success_code(const char *c) {
    return c && (!strcmp(c, "CREATED") || !strcmp(c, "DELETED") || !strcmp(c, "CHANGED") ||
                 !strcmp(c, "CONTENT"));
}

int zl_cmd_request(int argc, char **argv, char **envp) {
    const char *pos[4];
    int n_pos = 0, status;
    zl_conf_t *conf = zl_conf_setup("request", argc, argv, envp, pos, 4, &n_pos, &status);
    if (!conf) return status;
    char err[512] = "", ticket[64];
    int rc = 2;
    zl_serde_t *s = NULL;
    zl_ktool_t *cons = NULL, *prod = NULL;
    zl_node_t *node = NULL;
    zl_buf_t key, val, line;
    zl_buf_init(&key, 0);
    zl_buf_init(&val, 0);
    zl_buf_init(&line, 0);

    int kind = n_pos >= 2 ? zl_req_kind_parse(pos[0]) : -1;
    const char *ep = zl_conf_str(conf, "ep");
    unsigned long ids[4];
    zl_path_t paths[ZL_REQUEST_MAX_PATHS];
    size_t n_paths = 0;
    int depth = -1;
    if (n_pos >= 2 && strchr(pos[1], ',')) {
        /* composite: every comma-separated element must be a path */
        char *list = strdup(pos[1]), *save = NULL;
        depth = list ? 0 : -1;
        for (char *t = list ? strtok_r(list, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
            if (n_paths == ZL_REQUEST_MAX_PATHS || zl_path_parse(t, &paths[n_paths++], NULL, 0)) depth = -1;
        free(list);
    } else if (n_pos >= 2) {
        depth = path_ids(pos[1], ids);
    }
    if (kind < 0 || depth < 0 || n_pos > 3 || !*ep) {
        fprintf(stderr, "usage: zeelos request --gw ID --ep ENDPOINT [options] KIND PATH [ARG]\n"
                        "  KIND: read discover delete observe observeCancel execute writeAttributes write\n"
                        "  PATH: /o[/i[/r[/ri]]], or several comma-separated for composite read/observe\n"
                        "%s", !*ep ? "  --ep is required\n" : kind < 0 && n_pos >= 2 ?
                        "  unknown KIND\n" : depth < 0 && n_pos >= 2 ? "  PATH must look like /3/0/1 or /3/0/0,/3303/0\n" : "");
        goto out;
    }
    const char *arg = n_pos == 3 ? pos[2] : NULL;
    if (*zl_conf_str(conf, "ticket")) {
        snprintf(ticket, sizeof ticket, "%s", zl_conf_str(conf, "ticket"));
    } else {
        uint8_t r[8] = {0};
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
            uint64_t t = (uint64_t)zl_now_ns();
            memcpy(r, &t, sizeof r);
        }
        snprintf(ticket, sizeof ticket, "zeelos-%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
                 r[3], r[4], r[5], r[6], r[7]);
    }
    zl_request_t req = {.server_id = (char *)zl_conf_str(conf, "id"), .ep = (char *)ep,
                        .ticket = ticket, .path = (char *)pos[1], .kind = (zl_req_kind_t)kind,
                        .content_format = ZL_ACF_TLV,
                        .has_depth = zl_conf_int(conf, "depth") >= 0,
                        .depth = (int32_t)zl_conf_int(conf, "depth"),
                        .has_cf_code = zl_conf_int(conf, "content.format") >= 0,
                        .cf_code = (int32_t)zl_conf_int(conf, "content.format")};
    if (n_paths) {
        if (kind != ZL_RK_READ && kind != ZL_RK_OBSERVE && kind != ZL_RK_OBSERVE_CANCEL) {
            fprintf(stderr, "zeelos request: only read, observe and observeCancel take several paths\n");
            goto out;
        }
        req.paths = paths;
        req.n_paths = n_paths;
        req.path = (char *)"/";
    }
    switch (kind) {
    case ZL_RK_EXECUTE:
        req.body = ZL_RQB_EXECUTE;
        req.text = (char *)(arg ? arg : "");
        break;
    case ZL_RK_WRITE_ATTRIBUTES:
        if (!arg) {
            fprintf(stderr, "zeelos request: writeAttributes needs ARG, e.g. \"pmin=1&pmax=5\"\n");
            goto out;
        }
        req.body = ZL_RQB_WRITE_ATTRIBUTES;
        req.text = (char *)arg;
        break;
    case ZL_RK_WRITE:
        if (!arg || depth != 3) {
            fprintf(stderr, "zeelos request: write needs a resource PATH (/o/i/r) and a VALUE\n");
            goto out;
        }
        node = zl_node_new(ZL_N_RESOURCE, (uint16_t)ids[2]);
        if (!node || parse_value(zl_conf_str(conf, "type"), arg, &node->value, err, sizeof err)) {
            fprintf(stderr, "zeelos request: %s\n", err);
            goto out;
        }
        req.body = ZL_RQB_WRITE;
        req.node = node;
        req.write_mode = strcmp(zl_conf_str(conf, "mode"), "UPDATE") ? ZL_WRITE_REPLACE : ZL_WRITE_UPDATE;
        break;
    case ZL_RK_CREATE:
        fprintf(stderr, "zeelos request: create is not supported by this tool; produce an AvroRequest "
                        "with an AvroCreateRequest body (see docs)\n");
        goto out;
    default:
        if (arg) {
            fprintf(stderr, "zeelos request: %s takes no ARG\n", pos[0]);
            goto out;
        }
    }

    rc = 1;
    const char *req_topic = zl_conf_str(conf, "topic.management.req");
    const char *rep_topic = zl_conf_str(conf, "topic.management.rep");
    if (!(s = zl_ktool_serde(conf, err, sizeof err)) ||
        zl_serde_register_topic(s, req_topic, ZL_VAL_REQUEST, err, sizeof err) ||
        !(cons = zl_ktool_new(conf, ZL_KTOOL_CONSUMER, err, sizeof err))) {
        fprintf(stderr, "zeelos request: %s\n", err);
        goto out;
    }
    /* listen first: the reply topic at its end, before the request exists */
    zl_err_t e = zl_ktool_assign(cons, rep_topic, false, 10000, err, sizeof err);
    bool assigned = e == ZL_OK;
    if (e && e != ZL_ERR_NOT_FOUND) {
        fprintf(stderr, "zeelos request: %s\n", err);
        goto out;
    }
    if (zl_serde_key(s, req_topic, ep, &key) || zl_serde_request(s, req_topic, &req, &val)) {
        fprintf(stderr, "zeelos request: cannot encode the request\n");
        goto out;
    }
    if (!(prod = zl_ktool_new(conf, ZL_KTOOL_PRODUCER, err, sizeof err))) {
        fprintf(stderr, "zeelos request: %s\n", err);
        goto out;
    }
    int64_t wait_ms = zl_conf_int(conf, "request.wait.ms");
    int64_t deadline = zl_now_ms() + wait_ms;
    delivery_t dr = {.dr.cb = on_dr};
    const char *why = NULL;
    if (zl_ktool_produce(prod, req_topic, &key, &val, &dr.dr, &why)) {
        fprintf(stderr, "zeelos request: produce to %s: %s\n", req_topic, why ? why : "error");
        goto out;
    }
    while (!dr.done && zl_now_ms() < deadline) zl_ktool_poll(prod, 100);
    if (!dr.done || dr.err) {
        fprintf(stderr, "zeelos request: request not delivered to %s: %s\n", req_topic,
                !dr.done ? "timed out" : dr.reason);
        rc = !dr.done ? 3 : 1;
        goto out;
    }
    ZL_INFO("request", "sent %s %s to %s (ticket %s), waiting on %s", pos[0], pos[1], ep, ticket,
            rep_topic);

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int64_t next_try = 0;
    rc = 3;
    while (!stop && zl_now_ms() < deadline) {
        if (!assigned) {
            /* the reply topic did not exist before the request: anything on
             * it now came after, so read it from the beginning */
            if (zl_now_ms() >= next_try) {
                assigned = zl_ktool_assign(cons, rep_topic, true, 5000, err, sizeof err) == ZL_OK;
                next_try = zl_now_ms() + 500;
            }
            if (!assigned) {
                zl_ktool_poll(prod, 100);
                continue;
            }
        }
        reply_t r = {.s = s, .ticket = ticket, .line = &line};
        zl_ktool_consume(cons, 200, 1, on_reply, &r);
        if (r.found) {
            fwrite(line.data, 1, line.len, stdout);
            fputc('\n', stdout);
            fflush(stdout);
            rc = r.success ? 0 : 1;
            break;
        }
    }
    if (rc == 3)
        fprintf(stderr, "zeelos request: no response with ticket %s on %s within %lld ms (is gateway "
                        "'%s' running and consuming %s?%s)\n", ticket, rep_topic, (long long)wait_ms,
                zl_conf_str(conf, "id"), req_topic,
                kind == ZL_RK_OBSERVE_CANCEL ? " note: the original gateway sends no reply to observeCancel" : "");
out:
    zl_ktool_destroy(prod);
    zl_ktool_destroy(cons);
    zl_node_free(node);
    zl_buf_free(&key);
    zl_buf_free(&val);
    zl_buf_free(&line);
    zl_serde_destroy(s);
    zl_conf_destroy(conf);
    return rc;
}
