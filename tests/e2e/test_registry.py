# SPDX-License-Identifier: Apache-2.0
"""`zeelos registry`: Avro compatibility (Confluent semantics) over its REST API, case by case.

Each test gets its own registry process on its own state topic, so global config changes stay
local. Every case is chosen so that a registry answering "compatible" unconditionally fails; the
expected answers are Apache Avro's (its Java SchemaCompatibility, which Confluent's registry uses,
and its Python port's ReaderWriterCompatibilityChecker agree on every case here).
"""
from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from registry_proc import Registry  # noqa: E402

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

LEVELS = ["BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
          "FULL", "FULL_TRANSITIVE", "NONE"]


def record(*fields) -> str:
    return json.dumps({"type": "record", "name": "R", "namespace": "test.zeelos", "fields": list(fields)})


def enum_record(*symbols) -> str:
    return record({"name": "e", "type": {"type": "enum", "name": "E", "symbols": list(symbols)}})


A_INT = {"name": "a", "type": "int"}
A_STRING = {"name": "a", "type": "string"}
B_DEFAULT = {"name": "b", "type": "string", "default": "x"}
B_NO_DEFAULT = {"name": "b", "type": "string"}
C_DEFAULT = {"name": "c", "type": "long", "default": 0}

V1 = record(A_INT)
V2_DEFAULT = record(A_INT, B_DEFAULT)
V2_NO_DEFAULT = record(A_INT, B_NO_DEFAULT)
V_STRING = record(A_STRING)


class Client:
    def __init__(self, url: str):
        self.url, self.s = url, requests.Session()

    def register(self, subject: str, schema: str) -> requests.Response:
        return self.s.post(f"{self.url}/subjects/{subject}/versions", json={"schema": schema})

    def check(self, subject: str, schema: str, version="latest", verbose=False) -> requests.Response:
        q = "?verbose=true" if verbose else ""
        return self.s.post(f"{self.url}/compatibility/subjects/{subject}/versions/{version}{q}",
                           json={"schema": schema})

    def compatible(self, subject: str, schema: str, version="latest") -> bool:
        r = self.check(subject, schema, version)
        assert r.status_code == 200, r.text
        return r.json()["is_compatible"]

    def set_level(self, level: str, subject: str | None = None) -> requests.Response:
        return self.s.put(f"{self.url}/config" + (f"/{subject}" if subject else ""), json={"compatibility": level})

    def level(self, subject: str | None = None) -> str:
        r = self.s.get(f"{self.url}/config" + (f"/{subject}" if subject else ""))
        assert r.status_code == 200, r.text
        return r.json()["compatibilityLevel"]

    def versions(self, subject: str) -> list[int]:
        return self.s.get(f"{self.url}/subjects/{subject}/versions").json()

    def subject_with(self, subject: str, *schemas: str, level: str | None = None) -> str:
        """Register schemas in order under a fresh subject (with level NONE), then set its level."""
        assert self.set_level("NONE", subject).status_code == 200
        for sc in schemas:
            r = self.register(subject, sc)
            assert r.status_code == 200, r.text
        if level:
            assert self.set_level(level, subject).status_code == 200
        return subject


@pytest.fixture
def reg(kafka_bootstrap, tmp_path):
    r = Registry(kafka_bootstrap, f"_schemas-test-{uuid.uuid4().hex[:12]}", tmp_path / "logs").start()
    yield Client(r.url)
    assert r.stop() == 0, r.log_tail()


# ------------------------------------------------------------------ config endpoints
def test_config_default_global_and_per_subject(reg):
    assert reg.level() == "BACKWARD"
    nf = reg.s.get(f"{reg.url}/config/nosuch")  # no level of its own (Confluent 7: 40408) ...
    assert nf.status_code == 404 and nf.json()["error_code"] == 40408, nf.text
    assert reg.level("nosuch?defaultToGlobal=true") == "BACKWARD"  # ... unless the global one is asked for
    r = reg.set_level("FULL")
    assert r.status_code == 200 and r.json() == {"compatibility": "FULL"}
    assert reg.level() == "FULL" and reg.level("s?defaultToGlobal=true") == "FULL"
    r = reg.set_level("FORWARD_TRANSITIVE", "s")
    assert r.status_code == 200 and r.json() == {"compatibility": "FORWARD_TRANSITIVE"}
    assert reg.level("s") == "FORWARD_TRANSITIVE"
    assert reg.level() == "FULL" and reg.level("other?defaultToGlobal=true") == "FULL"
    d = reg.s.delete(f"{reg.url}/config/s")  # back to the global level
    assert d.status_code == 200 and d.json() == {"compatibilityLevel": "FORWARD_TRANSITIVE"}, d.text
    assert reg.level("s?defaultToGlobal=true") == "FULL"
    for lvl in LEVELS:
        assert reg.set_level(lvl, "t").status_code == 200
        assert reg.level("t") == lvl


@pytest.mark.parametrize("bad", ["SOMETIMES", "", 42, None])
def test_config_invalid_level_is_422_42203(reg, bad):
    for subject in (None, "s"):
        r = reg.set_level(bad, subject)
        assert r.status_code == 422
        assert r.json()["error_code"] == 42203 and r.json()["message"].startswith("Invalid compatibility level")
    assert reg.level() == "BACKWARD" and reg.level("s?defaultToGlobal=true") == "BACKWARD"


# ------------------------------------------------------------------ record fields
@pytest.mark.parametrize("level", LEVELS)
def test_added_field_with_default_is_compatible_everywhere(reg, level):
    subj = reg.subject_with(f"def-{level}", V1, level=level)
    assert reg.compatible(subj, V2_DEFAULT)
    r = reg.register(subj, V2_DEFAULT)
    assert r.status_code == 200, r.text
    assert reg.versions(subj) == [1, 2]


@pytest.mark.parametrize("level,ok", [("BACKWARD", False), ("BACKWARD_TRANSITIVE", False),
                                      ("FORWARD", True), ("FORWARD_TRANSITIVE", True),
                                      ("FULL", False), ("FULL_TRANSITIVE", False), ("NONE", True)])
def test_added_field_without_default(reg, level, ok):
    # the new schema cannot read old data (no value for b) but old readers ignore b
    subj = reg.subject_with(f"nodef-{level}", V1, level=level)
    assert reg.compatible(subj, V2_NO_DEFAULT) is ok
    assert reg.compatible(subj, V2_NO_DEFAULT, version=1) is ok
    r = reg.register(subj, V2_NO_DEFAULT)
    if ok:
        assert r.status_code == 200, r.text
        assert reg.versions(subj) == [1, 2]
    else:
        assert r.status_code == 409, r.text
        body = r.json()
        assert body["error_code"] == 409
        assert body["message"].startswith(
            f'Schema being registered is incompatible with an earlier schema for subject "{subj}", details: ')
        assert "READER_FIELD_MISSING_DEFAULT_VALUE" in body["message"]
        assert reg.versions(subj) == [1]  # nothing registered


@pytest.mark.parametrize("level,ok", [("BACKWARD", True), ("FORWARD", False), ("FULL", False), ("NONE", True)])
def test_removed_field_without_default(reg, level, ok):
    # v1 {a, b (no default)} -> v2 {a}: new readers ignore b; old readers find no b in new data
    subj = reg.subject_with(f"rm-{level}", V2_NO_DEFAULT, level=level)
    assert reg.compatible(subj, V1) is ok
    assert (reg.register(subj, V1).status_code == 200) is ok


# ------------------------------------------------------------------ enums
@pytest.mark.parametrize("level,ok", [("BACKWARD", False), ("FORWARD", True), ("FULL", False), ("NONE", True)])
def test_enum_symbol_removed(reg, level, ok):
    # old data may hold C, which the new reader lacks
    subj = reg.subject_with(f"enum-rm-{level}", enum_record("A", "B", "C"), level=level)
    assert reg.compatible(subj, enum_record("A", "B")) is ok
    assert (reg.register(subj, enum_record("A", "B")).status_code == 200) is ok


@pytest.mark.parametrize("level,ok", [("BACKWARD", True), ("FORWARD", False), ("FULL", False), ("NONE", True)])
def test_enum_symbol_added(reg, level, ok):
    # new data may hold C, which the old reader lacks
    subj = reg.subject_with(f"enum-add-{level}", enum_record("A", "B"), level=level)
    assert reg.compatible(subj, enum_record("A", "B", "C")) is ok
    assert (reg.register(subj, enum_record("A", "B", "C")).status_code == 200) is ok


# ------------------------------------------------------------------ type changes
@pytest.mark.parametrize("level", LEVELS)
def test_int_to_string_incompatible_except_none(reg, level):
    ok = level == "NONE"
    subj = reg.subject_with(f"type-{level}", V1, level=level)
    assert reg.compatible(subj, V_STRING) is ok
    r = reg.register(subj, V_STRING)
    assert r.status_code == (200 if ok else 409), r.text


@pytest.mark.parametrize("level,ok", [("BACKWARD", True), ("FORWARD", False), ("FULL", False)])
def test_int_to_long_is_a_promotion(reg, level, ok):
    # a long reader reads ints; an int reader cannot read longs
    subj = reg.subject_with(f"promo-{level}", V1, level=level)
    assert reg.compatible(subj, record({"name": "a", "type": "long"})) is ok


# ------------------------------------------------------------------ transitivity
# v1 {a, b:string (no default)}, v2 {a} (BACKWARD ok: b is ignored), v3 {a, b:int default 0}:
# v3 reads v2 data (b takes its default) but not v1 data (b is a string there, v3 wants an int).
T_V1 = record(A_INT, B_NO_DEFAULT)
T_V2 = record(A_INT)
T_V3 = record(A_INT, {"name": "b", "type": "int", "default": 0})


@pytest.mark.parametrize("level,ok", [("BACKWARD", True), ("BACKWARD_TRANSITIVE", False)])
def test_backward_transitive_checks_all_versions(reg, level, ok):
    subj = reg.subject_with(f"trans-{level}", T_V1, T_V2, level=level)
    # against one named version transitivity does not apply
    assert reg.compatible(subj, T_V3, version="latest") is True
    assert reg.compatible(subj, T_V3, version=2) is True
    assert reg.compatible(subj, T_V3, version=1) is False
    r = reg.register(subj, T_V3)
    assert (r.status_code == 200) is ok, r.text
    if not ok:
        assert r.status_code == 409 and "oldSchemaVersion: 1" in r.json()["message"]
    assert reg.versions(subj) == ([1, 2, 3] if ok else [1, 2])


@pytest.mark.parametrize("level,ok", [("FORWARD", True), ("FORWARD_TRANSITIVE", False)])
def test_forward_transitive_checks_all_versions(reg, level, ok):
    # FORWARD is BACKWARD with reader and writer swapped: register the same chain backwards
    subj = reg.subject_with(f"ftrans-{level}", T_V3, T_V2, level=level)
    assert reg.compatible(subj, T_V1) is True  # v2 (latest) reads v1 data
    assert reg.compatible(subj, T_V1, version=1) is False  # v3-as-v1 cannot read a string b
    assert (reg.register(subj, T_V1).status_code == 200) is ok


@pytest.mark.parametrize("level,ok", [("FULL", True), ("FULL_TRANSITIVE", False)])
def test_full_transitive_checks_all_versions(reg, level, ok):
    # v1 {a, c:string=""}, v2 {a}, v3 {a, c:long=0}: v2<->v3 is FULL compatible (c is ignored
    # one way, defaulted the other), v1<->v3 is not (c: string vs long)
    v1 = record(A_INT, {"name": "c", "type": "string", "default": ""})
    v2 = record(A_INT)
    v3 = record(A_INT, C_DEFAULT)
    subj = reg.subject_with(f"fulltrans-{level}", v1, v2, level=level)
    assert reg.compatible(subj, v3) is True
    assert reg.compatible(subj, v3, version=1) is False
    assert (reg.register(subj, v3).status_code == 200) is ok


# ------------------------------------------------------------------ levels: global vs subject
def test_global_level_applies_and_subject_level_overrides(reg):
    assert reg.register("g", V1).status_code == 200
    assert reg.register("g", V2_NO_DEFAULT).status_code == 409  # default BACKWARD
    assert reg.set_level("FORWARD").status_code == 200
    assert reg.compatible("g", V2_NO_DEFAULT) is True
    assert reg.set_level("BACKWARD", "g").status_code == 200  # the subject's own level wins
    assert reg.compatible("g", V2_NO_DEFAULT) is False
    assert reg.set_level("NONE", "g").status_code == 200
    assert reg.register("g", V_STRING).status_code == 200
    assert reg.versions("g") == [1, 2]


# ------------------------------------------------------------------ registering again, ids
def test_reregistering_an_existing_version_returns_its_id(reg):
    subj = reg.subject_with("again", V1, V_STRING)  # NONE allowed int -> string
    assert reg.set_level("BACKWARD", subj).status_code == 200
    ids = [reg.s.get(f"{reg.url}/subjects/{subj}/versions/{v}").json()["id"] for v in (1, 2)]
    # V1 is incompatible with the latest (V_STRING) now, but it is already version 1
    r = reg.register(subj, V1)
    assert r.status_code == 200 and r.json() == {"id": ids[0]}
    r = reg.register(subj, json.dumps(json.loads(V_STRING), indent=2))
    assert r.status_code == 200 and r.json() == {"id": ids[1]}
    assert reg.versions(subj) == [1, 2]


def test_schema_known_under_another_subject_is_still_checked(reg):
    r1 = reg.register("other", V2_NO_DEFAULT)
    assert reg.register("mine", V1).status_code == 200
    r = reg.register("mine", V2_NO_DEFAULT)
    assert r.status_code == 409 and r.json()["error_code"] == 409
    assert reg.set_level("FORWARD", "mine").status_code == 200
    r = reg.register("mine", V2_NO_DEFAULT)
    assert r.status_code == 200 and r.json()["id"] == r1.json()["id"]


def test_first_version_is_never_checked(reg):
    assert reg.register("first", V_STRING).status_code == 200
    assert reg.s.delete(f"{reg.url}/subjects/first").json() == [1]
    # soft-deleted versions are not checked against; numbering goes on (version 1's record stays)
    assert reg.register("first", V1).status_code == 200
    assert reg.versions("first") == [2]


# ------------------------------------------------------------------ compatibility endpoint
def test_verbose_messages(reg):
    subj = reg.subject_with("verbose", V1, level="BACKWARD")
    r = reg.check(subj, V2_NO_DEFAULT, verbose=True)
    assert r.status_code == 200
    body = r.json()
    assert body["is_compatible"] is False
    assert body["messages"] and all(isinstance(m, str) and m for m in body["messages"])
    assert any("READER_FIELD_MISSING_DEFAULT_VALUE" in m and "/fields/1" in m for m in body["messages"])
    # without verbose: no messages (as Confluent)
    assert reg.check(subj, V2_NO_DEFAULT).json() == {"is_compatible": False}
    # compatible: no messages either
    assert reg.check(subj, V2_DEFAULT, verbose=True).json() == {"is_compatible": True}
    # FULL reports both directions when both fail
    assert reg.set_level("FULL", subj).status_code == 200
    msgs = reg.check(subj, V_STRING, verbose=True).json()["messages"]
    assert len(msgs) == 2 and all("TYPE_MISMATCH" in m for m in msgs)


def test_compatibility_endpoint_errors(reg):
    nf = reg.check("nosuch", V1)
    assert nf.status_code == 404 and nf.json()["error_code"] == 40401
    reg.register("errs", V1)
    nv = reg.check("errs", V1, version=7)
    assert nv.status_code == 404 and nv.json()["error_code"] == 40402
    bad = reg.check("errs", V1, version="x")
    assert bad.status_code == 422 and bad.json()["error_code"] == 42202
    inv = reg.check("errs", '{"type":"record","name":"R","fields":[{"name":"a","type":"nope"}]}')
    assert inv.status_code == 422 and inv.json()["error_code"] == 42201


# ------------------------------------------------------------------ against Apache Avro's own checker
FIELD_TYPES = [
    "int", "long", "float", "double", "string", "bytes", "boolean", "null",
    ["null", "string"], ["null", "int"], ["int", "string"], ["null", "long", "string"],
    {"type": "enum", "name": "E", "symbols": ["A", "B"]},
    {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]},
    {"type": "enum", "name": "E", "symbols": ["A"], "default": "A"},
    {"type": "array", "items": "int"}, {"type": "array", "items": "long"},
    {"type": "map", "values": "string"}, {"type": "map", "values": "bytes"},
    {"type": "fixed", "name": "F", "size": 4}, {"type": "fixed", "name": "F", "size": 8},
    {"type": "fixed", "name": "G", "size": 4},
    {"type": "record", "name": "In", "fields": [{"name": "x", "type": "int"}]},
    {"type": "record", "name": "In", "fields": [{"name": "x", "type": "int"}, {"name": "y", "type": "string"}]},
    {"type": "record", "name": "In", "fields": [{"name": "x", "type": "long"},
                                                {"name": "y", "type": "string", "default": "d"}]},
]


def test_agrees_with_apache_avro_on_every_pair_of_field_types(reg):
    """Every (reader, writer) pair of 25 field types, as the field of a record: the registry's answer
    (BACKWARD: the new schema reads the old one's data) is Apache Avro's (Python implementation,
    avro.compatibility).  625 comparisons; a registry that knew only some of the rules fails here."""
    from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType
    import avro.schema
    schemas = [json.dumps({"type": "record", "name": "R", "fields": [{"name": "a", "type": t}]})
               for t in FIELD_TYPES]
    for i, w in enumerate(schemas):
        assert reg.set_level("BACKWARD", f"w{i}").status_code == 200
        assert reg.register(f"w{i}", w).status_code == 200
    checker = ReaderWriterCompatibilityChecker()
    disagree = []
    for i, w in enumerate(schemas):
        wp = avro.schema.parse(w)
        for j, r in enumerate(schemas):
            expected = checker.get_compatibility(avro.schema.parse(r), wp).compatibility == \
                SchemaCompatibilityType.compatible
            if reg.compatible(f"w{i}", r) is not expected:
                disagree.append((FIELD_TYPES[j], FIELD_TYPES[i], expected))
    assert not disagree, f"{len(disagree)} of {len(schemas) ** 2} differ from Apache Avro (reader, writer, avro): " \
                         f"{disagree[:5]}"
