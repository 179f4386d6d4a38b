"""Feeds the destinations table from the session's health tracker, a slice at a time.

Reading one supplier's health computes its latency percentiles (tens of µs); with 200
suppliers answering every comparison, re-reading every row at once would hold the GUI
thread for 10–20 ms. The feed re-reads only rows marked dirty by engine events, plus open
and half-open breakers (their countdown moves with time), and stops each tick after
``budget_s``; what is left waits for the next tick (oldest first).

Reading a row can emit a ``BreakerTransition`` (an open breaker turns half-open when its
state is read): the window only marks the row then and schedules a tick, and a tick that
is re-entered all the same stays correct.
"""

from __future__ import annotations

import time

from core import BreakerState, SupplierHealth
from gui.models.destinations_model import DestinationsModel
from gui.session import Session

__all__ = ["HealthFeed"]

#: rows read before they are handed to the model: the budget then counts the model's and
#: the table's work too (about four times the reading, with a thousand rows)
FLUSH_ROWS = 16

_TICKING = (BreakerState.OPEN, BreakerState.HALF_OPEN)


class HealthFeed:
    def __init__(self, session: Session, model: DestinationsModel, budget_s: float = 0.003):
        self.session = session
        self.model = model
        self.budget_s = budget_s
        self._names = session.supplier_names
        self._rows = {name: row for row, name in enumerate(self._names)}
        self._dirty: dict[str, None] = {}  # insertion-ordered set: oldest first

    def mark(self, name: str) -> None:
        """Something happened to ``name``: re-read its row on the next tick."""
        if name in self._rows:
            self._dirty[name] = None

    @property
    def pending(self) -> int:
        return len(self._dirty)

    def tick(self) -> None:
        """Re-read dirty and ticking rows, for at most ``budget_s``."""
        for row, name in enumerate(self._names):
            health = self.model.health(row)
            if health is not None and health.state in _TICKING:
                self._dirty.setdefault(name, None)
        ends = time.perf_counter() + self.budget_s
        tracker = self.session.health
        updates: dict[int, SupplierHealth] = {}
        # a snapshot, and only names still dirty: reading a row can turn its breaker
        # open → half-open, whose BreakerTransition event runs synchronously and may
        # mark rows or re-enter tick(), which then re-reads (and unmarks) some of them
        for name in list(self._dirty):
            if name not in self._dirty:
                continue
            self._dirty.pop(name, None)
            updates[self._rows[name]] = tracker.health(name)
            if len(updates) >= FLUSH_ROWS:
                self.model.update_rows(updates)
                updates = {}
            if time.perf_counter() >= ends:
                break
        if updates:
            self.model.update_rows(updates)
        self.model.show_connections(self.session.connection_states())

    def full(self) -> None:
        """Re-read every row now (start-up, screenshots, tests)."""
        self._dirty.clear()
        self.model.update(self.session.snapshot())
        self.model.show_connections(self.session.connection_states())
