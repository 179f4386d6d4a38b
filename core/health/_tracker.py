"""Live per-supplier health, fed by engine events: what a dashboard row shows.

Qt-free: the GUI's table model reads these snapshots on a timer.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from core._breaker import BreakerState, CircuitBreaker
from core._events import CallResult, CallSent, Event, ProbeCompleted
from core._results import Status

__all__ = ["HealthTracker", "SupplierHealth"]


@dataclass(frozen=True, slots=True)
class SupplierHealth:
    name: str
    state: BreakerState
    calls: int
    """calls in the rolling window"""
    success_rate: float | None
    error_rate: float | None
    last_latency_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    in_flight: int
    half_open_in_s: float | None
    """for an open breaker, seconds until it lets trial calls through"""
    last_status: Status | None
    last_error: str | None

    @property
    def healthy(self) -> bool:
        return self.state in (BreakerState.CLOSED, BreakerState.FORCED_CLOSED) and (
            self.last_status in (None, Status.OK, Status.CANCELLED)
        )


class _Supplier:
    __slots__ = (
        "in_flight",
        "last_error",
        "last_latency",
        "last_status",
        "latencies",
        "outcomes",
        "percentiles",
    )

    def __init__(self, window: int) -> None:
        self.latencies: deque[float] = deque(maxlen=100)
        self.outcomes: deque[bool] = deque(maxlen=window)  # True = success
        self.in_flight = 0
        self.last_latency: float | None = None
        self.last_status: Status | None = None
        self.last_error: str | None = None
        #: (p50, p95), computed when first asked for after a new latency arrives
        self.percentiles: tuple[float | None, float | None] | None = (None, None)

    def add_latency(self, latency_ms: float) -> None:
        self.latencies.append(latency_ms)
        self.percentiles = None

    def p50_p95(self) -> tuple[float | None, float | None]:
        if self.percentiles is None:
            ordered = sorted(self.latencies)
            self.percentiles = (_percentile(ordered, 50), _percentile(ordered, 95))
        return self.percentiles


def _percentile(ordered: list[float], q: int) -> float | None:
    """``statistics.quantiles(values, n=100, method="inclusive")[q - 1]`` on sorted values,
    without computing the 98 other cut points (a tenth of the cost; the GUI reads hundreds
    of suppliers' percentiles per refresh)."""
    if len(ordered) < 2:
        return ordered[0] if ordered else None
    j, delta = divmod(q * (len(ordered) - 1), 100)
    return (ordered[j] * (100 - delta) + ordered[j + 1] * delta) / 100


class HealthTracker:
    """Subscribe ``observe`` to a comparator's events; read ``snapshot()`` when drawing."""

    def __init__(self, breakers: dict[str, CircuitBreaker], window: int = 20) -> None:
        self.breakers = breakers
        self._suppliers = {name: _Supplier(window) for name in breakers}

    def observe(self, event: Event) -> None:
        if isinstance(event, CallSent):
            supplier = self._suppliers.get(event.supplier)
            if supplier is not None:
                supplier.in_flight += 1
        elif isinstance(event, CallResult):
            result = event.result
            supplier = self._suppliers.get(result.name)
            if supplier is None or result.status is Status.CIRCUIT_OPEN:
                return
            supplier.in_flight = max(0, supplier.in_flight - 1)
            if result.status is Status.CANCELLED or (
                result.status is Status.TIMEOUT and not result.own_timeout
            ):
                return  # says nothing about the supplier: its breaker ignores it too
            supplier.last_status = result.status
            supplier.last_error = result.error
            if result.latency_ms is not None:
                supplier.last_latency = result.latency_ms
                if result.ok:
                    supplier.add_latency(result.latency_ms)
            supplier.outcomes.append(result.ok)

        elif isinstance(event, ProbeCompleted):
            self._observe_probe(event)

    def _observe_probe(self, event: ProbeCompleted) -> None:
        supplier = self._suppliers.get(event.supplier)
        if supplier is None:
            return
        status = Status(event.status)
        supplier.last_status = status
        supplier.last_error = event.error
        if event.latency_ms is not None:
            supplier.last_latency = event.latency_ms
            if status is Status.OK:
                supplier.add_latency(event.latency_ms)
        supplier.outcomes.append(status is Status.OK)

    def snapshot(self) -> list[SupplierHealth]:
        return [self.health(name) for name in self._suppliers]

    def health(self, name: str) -> SupplierHealth:
        supplier = self._suppliers[name]
        breaker = self.breakers[name]
        calls = len(supplier.outcomes)
        successes = sum(supplier.outcomes)
        p50, p95 = supplier.p50_p95()
        return SupplierHealth(
            name=name,
            state=breaker.state,
            calls=calls,
            success_rate=successes / calls if calls else None,
            error_rate=(calls - successes) / calls if calls else None,
            last_latency_ms=supplier.last_latency,
            p50_ms=p50,
            p95_ms=p95,
            in_flight=supplier.in_flight,
            half_open_in_s=breaker.seconds_until_half_open(),
            last_status=supplier.last_status,
            last_error=supplier.last_error,
        )

    def reset(self, name: str) -> None:
        """Forget a supplier's history (after an operator reset)."""
        window = self._suppliers[name].outcomes.maxlen or 20
        in_flight = self._suppliers[name].in_flight
        self._suppliers[name] = _Supplier(window)
        self._suppliers[name].in_flight = in_flight
