"""The History panel: recent comparisons, newest first; double-click one to ask it again."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QVBoxLayout, QWidget

from gui.models.history_model import HistoryColumn, HistoryEntry, HistoryModel

__all__ = ["HistoryPanel"]


class HistoryPanel(QWidget):
    entryActivated = Signal(object)
    """a :class:`HistoryEntry` the operator double-clicked (or pressed Enter on)"""

    def __init__(self, model: HistoryModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyPanel")
        self.model = model
        self.table = QTableView(self)
        self.table.setObjectName("historyTable")
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(HistoryColumn.OUTCOME, QHeaderView.ResizeMode.Stretch)
        for column, width in (
            (HistoryColumn.TIME, 118),
            (HistoryColumn.REQUEST, 120),
            (HistoryColumn.STRATEGY, 70),
            (HistoryColumn.ELAPSED, 72),
        ):
            header.resizeSection(column, width)
        header.setToolTip("Double-click a comparison to put it back on the ticket")
        self.table.activated.connect(self._activated)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            entry: HistoryEntry = self.model.entry(index.row())
            self.entryActivated.emit(entry)
