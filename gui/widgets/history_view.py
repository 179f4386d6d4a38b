"""The History panel: recorded comparisons, filtered; open one as it was, or replay it.

Filters (product, supplier, since a date, part of a correlation id) are applied by the
database, a moment after the operator stops typing (:data:`FILTER_DELAY_MS`). Double-click
a row to put its request back on the ticket; **Open** shows it in the plot and the Result
panel as it was recorded; **Replay as** re-decides it under another strategy, offline.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDate, QModelIndex, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core import STRATEGIES, HistoryFilter
from gui.models.history_model import HistoryColumn, HistoryEntry, HistoryModel

__all__ = ["FILTER_DELAY_MS", "HistoryPanel"]

FILTER_DELAY_MS = 250
"""the filters are applied this long after the last keystroke"""
_NO_DATE = QDate(2000, 1, 1)
"""the since-date's "any date" value"""


class HistoryPanel(QWidget):
    entryActivated = Signal(object)
    """a :class:`HistoryEntry` the operator double-clicked (or pressed Enter on)"""
    filterChanged = Signal(object)
    """the :class:`core.HistoryFilter` the operator set"""
    openRequested = Signal(object)
    """a :class:`HistoryEntry` to show as it was recorded"""
    replayRequested = Signal(object, str)
    """a :class:`HistoryEntry` and the strategy to replay it under"""

    def __init__(self, model: HistoryModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyPanel")
        self.model = model

        self.product_filter = self._line_edit("historyProductFilter", "Product", 120)
        self.supplier_filter = self._line_edit("historySupplierFilter", "Supplier", 120)
        self.search = self._line_edit("historySearch", "Correlation id…", 170)
        self.since_filter = QDateEdit(self)
        self.since_filter.setObjectName("historySinceFilter")
        self.since_filter.setCalendarPopup(True)
        self.since_filter.setMinimumDate(_NO_DATE)
        self.since_filter.setSpecialValueText("any date")
        self.since_filter.setDate(_NO_DATE)
        self.since_filter.setDisplayFormat("yyyy-MM-dd")
        self.since_filter.setToolTip("Only comparisons recorded on or after this day")
        self.since_filter.dateChanged.connect(self._schedule_filter)

        self.open_button = QPushButton("Open", self)
        self.open_button.setObjectName("historyOpenButton")
        self.open_button.setToolTip("Show this comparison's bars and quotes as they were")
        self.open_button.clicked.connect(self._open)
        self.replay_strategy = QComboBox(self)
        self.replay_strategy.setObjectName("historyReplayStrategy")
        for strategy in STRATEGIES:
            self.replay_strategy.addItem(strategy, strategy)
        self.replay_button = QPushButton("Replay as", self)
        self.replay_button.setObjectName("historyReplayButton")
        self.replay_button.setToolTip(
            "Re-decide this comparison under another strategy from its recorded replies "
            "and their arrival order: no supplier is called"
        )
        self.replay_button.clicked.connect(self._replay)

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
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        model.modelReset.connect(self._selection_changed)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_filter)

        filters = QHBoxLayout()
        filters.setSpacing(6)
        widgets: tuple[QWidget, ...] = (
            self.product_filter,
            self.supplier_filter,
            self.since_filter,
            self.search,
        )
        for widget in widgets:
            filters.addWidget(widget)
        filters.addStretch(1)
        for widget in (self.open_button, self.replay_button, self.replay_strategy):
            filters.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(filters)
        layout.addWidget(self.table)
        self._selection_changed()

    def _line_edit(self, name: str, placeholder: str, width: int) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        edit.setClearButtonEnabled(True)
        edit.setMaximumWidth(width + 60)
        edit.setMinimumWidth(width)
        edit.textChanged.connect(self._schedule_filter)
        return edit

    # -- filters -------------------------------------------------------------------------

    def _schedule_filter(self) -> None:
        self._filter_timer.start()

    def current_filter(self) -> HistoryFilter:
        since = None
        if self.since_filter.date() != _NO_DATE:
            day = self.since_filter.date()
            since = datetime(day.year(), day.month(), day.day()).timestamp()
        return HistoryFilter(
            product=self.product_filter.text().strip() or None,
            supplier=self.supplier_filter.text().strip() or None,
            since=since,
            search=self.search.text().strip() or None,
        )

    def stop_filter_timer(self) -> None:
        """A filter typed but not applied yet is not applied (the window is closing)."""
        self._filter_timer.stop()

    def apply_filter(self) -> None:
        """Ask for the rows that pass the filters now (without waiting for the delay)."""
        self._filter_timer.stop()
        self.filterChanged.emit(self.current_filter())

    def set_since(self, day: QDate | None) -> None:
        self.since_filter.setDate(day if day is not None else _NO_DATE)

    # -- rows ----------------------------------------------------------------------------

    def selected(self) -> HistoryEntry | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or not 0 <= rows[0].row() < self.model.rowCount():
            return None
        return self.model.entry(rows[0].row())

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    def _selection_changed(self, *_args: object) -> None:
        chosen = self.selected() is not None
        self.open_button.setEnabled(chosen)
        self.replay_button.setEnabled(chosen)

    def _open(self) -> None:
        entry = self.selected()
        if entry is not None:
            self.openRequested.emit(entry)

    def _replay(self) -> None:
        entry = self.selected()
        if entry is not None:
            self.replayRequested.emit(entry, str(self.replay_strategy.currentData()))

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            entry: HistoryEntry = self.model.entry(index.row())
            self.entryActivated.emit(entry)
