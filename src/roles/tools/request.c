/* SPDX-License-Identifier: Apache-2.0 */
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

/* One run of the tool: what the words say, the request, and the Kafka handles. */
typedef struct {
    const zl_request_conf_t *conf;
    const char *kind_word, *path_word, *arg;
    int kind, depth; /* depth: ids in path_word, 0 composite, -1 bad */
    unsigned long ids[4];
    zl_path_t paths[ZL_REQUEST_MAX_PATHS];
    size_t n_paths;
    char ticket[64];
    zl_request_t req;
    zl_node_t *node;
    zl_serde_t *s;
    zl_ktool_t *cons, *prod;
    delivery_t dr; /* the request record's delivery: lives until prod is destroyed */
    bool assigned;
    zl_buf_t key, val, line;
    int64_t deadline;
} run_t;

/* KIND PATH [ARG]: 0, or 2 after printing the usage. */
static int parse_words(run_t *r, const char *const *pos, int n_pos) {
    const char *ep = r->conf->ep;
    r->kind = n_pos >= 2 ? zl_req_kind_parse_word(pos[0]) : -1;
    r->depth = -1;
    if (n_pos >= 2 && strchr(pos[1], ',')) {
        /* composite: every comma-separated element must be a path */
        char *list = strdup(pos[1]), *save = NULL;
        r->depth = list ? 0 : -1;
        for (char *t = list ? strtok_r(list, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
            if (r->n_paths == ZL_REQUEST_MAX_PATHS || zl_path_parse(t, &r->paths[r->n_paths++], NULL, 0))
                r->depth = -1;
        free(list);
    } else if (n_pos >= 2) {
        r->depth = path_ids(pos[1], r->ids);
    }
    int kind = r->kind, depth = r->depth;
    if (kind < 0 || depth < 0 || n_pos > 3 || !*ep) {
        fprintf(stderr, "usage: zeelos request --gw ID --ep ENDPOINT [options] KIND PATH [ARG]\n"
                        "  KIND: read discover delete observe observeCancel execute writeAttributes write\n"
                        "  PATH: /o[/i[/r[/ri]]], or several comma-separated for composite read/observe\n"
                        "%s", !*ep ? "  --ep is required\n" : kind < 0 && n_pos >= 2 ?
                        "  unknown KIND\n" : depth < 0 && n_pos >= 2 ? "  PATH must look like /3/0/1 or /3/0/0,/3303/0\n" : "");
        return 2;
    }
    r->kind_word = pos[0];
    r->path_word = pos[1];
    r->arg = n_pos == 3 ? pos[2] : NULL;
    return 0;
}

static void make_ticket(run_t *r) {
    if (*r->conf->ticket) {
        snprintf(r->ticket, sizeof r->ticket, "%s", r->conf->ticket);
        return;
    }
    uint8_t b[8] = {0};
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        uint64_t t = (uint64_t)zl_now_ns();
        memcpy(b, &t, sizeof b);
    }
    snprintf(r->ticket, sizeof r->ticket, "zeelos-%02x%02x%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
             b[4], b[5], b[6], b[7]);
}

static const char *const type_names[] = {"STRING", "INTEGER", "FLOAT", "BOOLEAN", "OPAQUE", "TIME", "OBJLNK"};

/* Fills r->req from the words: 0, or 2 after printing why. */
static int build_request(run_t *r) {
    char err[512] = "";
    const zl_request_conf_t *conf = r->conf;
    const char *arg = r->arg;
    make_ticket(r);
    r->req = (zl_request_t){.server_id = (char *)conf->topics.id, .ep = (char *)conf->ep,
                            .ticket = r->ticket, .path = (char *)r->path_word, .kind = (zl_req_kind_t)r->kind,
                            .content_format = ZL_ACF_TLV,
                            .has_depth = conf->depth >= 0,
                            .depth = (int32_t)conf->depth,
                            .has_cf_code = conf->content_format >= 0,
                            .cf_code = (int32_t)conf->content_format};
    zl_request_t *req = &r->req;
    if (r->n_paths) {
        if (r->kind != ZL_RK_READ && r->kind != ZL_RK_OBSERVE && r->kind != ZL_RK_OBSERVE_CANCEL) {
            fprintf(stderr, "zeelos request: only read, observe and observeCancel take several paths\n");
            return 2;
        }
        req->paths = r->paths;
        req->n_paths = r->n_paths;
        req->path = (char *)"/";
    }
    switch (r->kind) {
    case ZL_RK_EXECUTE:
        req->body = ZL_RQB_EXECUTE;
        req->text = (char *)(arg ? arg : "");
        break;
    case ZL_RK_WRITE_ATTRIBUTES:
        if (!arg) {
            fprintf(stderr, "zeelos request: writeAttributes needs ARG, e.g. \"pmin=1&pmax=5\"\n");
            return 2;
        }
        req->body = ZL_RQB_WRITE_ATTRIBUTES;
        req->text = (char *)arg;
        break;
    case ZL_RK_WRITE:
        if (!arg || r->depth != 3) {
            fprintf(stderr, "zeelos request: write needs a resource PATH (/o/i/r) and a VALUE\n");
            return 2;
        }
        r->node = zl_node_new(ZL_N_RESOURCE, (uint16_t)r->ids[2]);
        if (!r->node || parse_value(type_names[conf->type], arg, &r->node->value, err, sizeof err)) {
            fprintf(stderr, "zeelos request: %s\n", err);
            return 2;
        }
        req->body = ZL_RQB_WRITE;
        req->node = r->node;
        req->write_mode = conf->mode == 1 ? ZL_WRITE_UPDATE : ZL_WRITE_REPLACE;
        break;
    case ZL_RK_CREATE:
        fprintf(stderr, "zeelos request: create is not supported by this tool; produce an AvroRequest "
                        "with an AvroCreateRequest body (see docs)\n");
        return 2;
    default:
        if (arg) {
            fprintf(stderr, "zeelos request: %s takes no ARG\n", r->kind_word);
            return 2;
        }
    }
    return 0;
}

/* Listens on the reply topic, then produces the request and waits for its
 * delivery: 0, or the exit status (1, 3) after printing why. */
static int send_request(run_t *r) {
    char err[512] = "";
    const zl_request_conf_t *conf = r->conf;
    const char *req_topic = conf->topics.mgmt_req, *rep_topic = conf->topics.mgmt_rep;
    if (!(r->s = zl_ktool_serde(&conf->kafka, err, sizeof err)) ||
        zl_serde_register_topic(r->s, req_topic, ZL_VAL_REQUEST, err, sizeof err) ||
        !(r->cons = zl_ktool_new(conf->kafka.props, ZL_KTOOL_CONSUMER, err, sizeof err))) {
        fprintf(stderr, "zeelos request: %s\n", err);
        return 1;
    }
    /* listen first: the reply topic at its end, before the request exists */
    zl_err_t e = zl_ktool_assign(r->cons, rep_topic, false, 10000, err, sizeof err);
    r->assigned = e == ZL_OK;
    if (e && e != ZL_ERR_NOT_FOUND) {
        fprintf(stderr, "zeelos request: %s\n", err);
        return 1;
    }
    if (zl_serde_key(r->s, req_topic, conf->ep, &r->key) || zl_serde_request(r->s, req_topic, &r->req, &r->val)) {
        fprintf(stderr, "zeelos request: cannot encode the request\n");
        return 1;
    }
    if (!(r->prod = zl_ktool_new(conf->kafka.props, ZL_KTOOL_PRODUCER, err, sizeof err))) {
        fprintf(stderr, "zeelos request: %s\n", err);
        return 1;
    }
    r->deadline = zl_now_ms() + conf->wait_ms;
    delivery_t *dr = &r->dr; /* not on this stack: a late report comes while prod is destroyed */
    dr->dr.cb = on_dr;
    const char *why = NULL;
    if (zl_ktool_produce(r->prod, req_topic, &r->key, &r->val, &dr->dr, &why)) {
        fprintf(stderr, "zeelos request: produce to %s: %s\n", req_topic, why ? why : "error");
        return 1;
    }
    while (!dr->done && zl_now_ms() < r->deadline) zl_ktool_poll(r->prod, 100);
    if (!dr->done || dr->err) {
        fprintf(stderr, "zeelos request: request not delivered to %s: %s\n", req_topic,
                !dr->done ? "timed out" : dr->reason);
        return !dr->done ? 3 : 1;
    }
    ZL_INFO("request", "sent %s %s to %s (ticket %s), waiting on %s", r->kind_word, r->path_word, conf->ep,
            r->ticket, rep_topic);
    return 0;
}

/* Waiting for the response with our ticket on the reply topic. */
typedef struct {
    zl_serde_t *s;
    const char *ticket;
    zl_buf_t *line;      /* the matching response, as JSON */
    bool found, success; /* success: found, with a success code */
} reply_t;

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

/* Consumes the reply topic until the response with our ticket (printed):
 * the exit status, 3 if none came before the deadline. */
static int wait_response(run_t *r) {
    char err[512] = "";
    const char *rep_topic = r->conf->topics.mgmt_rep;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int64_t next_try = 0;
    int rc = 3;
    while (!stop && zl_now_ms() < r->deadline) {
        if (!r->assigned) {
            /* the reply topic did not exist before the request: anything on
             * it now came after, so read it from the beginning */
            if (zl_now_ms() >= next_try) {
                r->assigned = zl_ktool_assign(r->cons, rep_topic, true, 5000, err, sizeof err) == ZL_OK;
                next_try = zl_now_ms() + 500;
            }
            if (!r->assigned) {
                zl_ktool_poll(r->prod, 100);
                continue;
            }
        }
        reply_t rep = {.s = r->s, .ticket = r->ticket, .line = &r->line};
        zl_ktool_consume(r->cons, 200, 1, on_reply, &rep);
        if (rep.found) {
            fwrite(r->line.data, 1, r->line.len, stdout);
            fputc('\n', stdout);
            fflush(stdout);
            rc = rep.success ? 0 : 1;
            break;
        }
    }
    if (rc == 3 && !stop)
        fprintf(stderr, "zeelos request: no response with ticket %s on %s within %lld ms. The device may still "
                        "be answering: the gateway publishes the response (or its own timeout after "
                        "coap.request.timeout.ms) on %s later; follow it with `zeelos tail --gw %s "
                        "management.rep`. If nothing ever comes, check that gateway '%s' is running and "
                        "consuming %s.%s\n", r->ticket, rep_topic, (long long)r->conf->wait_ms, rep_topic,
                r->conf->topics.id, r->conf->topics.id, r->conf->topics.mgmt_req,
                r->kind == ZL_RK_OBSERVE_CANCEL ? " Note: the original gateway sends no reply to observeCancel."
                                                : "");
    return rc;
}

int zl_request_run(const zl_request_conf_t *conf, const char *const *pos, int n_pos) {
    run_t r = {.conf = conf};
    zl_buf_init(&r.key, 0);
    zl_buf_init(&r.val, 0);
    zl_buf_init(&r.line, 0);
    int rc = parse_words(&r, pos, n_pos);
    if (!rc) rc = build_request(&r);
    if (!rc) rc = send_request(&r);
    if (!rc) rc = wait_response(&r);
    zl_ktool_destroy(r.prod);
    zl_ktool_destroy(r.cons);
    zl_node_free(r.node);
    zl_buf_free(&r.key);
    zl_buf_free(&r.val);
    zl_buf_free(&r.line);
    zl_serde_destroy(r.s);
    return rc;
}
