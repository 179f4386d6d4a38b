"""Turns the comparator's events into history records, as they happen.

Subscribed to a comparator's ``events``: it notes when each comparison started and the
order and moment each supplier's result arrived (what a replay needs), and hands every
finished comparison, breaker transition and probe to the :class:`HistoryService`, which
writes it on its own thread. Nothing here blocks or raises into the engine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from core._comparison import Comparison
from core._events import (
    BreakerTransition,
    CallResult,
    ComparisonFinished,
    ComparisonStarted,
    Emitter,
    Event,
    ProbeCompleted,
)
from core.storage._database import HistoryDatabase
from core.storage._records import ComparisonRecord
from core.storage._service import HistoryService

__all__ = ["HistoryRecorder"]

#: comparisons followed at once; one cancelled before it finished is forgotten after this
MAX_RUNNING = 256


@dataclass(slots=True)
class _Run:
    started_at: float
    deadline_s: float
    arrivals: dict[str, float] = field(default_factory=dict)
    """supplier → ms after the start, in arrival order"""


class HistoryRecorder:
    def __init__(
        self,
        service: HistoryService,
        *,
        source: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``source``: where the comparisons come from (``window`` or ``cli``)."""
        self.service = service
        self.source = source
        self._clock = clock
        self._running: dict[str, _Run] = {}

    def attach(self, events: Emitter[Event]) -> Callable[[], None]:
        """Follow ``events``; returns the function that stops it."""
        return events.subscribe(self.observe)

    def observe(self, event: Event) -> None:
        if isinstance(event, CallResult):
            run = self._running.get(event.correlation_id)
            if run is not None:
                name = event.result.name
                run.arrivals.setdefault(name, (event.at - run.started_at) * 1000.0)
        elif isinstance(event, ComparisonStarted):
            if len(self._running) >= MAX_RUNNING:
                del self._running[next(iter(self._running))]
            self._running[event.correlation_id] = _Run(event.at, event.deadline_s)
        elif isinstance(event, ComparisonFinished):
            run = self._running.pop(event.correlation_id, None)
            if isinstance(event.comparison, Comparison):
                self.record(event.comparison, run)
        elif isinstance(event, BreakerTransition):
            self.service.submit(lambda db: db.add_transition(event))
        elif isinstance(event, ProbeCompleted):
            self.service.submit(lambda db: db.add_probe(event))

    def record(self, comparison: Comparison, run: _Run | None = None) -> None:
        recorded_at, source = self._clock(), self.source
        arrivals = run.arrivals if run is not None else None
        deadline_s = run.deadline_s if run is not None else None

        def write(database: HistoryDatabase) -> None:
            # built on the writer thread: the comparison is immutable and the run is no
            # longer followed, so the event loop only pays for queueing it
            database.add_comparison(
                ComparisonRecord.from_comparison(
                    comparison,
                    recorded_at=recorded_at,
                    source=source,
                    arrivals=arrivals,
                    deadline_s=deadline_s,
                )
            )

        self.service.submit(write)
