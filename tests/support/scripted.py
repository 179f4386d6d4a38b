"""Real loopback HTTP suppliers whose every reply is scripted by the test.

Each supplier is an aiohttp site on its own ephemeral 127.0.0.1 port, answering with a
behaviour: a healthy quote after a delay, or one of the faults the engine must survive.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import socket
import ssl
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

import core

Behaviour = Callable[[web.Request, dict[str, Any]], Awaitable[web.StreamResponse]]


def quote_body(
    request: dict[str, Any],
    *,
    unit_price: float = 10.0,
    in_stock: bool = True,
    delivery_days: int = 3,
    supplier_id: str = "scripted",
    **overrides: Any,
) -> dict[str, Any]:
    quantity = request["quantity"]
    body = {
        "supplier_id": supplier_id,
        "product_id": request["product_id"],
        "unit_price": unit_price,
        "total_price": round(unit_price * quantity, 2) if isinstance(unit_price, float) else 0,
        "currency": "EUR",
        "valid_until": "2030-01-01T00:00:00+00:00",
        "in_stock": in_stock,
        "delivery_days": delivery_days,
    }
    body.update(overrides)
    return body


def healthy(delay: float = 0.0, **quote: Any) -> Behaviour:
    async def behave(http: web.Request, request: dict[str, Any]) -> web.StreamResponse:
        if delay:
            await asyncio.sleep(delay)
        return web.json_response(quote_body(request, **quote))

    return behave


def status(code: int, delay: float = 0.0) -> Behaviour:
    async def behave(http: web.Request, request: dict[str, Any]) -> web.StreamResponse:
        if delay:
            await asyncio.sleep(delay)
        return web.Response(status=code, text="no")

    return behave


def raw(body: bytes, *, delay: float = 0.0, headers: dict[str, str] | None = None) -> Behaviour:
    async def behave(http: web.Request, request: dict[str, Any]) -> web.StreamResponse:
        if delay:
            await asyncio.sleep(delay)
        return web.Response(body=body, content_type="application/json", headers=headers)

    return behave


def hang(entered: asyncio.Event | None = None) -> Behaviour:
    """Never answer; ``entered`` is set once the request is in hand."""

    async def behave(http: web.Request, request: dict[str, Any]) -> web.StreamResponse:
        if entered is not None:
            entered.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    return behave


def drip(chunk: bytes = b" ", every: float = 0.05, total: int = 10_000) -> Behaviour:
    """Headers at once, then a byte every so often: never a whole body in time."""

    async def behave(http: web.Request, request: dict[str, Any]) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(http)
        with contextlib.suppress(ConnectionError):
            for _ in range(total):
                await response.write(chunk)
                await asyncio.sleep(every)
        return response

    return behave


@functools.cache
def _gzip_of_spaces(size: int) -> bytes:
    return gzip.compress(b" " * size, compresslevel=9)


def huge(size: int, *, gzipped: bool = False) -> Behaviour:
    """A body of ``size`` bytes, streamed, or a small gzip body that inflates to ``size``."""

    async def behave(http: web.Request, request: dict[str, Any]) -> web.StreamResponse:
        if gzipped:
            headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
            return web.Response(body=_gzip_of_spaces(size), headers=headers)
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(http)
        block = b" " * 65536
        with contextlib.suppress(ConnectionError):
            for _ in range(size // len(block)):
                await response.write(block)
        return response

    return behave


def hang_mid_body() -> Behaviour:
    """Headers and the start of a body, then nothing."""

    async def behave(http: web.Request, request: dict[str, Any]) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = 1000
        await response.prepare(http)
        await response.write(b'{"supplier_id": "x", ')
        await asyncio.Event().wait()
        return response

    return behave


def reset_mid_body() -> Behaviour:
    async def behave(http: web.Request, request: dict[str, Any]) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = 1000
        await response.prepare(http)
        await response.write(b'{"supplier_id": "x", ')
        transport = http.transport
        assert transport is not None
        sock = transport.get_extra_info("socket")
        if sock is not None:  # RST instead of FIN
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
        transport.abort()
        return response

    return behave


@dataclass
class ScriptedSupplier:
    name: str
    behaviour: Behaviour
    port: int = 0
    scheme: str = "http"
    calls: int = 0
    # the latest requests only: a soak sends hundreds of thousands
    correlation_ids: deque[str] = field(default_factory=lambda: deque(maxlen=1000))
    headers_seen: deque[dict[str, str]] = field(default_factory=lambda: deque(maxlen=1000))

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/quote"


class ScriptedFleet:
    """``async with ScriptedFleet({"a": healthy(), "b": hang()}) as fleet: fleet.config()``."""

    def __init__(
        self, behaviours: dict[str, Behaviour], *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.ssl_context = ssl_context
        self.suppliers = {name: ScriptedSupplier(name, b) for name, b in behaviours.items()}
        self._runners: list[web.AppRunner] = []

    async def __aenter__(self) -> ScriptedFleet:
        for supplier in self.suppliers.values():
            app = web.Application()
            app.router.add_post("/quote", self._handler(supplier))
            # a client that gives up cancels its handler: hung handlers do not pile up
            runner = web.AppRunner(
                app, access_log=None, shutdown_timeout=0.1, handler_cancellation=True
            )
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
            await site.start()
            server = site._server
            assert server is not None
            supplier.port = server.sockets[0].getsockname()[1]
            supplier.scheme = "https" if self.ssl_context else "http"
            self._runners.append(runner)
        return self

    def _handler(
        self, supplier: ScriptedSupplier
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(http: web.Request) -> web.StreamResponse:
            supplier.calls += 1
            body = await http.json()
            supplier.correlation_ids.append(body["correlation_id"])
            supplier.headers_seen.append(dict(http.headers))
            return await supplier.behaviour(http, body)

        return handle

    async def __aexit__(self, *exc: object) -> None:
        for runner in self._runners:
            await runner.cleanup()

    def config(
        self,
        *,
        refused: tuple[str, ...] = (),
        supplier_options: dict[str, dict[str, Any]] | None = None,
        **defaults: Any,
    ) -> core.Config:
        """A config for these suppliers (plus ``refused`` names pointing at a closed port)."""
        options = supplier_options or {}
        suppliers = [
            {"name": s.name, "url": s.url, **options.get(s.name, {})}
            for s in self.suppliers.values()
        ]
        suppliers += [
            {"name": name, "url": f"http://127.0.0.1:{closed_port()}/quote"} for name in refused
        ]
        return core.parse_config({"defaults": defaults, "suppliers": suppliers})


def closed_port() -> int:
    """A loopback port with nothing listening (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sockets_to(ports: set[int]) -> int:
    """How many TCP sockets this process holds open *to* any of ``ports`` (client side)."""
    import os

    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                if fields[9] in inodes and remote_port in ports:
                    count += 1
    return count
