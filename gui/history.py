"""The window's history: the SQLite database behind its writer thread, and the History table.

:class:`HistoryKeeper` records every comparison of every session (a
:class:`core.HistoryRecorder` on the session's events hands them, with every breaker
transition and probe, to :class:`core.HistoryService`, which writes on its own thread:
nothing here waits for the disk on the UI loop). It shows each finished comparison on top
of the table at once, reads the table back (filtered) at start and when the filters
change, fetches a past comparison to open or replay, and gives each session's health
window the last 15 minutes on record. A database that cannot be used gives one warning
(shown in the Event log) and the window goes on with history off.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Coroutine, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths

from core import (
    CallResult,
    CallSent,
    Comparison,
    ComparisonStarted,
    FallbackQuote,
    HistoryFilter,
    HistoryRecorder,
    HistoryService,
    HistorySummary,
    Status,
    StoredComparison,
)
from core.storage import (
    data_dir,
    default_database_path,
    find_fallback,
    legacy_paths,
    restore_health,
)
from gui.live import LiveRun
from gui.models.history_model import HistoryEntry, HistoryModel
from gui.session import Session

__all__ = ["HistoryKeeper", "default_history_path", "legacy_history_paths", "recorded_run"]

log = logging.getLogger("scatterdash.gui.history")


def default_history_path() -> Path:
    """The history database in the per-user data directory (``SCATTERDASH_DATA_DIR``)."""
    return default_database_path()


def legacy_history_paths() -> tuple[Path, ...]:
    """Where older versions of the window kept ``history.jsonl``, imported once."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    qt_file = Path(location) / "history.jsonl" if location else None
    paths = legacy_paths(data_dir())
    return paths + ((qt_file,) if qt_file is not None and qt_file not in paths else ())


def _matches(where: HistoryFilter, comparison: Comparison, recorded_at: float) -> bool:
    return (
        (not where.product or comparison.product_id == where.product)
        and (not where.supplier or any(r.name == where.supplier for r in comparison.suppliers))
        and (where.since is None or recorded_at >= where.since)
        and (where.until is None or recorded_at < where.until)
        and (not where.search or where.search in comparison.correlation_id)
    )


class HistoryKeeper:
    def __init__(
        self,
        path: Path,
        model: HistoryModel,
        *,
        keep_days: float = 30.0,
        legacy: Sequence[Path] = (),
    ) -> None:
        self.path = path
        self.model = model
        self.service = HistoryService(path, keep_days=keep_days, legacy=legacy)
        self.recorder = HistoryRecorder(self.service, source="window")
        self.where = HistoryFilter()
        """what the table shows"""
        self.loaded = False
        """the table has been read from the database (or it could not be)"""

    def follow(self, session: Session) -> None:
        """Record ``session``'s comparisons, transitions and probes (until it closes)."""
        session.subscribe(self.recorder.observe)

    def restore_health(self, session: Session) -> Coroutine[Any, Any, int] | None:
        """Give ``session``'s health window the last 15 minutes on record (its samples and
        breaker spans); ``None`` with history off. Call it before the session's first event
        (what the window observes from now on is held and added after what is read) and
        await what it returns."""
        breakers = {name: b.state.value for name, b in session.comparator.breakers.items()}
        return restore_health(session.health_window, self.service, breakers)

    async def load(self, where: HistoryFilter | None = None) -> int:
        """Show the newest recorded comparisons that pass ``where`` (default: the current
        filters); returns how many."""
        if where is not None:
            self.where = where
        wanted = replace(self.where, limit=self.model.max_rows)
        try:
            none: list[HistorySummary] = []
            summaries = await self.service.call(lambda db: db.comparisons(wanted), none)
        finally:
            self.loaded = True
        if where is None:  # at start: keep comparisons that finished meanwhile on top
            return self.model.add_older(HistoryEntry.from_summary(s) for s in reversed(summaries))
        self.model.replace(HistoryEntry.from_summary(s) for s in summaries)
        return len(summaries)

    def record(self, comparison: Comparison) -> None:
        """Show ``comparison`` on top now (if it passes the filters); the recorder writes it."""
        now = time.time()
        if _matches(self.where, comparison, now):
            self.model.add(HistoryEntry.from_comparison(comparison, now))

    async def find(self, correlation_id: str) -> StoredComparison | None:
        return await self.service.call(lambda db: db.find(correlation_id), None)

    async def fallback(
        self, comparison: Comparison, max_age_s: float, currency: str | None = None
    ) -> FallbackQuote | None:
        """The newest good recorded quote for an undecided comparison (``None``: none), in
        ``currency`` when the config names one."""
        now = time.time()
        return await self.service.call(
            lambda db: find_fallback(
                db, comparison, max_age_s=max_age_s, now=now, currency=currency
            ),
            None,
        )

    async def aclose(self) -> None:
        """Write what is queued and close the database."""
        await self.service.aclose()


def recorded_run(stored: StoredComparison, comparison: Comparison) -> LiveRun:
    """A finished :class:`LiveRun` that draws ``comparison``'s bars as they were recorded."""
    names = tuple(outcome.supplier for outcome in stored.outcomes)
    deadline_s = stored.deadline_s or max(comparison.elapsed_ms / 1000.0, 0.001)
    cid = comparison.correlation_id
    run = LiveRun(
        ComparisonStarted(
            cid,
            comparison.strategy,
            names,
            deadline_s,
            0.0,
            product_id=comparison.product_id,
            quantity=comparison.quantity,
        ),
        names,
    )
    for result in comparison.suppliers:
        if result.status is not Status.CIRCUIT_OPEN:
            run.on_sent(CallSent(cid, result.name, 0.0))
        run.on_result(CallResult(cid, result, 0.0))
    run.on_finished(comparison)
    return run
