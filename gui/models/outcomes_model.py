"""How each supplier ended in the last comparison (``outcomesTable``), config order."""

from __future__ import annotations

import enum
from typing import Any

from PySide6.QtCore import Qt

from core import Status
from gui import theme
from gui.icons import dot
from gui.models._table import ModelIndex, TableModel

__all__ = ["STATUS_ROLE", "Outcome", "OutcomeColumn", "OutcomesModel"]


STATUS_ROLE = Qt.ItemDataRole.UserRole + 1
"""the row's :class:`core.Status` (``None`` while still in flight)"""


class OutcomeColumn(enum.IntEnum):
    SUPPLIER = 0
    OUTCOME = 1
    LATENCY = 2
    DETAIL = 3


_HEADERS = ("Supplier", "Outcome", "Latency", "Detail")

Outcome = tuple[str, Status | None, float | None, str | None]
"""(supplier, status or None while in flight, latency ms, error)"""


def _texts(outcome: Outcome, winner: str | None) -> tuple[str, ...]:
    name, status, latency, error = outcome
    label = theme.outcome_label(status)
    return (
        f"★ {name}" if name == winner else name,
        label,
        "—" if latency is None else f"{latency:.0f} ms",
        "" if error == label else error or "",  # "circuit open" twice says nothing more
    )


class OutcomesModel(TableModel):
    """Read-only; texts are computed once per comparison, not per paint."""

    headers = _HEADERS
    right_aligned = frozenset()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Outcome] = []
        self._texts: list[tuple[str, ...]] = []

    def set_outcomes(self, rows: list[Outcome], winner: str | None = None) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._texts = [_texts(row, winner) for row in self._rows]
        self.endResetModel()

    def outcome(self, row: int) -> Outcome:
        return self._rows[row]

    def row_count(self) -> int:
        return len(self._rows)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts[row][column]
        status = self._rows[row][1]
        if role == STATUS_ROLE:
            return status
        if role == Qt.ItemDataRole.DecorationRole and column == OutcomeColumn.OUTCOME:
            return dot(theme.outcome_color(status).name())
        if role == Qt.ItemDataRole.TextAlignmentRole and column == OutcomeColumn.LATENCY:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and self._rows[row][3]:
            return f"{self._rows[row][0]}: {self._rows[row][3]}"
        return None
