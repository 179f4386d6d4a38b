"""What the broker transports share: replies matched to their call by correlation id, the
reply checks of the wire contract, and the connection state shown in the GUI."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from enum import StrEnum
from urllib.parse import urlsplit

from core._errors import InvalidReplyError, TransportError

__all__ = [
    "BrokerState",
    "Handler",
    "Reply",
    "Waiters",
    "check_reply",
    "error_text",
    "scrub",
    "settle",
]

log = logging.getLogger("scatterdash.broker")

JSON = "application/json"

Handler = Callable[[bytes], Awaitable[bytes | None]]
"""an adapter's answer to one request body: the reply body, or None for no reply"""

Reply = tuple[bytes, str | None]
"""a reply's body and content type"""


def scrub(text: str, url: str) -> str:
    """``text`` (an error message) without the broker URL's user name or password."""
    parts = urlsplit(url) if "://" in url else None
    for secret in (parts.password, parts.username) if parts else ():
        if secret:
            text = text.replace(secret, "***")
    return text


class BrokerState(StrEnum):
    IDLE = "idle"
    """not connected yet: the first call connects"""
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    """the connection was lost; the next call reconnects"""
    CLOSED = "closed"


class Waiters:
    """The calls waiting for a reply, by correlation id.

    A reply whose id has no waiter (late: its call timed out or was cancelled; duplicate:
    it was answered already; unknown: never sent by us) is dropped and counted.
    """

    def __init__(self) -> None:
        self._pending: dict[str, asyncio.Future[Reply]] = {}
        self._prefix = uuid.uuid4().hex[:12]
        self._sequence = itertools.count(1)
        self.dropped = 0

    def new_id(self, correlation_id: str) -> str:
        """A wire correlation id unique per (comparison, supplier) call."""
        return f"{correlation_id}-{self._prefix}{next(self._sequence)}"

    def register(self, wire_id: str) -> asyncio.Future[Reply]:
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending[wire_id] = future
        return future

    def discard(self, wire_id: str) -> None:
        self._pending.pop(wire_id, None)

    def resolve(self, wire_id: str | None, body: bytes, content_type: str | None = None) -> None:
        future = self._pending.pop(wire_id, None) if wire_id is not None else None
        if future is None or future.done():
            self.dropped += 1
            log.debug("dropped a late, duplicate or unknown reply (%d so far)", self.dropped)
            return
        future.set_result((body, content_type))

    def fail(self, wire_id: str, error: Exception) -> None:
        future = self._pending.pop(wire_id, None)
        if future is not None and not future.done():
            future.set_exception(error)

    def fail_all(self, error: Exception) -> None:
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(error)

    def __len__(self) -> int:
        return len(self._pending)


def settle(future: asyncio.Future[None], *_args: object) -> None:
    """Mark ``future`` done unless it is: a close callback's whole job."""
    if not future.done():
        future.set_result(None)


def error_text(raw: bytes) -> str | None:
    """The text of an adapter's ``{"error": "..."}`` reply, or None for anything else."""
    if b'"error"' not in raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if isinstance(data, dict) and "error" in data and "supplier_id" not in data:
        return str(data["error"])[:200] or "error"
    return None


def check_reply(reply: Reply, max_bytes: int) -> bytes:
    """The reply body, or InvalidReplyError / TransportError as the wire contract says."""
    raw, content_type = reply
    if len(raw) > max_bytes:
        raise InvalidReplyError(f"reply larger than {max_bytes} bytes")
    if content_type and content_type.split(";")[0].strip().lower() != JSON:
        raise InvalidReplyError(f"reply content type {content_type[:64]!r} is not {JSON}")
    text = error_text(raw)
    if text is not None:
        raise TransportError(f"supplier error: {text}")
    return raw
