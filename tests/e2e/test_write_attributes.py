# SPDX-License-Identifier: Apache-2.0
"""Write-Attributes end to end: an AvroWriteAttributesRequest's observeSpec reaches the device as
one Uri-Query option per attribute on a PUT without payload (LwM2M 1.1 §5.4.4: pmin, pmax, gt,
lt, st, epmin, epmax), a bare name removes the attribute, and anything else is answered
BAD_REQUEST by the gateway without bothering the device."""
from __future__ import annotations

import pytest

from kafka_helpers import branch

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

WA = "io.zeelos.leshan.avro.request.AvroWriteAttributesRequest"


def write_attributes(gwenv, dev, path, spec):
    return gwenv.mgmt.request(dev.ep, "writeAttributes", path, body=(WA, {"observeSpec": spec})).value


def test_write_attributes_reach_the_device(gwenv):
    dev = gwenv.registered_device()
    spec = "pmin=1&pmax=10&gt=30.5&lt=-5&st=0.25&epmin=2&epmax=20"
    rep = write_attributes(gwenv, dev, "/3303/0/5700", spec)
    assert rep["rep"]["code"] == "CHANGED" and rep["rep"]["kind"] == "writeAttributes", rep
    assert dev.queries[-1] == ((3303, 0, 5700), tuple(spec.split("&")))
    assert dev.attributes[(3303, 0, 5700)] == {"pmin": "1", "pmax": "10", "gt": "30.5", "lt": "-5",
                                               "st": "0.25", "epmin": "2", "epmax": "20"}
    put = [e for e in dev.log if e[0] == "PUT"][-1]
    assert put[1] == (3303, 0, 5700) and not put[3], put  # no payload
    # on an instance, and a bare name that removes an attribute
    rep = write_attributes(gwenv, dev, "/3303/0", "pmax")
    assert rep["rep"]["code"] == "CHANGED"
    assert dev.queries[-1] == ((3303, 0), ("pmax",)) and dev.attributes[(3303, 0)] == {"pmax": None}


@pytest.mark.parametrize("spec,why", [
    ("pmin=1&foo=2", "invalid attribute 'foo=2'"),
    ("pmin=abc", "invalid attribute 'pmin=abc'"),
    ("", "writeAttributes needs observeSpec"),
])
def test_invalid_attributes_are_refused_before_the_device(gwenv, spec, why):
    dev = gwenv.registered_device()
    rep = write_attributes(gwenv, dev, "/3303/0/5700", spec)
    assert rep["rep"]["code"] == "BAD_REQUEST", rep
    assert why in branch(rep["rep"]["body"])[1]["message"]
    assert not [e for e in dev.log if e[0] == "PUT"], dev.log
