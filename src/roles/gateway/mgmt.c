/* SPDX-License-Identifier: Apache-2.0 */
/* Management requests: AvroRequest records from topic.management.req become
 * CoAP requests to the device; the device's answer (or the reason there is
 * none) becomes an AvroResponse on topic.management.rep with the request's
 * ticket.  Every consumed record ends in exactly one of: a response (whose
 * Kafka delivery releases the record's offset for commit), or - when the
 * record cannot even be decoded, so there is no ticket to answer - a log line
 * and zeelos_mgmt_requests_invalid_total. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roles/gateway/gw_int.h"
#include "lwm2m/content.h"
#include "lwm2m/model_apply.h"
#include "common/array.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/utf8.h"

typedef zl_mreq_t mreq_t;

void zl_mgmt_free(mreq_t *m) {
    if (m->sending) /* freed in the turn that asked the device */
        for (size_t i = 0; i < m->gw->n_sending; i++)
            if (m->gw->sending[i] == m) m->gw->sending[i] = NULL;
    zl_tickets_release(m->gw, m);
    zl_request_clear(&m->req);
    free(m->obs_key);
    free(m);
}

static void on_delivered(zl_dr_t *dr, zl_err_t err, const char *reason) {
    mreq_t *m = (mreq_t *)dr;
    if (err == ZL_ERR_CANCELLED) { /* never sent (shutdown): the offset stays, Kafka replays it */
        zl_mgmt_free(m);
        return;
    }
    if (err)
        ZL_ERROR("mgmt", "response for ticket '%s' was not delivered (%s); the request is "
                 "considered answered", m->req.ticket, reason ? reason : zl_err2str(err));
    if (m->partition >= 0) zl_consumer_done(m->gw->consumer, m->partition, m->offset);
    zl_mgmt_free(m);
}

/* zeelos_mgmt_gateway_seconds: consumed to sent plus the device's last
 * answer to now; all of it when the device was never asked. */
static void gateway_added(const mreq_t *m, uint64_t t0, uint64_t now) {
    uint64_t own = now - t0;
    if (m->t_sent && m->t_answer >= m->t_sent && m->t_sent >= t0)
        own = (m->t_sent - t0) + (now - m->t_answer);
    zl_histogram_observe(m->gw->m.mgmt_gateway, (double)own / 1e9);
}

/* A request's datagram is queued for the turn's one sendmmsg: its t_sent is
 * stamped when that leaves (zl_mgmt_sent), after the turn's commit. */
static void mark_sending(mreq_t *m) {
    zl_gw_t *gw = m->gw;
    if (m->t_sent || m->sending) return;
    if (ZL_ARRAY_RESERVE(&gw->sending, &gw->cap_sending, gw->n_sending + 1, 64) == ZL_OK) {
        gw->sending[gw->n_sending++] = m;
        m->sending = true;
    } else {
        m->t_sent = zl_now_ns(); /* a little early: the commit is not counted */
    }
}

void zl_mgmt_sent(zl_gw_t *gw) {
    if (!gw->n_sending) return;
    uint64_t now = zl_now_ns();
    for (size_t i = 0; i < gw->n_sending; i++) {
        if (!gw->sending[i]) continue;
        gw->sending[i]->t_sent = now;
        gw->sending[i]->sending = false;
    }
    gw->n_sending = 0;
}

/* Publishes the response for m and hands m to the delivery report.
 * values: composite answers (rep.resources), else NULL. */
static void respond_values(mreq_t *m, zl_resp_code_t code, zl_body_kind_t body, const zl_node_t *node,
                           const char *text, const zl_node_t *values) {
    zl_gw_t *gw = m->gw;
    if (m->reg) {
        zl_reg_release(m->reg);
        m->reg = NULL;
    }
    if (code >= ZL_RC_BAD_REQUEST) zl_counter_inc(gw->m.mgmt_errors);
    zl_rec_response_t r = {.ticket = m->req.ticket, .server_id = gw->id, .ep = m->req.ep,
                           .path = m->path[0] ? m->path : m->req.path, .timestamp = zl_wall_ms(),
                           .code = code, .kind = m->req.kind, .body = body, .content = node,
                           .text = text, .values = values};
    m->dr.cb = on_delivered;
    uint64_t t0 = m->t0;
    zl_err_t e = zl_ev_response(gw, gw->t_rep, m->req.ep, &r, &m->dr);
    if (e == ZL_OK) {
        /* consumed -> response handed to the producer, as the help says: the
         * response's own trip to the broker (linger.ms, acks) is Kafka's */
        uint64_t now = zl_now_ns();
        zl_histogram_observe(gw->m.mgmt_latency, (double)(now - t0) / 1e9);
        if (!m->q_id) gateway_added(m, t0, now); /* not for requests that waited for a sleeping device */
        zl_tickets_answered(gw, m);
    }
    if (e == ZL_ERR_TOO_LARGE && code != ZL_RC_REQUEST_ENTITY_TOO_LARGE) {
        /* an answer the broker would refuse: say so in one that fits */
        char msg[160];
        snprintf(msg, sizeof msg, "the answer (%zu bytes encoded) exceeds management.response.max.bytes (%d)",
                 gw->vbuf.len, gw->conf->mgmt_response_max);
        zl_counter_inc(gw->m.mgmt_too_large);
        respond_values(m, ZL_RC_REQUEST_ENTITY_TOO_LARGE, ZL_BODY_GENERIC, NULL, msg, NULL);
        return;
    }
    if (e != ZL_OK) {
        /* not queued: leave the offset uncommitted so a restart replays it */
        ZL_ERROR("mgmt", "cannot publish response for ticket '%s'; request stays uncommitted",
                 m->req.ticket);
        zl_mgmt_free(m);
    }
}

static void respond(mreq_t *m, zl_resp_code_t code, zl_body_kind_t body, const zl_node_t *node,
                    const char *text) {
    respond_values(m, code, body, node, text, NULL);
}

void zl_mgmt_fail(mreq_t *m, zl_resp_code_t code, const char *fmt, ...) {
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char t[96], p[96], e[96];
    ZL_INFO("mgmt", "ticket '%s' %s %s on '%s': %s %s", zl_log_escape(m->req.ticket, strlen(m->req.ticket), t, sizeof t),
            zl_req_kind_name(m->req.kind), zl_log_escape(m->req.path, strlen(m->req.path), p, sizeof p),
            zl_log_escape(m->req.ep, strlen(m->req.ep), e, sizeof e), zl_resp_code_name(code), msg);
    respond(m, code, ZL_BODY_GENERIC, NULL, msg);
}

static int cf_of(zl_avro_cf_t acf) {
    switch (acf) {
    case ZL_ACF_TLV: return ZL_CF_TLV;
    case ZL_ACF_JSON: return ZL_CF_JSON;
    case ZL_ACF_TEXT: return ZL_CF_TEXT;
    case ZL_ACF_OPAQUE: return ZL_CF_OPAQUE;
    case ZL_ACF_LINK: return ZL_CF_LINK;
    }
    return ZL_CF_TLV;
}

/* Content-format negotiation (docs/KAFKA.md): the format sent when the
 * request pins none - contentFormat TLV (the enum's first symbol, what a
 * writer that does not care leaves) and no contentFormatCode.  Like Leshan:
 * a device that declared no formats gets TLV (mandatory in LwM2M 1.0, and
 * what zeelos always sent); a 1.0 device TLV, else LwM2M JSON; a 1.1+ device
 * SenML CBOR (Leshan 2.x's choice: the most compact format that carries
 * every node shape and time-stamped values), SenML JSON, TLV, LwM2M CBOR
 * (1.2), LwM2M JSON - the first it declared.  Declared formats none of which
 * zeelos encodes leave TLV. */
static int cf_for_device(const zl_reg_t *reg) {
    static const int v10[] = {ZL_CF_TLV, ZL_CF_JSON};
    static const int v11[] = {ZL_CF_SENML_CBOR, ZL_CF_SENML_JSON, ZL_CF_TLV, ZL_CF_LWM2M_CBOR, ZL_CF_JSON};
    int decl[ZL_REG_MAX_FORMATS];
    size_t n = reg ? zl_reg_formats(reg, decl, ZL_REG_MAX_FORMATS) : 0;
    bool v1_0 = !reg || !reg->ver || !strcmp(reg->ver, "1.0");
    const int *pref = v1_0 ? v10 : v11;
    size_t np = v1_0 ? sizeof v10 / sizeof *v10 : sizeof v11 / sizeof *v11;
    for (size_t i = 0; i < np; i++)
        for (size_t k = 0; k < n; k++)
            if (decl[k] == pref[i]) return pref[i];
    return ZL_CF_TLV;
}

/* " (device declared content formats 110 112)" for a 4.06/4.15 answer. */
static void declared_formats(const zl_reg_t *reg, char *out, size_t cap) {
    int decl[ZL_REG_MAX_FORMATS];
    size_t n = reg ? zl_reg_formats(reg, decl, ZL_REG_MAX_FORMATS) : 0;
    if (!n) {
        snprintf(out, cap, " (the device declared no content formats: no ct on its registration)");
        return;
    }
    size_t k = (size_t)snprintf(out, cap, " (the device declared content formats");
    for (size_t i = 0; i < n && k < cap; i++) k += (size_t)snprintf(out + k, cap - k, " %d", decl[i]);
    if (k < cap) snprintf(out + k, cap - k, ")");
}

static const char *method_name(uint8_t code) {
    static const char *const names[] = {"?", "GET", "POST", "PUT", "DELETE", "FETCH", "PATCH", "iPATCH"};
    return code <= 7 ? names[code] : "?";
}

zl_err_t zl_gw_decode_content(const zl_models_t *models, const zl_coap_msg_t *resp, const char *path,
                              zl_node_t **out, char *errstr, size_t n) {
    zl_path_t p;
    if (zl_path_parse(path, &p, errstr, n)) return ZL_ERR_INVALID;
    int64_t cf = zl_coap_opt_uint(resp, ZL_OPT_CONTENT_FORMAT, ZL_CF_TEXT);
    if (cf < 0) {
        snprintf(errstr, n, "malformed Content-Format option");
        return ZL_ERR_INVALID;
    }
    zl_err_t e = zl_content_decode((int)cf, resp->payload ? resp->payload : (const uint8_t *)"",
                                   resp->payload_len, &p, models, out, errstr, n);
    if (e == ZL_ERR_UNSUPPORTED && !errstr[0])
        snprintf(errstr, n, "content format %lld is not supported", (long long)cf);
    return e;
}

/* A device's diagnostic payload (RFC 7252 §5.5.2: UTF-8) as a message for
 * Kafka: valid UTF-8 is kept, control characters and invalid bytes become
 * '?' (Avro strings must be UTF-8), cut at a character boundary to fit. */
static void diag_text(const uint8_t *p, size_t n, char *out, size_t cap) {
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t l = zl_utf8_seq(p + i, n - i);
        if (k + (l ? l : 1) >= cap) break;
        if (l == 1 && (p[i] < 0x20 || p[i] == 0x7f)) l = 0;
        if (l) memcpy(out + k, p + i, l), k += l, i += l;
        else out[k++] = '?', i++;
    }
    out[k] = 0;
}

/* A create's success answer: where the device put the new instance.  Its
 * Location-Path if it sent one, else the instance id the request gave; a
 * create that left the id to the device and got no Location-Path cannot
 * name the instance, and the (generic) answer says so. */
static void created(mreq_t *m, zl_resp_code_t code, const zl_coap_msg_t *resp) {
    char loc[sizeof m->path + 8];
    if (!zl_coap_path_string(resp, ZL_OPT_LOCATION_PATH, loc, sizeof loc) && loc[0]) {
        respond(m, code, ZL_BODY_CREATE, NULL, loc);
        return;
    }
    const zl_node_t *inst = m->req.node;
    if (inst && inst->id != ZL_CREATE_NO_ID) {
        snprintf(loc, sizeof loc, "%s/%u", m->path, (unsigned)inst->id);
        respond(m, code, ZL_BODY_CREATE, NULL, loc);
        return;
    }
    char msg[512];
    snprintf(msg, sizeof msg, "device '%.256s' created an instance of %s but sent no Location-Path, and the "
             "request left the instance id to the device: the new instance is unknown", m->req.ep, m->path);
    respond(m, code, ZL_BODY_GENERIC, NULL, msg);
}

/* What m asks for, for messages: its path, or a composite request's paths
 * joined by ',' (cut with "..." where they do not fit). */
static const char *what_text(const mreq_t *m, char *out, size_t cap) {
    if (m->path[0] || !m->req.n_paths) return m->path[0] ? m->path : m->req.path;
    size_t k = 0;
    out[0] = 0;
    for (size_t i = 0; i < m->req.n_paths; i++) {
        char one[64];
        zl_path_format(&m->req.paths[i], one, sizeof one);
        if (k + strlen(one) + 5 >= cap) {
            snprintf(out + k, cap - k, "...");
            break;
        }
        k += (size_t)snprintf(out + k, cap - k, "%s%s", i ? "," : "", one);
    }
    return out;
}

/* Device answer (or timeout) for m. */
static void on_device(void *ctx, zl_err_t err, const zl_coap_msg_t *resp) {
    mreq_t *m = ctx;
    zl_gw_t *gw = m->gw;
    m->t_answer = zl_now_ns();
    if (err) {
        if (err == ZL_ERR_TIMEOUT) {
            char what[256];
            zl_counter_inc(gw->m.mgmt_timeouts);
            zl_mgmt_fail(m, zl_resp_code_of_err(err), "timeout: device '%s' did not answer %s within %d ms",
                 m->req.ep, what_text(m, what, sizeof what), gw->request_timeout_ms);
        } else if (err == ZL_ERR_RESET) {
            zl_mgmt_fail(m, ZL_RC_UNKNOWN, "device '%s' rejected the request with RST", m->req.ep);
        } else {
            zl_mgmt_fail(m, zl_resp_code_of_err(err), "request to '%s' failed: %s", m->req.ep, zl_err2str(err));
        }
        return;
    }
    if (m->reg && !zl_sec_peer_ok(gw, m->reg)) {
        zl_counter_inc(gw->m.refused_security);
        zl_mgmt_fail(m, ZL_RC_FORBIDDEN, "the answer for '%s' came from another DTLS identity: dropped", m->req.ep);
        return;
    }
    zl_resp_code_t code = zl_resp_code_from_coap(resp->code);
    if ((resp->code >> 5) != 2) {
        char msg[1024], fmts[160] = "";
        diag_text(resp->payload, resp->payload_len, msg, sizeof msg);
        if (code == ZL_RC_NOT_ACCEPTABLE || code == ZL_RC_UNSUPPORTED_CONTENT_FORMAT) {
            declared_formats(m->reg, fmts, sizeof fmts);
            if (!msg[0]) snprintf(msg, sizeof msg, "%s", zl_resp_code_name(code));
            size_t k = strlen(msg);
            snprintf(msg + k, sizeof msg - k, "%s", fmts);
        }
        respond(m, code, ZL_BODY_GENERIC, NULL, msg[0] ? msg : zl_resp_code_name(code));
        return;
    }
    char errbuf[200] = "";
    switch (m->req.kind) {
    case ZL_RK_READ:
    case ZL_RK_OBSERVE: {
        zl_node_t *node = NULL;
        bool composite = zl_request_is_composite(&m->req);
        zl_err_t e = zl_gw_decode_content(m->gw->models, resp, composite ? "/" : m->path, &node, errbuf,
                                          sizeof errbuf);
        if (e) {
            zl_mgmt_fail(m, e == ZL_ERR_UNSUPPORTED ? ZL_RC_UNSUPPORTED_CONTENT_FORMAT : ZL_RC_INTERNAL_SERVER_ERROR,
                 "cannot decode the device's answer: %s", errbuf);
            return;
        }
        if (m->req.kind == ZL_RK_OBSERVE && zl_coap_opt(resp, ZL_OPT_OBSERVE)) {
            zl_reg_t *reg = m->reg ? m->reg : zl_registry_by_ep(&gw->regs, m->req.ep);
            /* the token lives on the endpoint the request went out on */
            zl_coap_ep_t *cep = zl_gw_coap(gw, m->reg && m->reg->secure);
            if (reg && !reg->dead) {
                zl_obs_t *o = zl_obs_add(gw, reg, resp->token, resp->tkl, composite ? m->obs_key : m->path,
                                         m->req.ticket);
                if (o) zl_coap_rebind(cep, resp->token, resp->tkl, zl_obs_on_notify, o);
                else zl_coap_cancel(cep, resp->token, resp->tkl);
            } else {
                zl_coap_cancel(cep, resp->token, resp->tkl);
            }
        }
        if (composite) respond_values(m, code, ZL_BODY_NONE, NULL, NULL, node);
        else respond(m, code, ZL_BODY_READ, node, NULL);
        zl_node_free(node);
        return;
    }
    case ZL_RK_DISCOVER: {
        zl_links_t links = {0};
        zl_buf_t out;
        zl_buf_init(&out, 0);
        if (zl_link_parse((const char *)resp->payload, resp->payload_len, &links, errbuf, sizeof errbuf)) {
            zl_mgmt_fail(m, ZL_RC_INTERNAL_SERVER_ERROR, "invalid link format from device: %s", errbuf);
        } else {
            zl_link_format_list(&links, &out);
            respond(m, code, ZL_BODY_DISCOVER, NULL, zl_buf_cstr(&out));
        }
        zl_links_clear(&links);
        zl_buf_free(&out);
        return;
    }
    case ZL_RK_CREATE:
        created(m, code, resp);
        return;
    default:
        respond(m, code, ZL_BODY_GENERIC, NULL, zl_resp_code_name(code));
        return;
    }
}

static bool valid_attr(const char *kv) {
    static const char *const names[] = {"pmin", "pmax", "gt", "lt", "st", "epmin", "epmax", NULL};
    const char *eq = strchr(kv, '=');
    size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == klen && !strncmp(kv, names[i], klen)) {
            if (!eq) return true; /* "pmin" alone removes the attribute */
            char *end;
            strtod(eq + 1, &end);
            return eq[1] && !*end;
        }
    return false;
}

/* The CoAP request being built for one management request.  req's options
 * and payload point into the scratch fields below (and into m->req), so a
 * build_t lives on zl_mgmt_dispatch's stack until zl_coap_request copied it. */
typedef struct {
    mreq_t *m;
    const zl_reg_t *reg; /* the device asked: its version and declared formats choose cf */
    zl_path_t p;
    int cf;
    zl_coap_msg_t req;
    bool observe;
    uint8_t s1[4], s2[4];
    zl_buf_t payload; /* owned; freed by dispatch */
    char *attrs;      /* owned; freed by dispatch */
    char depth[16];
    char pathbuf[64]; /* Uri-Path options point into it */
} build_t;

/* One builder per request kind: checks what only that kind needs, then sets
 * the method, options and payload.  false: m has been answered with the
 * reason (nothing is sent). */
typedef bool (*build_fn)(build_t *b);

static bool build_read(build_t *b) {
    zl_request_t *rq = &b->m->req;
    if (b->cf == ZL_CF_LINK) {
        zl_mgmt_fail(b->m, ZL_RC_BAD_REQUEST, "LINK is not a content format for %s", zl_req_kind_name(rq->kind));
        return false;
    }
    zl_coap_add_uint(&b->req, ZL_OPT_ACCEPT, (uint32_t)b->cf, b->s1);
    b->observe = rq->kind == ZL_RK_OBSERVE;
    return true;
}

static bool build_discover(build_t *b) {
    zl_request_t *rq = &b->m->req;
    zl_coap_add_uint(&b->req, ZL_OPT_ACCEPT, ZL_CF_LINK, b->s1);
    if (rq->has_depth) { /* LwM2M 1.2 Discover depth */
        int k = snprintf(b->depth, sizeof b->depth, "depth=%d", (int)rq->depth);
        zl_coap_add_opt(&b->req, ZL_OPT_URI_QUERY, b->depth, (size_t)k);
    }
    return true;
}

static bool build_delete(build_t *b) {
    b->req.code = ZL_COAP_DELETE;
    return true;
}

static bool build_execute(build_t *b) {
    zl_request_t *rq = &b->m->req;
    if (b->p.len != 3) {
        zl_mgmt_fail(b->m, ZL_RC_BAD_REQUEST, "execute needs a resource path (/o/i/r), got %s", b->m->path);
        return false;
    }
    b->req.code = ZL_COAP_POST;
    if (rq->text && *rq->text) {
        b->req.payload = (const uint8_t *)rq->text;
        b->req.payload_len = strlen(rq->text);
    }
    return true;
}

static bool build_write_attributes(build_t *b) {
    zl_request_t *rq = &b->m->req;
    b->req.code = ZL_COAP_PUT;
    b->attrs = strdup(rq->text ? rq->text : "");
    if (!b->attrs) {
        zl_mgmt_fail(b->m, ZL_RC_INTERNAL_SERVER_ERROR, "out of memory");
        return false;
    }
    char *save = NULL;
    int count = 0;
    for (char *kv = strtok_r(b->attrs, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
        if (!valid_attr(kv)) {
            zl_mgmt_fail(b->m, ZL_RC_BAD_REQUEST, "invalid attribute '%s' (expected pmin, pmax, gt, lt, st, epmin, epmax with numeric values)", kv);
            return false;
        }
        zl_coap_add_opt(&b->req, ZL_OPT_URI_QUERY, kv, strlen(kv));
        count++;
    }
    if (!count) {
        zl_mgmt_fail(b->m, ZL_RC_BAD_REQUEST, "writeAttributes needs observeSpec like 'pmin=10&pmax=60'");
        return false;
    }
    return true;
}

/* The path depth a write body of this node kind addresses. */
static size_t node_depth(const zl_node_t *n) {
    return n->kind == ZL_N_INSTANCE ? 2 : n->kind == ZL_N_OBJECT ? 1 : 3;
}

static bool build_write_create(build_t *b) {
    mreq_t *m = b->m;
    zl_request_t *rq = &m->req;
    bool create = rq->kind == ZL_RK_CREATE;
    if (!rq->node) {
        zl_mgmt_fail(m, ZL_RC_BAD_REQUEST, "%s needs a body", zl_req_kind_name(rq->kind));
        return false;
    }
    if (create && b->p.len != 1) {
        zl_mgmt_fail(m, ZL_RC_BAD_REQUEST, "create needs an object path (/o), got %s", m->path);
        return false;
    }
    if (!create && (b->p.len < 2 || b->p.len > 3)) {
        zl_mgmt_fail(m, ZL_RC_BAD_REQUEST, "write needs an instance or resource path, got %s", m->path);
        return false;
    }
    if (!create && node_depth(rq->node) != b->p.len) {
        zl_mgmt_fail(m, ZL_RC_BAD_REQUEST, "write node kind does not match path %s", m->path);
        return false;
    }
    /* LwM2M sends a partial update as POST, and a POST to a resource is an
     * Execute (a write meant for /3/0/4 would reboot the device) */
    if (!create && rq->write_mode == ZL_WRITE_UPDATE && b->p.len == 3) {
        zl_mgmt_fail(m, ZL_RC_BAD_REQUEST, "write mode UPDATE (partial update) applies to object instances "
                     "only and %s is a resource path: a POST to a resource would execute it; write it with "
                     "mode REPLACE, or update its instance", m->path);
        return false;
    }
    char why[300] = "";
    /* values by the object model ("120" for an INTEGER resource goes out as 120) */
    if (zl_node_apply_model(m->gw->models, rq->node, &b->p, why, sizeof why)) {
        zl_mgmt_fail(m, ZL_RC_BAD_REQUEST, "%s", why[0] ? why : "out of memory");
        return false;
    }
    zl_err_t e = create ? zl_content_encode_create(b->cf, rq->node, &b->p, &b->payload, why, sizeof why)
                        : zl_content_encode(b->cf, rq->node, &b->p, &b->payload);
    if (e) {
        zl_mgmt_fail(m, e == ZL_ERR_UNSUPPORTED ? ZL_RC_UNSUPPORTED_CONTENT_FORMAT : ZL_RC_BAD_REQUEST,
                     "cannot encode the %s body as content format %d: %s", zl_req_kind_name(rq->kind), b->cf,
                     why[0] ? why : zl_err2str(e));
        return false;
    }
    b->req.code = create || rq->write_mode == ZL_WRITE_UPDATE ? ZL_COAP_POST : ZL_COAP_PUT;
    zl_coap_add_uint(&b->req, ZL_OPT_CONTENT_FORMAT, (uint32_t)b->cf, b->s2);
    b->req.payload = b->payload.data;
    b->req.payload_len = b->payload.len;
    return true;
}

/* Builders of single-path requests, by kind (observeCancel sends nothing of
 * its own: it is handled before a request is built). */
static const build_fn builders[ZL_RK__COUNT] = {
    [ZL_RK_READ] = build_read,          [ZL_RK_OBSERVE] = build_read,
    [ZL_RK_DISCOVER] = build_discover,  [ZL_RK_DELETE] = build_delete,
    [ZL_RK_EXECUTE] = build_execute,    [ZL_RK_WRITE_ATTRIBUTES] = build_write_attributes,
    [ZL_RK_WRITE] = build_write_create, [ZL_RK_CREATE] = build_write_create,
};

/* observeCancel: answered at once, from the gateway's own observation table. */
static void cancel_observation(mreq_t *m, zl_reg_t *reg, bool composite) {
    zl_gw_t *gw = m->gw;
    zl_request_t *rq = &m->req;
    const char *what = composite ? rq->path : m->path;
    int n = zl_obs_cancel_mode(gw, reg, composite ? m->obs_key : m->path, gw->cancel_active && !reg->asleep);
    if (n == 0) {
        zl_mgmt_fail(m, ZL_RC_NOT_FOUND, "no observation of %s on '%s'", what, rq->ep);
        return;
    }
    char msg[64];
    snprintf(msg, sizeof msg, "cancelled %d observation(s)", n);
    respond(m, ZL_RC_CHANGED, ZL_BODY_GENERIC, NULL, msg);
}

/* Builds the CoAP request for m's kind into b.  false: m has been answered. */
static bool build(build_t *b, bool composite) {
    mreq_t *m = b->m;
    zl_request_t *rq = &m->req;
    if (composite) return zl_composite_build(m, &b->req, &b->payload, b->s2, b->s1, &b->observe);
    snprintf(b->pathbuf, sizeof b->pathbuf, "%s", m->path);
    if (b->p.len > 0) zl_coap_add_path(&b->req, ZL_OPT_URI_PATH, b->pathbuf);
    if (rq->has_cf_code) b->cf = (int)rq->cf_code;
    else if (rq->content_format == ZL_ACF_TLV) b->cf = cf_for_device(b->reg); /* not pinned */
    else b->cf = cf_of(rq->content_format);
    if (!zl_cf_name(b->cf)) {
        zl_mgmt_fail(m, ZL_RC_UNSUPPORTED_CONTENT_FORMAT, "content format %d is not one zeelos knows", b->cf);
        return false;
    }
    build_fn fn = (unsigned)rq->kind < ZL_RK__COUNT ? builders[rq->kind] : NULL;
    if (!fn) {
        zl_mgmt_fail(m, ZL_RC_BAD_REQUEST, "unsupported request kind");
        return false;
    }
    return fn(b);
}

/* "/3/00": ids are written without leading zeros (a path that only looks
 * like another must not reach the device as that other one). */
static bool leading_zero(const char *p) {
    for (const char *s = p; *s; s++)
        if ((s == p || s[-1] == '/') && s[0] == '0' && s[1] >= '0' && s[1] <= '9') return true;
    return false;
}

/* Checks the path(s), builds the CoAP request for m's kind and sends it to
 * the device.  On any error m is answered. */
void zl_mgmt_dispatch(mreq_t *m, zl_reg_t *reg) {
    zl_gw_t *gw = m->gw;
    zl_request_t *rq = &m->req;
    build_t b = {.m = m, .reg = reg};
    char perr[128];
    bool composite = zl_request_is_composite(rq);
    if (composite) {
        if (!zl_composite_check(m)) return;
    } else if (zl_path_parse(rq->path, &b.p, perr, sizeof perr)) {
        zl_mgmt_fail(m, ZL_RC_BAD_REQUEST, "invalid path '%.64s': %s", rq->path, perr);
        return;
    } else if (leading_zero(rq->path)) {
        zl_mgmt_fail(m, ZL_RC_BAD_REQUEST, "invalid path '%.64s': an id with a leading zero", rq->path);
        return;
    } else {
        zl_path_format(&b.p, m->path, sizeof m->path);
    }
    if (rq->kind == ZL_RK_OBSERVE_CANCEL) {
        cancel_observation(m, reg, composite);
        return;
    }

    zl_coap_init(&b.req, ZL_COAP_CON, ZL_COAP_GET, 0);
    zl_buf_init(&b.payload, 0);
    if (build(&b, composite)) {
        zl_coap_req_opts_t o = {.confirmable = true, .observe = b.observe, .timeout_ms = gw->request_timeout_ms};
        uint8_t token[8];
        m->reg = reg;
        zl_reg_hold(reg);
        zl_coap_ep_t *cep = zl_gw_coap(gw, reg->secure);
        zl_err_t e = cep ? zl_coap_request(cep, &reg->peer, &b.req, &o, on_device, m, token) : ZL_ERR_UNSUPPORTED;
        if (!e) mark_sending(m);
        if (e)
            zl_mgmt_fail(m, ZL_RC_INTERNAL_SERVER_ERROR, "cannot send %s to device: %s", method_name(b.req.code),
                         zl_err2str(e));
    }
    zl_buf_free(&b.payload);
    free(b.attrs);
}

mreq_t *zl_mgmt_new(zl_gw_t *gw, int32_t partition, int64_t offset) {
    mreq_t *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->gw = gw;
    m->partition = partition;
    m->offset = offset;
    m->t0 = zl_now_ns();
    m->alias_partition = -1;
    return m;
}

void zl_mgmt_on_message(void *ctx, const zl_kmsg_t *msg) {
    zl_gw_t *gw = ctx;
    zl_counter_inc(gw->m.mgmt_requests);
    gw->turn_mgmt = true;
    zl_reqdec_submit(gw->reqdec, msg); /* zl_mgmt_on_request, now or once its schema is fetched */
}

void zl_mgmt_on_request(void *ctx, const zl_kmsg_t *msg, zl_err_t e, zl_request_t *req, const char *err) {
    zl_gw_t *gw = ctx;
    char bad[160];
    mreq_t *m = zl_mgmt_new(gw, msg->partition, msg->offset);
    if (!m) { /* offset stays unstored: replayed after restart */
        zl_request_clear(req);
        return;
    }
    if (msg->received_ns) m->t0 = msg->received_ns; /* the latency counts a wait for its schema */
    m->req = *req; /* taken over */
    bool ok = e == ZL_OK;
    bool ticket = m->req.ticket && m->req.ticket[0];
    if (ok && strcmp(m->req.server_id, gw->id)) {
        ok = false;
        snprintf(bad, sizeof bad, "serverId '%.64s' is not this gateway ('%s')", m->req.server_id, gw->id);
        err = bad;
    }
    if (!ok) zl_counter_inc(gw->m.mgmt_invalid);
    if (!ok && ticket) {
        /* the ticket is readable: whoever sent it gets an answer saying what is
         * wrong (without echoing an ep or path too long to be one) */
        if (m->req.ep && strlen(m->req.ep) > ZL_REQ_MAX_EP) m->req.ep[0] = 0;
        if (m->req.path && strlen(m->req.path) > ZL_REQ_MAX_PATH) m->req.path[0] = 0;
        if (!m->req.ep) m->req.ep = strdup("");
        if (!m->req.path) m->req.path = strdup("");
        if (!m->req.ep || !m->req.path) { /* out of memory: replayed after a restart */
            zl_mgmt_free(m);
            return;
        }
        zl_mgmt_fail(m, ZL_RC_BAD_REQUEST, "invalid request: %s", err);
        return;
    }
    if (!ok || !ticket || !m->req.ep || !m->req.path) {
        unsigned long long dropped;
        if (zl_log_limit(&gw->mgmt_log, 10, &dropped))
            ZL_WARN("mgmt", "skipping a request without a readable ticket at %s[%d]@%lld (%zu bytes): %s "
                    "(counted in zeelos_mgmt_requests_invalid_total%s)", msg->topic, msg->partition,
                    (long long)msg->offset, msg->value_len, ok ? "ticket, ep or path missing" : err,
                    dropped ? "; more were not logged" : "");
        zl_consumer_done(gw->consumer, m->partition, m->offset);
        zl_mgmt_free(m);
        return;
    }
    if (!zl_tickets_admit(gw, m)) return;
    zl_reg_t *reg = zl_registry_by_ep(&gw->regs, m->req.ep);
    if (!reg) {
        zl_mgmt_fail(m, ZL_RC_NOT_FOUND, "No registration for this endpoint '%s'", m->req.ep);
        return;
    }
    if (reg->queue_mode && reg->asleep && m->req.kind != ZL_RK_OBSERVE_CANCEL) {
        zl_queue_hold(gw, reg, m, msg->value, msg->value_len);
        return;
    }
    zl_mgmt_dispatch(m, reg);
}
