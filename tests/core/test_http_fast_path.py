"""The price request's own path through the HTTP transport (no httpx.Request/Response):
the head it writes, a body that arrives in pieces, a call cancelled mid-body. Hand-made
servers on real loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from core import TransportError
from core.transports import Endpoint
from core.transports.http import HttpTransport
from core.transports.http._pool import _Connection
from tests.core.test_http_client import hand_server
from tests.support.wire import QUOTE, read_request

pytestmark = pytest.mark.timeout(30)

HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(QUOTE)


@pytest.fixture
def waiting_for_body(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Set when a call starts waiting for the rest of a body (the head and part of the
    body read: the path a body that arrived whole never takes)."""
    event = asyncio.Event()
    read_all = _Connection.read_all

    async def spy(self: _Connection, decode: Callable[[bytes], bytes], parts: list[bytes]) -> None:
        event.set()
        await read_all(self, decode, parts)

    monkeypatch.setattr(_Connection, "read_all", spy)
    return event


async def read_head(reader: asyncio.StreamReader) -> list[bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = next(int(line.split(b":")[1]) for line in lines if line.startswith(b"Content-Len"))
    await reader.readexactly(length)
    return lines


async def test_the_head_carries_the_call_s_correlation_id_once_and_the_endpoint_headers() -> None:
    heads: list[list[bytes]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        heads.append(await read_head(reader))
        writer.write(HEAD + QUOTE)
        await writer.drain()

    async with hand_server(handle) as (url, _):
        # a configured X-Correlation-ID is the call's, never a stale one
        headers = {"X-Api-Key": "k1", "x-correlation-id": "stale"}
        endpoint = Endpoint("s", url + "?a=1", headers, proxy=False)
        transport = HttpTransport(environ={})
        try:
            raw = await transport.request(endpoint, b"{}", correlation_id="c-42", max_bytes=4096)
        finally:
            await transport.aclose()
    assert raw == QUOTE
    lines = heads[0]
    assert lines[0] == b"POST /quote?a=1 HTTP/1.1"
    assert lines[1] == b"Host: " + url.split("/")[2].encode()
    assert [line for line in lines if line.lower().startswith(b"x-correlation-id")] == [
        b"X-Correlation-ID: c-42"
    ]
    assert b"X-Api-Key: k1" in lines
    assert b"Content-Length: 2" in lines and b"Connection: keep-alive" in lines


@pytest.mark.parametrize(
    ("headers", "correlation_id", "error"),
    [
        ({"X-Api-Key": "k\r\nEvil: 1"}, "c-1", "header contains a line break"),
        ({}, "c-1\r\nEvil: 1", "header contains a line break"),
        ({}, "c-é", "correlation id is not ASCII"),
    ],
)
async def test_a_head_that_cannot_be_written_is_a_transport_error_before_any_byte_leaves(
    headers: dict[str, str], correlation_id: str, error: str
) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await reader.read()

    async with hand_server(handle) as (url, connections):
        transport = HttpTransport(environ={})
        try:
            with pytest.raises(TransportError, match=error):
                await transport.request(
                    Endpoint("s", url, headers, proxy=False),
                    b"{}",
                    correlation_id=correlation_id,
                    max_bytes=4096,
                )
        finally:
            await transport.aclose()
    assert connections == []


async def test_a_body_that_arrives_in_pieces_is_waited_for(waiting_for_body: asyncio.Event) -> None:
    rest = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(HEAD + QUOTE[:10])
        await writer.drain()
        await rest.wait()
        writer.write(QUOTE[10:])
        await writer.drain()

    async with hand_server(handle) as (url, _):
        transport = HttpTransport(environ={})
        try:
            call = asyncio.create_task(
                transport.request(
                    Endpoint("s", url, proxy=False), b"{}", correlation_id="c", max_bytes=4096
                )
            )
            await waiting_for_body.wait()
            assert not call.done()
            rest.set()
            assert await call == QUOTE
        finally:
            await transport.aclose()


async def test_a_body_cut_off_is_an_error_and_its_connection_is_not_reused() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        if n == 0:
            writer.write(HEAD + QUOTE[:10])  # and the server goes away
        else:
            writer.write(HEAD + QUOTE)
        await writer.drain()

    async with hand_server(handle) as (url, connections):
        transport = HttpTransport(environ={})
        endpoint = Endpoint("s", url, proxy=False)
        try:
            with pytest.raises(TransportError, match="server disconnected"):
                await transport.request(endpoint, b"{}", correlation_id="c", max_bytes=4096)
            assert await transport.request(endpoint, b"{}", correlation_id="d", max_bytes=4096)
        finally:
            await transport.aclose()
    assert len(connections) == 2


async def test_a_call_cancelled_mid_body_keeps_its_connection_for_the_next_call(
    waiting_for_body: asyncio.Event,
) -> None:
    rest = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(HEAD + QUOTE[:10])
        await writer.drain()
        await rest.wait()
        writer.write(QUOTE[10:])  # the late rest, read and dropped by the client
        while await read_request(reader):
            writer.write(HEAD + QUOTE)
            await writer.drain()

    async with hand_server(handle) as (url, connections):
        transport = HttpTransport(environ={})
        endpoint = Endpoint("s", url, proxy=False)
        try:
            call = asyncio.create_task(
                transport.request(endpoint, b"{}", correlation_id="c", max_bytes=4096)
            )
            await waiting_for_body.wait()
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            rest.set()
            await transport.settle()
            again = await transport.request(endpoint, b"{}", correlation_id="d", max_bytes=4096)
        finally:
            await transport.aclose()
    assert again == QUOTE
    assert len(connections) == 1
