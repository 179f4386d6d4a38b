"""Reading a supplier's reply: the checks on its head, and the reply read by callbacks.

A request written on a pooled connection (the usual case, once a supplier has been called
before) has its reply taken by :class:`PooledReply`, a future the connection's parser
callbacks fill in as the bytes arrive: the engine takes its result with a done-callback,
so a call costs no task and no coroutine (a task and four coroutine frames per call were
11–15 % of the client's instructions per comparison, counted with callgrind). Anything
else (a connection still to be opened or waited for, the one fresh try after a pooled
connection died) goes through the pool's ``exchange`` coroutine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import httpx

from core._errors import InvalidReplyError, TransportError
from core.transports.http._decoding import CappedDecoder
from core.transports.http._pool import PoolTransport, _Connection
from core.transports.http._proxy import Proxy

__all__ = ["PROXY_STATUSES", "PooledReply", "reply_decoder", "status_error"]

#: statuses that, through a proxy, come from the proxy itself far more often than not
PROXY_STATUSES = frozenset({407, 502, 503, 504})


class PooledReply(asyncio.Future[bytes]):
    """The decoded body of the reply to a request already written on ``connection``.

    The connection calls it as the response is parsed (it is that request's
    ``ReplyListener``). Cancelled, it gives the connection up to be drained of the rest of
    the reply and reused (or closed). ``retry`` makes the one fresh try the pool allows when
    a pooled connection died before any byte of the reply came back.
    """

    __slots__ = (
        "_connection",
        "_correlation_id",
        "_decoder",
        "_first",
        "_max_bytes",
        "_more",
        "_pool",
        "_proxy",
        "_retry",
        "_retrying",
    )

    def __init__(
        self,
        pool: PoolTransport,
        connection: _Connection,
        correlation_id: str,
        max_bytes: int,
        proxy: Proxy | None,
        retry: Callable[[], Coroutine[Any, Any, bytes]],
    ) -> None:
        super().__init__()
        self._pool = pool
        self._connection = connection
        self._correlation_id = correlation_id
        self._max_bytes = max_bytes
        self._proxy = proxy
        self._retry: Callable[[], Coroutine[Any, Any, bytes]] | None = retry
        self._retrying: asyncio.Task[bytes] | None = None
        self._decoder: CappedDecoder | None = None
        # a body usually comes in one read: a list only for the rest, if there is a rest
        self._first = b""
        self._more: list[bytes] | None = None

    # -- ReplyListener: called from inside the connection's parser -------------------------

    def head(self, status: int, headers: list[tuple[bytes, bytes]], reason: bytes) -> None:
        if status != 200:
            # the rest of an error reply is read and dropped: the connection stays usable
            self._give_up(status_error(status, reason, headers, self._proxy), drain=True)
            return
        try:
            self._decoder = reply_decoder(headers, self._correlation_id, self._max_bytes)
        except InvalidReplyError as exc:
            self._give_up(exc, drain=False)

    def body(self, chunk: bytes) -> None:
        assert self._decoder is not None
        try:
            decoded = self._decoder.feed(chunk)
            if not self._first:
                self._first = decoded
            elif self._more is None:
                self._more = [decoded]
            else:
                self._more.append(decoded)
        except InvalidReplyError as exc:
            self._give_up(exc, drain=False)

    def complete(self) -> None:
        self._pool.release(self._connection)
        # answered: what it took to read or retry goes now, not when the comparison ends
        decoder, self._decoder, self._retry = self._decoder, None, None
        if self.done():
            return
        try:
            assert decoder is not None
            tail = decoder.finish()
        except InvalidReplyError as exc:
            self.set_exception(exc)
            return
        if self._more is None and not tail:
            self.set_result(self._first)
        else:
            self.set_result(b"".join((self._first, *(self._more or ()), tail)))

    def failed(self, error: Exception) -> None:
        connection = self._connection
        self._pool.release(connection)  # closed already: its place in the pool is freed
        if self.done():
            return
        retry, self._retry = self._retry, None
        if retry is not None and not connection.received_any:
            # most likely closed by the server while idle: one fresh try (README, "The
            # retry rule"), as the pool's exchange makes it
            self._retrying = asyncio.ensure_future(retry())
            self._retrying.add_done_callback(self._retried)
            return
        self.set_exception(TransportError(str(error) or type(error).__name__))

    # -- the future --------------------------------------------------------------------

    def cancel(self, msg: Any | None = None) -> bool:
        if self.done():
            return False
        if self._retrying is not None:
            self._retrying.cancel(msg)  # it lets go of its own connection
        else:
            self._connection.detach()
            self._pool.abandon(self._connection)  # its late reply is read and dropped
        return super().cancel(msg)

    def _give_up(self, error: Exception, *, drain: bool) -> None:
        self._connection.detach()
        if drain:
            self._pool.abandon(self._connection)
        else:
            self._pool.release(self._connection)  # not read to the end: closed
        if not self.done():
            self.set_exception(error)

    def _retried(self, retrying: asyncio.Task[bytes]) -> None:
        if self.done() or retrying.cancelled():
            return
        error = retrying.exception()
        if error is not None:
            self.set_exception(error)
        else:
            self.set_result(retrying.result())


def reply_decoder(
    headers: list[tuple[bytes, bytes]], correlation_id: str, max_bytes: int
) -> CappedDecoder:
    """Checks a 200 reply's head; the decoder its body needs."""
    # one pass over the raw headers: httpx's Headers.get rescans and re-decodes per call
    echoed = encoding = length = b""
    for name, value in headers:
        lower = name.lower()
        if lower == b"x-correlation-id":
            echoed = value
        elif lower == b"content-encoding":
            encoding = value
        elif lower == b"content-length":
            length = value
    if echoed and echoed != correlation_id.encode("ascii"):
        shown = echoed.decode("latin-1")
        raise InvalidReplyError(f"reply is for another correlation id ({shown[:64]!r})")
    if not encoding and length.isdigit() and int(length) > max_bytes:
        raise InvalidReplyError(
            f"reply larger than {max_bytes} bytes (Content-Length {length.decode()})"
        )
    return CappedDecoder(encoding.decode("latin-1"), max_bytes)


def status_error(
    status: int, reason: bytes, headers: list[tuple[bytes, bytes]], proxy: Proxy | None
) -> TransportError:
    phrase = reason.decode("ascii", errors="ignore")  # as httpx.Response.reason_phrase
    described = f"HTTP {status} {phrase}".strip()
    if proxy is not None and status in PROXY_STATUSES:
        return TransportError(f"proxy {proxy.url} answered {described}")
    # through a proxy, any other status may be the proxy's or the supplier's: say both
    through = f" (through proxy {proxy.url})" if proxy is not None else ""
    if 300 <= status < 400:
        location = httpx.Headers(headers).get("location", "")
        where = shown_location(location) if location else "nowhere (no Location header)"
        return TransportError(
            f"{described}: redirected to {where}; redirects are not followed{through}"
        )
    if status >= 400:
        return TransportError(f"{described}{through}")
    return InvalidReplyError(f"unexpected {described}{through}")


def shown_location(location: str) -> str:
    """A Location as it may be shown: no credentials, no line longer than needed."""
    try:
        url = httpx.URL(location)
    except httpx.InvalidURL:
        return repr(location[:100])
    if url.userinfo:
        url = url.copy_with(username=None, password=None)
    return str(url)[:200]
