"""The comparison being drawn right now: where each supplier's call stands (Qt-free).

Fed by engine events; read by the latency plot once per frame and by the ticket's
progress line. Bars are grouped by outcome so that the plot can keep one single-colour
bar item per outcome and redraw only the groups that changed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from core import CallResult, CallSent, Comparison, ComparisonStarted, ProgressCounts, Status

__all__ = ["CATEGORIES", "IN_FLIGHT", "Frame", "LiveRun"]

IN_FLIGHT = "in flight"
#: every bar group, in legend order: still running, then each final status
CATEGORIES: tuple[Status | str, ...] = (
    IN_FLIGHT,
    Status.OK,
    Status.TIMEOUT,
    Status.ERROR,
    Status.INVALID,
    Status.CIRCUIT_OPEN,
    Status.CANCELLED,
)
_CODE = {category: code for code, category in enumerate(CATEGORIES)}
_IN_FLIGHT = _CODE[IN_FLIGHT]
_NONE = -1

FloatArray = npt.NDArray[np.float64]


@dataclass(slots=True)
class Frame:
    """What to draw: for each group that changed since the last frame, its bars."""

    groups: dict[Status | str, tuple[FloatArray, FloatArray]] = field(default_factory=dict)
    """category → (row indexes, bar lengths in ms)"""
    longest_ms: float = 0.0


class LiveRun:
    """One comparison's calls, as they are sent and as their results arrive."""

    def __init__(self, started: ComparisonStarted, names: tuple[str, ...] | None = None) -> None:
        self.correlation_id = started.correlation_id
        self.strategy = started.strategy
        self.product_id = started.product_id
        """what is being compared (``None`` from an engine that does not say)"""
        self.quantity = started.quantity
        self.names = names if names is not None else started.suppliers
        self.deadline_ms = started.deadline_s * 1000.0
        self.started_at = started.at
        self._row = {name: index for index, name in enumerate(self.names)}
        count = len(self.names)
        # plain lists: events write single items (cheap); frames read them as arrays
        self.sent_at: list[float] = [0.0] * count
        self.length_ms: list[float] = [0.0] * count
        self.code: list[int] = [_NONE] * count
        self.statuses: dict[str, Status] = {}
        self.errors: dict[str, str | None] = {}
        self.sent = 0
        self.finished = 0
        self.skipped = 0
        self.counts = ProgressCounts(total=count)
        """replied, failed, timed out, cancelled and skipped, each on its own"""
        self.comparison: Comparison | None = None
        self._dirty: set[Status | str] = set(CATEGORIES)

    # -- events --------------------------------------------------------------------------

    def on_sent(self, event: CallSent) -> None:
        row = self._row.get(event.supplier)
        if row is None:
            return
        self.sent_at[row] = event.at
        self.code[row] = _IN_FLIGHT
        self.sent += 1
        self.counts.sent()
        self._dirty.add(IN_FLIGHT)

    def on_result(self, event: CallResult) -> None:
        result = event.result
        row = self._row.get(result.name)
        if row is None or result.name in self.statuses:
            return
        was_in_flight = self.code[row] == _IN_FLIGHT
        self.statuses[result.name] = result.status
        self.errors[result.name] = result.error
        self.code[row] = _CODE[result.status]
        self.counts.finished(result.status, called=was_in_flight)
        if result.status is Status.CIRCUIT_OPEN:
            self.skipped += 1
            self.length_ms[row] = 0.0
        elif not was_in_flight and result.latency_ms is None:  # never called: no bar
            self.length_ms[row] = 0.0
        else:
            self.finished += 1
            self.length_ms[row] = result.latency_ms or 0.0
        if was_in_flight:
            self._dirty.add(IN_FLIGHT)
        self._dirty.add(result.status)

    def on_finished(self, comparison: Comparison) -> None:
        self.comparison = comparison

    # -- reading -------------------------------------------------------------------------

    @property
    def uncalled(self) -> int:
        """calls never sent: the strategy decided (or the deadline came) while they waited"""
        return self.counts.not_called

    @property
    def in_flight(self) -> int:
        return self.sent - self.finished

    @property
    def done(self) -> bool:
        return (self.sent > 0 and self.in_flight == 0) or self.comparison is not None

    def progress_text(self) -> str:
        """ "7/12 replied · 1 failed · 4 in flight": each outcome counted on its own."""
        return self.counts.text()

    def frame(self, now: float | None = None, *, all_groups: bool = False) -> Frame:
        """Bars of every group changed since the last call (or of all of them)."""
        now = time.perf_counter() if now is None else now
        code = np.array(self.code, dtype=np.int8)
        lengths = np.array(self.length_ms, dtype=np.float64)
        in_flight = code == _IN_FLIGHT
        if in_flight.any():
            sent_at = np.array(self.sent_at, dtype=np.float64)
            lengths[in_flight] = (now - sent_at[in_flight]) * 1000.0
            self._dirty.add(IN_FLIGHT)
        dirty = set(CATEGORIES) if all_groups else self._dirty
        self._dirty = set()
        frame = Frame(longest_ms=float(lengths.max()) if len(lengths) else 0.0)
        for category in dirty:
            mask = code == _CODE[category]
            rows = np.flatnonzero(mask).astype(np.float64)
            frame.groups[category] = (rows, lengths[mask])
        return frame

    def row(self, name: str) -> int | None:
        return self._row.get(name)
