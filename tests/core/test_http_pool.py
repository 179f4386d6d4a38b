"""The HTTP/1.1 connection pool against hand-made responses on real loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

import core
from core.transports.http._pool import HIGH_WATER, _Connection
from tests.support.wire import QUOTE


async def serve(reply: Callable[[asyncio.StreamWriter], bytes], close: bool) -> AsyncIterator[str]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await reader.read(1024)  # the small request body
        writer.write(reply(writer))
        await writer.drain()
        if close:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/quote"


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
    ],
)
async def test_a_body_that_ends_when_the_server_closes_is_a_whole_reply(head: bytes) -> None:
    async for url in serve(lambda _: head + QUOTE, close=True):
        config = core.parse_config({"suppliers": [{"name": "old", "url": url}]})
        async with core.PriceComparator(config) as comparator:
            comparison = await comparator.compare("SKU-1", 1)
    assert comparison.suppliers[0].status is core.Status.OK, comparison.suppliers[0].error


async def test_a_truncated_framed_body_is_still_an_error() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n"
    async for url in serve(lambda _: head + QUOTE, close=True):
        config = core.parse_config({"suppliers": [{"name": "cut", "url": url}]})
        async with core.PriceComparator(config) as comparator:
            comparison = await comparator.compare("SKU-1", 1)
    assert comparison.suppliers[0].status is core.Status.ERROR


class FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.reading = True
        self.written = b""
        self.closed = False

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


async def test_a_connection_paused_on_an_unread_body_reads_again_when_reused() -> None:
    connection = _Connection(("http", "127.0.0.1", 1, None))
    transport = FakeTransport()
    connection.connection_made(transport)
    connection.start(b"POST / HTTP/1.1\r\n\r\n", b"")
    body = b" " * (HIGH_WATER + 1024)
    connection.data_received(b"HTTP/1.1 500 Oops\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    assert not transport.reading and connection.reusable  # all of it arrived, none read
    head = connection.start(b"POST / HTTP/1.1\r\n\r\n", b"")
    assert transport.reading
    connection.data_received(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
    assert (await head)[0] == 200


async def test_interim_responses_are_skipped_and_the_final_one_is_the_reply() -> None:
    connection = _Connection(("http", "127.0.0.1", 1, None))
    connection.connection_made(FakeTransport())
    head = connection.start(b"POST / HTTP/1.1\r\n\r\n", b"")
    connection.data_received(b"HTTP/1.1 100 Continue\r\n\r\n")
    connection.data_received(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")
    assert not head.done()
    connection.data_received(b"HTTP/1.1 200 OK\r\nX-Final: yes\r\nContent-Length: 2\r\n\r\n{}")
    status, headers, _ = await head
    assert status == 200 and headers == [(b"X-Final", b"yes"), (b"Content-Length", b"2")]
    assert [chunk async for chunk in connection.body()] == [b"{}"]
    assert connection.reusable


async def test_a_response_to_nothing_makes_a_connection_unusable() -> None:
    connection = _Connection(("http", "127.0.0.1", 1, None))
    connection.connection_made(FakeTransport())
    head = connection.start(b"POST / HTTP/1.1\r\n\r\n", b"")
    connection.data_received(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
    assert (await head)[0] == 200 and connection.reusable
    transport = connection.transport
    assert isinstance(transport, FakeTransport)
    connection.data_received(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
    assert not connection.reusable and transport.closed


async def test_one_parser_reads_every_response_of_a_keep_alive_connection() -> None:
    """The parser lives as long as its connection: responses of every framing, interim
    ones, and replies arriving in pieces, one after the other on the same connection."""
    connection = _Connection(("http", "127.0.0.1", 1, None))
    connection.connection_made(FakeTransport())
    responses = [
        [b'HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n{"a":1}'],
        [
            b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\r\nX-N: 2\r\n"
            b'Transfer-Encoding: chunked\r\n\r\n3\r\n{"b\r\n4\r\n":2}\r\n0\r\n\r\n'
        ],
        [b"HTTP/1.1 404 Not", b" Found\r\nContent-Len", b"gth: 2\r\n\r\n{", b"}"],
        [b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"],
    ]
    seen = []
    for pieces in responses:
        head = connection.start(b"POST / HTTP/1.1\r\n\r\n", b"")
        for piece in pieces:
            connection.data_received(memoryview(piece))  # as the read buffer hands it over
        status, _, reason = await head
        body = b"".join([chunk async for chunk in connection.body()])
        seen.append((status, reason, body))
        assert connection.reusable
    assert seen == [
        (200, b"OK", b'{"a":1}'),
        (200, b"OK", b'{"b":2}'),
        (404, b"Not Found", b"{}"),
        (200, b"OK", b""),
    ]
