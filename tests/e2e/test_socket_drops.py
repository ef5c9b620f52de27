# SPDX-License-Identifier: Apache-2.0
"""Datagrams the kernel drops before the gateway reads them (its receive buffer full while the
process cannot run) are counted in zeelos_coap_socket_drops_total and logged, and the gateway
serves on afterwards. The gateway runs with the smallest coap.socket.buffer and is stopped
(SIGSTOP) while a burst arrives, as a loop thread kept off the CPU would be. The kernel reports the
count with the next datagram it queues (SO_RXQ_OVFL), so a device's next message brings it; the
oracle is the kernel's own drops column of /proc/net/udp."""
from __future__ import annotations

import os
import signal

import coap_raw as C

from gateway_proc import unique, wait_until


def kernel_drops(port: int) -> int:
    """The drops column of the gateway's socket in /proc/net/udp (local port in hex)."""
    with open("/proc/net/udp") as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if int(cols[1].split(":")[1], 16) == port:
                return int(cols[-1])
    raise AssertionError(f"no UDP socket on port {port} in /proc/net/udp")


def test_kernel_drops_counted_logged_and_serving_goes_on(gateway_factory):
    env = gateway_factory(extra_args=["-X", "coap.socket.buffer=65536"])
    gw = env.gw
    c = C.RawCoap(gw.coap_port)
    before = gw.metrics().get("zeelos_coap_socket_drops_total", 0.0)
    burst = 3000
    os.kill(gw.proc.pid, signal.SIGSTOP)
    try:
        for _ in range(burst):  # NON GETs of an unknown resource: 4.04 each, if read
            c.send_raw(C.encode(C.NON, 1, c.next_mid(), os.urandom(4), C.rd_options("/nothing-here"),
                                b"x" * 64))
        lost = kernel_drops(gw.coap_port)
    finally:
        os.kill(gw.proc.pid, signal.SIGCONT)
    assert lost >= burst // 2, f"the kernel dropped only {lost} of {burst}: the burst did not overflow"
    wait_until(lambda: gw.metrics().get("zeelos_coap_datagrams_received_total", 0.0) >= burst - lost, 10,
               what="the queued part of the burst read")
    ep = unique("after-drops-")
    r = c.register(ep)  # the next datagram carries the kernel's count
    assert C.code_str(r.code) == "2.01", r
    env.registration(ep, "NEW")
    assert gw.metrics().get("zeelos_coap_socket_drops_total", 0.0) - before == kernel_drops(gw.coap_port) == lost
    assert "the kernel dropped" in gw.log_tail(2000)
    c.close()
