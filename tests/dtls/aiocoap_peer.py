# SPDX-License-Identifier: Apache-2.0
"""An LwM2M client on aiocoap with its tinydtls transport (DTLSSocket): a DTLS stack that is
neither OpenSSL, GnuTLS nor Scandium. It registers over coaps with a PSK, serves /3/0/0 and an
observable /3303/0/5700 whose value moves every 200 ms, and de-registers on SIGTERM.

    python aiocoap_peer.py PORT EP IDENTITY KEY_TEXT

stdout: "REGISTERED <location>" or "FAILED <why>", then "DEREGISTERED <code>"."""
from __future__ import annotations

import asyncio
import signal
import sys

import aiocoap
import aiocoap.resource as resource
from aiocoap import DELETE, POST, Message


class Manufacturer(resource.Resource):
    async def render_get(self, request):
        return Message(payload=b"aiocoap over tinydtls", content_format=0)


class Temperature(resource.ObservableResource):
    def __init__(self):
        super().__init__()
        self.value = 20.0

    async def tick(self):
        while True:
            await asyncio.sleep(0.2)
            self.value += 0.5
            self.updated_state()

    async def render_get(self, request):
        return Message(payload=f"{self.value:.1f}".encode(), content_format=0)


async def main(port: int, ep: str, identity: str, key: str) -> int:
    site = resource.Site()
    site.add_resource(["3", "0", "0"], Manufacturer())
    temp = Temperature()
    site.add_resource(["3303", "0", "5700"], temp)
    ctx = await aiocoap.Context.create_server_context(site, bind=("127.0.0.1", 0), transports=["tinydtls", "udp6"])
    base = f"coaps://127.0.0.1:{port}"
    ctx.client_credentials.load_from_dict(
        {base + "/*": {"dtls": {"psk": {"ascii": key}, "client-identity": {"ascii": identity}}}})
    reg = Message(code=POST, uri=f"{base}/rd?ep={ep}&lt=60&lwm2m=1.1&b=U",
                  payload=b"</3/0>,</3303/0>", content_format=40)
    try:
        r = await asyncio.wait_for(ctx.request(reg).response, 15)
    except Exception as e:  # noqa: BLE001 - the peer reports any failure to the test
        print("FAILED", type(e).__name__, e, flush=True)
        await ctx.shutdown()
        return 3
    if str(r.code) != "2.01 Created":
        print("FAILED", r.code, r.payload.decode(errors="replace"), flush=True)
        await ctx.shutdown()
        return 3
    loc = "/".join(r.opt.location_path)
    print("REGISTERED", loc, flush=True)
    ticker = asyncio.ensure_future(temp.tick())
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    ticker.cancel()
    d = await asyncio.wait_for(ctx.request(Message(code=DELETE, uri=f"{base}/{loc}")).response, 15)
    print("DEREGISTERED", d.code, flush=True)
    await ctx.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4])))
