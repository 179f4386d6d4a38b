"""What one scatter produces: one result per destination."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Status", "SupplierResult"]

ReplyT = TypeVar("ReplyT")


class Status(enum.StrEnum):
    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    INVALID = "invalid"
    CIRCUIT_OPEN = "circuit_open"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class SupplierResult(Generic[ReplyT]):
    """The single outcome of one destination in one scatter.

    ``latency_ms`` is the wall time of the call in float milliseconds: ``None`` for a
    destination that was never called (``circuit_open``), the time until the cancel for
    ``cancelled``. ``error`` is a one-line reason, ``None`` only when ``status`` is ok.
    """

    name: str
    status: Status
    latency_ms: float | None
    reply: ReplyT | None = None
    error: str | None = None
    #: the timeout was the destination's own (counts against its breaker), not the deadline
    own_timeout: bool = False

    @property
    def ok(self) -> bool:
        return self.status is Status.OK
