"""Alerts an operator should not miss: a breaker opens, or a supplier's p95 passes its timeout.

:class:`HealthAlerts` watches a comparator's events. A breaker opening alerts at once. A
slow supplier is found by :meth:`HealthAlerts.check`, called on a timer: it re-reads the
rolling p95 of the suppliers that timed out since the last check (only a timeout can take
a p95 to the timeout: successful calls end before it), a slice at a time within a small
budget, and alerts once when the p95 reaches the supplier's timeout, again
only after it has come back under it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from core._config import Config
from core._engine import OWN_TIMEOUT_SLACK_S
from core._events import BreakerTransition, CallResult, Event, ProbeCompleted
from core._results import Status
from core.health._window import HealthWindow

__all__ = ["Alert", "HealthAlerts"]

TIMEOUT_TIMER_SLACK_MS = OWN_TIMEOUT_SLACK_S * 1000.0
"""a call cut off by its own timeout may be measured this much under it: one timer run cuts
off every call falling due within the slack (``core._engine``)"""


@dataclass(frozen=True, slots=True)
class Alert:
    supplier: str
    kind: str
    """``breaker-open`` or ``slow``"""
    message: str
    at: float
    """wall-clock seconds"""


class HealthAlerts:
    def __init__(
        self,
        config: Config,
        window: HealthWindow,
        on_alert: Callable[[Alert], object],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        default = config.defaults.supplier_timeout
        self._timeout_ms = {s.name: (s.timeout or default) * 1000.0 for s in config.suppliers}
        self._window = window
        self._on_alert = on_alert
        self._clock = clock
        self._slow: set[str] = set()
        self._dirty: dict[str, None] = {}  # insertion-ordered: oldest first

    def observe(self, event: Event) -> None:
        if isinstance(event, BreakerTransition):
            if event.new == "open":
                message = f"{event.supplier}: circuit breaker opened ({event.reason})"
                self._on_alert(Alert(event.supplier, "breaker-open", message, event.at))
        elif isinstance(event, ProbeCompleted):
            self._mark(event.supplier, timed_out=event.status == Status.TIMEOUT)
        elif isinstance(event, CallResult):
            result = event.result
            self._mark(result.name, timed_out=result.own_timeout)

    def _mark(self, name: str, *, timed_out: bool) -> None:
        # successful calls finish within the timeout: only timeouts can take the p95 there,
        # and only a supplier already slow needs every sample (to see it recover)
        if (timed_out or name in self._slow) and name in self._timeout_ms:
            self._dirty[name] = None

    @property
    def slow(self) -> frozenset[str]:
        """Suppliers whose p95 is at or past their timeout (as of the last check)."""
        return frozenset(self._slow)

    def check(self, budget_s: float = 0.001) -> None:
        """Re-read the p95 of suppliers with new samples, oldest first, for at most ``budget_s``."""
        ends = time.perf_counter() + budget_s
        now = self._clock()
        while self._dirty:
            name = next(iter(self._dirty))
            del self._dirty[name]
            p95 = self._window.stats(name, now).p95_ms
            limit = self._timeout_ms[name]
            if p95 is not None and p95 >= limit - TIMEOUT_TIMER_SLACK_MS:
                if name not in self._slow:
                    self._slow.add(name)
                    message = (
                        f"{name}: p95 latency {p95:.0f} ms has reached its timeout "
                        f"({limit:.0f} ms) over the last {self._window.window_s:g} s"
                    )
                    self._on_alert(Alert(name, "slow", message, now))
            else:
                self._slow.discard(name)
            if time.perf_counter() >= ends:
                break
