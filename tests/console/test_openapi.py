# SPDX-License-Identifier: Apache-2.0
"""docs/console-api.yaml itself: a valid OpenAPI document, strict where it matters, and every
path of it served by the console with a status documented for it (no route in the file that the
server does not have)."""
from __future__ import annotations

import pytest

from openapi_check import spec

# a value for each path parameter of the document (the endpoint is the test's device)
SAMPLES = {"objectId": "3", "instanceId": "0", "resourceId": "14", "resourceInstanceId": "0", "asset": "app.js"}
BODIES = {
    "writeInstance": {"kind": "instance", "id": 0, "resources": [{"kind": "singleResource", "id": 14, "value": "+01:00"}]},
    "writeResource": {"kind": "singleResource", "id": 14, "value": "+01:00"},
    "writeResourceInstance": {"kind": "singleResource", "id": 0, "value": "+01:00"},
    "createInstance": {"kind": "instance", "id": 9, "resources": [{"kind": "singleResource", "id": 14, "value": "x"}]},
    "createInstanceWithId": {"kind": "instance", "id": 9, "resources": [{"kind": "singleResource", "id": 14, "value": "x"}]},
    "execute": {},
}


def test_document_is_valid_openapi():
    """openapi-spec-validator accepts the file (OpenAPI 3.1 meta-schema, every $ref resolves)."""
    spec().validate_document()


def test_document_is_strict():
    """Every operation names its answers with schemas: each JSON answer has a schema, the
    objects the suite checks forbid unknown properties, and the enums are there."""
    s = spec()
    doc = s.doc
    assert doc["openapi"].startswith("3.1")
    ops = list(s.operations())
    assert len(ops) >= 40, len(ops)
    ids = [op["operationId"] for _, _, op in ops]
    assert len(ids) == len(set(ids)), "operationIds repeat"
    for template, method, op in ops:
        assert op.get("responses"), (method, template)
        assert "default" not in op["responses"], f"{method} {template}: a catch-all answer checks nothing"
        for status, r in op["responses"].items():
            r = s.resolve(r)
            for media, m in (r.get("content") or {}).items():
                if media == "application/json":
                    assert "schema" in m, (method, template, status)
        if template.startswith("/api/"):
            assert "401" in op["responses"], f"{method} {template} does not document 401"
        if method in ("put", "post", "delete") and template.startswith("/api/clients/"):
            assert "403" in op["responses"], f"{method} {template} (admin only) does not document 403"
            sec = op.get("security")
            assert sec and {"session": [], "csrf": []} in sec and {"bearer": []} in sec, (method, template, sec)
    schemas = doc["components"]["schemas"]
    for name in ("Error", "Client", "Gateway", "ObjectSpec", "Session", "Queued", "Value", "SingleResourceNode",
                 "MultiResourceNode", "InstanceNode"):
        assert schemas[name].get("additionalProperties") is False, f"{name} accepts unknown properties"
    assert schemas["OperationResult"].get("unevaluatedProperties") is False
    assert set(schemas["Error"]["properties"]["code"]["enum"]) == {
        "bad_request", "unauthorized", "forbidden", "csrf", "not_found", "method_not_allowed", "conflict",
        "too_large", "unavailable", "timeout"}
    assert schemas["ClientStatus"]["enum"] == ["online", "sleeping", "offline"]
    assert "CONTENT" in schemas["ResponseCode"]["enum"] and "NOT_FOUND" in schemas["ResponseCode"]["enum"]
    ss = doc["components"]["securitySchemes"]
    assert ss["session"] == {**ss["session"], "type": "apiKey", "in": "cookie", "name": "zeelos_session"}
    assert ss["csrf"]["in"] == "header" and ss["csrf"]["name"] == "X-CSRF-Token"
    assert ss["bearer"]["type"] == "http" and ss["bearer"]["scheme"] == "bearer"
    events = doc["paths"]["/api/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]["x-events"]
    assert set(events) == {"registration", "update", "deregistration", "sleeping", "awake", "notification", "send",
                           "response", "request"}
    for p in ("/healthz", "/readyz", "/metrics", "/"):
        assert doc["paths"][p]["get"]["security"] == [], f"{p} must be documented as open"


def test_the_schemas_catch_mistakes():
    """The schemas refuse what a broken server would send (so a pass means something)."""
    s = spec()
    good = {"ticket": "console-x-1", "gateway": "gw1", "endpoint": "dev1", "kind": "read", "path": "/3/0/0",
            "code": "CONTENT", "success": True, "user": "alice", "elapsedMs": 4,
            "values": [{"path": "/3/0/0", "type": "STRING", "value": "ACME"}]}
    s.validate(good, "#/components/schemas/OperationResult")
    bad = [dict(good, success=False),                                   # CONTENT is a success
           {k: v for k, v in good.items() if k != "values"},            # a read without values
           dict(good, code="NOT_FOUND", success=False),                 # a failure without message
           dict(good, kind="readComposite"),                            # no such kind
           dict(good, values=[{"path": "/3/0/0", "type": "INTEGER", "value": "ACME"}]),
           dict(good, elapsedMs=-1), dict(good, extra=1), dict(good, path="3/0/0")]
    for b in bad:
        assert not s.schema_ok(b, "#/components/schemas/OperationResult"), b
    assert not s.schema_ok({"error": "request body too large"}, "#/components/schemas/Error")
    assert not s.schema_ok({"code": "timeout", "message": "x"}, "#/components/schemas/TimeoutError")
    assert s.schema_ok({"code": "csrf", "message": "x"}, "#/components/schemas/ForbiddenError")
    assert not s.schema_ok({"code": "csrf", "message": "x"}, "#/components/schemas/UnauthorizedError")
    assert not s.schema_ok({"gateway": "g", "endpoint": "e", "expired": False, "type": "deregistration"},
                           s.event_pointer("deregistration"))
    assert s.schema_ok({"gateway": "g", "endpoint": "e", "expired": False, "type": "deregistration", "at": 1},
                       "#/components/schemas/LogEntry")
    assert not s.schema_ok({"gateway": "g", "endpoint": "e", "type": "deregistration", "at": 1},
                           "#/components/schemas/LogEntry")
    # a path whose segments are not numbers is no documented device path
    assert s.match("/api/clients/dev/3/x/0", "get") is None
    assert s.match("/api/clients/dev/3/0/0", "get") == "/api/clients/{endpoint}/{objectId}/{instanceId}/{resourceId}"
    assert s.match("/api/clients/dev/3/0/discover", "get") == "/api/clients/{endpoint}/{objectId}/{instanceId}/discover"
    assert s.match("/api/clients/dev/composite/observe", "post") == "/api/clients/{endpoint}/composite/observe"


def test_every_documented_route_is_served(console, gw1, devices, admin):
    """Each (path, method) of the document, called with an admin session, its CSRF token and a
    registered device, answers with a status documented for it, never with a route-level 404/405
    (the endpoint exists, so a 404 would mean the route does not)."""
    s = spec()
    dev = devices(gw1)
    admin.wait_client(dev.ep)
    seen, problems = [], []
    for template, method, op in s.operations():
        if template in ("/api/session",) and method == "delete":
            continue  # logs out: test_auth.py covers it on a session of its own
        path = template.replace("{endpoint}", dev.ep)
        for k, v in SAMPLES.items():
            path = path.replace("{" + k + "}", v)
        assert "{" not in path, path
        params = {}
        for p in op.get("parameters", []):
            p = s.resolve(p)
            if p.get("required") and p["in"] == "query":
                params[p["name"]] = {"paths": "/3/0/0,/3/0/9"}.get(p["name"], "1")
        if template.endswith("/attributes"):
            params.update(pmin="1", pmax="10")
        if template.startswith("/api/clients/{endpoint}/"):
            params["timeout"] = "3"
        if template == "/api/log":
            params["limit"] = "20"  # this test's own events (test_devices.py checks the others')
        body = BODIES.get(op["operationId"])
        if template == "/api/session" and method == "post":
            body = {"user": "alice", "password": "not-her-password"}
        if template == "/api/events":
            from console_helpers import SseStream
            st = SseStream(admin)
            assert st.status == 200 and st.content_type.startswith("text/event-stream"), (st.status, st.content_type)
            st.close()
            seen.append((method, template, 200))
            continue
        r = admin.call(method.upper(), path, params=params, json=body, check=False)
        seen.append((method, template, r.status_code))
        try:
            s.check(r, method, template)
            assert r.status_code not in (404, 405), f"{method.upper()} {path}: {r.status_code} {r.text[:300]}"
        except AssertionError as e:
            problems.append(str(e).splitlines()[0] if "\n" not in str(e)[:400] else str(e)[:600])
    assert not problems, f"{len(problems)} of {len(seen)} documented operations:\n  " + "\n  ".join(problems)
    assert len(seen) >= 40, seen


def test_undocumented_routes_are_json_404(admin):
    """What the document does not have is not served: /api/... answers 404 not_found as JSON."""
    for path in ("/api/nothing", "/api/gatewayz", "/api/objectspecs/3/x"):
        body = admin.error("GET", path, 404, "not_found", check=False)
        assert body["message"]


def test_method_not_allowed(admin):
    """A documented path with a method it does not have: 405 method_not_allowed (JSON)."""
    admin.error("POST", "/api/gateways", 405, "method_not_allowed", json={}, check=False)
    admin.error("DELETE", "/api/clients", 405, "method_not_allowed", check=False)
    admin.error("PUT", "/api/log", 405, "method_not_allowed", json={}, check=False)


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_need_no_login(console, path):
    import requests
    r = requests.get(console.url + path, timeout=5)
    assert r.status_code == 200, (path, r.status_code, r.text[:200])
    spec().check(r)
    if path == "/metrics":
        assert "# TYPE zeelos_console_" in r.text, r.text[:500]
        assert "zeelos_console_devices" in r.text and "zeelos_console_requests_total" in r.text

