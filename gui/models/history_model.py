"""Recorded comparisons (``historyTable``), newest first.

Rows come from the history database (:meth:`HistoryEntry.from_summary`), from a comparison
that just finished (:meth:`HistoryEntry.from_comparison`) or from a plain mapping
(``Comparison.to_dict()`` plus ``recorded_at``, ``product_id`` and ``quantity``):
:meth:`HistoryEntry.from_dict` takes what it can and returns ``None`` for anything it
cannot use, so a strange entry never breaks the view.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, Qt

from core import Comparison, HistorySummary, Status
from gui import theme
from gui.icons import dot
from gui.models._table import ModelIndex, TableModel

__all__ = [
    "DECIDED_ROLE",
    "MAX_ROWS",
    "HistoryColumn",
    "HistoryEntry",
    "HistoryModel",
]


MAX_ROWS = 500
"""rows kept in the view (the database keeps more)"""
DECIDED_ROLE = Qt.ItemDataRole.UserRole + 1
"""whether the row's comparison decided (a bool)"""


class HistoryColumn(enum.IntEnum):
    TIME = 0
    REQUEST = 1
    STRATEGY = 2
    OUTCOME = 3
    ELAPSED = 4


_HEADERS = ("Time", "Request", "Strategy", "Outcome", "Elapsed")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """What one row shows of one recorded comparison."""

    recorded_at: float
    correlation_id: str
    product_id: str
    quantity: int | None
    strategy: str
    decided: bool
    partial: bool
    winner: str | None
    total: float | None
    currency: str | None
    error: str | None
    elapsed_ms: float | None

    @classmethod
    def from_dict(cls, entry: Mapping[str, Any]) -> HistoryEntry | None:
        recorded_at = _number(entry.get("recorded_at"))
        correlation_id = _text(entry.get("correlation_id"))
        if recorded_at is None or correlation_id is None:
            return None
        quantity = entry.get("quantity")
        decided = entry.get("decided") is True
        # the deciding quote; for ``all`` the result is every quote: show the cheapest
        result = entry.get("result")
        chosen = result if isinstance(result, Mapping) else entry.get("cheapest")
        chosen = chosen if decided and isinstance(chosen, Mapping) else {}
        return cls(
            recorded_at=recorded_at,
            correlation_id=correlation_id,
            product_id=_text(entry.get("product_id")) or "?",
            quantity=quantity if type(quantity) is int else None,
            strategy=_text(entry.get("strategy")) or "?",
            decided=decided,
            partial=entry.get("partial") is True,
            winner=_text(chosen.get("supplier")),
            total=_number(chosen.get("total_price")),
            currency=_text(chosen.get("currency")),
            error=_text(entry.get("error")),
            elapsed_ms=_number(entry.get("elapsed_ms")),
        )

    @classmethod
    def from_comparison(cls, comparison: Comparison, recorded_at: float) -> HistoryEntry:
        """The row of a comparison that just finished (what its history line will say)."""
        winner = comparison.winner if comparison.decided else None
        return cls(
            recorded_at=recorded_at,
            correlation_id=comparison.correlation_id,
            product_id=comparison.product_id,
            quantity=comparison.quantity,
            strategy=comparison.strategy,
            decided=comparison.decided,
            partial=comparison.partial,
            winner=winner.supplier if winner else None,
            total=winner.quote.total_price if winner else None,
            currency=winner.quote.currency if winner else None,
            error=comparison.error,
            elapsed_ms=comparison.elapsed_ms,
        )

    @classmethod
    def from_summary(cls, summary: HistorySummary) -> HistoryEntry:
        """A row read back from the history database."""
        return cls(
            recorded_at=summary.recorded_at,
            correlation_id=summary.correlation_id,
            product_id=summary.product_id,
            quantity=summary.quantity,
            strategy=summary.strategy,
            decided=summary.decided,
            partial=summary.partial,
            winner=summary.winner,
            total=summary.total_price,
            currency=summary.currency,
            error=summary.error,
            elapsed_ms=summary.elapsed_ms,
        )

    @property
    def request(self) -> str:
        return f"{self.quantity} × {self.product_id}" if self.quantity else self.product_id

    @property
    def outcome(self) -> str:
        if not self.decided:
            return f"undecided: {self.error or 'no decision'}"
        if self.winner is None:
            return "decided"
        total = f" · {self.total:,.2f} {self.currency or ''}".rstrip() if self.total else ""
        return f"{self.winner}{total}"


def _texts(entry: HistoryEntry) -> tuple[str, ...]:
    when = datetime.fromtimestamp(entry.recorded_at)
    elapsed = "—" if entry.elapsed_ms is None else f"{entry.elapsed_ms:,.0f} ms"
    return (
        when.strftime("%d %b %H:%M:%S"),
        entry.request,
        entry.strategy,
        entry.outcome,
        elapsed,
    )


def _tooltip(entry: HistoryEntry) -> str:
    when = datetime.fromtimestamp(entry.recorded_at).isoformat(sep=" ", timespec="seconds")
    lines = [f"{entry.request} · {entry.strategy} · {when}", entry.outcome]
    if entry.partial:
        lines.append("partial: the deadline cut some suppliers off")
    lines.append(f"correlation id {entry.correlation_id}")
    return "\n".join(lines)


class HistoryModel(TableModel):
    """Read-only; newest first; texts are computed once per entry, not per paint."""

    headers = _HEADERS
    right_aligned = frozenset({int(HistoryColumn.ELAPSED)})

    def __init__(self, parent: Any = None, *, max_rows: int = MAX_ROWS) -> None:
        super().__init__(parent)
        self.max_rows = max_rows
        self._entries: list[HistoryEntry] = []
        self._texts: list[tuple[str, ...]] = []
        self._ids: set[str] = set()

    # -- changes -------------------------------------------------------------------------

    def add(self, entry: Mapping[str, Any] | HistoryEntry) -> bool:
        """A comparison just finished: it goes on top. False if unusable or already shown."""
        parsed = entry if isinstance(entry, HistoryEntry) else HistoryEntry.from_dict(entry)
        if parsed is None or parsed.correlation_id in self._ids:
            return False
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._entries.insert(0, parsed)
        self._texts.insert(0, _texts(parsed))
        self._ids.add(parsed.correlation_id)
        self.endInsertRows()
        self._trim()
        return True

    def replace(self, entries: Iterable[HistoryEntry]) -> None:
        """Show exactly ``entries`` (newest first), e.g. after the filters changed."""
        kept = list(entries)[: self.max_rows]
        self.beginResetModel()
        self._entries = kept
        self._texts = [_texts(entry) for entry in kept]
        self._ids = {entry.correlation_id for entry in kept}
        self.endResetModel()

    def add_older(self, entries: Iterable[Mapping[str, Any] | HistoryEntry]) -> int:
        """Entries read from the history (oldest first) go below what is shown; returns how
        many.

        A comparison that finished while the history was being read may be both in what
        was read and already on top: it is shown once.
        """
        parsed = [
            entry if isinstance(entry, HistoryEntry) else HistoryEntry.from_dict(entry)
            for entry in entries
            if isinstance(entry, Mapping | HistoryEntry)
        ]
        fresh: list[HistoryEntry] = []
        seen = set(self._ids)
        for entry in reversed(parsed):  # newest first
            if entry is not None and entry.correlation_id not in seen:
                seen.add(entry.correlation_id)
                fresh.append(entry)
        fresh = fresh[: max(0, self.max_rows - len(self._entries))]
        if not fresh:
            return 0
        first = len(self._entries)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self._entries.extend(fresh)
        self._texts.extend(_texts(entry) for entry in fresh)
        self._ids.update(entry.correlation_id for entry in fresh)
        self.endInsertRows()
        return len(fresh)

    def _trim(self) -> None:
        extra = len(self._entries) - self.max_rows
        if extra <= 0:
            return
        first = self.max_rows
        self.beginRemoveRows(QModelIndex(), first, first + extra - 1)
        for entry in self._entries[first:]:
            self._ids.discard(entry.correlation_id)
        del self._entries[first:]
        del self._texts[first:]
        self.endRemoveRows()

    def entry(self, row: int) -> HistoryEntry:
        return self._entries[row]

    # -- Qt model interface --------------------------------------------------------------

    def row_count(self) -> int:
        return len(self._entries)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._entries) and 0 <= column < len(HistoryColumn)):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts[row][column]
        entry = self._entries[row]
        if role == DECIDED_ROLE:
            return entry.decided
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(entry)
        if role == Qt.ItemDataRole.DecorationRole and column == HistoryColumn.OUTCOME:
            status = Status.OK if entry.decided else Status.ERROR
            return dot(theme.outcome_color(status).name())
        if role == Qt.ItemDataRole.TextAlignmentRole and column == HistoryColumn.ELAPSED:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
