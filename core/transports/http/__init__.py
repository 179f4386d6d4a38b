"""HTTP transport: JSON POSTs to suppliers, straight through our own connection pool.

Measured on this machine (tests/bench/bench_core.py, tests/bench/bench_http_clients.py and
the tables in the README): one shared ``httpx.AsyncClient`` spends ~410 ms of CPU per
scatter to 100 loopback suppliers (its pool rescans every connection, encode/httpx#3215);
httpx's ``AsyncHTTPTransport`` and aiohttp's client cost several times what
``PoolTransport`` (``_pool.py``), an httpx transport built for fan-out, does. It is the only
place that knows httpx: swapping the transport underneath happens here.

A price request skips even httpx's models: building an ``httpx.Request`` and reading an
``httpx.Response`` through its async byte streams cost ~40 µs a call (of ~120 µs at 1000
suppliers). Each endpoint's request head is built once, in bytes, and only the correlation
id and the body's length are added per call; the reply's head is read from the parser's
raw headers and its body, usually whole by then, taken without an async iterator. Health
checks (GET, rare) still go through ``httpx.Request``.

Around the pool: which proxy a call takes (``_proxy.py``), how a connection is opened
(``_connect.py``), how a body is decoded (``_decoding.py``). Bodies are read raw and decoded
chunk by chunk, with a cap counted on the decoded bytes, so a gzip bomb or a 100 MB reply
never holds more than the cap in memory.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from collections.abc import Awaitable, Coroutine, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import httpx

from core._errors import InvalidReplyError, TransportError
from core.transports._base import Endpoint
from core.transports.http._pool import Origin, PoolTransport, framing, head_lines, origin_of
from core.transports.http._proxy import Proxy, pick_proxy
from core.transports.http._reply import PooledReply, reply_decoder, status_error

__all__ = ["HttpTransport", "TlsPolicy", "user_agent"]

log = logging.getLogger("scatterdash.http")

TlsPolicy = tuple[bool, str | None]
"""(verify, ca_bundle): endpoints with the same policy share one connection pool"""


def user_agent() -> str:
    try:
        version = metadata.version("scatterdash")
    except metadata.PackageNotFoundError:  # run from a source tree without installing
        version = "dev"
    return f"scatterdash/{version}"


def _ssl_context(policy: TlsPolicy, environ: Mapping[str, str]) -> ssl.SSLContext:
    verify, ca_bundle = policy
    # the system's trust store unless the supplier, or SSL_CERT_FILE, names a bundle
    bundle = ca_bundle or environ.get("SSL_CERT_FILE") or None
    try:
        context = ssl.create_default_context(cafile=bundle)
    except (ssl.SSLError, OSError) as exc:  # the file changed since the config was read
        source = "" if ca_bundle else " (SSL_CERT_FILE)"
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        raise httpx.ConnectError(f"cannot load the CA bundle {bundle}{source}: {reason}") from None
    context.set_alpn_protocols(["http/1.1"])
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


@dataclass(frozen=True, slots=True)
class _Prepared:
    url: httpx.URL
    headers: httpx.Headers
    pool: PoolTransport
    extensions: dict[str, object]
    proxy: Proxy | None
    origin: Origin
    connect_timeout: float | None
    post_head: bytes
    """a POST's head up to its correlation id's value"""
    head_error: str | None
    """why no POST can be sent (a header that cannot be written)"""

    @property
    def answering_proxy(self) -> Proxy | None:
        """The proxy that may itself answer a request's status: plain http goes to it in
        absolute form; inside an https tunnel every status is the supplier's."""
        return self.proxy if self.url.scheme == "http" else None


class _Resend:
    """A pooled call's one fresh try (:meth:`PooledReply.failed`), as one object: a
    closure over the same six values is eight objects per call for the collector to scan
    while a thousand calls are in flight."""

    __slots__ = ("_body", "_correlation_id", "_head", "_max_bytes", "_prepared", "_transport")

    def __init__(
        self,
        transport: HttpTransport,
        prepared: _Prepared,
        head: bytes,
        body: bytes,
        correlation_id: str,
        max_bytes: int,
    ) -> None:
        self._transport = transport
        self._prepared = prepared
        self._head = head
        self._body = body
        self._correlation_id = correlation_id
        self._max_bytes = max_bytes

    def __call__(self) -> Coroutine[Any, Any, bytes]:
        return self._transport._reply(
            self._prepared,
            self._head,
            self._body,
            self._correlation_id,
            self._max_bytes,
            fresh=True,
        )


class HttpTransport:
    """POSTs JSON bodies to supplier URLs and returns the reply bodies."""

    kind = "http"

    def __init__(
        self,
        *,
        max_idle_per_origin: int = 8,
        max_connections_per_origin: int = 32,
        keepalive_s: float = 30.0,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._max_idle = max_idle_per_origin
        self._max_open = max_connections_per_origin
        self._keepalive_s = keepalive_s
        self._environ = os.environ if environ is None else environ
        self._user_agent = user_agent()
        self._pools: dict[TlsPolicy, PoolTransport] = {}
        self._prepared: dict[Endpoint, _Prepared] = {}
        self._proxy_environ: dict[str, str] | None = None

    def _pool(self, policy: TlsPolicy) -> PoolTransport:
        pool = self._pools.get(policy)
        if pool is None:
            environ = self._environ
            pool = self._pools[policy] = PoolTransport(
                # built on the first https connection only: a default context costs ~20 ms
                ssl_context=lambda: _ssl_context(policy, environ),
                max_idle_per_origin=self._max_idle,
                max_connections_per_origin=self._max_open,
                keepalive_s=self._keepalive_s,
            )
        return pool

    def _proxy_variables(self) -> dict[str, str]:
        """The environment's proxy settings, read once: scanning the whole environment for
        each of a thousand suppliers cost 0.1–0.26 s of CPU on the first comparison."""
        if self._proxy_environ is None:
            self._proxy_environ = {
                name: value
                for name, value in self._environ.items()
                if name.lower().endswith("_proxy") or name == "REQUEST_METHOD"
            }
        return self._proxy_environ

    def _prepare(self, endpoint: Endpoint) -> _Prepared:
        prepared = self._prepared.get(endpoint)
        if prepared is None:
            url = httpx.URL(endpoint.address)
            port = url.port or (443 if url.scheme == "https" else 80)
            try:
                proxy = pick_proxy(
                    endpoint.proxy, url.scheme, url.host, port, self._proxy_variables()
                )
            except ValueError as exc:
                raise TransportError(f"proxy: {exc}") from None
            # normalised once: copying an httpx.Headers is half the cost of building one
            headers = httpx.Headers(
                [
                    ("Content-Type", "application/json"),
                    ("Accept", "application/json"),
                    ("Accept-Encoding", "gzip, deflate"),
                    ("User-Agent", self._user_agent),
                    *endpoint.headers.items(),
                ]
            )
            extensions: dict[str, object] = {
                "proxy": proxy,
                "timeout": {"connect": endpoint.connect_timeout},
            }
            pool = self._pool((endpoint.verify, endpoint.ca_bundle))
            origin = origin_of(url, proxy)
            post_head, head_error = _post_head(url, headers, proxy)
            prepared = _Prepared(
                url,
                headers,
                pool,
                extensions,
                proxy,
                origin,
                endpoint.connect_timeout,
                post_head,
                head_error,
            )
            self._prepared[endpoint] = prepared
            if proxy is not None:
                log.debug("supplier %s goes through proxy %s", endpoint.name, proxy)
        return prepared

    async def request(
        self, endpoint: Endpoint, body: bytes, *, correlation_id: str, max_bytes: int
    ) -> bytes:
        return await self.begin(endpoint, body, correlation_id=correlation_id, max_bytes=max_bytes)

    def begin(
        self, endpoint: Endpoint, body: bytes, *, correlation_id: str, max_bytes: int
    ) -> Awaitable[bytes]:
        """``request``, with the request written before this returns when a pooled
        connection to the endpoint is idle (no await, no task): a scatter's requests then
        leave back to back instead of one per task step. Its reply is then a
        :class:`PooledReply`, a future the connection fills in as the reply arrives;
        otherwise a coroutine that opens or waits for a connection first. Either must be
        awaited or cancelled: dropped, it would leave its connection in limbo."""
        prepared = self._prepare(endpoint)
        if prepared.head_error is not None:
            return _failing(TransportError(prepared.head_error))
        head = prepared.post_head + _header_value(correlation_id) + framing(body)
        pool = prepared.pool
        connection = pool.idle_connection(prepared.origin, prepared.connect_timeout)
        if connection is None:
            return self._reply(prepared, head, body, correlation_id, max_bytes)
        retry = _Resend(self, prepared, head, body, correlation_id, max_bytes)
        reply = PooledReply(
            pool, connection, correlation_id, max_bytes, prepared.answering_proxy, retry
        )
        connection.start_for(head, body, reply)
        return reply

    async def _reply(
        self,
        prepared: _Prepared,
        head: bytes,
        body: bytes,
        correlation_id: str,
        max_bytes: int,
        *,
        fresh: bool = False,
    ) -> bytes:
        pool = prepared.pool
        try:
            status, headers, reason, connection = await pool.exchange(
                prepared.origin, head, body, prepared.connect_timeout, fresh=fresh
            )
        except httpx.TransportError as exc:
            raise TransportError(str(exc) or type(exc).__name__) from None
        if status != 200:
            # the rest of an error reply is read and dropped: the connection stays usable
            pool.abandon(connection)
            raise status_error(status, reason, headers, prepared.answering_proxy)
        try:
            decoder = reply_decoder(headers, correlation_id, max_bytes)
            parts: list[bytes] = []
            if not connection.take(decoder.feed, parts):
                await connection.read_all(decoder.feed, parts)
            parts.append(decoder.finish())
        except asyncio.CancelledError:
            pool.abandon(connection)  # its late reply is read and dropped (_drain.py)
            raise
        except httpx.TransportError as exc:
            pool.release(connection)
            raise TransportError(str(exc) or type(exc).__name__) from None
        except BaseException:
            pool.release(connection)
            raise
        pool.release(connection)
        return parts[0] if len(parts) == 2 and not parts[1] else b"".join(parts)

    async def check(self, endpoint: Endpoint, *, max_bytes: int) -> None:
        """GET ``endpoint`` (a supplier's health URL): return on any 2xx, raise otherwise."""
        prepared = self._prepare(endpoint)
        request = httpx.Request(
            "GET", prepared.url, headers=prepared.headers, extensions=prepared.extensions
        )
        try:
            response = await prepared.pool.handle_async_request(request)
            try:
                status = response.status_code
                if not 200 <= status < 300:  # said as a quote call's status would be
                    error = status_error(
                        status,
                        response.reason_phrase.encode("ascii", "ignore"),
                        response.headers.raw,
                        prepared.answering_proxy,
                    )
                    raise TransportError(str(error))  # not "invalid": there is no quote
                size = 0
                async for chunk in response.aiter_raw():  # read it all: the connection is reused
                    size += len(chunk)
                    if size > max_bytes:
                        raise InvalidReplyError(f"health reply larger than {max_bytes} bytes")
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            raise TransportError(str(exc) or type(exc).__name__) from None

    async def settle(self) -> None:
        """Wait for the connections being opened in the background."""
        for pool in tuple(self._pools.values()):
            await pool.settle()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        self._prepared.clear()
        for pool in pools:
            await pool.aclose()


def _post_head(
    url: httpx.URL, headers: httpx.Headers, proxy: Proxy | None
) -> tuple[bytes, str | None]:
    raw = [(name, value) for name, value in headers.raw if name.lower() != b"x-correlation-id"]
    try:
        lines = head_lines(b"POST", url, raw, proxy)
    except httpx.LocalProtocolError as exc:
        return b"", str(exc)
    lines.append(b"X-Correlation-ID: ")
    return b"\r\n".join(lines), None


async def _failing(error: TransportError) -> bytes:
    raise error


def _header_value(correlation_id: str) -> bytes:
    if "\r" in correlation_id or "\n" in correlation_id:
        raise TransportError("header contains a line break")
    try:
        return correlation_id.encode("ascii")
    except UnicodeEncodeError:
        raise TransportError("correlation id is not ASCII") from None
