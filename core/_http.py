"""HTTP transport: httpx requests and responses over an aiohttp connection pool.

Measured on this machine (tests/bench): one shared ``httpx.AsyncClient`` spends ~410 ms
of CPU per scatter to 100 loopback suppliers (its pool rescans every connection,
encode/httpx#3215); one client per supplier still ~78 ms; httpx's own
``AsyncHTTPTransport`` called directly ~59 ms. httpx's request/response API driven
straight into the ``httpx-aiohttp`` transport (a single aiohttp pool with C parsers)
costs ~20 ms, so that is what this module does. It is the only module that knows
about httpx or aiohttp: swapping the pool (httpx2, another transport) happens here.

Bodies are read raw and decoded here, chunk by chunk, with a cap counted on the decoded
bytes, so a gzip bomb or a 100 MB reply never holds more than the cap in memory.
"""

from __future__ import annotations

import errno
import logging
import ssl
import zlib
from collections.abc import AsyncIterator

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from core._errors import InvalidReplyError, TransportError
from core._transport import Endpoint

__all__ = ["HttpTransport", "TlsPolicy"]

log = logging.getLogger("scatterdash.http")

TlsPolicy = tuple[bool, str | None]
"""(verify, ca_bundle): suppliers with the same policy share one connection pool"""


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


def _reason(exc: BaseException) -> str:
    """A short, secret-free description of a failed HTTP call."""
    seen: BaseException | None = exc
    while seen is not None:
        if (
            isinstance(seen, ConnectionRefusedError)
            or getattr(seen, "errno", None) == errno.ECONNREFUSED
        ):
            return "connection refused"
        if isinstance(seen, ssl.SSLError | aiohttp.ClientSSLError):
            return f"TLS handshake failed: {getattr(seen, 'reason', None) or seen}"
        if isinstance(seen, aiohttp.ClientConnectorDNSError):
            return "cannot resolve host"
        if isinstance(seen, aiohttp.ServerDisconnectedError):
            return "server disconnected"
        if isinstance(seen, aiohttp.ClientPayloadError):
            return "connection lost mid-body"
        if isinstance(seen, ConnectionResetError):
            return "connection reset"
        seen = seen.__cause__ or seen.__context__
    return type(exc).__name__ if not str(exc) else str(exc)


class HttpTransport:
    """POSTs JSON to supplier URLs."""

    kind = "http"

    def __init__(self, *, per_host_connections: int = 8, keepalive_s: float = 30.0) -> None:
        self._per_host = per_host_connections
        self._keepalive_s = keepalive_s
        self._pools: dict[TlsPolicy, AiohttpTransport] = {}
        self._sessions: list[aiohttp.ClientSession] = []
        self._policies: dict[str, TlsPolicy] = {}

    def set_tls(
        self, endpoint_name: str, *, verify: bool = True, ca_bundle: str | None = None
    ) -> None:
        """Use a non-default TLS policy for one endpoint."""
        self._policies[endpoint_name] = (verify, ca_bundle)

    def _pool(self, policy: TlsPolicy) -> AiohttpTransport:
        pool = self._pools.get(policy)
        if pool is None:
            verify, ca_bundle = policy
            context = ssl.create_default_context(cafile=ca_bundle) if verify else False
            connector = aiohttp.TCPConnector(
                limit=0,
                limit_per_host=self._per_host,
                keepalive_timeout=self._keepalive_s,
                ssl=context,
            )
            session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
            self._sessions.append(session)
            pool = self._pools[policy] = AiohttpTransport(client=session)
        return pool

    async def request(
        self, endpoint: Endpoint, body: bytes, *, correlation_id: str, max_bytes: int
    ) -> bytes:
        headers = {
            "content-type": "application/json",
            "accept": "application/json",
            "accept-encoding": "gzip, deflate",
            "x-correlation-id": correlation_id,
            **endpoint.headers,
        }
        request = httpx.Request("POST", endpoint.address, content=body, headers=headers)
        pool = self._pool(self._policies.get(endpoint.name, (True, None)))
        try:
            response = await pool.handle_async_request(request)
        except (httpx.TransportError, aiohttp.ClientError, OSError) as exc:
            raise TransportError(_reason(exc)) from None
        try:
            return await self._read(response, correlation_id, max_bytes)
        except (httpx.TransportError, aiohttp.ClientError, OSError) as exc:
            raise TransportError(_reason(exc)) from None
        finally:
            await response.aclose()

    @staticmethod
    async def _read(response: httpx.Response, correlation_id: str, max_bytes: int) -> bytes:
        status = response.status_code
        if status >= 400:
            raise TransportError(f"HTTP {status} {response.reason_phrase}".strip())
        if status != 200:
            raise InvalidReplyError(f"unexpected HTTP {status}")
        echoed = response.headers.get("x-correlation-id")
        if echoed is not None and echoed != correlation_id:
            raise InvalidReplyError(f"reply is for another correlation id ({echoed[:64]!r})")
        length = response.headers.get("content-length")
        if (
            length is not None
            and length.isdigit()
            and int(length) > max_bytes
            and not response.headers.get("content-encoding")
        ):
            raise InvalidReplyError(
                f"reply larger than {max_bytes} bytes (Content-Length {length})"
            )
        decoder = _CappedDecoder(response.headers.get("content-encoding", ""), max_bytes)
        return b"".join([decoder.feed(chunk) async for chunk in _raw(response)])

    async def aclose(self) -> None:
        sessions, self._sessions = self._sessions, []
        self._pools.clear()
        for session in sessions:
            await session.close()


async def _raw(response: httpx.Response) -> AsyncIterator[bytes]:
    async for chunk in response.aiter_raw():
        yield chunk
