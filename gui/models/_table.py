"""What every table model here shares: a fixed list of columns with headers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

__all__ = [
    "ALIGNMENT",
    "ALIGN_RIGHT",
    "BACKGROUND",
    "DECORATION",
    "DISPLAY",
    "FONT",
    "FOREGROUND",
    "TOOLTIP",
    "CachedTableModel",
    "ModelIndex",
    "Roles",
    "TableModel",
]

ModelIndex = QModelIndex | QPersistentModelIndex
ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class TableModel(QAbstractTableModel):
    """``rowCount``, ``columnCount`` and ``headerData`` from class attributes; subclasses
    give ``row_count()`` and ``data()``."""

    headers: tuple[str, ...] = ()
    header_tooltips: ClassVar[Mapping[int, str]] = {}
    right_aligned: frozenset[int] = frozenset()

    def row_count(self) -> int:
        raise NotImplementedError

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.row_count()

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.headers):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.header_tooltips.get(section)
        if role == Qt.ItemDataRole.TextAlignmentRole and section in self.right_aligned:
            return ALIGN_RIGHT
        return None


Roles = dict[int, Any]
"""one cell's values by role; int keys, since Qt hands the role over as an int"""

DISPLAY = int(Qt.ItemDataRole.DisplayRole)
DECORATION = int(Qt.ItemDataRole.DecorationRole)
TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
FONT = int(Qt.ItemDataRole.FontRole)
ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)


class CachedTableModel(TableModel):
    """``data()`` answered from each row's table of roles, built when the row is first asked.

    Why: a view asks every visible cell for about seven roles on every paint, each a call
    into Python; a ``data()`` that branched on role and column made a repaint of a
    200-supplier table cost 3–8 ms of the GUI thread (``tests/bench/bench_gui.py
    --sustained``). Subclasses give :meth:`row_roles` and call :meth:`forget` when a
    row's values change, :meth:`forget_all` when rows come and go. Roles asked for
    rarely (tooltips, sort keys) go to :meth:`lazy_data` instead.
    """

    lazy_roles: frozenset[int] = frozenset({TOOLTIP})

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._roles: list[tuple[Roles, ...] | None] = []

    def row_roles(self, row: int) -> tuple[Roles, ...]:
        """Each column's values by role for ``row``."""
        raise NotImplementedError

    def lazy_data(self, row: int, column: int, role: int) -> Any:
        return None

    def forget(self, row: int) -> None:
        self._roles[row] = None

    def forget_all(self) -> None:
        self._roles = [None] * self.row_count()

    def restyle(self) -> None:
        """The palette changed: colours are built anew when the rows are next painted."""
        self.forget_all()
        rows = self.row_count()
        if rows:
            self.dataChanged.emit(self.index(0, 0), self.index(rows - 1, len(self.headers) - 1))

    def data(self, index: ModelIndex, role: int = DISPLAY) -> Any:
        if not index.isValid():
            return None
        row = index.row()
        cells = self._roles[row]
        if cells is None:
            cells = self._roles[row] = self.row_roles(row)
        roles = cells[index.column()]
        if role in roles:
            return roles[role]
        if role in self.lazy_roles:
            return self.lazy_data(row, index.column(), role)
        return None
