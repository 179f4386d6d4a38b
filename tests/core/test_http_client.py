"""The HTTP client's promises, against hand-made servers on real loopback sockets: decoding,
redirects, connections left in an unclear state, the retry rule, the per-origin bound and
the connect timeout."""

from __future__ import annotations

import asyncio
import gzip
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

import core
from core import Status
from core.health import HealthMonitor
from core.transports.http._decoding import CappedDecoder
from tests.support.scripted import ScriptedFleet, raw
from tests.support.wire import QUOTE, read_request

pytestmark = pytest.mark.timeout(30)

REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(QUOTE), QUOTE)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


@asynccontextmanager
async def hand_server(handle: Handler) -> AsyncIterator[tuple[str, list[int]]]:
    """``(url, [requests per connection])``; ``handle(reader, writer, connection number)``."""
    connections: list[int] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(0)
        try:
            await handle(reader, writer, len(connections) - 1)
        finally:
            writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/quote", connections


def config(url: str, suppliers: int = 1, **defaults: Any) -> core.Config:
    return core.parse_config(
        {
            "defaults": defaults,
            "suppliers": [{"name": f"s{i}", "url": url} for i in range(suppliers)],
        }
    )


async def compare(url: str, **defaults: Any) -> core.SupplierResult[core.Quote]:
    async with core.PriceComparator(config(url, **defaults)) as comparator:
        return (await comparator.compare("SKU-1", 1)).suppliers[0]


# -- decoding ------------------------------------------------------------------------------


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", gzip.compress(QUOTE)),
        ("gzip", gzip.compress(QUOTE[:40]) + gzip.compress(QUOTE[40:])),  # two members
        ("deflate", zlib.compress(QUOTE)),  # zlib-wrapped, as RFC 9110 says
        ("deflate", raw_deflate(QUOTE)),  # raw, as some servers send it
    ],
)
async def test_compressed_bodies_decode(encoding: str, body: bytes) -> None:
    behaviour = raw(body, headers={"Content-Encoding": encoding})
    async with ScriptedFleet({"z": behaviour}) as fleet:
        result = await compare(fleet.suppliers["z"].url)
    assert result.status is Status.OK, result.error


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_truncated_compressed_body_is_invalid(encoding: str) -> None:
    whole = gzip.compress(QUOTE) if encoding == "gzip" else zlib.compress(QUOTE)
    behaviour = raw(whole[:-6], headers={"Content-Encoding": encoding})
    async with ScriptedFleet({"z": behaviour}) as fleet:
        result = await compare(fleet.suppliers["z"].url)
    assert result.status is Status.INVALID
    assert result.error == "truncated compressed body"


def test_raw_deflate_is_recognised_even_when_it_arrives_byte_by_byte() -> None:
    decoder = CappedDecoder("deflate", 10_000)
    out = b"".join(
        decoder.feed(raw_deflate(QUOTE)[i : i + 1]) for i in range(len(raw_deflate(QUOTE)))
    )
    assert out + decoder.finish() == QUOTE


@pytest.mark.parametrize("encoding", ["deflate", "gzip"])
def test_a_compressed_stream_that_decodes_to_nothing_is_cut_off(encoding: str) -> None:
    """Empty stored blocks, endlessly: no decoded byte ever counts against the cap, so the
    compressed bytes are bounded too (twice the cap and a little)."""
    decoder = CappedDecoder(encoding, 1000)
    start = b"\x78\x9c" if encoding == "deflate" else gzip.compress(b"")[:10]
    decoder.feed(start)
    empty_blocks = b"\x00\x00\x00\xff\xff" * 100
    for _ in range(6):  # 3000 compressed bytes: still under the bound
        assert decoder.feed(empty_blocks) == b""
    with pytest.raises(core.InvalidReplyError, match="compressed reply larger than 3024 bytes"):
        decoder.feed(empty_blocks)


def test_the_cap_counts_every_gzip_member() -> None:
    decoder = CappedDecoder("gzip", 100)
    with pytest.raises(core.InvalidReplyError, match="reply larger than 100 bytes"):
        decoder.feed(gzip.compress(b"a" * 60) + gzip.compress(b"b" * 60))


# -- redirects -----------------------------------------------------------------------------


async def test_a_redirect_is_an_error_naming_where_it_pointed_without_credentials() -> None:
    async def moved(http: web.Request, request: dict[str, Any]) -> web.StreamResponse:
        return web.Response(
            status=302, headers={"Location": "https://user:hunter2@elsewhere.example/v2/quote"}
        )

    async with ScriptedFleet({"moved": moved}) as fleet:
        result = await compare(fleet.suppliers["moved"].url)
    assert result.status is Status.ERROR
    assert result.error == (
        "HTTP 302 Found: redirected to https://elsewhere.example/v2/quote; "
        "redirects are not followed"
    )


# -- connections whose state is unclear ------------------------------------------------------


async def test_bytes_after_a_reply_close_the_connection() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        while await read_request(reader):
            writer.write(REPLY + b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")

    async with hand_server(handle) as (url, connections):
        async with core.PriceComparator(config(url)) as comparator:
            first = await comparator.compare("SKU-1", 1)
            second = await comparator.compare("SKU-1", 1)
    assert [first.suppliers[0].status, second.suppliers[0].status] == [Status.OK, Status.OK]
    assert len(connections) == 2  # the first connection was not reused


async def test_a_response_to_nothing_closes_the_idle_connection() -> None:
    closed_by_client = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(REPLY)
        await writer.drain()
        if n == 0:
            writer.write(REPLY)  # while the connection sits idle in the pool
            await writer.drain()
            assert await reader.read() == b""
            closed_by_client.set()
            return
        while await read_request(reader):
            writer.write(REPLY)

    async with hand_server(handle) as (url, connections):
        async with core.PriceComparator(config(url)) as comparator:
            first = await comparator.compare("SKU-1", 1)
            await closed_by_client.wait()
            second = await comparator.compare("SKU-1", 1)
    assert [first.suppliers[0].status, second.suppliers[0].status] == [Status.OK, Status.OK]
    assert len(connections) == 2


# -- the retry rule ------------------------------------------------------------------------


async def test_a_reused_connection_that_dies_before_any_byte_is_retried_once() -> None:
    requests_seen = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        nonlocal requests_seen
        while await read_request(reader):
            requests_seen += 1
            if n == 0 and requests_seen == 2:
                return  # the keep-alive connection dies under the second request
            writer.write(REPLY)

    async with hand_server(handle) as (url, connections):
        async with core.PriceComparator(config(url)) as comparator:
            results = [(await comparator.compare("SKU-1", 1)).suppliers[0] for _ in range(2)]
    assert [r.status for r in results] == [Status.OK, Status.OK]
    assert len(connections) == 2 and requests_seen == 3


async def test_a_connection_that_dies_after_a_byte_came_back_is_never_retried() -> None:
    requests_seen = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        nonlocal requests_seen
        while await read_request(reader):
            requests_seen += 1
            if requests_seen == 2:
                writer.write(b"HTTP/1.1 200")  # then the server dies mid-head
                await writer.drain()
                return
            writer.write(REPLY)

    async with hand_server(handle) as (url, _connections):
        async with core.PriceComparator(config(url)) as comparator:
            results = [(await comparator.compare("SKU-1", 1)).suppliers[0] for _ in range(2)]
    assert [r.status for r in results] == [Status.OK, Status.ERROR]
    assert requests_seen == 2  # sent once: it may have been acted upon


async def test_a_fresh_connection_is_never_retried() -> None:
    requests_seen = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        nonlocal requests_seen
        if await read_request(reader):
            requests_seen += 1

    async with hand_server(handle) as (url, connections):
        result = await compare(url)
    assert result.status is Status.ERROR and requests_seen == 1 and len(connections) == 1


# -- the bound on connections per origin ------------------------------------------------------


async def test_connections_per_origin_are_bounded_and_the_rest_wait() -> None:
    open_now = peak = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        nonlocal open_now, peak
        open_now += 1
        peak = max(peak, open_now)
        try:
            while await read_request(reader):
                await asyncio.sleep(0.02)  # a supplier that takes its time
                writer.write(REPLY)
        finally:
            open_now -= 1

    async with hand_server(handle) as (url, connections):
        transport = core.HttpTransport(max_connections_per_origin=2)
        async with core.PriceComparator(
            config(url, suppliers=8), transport=transport
        ) as comparator:
            comparison = await comparator.compare("SKU-1", 1, strategy="all")
        await transport.aclose()
    assert [r.status for r in comparison.suppliers] == [Status.OK] * 8
    assert peak == 2 and len(connections) == 2


# -- the connect timeout -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("defaults", "shown"), [({"connect_timeout": 0.2}, "0.2"), ({"supplier_timeout": 0.6}, "0.3")]
)
async def test_a_connect_that_hangs_times_out_inside_the_call(
    defaults: dict[str, float], shown: str
) -> None:
    """A proxy that accepts and never answers the CONNECT: the connect timeout (default: half
    the call's) ends it as an error naming the proxy, before the call's own timeout."""

    async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await reader.read()

    async with hand_server(mute) as (url, _):
        proxy = url.removesuffix("/quote")
        supplier = {"name": "tls", "url": "https://supplier.example/quote", "proxy": proxy}
        parsed = core.parse_config({"defaults": defaults, "suppliers": [supplier]})
        started = time.perf_counter()
        async with core.PriceComparator(parsed) as comparator:
            result = (await comparator.compare("SKU-1", 1)).suppliers[0]
    assert result.status is Status.ERROR
    assert result.error == f"connect timeout ({shown} s) to proxy {proxy}"
    assert time.perf_counter() - started < 0.6 + 0.5


# -- through a proxy ---------------------------------------------------------------------


async def test_a_proxy_answering_502_is_named_and_got_the_absolute_form() -> None:
    heads: list[bytes] = []

    async def gateway(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        heads.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    async with hand_server(gateway) as (url, _):
        proxy = url.removesuffix("/quote").replace("http://", "http://ops:pa%24%24@")
        supplier = {"name": "s", "url": "http://supplier.example:8080/q?x=1", "proxy": proxy}
        async with core.PriceComparator(core.parse_config({"suppliers": [supplier]})) as it:
            result = (await it.compare("SKU-1", 1)).suppliers[0]
    shown = url.removesuffix("/quote")
    assert result.error == f"proxy {shown} answered HTTP 502 Bad Gateway"
    lines = heads[0].split(b"\r\n")
    assert lines[0] == b"POST http://supplier.example:8080/q?x=1 HTTP/1.1"
    assert b"Host: supplier.example:8080" in lines
    assert b"Proxy-Authorization: Basic b3BzOnBhJCQ=" in lines  # ops:pa$$


async def test_control_characters_in_a_reason_phrase_reach_nobody_raw() -> None:
    """A supplier's reason phrase is shown in tables, terminals and the history: its
    control characters (a terminal escape, say) are escaped, not passed on."""

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection: int
    ) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 500 Bad\x1b[2JThing\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    async with hand_server(handle) as (url, _):
        result = await compare(url)
    assert result.status is core.Status.ERROR
    assert result.error == "HTTP 500 Bad\\x1b[2JThing"


async def test_chunked_trailers_are_not_taken_for_headers() -> None:
    """A trailer named like a header (the correlation id, the content encoding) says
    nothing about the reply: on a new connection as on a kept one."""

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection: int
    ) -> None:
        while await read_request(reader):
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\nTrailer: X-Correlation-ID, Content-Encoding\r\n\r\n"
                + b"%x\r\n" % len(QUOTE)
                + QUOTE
                + b"\r\n"
                b"0\r\nX-Correlation-ID: other\r\nContent-Encoding: gzip\r\n\r\n"
            )
            await writer.drain()

    async with hand_server(handle) as (url, _):
        async with core.PriceComparator(config(url)) as comparator:
            results = [(await comparator.compare("SKU-1", 1)).suppliers[0] for _ in range(2)]
    assert [r.status for r in results] == [core.Status.OK] * 2, [r.error for r in results]


async def test_a_probe_s_error_reaches_nobody_with_control_characters() -> None:
    """A health_url's reason phrase goes to watch's terminal, the window and the history."""

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection: int
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 503 Down\x1b[2J\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    async with hand_server(handle) as (url, _):
        config = core.parse_config(
            {"suppliers": [{"name": "s", "url": url, "health_url": url.replace("quote", "up")}]}
        )
        async with core.PriceComparator(config) as comparator:
            probe = await HealthMonitor(comparator).probe("s")
    assert probe is not None and probe.error == "HTTP 503 Down\\x1b[2J"
