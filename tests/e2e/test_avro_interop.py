# SPDX-License-Identifier: Apache-2.0
"""Avro interop: records written by our C encoder decode with fastavro using the schema texts
the gateway registers (schemas/registered/ for keys and registrations, schemas/extended/ for
the zeelos 1.1 responses and requests), every value is what the contract's field mapping says,
and a consumer built on the original contract schemas (§2.4) still decodes every record
(fastavro schema resolution, writer = extended, reader = original).

Builds nothing: it runs the already-built unit test binary `test_serde` with
ZL_SERDE_DUMP_DIR set (the test then writes its sample records there).  The binary is
looked up in $ZEELOS_BUILD_DIR, else beside the gateway binary ($ZEELOS_BIN), else in build/
under the repo root; the test fails when it is in none of them.
"""
import io
import json
import os
import subprocess
from pathlib import Path

import pytest

import fastavro

from gateway_proc import zeelos_bin

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas" / "registered"
EXTENDED = ROOT / "schemas" / "extended"

PREFIX_SCHEMA = {
    "key": "io.zeelos.leshan.avro.AvroKey",
    "reg": "io.zeelos.leshan.avro.registration.AvroRegistrationResponse",
    "rep": "io.zeelos.leshan.avro.response.AvroResponse",
    "obs": "io.zeelos.leshan.avro.response.AvroResponseObserve",
    "req": "io.zeelos.leshan.avro.request.AvroRequest",
}


def schema(name, original=False):
    f = EXTENDED / f"{name}.avsc"
    if original or not f.exists():
        f = SCHEMAS / f"{name}.avsc"
    return fastavro.parse_schema(json.loads(f.read_text()))


def strip_v11(value):
    """The record without the zeelos 1.1 fields (what an original-schema reader sees)."""
    value = dict(value)
    if "rep" in value:
        value["rep"] = {k: v for k, v in value["rep"].items() if k != "resources"}
    if isinstance(value.get("body"), tuple) and "Registration" in value["body"][0]:
        name, body = value["body"]
        value["body"] = (name, {k: v for k, v in body.items() if k != "binding"})
    if "payload" in value:
        value["payload"] = {k: v for k, v in value["payload"].items()
                            if k not in ("paths", "resources", "depth", "contentFormatCode")}
    return value


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    dirs = ([Path(os.environ["ZEELOS_BUILD_DIR"])] if os.environ.get("ZEELOS_BUILD_DIR")
            else [zeelos_bin().parent, ROOT / "build"])
    exe = next((d / "test_serde" for d in dirs if (d / "test_serde").is_file()), None)
    if exe is None:
        pytest.fail(f"the unit test binary test_serde is in none of {[str(d) for d in dirs]} "
                    "(build the tree, or set ZEELOS_BUILD_DIR)", pytrace=False)
    out = tmp_path_factory.mktemp("serde")
    subprocess.run([str(exe)], env={**os.environ, "ZL_SERDE_DUMP_DIR": str(out)}, check=True,
                   capture_output=True)
    recs = {}
    for f in sorted(out.glob("*.bin")):
        data = f.read_bytes()
        assert data[0] == 0, f"{f.name}: magic"
        sid = int.from_bytes(data[1:5], "big")
        body = io.BytesIO(data[5:])
        name = PREFIX_SCHEMA[f.stem.split("_")[0]]
        rec = fastavro.schemaless_reader(body, schema(name), return_record_name=True)
        assert body.tell() == len(data) - 5, f"{f.name}: trailing bytes"
        # an old consumer: writer = what we register, reader = the original contract schema
        old = fastavro.schemaless_reader(io.BytesIO(data[5:]), schema(name), schema(name, original=True),
                                         return_record_name=True)
        assert old == strip_v11(rec), f"{f.name}: an original-schema reader sees something else"
        recs[f.stem] = (sid, rec)
    assert len(recs) >= 9
    return recs


def test_key(records):
    assert records["key_dev1"] == (7, {"ep": "dev1"})


def test_registration_new(records):
    sid, rec = records["reg_new"]
    assert sid == 9 and rec["kind"] == "NEW"
    name, body = rec["body"]
    assert name == "io.zeelos.leshan.avro.registration.AvroRegistrationNew"
    assert body["links"] == [{"url": "/3303/0", "at": {"obs": ""}}]
    assert body["attributes"] == {} and body["sms"] is None and body["bnd"] == "U"
    assert (body["regAddr"], body["regPort"], body["lt"], body["lastUp"]) == ("0.0.0.0", 5683, 30, 3)


def test_registration_update_and_delete(records):
    _, up = records["reg_update"]
    name, body = up["body"]
    assert name.endswith("AvroRegistrationUpdate")
    assert body["lt"] == 30 and body["sms"] == "123"
    assert body["bnd"] == ("io.zeelos.leshan.avro.registration.AvroBnd", "UQ")
    assert body["links"] == [{"url": "/3/0", "at": {"ver": "1.1", "obs": ""}}]
    assert body["attributes"] == {"x": "y"}
    _, de = records["reg_delete"]
    assert de["body"][1] == {"ep": "d", "serverId": "s", "expired": True, "lastUp": 1}


def test_read_instance_values(records):
    sid, rec = records["obs_read_instance"]
    assert sid == 4 and rec["observationId"] == "[0a1b]" and rec["rep"]["kind"] == "observe"
    name, body = rec["rep"]["body"]
    assert name.endswith("AvroReadResponseBody")
    cname, inst = body["content"]
    assert cname == "io.zeelos.leshan.avro.resource.AvroInstanceResource"
    res = {r["id"]: r for r in inst["resources"]}
    assert res[0]["value"] == "Open Mobile Alliance" and res[0]["type"] == "STRING"
    assert res[1]["value"] == "AQL/" and res[1]["type"] == "OPAQUE"
    assert res[13]["value"] == 1700000000000 and res[13]["type"] == "TIME"
    assert res[9]["value"] == -42 and res[9]["type"] == "INTEGER"
    assert res[5]["value"] == "3303:1" and res[5]["type"] == "OBJLNK"
    assert res[1]["path"] == "/3/0/1" and res[1]["kind"] == "SINGLE_RESOURCE"
    (multi,) = inst["multipleResources"]
    assert multi["path"] == "/3/0/6" and multi["kind"] == "MULTIPLE_RESOURCE"
    assert multi["resources"]["1"] == {"id": 1, "path": "/3/0/6/1", "kind": "SINGLE_RESOURCE",
                                       "type": "INTEGER", "value": 5}


def test_read_object(records):
    _, rec = records["rep_read_object"]
    cname, obj = rec["rep"]["body"][1]["content"]
    assert cname.endswith("AvroObjectResource") and obj["id"] == 3 and obj["kind"] == "OBJECT"
    inst = obj["instances"][0]
    assert inst["multipleResources"] is None
    vals = {r["path"]: (r["type"], r["value"]) for r in inst["resources"]}
    assert vals == {"/3/0/2": ("FLOAT", 21.5), "/3/0/3": ("BOOLEAN", True), "/3/0/4": ("OPAQUE", "AA==")}


def test_discover_and_request(records):
    _, rec = records["rep_discover"]
    assert rec["rep"]["body"] == ("io.zeelos.leshan.avro.response.AvroDiscoverResponse",
                                  {"objectLinks": "[</3/0>, </3/0/1>]"})
    sid, req = records["req_write_instance"]
    assert sid == 5 and req["payload"]["kind"] == "write"
    name, wr = req["payload"]["body"]
    assert name.endswith("AvroWriteRequest") and wr["mode"] == "UPDATE"
    assert wr["node"][0].endswith("AvroInstanceResource")


def test_composite_records(records):
    """zeelos 1.1 composite records: values flat in rep.resources, each with its absolute path;
    an original-schema consumer sees body null and no resources (checked in the fixture)."""
    _, rec = records["rep_read_composite"]
    assert rec["path"] == "/3303/0/5700,/3/0/7" and rec["rep"]["body"] is None
    assert rec["rep"]["resources"] == [
        {"id": 5700, "path": "/3303/0/5700", "kind": "SINGLE_RESOURCE", "type": "FLOAT", "value": 21.5},
        {"id": 1, "path": "/3/0/7/1", "kind": "SINGLE_RESOURCE", "type": "INTEGER", "value": 3800}]
    _, obs = records["obs_composite"]
    assert obs["observationId"] == "[01]" and obs["rep"]["kind"] == "observe"
    assert [r["path"] for r in obs["rep"]["resources"]] == ["/3303/0/5700", "/3/0/7/1"]
    _, req = records["req_write_composite"]
    p = req["payload"]
    assert p["paths"] == ["/3/0/0", "/3303"] and p["depth"] == 2 and p["contentFormatCode"] == 112
    assert {r["path"]: r["value"] for r in p["resources"]} == {"/3303/0/5700": 21.5, "/3/0/7/1": 3800}
