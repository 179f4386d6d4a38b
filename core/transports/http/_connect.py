"""Opening one connection to an origin: directly, to an HTTP proxy, or through a CONNECT tunnel.

Every failure is an ``httpx.ConnectError`` (``httpx.ProxyError`` when the proxy is at
fault) whose message names the proxy, never the supplier, when the proxy is the problem.
The whole of it (TCP, tunnel, TLS handshake) runs under one connect timeout. With debug
logging on (``-vv``), each new connection is logged with its route, TLS and connect time;
proxies only as ``http://host:port``, never their credentials.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import time
from collections.abc import Callable
from typing import TypeVar

import httpx

from core.transports.http._proxy import Proxy

__all__ = ["authority", "open_connection"]

log = logging.getLogger("scatterdash.http")

#: a CONNECT reply's head larger than this is not a proxy talking
MAX_TUNNEL_HEAD = 16 * 1024

P = TypeVar("P", bound=asyncio.BaseProtocol)


class _TunnelReply(asyncio.Protocol):
    """Reads the proxy's reply to CONNECT, up to the end of its head."""

    def __init__(self) -> None:
        self.head: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self.trailing = False
        """bytes came after the head: a refusal's body, or a broken tunnel"""
        self._buffer = b""

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end >= 0 and not self.head.done():
            self.head.set_result(self._buffer[:end])
            self.trailing = len(self._buffer) > end + 4
        elif len(self._buffer) > MAX_TUNNEL_HEAD and not self.head.done():
            self.head.set_exception(ValueError("CONNECT reply head too large"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.head.done():
            self.head.set_exception(ConnectionError("closed during CONNECT"))


def authority(host: str, port: int) -> str:
    """``host:port``, an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _connect_error(exc: OSError, what: str) -> httpx.ConnectError:
    if isinstance(exc, ConnectionRefusedError):
        reason = "connection refused"
    elif isinstance(exc, socket.gaierror):
        reason = "cannot resolve host"
    elif isinstance(exc, ssl.SSLError):
        reason = f"TLS handshake failed: {exc.reason or exc}"
    else:
        reason = f"cannot connect: {exc.strerror or exc}"
    return httpx.ConnectError(f"{what}{reason}")


def _proxy_error(proxy: Proxy, reason: str) -> httpx.ProxyError:
    return httpx.ProxyError(f"proxy {proxy.url}: {reason}")


async def _tunnel(
    loop: asyncio.AbstractEventLoop, proxy: Proxy, host: str, port: int
) -> asyncio.Transport:
    try:
        transport, reply = await loop.create_connection(_TunnelReply, proxy.host, proxy.port)
    except OSError as exc:
        raise _proxy_error(proxy, str(_connect_error(exc, ""))) from None
    target = authority(host, port)
    lines = [f"CONNECT {target} HTTP/1.1".encode(), f"Host: {target}".encode()]
    if proxy.authorization is not None:
        lines.append(b"Proxy-Authorization: " + proxy.authorization)
    transport.write(b"\r\n".join(lines) + b"\r\n\r\n")
    try:
        head = await reply.head
    except (ValueError, ConnectionError) as exc:
        transport.close()
        raise _proxy_error(proxy, f"tunnel to {target} failed: {exc}") from None
    except BaseException:
        transport.close()
        raise
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        transport.close()
        raise _proxy_error(proxy, f"not an HTTP proxy reply to CONNECT: {status_line[:80]!r}")
    if not 200 <= int(parts[1]) < 300:
        transport.close()
        reason = " ".join(parts[1:])[:100]
        raise _proxy_error(proxy, f"refused the tunnel to {target}: HTTP {reason}")
    if reply.trailing:  # the supplier speaks only once our TLS hello reached it
        transport.close()
        raise _proxy_error(proxy, f"tunnel to {target} failed: data after the CONNECT reply")
    assert isinstance(transport, asyncio.Transport)
    return transport


async def _open(
    protocol_factory: Callable[[], P],
    scheme: str,
    host: str,
    port: int,
    proxy: Proxy | None,
    ssl_context: Callable[[], ssl.SSLContext],
    stage: list[str],
) -> tuple[asyncio.Transport, P]:
    loop = asyncio.get_running_loop()
    if proxy is not None and scheme == "https":
        raw = await _tunnel(loop, proxy, host, port)
        stage[0] = f"{host}:{port} (TLS handshake through proxy {proxy.url})"
        protocol = protocol_factory()
        try:
            transport = await loop.start_tls(raw, protocol, ssl_context(), server_hostname=host)
        except OSError as exc:
            raw.close()
            raise _connect_error(exc, "") from None
        except BaseException:
            raw.close()
            raise
        assert transport is not None
        protocol.connection_made(transport)  # start_tls does not call it
        return transport, protocol
    if proxy is not None:  # plain http: requests go to the proxy in absolute form
        try:
            return await loop.create_connection(protocol_factory, proxy.host, proxy.port)
        except OSError as exc:
            raise _proxy_error(proxy, str(_connect_error(exc, ""))) from None
    context = ssl_context() if scheme == "https" else None
    try:
        return await loop.create_connection(
            protocol_factory,
            host,
            port,
            ssl=context,
            server_hostname=host if context is not None else None,
        )
    except OSError as exc:
        raise _connect_error(exc, "") from None


async def open_connection(
    protocol_factory: Callable[[], P],
    scheme: str,
    host: str,
    port: int,
    *,
    proxy: Proxy | None,
    ssl_context: Callable[[], ssl.SSLContext],
    timeout: float | None,
) -> tuple[asyncio.Transport, P]:
    """Open a connection for ``scheme://host:port`` and return its transport and protocol."""
    # what the connect was waiting for, should it time out
    stage = [f"proxy {proxy.url}" if proxy is not None else f"{host}:{port}"]
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            opened = await _open(protocol_factory, scheme, host, port, proxy, ssl_context, stage)
    except TimeoutError:
        raise httpx.ConnectTimeout(f"connect timeout ({timeout:g} s) to {stage[0]}") from None
    if log.isEnabledFor(logging.DEBUG):
        log.debug(
            "new connection to %s://%s, %s, %s, connected in %.1f ms",
            scheme,
            authority(host, port),
            _route(scheme, proxy),
            _security(opened[0]),
            (time.perf_counter() - started) * 1000.0,
        )
    return opened


def _route(scheme: str, proxy: Proxy | None) -> str:
    if proxy is None:
        return "direct"
    if scheme == "https":
        return f"tunnel through proxy {proxy.url}"
    return f"through proxy {proxy.url}"


def _security(transport: asyncio.Transport) -> str:
    tls = transport.get_extra_info("ssl_object")
    if not isinstance(tls, ssl.SSLObject):
        return "plain"
    verified = tls.context.verify_mode != ssl.CERT_NONE
    return f"{tls.version() or 'TLS'}{'' if verified else ', certificate NOT verified'}"
