# SPDX-License-Identifier: Apache-2.0
"""docs/console-api.yaml as a test oracle: every answer the suite sees goes through check(), which
finds the documented operation of its method and path, fails when the status (or the media type)
is not documented there, and validates a JSON body against the documented schema (JSON Schema
2020-12, the dialect of OpenAPI 3.1, with jsonschema; `$ref`s resolve inside the document)."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional
from urllib.parse import unquote, urlsplit

import jsonschema
import requests
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "docs" / "console-api.yaml"
BASE = "urn:zeelos:console-api"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


class ApiSpec:
    def __init__(self, path: Path = SPEC_PATH):
        self.path = path
        self.doc = yaml.safe_load(path.read_text())
        self.registry = Registry().with_resource(BASE, Resource.from_contents(self.doc, DRAFT202012))
        self.routes = []  # (template, regex, literal segment count, {param: schema})
        for template, item in self.doc["paths"].items():
            names = re.findall(r"\{([^}]+)\}", template)
            rx = "^" + re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(template)) + "$"
            literals = len([s for s in template.split("/") if s and not s.startswith("{")])
            self.routes.append((template, re.compile(rx), literals, names))
        self._validators: dict[str, jsonschema.protocols.Validator] = {}

    # ---- the document itself
    def validate_document(self) -> None:
        from openapi_spec_validator import validate
        validate(self.doc)

    def operations(self):
        """(template, method, operation) of every documented operation."""
        for template, item in self.doc["paths"].items():
            for m in METHODS:
                if m in item:
                    yield template, m, item[m]

    def resolve(self, node: Any) -> Any:
        """node with a top-level $ref (a response, a parameter) followed."""
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            assert ref.startswith("#/"), ref
            cur = self.doc
            for part in ref[2:].split("/"):
                cur = cur[part.replace("~1", "/").replace("~0", "~")]
            node = cur
        return node

    def path_params(self, template: str, method: str) -> dict[str, dict]:
        item = self.doc["paths"][template]
        out = {}
        for p in item.get("parameters", []) + item[method].get("parameters", []):
            p = self.resolve(p)
            if p["in"] == "path":
                out[p["name"]] = p["schema"]
        return out

    # ---- matching a concrete path
    def match(self, path: str, method: Optional[str] = None) -> Optional[str]:
        """The documented template of a concrete path (the one with most literal segments whose
        path parameters fit their schemas; of method when given), or None."""
        cands = []
        for template, rx, literals, names in self.routes:
            m = rx.match(path)
            if not m:
                continue
            item = self.doc["paths"][template]
            meth = method.lower() if method else next((x for x in METHODS if x in item), None)
            if method and meth not in item:
                cands.append((literals - 1000, template))  # the path exists, not the method
                continue
            schemas = self.path_params(template, meth)
            if all(self._param_fits(unquote(v), schemas.get(n, {})) for n, v in zip(names, m.groups())):
                cands.append((literals, template))
        if not cands:
            return None
        cands.sort(key=lambda c: -c[0])
        best = [c for c in cands if c[0] == cands[0][0]]
        assert len(best) == 1, f"{path} matches several documented paths equally: {best}"
        return best[0][1]

    @staticmethod
    def _param_fits(value: str, schema: dict) -> bool:
        t = schema.get("type")
        if t == "integer":
            if not re.fullmatch(r"[0-9]+", value):
                return False
            n = int(value)
            return schema.get("minimum", n) <= n <= schema.get("maximum", n)
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return False
        return len(value) >= schema.get("minLength", 0)

    # ---- schemas
    def validator(self, pointer: str):
        v = self._validators.get(pointer)
        if v is None:
            v = jsonschema.Draft202012Validator({"$ref": BASE + pointer}, registry=self.registry)
            self._validators[pointer] = v
        return v

    def validate(self, instance: Any, pointer: str, what: str = "") -> None:
        """Validates instance against the schema at pointer ("#/components/schemas/Client")."""
        errors = sorted(self.validator(pointer).iter_errors(instance), key=lambda e: list(e.absolute_path))
        if errors:
            lines = []
            for e in errors[:8]:
                where = "/".join(map(str, e.absolute_path)) or "(top)"
                lines.append(f"  at {where}: {e.message[:300]}")
                for sub in (e.context or [])[:4]:
                    lines.append(f"      - {'/'.join(map(str, sub.absolute_path)) or '(top)'}: {sub.message[:200]}")
            body = json.dumps(instance)[:1500]
            raise AssertionError(f"{what or pointer}: does not match {pointer} of docs/console-api.yaml:\n"
                                 + "\n".join(lines) + f"\n  body: {body}")

    def schema_ok(self, instance: Any, pointer: str) -> bool:
        return self.validator(pointer).is_valid(instance)

    def response_spec(self, template: str, method: str, status: int) -> tuple[str, dict]:
        op = self.doc["paths"][template].get(method.lower())
        assert op is not None, f"{method.upper()} {template} is not documented in docs/console-api.yaml"
        responses = op["responses"]
        key = str(status)
        assert key in responses, (f"{method.upper()} {template} answered {status}, a status docs/console-api.yaml "
                                  f"does not document for it (documented: {', '.join(sorted(responses))})")
        base = _pointer("paths", template, method.lower(), "responses", key)
        r = responses[key]
        while "$ref" in r:
            base = r["$ref"]
            r = self.resolve(r)
        return base, r

    def check(self, resp: requests.Response, method: Optional[str] = None, template: Optional[str] = None) -> Any:
        """Checks resp against the documented answer of (method, template) (both found from the
        request when not given); returns the decoded JSON body (None for an empty one)."""
        method = (method or resp.request.method).lower()
        path = urlsplit(resp.request.url).path
        found = self.match(path, method)
        assert found is not None, f"{method.upper()} {path}: no documented path matches (answered {resp.status_code})"
        if template is not None:
            assert found == template, f"{method.upper()} {path} is documented as {found}, not {template}"
        template = found
        assert method in self.doc["paths"][template], \
            f"{method.upper()} {template} is not documented (answered {resp.status_code}: {resp.text[:200]})"
        base, r = self.response_spec(template, method, resp.status_code)
        what = f"{method.upper()} {path} -> {resp.status_code}"
        for name, h in (r.get("headers") or {}).items():
            h = self.resolve(h)
            if h.get("required"):
                assert name in resp.headers, f"{what}: header {name} is documented as required, absent"
        content = r.get("content")
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
        streaming = ctype == "text/event-stream"  # never ends: its body is not read here
        if not content:
            assert not resp.content, f"{what}: documented without a body, got {resp.content[:200]!r}"
            return None
        assert ctype in content, (f"{what}: Content-Type {ctype!r} is not one documented "
                                  f"({', '.join(content)})" + ("" if streaming else f"; body {resp.text[:200]!r}"))
        if ctype != "application/json":
            return None
        try:
            body = resp.json()
        except ValueError as e:
            raise AssertionError(f"{what}: not JSON ({e}): {resp.text[:300]!r}") from None
        if "schema" in content[ctype]:
            self.validate(body, base + "/content/application~1json/schema", what)
        return body

    def event_pointer(self, event_type: str) -> str:
        media = self.doc["paths"]["/api/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]
        events = media["x-events"]
        assert event_type in events, (f"SSE event type {event_type!r} is not documented "
                                      f"(x-events of GET /api/events: {', '.join(events)})")
        return events[event_type]["$ref"]

    def check_event(self, event_type: str, data: Any) -> None:
        self.validate(data, self.event_pointer(event_type), f"SSE event {event_type}")


@lru_cache(maxsize=1)
def spec() -> ApiSpec:
    return ApiSpec()
