"""What the History panel's buttons do in the window: filter, open, replay, and the stale
fallback suggestion under an undecided result.

Everything that reads the database is a task on the window's loop awaiting the history's
worker thread; the UI loop never waits for the disk.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from core import Comparison, HistoryFilter, StoredComparison
from core.storage import recorded_comparison, replay
from gui.history import recorded_run
from gui.models.history_model import HistoryEntry
from gui.widgets.event_log import Level
from gui.wording import describe_quote

if TYPE_CHECKING:
    from gui.main_window import MainWindow

__all__ = ["HistoryBrowser"]


class HistoryBrowser:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        panel = window.history_panel
        panel.filterChanged.connect(self.filter)
        panel.openRequested.connect(self.open)
        panel.replayRequested.connect(self.replay)

    # -- the panel's requests --------------------------------------------------------------

    def filter(self, where: HistoryFilter) -> asyncio.Task[int]:
        return self.window.tasks.spawn(self.window.history.load(where), name="history filter")

    def open(self, entry: HistoryEntry) -> asyncio.Task[Comparison | None]:
        """Show a recorded comparison's bars and quotes as they were."""
        return self.window.tasks.spawn(self._open(entry), name="history open")

    def replay(self, entry: HistoryEntry, strategy: str) -> asyncio.Task[Comparison | None]:
        """Re-decide a recorded comparison under ``strategy`` (and the ticket's quorum and
        min responses) from its recorded replies: no supplier is called."""
        return self.window.tasks.spawn(self._replay(entry, strategy), name="history replay")

    def suggest_fallback(self, comparison: Comparison) -> None:
        """Under an undecided result: the newest good recorded quote, marked stale."""
        self.window.tasks.spawn(self._suggest(comparison), name="fallback")

    # -- the work --------------------------------------------------------------------------

    async def _stored(self, entry: HistoryEntry) -> StoredComparison | None:
        window = self.window
        if window.comparing:
            window.event_log.add(
                Level.WARNING, "history", "a comparison is running: open or replay when it is done"
            )
            return None
        stored = await window.history.find(entry.correlation_id)
        if window.comparing:  # started while the history was read: it keeps the view
            window.event_log.add(
                Level.WARNING, "history", "a comparison started: open or replay when it is done"
            )
            return None
        if stored is None:
            window.event_log.add(
                Level.WARNING, "history", f"{entry.correlation_id} is not in the history"
            )
        return stored

    async def _open(self, entry: HistoryEntry) -> Comparison | None:
        stored = await self._stored(entry)
        if stored is None:
            return None
        try:
            comparison = recorded_comparison(stored)
        except ValueError as exc:
            self.window.event_log.add(Level.ERROR, "history", str(exc))
            return None
        when = datetime.fromtimestamp(stored.summary.recorded_at).strftime("%d %b %H:%M:%S")
        self._show(stored, comparison, f"Recorded {when} — {comparison.strategy}")
        self.window.event_log.add(
            Level.INFO, "history", f"opened {comparison.correlation_id} as recorded {when}"
        )
        return comparison

    async def _replay(self, entry: HistoryEntry, strategy: str) -> Comparison | None:
        stored = await self._stored(entry)
        if stored is None:
            return None
        window = self.window
        ticket = window.ticket.ticket()
        min_responses = ticket.min_responses
        if min_responses is None:
            min_responses = window.config.defaults.min_responses
        try:
            replayed = replay(
                stored,
                strategy,
                quorum=ticket.quorum if strategy == "majority" else None,
                min_responses=min_responses,
            )
        except ValueError as exc:
            window.event_log.add(Level.ERROR, "history", str(exc))
            return None
        recorded = stored.summary
        outcome = (
            f"winner {describe_quote(replayed.winner)}"
            if replayed.decided
            else f"undecided: {replayed.error}"
        )
        self._show(
            stored,
            replayed,
            f"Replay — {strategy} (recorded as {recorded.strategy}) · would have decided "
            f"after {replayed.elapsed_ms:.0f} ms",
        )
        window.event_log.add(
            Level.INFO,
            "history",
            f"replay of {recorded.correlation_id} under {strategy}: {outcome}, after "
            f"{replayed.elapsed_ms:.0f} ms (recorded {recorded.strategy}: "
            f"{recorded.winner or recorded.error or 'decided'})",
        )
        return replayed

    def _show(self, stored: StoredComparison, comparison: Comparison, title: str) -> None:
        window = self.window
        run = recorded_run(stored, comparison)
        window.run = run
        window.comparison = comparison
        window.export_action.setEnabled(True)
        window.fallback_note.clear()
        window.latency_plot.follow(run)
        window.latency_plot.finish(comparison)
        window.latency.title.setText(title)
        window.result.show_comparison(comparison)

    async def _suggest(self, comparison: Comparison) -> None:
        window = self.window
        config = window.config
        found = await window.history.fallback(
            comparison, config.fallback.max_age, config.defaults.currency
        )
        if window.comparison is not comparison:  # another comparison is shown by now
            return
        window.fallback_note.show_fallback(found, searched=window.history.service.available)
        if found is not None:
            quote = found.quote
            window.event_log.add(
                Level.INFO,
                "fallback",
                f"stale fallback (not the result): {found.supplier} "
                f"{quote['total_price']:,.2f} {quote['currency']}, recorded "
                f"{found.age_text} ago",
            )
