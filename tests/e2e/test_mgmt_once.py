# SPDX-License-Identifier: Apache-2.0
"""A management ticket is executed at most once across gateway crashes (issue 10).

Kafka delivers a request again when the gateway died before committing its offset; the
device used to execute it again.  Now an answered ticket gets its stored answer replayed,
and a ticket cut off by the crash is answered UNKNOWN instead of reaching the device again.
The gateway commits offsets only every 10 minutes here, so the re-delivery is certain."""
from __future__ import annotations

import asyncio

from aiocoap import Message, numbers, resource

from gateway_proc import wait_until
from kafka_helpers import execute_body

NO_COMMIT = ["-X", "kafka.auto.commit.interval.ms=600000"]


def answers(env, ticket: str) -> list:
    env.mgmt.rep.read_to_end(15)
    return [r.value for r in env.mgmt.rep.records if isinstance(r.value, dict) and r.value["ticket"] == ticket]


def test_answered_execute_is_replayed_not_executed_again(gateway_factory):
    env = gateway_factory(NO_COMMIT)
    dev = env.registered_device()
    ticket = env.mgmt.send(dev.ep, "execute", "/3/0/4", body=execute_body(""))
    first = env.mgmt.wait_response(ticket, 20).value
    assert first["rep"]["code"] == "CHANGED"
    assert len(dev.executions) == 1
    env.gw.restart()  # SIGKILL: the request's offset was never committed
    env.gw.wait_metric("zeelos_mgmt_answers_replayed_total", lambda v: v >= 1, timeout=30)
    got = wait_until(lambda: len(answers(env, ticket)) >= 2 and answers(env, ticket), 20,
                     what="the replayed answer")
    assert len(got) == 2 and got[0] == got[1], got  # the stored answer, byte for byte the same record
    env.settle(dev.ep)
    assert len(dev.executions) == 1, dev.executions


class SlowExecute(resource.Resource):
    """An executable resource that records the execution and answers only after a minute."""

    def __init__(self, dev):
        super().__init__()
        self.dev = dev

    async def render_post(self, request):
        self.dev.executions.append(("slow", bytes(request.payload)))
        await asyncio.sleep(60)
        return Message(code=numbers.CHANGED)


def test_execute_in_flight_at_a_crash_is_answered_once_not_executed_again(gateway_factory):
    env = gateway_factory(NO_COMMIT + ["--coap-request-timeout-ms", "120000"])
    dev = env.registered_device()
    dev.replace_node((3, 0, 4), SlowExecute(dev))
    ticket = env.mgmt.send(dev.ep, "execute", "/3/0/4", body=execute_body("go"))
    wait_until(lambda: len(dev.executions) == 1, 20, what="the device to start executing")
    env.gw.restart()  # killed while the device executes: the answer never came
    rep = env.mgmt.wait_response(ticket, 30).value
    assert rep["rep"]["code"] == "UNKNOWN", rep
    assert "not executed again" in rep["rep"]["body"][1]["message"]
    env.gw.wait_metric("zeelos_mgmt_interrupted_total", lambda v: v == 1)
    env.settle(dev.ep, path="/3/0/0")
    assert len(dev.executions) == 1, dev.executions
    assert len(answers(env, ticket)) == 1
