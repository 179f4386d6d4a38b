"""The transport interface: how a request body reaches one destination and a reply returns.

Everything above a transport (engine, strategies, breakers, GUI) is transport-agnostic.
A transport raises :class:`TransportError` when the call fails and
:class:`InvalidReplyError` when a reply arrived but cannot be accepted (too large,
wrong content type…). It never enforces the call's time limit: the engine does, by
cancelling the call, which must then release whatever the call holds.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["EagerTransport", "Endpoint", "Transport"]


@dataclass(frozen=True, slots=True, eq=False)
class Endpoint:
    """Where and how to reach one destination.

    Compared and hashed by identity: transports key what they derive from an endpoint
    (parsed URL, headers, TLS pool) on the endpoint itself, never on its name.
    """

    name: str
    address: str
    """a URL for HTTP; a queue, subject or topic for brokers"""
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    """extra headers to send (may hold a secret: never logged or shown)"""
    verify: bool = True
    """verify the peer's TLS certificate"""
    ca_bundle: str | None = None
    """CA certificates to verify it with, instead of the system's"""
    proxy: str | bool | None = field(default=None, repr=False)
    """an HTTP proxy URL (may hold credentials: never shown), ``False`` for a direct
    connection, ``None`` to follow the environment (``HTTP_PROXY``…)"""
    connect_timeout: float | None = None
    """seconds to open a connection (TCP, proxy tunnel, TLS), within the call's own time"""
    broker: str | None = field(default=None, repr=False)
    """the broker's URL for a broker transport (may hold credentials: never logged or shown)"""


class Transport(Protocol):
    kind: str
    """"http", "amqp", "nats", "kafka": shown in the GUI"""

    async def request(
        self, endpoint: Endpoint, body: bytes, *, correlation_id: str, max_bytes: int
    ) -> bytes:
        """Send ``body`` to ``endpoint``; return the reply body (at most ``max_bytes``)."""
        ...

    async def aclose(self) -> None:
        """Release every connection; the transport is unusable afterwards."""
        ...


class EagerTransport(Transport, Protocol):
    """A transport that can put a request on the wire before anything is awaited."""

    def begin(
        self, endpoint: Endpoint, body: bytes, *, correlation_id: str, max_bytes: int
    ) -> Awaitable[bytes]:
        """What ``request`` does, with the request sent (when it can be at once) before
        this returns. What it returns must then be awaited, or cancelled if it is an
        ``asyncio.Future``: it holds what was sent."""
        ...
