"""A lean HTTP/1.1 transport for httpx, built for fanning out to many origins.

httpx's default transport (httpcore) rescans its whole pool on every request and takes
AnyIO locks per connection: hundreds of microseconds of CPU per call once a scatter talks
to a hundred origins at once (encode/httpx#3215). This transport keeps a list of idle
keep-alive connections per origin and nothing else, writes the request head itself and
parses responses with ``httptools`` (llhttp, the parser behind uvicorn).

It goes through an HTTP proxy when the request says so (``request.extensions["proxy"]``,
see ``_proxy.py``): ``http://`` targets in absolute form, ``https://`` ones through a CONNECT
tunnel (``_connect.py``). Interim ``1xx`` responses are skipped; a connection whose state is
unclear after a reply (bytes after it, a response to nothing) is closed, never reused. At
most ``max_connections_per_origin`` connections are open to one origin; more calls wait.

A request is sent again only when a keep-alive connection reused from the pool died before
any byte of the reply came back (the server closing it while idle, typically): one fresh
try. A fresh connection, or a reply cut off after its first byte, is never retried.

What it does not do, because a supplier call never needs it: HTTP/2, redirects,
``Expect: 100-continue``, request body streaming. Time limits are the caller's (but for the
connect timeout, ``request.extensions["timeout"]["connect"]``): cancel the call and the
connection is drained of its late reply and reused (``_drain.py``), or closed when that
reply takes too long.

With debug logging on (``-vv``) it logs each connection reused, and each one closed as
unusable or by the server, with the reason (new ones: ``_connect.py``).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Protocol

import httptools
import httpx

from core.transports.http._connect import authority, open_connection
from core.transports.http._drain import Drainable, LateReplies
from core.transports.http._proxy import Proxy

__all__ = ["Origin", "PoolTransport", "ReplyListener", "framing", "head_lines", "origin_of"]

log = logging.getLogger("scatterdash.http")

#: pause reading from a socket when this much body is buffered and not yet consumed
HIGH_WATER = 256 * 1024
LOW_WATER = 64 * 1024

Origin = tuple[str, str, int, Proxy | None]
"""scheme, host, port and the proxy in between: connections are shared only within one"""


#: what one read takes at most (asyncio's own default is 256 KiB)
READ_BUFFER_SIZE = 64 * 1024


def new_read_buffer() -> memoryview:
    return memoryview(bytearray(READ_BUFFER_SIZE))


def _shown(origin: Origin) -> str:
    """An origin as the debug log shows it (a proxy never with its credentials)."""
    scheme, host, port, proxy = origin
    via = f" via proxy {proxy.url}" if proxy is not None else ""
    return f"{scheme}://{authority(host, port)}{via}"


class ReplyListener(Protocol):
    """Takes a response as the connection parses it, in its read callbacks: no task and no
    coroutine waits for it (``_reply.PooledReply``). Each method is called from inside the
    parser and must not raise."""

    def head(self, status: int, headers: list[tuple[bytes, bytes]], reason: bytes) -> None:
        """The final (non-1xx) response's head."""

    def body(self, chunk: bytes) -> None: ...

    def complete(self) -> None:
        """The response ended; the connection is the listener's to release."""

    def failed(self, error: Exception) -> None:
        """The connection failed (and is closed) before the response ended."""


class _Connection(asyncio.BufferedProtocol):
    """One TCP (or TLS) connection and the response currently being read on it.

    A buffered protocol: asyncio reads into ``read_buffer`` (one per pool, as every read is
    handed to the parser before the next one) instead of allocating 256 KiB for each read,
    which cost ~15 µs a reply in page faults (a tenth of the client's CPU per call).
    """

    def __init__(
        self,
        origin: Origin,
        on_closed: Callable[[], None] | None = None,
        read_buffer: memoryview | None = None,
    ) -> None:
        self.origin = origin
        self._read_buffer = read_buffer if read_buffer is not None else new_read_buffer()
        self.transport: asyncio.Transport | None = None
        self._on_closed = on_closed
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._headers: list[tuple[bytes, bytes]] = []
        self._reason = b""
        self._head: asyncio.Future[tuple[int, list[tuple[bytes, bytes]], bytes]] | None = None
        self._chunks: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._paused = False
        # no response outstanding: a new connection is as reusable as a drained one
        self._complete = True
        self._keep_alive = True
        self._may_end_at_eof = False
        self._error: Exception | None = None
        self._wakeup: asyncio.Future[None] | None = None
        self._received_any = False
        self._interim = False  # the response being parsed is a 1xx
        #: the final head was handed over: what on_header gets now are chunked trailers
        self._head_given = False
        self._unclear = False  # a byte arrived that belongs to no request
        #: set while an abandoned call's reply is read and dropped (see _drain.py)
        self._on_settled: Callable[[Drainable], None] | None = None
        #: takes the response as it comes, instead of the head future and body chunks
        self._listener: ReplyListener | None = None

    # -- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._read_buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(self._read_buffer[:nbytes])

    def data_received(self, data: bytes | memoryview) -> None:
        self._received_any = True
        if self._complete:
            self._unclear = True  # a response to nothing: the connection's state is unknown
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(httpx.RemoteProtocolError("unexpected protocol upgrade"))
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"malformed HTTP response: {exc}"))

    def eof_received(self) -> bool | None:
        return None  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._complete and self._may_end_at_eof and exc is None and not self._framed():
            # no length, not chunked: the body was everything until the server closed
            self._complete = True
            self._ended()
        if not self._complete:
            if exc is None:
                error: Exception = httpx.RemoteProtocolError("server disconnected")
            elif isinstance(exc, ConnectionResetError):
                error = httpx.ReadError("connection reset")
            else:
                error = httpx.ReadError(f"connection lost: {exc}")
            self._fail(error)
        elif self.transport is not None and log.isEnabledFor(logging.DEBUG):
            # not closed by us (close() forgets the transport first): the server, or the network
            how = "closed by the server" if exc is None else f"lost ({exc})"
            log.debug("connection to %s %s", _shown(self.origin), how)
        self.transport = None
        self._closed()
        # the parser holds this protocol's bound methods: left in place, that cycle would
        # keep every closed connection, with its transport and socket, for a full collection
        del self._parser

    def pause_writing(self) -> None:  # request bodies are small: nothing to throttle
        pass

    def resume_writing(self) -> None:
        pass

    # -- httptools callbacks -------------------------------------------------------------

    def _framed(self) -> bool:
        """The response has a length or chunked body: it cannot end with the connection."""
        return any(
            name.lower() in (b"content-length", b"transfer-encoding") for name, _ in self._headers
        )

    def on_message_begin(self) -> None:
        if self._complete:  # bytes after the reply, in the same read
            self._unclear = True
            self._fail(httpx.RemoteProtocolError("data after the end of the reply"))

    def on_status(self, status: bytes) -> None:
        if self._unclear:  # the rest of a response to nothing
            return
        self._reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._unclear or self._head_given:  # a response to nothing; trailers
            return
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        if self._unclear:  # the rest of a response to nothing
            return
        status = self._parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            # 100 Continue, 103 Early Hints…: the final response follows on the same bytes
            self._interim = True
            self._headers, self._reason = [], b""
            return
        # whether the body runs until the server closes is asked only when it does close
        # (connection_lost): scanning the headers for framing here cost every reply
        self._may_end_at_eof = status >= 200 and status not in (204, 304)
        self._head_given = True
        if self._listener is not None:
            self._listener.head(status, self._headers, self._reason)
        elif self._head is not None and not self._head.done():
            self._head.set_result((status, self._headers, self._reason))

    def on_body(self, body: bytes) -> None:
        if self._unclear:  # the rest of a response to nothing
            return
        if self._listener is not None:
            self._listener.body(body)
            return
        if self._on_settled is not None:
            return  # nobody will read it
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered > HIGH_WATER and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self._unclear:  # the rest of a response to nothing
            return
        if self._interim:
            self._interim = False
            return
        self._complete = True
        self._keep_alive = bool(self._parser.should_keep_alive())
        self._ended()

    # -- used by the transport -----------------------------------------------------------

    @property
    def reusable(self) -> bool:
        return (
            self._complete
            and self._keep_alive
            and not self._unclear
            and self.transport is not None
            and not (self.transport.is_closing())
        )

    def why_unusable(self) -> str:
        """Why the connection is not :attr:`reusable` (for the debug log)."""
        if self._unclear:
            return "bytes came that belong to no request"
        if self.transport is None or self.transport.is_closing():
            return "it is closed"
        if not self._complete:
            return "its reply was not read to the end (the call was abandoned or failed)"
        if not self._keep_alive:
            return "the server asked to close it (no keep-alive)"
        return "reusable"

    def describe(self) -> str:
        return f"the connection to {_shown(self.origin)}"

    def start(
        self, head: bytes, body: bytes
    ) -> asyncio.Future[tuple[int, list[tuple[bytes, bytes]], bytes]]:
        """Write a request; its head comes in the future returned, its body through
        :meth:`take` and the like."""
        self._head = asyncio.get_running_loop().create_future()
        self._write(head, body, None)
        return self._head

    def start_for(self, head: bytes, body: bytes, listener: ReplyListener) -> None:
        """Write a request whose response goes to ``listener`` as it is parsed."""
        self._head = None
        self._write(head, body, listener)

    def _write(self, head: bytes, body: bytes, listener: ReplyListener | None) -> None:
        assert self.transport is not None
        if self._paused:  # the last response's body was left unread
            self._paused = False
            self.transport.resume_reading()
        # one parser for the connection's life: llhttp starts on the next response by itself
        # once one ends on a keep-alive connection, and a connection in any other state is
        # never reused (making a parser per request was a tenth of the client's CPU)
        self._headers, self._reason = [], b""
        self._chunks.clear()
        self._buffered, self._complete, self._keep_alive = 0, False, False
        self._may_end_at_eof = False
        self._error, self._received_any, self._interim = None, False, False
        self._head_given = False
        self._on_settled = None
        self._listener = listener
        self.transport.write(head + body)

    def detach(self) -> None:
        """The listener gives the response up (its call was cancelled or failed)."""
        self._listener = None

    @property
    def received_any(self) -> bool:
        return self._received_any

    def take(self, decode: Callable[[bytes], bytes], parts: list[bytes]) -> bool:
        """Move the body received so far into ``parts``, each chunk through ``decode``;
        True once the body has ended. A body that arrived whole needs no waiting at all."""
        while self._chunks:
            chunk = self._chunks.popleft()
            self._buffered -= len(chunk)
            parts.append(decode(chunk))
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        if self._complete:
            return True
        if self._error is not None:
            raise self._error
        return False

    async def read_all(self, decode: Callable[[bytes], bytes], parts: list[bytes]) -> None:
        """The rest of the body into ``parts`` (see ``take``)."""
        while not self.take(decode, parts):
            self._wakeup = asyncio.get_running_loop().create_future()
            await self._wakeup

    async def body(self) -> AsyncIterator[bytes]:
        while True:
            while self._chunks:
                chunk = self._chunks.popleft()
                self._buffered -= len(chunk)
                if self._paused and self._buffered < LOW_WATER and self.transport is not None:
                    self._paused = False
                    self.transport.resume_reading()
                yield chunk
            if self._complete:
                return
            if self._error is not None:
                raise self._error
            self._wakeup = asyncio.get_running_loop().create_future()
            await self._wakeup

    def drain(self, settled: Callable[[Drainable], None]) -> bool:
        """Drop the rest of the current response; ``settled(self)`` once it has ended."""
        if self.transport is None or self.transport.is_closing() or self._error is not None:
            return False
        self._chunks.clear()
        self._buffered = 0
        if self._paused:
            self._paused = False
            self.transport.resume_reading()
        if self._complete:
            settled(self)
        else:
            self._on_settled = settled
        return True

    def close(self, why: str | None = None) -> None:
        """Close it; the debug log says ``why`` (by default, why it is not reusable)."""
        if self.transport is not None:
            if log.isEnabledFor(logging.DEBUG) and (why is not None or not self.reusable):
                log.debug("closing %s: %s", self.describe(), why or self.why_unusable())
            self.transport.close()
            self.transport = None
        self._closed()

    def _closed(self) -> None:
        on_closed, self._on_closed = self._on_closed, None
        if on_closed is not None:
            on_closed()

    def _fail(self, error: Exception) -> None:
        self._error = error
        if self._head is not None and not self._head.done():
            self._head.set_exception(error)
        self._wake()
        self.close(str(error))
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.failed(error)
        self._settle()

    def _ended(self) -> None:
        """The response is complete."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.complete()
        self._wake()
        self._settle()

    def _settle(self) -> None:
        settled, self._on_settled = self._on_settled, None
        if settled is not None:
            settled(self)

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)


class _Body(httpx.AsyncByteStream):
    def __init__(self, pool: PoolTransport, connection: _Connection) -> None:
        self._pool = pool
        self._connection = connection
        self._released = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._connection.body():
            yield chunk

    async def aclose(self) -> None:
        if not self._released:
            self._released = True
            connection = self._connection
            if connection.reusable or connection.transport is None:
                self._pool.release(connection)
            else:  # the reply was left unread (call cancelled mid-body): drain it too
                self._pool.abandon(connection)


def head_lines(
    method: bytes, url: httpx.URL, headers: Iterable[tuple[bytes, bytes]], proxy: Proxy | None
) -> list[bytes]:
    """A request's head up to its framing headers (Content-Length, Connection)."""
    target = url.raw_path or b"/"
    if proxy is not None and url.scheme == "http":
        # absolute form, for the proxy to know where to go (RFC 9112 §3.2.2)
        target = b"http://" + url.netloc + target
    lines = [b"%s %s HTTP/1.1" % (method, target)]
    has_host = False
    for name, value in headers:
        if b"\r" in value or b"\n" in value or b"\r" in name or b"\n" in name:
            raise httpx.LocalProtocolError("header contains a line break")
        lower = name.lower()
        if lower == b"host":
            has_host = True
        elif lower in (b"content-length", b"transfer-encoding", b"connection"):
            continue
        lines.append(name + b": " + value)
    if not has_host:
        lines.insert(1, b"Host: " + url.netloc)
    if proxy is not None and url.scheme == "http" and proxy.authorization is not None:
        lines.append(b"Proxy-Authorization: " + proxy.authorization)
    return lines


def framing(body: bytes) -> bytes:
    """The end of a request head: the body's length and keep-alive."""
    return b"\r\nContent-Length: %d\r\nConnection: keep-alive\r\n\r\n" % len(body)


def _head(request: httpx.Request, body: bytes, proxy: Proxy | None) -> bytes:
    lines = head_lines(request.method.encode("ascii"), request.url, request.headers.raw, proxy)
    return b"\r\n".join(lines) + framing(body)


def origin_of(url: httpx.URL, proxy: Proxy | None) -> Origin:
    default_port = 443 if url.scheme == "https" else 80
    return (url.scheme, url.host, url.port or default_port, proxy)


class PoolTransport(httpx.AsyncBaseTransport):
    """Keep-alive HTTP/1.1 connections, a few per origin, for many origins at once."""

    def __init__(
        self,
        *,
        ssl_context: Callable[[], ssl.SSLContext] | None = None,
        max_idle_per_origin: int = 8,
        max_connections_per_origin: int = 32,
        keepalive_s: float = 30.0,
    ) -> None:
        self._ssl_factory = ssl_context
        self._ssl_context: ssl.SSLContext | None = None
        self._max_idle = max_idle_per_origin
        self._max_open = max(max_connections_per_origin, 1)
        self._keepalive_s = keepalive_s
        self._idle: dict[Origin, list[_Connection]] = {}
        self._active: set[_Connection] = set()
        self._preconnecting: dict[Origin, asyncio.Task[None]] = {}
        #: connects whose call was cancelled, going on for the pool
        self._pooling: set[asyncio.Task[_Connection]] = set()
        # connections open or being opened, per origin, and the calls waiting for one
        self._open: dict[Origin, int] = {}
        self._waiting: dict[Origin, collections.deque[asyncio.Future[None]]] = {}
        self._connect_timeout: dict[Origin, float | None] = {}
        self._late = LateReplies(reuse=self._reuse_drained, give_up=self._drain_gave_up)
        self._closed = False
        self._read_buffer = new_read_buffer()  # shared: a pool's connections share a loop

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        proxy: Proxy | None = request.extensions.get("proxy")
        body = request.content  # supplier requests are small and already in memory
        head = _head(request, body, proxy)
        connect_timeout = request.extensions.get("timeout", {}).get("connect")
        status, headers, reason, connection = await self.exchange(
            origin_of(request.url, proxy), head, body, connect_timeout
        )
        return httpx.Response(
            status,
            headers=headers,
            stream=_Body(self, connection),
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )

    def idle_connection(self, origin: Origin, connect_timeout: float | None) -> _Connection | None:
        """An idle connection to ``origin``, ready to ``start`` a request on at once, without
        awaiting; ``None`` when there is none (``exchange`` then opens or waits for one).

        A scatter writes all its requests in one go this way: each is on the wire before the
        next call is even made. Hand the connection back with ``release`` once its response
        is read, or ``abandon`` if the call is given up before that.
        """
        if self._closed:
            return None
        self._connect_timeout[origin] = connect_timeout
        connection = self._pop_idle(origin)
        if connection is not None:
            self._active.add(connection)
        return connection

    async def exchange(
        self,
        origin: Origin,
        head: bytes,
        body: bytes,
        connect_timeout: float | None,
        *,
        fresh: bool = False,
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes, _Connection]:
        """Send a request (its head already in bytes) and wait for the response's head;
        ``fresh``: on a new connection, not a pooled one.

        The caller reads the body (``connection.take``, ``read_all``) and then hands the connection
        back: ``release`` once read or failed, ``abandon`` when the call was cancelled.
        """
        self._connect_timeout[origin] = connect_timeout
        connection, reused = await self._acquire(origin, fresh=fresh)
        try:
            try:
                status, headers, reason = await connection.start(head, body)
            except httpx.TransportError:
                if not (reused and not connection.received_any):
                    raise
                # a pooled connection that died before any byte came back, most likely
                # closed by the server while idle: one fresh try (README, "The retry rule")
                connection.close()
                self._active.discard(connection)
                connection, _ = await self._acquire(origin, fresh=True)
                status, headers, reason = await connection.start(head, body)
        except asyncio.CancelledError:
            self.abandon(connection)
            raise
        except BaseException:
            connection.close()
            self._active.discard(connection)
            raise
        return status, headers, reason, connection

    def _pop_idle(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            idle_s = now - connection.idle_since
            if connection.reusable and idle_s < self._keepalive_s:
                if log.isEnabledFor(logging.DEBUG):
                    log.debug("reusing %s, idle %.1f ms", connection.describe(), idle_s * 1000.0)
                return connection
            connection.close(
                None if not connection.reusable else f"idle {idle_s:.1f} s, past the keep-alive"
            )
        return None

    async def _acquire(self, origin: Origin, *, fresh: bool = False) -> tuple[_Connection, bool]:
        while True:
            if self._closed:
                raise httpx.ConnectError("transport closed")
            if not fresh:
                connection = self._pop_idle(origin)
                replacement = self._preconnecting.get(origin)
                if connection is None and replacement is not None:
                    # a replacement is already being opened: waiting for it beats a second connect
                    try:
                        await asyncio.shield(replacement)
                    except asyncio.CancelledError:
                        if not replacement.cancelled() or _cancelling():
                            raise  # this call was cancelled, not only the replacement
                        continue  # the pool closing called the replacement off
                    connection = self._pop_idle(origin)
                if connection is not None:
                    self._active.add(connection)
                    return connection, True
            if self._open.get(origin, 0) < self._max_open:
                return await self._connect_for_call(origin), False
            # at the bound: wait for a connection to come back idle or to close
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.setdefault(origin, collections.deque()).append(waiter)
            try:
                await waiter
            except BaseException:
                # a cancelled waiter stays queued and is skipped when its turn comes;
                # one woken and then cancelled passes its turn on
                if waiter.done() and not waiter.cancelled():
                    self._wake_one(origin)
                raise
            fresh = False

    async def _connect_for_call(self, origin: Origin) -> _Connection:
        """Open a connection for a call. A call cancelled meanwhile (its strategy decided
        without it) does not take the connection down with it: the connect goes on and the
        connection joins the pool for the next comparison. Closed instead, back-to-back
        ``first`` comparisons at 100 suppliers opened ~30 connections each, forever."""
        place = self._take_place(origin)  # now, not when the task starts: the bound holds
        opening = asyncio.get_running_loop().create_task(self._connect(origin, place))
        opening.add_done_callback(lambda task: _free_if_never_ran(task, place))
        try:
            return await asyncio.shield(opening)
        except asyncio.CancelledError:
            self._pooling.add(opening)
            opening.add_done_callback(self._pool_opened)
            raise

    def _pool_opened(self, opening: asyncio.Task[_Connection]) -> None:
        self._pooling.discard(opening)
        if not opening.cancelled() and opening.exception() is None:
            self.release(opening.result())  # closed at once if the pool is closed by now

    def _take_place(self, origin: Origin) -> Callable[[], None]:
        """Count a connection to ``origin`` as open; returns what frees its place (once)."""
        self._open[origin] = self._open.get(origin, 0) + 1
        counted = True

        def free_once() -> None:
            # asyncio may close (and call connection_lost on) a protocol it already built
            # when the connect fails or is cancelled: the place is freed once either way
            nonlocal counted
            if counted:
                counted = False
                self._forget(origin)

        return free_once

    async def _connect(
        self, origin: Origin, place: Callable[[], None] | None = None
    ) -> _Connection:
        """``place``: the place already taken for it (``_take_place``)."""
        scheme, host, port, proxy = origin
        free_once = place or self._take_place(origin)
        opened = False
        try:
            _, connection = await open_connection(
                lambda: _Connection(origin, free_once, self._read_buffer),
                scheme,
                host,
                port,
                proxy=proxy,
                ssl_context=self._context,
                timeout=self._connect_timeout.get(origin),
            )
            opened = True
        finally:
            if not opened:
                free_once()
        if self._closed:  # closed while this connect went on
            connection.close()
            raise httpx.ConnectError("transport closed")
        self._active.add(connection)
        return connection

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            factory = self._ssl_factory or ssl.create_default_context
            self._ssl_context = factory()
        return self._ssl_context

    def _forget(self, origin: Origin) -> None:
        """A connection to ``origin`` closed (or never opened): its place is free."""
        count = self._open.get(origin, 0) - 1
        if count > 0:
            self._open[origin] = count
        else:
            self._open.pop(origin, None)
        self._wake_one(origin)

    def _wake_one(self, origin: Origin) -> None:
        waiting = self._waiting.get(origin)
        while waiting:
            waiter = waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break
        if not waiting:
            self._waiting.pop(origin, None)

    def abandon(self, connection: _Connection) -> None:
        """The call was cancelled mid-response: drain its connection, else replace it."""
        if self._closed or not self._late.adopt(connection):
            connection.close()
            self._active.discard(connection)
            self._replace(connection.origin)

    def _reuse_drained(self, connection: Drainable) -> None:
        assert isinstance(connection, _Connection)
        self.release(connection)

    def _drain_gave_up(self, connection: Drainable) -> None:
        assert isinstance(connection, _Connection)
        self._active.discard(connection)
        self._replace(connection.origin)

    def _replace(self, origin: Origin) -> None:
        """Open a fresh idle connection in place of an abandoned one, in the background.

        A strategy that decides early (``first``, ``majority``) abandons most calls of every
        comparison; without this the next comparison would pay for all those connects.
        """
        if (
            self._closed
            or origin in self._preconnecting
            or len(self._idle.get(origin, ())) >= self._max_idle
            or self._open.get(origin, 0) >= self._max_open
        ):
            return
        task = asyncio.get_running_loop().create_task(self._preconnect(origin))
        self._preconnecting[origin] = task
        task.add_done_callback(lambda _: self._preconnecting.pop(origin, None))

    async def _preconnect(self, origin: Origin) -> None:
        # checked again now that the task runs: a call may have taken the place meanwhile
        if self._open.get(origin, 0) >= self._max_open:
            return
        try:
            connection = await self._connect(origin)
        except httpx.TransportError:
            return  # the next real call will say what is wrong
        self.release(connection)

    def release(self, connection: _Connection) -> None:
        """A call is done with ``connection``: back to the pool when reusable, else closed."""
        self._active.discard(connection)
        if self._closed or not connection.reusable:
            connection.close()
            return
        idle = self._idle.setdefault(connection.origin, [])
        if len(idle) >= self._max_idle:
            connection.close(f"{len(idle)} idle ones kept already")
            return
        connection.idle_since = time.monotonic()
        idle.append(connection)
        self._wake_one(connection.origin)

    async def settle(self) -> None:
        """Wait for the late replies being drained and the replacement connections being
        opened in the background."""
        await self._late.settle()
        while self._preconnecting or self._pooling:
            opening = (*self._preconnecting.values(), *self._pooling)
            await asyncio.gather(*opening, return_exceptions=True)

    async def aclose(self) -> None:
        self._closed = True
        for waiting in self._waiting.values():  # every waiter sees the pool closed
            for waiter in waiting:
                if not waiter.done():
                    waiter.set_result(None)
        self._waiting.clear()
        replacements = (*self._preconnecting.values(), *self._pooling)
        for task in replacements:
            task.cancel()
        await asyncio.gather(*replacements, return_exceptions=True)
        self._late.close()
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
        for connection in tuple(self._active):
            connection.close()
        self._active.clear()
        await asyncio.sleep(0)  # let the transports' connection_lost callbacks run


def _cancelling() -> int:
    task = asyncio.current_task()
    return task.cancelling() if task is not None else 0


def _free_if_never_ran(opening: asyncio.Task[_Connection], place: Callable[[], None]) -> None:
    # a connect task cancelled before its first step (the pool closing) never reached the
    # code that frees its place; freeing twice is harmless (``_take_place``)
    if opening.cancelled():
        place()
