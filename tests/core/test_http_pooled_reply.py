"""A reply on a pooled connection is read by the connection's callbacks (``PooledReply``),
not by a coroutine: every way a reply can end, against a hand-made server on a real
loopback socket. Each test warms the connection with one plain reply first, so that the
reply under test comes back on the connection the pool kept."""

from __future__ import annotations

import asyncio
import gzip

import pytest

import core
from core import Status
from core.transports.http._reply import PooledReply
from tests.core.test_http_client import REPLY, config, hand_server
from tests.support.wire import QUOTE, read_request

pytestmark = pytest.mark.timeout(30)

GZIPPED = gzip.compress(QUOTE)


def chunked(*parts: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


async def second_reply(
    reply: bytes, *, close: bool = False, then_plain: bool = False, max_bytes: int = 4096
) -> tuple[list[core.SupplierResult[core.Quote]], list[int], list[type]]:
    """The results of two or three comparisons: the first answered plainly, the second
    with ``reply`` (the server then closes the connection when ``close``), the third
    (when ``then_plain``) plainly again. Also the requests per connection, and what each
    call gave the engine."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        while await read_request(reader) is not None:
            connections[n] += 1
            if connections[n] == 2 and n == 0:
                writer.write(reply)
                await writer.drain()
                if close:
                    return
            else:
                writer.write(REPLY)
                await writer.drain()

    kinds: list[type] = []
    async with hand_server(handle) as (url, connections):
        async with core.PriceComparator(config(url, max_reply_bytes=max_bytes)) as comparator:
            destination = comparator.engine.destinations[0]
            call = destination.call

            def spied(request: object, correlation_id: str) -> object:
                pending = call(request, correlation_id)  # type: ignore[arg-type]
                kinds.append(type(pending))
                return pending

            object.__setattr__(destination, "call", spied)
            results = []
            for _ in range(3 if then_plain else 2):
                results.append((await comparator.compare("SKU-1", 1)).suppliers[0])
                await comparator.idle()
    return results, connections, kinds


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s"
        % (len(GZIPPED), GZIPPED),
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(QUOTE[:30], QUOTE[30:]),
        b"HTTP/1.1 100 Continue\r\n\r\n" + REPLY,
    ],
    ids=["gzip", "chunked", "after-100-continue"],
)
async def test_a_pooled_reply_decodes_like_any_other(reply: bytes) -> None:
    results, connections, kinds = await second_reply(reply, then_plain=True)
    assert [r.status for r in results] == [Status.OK] * 3, results
    assert results[1].reply == results[0].reply
    assert kinds[1:] == [PooledReply, PooledReply]
    assert connections == [3]  # and the connection was kept for the next one


async def test_a_pooled_reply_may_end_when_the_server_closes() -> None:
    head = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
    results, connections, kinds = await second_reply(head + QUOTE, close=True, then_plain=True)
    assert [r.status for r in results] == [Status.OK] * 3, results
    assert kinds[1] is PooledReply
    assert connections == [2, 1]  # not kept: the server closed it


async def test_a_pooled_reply_cut_short_is_an_error_and_not_sent_again() -> None:
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n" + QUOTE
    results, connections, _ = await second_reply(cut, close=True)
    assert [r.status for r in results] == [Status.OK, Status.ERROR]
    assert results[1].error == "server disconnected"
    assert connections == [2]


async def test_an_error_status_on_a_pooled_connection_leaves_it_usable() -> None:
    body = b'{"error": "try later"}'
    unavailable = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body),
        body,
    )
    results, connections, _ = await second_reply(unavailable, then_plain=True)
    assert [r.status for r in results] == [Status.OK, Status.ERROR, Status.OK]
    assert results[1].error == "HTTP 503 Service Unavailable"
    assert connections == [3]  # its body was read and dropped, and the connection reused


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b" " * 5000,
            "reply larger than 4096 bytes (Content-Length 5000)",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunked(b" " * 3000, b" " * 3000),
            "reply larger than 4096 bytes",
        ),
        (
            b"HTTP/1.1 200 OK\r\nX-Correlation-ID: someone-else\r\nContent-Length: %d\r\n\r\n%s"
            % (len(QUOTE), QUOTE),
            "reply is for another correlation id ('someone-else')",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 2\r\n\r\n{}",
            "unsupported content encoding 'br'",
        ),
    ],
    ids=["content-length", "chunked", "correlation-id", "encoding"],
)
async def test_an_unacceptable_pooled_reply_is_invalid_and_its_connection_closed(
    reply: bytes, error: str
) -> None:
    results, connections, _ = await second_reply(reply, then_plain=True)
    assert [r.status for r in results] == [Status.OK, Status.INVALID, Status.OK]
    assert results[1].error is not None and results[1].error.startswith(error), results[1].error
    assert connections == [2, 1]
