# SPDX-License-Identifier: Apache-2.0
"""Who may use the console: logins, the session cookie and its CSRF token, roles, bearer tokens,
the one-time login, logout; the open endpoints and the UI's security headers."""
from __future__ import annotations

import subprocess

import requests

from console_helpers import PASSWORDS, TOKENS, Api, add_user, now_ms
from gateway_proc import wait_until
from openapi_check import spec

PROTECTED = [("GET", "/api/gateways"), ("GET", "/api/clients"), ("GET", "/api/clients/nobody"),
             ("GET", "/api/objectspecs"), ("GET", "/api/log"), ("GET", "/api/events"), ("GET", "/api/session"),
             ("GET", "/api/clients/nobody/3/0/0"), ("POST", "/api/clients/nobody/3/0/4"),
             ("PUT", "/api/clients/nobody/3/0/14"), ("DELETE", "/api/clients/nobody/3303/1"),
             ("DELETE", "/api/session"), ("GET", "/api/no-such-thing")]


def write_body(value="+02:00"):
    return {"kind": "singleResource", "id": 14, "value": value}


def test_api_needs_a_login(console):
    """Every /api/ call without a cookie or token: 401 unauthorized as JSON, before anything else
    (an unknown endpoint or route is not revealed)."""
    for method, path in PROTECTED:
        r = requests.request(method, console.url + path, json={} if method in ("POST", "PUT") else None,
                             timeout=10, stream=path == "/api/events")
        assert r.status_code == 401, (method, path, r.status_code, r.text[:200] if path != "/api/events" else "")
        assert r.headers.get("Content-Type", "").startswith("application/json"), (method, path, r.headers)
        body = r.json()
        spec().validate(body, "#/components/schemas/UnauthorizedError", f"{method} {path}")
        r.close()
    # a cookie that is no session, and a bearer token that is no token
    for h in ({"Cookie": "zeelos_session=not-a-session"}, {"Authorization": "Bearer not-a-token"},
              {"Authorization": "Basic YWxpY2U6eA=="}):
        r = requests.get(console.url + "/api/clients", headers=h, timeout=10)
        assert r.status_code == 401, (h, r.status_code)
        spec().check(r)


def test_ui_is_open_with_a_content_security_policy(console):
    r = requests.get(console.url + "/", timeout=10)
    assert r.status_code == 200
    spec().check(r)
    assert r.headers["Content-Type"].startswith("text/html")
    csp = r.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp or "default-src 'none'" in csp, csp
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp, csp
    assert "frame-ancestors 'none'" in csp or r.headers.get("X-Frame-Options") == "DENY", r.headers
    assert "<script" in r.text.lower() and "login" in r.text.lower()
    for asset in ("/index.html", "/app.js", "/style.css"):
        a = requests.get(console.url + asset, timeout=10)
        assert a.status_code == 200, (asset, a.status_code)
        spec().check(a)
    r = requests.get(console.url + "/no-such-file.js", timeout=10)
    assert r.status_code == 404
    spec().check(r)


def test_wrong_password_and_unknown_user_look_the_same(console):
    api = Api(console.url)
    r1 = api.call("POST", "/api/session", json={"user": "alice", "password": "wrong"}, csrf=False)
    r2 = api.call("POST", "/api/session", json={"user": "mallory", "password": "wrong"}, csrf=False)
    for r in (r1, r2):
        assert r.status_code == 401, r.text
        assert "Set-Cookie" not in r.headers, r.headers
        assert r.json()["code"] == "unauthorized"
    assert r1.json()["message"] == r2.json()["message"], "the message tells a known user from an unknown one"
    r = api.call("POST", "/api/session", json={"user": "alice"}, csrf=False)  # no password
    assert r.status_code in (400, 401), r.status_code
    r = api.call("POST", "/api/session", data="{not json", headers={"Content-Type": "application/json"}, csrf=False)
    assert r.status_code == 400 and r.json()["code"] == "bad_request"
    assert api.get("/api/clients").status_code == 401


def test_login_sets_an_httponly_samesite_cookie(console):
    api = Api(console.url)
    t0 = now_ms()
    r = api.login("alice", PASSWORDS["alice"])
    cookie = r.headers["Set-Cookie"]
    parts = [p.strip() for p in cookie.split(";")]
    assert parts[0].startswith("zeelos_session=") and len(parts[0]) > len("zeelos_session=") + 16, cookie
    attrs = {p.split("=")[0].lower(): (p.split("=", 1)[1] if "=" in p else True) for p in parts[1:]}
    assert attrs.get("httponly") is True, cookie
    assert str(attrs.get("samesite", "")).lower() == "strict", cookie
    assert attrs.get("path") == "/", cookie
    assert "secure" not in attrs, "Secure on plain HTTP: the browser would never send the cookie back"
    s = r.json()
    assert s["user"] == "alice" and s["role"] == "admin" and len(s["csrf"]) >= 16
    assert t0 + 3600_000 <= s["expires"] <= now_ms() + 12 * 3600_000 + 5000, s
    again = api.ok("GET", "/api/session")
    assert again["user"] == "alice" and again["csrf"] == s["csrf"] and again["role"] == "admin"
    # another login is another session with another CSRF token
    other = Api(console.url)
    other.login("alice", PASSWORDS["alice"])
    assert other.csrf != api.csrf
    assert other.http.cookies.get("zeelos_session") != api.http.cookies.get("zeelos_session")


def test_user_line_in_the_documented_format(console):
    """carol's line was written by the test (hashlib PBKDF2-SHA256, base64 salt and hash) in the
    format the spec gives for the users file: the console accepts it."""
    api = Api(console.url)
    s = api.login("carol", PASSWORDS["carol"]).json()
    assert s["role"] == "viewer" and s["user"] == "carol"


def test_csrf_token_is_required_with_the_cookie(console, gw1, devices, admin):
    dev = devices(gw1)
    admin.wait_client(dev.ep)
    path = f"/api/clients/{dev.ep}/3/0/14"
    admin.error("PUT", path, 403, "csrf", json=write_body("-05:00"), csrf=False)
    admin.error("PUT", path, 403, "csrf", json=write_body("-05:00"), csrf="0" * len(admin.csrf))
    admin.error("POST", f"/api/clients/{dev.ep}/3/0/4", 403, "csrf", json={}, csrf=False)
    admin.error("POST", f"/api/clients/{dev.ep}/3303/0/5700/observe", 403, "csrf", csrf=False)
    admin.error("DELETE", "/api/session", 403, "csrf", csrf=False)
    assert not [e for e in dev.log if e[0] in ("PUT", "POST")], f"a refused call reached the device: {dev.log}"
    assert dev.value((3, 0, 14)) == "+01:00"
    assert admin.ok("GET", "/api/session")["user"] == "alice", "the refused logout ended the session"
    # with the token it goes through
    res = admin.op("PUT", dev.ep, "/3/0/14", json=write_body("-05:00"))
    assert res["code"] == "CHANGED" and res["success"] is True
    assert dev.value((3, 0, 14)) == "-05:00"


def test_viewer_reads_but_changes_nothing(console, gw1, devices, viewer):
    dev = devices(gw1)
    viewer.wait_client(dev.ep)
    assert any(c["endpoint"] == dev.ep for c in viewer.ok("GET", "/api/clients"))
    viewer.ok("GET", "/api/gateways")
    viewer.ok("GET", "/api/objectspecs")
    res = viewer.op("GET", dev.ep, "/3/0/0")
    assert res["code"] == "CONTENT" and res["user"] == "victor"
    ep = dev.ep
    refused = [("PUT", f"/api/clients/{ep}/3/0/14", write_body("+09:00")),
               ("POST", f"/api/clients/{ep}/3/0/4", {}),
               ("POST", f"/api/clients/{ep}/3303", {"kind": "instance", "id": 7, "resources": []}),
               ("DELETE", f"/api/clients/{ep}/3303/1", None),
               ("PUT", f"/api/clients/{ep}/3303/0/5700/attributes?pmin=1", None),
               ("POST", f"/api/clients/{ep}/3303/0/5700/observe", None),
               ("DELETE", f"/api/clients/{ep}/3303/0/5700/observe", None),
               ("POST", f"/api/clients/{ep}/composite/observe?paths=/3303/0/5700", None),
               ("DELETE", f"/api/clients/{ep}/composite/observe?paths=/3303/0/5700", None)]
    n = len(dev.log)
    for method, path, body in refused:
        viewer.error(method, path, 403, "forbidden", json=body)
    assert dev.log[n:] == [], f"a viewer's call reached the device: {dev.log[n:]}"
    assert dev.value((3, 0, 14)) == "+01:00" and not dev.executions


def test_bearer_tokens(console, gw1, devices):
    """A token of the tokens file works without cookie and without CSRF token; its role counts."""
    dev = devices(gw1)
    ci = Api(console.url, bearer=TOKENS["ci-admin"])
    ci.wait_client(dev.ep)
    res = ci.op("PUT", dev.ep, "/3/0/14", json=write_body("+03:00"))
    assert res["code"] == "CHANGED" and res["user"] == "ci-admin"
    assert dev.value((3, 0, 14)) == "+03:00"
    assert "zeelos_session" not in ci.http.cookies, "a bearer call opened a session"
    ro = Api(console.url, bearer=TOKENS["ci-viewer"])
    assert ro.op("GET", dev.ep, "/3/0/0")["values"][0]["value"] == "ACME"
    ro.error("PUT", f"/api/clients/{dev.ep}/3/0/14", 403, "forbidden", json=write_body("+04:00"))
    bad = Api(console.url, bearer=TOKENS["ci-admin"] + "x")
    bad.error("GET", "/api/clients", 401, "unauthorized")
    assert dev.value((3, 0, 14)) == "+03:00"


def test_one_time_login_is_usable_once(console):
    """console.one.time.login=true: a one-time URL is printed although users exist; its token
    logs in once (admin), never twice."""
    url, port, token = console.one_time_login(exact=True)
    assert port == console.port, url
    a = Api(console.url)
    r = a.login_once(token)
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["role"] == "admin"
    assert a.ok("GET", "/api/session")["role"] == "admin"
    b = Api(console.url)
    r = b.login_once(token)
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    assert b.login_once("x" * len(token)).status_code == 401


def test_no_user_means_a_one_time_login(console_factory, gw1, tmp_path):
    """No users file and no tokens: the console prints a one-time login URL by itself (there is
    no default password) and nothing else logs in."""
    c = console_factory([gw1.id], users_file=tmp_path / "nobody-here")
    url, port, token = c.one_time_login()
    assert port == c.port and url.startswith(f"http://127.0.0.1:{c.port}/#otl=")
    for user, pw in (("admin", "admin"), ("admin", ""), ("alice", PASSWORDS["alice"])):
        assert Api(c.url).login(user, pw, expect=401).json()["code"] == "unauthorized"
    a = Api(c.url)
    assert a.login_once(token).status_code == 200
    assert a.ok("GET", "/api/gateways")[0]["id"] == gw1.id


def test_logout_ends_the_session(console):
    a = Api(console.url)
    a.login("alice", PASSWORDS["alice"])
    cookie = a.http.cookies.get("zeelos_session")
    a.ok("GET", "/api/clients")
    r = a.delete("/api/session")
    assert r.status_code == 204, r.text
    a.error("GET", "/api/clients", 401, "unauthorized")
    a.error("GET", "/api/session", 401, "unauthorized")
    # the old cookie replayed by hand is dead too
    r = requests.get(console.url + "/api/clients", headers={"Cookie": f"zeelos_session={cookie}"}, timeout=10)
    assert r.status_code == 401


def test_tls(console_factory, access_files, gw1, tmp_path):
    """console.tls.cert/key: HTTPS (plain HTTP is not answered), and the session cookie is Secure."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                        str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    users, _ = access_files
    c = console_factory([gw1.id], users_file=users,
                        extra=["--console-tls-cert", str(cert), "--console-tls-key", str(key)])
    assert c.url.startswith("https://")
    a = Api(c.url, verify=str(cert))
    r = a.login("alice", PASSWORDS["alice"])
    attrs = [x.strip().lower() for x in r.headers["Set-Cookie"].split(";")]
    assert "secure" in attrs and "httponly" in attrs, r.headers["Set-Cookie"]
    assert a.ok("GET", "/api/gateways")[0]["id"] == gw1.id
    r = a.http.get(c.url + "/", timeout=10, verify=str(cert))
    assert r.status_code == 200 and "Content-Security-Policy" in r.headers, r.status_code
    try:
        plain = requests.get(f"http://127.0.0.1:{c.port}/api/session", timeout=5)
    except requests.RequestException:
        plain = None
    assert plain is None or plain.status_code >= 400, "plain HTTP answered on the TLS port"


def test_console_user_cli(zeelos, tmp_path):
    """`zeelos console-user`: add (mode 0600, PBKDF2 line), list, remove."""
    from console_helpers import console_user
    f = tmp_path / "users"
    add_user(f, "dora", "viewer", "dora-pass-1")
    assert (f.stat().st_mode & 0o777) == 0o600, oct(f.stat().st_mode)
    line = f.read_text().strip()
    name, role, h = line.split(":", 2)
    assert (name, role) == ("dora", "viewer") and h.startswith("$pbkdf2-sha256$"), line
    assert "dora-pass-1" not in f.read_text()
    p = console_user("list", "--file", str(f))
    assert p.returncode == 0 and "dora" in p.stdout, (p.stdout, p.stderr)
    p = console_user("add", "eve", "--role", "root", "--file", str(f), password="x")
    assert p.returncode != 0, "an unknown role was accepted"
    p = console_user("remove", "dora", "--file", str(f))
    assert p.returncode == 0, p.stderr
    assert "dora" not in f.read_text()
    p = console_user("remove", "dora", "--file", str(f))
    assert p.returncode != 0, "removing an absent user succeeded"


def test_metrics_count_denials(console):
    before = console.metrics().get("zeelos_console_denied_total", 0)
    requests.get(console.url + "/api/clients", timeout=5)
    wait_until(lambda: console.metrics().get("zeelos_console_denied_total", 0) > before, 5,
               what="zeelos_console_denied_total to count a refused call")
