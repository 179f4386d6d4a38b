"""The window's comparison history: shown at once, written to disk in the background.

:class:`HistoryKeeper` puts each finished comparison on top of the History table the
moment it finishes and appends it to the JSON Lines file (``core.ComparisonHistory``,
which writes in a worker thread) as a tracked task. At start it reads the file back, so
nothing is lost across restarts. Trouble with the file is logged (and so shown in the
Event log), never raised: the dashboard works on without its history.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from core import Comparison, ComparisonHistory
from gui.models.history_model import HistoryEntry, HistoryModel
from gui.tasks import TaskSet

__all__ = ["HISTORY_FILE", "HistoryKeeper", "default_history_path"]

log = logging.getLogger("scatterdash.gui.history")

HISTORY_FILE = "history.jsonl"


def default_history_path() -> Path:
    """``history.jsonl`` in the per-user application data directory."""
    location = QStandardPaths.StandardLocation.AppDataLocation
    return Path(QStandardPaths.writableLocation(location)) / HISTORY_FILE


class HistoryKeeper:
    def __init__(self, path: Path, model: HistoryModel, tasks: TaskSet) -> None:
        """``tasks``: where the background writes run (awaited, not cut short, on close)."""
        self.path = path
        self.model = model
        self.store = ComparisonHistory(path)
        self._tasks = tasks
        self.loaded = False
        """the file has been read (or could not be)"""

    async def load(self) -> int:
        """Show the file's newest entries below anything already shown; returns how many."""
        try:
            entries = await self.store.load(limit=self.model.max_rows)
        except (OSError, ValueError) as exc:
            log.warning("history: cannot read %s: %s", self.path, _reason(exc))
            return 0
        finally:
            self.loaded = True
        return self.model.add_older(entries)

    def record(self, comparison: Comparison) -> None:
        """Show ``comparison`` on top now; append it to the file in the background."""
        self.model.add(HistoryEntry.from_comparison(comparison, time.time()))
        if self._tasks.closed:  # finished while the window was closing: too late to write
            log.warning("history: %s not recorded, the window closed", comparison.correlation_id)
            return
        self._tasks.spawn(self._write(comparison), name="history record")

    async def _write(self, comparison: Comparison) -> None:
        try:
            await self.store.record(comparison)
        except (OSError, ValueError) as exc:
            log.warning("history: cannot write %s: %s", self.path, _reason(exc))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
