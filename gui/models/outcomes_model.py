"""How each supplier ended in the last comparison (``outcomesTable``), config order."""

from __future__ import annotations

import enum
from typing import Any

from PySide6.QtCore import Qt

from core import Status
from gui import theme
from gui.icons import dot
from gui.models._table import (
    ALIGN_RIGHT,
    ALIGNMENT,
    DECORATION,
    DISPLAY,
    CachedTableModel,
    Roles,
)

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


class OutcomesModel(CachedTableModel):
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
        self.forget_all()
        self.endResetModel()

    def outcome(self, row: int) -> Outcome:
        return self._rows[row]

    def row_count(self) -> int:
        return len(self._rows)

    def row_roles(self, row: int) -> tuple[Roles, ...]:
        status = self._rows[row][1]
        cells: list[Roles] = [{DISPLAY: text, STATUS_ROLE: status} for text in self._texts[row]]
        cells[OutcomeColumn.OUTCOME][DECORATION] = dot(theme.outcome_color(status).name())
        cells[OutcomeColumn.LATENCY][ALIGNMENT] = ALIGN_RIGHT
        return tuple(cells)

    def lazy_data(self, row: int, column: int, role: int) -> Any:
        name, _status, _latency, error = self._rows[row]
        return f"{name}: {error}" if error else None
