"""Stand-in suppliers for the benchmarks: one listening port per supplier.

    python tests/bench/bench_suppliers.py lean|aiohttp MEDIANS_MS_JSON PORTS_OUT

Each supplier draws its delay anew for every request (``request_delay``): lognormal
around its own median, with 1 % slow outliers of +100-250 ms. The draw is seeded by the
request's correlation id and the supplier's index, so the benchmark client computes the
very same delays on its side and knows each comparison's ideal decision time without a
side channel. Every supplier quotes the same price, so ``majority`` always agrees.

``lean`` (the default in bench_core.py) is a bare asyncio protocol with the httptools
parser, so that the suppliers' own CPU disturbs the measurement less than aiohttp's
~100 µs per request would.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import math
import random
import struct
import sys
from pathlib import Path
from typing import Any

import httptools
from aiohttp import web

#: spread of each supplier's delays around its median (lognormal sigma)
SIGMA = 0.35
OUTLIER_RATE = 0.01
OUTLIER_MS = (100.0, 250.0)


def supplier_medians(
    count: int, seed: int, low_ms: float = 5.0, high_ms: float = 80.0
) -> list[float]:
    """Each supplier's median delay in ms, log-uniform between ``low_ms`` and ``high_ms``."""
    rng = random.Random(seed)
    return [math.exp(rng.uniform(math.log(low_ms), math.log(high_ms))) for _ in range(count)]


def request_delay(median_ms: float, index: int, correlation_id: str) -> float:
    """The delay in seconds supplier ``index`` applies to the request ``correlation_id``.

    Four uniform draws from a hash of the pair (a Box-Muller normal, the outlier coin and
    its size): a seeded ``random.Random`` per request cost the suppliers' core 12 µs a
    request, 12 ms a comparison at 1000 suppliers, added to every client's overhead.
    """
    digest = hashlib.blake2b(f"{correlation_id}/{index}".encode(), digest_size=32).digest()
    u1, u2, u3, u4 = ((word >> 11) * _UNIT for word in struct.unpack("<4Q", digest))
    normal = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
    delay = median_ms * math.exp(SIGMA * normal)
    if u3 < OUTLIER_RATE:
        delay += OUTLIER_MS[0] + u4 * (OUTLIER_MS[1] - OUTLIER_MS[0])
    return delay / 1000.0


_UNIT = 2.0**-53
"""a 53-bit integer times this is a uniform float in [0, 1)"""


def quote(request: dict[str, Any]) -> dict[str, Any]:
    quantity = request["quantity"]
    return {
        "supplier_id": "bench",
        "product_id": request["product_id"],
        "unit_price": 2.5,
        "total_price": round(2.5 * quantity, 2),
        "currency": "EUR",
        "valid_until": "2030-01-01T00:00:00+00:00",
        "in_stock": True,
        "delivery_days": 2,
    }


class LeanSupplier(asyncio.Protocol):
    def __init__(self, index: int, median_ms: float) -> None:
        self.index = index
        self.median_ms = median_ms
        self.body: list[bytes] = []
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.parser = httptools.HttpRequestParser(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            assert self.transport is not None
            self.transport.close()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        request = json.loads(b"".join(self.body))
        self.body = []
        delay = request_delay(self.median_ms, self.index, request["correlation_id"])
        asyncio.get_running_loop().call_later(delay, self.reply, request)

    def reply(self, request: dict[str, Any]) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(_reply_bytes(request["product_id"], request["quantity"]))


@functools.lru_cache(maxsize=64)
def _reply_bytes(product_id: str, quantity: int) -> bytes:
    # the same few requests over and over: the suppliers' core serialises each reply once
    body = json.dumps(quote({"product_id": product_id, "quantity": quantity})).encode()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    return head % len(body) + body


async def lean(medians: list[float]) -> list[int]:
    loop = asyncio.get_running_loop()
    ports = []
    for index, median in enumerate(medians):
        server = await loop.create_server(
            lambda i=index, m=median: LeanSupplier(i, m),  # type: ignore[misc]
            "127.0.0.1",
            0,
            backlog=1024,
        )
        ports.append(server.sockets[0].getsockname()[1])
    return ports


async def aiohttp(medians: list[float]) -> list[int]:
    def handler(index: int, median: float) -> Any:
        async def handle(request: web.Request) -> web.Response:
            body = await request.json()
            await asyncio.sleep(request_delay(median, index, body["correlation_id"]))
            return web.json_response(quote(body))

        return handle

    ports = []
    for index, median in enumerate(medians):
        app = web.Application()
        app.router.add_post("/quote", handler(index, median))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        assert site._server is not None
        ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    return ports


async def main(kind: str, medians: list[float], out: Path) -> None:
    ports = await (lean(medians) if kind == "lean" else aiohttp(medians))
    out.write_text(json.dumps(ports))  # noqa: ASYNC240 - once, before serving
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])))
