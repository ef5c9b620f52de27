/* SPDX-License-Identifier: Apache-2.0 */
/* The console's HTTP face: authentication of every /api call (a session
 * cookie with its CSRF token on anything that changes state, or a bearer
 * token), the read-only resources (gateways, clients, object models, the
 * event log), the SSE stream, the login session and the embedded UI.  Device
 * operations are in ops.c.  The shapes are documented in
 * docs/console-api.yaml; errors are always {"code","message"}. */
#include "roles/console/console_int.h"
#include "roles/console/assets.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"

#define SESSION_COOKIE "zeelos_session"
#define CSP "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " \
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

void cn_reply_json(zl_http_call_t *call, int status, json_t *j) {
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    zl_buf_t *b = zl_http_call_reply(call);
    if (text) zl_buf_printf(b, "%s\n", text);
    free(text);
    json_decref(j);
    zl_http_call_set_header(call, "Cache-Control", "no-store");
    zl_http_call_done(call, status, "application/json");
}

void cn_reply_error(zl_http_call_t *call, int status, const char *code, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cn_reply_json(call, status, json_pack("{s:s,s:s}", "code", code, "message", msg));
}

/* ---- sessions (connection thread) --------------------------------------- */

static json_t *session_json(const zl_principal_t *p) {
    return json_pack("{s:s,s:s,s:s,s:I}", "user", p->user, "role", zl_role_name(p->role), "csrf", p->csrf, "expires",
                     (json_int_t)p->expires_ms);
}

void cn_api_session(void *ctx, zl_http_call_t *call) {
    cn_api_t *a = ctx;
    const char *method = zl_http_call_method(call);
    int64_t now = zl_wall_ms();
    zl_principal_t p;
    if (!strcmp(method, "POST")) {
        size_t len;
        const char *body = zl_http_call_body(call, &len);
        json_t *j = json_loadb(body, len, 0, NULL);
        const char *user = json_string_value(json_object_get(j, "user"));
        const char *pw = json_string_value(json_object_get(j, "password"));
        const char *otl = json_string_value(json_object_get(j, "oneTimeToken"));
        if (!json_is_object(j) || (!otl && (!user || !pw))) {
            json_decref(j);
            cn_reply_error(call, 400, "bad_request", "give {\"user\",\"password\"} or {\"oneTimeToken\"}");
            return;
        }
        char sid[128];
        zl_err_t e = zl_auth_login(a->auth, otl ? NULL : user, pw, otl, now, sid, sizeof sid, &p);
        if (e) {
            zl_counter_inc(a->c_denied);
            ZL_WARN("console", "login refused for %s from %s", otl ? "a one-time token" : "a user",
                    zl_http_call_peer(call));
            json_decref(j);
            cn_reply_error(call, 401, "unauthorized", "wrong user name or password, or the login was used already");
            return;
        }
        json_decref(j);
        char cookie[300];
        snprintf(cookie, sizeof cookie, SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s", sid,
                 a->tls ? "; Secure" : "");
        zl_http_call_set_header(call, "Set-Cookie", cookie);
        ZL_INFO("console", "%s (%s) logged in from %s", p.user, zl_role_name(p.role), zl_http_call_peer(call));
        cn_reply_json(call, 200, session_json(&p));
        return;
    }
    if (!zl_auth_check(a->auth, zl_http_call_header(call, "Cookie"), zl_http_call_header(call, "Authorization"),
                       now, &p)) {
        cn_reply_error(call, 401, "unauthorized", "not logged in");
        return;
    }
    if (!strcmp(method, "GET")) {
        cn_reply_json(call, 200, session_json(&p));
    } else if (!strcmp(method, "DELETE")) {
        if (!zl_auth_csrf_ok(&p, zl_http_call_header(call, "X-CSRF-Token"))) {
            cn_reply_error(call, 403, "csrf", "missing or wrong X-CSRF-Token header");
            return;
        }
        char sid[128];
        if (zl_auth_cookie_session(zl_http_call_header(call, "Cookie"), sid, sizeof sid)) zl_auth_logout(a->auth, sid);
        zl_http_call_set_header(call, "Set-Cookie", SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        zl_http_call_done(call, 204, "application/json");
    } else {
        cn_reply_error(call, 405, "method_not_allowed", "%s is not allowed on /api/session", method);
    }
}

/* ---- the UI (connection thread) ------------------------------------------ */

void cn_api_static(void *ctx, zl_http_call_t *call) {
    (void)ctx;
    const char *method = zl_http_call_method(call), *url = zl_http_call_url(call);
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        cn_reply_error(call, 405, "method_not_allowed", "%s is not allowed here", method);
        return;
    }
    if (!strcmp(url, "/")) url = "/index.html";
    for (size_t i = 0; i < zl_console_n_assets; i++) {
        const zl_console_asset_t *f = &zl_console_assets[i];
        if (strcmp(f->path, url)) continue;
        zl_http_call_set_header(call, "ETag", f->etag);
        zl_http_call_set_header(call, "Cache-Control", "no-cache");
        zl_http_call_set_header(call, "Content-Security-Policy", CSP);
        zl_http_call_set_header(call, "X-Frame-Options", "DENY");
        zl_http_call_set_header(call, "Referrer-Policy", "no-referrer");
        const char *inm = zl_http_call_header(call, "If-None-Match");
        if (inm && !strcmp(inm, f->etag)) {
            zl_http_call_done(call, 304, f->content_type);
            return;
        }
        zl_buf_append(zl_http_call_reply(call), f->data, f->len);
        zl_http_call_done(call, 200, f->content_type);
        return;
    }
    cn_reply_error(call, 404, "not_found", "no such page: %s", url);
}

/* ---- object models -------------------------------------------------------- */

static void add_model(void *ctx, const zl_obj_model_t *o) {
    json_t *res = json_array();
    for (unsigned i = 0; i < o->n_res; i++) {
        const zl_res_model_t *r = &o->res[i];
        json_array_append_new(res, json_pack("{s:i,s:s,s:s,s:s,s:b,s:s}", "id", r->id, "name", r->name, "type",
                                             zl_type_name(r->type), "operations", r->ops ? r->ops : "",
                                             "multiple", r->multiple, "units", r->units ? r->units : ""));
    }
    json_array_append_new(ctx, json_pack("{s:i,s:s,s:b,s:o}", "id", o->id, "name", o->name, "multiple", o->multiple,
                                         "resources", res));
}

/* ---- the /api router (loop thread) ----------------------------------------- */

static void events(cn_api_t *a, zl_http_call_t *call) {
    const char *gw = zl_http_call_arg(call, "gateway"), *ep = zl_http_call_arg(call, "endpoint");
    char g[256] = "", e[512] = "";
    snprintf(g, sizeof g, "%s", gw ? gw : "");
    snprintf(e, sizeof e, "%s", ep ? ep : "");
    zl_http_stream_t *st = zl_http_call_stream(call, "text/event-stream", cn_state_stream_closed, a->state);
    if (st) cn_state_stream_add(a->state, st, g, e);
}

static size_t arg_size(zl_http_call_t *call, const char *name, size_t def, size_t max) {
    const char *v = zl_http_call_arg(call, name);
    char *end;
    long long n = v ? strtoll(v, &end, 10) : -1;
    if (!v || *end || n < 0) return def;
    return (size_t)n > max ? max : (size_t)n;
}

void cn_api_handle(void *ctx, zl_http_call_t *call) {
    cn_api_t *a = ctx;
    const char *method = zl_http_call_method(call), *url = zl_http_call_url(call);
    int64_t now = zl_wall_ms();
    zl_principal_t p;
    if (!zl_auth_check(a->auth, zl_http_call_header(call, "Cookie"), zl_http_call_header(call, "Authorization"),
                       now, &p)) {
        zl_counter_inc(a->c_denied);
        cn_reply_error(call, 401, "unauthorized", "log in first (POST /api/session) or send a bearer token");
        return;
    }
    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (!get && !zl_auth_csrf_ok(&p, zl_http_call_header(call, "X-CSRF-Token"))) {
        zl_counter_inc(a->c_denied);
        cn_reply_error(call, 403, "csrf", "missing or wrong X-CSRF-Token header");
        return;
    }
    const char *rest = url + 4; /* after "/api" */
    if (!strcmp(rest, "/gateways") || !strcmp(rest, "/clients") || !strcmp(rest, "/objectspecs") ||
        !strcmp(rest, "/log") || !strcmp(rest, "/events")) {
        if (!get) {
            cn_reply_error(call, 405, "method_not_allowed", "%s is not allowed on %s", method, url);
            return;
        }
        if (!strcmp(rest, "/gateways")) {
            cn_reply_json(call, 200, cn_state_gateways(a->state, now));
        } else if (!strcmp(rest, "/clients")) {
            cn_reply_json(call, 200,
                          cn_state_clients(a->state, zl_http_call_arg(call, "gateway"), zl_http_call_arg(call, "status"),
                                           zl_http_call_arg(call, "q"), now));
        } else if (!strcmp(rest, "/objectspecs")) {
            json_t *arr = json_array();
            zl_models_each(a->models, add_model, arr);
            cn_reply_json(call, 200, arr);
        } else if (!strcmp(rest, "/log")) {
            cn_reply_json(call, 200, cn_state_log(a->state, arg_size(call, "limit", 200, 100000)));
        } else {
            events(a, call);
        }
        return;
    }
    if (!strncmp(rest, "/clients/", 9) && rest[9]) {
        char ep[512];
        const char *e = rest + 9, *slash = strchr(e, '/');
        size_t n = slash ? (size_t)(slash - e) : strlen(e);
        if (n >= sizeof ep) {
            cn_reply_error(call, 400, "bad_request", "endpoint name too long");
            return;
        }
        memcpy(ep, e, n);
        ep[n] = '\0';
        if (!slash || !slash[1]) {
            if (!get) {
                cn_reply_error(call, 405, "method_not_allowed", "%s is not allowed on a client", method);
                return;
            }
            json_t *j = NULL;
            zl_err_t err = cn_state_client(a->state, zl_http_call_arg(call, "gateway"), ep, now, &j, NULL);
            if (err == ZL_ERR_INVALID)
                cn_reply_error(call, 409, "conflict", "%s is registered on several gateways: give gateway=", ep);
            else if (err)
                cn_reply_error(call, 404, "not_found", "no client %s", ep);
            else
                cn_reply_json(call, 200, j);
            return;
        }
        cn_api_device_op(a, call, &p, ep, slash);
        return;
    }
    cn_reply_error(call, 404, "not_found", "no such resource: %s", url);
}
