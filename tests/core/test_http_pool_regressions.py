"""The HTTP pool's review findings, each on real loopback servers (and a real CONNECT proxy).

A connect that fails or is cancelled frees its per-origin place once; ``aclose()`` ends every
call waiting for a connection; concurrent ``idle()`` calls all return; a call abandoned in
the middle of its reply's body is drained and its connection reused.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import trustme

import core
from core.transports.http import _pool
from core.transports.http._connect import open_connection
from core.transports.http._pool import PoolTransport
from core.transports.http._proxy import Proxy
from tests.support.wire import QUOTE, read_request

pytestmark = pytest.mark.timeout(30)

HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(QUOTE)

#: how long a call that should end may take before the test says it hangs
ENDS_WITHIN_S = 5.0

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def listening(handle: Handler, *, tls: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    """A server on 127.0.0.1 running ``handle`` per connection; yields its port. On exit
    every handler is ended and every connection closed."""
    handlers: set[asyncio.Task[Any]] = set()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            await handle(reader, writer)
        except (asyncio.CancelledError, asyncio.IncompleteReadError, OSError):
            pass  # ended on exit below, or the client went away: both are expected here
        finally:
            writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0, ssl=tls)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()


@asynccontextmanager
async def must_end(what: str) -> AsyncIterator[None]:
    """The block must end within ENDS_WITHIN_S; else the test fails saying what hung."""
    try:
        async with asyncio.timeout(ENDS_WITHIN_S):
            yield
    except TimeoutError:
        pytest.fail(f"{what} still waiting after {ENDS_WITHIN_S:g} s")


class HoldingSupplier:
    """``/hold`` is never answered (the call stays busy); ``/quote`` is, at once.

    Remembers which connections carried a ``/quote``: how many the pool opened for them.
    """

    def __init__(self) -> None:
        self.holding = asyncio.Event()
        self.quoting_connections: set[int] = set()
        self._connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections += 1
        connection = self._connections
        while (target := await read_request(reader)) is not None:
            if target == b"/hold":
                self.holding.set()
                await reader.read()  # until the client closes it
                return
            self.quoting_connections.add(connection)
            writer.write(HEAD + QUOTE)
            await writer.drain()


def request(url: str, proxy: Proxy | None = None) -> httpx.Request:
    extensions: dict[str, Any] = {"timeout": {"connect": 2.0}}
    if proxy is not None:
        extensions["proxy"] = proxy
    return httpx.Request("POST", url, content=b"{}", extensions=extensions)


async def call(pool: PoolTransport, url: str, proxy: Proxy | None = None) -> bytes:
    response = await pool.handle_async_request(request(url, proxy))
    try:
        return await response.aread()
    finally:
        await response.aclose()


async def three_calls_with_one_busy(pool: PoolTransport, url: str, proxy: Proxy | None) -> None:
    """Three calls at once while ``/hold`` keeps one of the two allowed connections."""
    async with must_end("three calls with a place free"):
        bodies = await asyncio.gather(*(call(pool, url, proxy) for _ in range(3)))
    assert bodies == [QUOTE] * 3


# -- a connect that fails or is cancelled frees its place once ------------------------------


async def test_a_call_cancelled_while_connecting_frees_its_place_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cancelled once asyncio has built the connection's protocol, the moment at which asyncio
    closes that protocol too (cancel_connect.py): its place used to be freed twice, and the
    bound of 2 connections let a third one open."""
    cancel_when_built = True

    async def cancelled_once_built(factory: Callable[[], Any], *args: Any, **kwargs: Any) -> Any:
        def build() -> Any:
            nonlocal cancel_when_built
            protocol = factory()
            if cancel_when_built:
                cancel_when_built = False
                task = asyncio.current_task()
                assert task is not None
                task.cancel()  # delivered at the connect's next await
            return protocol

        return await open_connection(build, *args, **kwargs)

    supplier = HoldingSupplier()
    async with listening(supplier.handle) as port:
        url = f"http://127.0.0.1:{port}"
        pool = PoolTransport(max_connections_per_origin=2)
        held = asyncio.create_task(call(pool, url + "/hold"))
        await supplier.holding.wait()
        monkeypatch.setattr(_pool, "open_connection", cancelled_once_built)
        victim = asyncio.create_task(call(pool, url + "/quote"))
        (outcome,) = await asyncio.gather(victim, return_exceptions=True)
        assert isinstance(outcome, asyncio.CancelledError) and not cancel_when_built

        await three_calls_with_one_busy(pool, url + "/quote", None)
        held.cancel()
        await asyncio.gather(held, return_exceptions=True)
        await pool.aclose()
    assert len(supplier.quoting_connections) == 1  # the one place left, used three times


async def cancelled_connect_then_three_calls(turns: int) -> int:
    """How many connections carried the three calls made after a call was cancelled
    ``turns`` event loop turns into its connect, with a bound of 2 and one call busy."""
    supplier = HoldingSupplier()
    async with listening(supplier.handle) as port:
        url = f"http://127.0.0.1:{port}"
        pool = PoolTransport(max_connections_per_origin=2)
        held = asyncio.create_task(call(pool, url + "/hold"))
        await supplier.holding.wait()
        victim = asyncio.create_task(call(pool, url + "/quote"))
        for _ in range(turns):
            await asyncio.sleep(0)  # not a wait: picks the point of the connect to cancel at
        victim.cancel()
        await asyncio.gather(victim, return_exceptions=True)

        await three_calls_with_one_busy(pool, url + "/quote", None)
        held.cancel()
        await asyncio.gather(held, return_exceptions=True)
        await pool.aclose()
    return len(supplier.quoting_connections)


async def test_a_call_cancelled_at_any_point_of_its_connect_keeps_the_bound() -> None:
    """The same without a hook: cancelled after each number of event loop turns in turn,
    from before the TCP connect to after it (the protocol is built after about four)."""
    used = {turns: await cancelled_connect_then_three_calls(turns) for turns in range(12)}
    # one place left beside /hold: the victim's connection, when it got that far, or a new one
    assert {turns: n for turns, n in used.items() if n != 1} == {}


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


async def test_a_tls_handshake_failing_in_a_tunnel_frees_its_place_once(ca: trustme.CA) -> None:
    """The second CONNECT tunnel leads to something that answers the TLS hello in plain HTTP
    (tunnel_tls_failure.py): the failed connect used to free its place twice."""
    supplier = HoldingSupplier()
    tunnels = 0

    async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
        sink.close()

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal tunnels
        await reader.readuntil(b"\r\n\r\n")
        tunnels += 1
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        if tunnels == 2:
            await reader.read(1)  # the client's TLS hello has come
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", tls_port)
        try:
            await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        finally:
            upstream_writer.close()

    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)

    async with (
        listening(supplier.handle, tls=server_context) as tls_port,
        listening(proxy) as proxy_port,
    ):
        url = f"https://127.0.0.1:{tls_port}"
        via = Proxy("127.0.0.1", proxy_port)
        pool = PoolTransport(ssl_context=lambda: client_context, max_connections_per_origin=2)
        held = asyncio.create_task(call(pool, url + "/hold", via))
        await supplier.holding.wait()
        with pytest.raises(httpx.ConnectError, match="TLS handshake failed"):
            await call(pool, url + "/quote", via)

        await three_calls_with_one_busy(pool, url + "/quote", via)
        held.cancel()
        await asyncio.gather(held, return_exceptions=True)
        await pool.aclose()
    assert len(supplier.quoting_connections) == 1  # the one place left, used three times
    assert tunnels == 3  # held, the failed one, that place


# -- aclose() ends the calls waiting for a connection -----------------------------------------


async def test_aclose_ends_every_call_waiting_for_a_connection() -> None:
    """One call busy on the only connection allowed, three waiting (aclose_waiters.py): only
    one of the three used to be woken, the others waited for ever."""
    supplier = HoldingSupplier()
    async with listening(supplier.handle) as port:
        url = f"http://127.0.0.1:{port}"
        pool = PoolTransport(max_connections_per_origin=1)
        held = asyncio.create_task(call(pool, url + "/hold"))
        await supplier.holding.wait()
        waiting = [asyncio.create_task(call(pool, url + "/quote")) for _ in range(3)]
        # created last, so it starts once the three are queued for the connection (FIFO)
        closing = asyncio.create_task(pool.aclose())
        async with must_end("calls waiting for a connection after aclose()"):
            outcomes = await asyncio.gather(held, *waiting, return_exceptions=True)
            await closing
    assert isinstance(outcomes[0], httpx.TransportError)  # its connection closed under it
    for outcome in outcomes[1:]:
        assert isinstance(outcome, httpx.ConnectError) and str(outcome) == "transport closed"
    assert supplier.quoting_connections == set()


# -- concurrent idle() calls all return --------------------------------------------------------


class GatedSupplier:
    """Answers each request once ``gate`` is open (``after``, if given, has been set too);
    counts connections and requests."""

    def __init__(self, *, after: asyncio.Event | None = None, head_first: bool = False) -> None:
        self.gate = asyncio.Event()
        self.received = asyncio.Event()
        self.connections = 0
        self.requests = 0
        self._after = after
        self._head_first = head_first

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        while await read_request(reader) is not None:
            self.requests += 1
            self.received.set()
            if self._after is not None:
                await self._after.wait()
            if self._head_first:  # the head at once, the body when the gate opens
                writer.write(HEAD)
                await writer.drain()
            await self.gate.wait()
            writer.write(QUOTE if self._head_first else HEAD + QUOTE)
            await writer.drain()


def two_suppliers(fast: int, slow: int, **defaults: Any) -> core.Config:
    return core.parse_config(
        {
            "defaults": defaults,
            "suppliers": [
                {"name": "fast", "url": f"http://127.0.0.1:{fast}/quote"},
                {"name": "slow", "url": f"http://127.0.0.1:{slow}/quote"},
            ],
        }
    )


async def test_concurrent_idle_calls_all_return_even_when_one_is_cancelled() -> None:
    """Three callers wait for the same late reply to be drained and one gives up
    (concurrent_idle.py): each caller used to replace the future the others waited on."""
    slow = GatedSupplier()
    fast = GatedSupplier(after=slow.received)  # answers once the slow call is under way
    fast.gate.set()
    async with listening(fast.handle) as fast_port, listening(slow.handle) as slow_port:
        async with core.PriceComparator(two_suppliers(fast_port, slow_port)) as comparator:
            first = await comparator.compare("SKU-1", 1, strategy="first")
            assert [r.status for r in first.suppliers] == [
                core.Status.OK,
                core.Status.CANCELLED,
            ]
            await comparator.engine.drain()  # the abandoned call's connection is draining

            waiting = [asyncio.create_task(comparator.idle()) for _ in range(3)]

            async def give_up_and_open_the_gate() -> None:
                waiting[2].cancel()
                slow.gate.set()  # the late reply comes

            # created last, so it starts once the three wait in idle() (FIFO)
            opening = asyncio.create_task(give_up_and_open_the_gate())
            async with must_end("idle() once the late reply was drained"):
                await asyncio.gather(*waiting[:2], opening)
            (cancelled,) = await asyncio.gather(waiting[2], return_exceptions=True)
            assert isinstance(cancelled, asyncio.CancelledError)
            both = await comparator.compare("SKU-1", 1, strategy="all")
            assert [r.status for r in both.suppliers] == [core.Status.OK] * 2
    assert slow.connections == 1 and slow.requests == 2


# -- a call abandoned mid-body is drained ------------------------------------------------------


async def test_a_call_abandoned_mid_body_is_drained_and_its_connection_reused() -> None:
    """The reply's head came, its body had not when the call timed out (cancel_mid_body.py):
    the connection used to be closed and a new one opened for the next comparison."""
    slow = GatedSupplier(head_first=True)
    fast = GatedSupplier()
    fast.gate.set()
    async with listening(fast.handle) as fast_port, listening(slow.handle) as slow_port:
        config = two_suppliers(fast_port, slow_port, supplier_timeout=0.5)
        async with core.PriceComparator(config) as comparator:
            first = await comparator.compare("SKU-1", 1, strategy="all")
            assert [r.status for r in first.suppliers] == [core.Status.OK, core.Status.TIMEOUT]
            slow.gate.set()  # the rest of the body comes, late
            await comparator.idle()
            both = await comparator.compare("SKU-1", 1, strategy="all")
            assert [r.status for r in both.suppliers] == [core.Status.OK] * 2
    assert slow.requests == 2
    assert slow.connections == 1  # drained and reused, not closed and reopened
