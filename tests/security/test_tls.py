# SPDX-License-Identifier: Apache-2.0
"""TLS end to end: scripts/certs.sh, the broker's SSL listener with client certificates and ACLs,
`zeelos gateway` and `zeelos request` over SSL through the kafka.* passthrough, and `zeelos
registry` over HTTPS with client certificates or basic auth (server and libcurl client side)."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import time
import uuid

import pytest
import requests
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import (AclBinding, AclOperation, AclPermissionType, AdminClient, NewTopic,
                                   ResourcePatternType, ResourceType)

from conftest import ROOT, SSL, ssl_conf, zeelos_ssl_args
from gateway_proc import Gateway, child_env, unique, wait_until, zeelos_bin
from kafka_helpers import AvroCodec, SchemaRegistry, gateway_topics
from lwm2m_device import LwM2MDevice

CERTS_SH = ROOT / "scripts" / "certs.sh"


def run(argv, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=kw.pop("timeout", 120), **kw)


def other_ca_cert(tmp_path, cn: str = "admin"):
    """A client certificate CN=cn signed by a CA the broker and the registry do not trust."""
    p = run(["bash", CERTS_SH, tmp_path / "other", cn])
    assert p.returncode == 0, p.stderr
    return tmp_path / "other" / f"{cn}.pem", tmp_path / "other" / f"{cn}.key"


# ------------------------------------------------------------------ certs.sh
def test_certs_sh_random_passwords_private_keys(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    pa = run(["bash", CERTS_SH, a])
    pb = run(["bash", CERTS_SH, b, "edge-x"])
    assert pa.returncode == 0 and pb.returncode == 0, pa.stderr + pb.stderr
    pass_a, pass_b = (a / "broker.pass").read_text().strip(), (b / "broker.pass").read_text().strip()
    assert len(pass_a) >= 32 and pass_a != pass_b, "the keystore password must be random per run"
    for p in (pa, pb):  # nothing secret on the terminal
        assert pass_a not in p.stdout + p.stderr and pass_b not in p.stdout + p.stderr
        assert "PRIVATE KEY" not in p.stdout + p.stderr
    roles = ["gateway-edge1", "registry", "sink", "analytics", "console", "admin"]
    for r in roles:
        for ext in ("pem", "key"):
            assert (a / f"{r}.{ext}").is_file(), f"{r}.{ext} missing"
    assert (b / "edge-x.pem").is_file() and not (b / "admin.pem").exists()
    for f in [*a.glob("*.key"), a / "broker.pass", a / "broker.keystore.p12", *b.glob("*.key")]:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f"{f} is {oct(stat.S_IMODE(f.stat().st_mode))}"
    # the certificates chain to the CA, the broker's names are right, CN is the role
    v = run(["openssl", "verify", "-CAfile", a / "ca.pem", a / "broker.pem", a / "gateway-edge1.pem"])
    assert v.returncode == 0, v.stdout + v.stderr
    txt = run(["openssl", "x509", "-in", a / "broker.pem", "-noout", "-ext", "subjectAltName"]).stdout
    assert "IP Address:127.0.0.1" in txt and "DNS:localhost" in txt, txt
    subj = run(["openssl", "x509", "-in", a / "gateway-edge1.pem", "-noout", "-subject"]).stdout
    assert "CN=gateway-edge1" in subj.replace(" = ", "="), subj
    # the stores open with the random password, and only with it
    ok = run(["keytool", "-list", "-storetype", "PKCS12", "-keystore", a / "broker.truststore.p12",
              "-storepass:file", a / "broker.pass"])
    assert ok.returncode == 0 and "trustedCertEntry" in ok.stdout, ok.stdout + ok.stderr
    wrong = tmp_path / "wrong.pass"
    wrong.write_text("changeit\n")
    assert run(["keytool", "-list", "-storetype", "PKCS12", "-keystore", a / "broker.keystore.p12",
                "-storepass:file", wrong]).returncode != 0
    # idempotent: a second run keeps every file; --force makes new ones
    before = {f.name: f.read_bytes() for f in a.iterdir() if f.is_file()}
    assert run(["bash", CERTS_SH, a]).returncode == 0
    assert {f.name: f.read_bytes() for f in a.iterdir() if f.is_file()} == before
    assert run(["bash", CERTS_SH, "--force", a]).returncode == 0
    assert (a / "broker.pass").read_text().strip() != pass_a
    assert (a / "ca.pem").read_bytes() != before["ca.pem"]


# ------------------------------------------------------------------ the SSL listener
def metadata_ok(conf: dict, timeout: float = 6) -> bool:
    a = AdminClient({**conf, "socket.timeout.ms": 3000, "reconnect.backoff.max.ms": 1000})
    try:
        a.list_topics(timeout=timeout)
        return True
    except Exception:  # noqa: BLE001  (KafkaException: transport failure)
        return False
    finally:
        del a


def test_ssl_listener_requires_a_ca_signed_client_cert(broker, certs, tmp_path):
    assert not metadata_ok(ssl_conf(certs, None)), "a client without a certificate was accepted"
    cert, key = other_ca_cert(tmp_path)
    assert not metadata_ok({**ssl_conf(certs, None), "ssl.certificate.location": str(cert),
                            "ssl.key.location": str(key)}), "a certificate of another CA was accepted"
    assert metadata_ok(ssl_conf(certs, "admin")), "admin's CA-signed certificate was refused"
    assert metadata_ok(ssl_conf(certs, "gateway-edge1"))


# ------------------------------------------------------------------ ACLs
@pytest.fixture(scope="session")
def edge1_acls(broker, certs):
    """User:gateway-edge1 may write/describe/create topics iot.edge1.*, read its request topic and
    its consumer group (the gateway id, edge1): nothing else."""
    admin = AdminClient(ssl_conf(certs, "admin"))
    u, allow, any_host = "User:gateway-edge1", AclPermissionType.ALLOW, "*"
    acls = [AclBinding(ResourceType.TOPIC, "iot.edge1.", ResourcePatternType.PREFIXED, u, any_host, op, allow)
            for op in (AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE)]
    acls += [AclBinding(ResourceType.TOPIC, "iot.edge1.management.req", ResourcePatternType.LITERAL, u, any_host,
                        AclOperation.READ, allow),
             AclBinding(ResourceType.TOPIC, "iot.edge1.security", ResourcePatternType.LITERAL, u, any_host,
                        AclOperation.READ, allow),
             AclBinding(ResourceType.GROUP, "edge1", ResourcePatternType.LITERAL, u, any_host, AclOperation.READ,
                        allow)]
    for f in admin.create_acls(acls).values():
        f.result(timeout=30)
    # the edge2 topic exists, so a refusal is about authorization, not a missing topic
    fs = admin.create_topics([NewTopic("iot.edge2.observations", 1, 1)])
    for f in fs.values():
        try:
            f.result(timeout=30)
        except Exception as e:  # noqa: BLE001
            assert "already exists" in str(e), e
    return acls


def produce(conf: dict, topic: str, timeout: float = 20):
    """Produces one record; the delivery error (None when written)."""
    p = Producer({**conf, "message.timeout.ms": int(timeout * 1000) - 2000, "acks": "all"})
    out = []
    p.produce(topic, b"v", key=b"k", on_delivery=lambda err, msg: out.append(err))
    p.flush(timeout)
    assert out, f"no delivery report for {topic}"
    return out[0]


def test_acl_gateway_cert_limited_to_its_prefix(edge1_acls, certs):
    gw = ssl_conf(certs, "gateway-edge1")
    assert produce(gw, f"iot.edge1.acl-{uuid.uuid4().hex[:8]}") is None
    err = produce(gw, "iot.edge2.observations")
    assert err is not None and err.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, err
    # the super user may
    assert produce(ssl_conf(certs, "admin"), "iot.edge2.observations") is None
    # gateway-edge1 may not read what it may write (Read only on its request topic)
    c = Consumer({**gw, "group.id": "edge1", "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        c.subscribe(["iot.edge2.observations"])
        deadline, err = time.time() + 20, None
        while time.time() < deadline and err is None:
            m = c.poll(0.5)
            if m is not None and m.error():
                err = m.error()
            elif m is not None:
                pytest.fail("gateway-edge1 read iot.edge2.observations")
        assert err is not None and err.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, err
    finally:
        c.close()


# ------------------------------------------------------------------ gateway over TLS
class SslReader:
    """Reads a topic from the beginning over SSL as admin and decodes it (Avro via the registry)."""

    def __init__(self, certs, topic: str, codec: AvroCodec):
        self.codec, self.records = codec, []
        self.c = Consumer({**ssl_conf(certs, "admin"), "group.id": f"sec-{uuid.uuid4().hex}",
                           "enable.auto.commit": False, "auto.offset.reset": "earliest", "fetch.wait.max.ms": 50})
        self.c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])

    def wait_for(self, pred, timeout: float, what: str):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for m in self.c.consume(100, 0.2):
                if m.error():
                    continue
                rec = (self.codec.decode(m.key())[1], self.codec.decode(m.value())[1])
                self.records.append(rec)
            for rec in self.records:
                if pred(*rec):
                    return rec
        raise AssertionError(f"no {what} in {timeout}s; read {self.records[-5:]}")

    def close(self):
        self.c.close()


def registry_client(url: str, certs, role: str = "admin") -> SchemaRegistry:
    sr = SchemaRegistry(url)
    sr.http.trust_env = False  # else REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE would replace verify
    sr.http.verify = str(certs / "ca.pem")
    sr.http.cert = (str(certs / f"{role}.pem"), str(certs / f"{role}.key"))
    return sr


def zeelos_request(certs, registry_url: str, gw: str, *args: str, sr_args=(), timeout_ms: int = 8000):
    argv = [str(zeelos_bin()), "request", "--gw", gw, "--kafka", SSL, "--schema-registry", registry_url,
            *zeelos_ssl_args(certs, "admin"), "-X", f"schema.registry.ssl.ca.location={certs / 'ca.pem'}",
            *sr_args, "--timeout-ms", str(timeout_ms), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout_ms / 1000 + 60, env=child_env())


def test_gateway_over_ssl_with_https_registry(edge1_acls, certs, registry_mtls, runner, tmp_path):
    gid = "edge1"
    topics = gateway_topics(gid)
    admin = AdminClient(ssl_conf(certs, "admin"))
    for f in admin.create_topics([NewTopic(t, 1, 1) for t in topics.values()]).values():
        try:
            f.result(timeout=30)
        except Exception as e:  # noqa: BLE001
            assert "already exists" in str(e), e
    sr_cert = ["-X", f"schema.registry.ssl.ca.location={certs / 'ca.pem'}",
               "-X", f"schema.registry.ssl.certificate.location={certs / 'gateway-edge1.pem'}",
               "-X", f"schema.registry.ssl.key.location={certs / 'gateway-edge1.key'}"]
    for attempt in range(3):  # free ports are picked, then bound: another suite may take one between
        gw = Gateway(gid, SSL, registry_mtls.url, tmp_path / "data", tmp_path / f"logs{attempt}",
                     ["--log-level", "debug", "--coap-request-timeout-ms", "3000",
                      *zeelos_ssl_args(certs, "gateway-edge1"), *sr_cert])
        try:
            gw.start(timeout=45)
            break
        except AssertionError as e:
            if "Address already in use" not in str(e) or attempt == 2:
                raise
    codec = AvroCodec(registry_client(registry_mtls.url, certs))
    regs = SslReader(certs, topics["registrations"], codec)
    obs = SslReader(certs, topics["observations"], codec)
    dev = LwM2MDevice(runner, unique("sec-dev-"), gw.coap_port).start()
    try:
        r = dev.register(lt=60)
        assert r.code == "2.01", r
        regs.wait_for(lambda k, v: k == {"ep": dev.ep} and v["kind"] == "NEW", 20, f"NEW registration of {dev.ep}")

        # management round trip over SSL: the gateway's consumer may still be joining, so retry
        deadline, rep = time.time() + 60, None
        while rep is None:
            p = zeelos_request(certs, registry_mtls.url, gid, "--ep", dev.ep, "read", "/3/0/0",
                               sr_args=["-X", f"schema.registry.ssl.certificate.location={certs / 'admin.pem'}",
                                        "-X", f"schema.registry.ssl.key.location={certs / 'admin.key'}"])
            if p.returncode == 0:
                rep = json.loads(p.stdout.strip().splitlines()[-1])["rep"]
            else:
                assert p.returncode == 3 and time.time() < deadline, (p.returncode, p.stderr, gw.log_tail())
        assert rep["code"] == "CONTENT", rep

        ticket = f"sec-obs-{uuid.uuid4().hex[:8]}"
        p = zeelos_request(certs, registry_mtls.url, gid, "--ep", dev.ep, "--ticket", ticket, "observe",
                           "/3303/0/5700",
                           sr_args=["-X", f"schema.registry.ssl.certificate.location={certs / 'admin.pem'}",
                                    "-X", f"schema.registry.ssl.key.location={certs / 'admin.key'}"])
        assert p.returncode == 0, (p.stdout, p.stderr)
        assert json.loads(p.stdout.strip().splitlines()[-1])["rep"]["code"] == "CONTENT"
        dev.start_ticking((3303, 0, 5700))
        _, v = obs.wait_for(lambda k, v: isinstance(v, dict) and v.get("ticket") == ticket, 20,
                            f"a notification of {ticket}")
        assert v["ep"] == dev.ep
        log = gw.log_path.read_text(errors="replace")
        assert "PRIVATE KEY" not in log
    finally:
        dev.stop()
        regs.close()
        obs.close()
        rc = gw.stop()
    assert rc == 0, gw.log_tail()


# ------------------------------------------------------------------ registry: client certificates
def curl(*args: str) -> tuple[int, str]:
    """(HTTP status, body) of curl ARGS; status 0 when curl itself failed (TLS refused)."""
    p = run(["curl", "-sS", "-m", "10", "-o", "-", "-w", "\n%{http_code}", *args])
    body, _, code = p.stdout.rpartition("\n")
    return int(code or 0), body


def test_registry_requires_client_cert(registry_mtls, certs, tmp_path):
    url, ca = registry_mtls.url, str(certs / "ca.pem")
    code, body = curl("--cacert", ca, f"{url}/subjects")
    assert code == 403, (code, body)
    code, body = curl("--cacert", ca, "-X", "POST", "-H", "Content-Type: application/vnd.schemaregistry.v1+json",
                      "--data", json.dumps({"schema": '"string"'}), f"{url}/subjects/sec-nocert-value/versions")
    assert code == 403, (code, body)
    cert, key = other_ca_cert(tmp_path)
    code, body = curl("--cacert", ca, "--cert", str(cert), "--key", str(key), f"{url}/subjects")
    assert code in (0, 403), f"a certificate of another CA was accepted: {code} {body}"
    code, body = curl("--cacert", ca, "--cert", str(certs / "sink.pem"), "--key", str(certs / "sink.key"),
                      f"{url}/subjects")
    assert code == 200 and isinstance(json.loads(body), list), (code, body)
    subject = f"sec-cert-{uuid.uuid4().hex[:8]}-value"
    code, body = curl("--cacert", ca, "--cert", str(certs / "sink.pem"), "--key", str(certs / "sink.key"),
                      "-X", "POST", "-H", "Content-Type: application/vnd.schemaregistry.v1+json",
                      "--data", json.dumps({"schema": '"string"'}), f"{url}/subjects/{subject}/versions")
    assert code == 200 and "id" in json.loads(body), (code, body)
    for path in ("/metrics", "/healthz"):  # probes need no certificate
        assert curl("--cacert", ca, f"{url}{path}")[0] == 200, path
    # the libcurl client of zeelos without its client certificate is refused, with the reason
    p = zeelos_request(certs, url, "sec-nocert", "--ep", "nobody", "read", "/3/0/0", timeout_ms=1000)
    assert p.returncode != 0 and "403" in p.stderr, (p.returncode, p.stderr)


# ------------------------------------------------------------------ registry: basic auth
def test_registry_basic_auth_on_writes(registry_auth, certs):
    url, ca = registry_auth.url, str(certs / "ca.pem")
    s = requests.Session()
    s.trust_env = False  # else REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE would replace verify
    s.verify = ca
    subject = f"sec-auth-{uuid.uuid4().hex[:8]}-value"
    post = lambda **kw: s.post(f"{url}/subjects/{subject}/versions",  # noqa: E731
                               data=json.dumps({"schema": '"string"'}),
                               headers={"Content-Type": "application/vnd.schemaregistry.v1+json"}, timeout=10, **kw)
    r = post()
    assert r.status_code == 401, (r.status_code, r.text)
    assert r.headers.get("WWW-Authenticate", "").startswith("Basic"), r.headers
    r = post(auth=(registry_auth.user, registry_auth.password + "x"))
    assert r.status_code == 401, (r.status_code, r.text)
    r = post(auth=("nobody", registry_auth.password))
    assert r.status_code == 401, (r.status_code, r.text)
    assert s.delete(f"{url}/subjects/{subject}", timeout=10).status_code == 401
    assert s.put(f"{url}/config", json={"compatibility": "NONE"}, timeout=10).status_code == 401
    r = post(auth=(registry_auth.user, registry_auth.password))
    assert r.status_code == 200 and "id" in r.json(), (r.status_code, r.text)
    r = post(auth=(registry_auth.user, registry_auth.password))  # again: the remembered credentials
    assert r.status_code == 200, (r.status_code, r.text)
    # reads stay open, and so do the probes
    r = s.get(f"{url}/subjects", timeout=10)
    assert r.status_code == 200 and subject in r.json(), (r.status_code, r.text)
    assert s.get(f"{url}/metrics", timeout=10).status_code == 200
    assert s.get(f"{url}/healthz", timeout=10).status_code == 200
    # the password is in no log line
    assert registry_auth.password not in registry_auth.log_path.read_text(errors="replace")

    # zeelos's own registry client: schema.registry.basic.auth.user.info over https
    gw = f"sec-auth-{uuid.uuid4().hex[:6]}"
    p = zeelos_request(certs, url, gw, "--ep", "nobody", "read", "/3/0/0", timeout_ms=1000)
    assert p.returncode != 0 and "401" in p.stderr, (p.returncode, p.stderr)
    env_user = f"{registry_auth.user}:{registry_auth.password}"
    p = zeelos_request(certs, url, gw, "--ep", "nobody", "read", "/3/0/0", timeout_ms=1000,
                       sr_args=["-X", f"schema.registry.basic.auth.user.info={env_user}"])
    assert p.returncode == 3, (p.returncode, p.stderr)  # registered, sent, no device: no answer
    assert registry_auth.password not in p.stdout + p.stderr
    subjects = s.get(f"{url}/subjects", timeout=10).json()
    assert f"iot.{gw}.management.req-value" in subjects, subjects


# ------------------------------------------------------------------ SASL/SCRAM through kafka.*
def test_gateway_over_scram(broker, runner, tmp_path):
    """A SCRAM user made with the Admin API (a random password), ACLs for its own prefix; the
    gateway connects with kafka.sasl.* passed straight to librdkafka (JSON format: no registry
    in the way) and a device's registration reaches Kafka. A wrong password is refused."""
    from confluent_kafka.admin import ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion
    user, password, gid = "gw-scram1", "pw-" + uuid.uuid4().hex, "scram1"
    admin = AdminClient({"bootstrap.servers": broker["plain"]})  # ANONYMOUS: a super user on PLAINTEXT
    up = UserScramCredentialUpsertion(user, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096),
                                      password.encode())
    for f in admin.alter_user_scram_credentials([up]).values():
        f.result(timeout=30)
    u, allow = f"User:{user}", AclPermissionType.ALLOW
    acls = [AclBinding(ResourceType.TOPIC, f"iot.{gid}.", ResourcePatternType.PREFIXED, u, "*", op, allow)
            for op in (AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE, AclOperation.READ)]
    acls.append(AclBinding(ResourceType.GROUP, gid, ResourcePatternType.LITERAL, u, "*", AclOperation.READ, allow))
    for f in admin.create_acls(acls).values():
        f.result(timeout=30)
    sasl = {"bootstrap.servers": broker["scram"], "security.protocol": "sasl_plaintext",
            "sasl.mechanisms": "SCRAM-SHA-256", "sasl.username": user}
    assert produce({**sasl, "sasl.password": "wrong"}, f"iot.{gid}.x", timeout=8) is not None
    assert produce({**sasl, "sasl.password": password}, f"iot.{gid}.x") is None
    gw = Gateway(gid, broker["scram"], "http://127.0.0.1:1", tmp_path / "data", tmp_path / "logs",
                 ["--format", "json", "-X", "kafka.security.protocol=sasl_plaintext",
                  "-X", "kafka.sasl.mechanisms=SCRAM-SHA-256", "-X", f"kafka.sasl.username={user}",
                  "-X", f"kafka.sasl.password={password}"])
    gw.start(timeout=45)
    dev = LwM2MDevice(runner, unique("scram-dev-"), gw.coap_port).start()
    c = Consumer({"bootstrap.servers": broker["plain"], "group.id": "t-" + uuid.uuid4().hex,
                  "auto.offset.reset": "earliest"})
    try:
        c.subscribe([f"iot.{gid}.registrations"])
        assert dev.register(lt=60).code == "2.01"
        deadline, seen = time.time() + 30, False
        while not seen and time.time() < deadline:
            m = c.poll(0.5)
            seen = m is not None and not m.error() and dev.ep.encode() in (m.value() or b"")
        assert seen, gw.log_tail()
        assert password not in gw.log_path.read_text(errors="replace")
    finally:
        c.close()
        dev.stop()
        rc = gw.stop()
    assert rc == 0, gw.log_tail()
