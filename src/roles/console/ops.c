/* SPDX-License-Identifier: Apache-2.0 */
/* Device operations of the API, in Leshan's shape (GET read, PUT write,
 * POST execute/create, DELETE delete, .../discover, .../attributes,
 * .../observe, /composite): each call is checked (role, path, value typed by
 * the object model, execute arguments) and refused with 400/403 before
 * anything is sent, then becomes one AvroRequest with a fresh ticket on the
 * gateway's management.req.  The HTTP call waits for the answer with that
 * ticket (state.c) or its timeout. */
#include "roles/console/console_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/content.h"
#include "lwm2m/path.h"
#include "lwm2m/req_args.h"
#include "common/clock.h"
#include "common/log.h"

typedef struct {
    const char *name;
    int cf;
} cf_name_t;

static const cf_name_t cf_names[] = {
    {"TEXT", 0},          {"LINK", 40},          {"OPAQUE", 42},        {"CBOR", 60},  {"SENML_JSON", 110},
    {"SENML_CBOR", 112},  {"TLV", 11542},        {"JSON", 11543},       {"LWM2M_CBOR", 11544},
};

/* format=NAME or a number: the CoAP content format, -1 absent, -2 unknown. */
static int parse_format(const char *s) {
    if (!s || !*s) return -1;
    for (size_t i = 0; i < sizeof cf_names / sizeof *cf_names; i++)
        if (!strcasecmp(s, cf_names[i].name)) return cf_names[i].cf;
    char *end;
    long v = strtol(s, &end, 10);
    return *end || v < 0 || v > 65535 ? -2 : (int)v;
}

static int parse_type(const char *s) {
    static const char *const names[] = {"STRING", "FLOAT", "INTEGER", "BOOLEAN", "OPAQUE", "TIME", "OBJLNK"};
    if (!s) return -1;
    if (!strcasecmp(s, "UNSIGNED_INTEGER")) return ZL_T_INTEGER;
    for (int i = 0; i < 7; i++)
        if (!strcasecmp(s, names[i])) return i;
    return -2;
}

/* One JSON value into v, typed by the node's "type", else the model's, else the JSON type. */
static int json_value(const json_t *val, int type, zl_value_t *v, char *err, size_t n) {
    char text[64];
    const char *t = text;
    if (json_is_string(val)) {
        t = json_string_value(val);
        if (type < 0) type = ZL_T_STRING;
    } else if (json_is_integer(val)) {
        snprintf(text, sizeof text, "%lld", (long long)json_integer_value(val));
        if (type < 0) type = ZL_T_INTEGER;
    } else if (json_is_real(val)) {
        snprintf(text, sizeof text, "%.17g", json_real_value(val));
        if (type < 0) type = ZL_T_FLOAT;
    } else if (json_is_boolean(val)) {
        snprintf(text, sizeof text, "%s", json_is_true(val) ? "true" : "false");
        if (type < 0) type = ZL_T_BOOLEAN;
    } else {
        snprintf(err, n, "a value must be a string, number or boolean");
        return -1;
    }
    return zl_req_parse_value((zl_type_t)type, t, v, err, n);
}

/* A resource node (singleResource or multiResource JSON) for /oid/../rid into node. */
static int fill_resource(const zl_models_t *models, zl_node_t *node, uint16_t oid, const json_t *j, char *err,
                         size_t n) {
    const char *kind = json_string_value(json_object_get(j, "kind"));
    const zl_res_model_t *rm = zl_models_resource(models, oid, node->id);
    int type = parse_type(json_string_value(json_object_get(j, "type")));
    if (type == -2) {
        snprintf(err, n, "resource %u: unknown type %s", node->id, json_string_value(json_object_get(j, "type")));
        return -1;
    }
    if (type < 0 && rm && rm->type != ZL_T_NONE) type = (int)rm->type;
    json_t *values = json_object_get(j, "values");
    if ((kind && !strcmp(kind, "multiResource")) || (!kind && json_is_object(values))) {
        if (!json_is_object(values)) {
            snprintf(err, n, "resource %u: a multiResource needs \"values\": {\"<instance id>\": value}", node->id);
            return -1;
        }
        node->kind = ZL_N_MULTI;
        const char *k;
        json_t *v;
        json_object_foreach(values, k, v) {
            char *end;
            long riid = strtol(k, &end, 10);
            if (*end || !*k || riid < 0 || riid > 65534) {
                snprintf(err, n, "resource %u: instance id \"%s\" is not 0..65534", node->id, k);
                return -1;
            }
            zl_node_t *c = zl_node_add_child(node, ZL_N_RES_INSTANCE, (uint16_t)riid);
            if (!c || json_value(v, type, &c->value, err, n)) return -1;
        }
        return 0;
    }
    if (kind && strcmp(kind, "singleResource")) {
        snprintf(err, n, "resource %u: kind must be singleResource or multiResource", node->id);
        return -1;
    }
    json_t *v = json_object_get(j, "value");
    if (!v) {
        snprintf(err, n, "resource %u: \"value\" is missing", node->id);
        return -1;
    }
    node->kind = ZL_N_RESOURCE;
    return json_value(v, type, &node->value, err, n);
}

/* An instance node from {"kind":"instance","id":..,"resources":[...]}. */
static zl_node_t *instance_node(const zl_models_t *models, uint16_t oid, uint16_t iid, const json_t *j, char *err,
                                size_t n) {
    json_t *res = json_object_get(j, "resources");
    if (!json_is_array(res)) {
        snprintf(err, n, "an instance needs \"resources\": [...]");
        return NULL;
    }
    zl_node_t *node = zl_node_new(ZL_N_INSTANCE, iid);
    size_t i;
    json_t *r;
    json_array_foreach(res, i, r) {
        json_int_t rid = json_integer_value(json_object_get(r, "id"));
        if (!json_is_integer(json_object_get(r, "id")) || rid < 0 || rid > 65534) {
            snprintf(err, n, "resources[%zu]: \"id\" must be 0..65534", i);
            zl_node_free(node);
            return NULL;
        }
        zl_node_t *c = node ? zl_node_add_child(node, ZL_N_RESOURCE, (uint16_t)rid) : NULL;
        if (!c || fill_resource(models, c, oid, r, err, n)) {
            zl_node_free(node);
            return NULL;
        }
    }
    return node;
}

zl_node_t *cn_node_from_json(const zl_models_t *models, zl_req_kind_t kind, const zl_path_t *path, const json_t *j,
                             char *err, size_t n) {
    zl_node_t *node = NULL;
    if (!json_is_object(j)) {
        snprintf(err, n, "the body must be a JSON object");
    } else if (kind == ZL_RK_WRITE && path->len == 3) {
        if ((node = zl_node_new(ZL_N_RESOURCE, path->ids[2])) && fill_resource(models, node, path->ids[0], j, err, n)) {
            zl_node_free(node);
            node = NULL;
        }
    } else if (kind == ZL_RK_WRITE && path->len == 2) {
        node = instance_node(models, path->ids[0], path->ids[1], j, err, n);
    } else if (kind == ZL_RK_WRITE) {
        snprintf(err, n, "write needs an instance or resource path (/o/i or /o/i/r)");
    } else if (kind == ZL_RK_CREATE && path->len >= 1 && path->len <= 2) {
        json_t *id = json_object_get(j, "id");
        uint16_t iid = path->len == 2 ? path->ids[1]
                       : json_is_integer(id) && json_integer_value(id) >= 0 && json_integer_value(id) < 65535
                           ? (uint16_t)json_integer_value(id)
                           : ZL_CREATE_NO_ID;
        node = instance_node(models, path->ids[0], iid, j, err, n);
    } else {
        snprintf(err, n, "%s takes no node at this path", zl_req_kind_name(kind));
    }
    return node;
}

/* The request's body for write/create/execute/write-attributes: 0, or -1 with err. */
static int build_body(cn_api_t *a, zl_http_call_t *call, zl_request_t *req, const zl_path_t *path, char *err,
                      size_t n) {
    size_t len;
    const char *text = zl_http_call_body(call, &len);
    json_t *j = NULL;
    if (req->kind == ZL_RK_WRITE || req->kind == ZL_RK_CREATE || req->kind == ZL_RK_EXECUTE) {
        j = len ? json_loadb(text, len, 0, NULL) : json_object();
        if (!json_is_object(j)) {
            json_decref(j);
            snprintf(err, n, "the body must be a JSON object");
            return -1;
        }
    }
    int rc = 0;
    switch (req->kind) {
    case ZL_RK_WRITE: {
        const char *rep = zl_http_call_arg(call, "replace");
        req->body = ZL_RQB_WRITE;
        req->write_mode = rep && !strcmp(rep, "false") ? ZL_WRITE_UPDATE : ZL_WRITE_REPLACE;
        rc = (req->node = cn_node_from_json(a->models, req->kind, path, j, err, n)) ? 0 : -1;
        break;
    }
    case ZL_RK_CREATE: {
        req->body = ZL_RQB_CREATE;
        rc = (req->node = cn_node_from_json(a->models, req->kind, path, j, err, n)) ? 0 : -1;
        char obj[16];
        snprintf(obj, sizeof obj, "/%u", path->ids[0]);
        free(req->path);
        req->path = strdup(obj);
        break;
    }
    case ZL_RK_EXECUTE: {
        json_t *args = json_object_get(j, "arguments");
        const char *s = json_is_string(args) ? json_string_value(args) : "";
        if (args && !json_is_string(args) && !json_is_null(args)) {
            snprintf(err, n, "\"arguments\" must be a string such as \"0='on',1\"");
            rc = -1;
        } else if (!zl_req_execute_args_ok(s, err, n)) {
            rc = -1;
        } else {
            req->body = ZL_RQB_EXECUTE;
            req->text = strdup(s);
        }
        break;
    }
    case ZL_RK_WRITE_ATTRIBUTES: {
        static const char *const names[] = {"pmin", "pmax", "gt", "lt", "st", "epmin", "epmax"};
        zl_buf_t b = {0};
        for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
            const char *v = zl_http_call_arg(call, names[i]);
            if (!v) continue;
            char *end;
            double d = strtod(v, &end);
            bool period = names[i][0] == 'p' || names[i][0] == 'e'; /* pmin pmax epmin epmax: seconds >= 0 */
            if (*v && (*end || d != d || (period && (d < 0 || d != (double)(long long)d)) ||
                       (names[i][0] == 's' && d < 0))) {
                snprintf(err, n, "attribute %s=%s is not %s", names[i], v,
                         period ? "a whole number of seconds >= 0" : names[i][0] == 's' ? "a number >= 0" : "a number");
                rc = -1;
                break;
            }
            zl_buf_printf(&b, "%s%s%s%s", b.len ? "&" : "", names[i], *v ? "=" : "", v);
        }
        if (!rc && !b.len) {
            snprintf(err, n, "give at least one of pmin, pmax, gt, lt, st, epmin, epmax (empty value = remove)");
            rc = -1;
        }
        req->body = ZL_RQB_WRITE_ATTRIBUTES;
        req->text = rc ? NULL : strndup(b.len ? (const char *)b.data : "", b.len);
        zl_buf_free(&b);
        break;
    }
    default:
        break;
    }
    json_decref(j);
    return rc;
}

/* What rest ("/3/0/1", "/3/0/observe", "/composite/observe", ...) and the method ask for:
 * the kind, the path text into path (composite: ""), or -1 (405) / -2 (404). */
static int classify(const char *method, const char *rest, char *path, size_t cap, bool *composite) {
    static const char *const suffixes[] = {"/discover", "/attributes", "/observe"};
    size_t len = strlen(rest);
    int suffix = -1;
    for (int i = 0; i < 3; i++) {
        size_t sl = strlen(suffixes[i]);
        if (len >= sl && !strcmp(rest + len - sl, suffixes[i])) {
            suffix = i;
            len -= sl;
            break;
        }
    }
    if (len >= cap) return -2;
    memcpy(path, rest, len);
    path[len] = '\0';
    *composite = !strcmp(path, "/composite");
    if (*composite) {
        path[0] = '\0';
        if (suffix < 0) return !strcmp(method, "GET") ? ZL_RK_READ : -1;
        if (suffix != 2) return -2;
    }
    bool get = !strcmp(method, "GET"), put = !strcmp(method, "PUT"), post = !strcmp(method, "POST"),
         del = !strcmp(method, "DELETE");
    switch (suffix) {
    case 0: return get ? ZL_RK_DISCOVER : -1;
    case 1: return put ? ZL_RK_WRITE_ATTRIBUTES : -1;
    case 2: return post ? ZL_RK_OBSERVE : del ? ZL_RK_OBSERVE_CANCEL : -1;
    default: break;
    }
    int depth = 0;
    for (const char *p = path; *p; p++) depth += *p == '/';
    if (get) return ZL_RK_READ;
    if (put) return ZL_RK_WRITE;
    if (post) return depth >= 3 ? ZL_RK_EXECUTE : ZL_RK_CREATE;
    if (del) return ZL_RK_DELETE;
    return -1;
}

/* console-<random>-<n>: unique across consoles and restarts, ordered within one. */
static void make_ticket(cn_api_t *a, char *out, size_t cap) {
    char rnd[16] = "";
    zl_auth_random_token(6, rnd, sizeof rnd); /* on failure the sequence still tells tickets apart */
    snprintf(out, cap, "console-%s-%llu", rnd, (unsigned long long)++a->ticket_seq);
}

/* paths=/3/0/0,/3303/0/5700 into req->paths: 0, or -1 with err. */
static int composite_paths(zl_http_call_t *call, zl_request_t *req, char *err, size_t n) {
    const char *list = zl_http_call_arg(call, "paths");
    if (!list || !*list) {
        snprintf(err, n, "give paths=/o/i/r,/o/i/r");
        return -1;
    }
    req->paths = calloc(ZL_REQUEST_MAX_PATHS, sizeof *req->paths);
    char *copy = strdup(list), *save = NULL;
    int rc = req->paths && copy ? 0 : -1;
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && !rc; t = strtok_r(NULL, ",", &save)) {
        if (req->n_paths == ZL_REQUEST_MAX_PATHS) {
            snprintf(err, n, "at most %d paths", ZL_REQUEST_MAX_PATHS);
            rc = -1;
        } else if (zl_path_parse(t, &req->paths[req->n_paths++], err, n)) {
            rc = -1;
        }
    }
    free(copy);
    return rc;
}

void cn_api_device_op(cn_api_t *a, zl_http_call_t *call, const zl_principal_t *p, const char *ep,
                      const char *rest) {
    const char *method = zl_http_call_method(call), *gw = NULL;
    char path[300], err[512] = "";
    bool composite = false;
    int kind = classify(method, rest, path, sizeof path, &composite);
    if (kind == -2) {
        cn_reply_error(call, 404, "not_found", "no such operation: %s", rest);
        return;
    }
    if (kind == -1) {
        cn_reply_error(call, 405, "method_not_allowed", "%s is not allowed on %s", method, rest);
        return;
    }
    if (kind != ZL_RK_READ && kind != ZL_RK_DISCOVER && p->role != ZL_ROLE_ADMIN) {
        zl_counter_inc(a->c_denied);
        cn_reply_error(call, 403, "forbidden", "%s may not %s: the %s role only reads", p->user,
                       zl_req_kind_name((zl_req_kind_t)kind), zl_role_name(p->role));
        return;
    }
    int64_t now = zl_wall_ms();
    zl_err_t e = cn_state_client(a->state, zl_http_call_arg(call, "gateway"), ep, now, NULL, &gw);
    if (e == ZL_ERR_INVALID) {
        cn_reply_error(call, 409, "conflict", "%s is registered on several gateways: give gateway=", ep);
        return;
    }
    if (e) {
        cn_reply_error(call, 404, "not_found", "no client %s", ep);
        return;
    }
    zl_path_t lp = {0};
    if (!composite && zl_path_parse(path, &lp, err, sizeof err)) {
        cn_reply_error(call, 400, "bad_request", "path %s: %s", path, err);
        return;
    }
    if (!composite && ((kind == ZL_RK_CREATE && (lp.len < 1 || lp.len > 2)) ||
                       (kind == ZL_RK_DELETE && lp.len < 1) || (kind == ZL_RK_EXECUTE && lp.len != 3))) {
        cn_reply_error(call, 400, "bad_request", "%s does not apply to %s", zl_req_kind_name((zl_req_kind_t)kind),
                       path);
        return;
    }
    int cf = parse_format(zl_http_call_arg(call, "format"));
    if (cf == -2) {
        cn_reply_error(call, 400, "bad_request", "unknown format %s (TLV, JSON, SENML_JSON, SENML_CBOR, TEXT, "
                       "OPAQUE, CBOR, LWM2M_CBOR or a number)", zl_http_call_arg(call, "format"));
        return;
    }
    int64_t timeout = a->conf->request_timeout_ms;
    const char *ts = zl_http_call_arg(call, "timeout");
    if (ts) {
        char *end;
        double secs = strtod(ts, &end);
        if (*end || !(secs >= 0.1 && secs <= 25)) {
            cn_reply_error(call, 400, "bad_request", "timeout is in seconds, 0.1 to 25");
            return;
        }
        timeout = (int64_t)(secs * 1000);
    }
    if (!cn_state_gateway_live(a->state, gw)) {
        cn_reply_error(call, 503, "unavailable", "the answers of gateway %s are not followed yet (its "
                       "management.rep topic is not assigned): try again in a few seconds", gw);
        return;
    }
    char ticket[64];
    make_ticket(a, ticket, sizeof ticket);
    zl_request_t *req = calloc(1, sizeof *req);
    if (!req || !(req->server_id = strdup(gw)) || !(req->ep = strdup(ep)) || !(req->ticket = strdup(ticket)) ||
        !(req->path = strdup(composite ? "/" : path))) {
        if (req) zl_request_clear(req);
        free(req);
        cn_reply_error(call, 503, "unavailable", "out of memory");
        return;
    }
    req->kind = (zl_req_kind_t)kind;
    req->content_format = ZL_ACF_TLV;
    req->has_cf_code = cf >= 0;
    req->cf_code = cf;
    if ((composite && composite_paths(call, req, err, sizeof err)) || build_body(a, call, req, &lp, err, sizeof err)) {
        zl_request_clear(req);
        free(req);
        cn_reply_error(call, 400, "bad_request", "%s", err);
        return;
    }
    const char *shown = composite ? zl_http_call_arg(call, "paths") : req->path;
    json_t *info = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "ticket", ticket, "gateway", gw, "endpoint", ep, "kind",
                             zl_req_kind_name(req->kind), "path", shown, "user", p->user);
    bool sleeping = cn_state_sleeping(a->state, gw, ep, now);
    if (cn_state_pending_add(a->state, ticket, gw, ep, call, timeout, sleeping, info)) {
        zl_request_clear(req);
        free(req);
        cn_reply_error(call, 503, "unavailable", "too many requests wait for answers (console.max.pending)");
        return;
    }
    ZL_INFO("console", "%s %s %s on %s/%s ticket %s", p->user, zl_req_kind_name(req->kind), shown, gw, ep, ticket);
    zl_counter_inc(a->c_requests);
    cn_state_event(a->state, "request", gw, ep,
                   json_pack("{s:s,s:s,s:s,s:s,s:I}", "kind", zl_req_kind_name(req->kind), "path", shown, "ticket",
                             ticket, "user", p->user, "at", (json_int_t)now));
    char gwc[256];
    snprintf(gwc, sizeof gwc, "%s", gw);
    if ((e = cn_kafka_send(a->kafka, gwc, req, p->user))) /* req is freed either way */
        cn_state_record(a->state, CN_REC_SENT, gwc, "",
                        json_pack("{s:s,s:s}", "ticket", ticket, "error", zl_err2str(e)));
}
