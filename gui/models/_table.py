"""What every table model here shares: a fixed list of columns with headers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

__all__ = ["ALIGN_RIGHT", "ModelIndex", "TableModel"]

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
