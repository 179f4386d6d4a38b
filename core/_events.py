"""Plain-Python events for observers (the GUI, the CLI's verbose log, tests).

Observers are called synchronously, in subscription order, the moment a thing happens.
An observer that raises is logged and does not disturb the comparison or other observers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from core._results import SupplierResult

__all__ = [
    "BreakerTransition",
    "CallResult",
    "CallSent",
    "ComparisonFinished",
    "ComparisonStarted",
    "Emitter",
    "Event",
    "ProbeCompleted",
]

log = logging.getLogger("scatterdash.events")


@dataclass(frozen=True, slots=True)
class CallSent:
    correlation_id: str
    supplier: str
    at: float
    """``time.perf_counter()`` when the call started"""


@dataclass(frozen=True, slots=True)
class CallResult:
    correlation_id: str
    result: SupplierResult[Any]
    at: float


@dataclass(frozen=True, slots=True)
class ComparisonStarted:
    correlation_id: str
    strategy: str
    suppliers: tuple[str, ...]
    deadline_s: float
    at: float
    product_id: str | None = None
    quantity: int | None = None


@dataclass(frozen=True, slots=True)
class ComparisonFinished:
    correlation_id: str
    comparison: Any
    """the finished :class:`core.Comparison`"""
    at: float


@dataclass(frozen=True, slots=True)
class BreakerTransition:
    supplier: str
    old: str
    new: str
    reason: str
    at: float
    """wall-clock seconds (``time.time()``), for timestamps in logs"""


@dataclass(frozen=True, slots=True)
class ProbeCompleted:
    """One health probe of one supplier finished (the health monitor emits these)."""

    supplier: str
    status: str
    """a :class:`core.Status` value: ok, error, timeout, invalid"""
    latency_ms: float | None
    error: str | None
    state: str
    """the supplier's breaker state after the probe (a :class:`core.BreakerState` value)"""
    at: float
    """wall-clock seconds (``time.time()``)"""


Event = (
    CallSent
    | CallResult
    | ComparisonStarted
    | ComparisonFinished
    | BreakerTransition
    | ProbeCompleted
)

E = TypeVar("E")


class Emitter(Generic[E]):
    """A minimal synchronous observer list."""

    def __init__(self) -> None:
        self._observers: list[Callable[[E], object]] = []

    def subscribe(self, observer: Callable[[E], object]) -> Callable[[], None]:
        """Add an observer; returns a function that removes it."""
        self._observers.append(observer)

        def unsubscribe() -> None:
            if observer in self._observers:
                self._observers.remove(observer)

        return unsubscribe

    @property
    def listened(self) -> bool:
        """Someone is subscribed: emitters on hot paths build events only then."""
        return bool(self._observers)

    def emit(self, event: E) -> None:
        for observer in tuple(self._observers):
            try:
                observer(event)
            except Exception:
                log.exception("observer %r failed on %s", observer, type(event).__name__)
