"""Stand-in suppliers for the benchmarks: one listening port per supplier, fixed delays.

    python tests/bench/bench_suppliers.py lean|aiohttp DELAYS_JSON PORTS_OUT

``lean`` (the default in bench_core.py) is a bare asyncio protocol with the httptools
parser, so that the suppliers' own CPU (they share this 2-core machine with the client
being measured) disturbs the measurement less than aiohttp's ~100 µs per request would.
Every supplier quotes the same price, so ``majority`` always agrees.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httptools
from aiohttp import web


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
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.body: list[bytes] = []
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.parser = httptools.HttpRequestParser(self)

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
        asyncio.get_running_loop().call_later(self.delay, self.reply, request)

    def reply(self, request: dict[str, Any]) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        body = json.dumps(quote(request)).encode()
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        self.transport.write(head % len(body) + body)


async def lean(delays: list[float]) -> list[int]:
    loop = asyncio.get_running_loop()
    ports = []
    for delay in delays:
        server = await loop.create_server(
            lambda d=delay: LeanSupplier(d),
            "127.0.0.1",
            0,
            backlog=1024,  # type: ignore[misc]
        )
        ports.append(server.sockets[0].getsockname()[1])
    return ports


async def aiohttp(delays: list[float]) -> list[int]:
    def handler(delay: float) -> Any:
        async def handle(request: web.Request) -> web.Response:
            body = await request.json()
            await asyncio.sleep(delay)
            return web.json_response(quote(body))

        return handle

    ports = []
    for delay in delays:
        app = web.Application()
        app.router.add_post("/quote", handler(delay))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        assert site._server is not None
        ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    return ports


async def main(kind: str, delays: list[float], out: Path) -> None:
    ports = await (lean(delays) if kind == "lean" else aiohttp(delays))
    out.write_text(json.dumps(ports))  # noqa: ASYNC240 - once, before serving
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])))
