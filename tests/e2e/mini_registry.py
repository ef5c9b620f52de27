#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A minimal Confluent-compatible Schema Registry, in memory, for tests and the local demo.

NOT a product component: the gateway talks to a real Confluent-compatible registry in
production. This exists because Confluent's registry is not on Maven Central and Apicurio
could not be resolved from it here (see REGISTRY.md).

Implements the subset of the Confluent REST API that zeelos and its tests use:

  POST   /subjects/{subject}/versions            {"schema": "..."} -> {"id": N}
  POST   /subjects/{subject}                     look a schema up -> {subject, version, id, schema}
  GET    /subjects                               -> ["subject", ...]
  GET    /subjects/{subject}/versions            -> [1, 2, ...]
  GET    /subjects/{subject}/versions/{v|latest} -> {subject, version, id, schema}
  GET    /subjects/{subject}/versions/{v}/schema -> the schema JSON itself
  DELETE /subjects/{subject}                     -> [versions]
  GET    /schemas/ids/{id}                       -> {"schema": "..."}
  GET    /schemas/ids/{id}/versions              -> [{subject, version}, ...]
  POST   /compatibility/subjects/{subject}/versions/{v|latest}[?verbose=true]
                                                 -> {"is_compatible": bool[, "messages": [...]]}
  GET    /config, PUT /config, GET /config/{subject}, PUT /config/{subject}
                                                 {"compatibility": LEVEL}

Semantics kept from Confluent's registry:
  * schema ids are global and deduplicated by the schema's identity (here: its JSON with
    whitespace and object-key order removed; properties such as avro.java.string count),
  * registering a schema already registered under a subject returns the existing id and
    creates no new version,
  * errors are {"error_code": N, "message": "..."} with Confluent's codes
    (40401 subject not found, 40402 version not found, 40403 schema not found,
    42201 invalid schema, 42202 invalid version, 42203 invalid compatibility level,
    409 incompatible schema),
  * compatibility levels BACKWARD (the default), BACKWARD_TRANSITIVE, FORWARD,
    FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE and NONE, global (PUT /config) or per subject
    (PUT /config/{subject}; GET /config/{subject} falls back to the global level).
    BACKWARD: the new schema, as reader, can read data written with the previous schema;
    FORWARD: the previous schema, as reader, can read data written with the new one;
    FULL: both; *_TRANSITIVE: against every registered version instead of the latest only;
    NONE: no check. Registering a schema that is new for a subject which already has versions
    checks it at the subject's level and rejects an incompatible one with HTTP 409.
    POST /compatibility/... checks against the one version named in the path, in the
    direction(s) of the subject's level (transitivity does not apply there, as in Confluent).
    The checks are Apache Avro's own (the `avro` package, avro.compatibility's
    ReaderWriterCompatibilityChecker). Without that package the module still runs (e.g. with
    a plain python3 for scripts/registry.sh) but every check answers "compatible", with a
    warning on stderr when the registry starts.

Usage: python3 mini_registry.py [--host 127.0.0.1] [--port 8081]
In-process: reg = MiniRegistry(port=0).start(); reg.url; reg.stop()
"""
from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

try:  # Apache Avro's Python library: schema parser and reader/writer compatibility checker
    import avro.schema as avro_schema
    from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType
except ImportError:  # plain python3 (scripts/registry.sh): checks answer "compatible"
    avro_schema = None

CT = "application/vnd.schemaregistry.v1+json"

LEVELS = ("BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
          "FULL", "FULL_TRANSITIVE", "NONE")
DEFAULT_LEVEL = "BACKWARD"


class RegistryError(Exception):
    def __init__(self, http: int, code: int, message: str):
        super().__init__(message)
        self.http, self.code, self.message = http, code, message


def canonical(schema_text: str) -> str:
    """Identity of a schema: JSON without whitespace, object keys sorted."""
    try:
        obj = json.loads(schema_text)
    except (ValueError, TypeError) as e:
        raise RegistryError(422, 42201, f"Invalid schema: {e}")
    if not isinstance(obj, (dict, list, str)):
        raise RegistryError(422, 42201, "Invalid schema: not an Avro schema")
    try:  # validate as Avro when fastavro is there (the test venv has it)
        import fastavro

        fastavro.parse_schema(obj, _write_hint=False)
    except ImportError:
        pass
    except Exception as e:  # noqa: BLE001 - any parse error is an invalid schema
        raise RegistryError(422, 42201, f"Invalid schema: {e}")
    if avro_schema is not None:  # the checker needs it parsed by Apache Avro too
        parse_avro(schema_text)
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def parse_avro(schema_text: str):
    """The schema parsed by Apache Avro (None without the avro package); 42201 when invalid."""
    if avro_schema is None:
        return None
    try:
        return avro_schema.parse(schema_text)
    except Exception as e:  # noqa: BLE001 - any parse error is an invalid schema
        raise RegistryError(422, 42201, f"Invalid schema: {e}")


def reader_writer_problems(reader, writer, what: str) -> list[str]:
    """Why `reader` cannot read data written with `writer` (empty list: it can)."""
    res = ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
    if res.compatibility is not SchemaCompatibilityType.incompatible:
        return []
    kinds = ",".join(sorted({i.name.upper() for i in res.incompatibilities}))
    return [f"{{errorType:'{kinds}', description:'{'; '.join(sorted(res.messages))}', "
            f"location:'{', '.join(sorted(res.locations))}', {what}}}"]


def check_level(level: str, new, old, old_version: int) -> list[str]:
    """Incompatibilities of parsed schema `new` with registered version `old_version` (`old`)
    in the direction(s) of `level` (transitivity is the caller's business)."""
    if new is None or old is None or level == "NONE":
        return []
    out = []
    if level.startswith(("BACKWARD", "FULL")):
        out += reader_writer_problems(new, old, f"oldSchemaVersion: {old_version}, "
                                      f"reader: 'new schema', writer: 'version {old_version}', "
                                      f"compatibility: '{level}'")
    if level.startswith(("FORWARD", "FULL")):
        out += reader_writer_problems(old, new, f"oldSchemaVersion: {old_version}, "
                                      f"reader: 'version {old_version}', writer: 'new schema', "
                                      f"compatibility: '{level}'")
    return out


class Store:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_id: dict[int, str] = {}          # id -> schema text as first registered
        self.id_by_canon: dict[str, int] = {}    # canonical text -> id
        self.subjects: dict[str, list[int]] = {}  # subject -> [schema id per version]
        self.config: dict[str, str] = {}          # subject ("" = global) -> level
        self.parsed: dict[int, object] = {}       # id -> Apache Avro schema (cache)
        self.next_id = 1

    def level(self, subject: str) -> str:
        """Compatibility level of a subject (its own, else the global one). Call with the lock."""
        return self.config.get(subject) or self.config.get("") or DEFAULT_LEVEL

    def _parsed(self, sid: int):
        if sid not in self.parsed:
            self.parsed[sid] = parse_avro(self.by_id[sid])
        return self.parsed[sid]

    def _problems(self, subject: str, new, versions: list[int]) -> list[str]:
        """Incompatibilities of `new` (parsed) with the given versions (numbers) of a subject,
        at the subject's level. Call with the lock."""
        level = self.level(subject)
        sids = self.subjects[subject]
        out: list[str] = []
        for v in versions:
            out += check_level(level, new, self._parsed(sids[v - 1]), v)
        return out

    def register(self, subject: str, schema_text: str) -> int:
        canon = canonical(schema_text)
        new = parse_avro(schema_text)
        with self.lock:
            sid = self.id_by_canon.get(canon)
            versions = self.subjects.get(subject) or []
            if sid is not None and sid in versions:
                return sid  # already registered under this subject: no check, no new version
            if versions:
                level = self.level(subject)
                against = range(1, len(versions) + 1) if level.endswith("_TRANSITIVE") else [len(versions)]
                problems = self._problems(subject, new, list(reversed(against)))
                if problems:
                    raise RegistryError(
                        409, 409, "Schema being registered is incompatible with an earlier schema for "
                        f"subject \"{subject}\", details: [{', '.join(problems)}]")
            if sid is None:
                sid = self.next_id
                self.next_id += 1
                self.id_by_canon[canon] = sid
                self.by_id[sid] = schema_text
            versions = self.subjects.setdefault(subject, [])
            if sid not in versions:
                versions.append(sid)
            return sid

    def lookup(self, subject: str, schema_text: str) -> dict:
        canon = canonical(schema_text)
        with self.lock:
            versions = self.subjects.get(subject)
            if versions is None:
                raise RegistryError(404, 40401, f"Subject '{subject}' not found.")
            sid = self.id_by_canon.get(canon)
            if sid is None or sid not in versions:
                raise RegistryError(404, 40403, "Schema not found")
            return self._version(subject, versions.index(sid) + 1)

    def _version(self, subject: str, version: int) -> dict:
        sid = self.subjects[subject][version - 1]
        return {"subject": subject, "version": version, "id": sid, "schema": self.by_id[sid]}

    def get_version(self, subject: str, ver: str) -> dict:
        with self.lock:
            return self.get_version_unlocked(subject, ver)

    def get_version_unlocked(self, subject: str, ver: str) -> dict:
        versions = self.subjects.get(subject)
        if versions is None:
            raise RegistryError(404, 40401, f"Subject '{subject}' not found.")
        if ver in ("latest", "-1"):
            n = len(versions)
        else:
            try:
                n = int(ver)
            except ValueError:
                raise RegistryError(422, 42202, f"The specified version '{ver}' is not a valid version id.")
            if n < 1 or n > len(versions):
                raise RegistryError(404, 40402, f"Version {ver} not found.")
        return self._version(subject, n)

    def check_version(self, subject: str, ver: str, schema_text: str) -> list[str]:
        """Incompatibilities of a schema with one version of a subject (404s like get_version)."""
        canonical(schema_text)
        new = parse_avro(schema_text)
        with self.lock:
            n = self.get_version_unlocked(subject, ver)["version"]
            return self._problems(subject, new, [n])

    def get_schema(self, sid: int) -> str:
        with self.lock:
            if sid not in self.by_id:
                raise RegistryError(404, 40403, "Schema not found")
            return self.by_id[sid]


class Handler(BaseHTTPRequestHandler):
    server_version = "zeelos-mini-registry/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet unless asked
        if getattr(self.server, "verbose", False):
            sys.stderr.write("mini-registry: " + (fmt % args) + "\n")

    @property
    def store(self) -> Store:
        return self.server.store  # type: ignore[attr-defined]

    def _send(self, status: int, obj) -> None:
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", CT)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> dict:
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if not raw:
            return {}
        try:
            obj = json.loads(raw)
        except ValueError:
            raise RegistryError(400, 400, "Unrecognized request body (not JSON)")
        if not isinstance(obj, dict):
            raise RegistryError(422, 422, "Request body must be a JSON object")
        return obj

    def _schema_from_body(self) -> str:
        body = self._body()
        st = body.get("schemaType", "AVRO")
        if st != "AVRO":
            raise RegistryError(422, 42201, f"Unsupported schemaType {st}")
        s = body.get("schema")
        if not isinstance(s, str):
            raise RegistryError(422, 42201, "Empty schema")
        return s

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/")
        query = parse_qs(url.query)
        parts = [unquote(p) for p in path.split("/") if p]
        st = self.store
        try:
            if method == "GET" and parts == []:
                return self._send(200, {})
            if parts[:1] == ["subjects"]:
                if method == "GET" and len(parts) == 1:
                    with st.lock:
                        return self._send(200, sorted(st.subjects))
                subject = parts[1] if len(parts) > 1 else ""
                if len(parts) == 2:
                    if method == "POST":
                        return self._send(200, st.lookup(subject, self._schema_from_body()))
                    if method == "DELETE":
                        with st.lock:
                            if subject not in st.subjects:
                                raise RegistryError(404, 40401, f"Subject '{subject}' not found.")
                            vs = list(range(1, len(st.subjects.pop(subject)) + 1))
                        return self._send(200, vs)
                if len(parts) == 3 and parts[2] == "versions":
                    if method == "POST":
                        return self._send(200, {"id": st.register(subject, self._schema_from_body())})
                    if method == "GET":
                        with st.lock:
                            if subject not in st.subjects:
                                raise RegistryError(404, 40401, f"Subject '{subject}' not found.")
                            return self._send(200, list(range(1, len(st.subjects[subject]) + 1)))
                if len(parts) == 4 and parts[2] == "versions" and method == "GET":
                    return self._send(200, st.get_version(subject, parts[3]))
                if len(parts) == 5 and parts[2] == "versions" and parts[4] == "schema" and method == "GET":
                    return self._send(200, json.loads(st.get_version(subject, parts[3])["schema"]))
            if parts[:2] == ["schemas", "ids"] and len(parts) >= 3 and method == "GET":
                if not re.fullmatch(r"\d+", parts[2]):
                    raise RegistryError(404, 40403, "Schema not found")
                sid = int(parts[2])
                text = st.get_schema(sid)
                if len(parts) == 3:
                    return self._send(200, {"schema": text})
                if len(parts) == 4 and parts[3] == "versions":
                    with st.lock:
                        out = [{"subject": s, "version": vs.index(sid) + 1}
                               for s, vs in sorted(st.subjects.items()) if sid in vs]
                    return self._send(200, out)
                if len(parts) == 4 and parts[3] == "subjects":
                    with st.lock:
                        return self._send(200, sorted(s for s, vs in st.subjects.items() if sid in vs))
            if (parts[:2] == ["compatibility", "subjects"] and len(parts) == 5 and parts[3] == "versions"
                    and method == "POST"):
                problems = st.check_version(parts[2], parts[4], self._schema_from_body())  # 404s like Confluent
                out = {"is_compatible": not problems}
                if problems and any(v.lower() == "true" for v in query.get("verbose", [])):
                    out["messages"] = problems
                return self._send(200, out)
            if parts[:1] == ["config"] and len(parts) <= 2:
                key = parts[1] if len(parts) == 2 else ""
                if method == "GET":
                    with st.lock:
                        lvl = st.level(key)
                    return self._send(200, {"compatibilityLevel": lvl})
                if method == "PUT":
                    lvl = self._body().get("compatibility")
                    lvl = lvl.upper() if isinstance(lvl, str) else lvl
                    if lvl not in LEVELS:
                        raise RegistryError(422, 42203, "Invalid compatibility level")
                    with st.lock:
                        st.config[key] = lvl
                    return self._send(200, {"compatibility": lvl})
            if parts == ["schemas", "types"] and method == "GET":
                return self._send(200, ["AVRO"])
            raise RegistryError(404, 404, f"HTTP 404 Not Found: {method} {path}")
        except RegistryError as e:
            self._send(e.http, {"error_code": e.code, "message": e.message})

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")


class MiniRegistry:
    """In-process registry: MiniRegistry(port=0).start() serves on a free port in a thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, verbose: bool = False):
        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.httpd.store = Store()  # type: ignore[attr-defined]
        self.httpd.verbose = verbose  # type: ignore[attr-defined]
        self.thread: threading.Thread | None = None
        if avro_schema is None:
            sys.stderr.write("mini-registry: warning: Python package 'avro' not installed; "
                             "compatibility checks always answer compatible\n")

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.httpd.server_address[0]}:{self.port}"

    def start(self) -> "MiniRegistry":
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="mini-registry", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8081)
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    reg = MiniRegistry(a.host, a.port, a.verbose)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    print(f"mini-registry: serving a Confluent-compatible Schema Registry on {reg.url}", flush=True)
    try:
        reg.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        reg.httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
