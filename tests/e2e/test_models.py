# SPDX-License-Identifier: Apache-2.0
"""Object models from OMA DDF files (--models-dir): a custom object's TLV integer is typed by the
loaded model; without the DDF the gateway cannot know the type and reports OPAQUE."""
from __future__ import annotations

from pathlib import Path

import pytest

from kafka_helpers import branch
from lwm2m_device import INTEGER, STRING, default_objects

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

DDF_10241 = """<?xml version="1.0" encoding="utf-8"?>
<LWM2M xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       xsi:noNamespaceSchemaLocation="http://openmobilealliance.org/tech/profiles/LWM2M.xsd">
  <Object ObjectType="MODefinition">
    <Name>Zeelos Counter</Name>
    <ObjectID>10241</ObjectID>
    <MultipleInstances>Multiple</MultipleInstances>
    <Resources>
      <Item ID="0"><Name>Label</Name><Operations>R</Operations>
        <MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory><Type>String</Type></Item>
      <Item ID="1"><Name>Count</Name><Operations>R</Operations>
        <MultipleInstances>Single</MultipleInstances><Mandatory>Mandatory</Mandatory><Type>Integer</Type></Item>
    </Resources>
  </Object>
</LWM2M>
"""


def device_with_counter(env):
    objects = default_objects()
    objects[(10241, 0)] = {0: [STRING, "pump"], 1: [INTEGER, 123456]}
    return env.registered_device(objects=objects)


def read_count(env, dev):
    rec = env.mgmt.request(dev.ep, "read", "/10241/0/1", "TLV")
    assert rec.value["rep"]["code"] == "CONTENT", rec
    name, body = branch(rec.value["rep"]["body"])
    assert name == "AvroReadResponseBody"
    kind, res = branch(body["content"])
    assert kind == "AvroResource"
    return res


def test_loaded_model_types_custom_object(gateway_factory, tmp_path: Path):
    models = tmp_path / "models"
    models.mkdir()
    (models / "10241.xml").write_text(DDF_10241)
    env = gateway_factory(extra_args=["--models-dir", str(models)])
    dev = device_with_counter(env)
    res = read_count(env, dev)
    assert res == {"id": 1, "path": "/10241/0/1", "kind": "SINGLE_RESOURCE", "type": "INTEGER", "value": 123456}
    assert "loaded 1 object models" in env.gw.log_tail(100000)


def test_without_model_custom_object_is_opaque(gateway_factory):
    env = gateway_factory()
    dev = device_with_counter(env)
    res = read_count(env, dev)
    assert (res["id"], res["type"]) == (1, "OPAQUE")


def test_bad_ddf_stops_startup(gateway_factory, tmp_path: Path):
    models = tmp_path / "bad-models"
    models.mkdir()
    (models / "broken.xml").write_text(DDF_10241.replace("<Type>Integer</Type>", "<Type>Integr</Type>"))
    with pytest.raises(AssertionError) as ei:
        gateway_factory(extra_args=["--models-dir", str(models)])
    msg = str(ei.value)
    assert "exited" in msg and "broken.xml:" in msg and 'Type "Integr"' in msg, msg
