/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos request KIND PATH [ARG]`: sends one management request to a gateway
 * over Kafka (an AvroRequest on topic.management.req, key AvroKey{ep}) and
 * prints its response (the AvroResponse with the same ticket from
 * topic.management.rep) as one JSON line.  The reply topic is assigned at its
 * high watermark *before* the request is produced, so the reply cannot be
 * missed.  Exit: 0 success code (CREATED/DELETED/CHANGED/CONTENT), 1 error
 * code or failure, 2 usage, 3 no response within request.wait.ms.
 *
 * KIND, PATH and VALUE: see zl_request_write_usage (the --help text); the
 * values are checked and typed here (lwm2m/req_args.c) before anything is sent. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "roles/tools/tools.h"
#include "lwm2m/req_args.h"
#include "kafka/ktool.h"
#include "lwm2m/content.h"
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
    char obj_path[8]; /* create: "/o" */
    zl_request_t req;
    zl_node_t *node;
    zl_serde_t *s;
    zl_ktool_t *cons, *prod;
    delivery_t dr; /* the request record's delivery: lives until prod is destroyed */
    bool assigned;
    zl_buf_t key, val, line;
    int64_t deadline;
} run_t;

void zl_request_write_usage(FILE *out) {
    fputs("usage: zeelos request --gw ID --ep ENDPOINT [options] KIND PATH [VALUE]\n"
          "\n"
          "Sends one LwM2M request to device ENDPOINT through gateway ID over Kafka and prints the\n"
          "response as one JSON line. Exit status: 0 success, 1 error answer, 2 usage, 3 no answer in time.\n"
          "\n"
          "KIND (camelCase or kebab-case) PATH [VALUE], one example each:\n"
          "  read PATH                      read /3/0/0\n"
          "                                 read /3/0/0,/3303/0/5700   (several paths: Read-Composite)\n"
          "  discover PATH                  discover /3/0              (--depth N: how deep, LwM2M 1.2)\n"
          "  write PATH VALUE               write /3/0/14 -03:00       (VALUE typed by --type, default STRING)\n"
          "  create PATH VALUES             create /3303/7 '5700=21.5,5701=Cel'\n"
          "  delete PATH                    delete /3303/7\n"
          "  execute PATH [ARGS]            execute /3/0/4             execute /9/0/4 \"0='app1',1\"\n"
          "  observe PATH                   observe /3303/0/5700       (several paths: Observe-Composite)\n"
          "  observe-cancel PATH            observe-cancel /3303/0/5700\n"
          "  write-attributes PATH ATTRS    write-attributes /3303/0/5700 'pmin=1&pmax=5'\n"
          "\n"
          "PATH is /o[/i[/r[/ri]]]. write needs a resource path (/o/i/r).\n"
          "create VALUES: RID[/RIID][:TYPE]=VALUE items separated by ',' (\\, is a comma in a value);\n"
          "  a value is typed by :TYPE, else by the built-in model of the object, else by --type;\n"
          "  RID/RIID items build a multiple resource. PATH /o/i names the new instance; /o lets the\n"
          "  device pick its id (TLV only: the other formats carry the id).\n"
          "execute ARGS (LwM2M 1.1): DIGIT or DIGIT='VALUE' separated by ',', checked before sending.\n"
          "The VALUE of write, create and write-attributes (and any word starting with '-' and a digit)\n"
          "  is taken as a word even when it starts with '-': write /3/0/14 -03:00. -- before KIND works too.\n"
          "Content format: chosen by the gateway unless --cf N is given.\n", out);
}

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
        const char *why = !*ep ? "--ep ENDPOINT is required"
                          : n_pos < 2 ? "KIND and PATH are required"
                          : kind < 0 ? "unknown KIND"
                          : depth < 0 ? "PATH must look like /3/0/1 or /3/0/0,/3303/0"
                                      : "too many words after KIND PATH (quote a VALUE with spaces or commas)";
        fprintf(stderr, "zeelos request: %s%s%s\n\n", why, kind < 0 && n_pos >= 2 ? ": " : "",
                kind < 0 && n_pos >= 2 ? pos[0] : "");
        zl_request_write_usage(stderr);
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

/* request.conf's type, in the order of its STRING|INTEGER|FLOAT|... values. */
static const zl_type_t conf_types[] = {ZL_T_STRING, ZL_T_INTEGER, ZL_T_FLOAT, ZL_T_BOOLEAN,
                                       ZL_T_OPAQUE, ZL_T_TIME, ZL_T_OBJLNK};

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
        if (arg && !zl_req_execute_args_ok(arg, err, sizeof err)) {
            fprintf(stderr, "zeelos request: %s\n", err);
            return 2;
        }
        req->body = ZL_RQB_EXECUTE;
        req->text = (char *)(arg ? arg : "");
        break;
    case ZL_RK_WRITE_ATTRIBUTES:
        if (!arg) {
            fprintf(stderr, "zeelos request: write-attributes needs ATTRS, e.g. \"pmin=1&pmax=5\"\n");
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
        if (!r->node || zl_req_parse_value(conf_types[conf->type], arg, &r->node->value, err, sizeof err)) {
            fprintf(stderr, "zeelos request: %s\n", r->node ? err : "out of memory");
            return 2;
        }
        req->body = ZL_RQB_WRITE;
        req->node = r->node;
        req->write_mode = conf->mode == 1 ? ZL_WRITE_UPDATE : ZL_WRITE_REPLACE;
        break;
    case ZL_RK_CREATE: {
        /* /o/i names the new instance; /o leaves the id to the device (65535, TLV only) */
        if (!arg || (r->depth != 1 && r->depth != 2)) {
            fprintf(stderr, "zeelos request: create needs an object PATH (/o, or /o/i to choose the instance "
                            "id) and VALUES, e.g. create /3303/7 '5700=21.5,5701=Cel'\n");
            return 2;
        }
        uint16_t iid = r->depth == 2 ? (uint16_t)r->ids[1] : ZL_CREATE_NO_ID;
        r->node = zl_req_create_node((uint16_t)r->ids[0], iid, arg, conf_types[conf->type], err, sizeof err);
        if (!r->node) {
            fprintf(stderr, "zeelos request: %s\n", err);
            return 2;
        }
        snprintf(r->obj_path, sizeof r->obj_path, "/%lu", r->ids[0]);
        req->path = r->obj_path;
        req->body = ZL_RQB_CREATE;
        req->node = r->node;
        break;
    }
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
    /* listen first: the reply topic at its end, before the request exists (a
     * cluster still settling after a restart is waited for, within --timeout-ms) */
    int assign_ms = conf->wait_ms > 10000 ? (int)(conf->wait_ms < INT32_MAX ? conf->wait_ms : INT32_MAX) : 10000;
    zl_err_t e = zl_ktool_assign(r->cons, rep_topic, false, assign_ms, err, sizeof err);
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
    bool format_refused; /* NOT_ACCEPTABLE or UNSUPPORTED_CONTENT_FORMAT */
    char message[512];   /* the AvroGenericResponse message, if any */
} reply_t;

/* The message of an AvroGenericResponse body ({"...AvroGenericResponse":{"message":..}}), or NULL. */
static const char *generic_message(json_t *rep) {
    json_t *body = json_object_get(rep, "body");
    const char *k;
    json_t *b;
    json_object_foreach(body, k, b) return json_string_value(json_object_get(b, "message"));
    return NULL;
}

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
        json_t *rep = json_object_get(j, "rep");
        const char *code = json_string_value(json_object_get(rep, "code")), *msg = generic_message(rep);
        r->found = true;
        r->success = success_code(code);
        r->format_refused =
            code && (!strcmp(code, "NOT_ACCEPTABLE") || !strcmp(code, "UNSUPPORTED_CONTENT_FORMAT"));
        snprintf(r->message, sizeof r->message, "%s%s%s", code ? code : "", msg ? ": " : "", msg ? msg : "");
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
            if (rep.format_refused)
                fprintf(stderr, "zeelos request: the device refused the content format (%s).\n"
                                "  Pass --cf N with a format the device supports: 11542 TLV, 110 SenML JSON, "
                                "112 SenML CBOR, 11543 LwM2M JSON, 11544 LwM2M CBOR, 0 text, 42 opaque.\n",
                        rep.message);
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
