"""The Event log: breaker transitions, comparisons and errors, newest first, timestamped."""

from __future__ import annotations

import enum
import time
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from core import BreakerState, BreakerTransition, Status
from gui import theme
from gui.icons import dot, icon

__all__ = ["EventLog", "Level"]

MAX_ENTRIES = 2000


class Level(enum.Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class EventLog(QTreeWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("eventLog")
        self.setColumnCount(3)
        self.setHeaderLabels(["Time", "Source", "Event"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setWordWrap(False)
        header = self.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 112)
        header.resizeSection(1, 130)
        self.counts = {level: 0 for level in Level}

    def add(self, level: Level, source: str, message: str, at: float | None = None) -> None:
        stamp = datetime.fromtimestamp(time.time() if at is None else at)
        item = QTreeWidgetItem([stamp.strftime("%H:%M:%S.%f")[:-3], source, message])
        item.setIcon(0, icon(level.value))
        item.setToolTip(2, message)
        item.setData(0, Qt.ItemDataRole.UserRole, level.value)
        if level is Level.ERROR:
            red = theme.outcome_color(Status.ERROR, theme.is_dark(self.palette()))
            for column in range(3):
                item.setForeground(column, red)
        self._insert(item, level)

    def add_transition(self, event: BreakerTransition) -> None:
        try:
            state = BreakerState(event.new)
        except ValueError:
            state = BreakerState.DISABLED
        swatch = theme.breaker_swatch(state, theme.is_dark(self.palette()))
        message = f"breaker {event.old} → {event.new}: {event.reason}"
        stamp = datetime.fromtimestamp(event.at)
        item = QTreeWidgetItem([stamp.strftime("%H:%M:%S.%f")[:-3], event.supplier, message])
        item.setIcon(0, dot(QColor(swatch.fill).name()))
        item.setToolTip(2, message)
        item.setData(0, Qt.ItemDataRole.UserRole, "transition")
        level = Level.WARNING if state is BreakerState.OPEN else Level.INFO
        self._insert(item, level)

    def _insert(self, item: QTreeWidgetItem, level: Level) -> None:
        self.insertTopLevelItem(0, item)
        self.counts[level] += 1
        while self.topLevelItemCount() > MAX_ENTRIES:
            self.takeTopLevelItem(self.topLevelItemCount() - 1)

    def messages(self) -> list[str]:
        """Every entry's text, newest first (for tests)."""
        items = (self.topLevelItem(i) for i in range(self.topLevelItemCount()))
        return [f"{item.text(1)}: {item.text(2)}" for item in items if item is not None]
