"""A call the strategy no longer needs keeps its connection: its late reply is read and dropped.

Real loopback servers that count the connections they accept.
"""

from __future__ import annotations

import asyncio
import json
from types import TracebackType

import httpx
import pytest

import core
from core.transports.http import _drain
from core.transports.http._pool import PoolTransport, origin_of

pytestmark = pytest.mark.timeout(30)


def reply(product_id: str, quantity: int) -> bytes:
    body = json.dumps(
        {
            "supplier_id": "x",
            "product_id": product_id,
            "unit_price": 2.0,
            "total_price": 2.0 * quantity,
            "currency": "EUR",
            "valid_until": "2030-01-01T00:00:00",
            "in_stock": True,
            "delivery_days": 1,
        }
    ).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body


class GatedSupplier:
    """Answers each request once ``gate`` is open; counts connections and requests."""

    def __init__(self, *, open_gate: bool) -> None:
        self.gate = asyncio.Event()
        if open_gate:
            self.gate.set()
        self.connections = 0
        self.requests = 0
        self.closed_by_client = 0
        self.received = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    self.closed_by_client += 1
                    return
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                request = json.loads(await reader.readexactly(length))
                self.requests += 1
                self.received.set()
                await self.gate.wait()
                writer.write(reply(request["product_id"], request["quantity"]))
                await writer.drain()
        finally:
            writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/quote"

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.close()
        self.gate.set()
        await self.server.wait_closed()


def config(fast: str, slow: str) -> core.Config:
    return core.parse_config(
        {"suppliers": [{"name": "fast", "url": fast}, {"name": "slow", "url": slow}]}
    )


async def test_an_abandoned_call_keeps_its_connection_for_the_next_comparison() -> None:
    fast, slow = GatedSupplier(open_gate=True), GatedSupplier(open_gate=False)
    async with fast as fast_url, slow as slow_url:
        async with core.PriceComparator(config(fast_url, slow_url)) as comparator:
            first = await comparator.compare("SKU-1", 2, strategy="first")
            assert first.winner is not None and first.winner.supplier == "fast"
            assert first.suppliers[1].status is core.Status.CANCELLED
            await slow.received.wait()
            slow.gate.set()  # the reply nobody waits for arrives late
            await comparator.idle()
            both = await comparator.compare("SKU-1", 2, strategy="all")
            assert [r.status for r in both.suppliers] == [core.Status.OK] * 2
    assert slow.requests == 2
    assert slow.connections == 1  # drained and reused, not closed and reopened


async def test_a_late_reply_that_takes_too_long_costs_its_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_drain, "DRAIN_BOUND_S", 0.05)
    fast, slow = GatedSupplier(open_gate=True), GatedSupplier(open_gate=False)
    async with fast as fast_url, slow as slow_url:
        async with core.PriceComparator(config(fast_url, slow_url)) as comparator:
            await comparator.compare("SKU-1", 2, strategy="first")
            await comparator.idle()  # the bound passes: closed, a replacement opened
            assert slow.connections == 2
            slow.gate.set()
            both = await comparator.compare("SKU-1", 2, strategy="all")
            assert [r.status for r in both.suppliers] == [core.Status.OK] * 2
    assert slow.connections == 2  # the replacement served the second comparison


async def test_a_call_cancelled_while_connecting_leaves_its_connection_to_the_pool() -> None:
    """The strategy decided while this call was still connecting: the connection is not
    thrown away but kept for the next comparison (else back-to-back `first` comparisons
    reconnect a third of their suppliers every time)."""
    supplier = GatedSupplier(open_gate=True)
    async with supplier as url:
        pool = PoolTransport()
        origin = origin_of(httpx.URL(url), None)
        call = asyncio.ensure_future(pool.exchange(origin, b"POST /quote HTTP/1.1\r\n", b"", None))
        await asyncio.sleep(0)  # the connect is under way
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        await pool.settle()  # the connect finishes in the background
        kept = pool.idle_connection(origin, None)
        assert kept is not None and kept.reusable
        pool.release(kept)
        await pool.aclose()
    assert supplier.connections == 1 and supplier.requests == 0


async def test_a_connect_left_to_the_pool_is_cancelled_when_the_pool_closes() -> None:
    """Nothing outlives the transport: a connect still going on for the pool is stopped."""
    pool = PoolTransport()
    pool._connect = hang_forever  # type: ignore[method-assign]
    origin = ("http", "127.0.0.1", 9, None)
    call = asyncio.ensure_future(pool.exchange(origin, b"POST / HTTP/1.1\r\n", b"", None))
    await asyncio.sleep(0)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert len(pool._pooling) == 1
    await asyncio.wait_for(pool.aclose(), 5)
    assert not pool._pooling and not pool._open  # its place is free again


async def hang_forever(origin: object, place: object = None) -> object:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


async def test_a_call_waiting_for_a_replacement_connect_is_told_the_pool_closed() -> None:
    """Closing the pool calls off the replacement being opened; a call that was waiting
    for it fails with "transport closed", it is not cancelled by somebody else's cancel
    (the engine would then have no result for that supplier until its own timeout)."""
    pool = PoolTransport()
    origin = ("http", "127.0.0.1", 9, None)
    pool._preconnecting[origin] = asyncio.ensure_future(hang_forever(origin))
    call = asyncio.ensure_future(pool.exchange(origin, b"POST / HTTP/1.1\r\n", b"", None))
    await asyncio.sleep(0)  # the call waits for the replacement
    await asyncio.wait_for(pool.aclose(), 5)
    with pytest.raises(httpx.ConnectError, match="transport closed"):
        await call


async def test_a_connect_that_ends_after_the_pool_closed_sends_nothing() -> None:
    supplier = GatedSupplier(open_gate=True)
    async with supplier as url:
        pool = PoolTransport()
        origin = origin_of(httpx.URL(url), None)
        body = b'{"product_id": "SKU-1", "quantity": 1}'
        head = b"POST /quote HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body)
        call = asyncio.ensure_future(pool.exchange(origin, head, body, None))
        await asyncio.sleep(0)  # the connect is under way
        await pool.aclose()
        with pytest.raises(httpx.ConnectError, match="transport closed"):
            await call
        assert not pool._active and not pool._open  # closed, its place freed
    assert supplier.requests == 0
