# SPDX-License-Identifier: Apache-2.0
"""Faults, each bounded in time (issue 10): the broker killed, frozen and down for two
minutes, the gateway killed mid-stream, and a gateway that stays idle through all of it
for six minutes.  For each: what the devices sent (NON) or saw acknowledged (CON) against
what is in Kafka, read with confluent-kafka + fastavro: 0 lost, 0 duplicated, nothing
foreign.  The table of every case prints at the end of the run (conftest.py).

Order matters and is the file's: the first test starts the idle gateway, the last one
checks it, the broker faults run in between (the idle gateway lives through them too)."""
from __future__ import annotations

import subprocess
import time

import pytest
import requests

from faultlib import Broker, Fleet
from gateway_proc import wait_until

pytestmark = [pytest.mark.gateway, pytest.mark.kafka, pytest.mark.slow]

IDLE_S = 6 * 60


@pytest.fixture(scope="module")
def idle(request, kafka_bootstrap, registry_url, sr, codec, runner, tmp_path_factory):
    """A gateway with one device, used once at the start and once at the end."""
    import e2e_conftest as e2e  # the e2e fixtures' module, loaded by tests/faults/conftest.py
    from gateway_proc import Gateway, unique
    from kafka_helpers import create_topics, gateway_topics
    gid = unique("idle")
    create_topics(kafka_bootstrap, list(gateway_topics(gid).values()))
    tmp = tmp_path_factory.mktemp("idle")
    gw = Gateway(gid, kafka_bootstrap, registry_url, tmp / "data", tmp / "logs", ["--log-level", "info"])
    gw.start()
    env = e2e.GatewayEnv(gw, kafka_bootstrap, sr, codec, runner)
    env.mgmt.wait_ready()
    dev = env.registered_device(register={"lt": 3600})
    yield env, dev
    env.close()
    gw.stop()


def test_a_idle_gateway_first_read(idle):
    env, dev = idle
    assert env.mgmt.request(dev.ep, "read", "/3/0/0", timeout=30).value["rep"]["code"] == "CONTENT"
    env.t_first = time.monotonic()


def test_broker_sigkill_and_restart(gateway_factory):
    env = gateway_factory()
    broker, fleet = Broker(), Fleet(env, 20)
    try:
        fleet.run(5, 200)
        broker.kill()
        fleet.run(5, 200)
        broker.up()  # blocks until the broker answers again (~10-20 s, devices idle meanwhile)
        fleet.run(5, 200)
        row = fleet.account("broker SIGKILL + restart, 200 NON/s")
        maybe = env.gw.metrics().get("zeelos_spool_possibly_written_total", 0)
    finally:
        fleet.close()
    # A produce request in flight when the broker dies may have been written before it
    # died; once the gateway moves the waiting records to its spool (spool.after.ms), such a
    # record is replayed with a new sequence number and Kafka keeps both copies. Nothing may
    # be lost, and every duplicate must be one the gateway counted as possibly written.
    assert (row["lost"], row["foreign"]) == (0, 0), (row, row["missing"])
    assert row["dup"] <= maybe, (row, maybe)


def test_broker_frozen_30s_con(gateway_factory):
    env = gateway_factory()
    broker, fleet = Broker(), Fleet(env, 20, con=True)
    try:
        fleet.run(5, 100)
        broker.freeze()
        try:
            fleet.run(30, 100)  # time passing is the point: the broker is frozen this long
        finally:
            broker.thaw()
        fleet.run(5, 100)
        fleet.finish()
        row = fleet.account("broker SIGSTOP 30 s, 100 CON/s")
    finally:
        fleet.close()
    assert row["acked"] > 0
    assert (row["lost"], row["dup"], row["foreign"]) == (0, 0, 0), (row, row["missing"])


def test_broker_down_two_minutes(gateway_factory):
    env = gateway_factory()
    broker, fleet = Broker(), Fleet(env, 20)
    try:
        fleet.run(5, 100)
        broker.down()
        try:
            fleet.run(120, 100)  # two minutes without a broker (under message.timeout.ms)
        finally:
            broker.up()
        fleet.run(5, 100)
        row = fleet.account("broker down 120 s, 100 NON/s", wait=180)
    finally:
        fleet.close()
    assert (row["lost"], row["dup"], row["foreign"]) == (0, 0, 0), (row, row["missing"])
    # the management path came back too
    assert env.mgmt.request(fleet.devs[0].ep, "read", "/3303/0/5700", "TEXT_CODE", timeout=60) is not None


def test_gateway_sigkill_midstream(gateway_factory):
    """NON notifications sent to a dead gateway are gone (nobody acknowledged them); what is
    checked: registrations and observations survive (no device registers again), nothing is
    duplicated, and everything sent once the gateway answers again is in Kafka."""
    env = gateway_factory()
    fleet = Fleet(env, 20)
    try:
        fleet.run(5, 200)
        env.gw.kill()
        fleet.run(2, 200)
        env.gw.start()
        env.mgmt.wait_ready()
        since = max(d.seq for d in fleet.devs)  # every value from here on was sent to a live gateway
        fleet.run(5, 200)
        row = fleet.account("gateway SIGKILL + restart, 200 NON/s (after restart)", since=since)
    finally:
        fleet.close()
    assert (row["lost"], row["dup"], row["foreign"]) == (0, 0, 0), (row, row["missing"])
    # all 20 registrations are in Kafka; the gateway restored them from its store, so once the
    # post-restart traffic is accounted for (read back above) no second NEW may follow
    news = lambda: [r for r in env.regs.records
                    if r.key and r.key.get("ep", "").startswith("flt-") and r.value["kind"] == "NEW"]
    env.regs.wait_for(lambda r: len(news()) >= 20, timeout=30, what="20 NEW registrations")
    env.regs.poll(2.0)
    assert len(news()) == 20, "a device had to register again"


# A producer queue of 400 records: with the broker away it passes its watermark within seconds
# (or spool.after.ms passes without a delivery report), so the spool takes over.
SPOOLED = ["-X", "kafka.queue.buffering.max.messages=400"]


def test_spool_broker_down_queue_full(gateway_factory):
    """The broker down for 60 s at 100 NON/s, far beyond what the producer queue holds: the
    records go to the spool and come back in order, with the time they were received, once the
    broker is back; the spool ends empty, every spooled record replayed."""
    env = gateway_factory(SPOOLED)
    broker, fleet = Broker(), Fleet(env, 20)
    try:
        fleet.run(3, 100)
        broker.down()
        first_down = max(d.seq for d in fleet.devs)
        try:
            fleet.run(60, 100)
        finally:
            last_down = max(d.seq for d in fleet.devs)
            broker.up()
        t_up = time.time() * 1000
        fleet.run(5, 100)
        row = fleet.account("broker down 60 s, producer queue 400 records: spool, 100 NON/s", wait=180)
        wait_until(lambda: env.gw.metrics().get("zeelos_spool_records") == 0, 60, what="the spool to drain")
        m = env.gw.metrics()
    finally:
        fleet.close()
    assert (row["lost"], row["dup"], row["foreign"]) == (0, 0, 0), (row, row["missing"])
    assert m["zeelos_spool_appended_total"] > 4000, m  # ~6000 sent while the broker was away
    assert m["zeelos_spool_replayed_total"] == m["zeelos_spool_appended_total"], m
    assert m.get("zeelos_spool_refused_total", 0) == 0 and m.get("zeelos_spool_dropped_total", 0) == 0, m
    assert fleet.out_of_order() == 0, fleet.order_report()
    late = [(v, ts) for seq in fleet.sequences().values() for v, ts in seq
            if first_down < v < last_down and ts >= t_up]
    assert not late, f"replayed records stamped with the replay time, not their own: {late[:5]}"


def test_spool_gateway_killed_while_spooling(gateway_factory):
    """The broker down, the spool holding what the devices sent (CON, acknowledged once on
    disk); the gateway SIGKILLed and restarted while the broker is still away; then the broker
    back.  Every notification the gateway acknowledged, before and after the kill, is in Kafka
    once, in order: the second process replays what the first one spooled."""
    env = gateway_factory(SPOOLED)
    broker, fleet = Broker(), Fleet(env, 20, con=True)
    try:
        fleet.run(3, 100)
        broker.down()
        try:
            fleet.run(20, 100)
            spooled = env.gw.metrics()["zeelos_spool_appended_total"]
            env.gw.kill()
            fleet.run(2, 100)  # to a dead gateway: unacknowledged, retransmitted
            env.gw.start(timeout=90)  # topic creation and metadata time out without a broker
            fleet.run(10, 100)
        finally:
            broker.up()
        env.mgmt.wait_ready()
        fleet.run(5, 100)
        fleet.finish()
        row = fleet.account("broker down, spool, gateway SIGKILL + restart, 100 CON/s", wait=180)
        wait_until(lambda: env.gw.metrics().get("zeelos_spool_records") == 0, 60, what="the spool to drain")
        m = env.gw.metrics()
    finally:
        fleet.close()
    assert spooled > 1000, spooled
    assert (row["lost"], row["dup"], row["foreign"]) == (0, 0, 0), (row, row["missing"])
    assert m["zeelos_spool_replayed_total"] >= spooled, (m, spooled)  # the first process's records too
    assert fleet.out_of_order() == 0, fleet.order_report()


def test_spool_overflow_drop_oldest(gateway_factory):
    """A spool capped at 1 MiB with spool.overflow=drop-oldest, the broker down while the devices
    send more than that: the oldest segments go, and exactly the records they held are missing
    from Kafka (counted in zeelos_spool_dropped_total); everything else arrives once."""
    env = gateway_factory(SPOOLED + ["--spool-max-bytes", "1048576", "--spool-segment-bytes", "65536",
                                     "--spool-overflow", "drop-oldest"])
    broker, fleet = Broker(), Fleet(env, 20)
    try:
        fleet.run(3, 100)
        broker.down()
        try:
            fleet.run(45, 200)
            m = env.gw.metrics()
        finally:
            broker.up()
        fleet.run(3, 100)
        # the spool stays at its cap while it drains, so dropping goes on for a while
        wait_until(lambda: env.gw.metrics().get("zeelos_spool_records") == 0, 180, interval=1,
                   what="the spool to drain")
        row = fleet.account("spool capped at 1 MiB, drop-oldest, broker down 45 s, 200 NON/s", wait=30)
        m2 = env.gw.metrics()
    finally:
        fleet.close()
    dropped = m2["zeelos_spool_dropped_total"]
    assert m["zeelos_spool_dropped_total"] > 0 and m["zeelos_spool_bytes"] <= 1048576, m
    # exactly the dropped records are missing, but for those a dropped segment held while they
    # were being replayed (at most the 320 records under the producer queue's watermark): they
    # count as dropped and may still have reached Kafka
    assert 0 < row["lost"] <= dropped <= row["lost"] + 320, (row, dropped)
    assert (row["dup"], row["foreign"]) == (0, 0), row
    assert fleet.out_of_order() == 0, fleet.order_report()


def test_spool_disk_full(gateway_factory, tmp_path):
    """The spool on a 256 KiB tmpfs and the broker down: the disk fills up, the spool's writes
    fail (counted, logged), device data is turned away (CON notifications left unacknowledged,
    /readyz says the spool is full) while the gateway goes on serving; once the broker is back
    the spool drains, retransmissions get in, and every acknowledged notification is in Kafka once."""
    mnt = tmp_path / "tmpfs"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], check=True)
    try:
        # CON notifications are acknowledged once Kafka or the spool has them: with the broker down,
        # the spool takes over after spool.after.ms; 1 s instead of 10 keeps the fill-up short
        env = gateway_factory(SPOOLED + ["-X", "spool.after.ms=1000", "--spool-dir", str(mnt / "spool")])
        broker, fleet = Broker(), Fleet(env, 20, con=True)
        try:
            fleet.run(3, 100)
            broker.down()
            try:
                fleet.run(20, 100)
                ready = wait_until(lambda: (lambda r: r if r["spool"] == "full" else None)(
                    requests.get(f"{env.gw.http}/readyz", timeout=5).json()), 10, interval=0.02,
                    what="/readyz to say the spool is full")
                m = env.gw.metrics()
                acked_full = sum(len(d.acked) for d in fleet.devs)
                fleet.run(3, 100)  # still full: turned away
            finally:
                broker.up()
            fleet.run(5, 100)
            fleet.finish()
            row = fleet.account("spool on a full disk (256 KiB tmpfs), broker down, 100 CON/s", wait=180)
            assert env.gw.proc.poll() is None, "the gateway died"
        finally:
            fleet.close()
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)
    assert m["zeelos_spool_errors_total"] > 0 and m["zeelos_spool_refused_total"] > 0, m
    assert ready["spool"] == "full", ready
    assert m["zeelos_coap_notifications_shed_total"] > 0, m
    assert acked_full < row["sent"]
    assert (row["lost"], row["dup"], row["foreign"]) == (0, 0, 0), (row, row["missing"])
    assert fleet.out_of_order() == 0, fleet.order_report()


def test_z_idle_gateway_answers_after_six_minutes(idle):
    env, dev = idle
    left = IDLE_S - (time.monotonic() - env.t_first)
    if left > 0:
        time.sleep(left)  # time passing is the point: six minutes since the first read
    rep = env.mgmt.request(dev.ep, "read", "/3/0/0", timeout=60)
    assert rep.value["rep"]["code"] == "CONTENT"
    assert env.gw.metrics().get("zeelos_mgmt_consumer_up") == 1
