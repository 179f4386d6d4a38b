"""HTTP transport: JSON POSTs to suppliers, through httpx's request/response API.

Measured on this machine (tests/bench/bench_core.py and the table in the README): one
shared ``httpx.AsyncClient`` spends ~410 ms of CPU per scatter to 100 loopback suppliers
(its pool rescans every connection, encode/httpx#3215); one client per supplier ~78 ms;
httpx's ``AsyncHTTPTransport`` called directly ~59 ms; the ``httpx-aiohttp`` transport
~20 ms. ``PoolTransport`` (core/_http/_pool.py), an httpx transport built for fan-out,
is what this package uses. It is the only place that knows httpx: swapping
the transport underneath (httpx2, another pool) happens here.

Bodies are read raw and decoded here, chunk by chunk, with a cap counted on the decoded
bytes, so a gzip bomb or a 100 MB reply never holds more than the cap in memory.
"""

from __future__ import annotations

import logging
import ssl
import zlib

import httpx

from core._errors import InvalidReplyError, TransportError
from core.transports._base import Endpoint
from core.transports.http._pool import PoolTransport

__all__ = ["HttpTransport", "TlsPolicy"]

log = logging.getLogger("scatterdash.http")

TlsPolicy = tuple[bool, str | None]
"""(verify, ca_bundle): endpoints with the same policy share one connection pool"""


class _CappedDecoder:
    """Decodes identity/gzip/deflate bodies, refusing to produce more than ``cap`` bytes."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.cap = cap
        self.size = 0
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self._zlib = None
        elif encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
        else:
            raise InvalidReplyError(f"unsupported content encoding {encoding[:32]!r}")

    def feed(self, chunk: bytes) -> bytes:
        if self._zlib is None:
            out = chunk
        else:
            try:
                # ask for one byte more than the cap allows: enough to know it is too large
                out = self._zlib.decompress(chunk, self.cap - self.size + 1)
            except zlib.error as exc:
                raise InvalidReplyError(f"corrupt compressed body: {exc}") from None
        self.size += len(out)
        if self.size > self.cap:
            raise InvalidReplyError(f"reply larger than {self.cap} bytes")
        return out


def _ssl_context(policy: TlsPolicy) -> ssl.SSLContext:
    verify, ca_bundle = policy
    context = ssl.create_default_context(cafile=ca_bundle)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class HttpTransport:
    """POSTs JSON bodies to supplier URLs and returns the reply bodies."""

    kind = "http"

    def __init__(self, *, max_idle_per_origin: int = 8, keepalive_s: float = 30.0) -> None:
        self._max_idle = max_idle_per_origin
        self._keepalive_s = keepalive_s
        self._pools: dict[TlsPolicy, PoolTransport] = {}
        self._prepared: dict[Endpoint, tuple[httpx.URL, httpx.Headers, PoolTransport]] = {}

    def _pool(self, policy: TlsPolicy) -> PoolTransport:
        pool = self._pools.get(policy)
        if pool is None:
            pool = self._pools[policy] = PoolTransport(
                # built on the first https connection only: a default context costs ~20 ms
                ssl_context=lambda: _ssl_context(policy),
                max_idle_per_origin=self._max_idle,
                keepalive_s=self._keepalive_s,
            )
        return pool

    def _prepare(self, endpoint: Endpoint) -> tuple[httpx.URL, httpx.Headers, PoolTransport]:
        prepared = self._prepared.get(endpoint)
        if prepared is None:
            # normalised once: copying an httpx.Headers is half the cost of building one
            headers = httpx.Headers(
                [
                    ("Content-Type", "application/json"),
                    ("Accept", "application/json"),
                    ("Accept-Encoding", "gzip, deflate"),
                    *endpoint.headers.items(),
                ]
            )
            pool = self._pool((endpoint.verify, endpoint.ca_bundle))
            prepared = self._prepared[endpoint] = (httpx.URL(endpoint.address), headers, pool)
        return prepared

    async def request(
        self, endpoint: Endpoint, body: bytes, *, correlation_id: str, max_bytes: int
    ) -> bytes:
        url, base_headers, pool = self._prepare(endpoint)
        headers = httpx.Headers(base_headers)
        headers["X-Correlation-ID"] = correlation_id
        request = httpx.Request("POST", url, content=body, headers=headers)
        try:
            response = await pool.handle_async_request(request)
        except httpx.TransportError as exc:
            raise TransportError(str(exc) or type(exc).__name__) from None
        try:
            return await self._read(response, correlation_id, max_bytes)
        except httpx.TransportError as exc:
            raise TransportError(str(exc) or type(exc).__name__) from None
        finally:
            await response.aclose()

    @staticmethod
    async def _read(response: httpx.Response, correlation_id: str, max_bytes: int) -> bytes:
        status = response.status_code
        if status >= 400:
            raise TransportError(f"HTTP {status} {response.reason_phrase}".strip())
        if status != 200:
            raise InvalidReplyError(f"unexpected HTTP {status}")
        # one pass over the raw headers: httpx's Headers.get rescans and re-decodes per call
        wanted = {b"x-correlation-id": b"", b"content-encoding": b"", b"content-length": b""}
        for name, value in response.headers.raw:
            lower = name.lower()
            if lower in wanted:
                wanted[lower] = value
        echoed = wanted[b"x-correlation-id"].decode("latin-1")
        if echoed and echoed != correlation_id:
            raise InvalidReplyError(f"reply is for another correlation id ({echoed[:64]!r})")
        encoding = wanted[b"content-encoding"].decode("latin-1")
        length = wanted[b"content-length"]
        if not encoding and length.isdigit() and int(length) > max_bytes:
            raise InvalidReplyError(
                f"reply larger than {max_bytes} bytes (Content-Length {length.decode()})"
            )
        decoder = _CappedDecoder(encoding, max_bytes)
        return b"".join([decoder.feed(chunk) async for chunk in response.aiter_raw()])

    async def settle(self) -> None:
        """Wait for the connections being opened in the background."""
        for pool in tuple(self._pools.values()):
            await pool.settle()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        self._prepared.clear()
        for pool in pools:
            await pool.aclose()
